// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <doctest/doctest.h>

#include <cstdint>
#include <utility>

#include "names.h"
#include "parse.h"

using namespace tapio;
using namespace std::chrono_literals;

TEST_CASE("durations")
{
    CHECK(parse_duration("500ms") == 500ms);
    CHECK(parse_duration("10s") == 10s);
    CHECK(parse_duration("2m") == 2min);
    CHECK(parse_duration("1h") == 1h);
    CHECK(parse_duration("250us") == 250us);
    CHECK(parse_duration("7") == 7s);
    CHECK(parse_duration("100ns") == 100ns);
    CHECK_FALSE(parse_duration(""));
    CHECK_FALSE(parse_duration("ms"));
    CHECK_FALSE(parse_duration("10 s"));
    CHECK_FALSE(parse_duration("-5s"));
    CHECK_FALSE(parse_duration("1.5s"));
    CHECK_FALSE(parse_duration("10d"));
    CHECK_FALSE(parse_duration("99999999999999999999s"));
    CHECK_FALSE(parse_duration("9999999999999h"));
}

TEST_CASE("sizes")
{
    CHECK(parse_size("16M") == 16u << 20);
    CHECK(parse_size("4K") == 4096);
    CHECK(parse_size("1G") == 1u << 30);
    CHECK(parse_size("4096") == 4096);
    CHECK(parse_size("64MiB") == 64u << 20);
    CHECK_FALSE(parse_size(""));
    CHECK_FALSE(parse_size("M"));
    CHECK_FALSE(parse_size("12X"));
    CHECK_FALSE(parse_size("-1M"));
    CHECK_FALSE(parse_size("99999999999999G"));
}

TEST_CASE("percentages: hundredths, as PSI files print them and people type them")
{
    const std::pair<const char*, uint32_t> good[] = {
        {"12.34", 1234},   {"12.5", 1250}, {"12", 1200},
        {"12.5%", 1250},   {"0.00", 0},    {"0.01", 1},
        {"100.00", 10000}, {"250", 25000}, {"42949672.95", UINT32_MAX},
    };
    for (auto [text, hundredths] : good) {
        CAPTURE(text);
        CHECK(parse_percent(text) == hundredths);  // no range check: 250% is the caller's call
    }
    for (const char* text : {"", "%", "x", "1.234", "12.", ".5", "-1", "+1", "1.-1", "1.+1", "12 %", "12%%",
                             "42949672.96", "99999999999999999999"}) {
        CAPTURE(text);
        CHECK_FALSE(parse_percent(text));
    }
}

TEST_CASE("errno, signal and syscall names")
{
    CHECK(errno_name(-2) == "ENOENT");
    CHECK(errno_name(2) == "ENOENT");
    CHECK(errno_name(-111) == "ECONNREFUSED");
    CHECK(errno_name(0).empty());
    CHECK(errno_name(-99999).empty());
    CHECK(signal_name(9) == "SIGKILL");
    CHECK(signal_name(10) == "SIGUSR1");
    CHECK(signal_name(15) == "SIGTERM");
    CHECK(signal_name(0).empty());
    CHECK(signal_name(65).empty());
    CHECK(signal_name(34).rfind("SIGRTMIN", 0) == 0);
#if defined(__x86_64__)
    CHECK(syscall_name(0) == "read");
    CHECK(syscall_name(257) == "openat");
    CHECK(syscall_name(59) == "execve");
#endif
    CHECK(syscall_name(100000).empty());
}
