/* The project's C: libarchive's headers, the cast macros Swift cannot import, and the one
   system call glibc's Swift module does not export. */
#ifndef CKPT_CLIBARCHIVE_SHIM_H
#define CKPT_CLIBARCHIVE_SHIM_H

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

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

/* copy_file_range(2): copies between two files inside the kernel, moving neither file
   position. Returns -1 with errno ENOSYS where the system has no such call. */
static inline long ckpt_copy_file_range(int in, int64_t *in_offset, int out, int64_t *out_offset, size_t length) {
#if defined(__linux__) && defined(SYS_copy_file_range)
    return syscall(SYS_copy_file_range, in, (loff_t *)in_offset, out, (loff_t *)out_offset, length, 0u);
#else
    (void)in; (void)in_offset; (void)out; (void)out_offset; (void)length;
    errno = ENOSYS;
    return -1;
#endif
}

/* openat2(2) with RESOLVE_IN_ROOT: opens `path` read-only as if `root` were "/", so that "..",
   absolute symbolic links and the paths they hold cannot leave the directory; magic links
   (/proc/self/fd/N) are refused. Returns -1 with errno ENOSYS where the system has no openat2. */
/* Large blocks go back to the system when freed (glibc raises its mmap threshold as large blocks
 * are freed, keeping the next ones in the heap): a big checkpoint's short-lived tables then do not
 * stay in the peak. */
static inline void ckpt_tune_allocator(void) {
#if defined(__GLIBC__)
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
}

static inline int ckpt_open_in_root(int root, const char *path) {
#if defined(__linux__) && defined(SYS_openat2)
    struct { uint64_t flags, mode, resolve; } how = { (uint64_t)(O_RDONLY | O_CLOEXEC), 0, 0x10 | 0x02 };
    /* 0x10 RESOLVE_IN_ROOT, 0x02 RESOLVE_NO_MAGICLINKS (linux/openat2.h) */
    return (int)syscall(SYS_openat2, root, path, &how, sizeof how);
#else
    (void)root; (void)path;
    errno = ENOSYS;
    return -1;
#endif
}

#endif
