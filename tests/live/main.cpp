// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Live tests need root and a kernel with BPF. Without them they are skipped
// with a clear message; under CI (CI=true) that is a failure instead, since
// CI runs as root and a skipped live test there hides a broken build.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "harness.h"

int main(int argc, char** argv)
{
    const char* ci = std::getenv("CI");
    bool in_ci = ci && (std::strcmp(ci, "true") == 0 || std::strcmp(ci, "1") == 0);
    const char* why = nullptr;
    if (geteuid() != 0)
        why = "not running as root";
    else if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
        why = "the kernel has no BTF";
    if (why) {
        std::fprintf(stderr, "live tests SKIPPED: %s (run them as root: sudo build/tests/live_tests)\n", why);
        return in_ci ? 1 : 0;
    }
    doctest::Context context(argc, argv);
    return context.run();
}
