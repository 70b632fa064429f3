// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The cost of a syscall no tracer asks for: N getppid() calls, best of
// ROUNDS, in ns per call. Run it with and without a tracer attached to see
// what the tracer adds to every syscall of the host.
//   syscall_cost [N] [ROUNDS]
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv)
{
    long n = argc > 1 ? std::atol(argv[1]) : 2000000;
    int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
    double best = 1e300;
    for (int r = 0; r < rounds; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        for (long i = 0; i < n; ++i)
            syscall(SYS_getppid);
        double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
        best = std::min(best, ns / static_cast<double>(n));
    }
    std::printf("%.1f\n", best);
    return 0;
}
