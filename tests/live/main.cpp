// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Live tests need root and a kernel with BPF. Without them they are skipped
// with a clear message and exit code 77, which ctest shows as "Skipped"
// (SKIP_RETURN_CODE in tests/CMakeLists.txt); under CI (CI=true) that is a
// failure instead, since CI runs as root and a skipped live test there hides
// a broken build.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <string>

#include "harness.h"
#include "schema_check.h"

namespace live {
extern bool resources_leaked;  // resources.cpp
}

namespace {

constexpr int skipped = 77;  // SKIP_RETURN_CODE of the live test in tests/CMakeLists.txt

}  // namespace

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
        return in_ci ? 1 : skipped;
    }
    doctest::Context context(argc, argv);
    int status = context.run();
    if (live::resources_leaked) {
        std::fprintf(stderr, "live tests: a test left tapio-trace processes or BPF objects behind (above)\n");
        status = status ? status : 1;
    }
    // What the run showed of the registry: every record it checked passed;
    // this says which declared types and fields no live test produced.
    schema_check::Coverage cov = schema_check::coverage();
    std::string types, fields;
    for (const std::string& t : cov.types_unseen)
        types += " " + t;
    for (const std::string& f : cov.fields_unseen)
        fields += " " + f;
    if (cov.records == 0)
        return status;
    std::fprintf(stderr, "schema check: %zu records checked against the registry\n", cov.records);
    if (!types.empty())
        std::fprintf(stderr, "schema check: record types no test produced:%s\n", types.c_str());
    if (!fields.empty())
        std::fprintf(stderr, "schema check: fields no test produced:%s\n", fields.c_str());
    return status;
}
