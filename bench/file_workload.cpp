// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The file benchmark's workload: N iterations of open + close of one file,
// as fast as possible; prints the CPU time (user + system, of this thread)
// per iteration in ns on stdout. CPU time, not wall time, so that other
// load on the machine does not count, while everything a tracer does in the
// traced thread's context (its BPF programs, buffer writes, wakeups) does. The file must
// exist, so that every open the tracers see is one of the loop's.
//
//   file_workload ITERATIONS PATH
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: file_workload ITERATIONS PATH\n");
        return 2;
    }
    long n = strtol(argv[1], nullptr, 10);
    const char* path = argv[2];
    int fd;
    timespec start{}, end{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
    for (long i = 0; i < n; ++i) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            perror(path);
            return 1;
        }
        close(fd);
    }
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end);
    double ns = (end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec);
    printf("%.1f\n", ns / static_cast<double>(n));
    return 0;
}
