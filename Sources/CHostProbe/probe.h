/* The project's C for `ckpt-inspect host`: the cpuid instruction and the system calls whose
   presence a restore depends on. Header only (static inline): nothing to link.

   Every probe only creates a descriptor and closes it (or passes arguments the kernel rejects
   before doing anything); none writes a file, changes a setting or needs a privilege. Each returns
   0 when the call succeeded, else the errno it failed with (ENOSYS: the kernel lacks it). */
#ifndef CKPT_CHOSTPROBE_H
#define CKPT_CHOSTPROBE_H

#include <errno.h>
#include <fcntl.h>
#ifdef __linux__
#include <sys/mman.h>
#endif
#include <stdint.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* cpuid with EAX = leaf, ECX = subleaf into regs[0..3] = EAX, EBX, ECX, EDX. Returns 0, or -1
   on a machine that is not x86 (regs are then zero). */
static inline int ckpt_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned int a = 0, b = 0, c = 0, d = 0;
    __cpuid_count(leaf, subleaf, a, b, c, d);
    regs[0] = a; regs[1] = b; regs[2] = c; regs[3] = d;
    return 0;
#else
    regs[0] = regs[1] = regs[2] = regs[3] = 0;
    (void)leaf; (void)subleaf;
    return -1;
#endif
}

static inline int ckpt_close_result(long fd) {
    if (fd < 0) return errno;
    close((int)fd);
    return 0;
}

/* pidfd_open(getpid(), 0): a pidfd of this process. */
static inline int ckpt_probe_pidfd(void) {
#if defined(__linux__) && defined(SYS_pidfd_open)
    return ckpt_close_result(syscall(SYS_pidfd_open, (long)getpid(), 0L));
#else
    return ENOSYS;
#endif
}

/* memfd_create("ckpt-inspect-probe", MFD_CLOEXEC). */
static inline int ckpt_probe_memfd(void) {
#if defined(__linux__) && defined(SYS_memfd_create)
    return ckpt_close_result(syscall(SYS_memfd_create, "ckpt-inspect-probe", 1L /* MFD_CLOEXEC */));
#else
    return ENOSYS;
#endif
}

/* memfd_secret(0): ENOSYS unless the kernel has secretmem and it is enabled. */
static inline int ckpt_probe_memfd_secret(void) {
#if defined(__linux__) && defined(SYS_memfd_secret)
    return ckpt_close_result(syscall(SYS_memfd_secret, 0L));
#else
    return ENOSYS;
#endif
}

/* userfaultfd(O_CLOEXEC | UFFD_USER_MODE_ONLY): EPERM when vm.unprivileged_userfaultfd forbids it. */
static inline int ckpt_probe_userfaultfd(void) {
#if defined(__linux__) && defined(SYS_userfaultfd)
    return ckpt_close_result(syscall(SYS_userfaultfd, (long)(O_CLOEXEC | 1)));
#else
    return ENOSYS;
#endif
}

/* io_uring_setup(0, NULL): a kernel with io_uring rejects the zero entries (EINVAL) or the NULL
   parameters (EFAULT) without creating anything; EPERM when kernel.io_uring_disabled forbids it. */
static inline int ckpt_probe_io_uring(void) {
#if defined(__linux__) && defined(SYS_io_uring_setup)
    return ckpt_close_result(syscall(SYS_io_uring_setup, 0L, (void *)0));
#else
    return ENOSYS;
#endif
}

/* madvise(MADV_GUARD_INSTALL) on a page of its own: EINVAL from a kernel without guard regions (6.13+). */
static inline int ckpt_probe_guard_regions(void) {
#ifdef __linux__
    long page = sysconf(_SC_PAGESIZE);
    void *p = mmap(0, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return errno;
    int result = madvise(p, (size_t)page, 102 /* MADV_GUARD_INSTALL */) == 0 ? 0 : errno;
    munmap(p, (size_t)page);
    return result;
#else
    return ENOSYS;
#endif
}

#endif
