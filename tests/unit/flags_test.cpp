// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "cli.h"
#include "fixtures.h"
#include "tapio/errors.h"

using namespace tapio;

namespace {

auto parse(std::vector<std::string> args)
{
    return fixtures::parse_args(std::move(args));
}
auto failure(std::vector<std::string> args)
{
    return fixtures::parse_failure(std::move(args));
}
std::string usage_message(std::vector<std::string> args)
{
    return fixtures::usage_message(std::move(args));
}

}  // namespace

TEST_CASE("global flags before or after the subcommand")
{
    auto a = parse({"--json", "-p", "12", "proc", "-p", "13", "--rate-limit", "50"});
    REQUIRE(a);
    CHECK(a->options.output == "json");
    CHECK(a->options.config.pids == std::vector<uint32_t>{12, 13});
    CHECK(a->options.config.rate_limit == 50);
    CHECK(a->options.config.areas == std::vector<Area>{Area::proc});

    auto b = parse({"proc", "-o", "json", "-d", "500ms", "-n", "3", "--sample", "4", "--ring-buffer-size", "4M", "-u",
                    "1000", "--comm", "bash", "-x", "--sampling-interval", "2s"});
    REQUIRE(b);
    CHECK(b->options.output == "json");
    CHECK(b->duration == std::chrono::milliseconds(500));
    CHECK(b->options.count == 3);
    CHECK(b->options.config.sample == 4);
    CHECK(b->options.config.ring_buffer_size == 4u << 20);
    CHECK(b->options.config.uid == 1000u);
    CHECK(b->options.config.comm == "bash");
    CHECK(b->options.config.failed_only);
    CHECK(b->options.config.sampling_interval == std::chrono::seconds(2));
}

TEST_CASE("proc flags")
{
    auto a = parse({"proc", "--max-args", "5", "--threads", "--syscalls", "--syscalls-top", "3"});
    REQUIRE(a);
    CHECK(a->options.config.proc.max_args == 5);
    CHECK(a->options.config.proc.threads);
    CHECK(a->options.config.proc.syscalls);
    CHECK(a->options.config.proc.syscalls_top == 3);
}

TEST_CASE("all: areas on by default, --no-AREA turns one off")
{
    auto a = parse({"all"});
    REQUIRE(a);
    CHECK(a->options.config.has_area(Area::proc));
    CHECK(failure({"all", "--no-proc", "--no-net", "--no-file", "--no-mem"}) == ExitCode::usage);
}

TEST_CASE("bad values are usage errors")
{
    CHECK(failure({"proc", "--ring-buffer-size", "3M"}) == ExitCode::usage);
    CHECK(failure({"proc", "--ring-buffer-size", "1K"}) == ExitCode::usage);
    CHECK(failure({"proc", "--ring-buffer-size", "lots"}) == ExitCode::usage);
    CHECK(failure({"proc", "-d", "0s"}) == ExitCode::usage);
    CHECK(failure({"proc", "-d", "soon"}) == ExitCode::usage);
    CHECK(failure({"proc", "-o", "yaml"}) == ExitCode::usage);
    CHECK(failure({"proc", "-p", "0"}) == ExitCode::usage);
    CHECK(failure({"proc", "-p", "abc"}) == ExitCode::usage);
    CHECK(failure({"proc", "-n", "-1"}) == ExitCode::usage);
    CHECK(failure({"proc", "--comm", "sixteen-chars-xx"}) == ExitCode::usage);
    CHECK(failure({"proc", "--sampling-interval", "1ms"}) == ExitCode::usage);
    CHECK(failure({"proc", "--max-args", "65"}) == ExitCode::usage);
    CHECK(failure({"proc", "--bogus"}) == ExitCode::usage);
    CHECK(failure({"nosuch"}) == ExitCode::usage);
    std::vector<std::string> many = {"proc"};
    for (int i = 1; i <= 1025; ++i) {
        many.push_back("-p");
        many.push_back(std::to_string(i));
    }
    CHECK(failure(many) == ExitCode::usage);
    CHECK(failure({}) == ExitCode::usage);
}

TEST_CASE("TAPIO_MAP_ENTRIES: every map, or the maps named; anything else is bad usage")
{
    setenv("TAPIO_MAP_ENTRIES", "64", 1);
    auto all = parse({"proc"});
    REQUIRE(all);
    CHECK(all->options.config.map_entries == 64);
    CHECK(all->options.config.map_entries_by_name.empty());

    setenv("TAPIO_MAP_ENTRIES", "syscall_start=4,file_calls=8", 1);
    auto named = parse({"proc"});
    REQUIRE(named);
    CHECK(named->options.config.map_entries == 0);
    using Entry = std::pair<std::string, uint32_t>;
    CHECK(named->options.config.map_entries_by_name == std::vector<Entry>{{"syscall_start", 4}, {"file_calls", 8}});

    for (const char* bad : {"", "0", "lots", "=4", "syscall_start=", "syscall_start=4,", "a=1,b", "2000000"}) {
        CAPTURE(bad);
        setenv("TAPIO_MAP_ENTRIES", bad, 1);
        CHECK(failure({"proc"}) == ExitCode::usage);
    }
    unsetenv("TAPIO_MAP_ENTRIES");
}

TEST_CASE("--min-latency: one parser and one message for file, mem and all")
{
    for (const char* bad : {"soon", "1.5ms", "-1ms", "10 ms", "10d"}) {
        CAPTURE(bad);
        std::string file = usage_message({"file", "--min-latency", bad});
        CHECK(file == fmt::format("--min-latency: '{}' is not a duration: a whole number of ns, us, ms, s (the "
                                  "default), m or h, such as 500us, 10ms, 1s",
                                  bad));
        CHECK(usage_message({"mem", "--min-latency", bad}) == file);
        CHECK(usage_message({"all", "--min-latency", bad}) == file);
    }
    // 0: every stall for mem, file.slow off in all, and an error for file
    // alone, whose only use of the flag is file.slow.
    CHECK(parse({"mem", "--min-latency", "0"})->options.config.mem.min_latency.count() == 0);
    auto all = parse({"all", "--min-latency", "0"});
    CHECK(all->options.config.file.min_latency.count() == 0);
    CHECK(all->options.config.mem.min_latency.count() == 0);
    CHECK(usage_message({"file", "--min-latency", "0"}).find("--min-latency: '0'") == 0);
    auto both = parse({"all", "--min-latency", "250us"});
    CHECK(both->options.config.file.min_latency == std::chrono::microseconds(250));
    CHECK(both->options.config.mem.min_latency == std::chrono::microseconds(250));
    CHECK(parse({"file", "--min-latency", "20ms"})->options.config.file.min_latency == std::chrono::milliseconds(20));
    // A bare number is seconds, as for -d.
    CHECK(parse({"mem", "--min-latency", "2"})->options.config.mem.min_latency == std::chrono::seconds(2));
}

TEST_CASE("-e/--events: types and globs, comma-separated or repeated; bad ones are one usage line")
{
    auto a = parse({"all", "-e", "proc.exec,proc.exit", "--events", "file.*"});
    REQUIRE(a);
    CHECK(a->options.config.events == std::vector<std::string>{"proc.exec", "proc.exit", "file.*"});
    CHECK(a->options.config.wants("proc.exec"));
    CHECK(a->options.config.wants("file.rename"));
    CHECK_FALSE(a->options.config.wants("proc.fork"));
    CHECK_FALSE(a->options.config.wants("net.close"));
    CHECK(parse({"proc"})->options.config.wants("proc.fork"));  // no -e: everything

    CHECK(usage_message({"proc", "-e", "proc.exce"}) ==
          "--events: 'proc.exce' is not a record type; did you mean proc.exec? (tapio-trace schema lists the types; "
          "globs such as file.* work)");
    CHECK(usage_message({"file", "-e", "fiel.*"}).rfind("--events: 'fiel.*' matches no record type; did you mean", 0) ==
          0);
    CHECK(usage_message({"proc", "-e", "net.close"}) ==
          "--events: 'net.close' is not a record of proc; give types of proc (or use tapio-trace all)");
    CHECK(usage_message({"proc", "-e", "proc.exec,"}).rfind("--events: 'proc.exec,' has an empty item", 0) == 0);
    CHECK(usage_message({"proc", "-e", "proc.syscalls"}) ==
          "--events: 'proc.syscalls' is made only with --syscalls; add it, or leave proc.syscalls out");
    CHECK(parse({"proc", "--syscalls", "-e", "proc.syscalls"}));
    CHECK(usage_message({"file", "-e", "file.slow"}).find("--min-latency") != std::string::npos);
    CHECK(usage_message({"all", "-e", "tapio.dropped"}).find("is not a record type") != std::string::npos);
    CHECK(usage_message({"doctor", "-e", "proc.exec"}) ==
          "--events: 'proc.exec' chooses records of a trace; use it with proc, net, file, mem or all");
}

TEST_CASE("--children needs -p; --file-mappings and --slow-any-file widen mem.alloc and file.slow")
{
    CHECK(usage_message({"proc", "--children"}) ==
          "--children: needs -p PID; it follows the processes -p names and every process they fork");
    auto a = parse({"all", "-p", "1", "--children", "--file-mappings", "--slow-any-file"});
    REQUIRE(a);
    CHECK(a->options.config.children);
    CHECK(a->options.config.mem.file_mappings);
    CHECK(a->options.config.file.slow_any_file);
    auto b = parse({"mem"});
    REQUIRE(b);
    CHECK_FALSE(b->options.config.mem.file_mappings);
    CHECK_FALSE(b->options.config.children);
    CHECK(parse({"file", "--slow-any-file"})->options.config.file.slow_any_file);
}
