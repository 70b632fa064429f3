/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The 32-bit (i386 ABI) syscalls of the compat live tests, shared by
 * tt_workload's `compat-int80` scenario (a 64-bit process that enters them
 * with `int $0x80`) and tt_compat32 (a real -m32 program, whose libc enters
 * them through the vDSO's sysenter/syscall fast path). Both entries set
 * TS_COMPAT, so the kernel runs the ia32 table; perf's per-syscall
 * tracepoints skip such calls, raw_syscalls:sys_enter/sys_exit report them
 * with their i386 number.
 *
 * Each call is harmless and its i386 number is that of an x86_64 syscall
 * tapio-trace traces (the `as64` column), so a tracer that read these calls
 * as 64-bit ones would write a phantom record (a file.mkdir for a symlink, a
 * proc.signal for ustat, ...). The rest are the compat forms of traced calls
 * (open, mkdir, kill, chmod, unlink): a tracer that decoded compat calls
 * correctly would report them, which tapio-trace documents it does not.
 * openat2 and fchmodat2 have the same number in both tables.
 *
 * Not used: i386 258 set_tid_address (x86_64 mkdirat; it would change the
 * thread's clear_child_tid that libc relies on), 25 stime (mremap), 11 execve
 * (munmap), 74 sethostname (fsync): not harmless.
 *
 * Plain C, included by C++ too. Every pointer passed must be below 4 GiB.
 */
#ifndef TT_COMPAT_CALLS_H
#define TT_COMPAT_CALLS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* i386 syscall numbers (arch/x86/entry/syscalls/syscall_32.tbl) */
enum {
    C32_exit = 1,
    C32_fork = 2,
    C32_open = 5,
    C32_close = 6,
    C32_waitpid = 7,
    C32_link = 9,
    C32_unlink = 10,
    C32_chdir = 12,
    C32_chmod = 15,
    C32_getpid = 20,
    C32_kill = 37,
    C32_mkdir = 39,
    C32_oldolduname = 59,
    C32_ustat = 62,
    C32_getrlimit = 76,
    C32_getrusage = 77,
    C32_select = 82,
    C32_symlink = 83,
    C32_oldlstat = 84,
    C32_readlink = 85,
    C32_swapon = 87,
    C32_old_mmap = 90,
    C32_munmap = 91,
    C32_getgid32 = 200,
    C32_flistxattr = 234,
    C32_remap_file_pages = 257,
    C32_timer_delete = 263,
    C32_clock_settime = 264,
    C32_statfs64 = 268,
    C32_vmsplice = 316,
    C32_timerfd_create = 322,
    C32_openat2 = 437,
    C32_fchmodat2 = 452,
};

#define C32_AT_FDCWD (-100)
#define C32_O_WRONLY 01
#define C32_O_CREAT 0100
#define C32_SYMLINK_TARGET "compat-symlink-target"
#define C32_MAX_RESULTS 40

/* One syscall with up to 5 arguments (ebx, ecx, edx, esi, edi); returns
 * the kernel's value: a negative errno on failure. */
typedef long (*c32_syscall_fn)(long nr, long a, long b, long c, long d, long e);

struct c32_result {
    const char* name; /* i386 name */
    int nr;           /* i386 number */
    const char* as64; /* what a 64-bit reader of nr would take it for */
    long ret;
};

struct c32_run {
    struct c32_result results[C32_MAX_RESULTS];
    int n;
    long child;       /* pid of the child of the compat fork */
    int child_status; /* its wait status */
};

static inline long c32_ptr(const void* p)
{
    return (long)(uintptr_t)p;
}

static inline long c32_call(struct c32_run* run, c32_syscall_fn sys, const char* name, int nr, const char* as64, long a,
                            long b, long c, long d, long e)
{
    long ret = sys(nr, a, b, c, d, e);

    if (run->n < C32_MAX_RESULTS) {
        struct c32_result* r = &run->results[run->n++];
        r->name = name;
        r->nr = nr;
        r->as64 = as64;
        r->ret = ret;
    }
    return ret;
}

#define C32(name, as64, a, b, c, d, e) c32_call(run, sys, #name, C32_##name, as64, a, b, c, d, e)

/*
 * Makes every compat call, in this order; scratch: 64 KiB below 4 GiB,
 * dir: an existing directory (absolute path). Creates in dir: compat-open
 * (mode 0600, one link), compat-link (symlink to C32_SYMLINK_TARGET),
 * compat-dir/ (the new cwd), compat-openat2 (mode 0600). Forks one child
 * that exits 0 at once.
 */
static inline void c32_run_all(struct c32_run* run, c32_syscall_fn sys, char* scratch, const char* dir)
{
    char *open_path = scratch, *link_path = scratch + 512, *hard_path = scratch + 1024, *dir_path = scratch + 1536,
         *missing_path = scratch + 2048, *openat2_path = scratch + 2560, *target = scratch + 3072,
         *dir_copy = scratch + 3584;
    char* buf = scratch + 8192; /* 4 KiB of output buffers */
    uint32_t* words = (uint32_t*)(void*)(scratch + 16384);
    uint64_t* how = (uint64_t*)(void*)(scratch + 16640);
    int* status = (int*)(void*)(scratch + 16896);
    long fd, pid, addr;

    memset(run, 0, sizeof(*run));
    snprintf(open_path, 512, "%s/compat-open", dir);
    snprintf(link_path, 512, "%s/compat-link", dir);
    snprintf(hard_path, 512, "%s/compat-hardlink", dir);
    snprintf(dir_path, 512, "%s/compat-dir", dir);
    snprintf(missing_path, 512, "%s/compat-swap-missing", dir);
    snprintf(openat2_path, 512, "%s/compat-openat2", dir);
    snprintf(target, 512, "%s", C32_SYMLINK_TARGET);
    snprintf(dir_copy, 512, "%s", dir);

    fd = C32(open, "fstat", c32_ptr(open_path), C32_O_WRONLY | C32_O_CREAT, 0644, 0, 0);
    C32(close, "lstat", fd, 0, 0, 0, 0);
    C32(symlink, "mkdir", c32_ptr(target), c32_ptr(link_path), 0, 0, 0);
    C32(readlink, "creat", c32_ptr(link_path), c32_ptr(buf), 256, 0, 0);
    C32(oldlstat, "rmdir", c32_ptr(link_path), c32_ptr(buf), 0, 0, 0);
    C32(link, "mmap", c32_ptr(open_path), c32_ptr(hard_path), 0, 0, 0);
    C32(unlink, "mprotect", c32_ptr(hard_path), 0, 0, 0, 0);
    C32(mkdir, "getpid", c32_ptr(dir_path), 0755, 0, 0, 0);
    C32(chmod, "rt_sigreturn", c32_ptr(open_path), 0600, 0, 0, 0);
    C32(chdir, "brk", c32_ptr(dir_path), 0, 0, 0, 0);
    pid = C32(getpid, "writev", 0, 0, 0, 0, 0);
    C32(kill, "alarm", pid, 0, 0, 0, 0);
    C32(ustat, "kill", 0, c32_ptr(buf), 0, 0, 0);
    C32(getgid32, "tkill", 0, 0, 0, 0, 0);
    C32(flistxattr, "tgkill", -1, c32_ptr(buf), 0, 0, 0);
    C32(oldolduname, "execve", 1, 0, 0, 0, 0); /* a bad pointer: EFAULT */
    C32(getrlimit, "truncate", 7 /* RLIMIT_NOFILE */, c32_ptr(buf), 0, 0, 0);
    C32(getrusage, "ftruncate", 0 /* RUSAGE_SELF */, c32_ptr(buf), 0, 0, 0);
    /* old select(struct { n, in, out, ex, tvp }) with n 0 and a zero timeout */
    memset(words, 0, 64);
    words[4] = (uint32_t)c32_ptr(words + 8);
    C32(select, "rename", c32_ptr(words), 0, 0, 0, 0);
    /* a path that does not exist: nothing can be swapped on */
    C32(swapon, "unlink", c32_ptr(missing_path), 0, 0, 0, 0);
    /* old mmap(struct { addr, len, prot, flags, fd, offset }) */
    memset(words, 0, 64);
    words[1] = 65536;
    words[2] = 3;    /* PROT_READ|PROT_WRITE */
    words[3] = 0x22; /* MAP_PRIVATE|MAP_ANONYMOUS */
    words[4] = (uint32_t)-1;
    addr = C32(old_mmap, "chmod", c32_ptr(words), 0, 0, 0, 0);
    C32(munmap, "fchmod", addr, 65536, 0, 0, 0);
    C32(remap_file_pages, "openat", 0, 0, 0, 0, 0);
    C32(timer_delete, "unlinkat", 12345, 0, 0, 0, 0);
    memset(words, 0, 64);
    C32(clock_settime, "renameat", 1000 /* no such clock */, c32_ptr(words), 0, 0, 0);
    C32(statfs64, "fchmodat", c32_ptr(dir_copy), 84 /* sizeof(struct statfs64) */, c32_ptr(buf), 0, 0);
    C32(vmsplice, "renameat2", -1, 0, 0, 0, 0);
    C32(timerfd_create, "execveat", 1000 /* no such clock */, 0, 0, 0, 0);
    how[0] = C32_O_WRONLY | C32_O_CREAT; /* struct open_how { flags, mode, resolve } */
    how[1] = 0644;
    how[2] = 0;
    fd = C32(openat2, "openat2", C32_AT_FDCWD, c32_ptr(openat2_path), c32_ptr(how), 24, 0);
    C32(close, "lstat", fd, 0, 0, 0, 0);
    C32(fchmodat2, "fchmodat2", C32_AT_FDCWD, c32_ptr(openat2_path), 0600, 0, 0);
    pid = C32(fork, "open", 0, 0, 0, 0, 0);
    if (pid == 0) {
        sys(C32_exit, 0, 0, 0, 0, 0); /* the child: a compat exit too */
        for (;;) {
        }
    }
    run->child = pid;
    *status = -1;
    C32(waitpid, "poll", pid, c32_ptr(status), 0, 0, 0);
    run->child_status = *status;
}

/* One line per call: "compat NAME NR AS64 RET", then "compat-child PID STATUS". */
static inline void c32_print(const struct c32_run* run)
{
    int i;

    for (i = 0; i < run->n; ++i) {
        const struct c32_result* r = &run->results[i];
        if (r->nr == C32_old_mmap && (r->ret < -4095 || r->ret >= 0))
            printf("compat %s %d %s 0x%lx\n", r->name, r->nr, r->as64, (unsigned long)(uint32_t)r->ret);
        else
            printf("compat %s %d %s %ld\n", r->name, r->nr, r->as64, r->ret);
    }
    printf("compat-child %ld %d\n", run->child, run->child_status);
    fflush(stdout);
}

#undef C32
#endif
