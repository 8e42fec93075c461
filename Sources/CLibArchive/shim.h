/* Shim for libarchive: the headers, plus the cast macros Swift cannot import. */
#ifndef CKPT_CLIBARCHIVE_SHIM_H
#define CKPT_CLIBARCHIVE_SHIM_H

#include <archive.h>
#include <archive_entry.h>

/* AE_IF* are cast macros ((__LA_MODE_T)0100000); Swift sees none of them. */
static inline unsigned int ckpt_ae_ifmt(void) { return (unsigned int)AE_IFMT; }
static inline unsigned int ckpt_ae_ifreg(void) { return (unsigned int)AE_IFREG; }
static inline unsigned int ckpt_ae_ifdir(void) { return (unsigned int)AE_IFDIR; }
static inline unsigned int ckpt_ae_iflnk(void) { return (unsigned int)AE_IFLNK; }

/* Return codes, re-exported so call sites read like the C API. */
static inline int ckpt_archive_ok(void) { return ARCHIVE_OK; }
static inline int ckpt_archive_eof(void) { return ARCHIVE_EOF; }
static inline int ckpt_archive_retry(void) { return ARCHIVE_RETRY; }
static inline int ckpt_archive_warn(void) { return ARCHIVE_WARN; }
static inline int ckpt_archive_failed(void) { return ARCHIVE_FAILED; }
static inline int ckpt_archive_fatal(void) { return ARCHIVE_FATAL; }

#endif
