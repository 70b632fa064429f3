/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Native syscall numbers of the syscalls the areas handle, per architecture
 * (the stable ABI: arch/x86/entry/syscalls/syscall_64.tbl and
 * include/uapi/asm-generic/unistd.h). The raw syscall tracepoints give only
 * the number. arm64 has no open, creat, unlink, rmdir, mkdir, rename or
 * chmod: those are left undefined there and their cases compiled out.
 */
#ifndef TAPIO_SYSCALL_NR_H
#define TAPIO_SYSCALL_NR_H

#if defined(__TARGET_ARCH_x86)
#define TT_NR_read 0
#define TT_NR_write 1
#define TT_NR_open 2
#define TT_NR_mmap 9
#define TT_NR_munmap 11
#define TT_NR_brk 12
#define TT_NR_pread64 17
#define TT_NR_pwrite64 18
#define TT_NR_readv 19
#define TT_NR_writev 20
#define TT_NR_mremap 25
#define TT_NR_accept 43
#define TT_NR_execve 59
#define TT_NR_kill 62
#define TT_NR_fsync 74
#define TT_NR_fdatasync 75
#define TT_NR_truncate 76
#define TT_NR_ftruncate 77
#define TT_NR_rename 82
#define TT_NR_mkdir 83
#define TT_NR_rmdir 84
#define TT_NR_creat 85
#define TT_NR_unlink 87
#define TT_NR_chmod 90
#define TT_NR_fchmod 91
#define TT_NR_setuid 105
#define TT_NR_setreuid 113
#define TT_NR_setresuid 117
#define TT_NR_tkill 200
#define TT_NR_tgkill 234
#define TT_NR_openat 257
#define TT_NR_mkdirat 258
#define TT_NR_unlinkat 263
#define TT_NR_renameat 264
#define TT_NR_fchmodat 268
#define TT_NR_accept4 288
#define TT_NR_renameat2 316
#define TT_NR_execveat 322
#define TT_NR_openat2 437
#define TT_NR_fchmodat2 452
#elif defined(__TARGET_ARCH_arm64)
#define TT_NR_mkdirat 34
#define TT_NR_unlinkat 35
#define TT_NR_renameat 38
#define TT_NR_truncate 45
#define TT_NR_ftruncate 46
#define TT_NR_fchmod 52
#define TT_NR_fchmodat 53
#define TT_NR_openat 56
#define TT_NR_read 63
#define TT_NR_write 64
#define TT_NR_readv 65
#define TT_NR_writev 66
#define TT_NR_pread64 67
#define TT_NR_pwrite64 68
#define TT_NR_fsync 82
#define TT_NR_fdatasync 83
#define TT_NR_kill 129
#define TT_NR_tkill 130
#define TT_NR_tgkill 131
#define TT_NR_setreuid 145
#define TT_NR_setuid 146
#define TT_NR_setresuid 147
#define TT_NR_accept 202
#define TT_NR_brk 214
#define TT_NR_munmap 215
#define TT_NR_mremap 216
#define TT_NR_execve 221
#define TT_NR_mmap 222
#define TT_NR_accept4 242
#define TT_NR_renameat2 276
#define TT_NR_execveat 281
#define TT_NR_openat2 437
#define TT_NR_fchmodat2 452
#else
#error "syscall numbers of this architecture are missing"
#endif

#endif /* TAPIO_SYSCALL_NR_H */
