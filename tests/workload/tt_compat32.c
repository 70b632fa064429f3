/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A real 32-bit (-m32) program for the compat live tests: it makes the calls
 * of compat_calls.h through libc's syscall(), which enters the kernel by the
 * vDSO's fast path (sysenter or syscall), not int $0x80, and prints them
 * like `tt_workload compat-int80`.
 *
 *   tt_compat32 DIR
 *
 * Built only when the compiler can build and link -m32 (gcc-multilib).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "compat_calls.h"

#if !defined(__i386__)
#error "tt_compat32 is built with -m32"
#endif

static long sys32(long nr, long a, long b, long c, long d, long e)
{
    long ret = syscall(nr, a, b, c, d, e);

    return ret == -1 ? -(long)errno : ret;
}

static char scratch[65536];

int main(int argc, char** argv)
{
    static struct c32_run run;

    if (argc != 2 && argc != 3)
        return 2;
    c32_run_all(&run, sys32, scratch, argv[1]);
    c32_print(&run);
    /* tt_compat32 DIR PROGRAM: end by exec'ing (64-bit) PROGRAM. */
    if (argc == 3) {
        fflush(stdout);
        execl(argv[2], argv[2], (char*)0);
        return 127;
    }
    return 0;
}
