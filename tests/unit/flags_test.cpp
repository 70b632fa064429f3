// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <utility>
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

// What fd (stdout or stderr) receives while body runs.
template <typename Body>
std::string captured(int fd, Body body)
{
    FILE* capture = tmpfile();
    REQUIRE(capture);
    fflush(stdout);
    fflush(stderr);
    int saved = dup(fd);
    dup2(fileno(capture), fd);
    body();
    fflush(stdout);
    fflush(stderr);
    dup2(saved, fd);
    close(saved);
    std::string text;
    rewind(capture);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), capture)) > 0)
        text.append(buf, n);
    fclose(capture);
    return text;
}

// Runs the command line as main() does and returns its exit code and what
// it printed on stderr. Only for command lines that fail before tracing.
std::pair<int, std::string> run_stderr(std::vector<std::string> args)
{
    args.insert(args.begin(), "tapio-trace");
    std::vector<const char*> argv;
    for (auto& a : args)
        argv.push_back(a.c_str());
    int code = -1;
    std::string text =
        captured(STDERR_FILENO, [&] { code = tapio::cli::run(static_cast<int>(argv.size()), argv.data()); });
    return {code, text};
}

// /proc/sys/kernel/pid_max.
unsigned long pid_max()
{
    unsigned long n = 0;
    FILE* f = fopen("/proc/sys/kernel/pid_max", "r");
    REQUIRE(f);
    CHECK(fscanf(f, "%lu", &n) == 1);
    fclose(f);
    return n;
}

// A pid no process has, below pid_max (above it is another message).
std::string unused_pid()
{
    for (unsigned long pid = pid_max() - 1; pid > 300; --pid)
        if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
            return std::to_string(pid);
    FAIL("every pid is taken");
    return "";
}

// What --path's message suggests for a relative prefix: the same under the cwd.
std::string cwd_prefix(const std::string& rest)
{
    char cwd[4096];
    REQUIRE(getcwd(cwd, sizeof(cwd)));
    std::string dir = cwd;
    std::string full = (dir == "/" ? dir : dir + "/") + rest;
    return full.size() <= 64 ? full : "/etc/";
}

}  // namespace

TEST_CASE("global flags before or after the subcommand")
{
    const uint32_t self = static_cast<uint32_t>(getpid());
    auto a = parse({"--json", "-p", "1", "proc", "-p", std::to_string(self), "--rate-limit", "50"});
    REQUIRE(a);
    CHECK(a->options.output == "json");
    CHECK(a->options.config.pids == std::vector<uint32_t>{1, self});
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
    CHECK(failure({"proc", "-p", "1", "-p", unused_pid()}) == ExitCode::usage);
    CHECK(failure({"proc", "--comm", "sixteen-chars-xx"}) == ExitCode::usage);
    CHECK(failure({"proc", "--sampling-interval", "1ms"}) == ExitCode::usage);
    CHECK(failure({"proc", "--max-args", "65"}) == ExitCode::usage);
    CHECK(failure({"proc", "--bogus"}) == ExitCode::usage);
    CHECK(failure({"nosuch"}) == ExitCode::usage);
    std::vector<std::string> many = {"proc"};
    for (int i = 1; i <= 1025; ++i) {
        many.push_back("-p");
        many.push_back("1");
    }
    CHECK(usage_message(many) == "--pid: 1025 processes; give at most 1024");
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
        CHECK(file == fmt::format("--min-latency: '{}' is not a duration; give a whole number and a unit, ns, us, "
                                  "ms, s, m or h, such as 500ms, 10s, 2m (a bare number is seconds)",
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
    // A pattern is the user's text, maybe from $(...): no ESC reaches the terminal.
    CHECK(usage_message({"proc", "-e", "\x1b[31mred"}).find('\x1b') == std::string::npos);
    CHECK(usage_message({"proc", "-e", "\x1b[31mred,"}).find('\x1b') == std::string::npos);
    CHECK(usage_message({"doctor", "-e", "proc.exec"}) ==
          "doctor: -e/--events is for tracing; doctor takes -j/--json, -o/--output, -v/--verbose");
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

TEST_CASE("Errors: every bad command line is one line naming the flag, the value and what is accepted; exit 2")
{
    const std::string no_pid = unused_pid();
    struct Case {
        std::vector<std::string> args;
        std::string line;  // stderr, whole
    };
    const std::string pids = "give process ids such as 1234 or 12,34";
    const std::string durations =
        "give a whole number and a unit, ns, us, ms, s, m or h, such as 500ms, 10s, 2m (a bare number is seconds)";
    const Case cases[] = {
        // The examples.
        {{"net", "-p", ""}, "--pid: '' is empty (pgrep found nothing?); " + pids},
        {{"net", "-p", "nginx"}, "--pid: 'nginx' is not a process id; " + pids + " (by name: --comm nginx)"},
        {{"-p", "nginx", "net"}, "--pid: 'nginx' is not a process id; " + pids + " (by name: --comm nginx)"},
        {{"proc", "-p", "12,x"}, "--pid: '12,x' has 'x', not a process id; " + pids},
        {{"proc", "-p", "0"}, "--pid: '0' is not a process id; " + pids},
        // $(pgrep -l nginx): the value is shown on one line, escaped.
        {{"proc", "-p", "1 nginx\n2 nginx"}, "--pid: '1 nginx\\n2 nginx' has 'nginx', not a process id; " + pids},
        {{"proc", "-p", " \n"}, "--pid: ' \\n' is empty (pgrep found nothing?); " + pids},
        {{"proc", "-p", no_pid}, "--pid: no process " + no_pid},
        {{"proc", "-p", "1," + no_pid}, "--pid: no process " + no_pid},
        {{"proc", "-u", "no-such-user"},
         "--uid: 'no-such-user' is not a user on this host; give a user name from the password database or a uid "
         "such as 1000"},
        {{"proc", "--count", "-1"}, "--count: '-1' is negative; give a whole number of events, 0 (no limit) or more"},
        {{"proc", "-n", "1.5"},
         "--count: '1.5' is not a whole number; give a whole number of events, 0 (no limit) or more"},
        {{"proc", "--rate-limit", "1k"},
         "--rate-limit: '1k' is not a whole number; give events per second from 0 (off) to 1000000000"},
        {{"proc", "--rate-limit", "2000000000"},
         "--rate-limit: '2000000000' is too large; give events per second from 0 (off) to 1000000000"},
        {{"proc", "--pid"}, "--pid: needs a value; " + pids},
        {{"proc", "--max-args", "65"}, "--max-args: '65' is too large; give a whole number from 1 to 64"},
        {{"proc", "--syscalls-top", "0"}, "--syscalls-top: '0' is too small; give a whole number, 1 or more"},
        {{"net", "--port", "70000"}, "--port: '70000' is too large; give a port from 1 to 65535"},
        {{"net", "--port", "http"}, "--port: 'http' is not a number; give a port from 1 to 65535"},
        {{"prco"}, "'prco' is not a subcommand; did you mean proc?"},
        {{"-j", "nte"}, "'nte' is not a subcommand; did you mean net?"},
        {{"frobnicate"}, "'frobnicate' is not a subcommand; use proc, net, file, mem, all, doctor, schema or help"},
        {{}, "a subcommand is missing; use proc, net, file, mem, all, doctor, schema or help (tapio-trace help)"},
        {{"help", "prco"}, "help: 'prco' is not a subcommand; did you mean proc?"},
        {{"proc", "--port", "80"}, "proc: --port belongs to net; use tapio-trace net --port 80, or all"},
        {{"proc", "--min-latency", "5ms"}, "proc: --min-latency belongs to file and mem; use one of them, or all"},
        {{"net", "--no-proc"}, "net: --no-proc belongs to all; use tapio-trace all --no-proc"},
        {{"proc", "--thread"}, "proc: --thread is not an option; did you mean --threads?"},
        {{"proc", "--bogus"}, "proc: --bogus is not an option; see tapio-trace help proc"},
        {{"proc", "net"},
         "proc: one subcommand at a time, not 'net' too; for several areas use all (--no-AREA leaves "
         "one out)"},
        {{"proc", "foo"}, "proc: 'foo' is not expected; proc takes only options (tapio-trace help proc)"},
        {{"--json", "-o", "table", "proc"}, "--output: 'table' contradicts --json; give one of them"},
        {{"proc", "-o", "yaml"}, "--output: 'yaml' is not a choice; use table or json"},
        {{"net", "-4", "-6"}, "--ipv4 and --ipv6 exclude each other; give one of them"},
        {{"doctor", "-p", "1"}, "doctor: -p/--pid is for tracing; doctor takes -j/--json, -o/--output, -v/--verbose"},
        {{"-p", "1", "doctor"}, "doctor: -p/--pid is for tracing; doctor takes -j/--json, -o/--output, -v/--verbose"},
        {{"doctor", "--port", "80"}, "doctor: --port belongs to net; use tapio-trace net --port 80, or all"},
        {{"schema", "-j"}, "schema: -j/--json is not for schema; schema takes no options"},
        // Durations: one rule, and each flag's zero.
        {{"proc", "-d", "soon"}, "--duration: 'soon' is not a duration; " + durations},
        {{"proc", "-d", "0"}, "--duration: '0' would stop at once; give a duration above 0, such as 500ms, 10s, 2m"},
        {{"file", "--min-latency", "0"},
         "--min-latency: '0' would turn file.slow off, the one thing it asks for; give a duration above 0, such as "
         "500us, 10ms, 1s"},
        {{"proc", "--sampling-interval", "1ms"},
         "--sampling-interval: '1ms' is below 10ms; give 10ms or more, such as 1s, 10s"},
        {{"proc", "--ring-buffer-size", "3M"},
         "--ring-buffer-size: '3M' is not a power of two; give a power of two from 4K (the page size) to 1G, such as "
         "4M, 16M"},
        {{"mem", "--min-size", "lots"},
         "--min-size: 'lots' is not a size; give bytes or a binary unit, such as 4K, 1M, 64MiB"},
        {{"mem", "--pressure-threshold", "0"},
         "--pressure-threshold: '0' is too small; give a percentage above 0 and at most 100, such as 10, 12.5, 20%"},
        // Input that must be refused (issue 13): an empty value never turns a
        // filter off, and numbers follow one rule.
        {{"proc", "--comm", ""}, "--comm: '' is empty; give a command name of at most 15 characters"},
        {{"proc", "-n", "99999999999999999999999"},
         "--count: '99999999999999999999999' is too large; give a whole number of events, 0 (no limit) or more, "
         "at most 18446744073709551615"},
        {{"proc", "-n", "18446744073709551616"},
         "--count: '18446744073709551616' is too large; give a whole number of events, 0 (no limit) or more, at "
         "most 18446744073709551615"},
        {{"proc", "--sample", "4294967296"},
         "--sample: '4294967296' is too large; give a whole number, 0 or more (0 and 1 keep every event), at most "
         "4294967295"},
        {{"net", "--port", "99999999999999999999"},
         "--port: '99999999999999999999' is too large; give a port from 1 to 65535"},
        {{"file", "--top", "99999999999999999999"},
         "--top: '99999999999999999999' is too large; give a whole number of rows, 0 (off) or more, at most "
         "4294967295"},
        {{"proc", "-n", "0x10"},
         "--count: '0x10' is not a whole number; give a whole number of events, 0 (no limit) or more"},
        {{"proc", "-n", "+5"},
         "--count: '+5' is not a whole number; give a whole number of events, 0 (no limit) or more"},
        {{"proc", "-n", " 5"},
         "--count: ' 5' is not a whole number; give a whole number of events, 0 (no limit) or more"},
        {{"proc", "-d", "99999999999999999999"},
         "--duration: '99999999999999999999' is too large; give at most 2562047h (292 years), such as 500ms, 10s, 2m"},
        {{"proc", "-d", "9999999h"},
         "--duration: '9999999h' is too large; give at most 2562047h (292 years), such as 500ms, 10s, 2m"},
        {{"proc", "--ring-buffer-size", "99999999999999999999G"},
         "--ring-buffer-size: '99999999999999999999G' is too large; give a power of two from 4K (the page size) to "
         "1G, such as 4M, 16M"},
        {{"proc", "--ring-buffer-size", "2G"},
         "--ring-buffer-size: '2G' is too large; give a power of two from 4K (the page size) to 1G, such as 4M, 16M"},
        {{"mem", "--min-size", "99999999999999999999"},
         "--min-size: '99999999999999999999' is too large; give at most 17179869183G (16 EiB), such as 4K, 1M, "
         "64MiB"},
        {{"mem", "--pressure-threshold", "99999999999999999999.5"},
         "--pressure-threshold: '99999999999999999999.5' is too large; give a percentage above 0 and at most 100, "
         "such as 10, 12.5, 20%"},
        {{"file", "--path", "x"},
         "--path: 'x' is a relative path, and the kernel compares absolute paths; give one that starts with /, such "
         "as " +
             cwd_prefix("x")},
        {{"proc", "-p", std::to_string(pid_max())},
         fmt::format("--pid: '{}' is above the largest process id, {} (/proc/sys/kernel/pid_max is {}); {}", pid_max(),
                     pid_max() - 1, pid_max(), pids)},
        {{"proc", "-p", "99999999999999999999999"},
         fmt::format("--pid: '99999999999999999999999' is above the largest process id, {} (/proc/sys/kernel/pid_max "
                     "is {}); {}",
                     pid_max() - 1, pid_max(), pids)},
        {{"proc", "-p", "1,99999999"},
         fmt::format("--pid: '1,99999999' has '99999999', above the largest process id, {} "
                     "(/proc/sys/kernel/pid_max is {}); {}",
                     pid_max() - 1, pid_max(), pids)},
        {{"proc", "--comm", "sixteen-chars-xx"},
         "--comm: 'sixteen-chars-xx' is longer than the 15 characters the kernel keeps; give at most 15, such as "
         "'sixteen-chars-x'"},
    };
    for (const Case& c : cases) {
        std::string joined;
        for (const auto& a : c.args)
            joined += " " + a;
        CAPTURE(joined);
        auto [code, text] = run_stderr(c.args);
        CHECK(code == 2);
        CHECK(text == "tapio-trace: " + c.line + "\n");
    }
}

TEST_CASE("an empty value is a usage error for every flag that takes a value, never a filter turned off")
{
    REQUIRE(parse({"all"}));  // every flag registered
    for (const auto& [flag, accepted] : tapio::cli::accepted_by_flag()) {
        CAPTURE(flag);
        // all takes every tracing flag; -o, -j, -v are global.
        auto [code, text] = run_stderr({"all", flag, ""});
        CHECK(code == 2);
        CHECK(text.rfind("tapio-trace: " + flag + ": '' ", 0) == 0);
    }
}

TEST_CASE("--path: absolute prefixes only; the example is the prefix under the cwd")
{
    CHECK(parse({"file", "--path", "/etc/"})->options.config.file.paths == std::vector<std::string>{"/etc/"});
    for (const char* relative : {"x", "./x", "etc/", "../x", "."}) {
        CAPTURE(relative);
        std::string line = usage_message({"file", "--path", relative});
        CHECK(line.find("is a relative path, and the kernel compares absolute paths; give one that starts with /") !=
              std::string::npos);
    }
    CHECK(usage_message({"file", "--path", "./x"}).find("such as " + cwd_prefix("x")) != std::string::npos);
    CHECK(usage_message({"file", "--path", "../x"}).find("such as /etc/") != std::string::npos);
    CHECK(failure({"all", "--path", "x"}) == ExitCode::usage);
}

TEST_CASE("-u takes a user name or a uid; -p takes comma lists and repeats")
{
    CHECK(parse({"proc", "-u", "nobody"})->options.config.uid == 65534u);
    CHECK(parse({"proc", "-u", "root"})->options.config.uid == 0u);
    CHECK(parse({"proc", "--uid", "1234"})->options.config.uid == 1234u);
    const uint32_t self = static_cast<uint32_t>(getpid());
    auto a = parse({"-p", "1," + std::to_string(self), "net", "-p", "1"});
    REQUIRE(a);
    CHECK(a->options.config.pids == std::vector<uint32_t>{1, self, 1});
    // What $(pgrep NAME) gives for several processes: one per line.
    auto b = parse({"proc", "-p", "1\n" + std::to_string(self) + "\n"});
    REQUIRE(b);
    CHECK(b->options.config.pids == std::vector<uint32_t>{1, self});
}

TEST_CASE("global flags work after every tracing subcommand, and zeroes mean what the man page says")
{
    for (const char* sub : {"proc", "net", "file", "mem", "all"}) {
        CAPTURE(sub);
        auto a = parse({sub, "-p", "1", "-j", "-n", "0", "--rate-limit", "0", "--sample", "0"});
        REQUIRE(a);
        CHECK(a->options.output == "json");
        CHECK(a->options.count == 0);
        CHECK(a->options.config.pids == std::vector<uint32_t>{1});
    }
    auto b = parse({"-p", "1", "net", "--port", "80"});
    REQUIRE(b);
    CHECK(b->options.config.net.port == 80);
    CHECK(parse({"--json", "-o", "json", "proc"})->options.output == "json");
    CHECK(parse({"proc"})->options.output == "table");
    CHECK(parse({"proc", "-d", "5"})->duration == std::chrono::seconds(5));
    CHECK(parse({"doctor", "-j", "-v"})->options.output == "json");
    CHECK(parse({"-o", "json", "doctor"})->options.output == "json");
    CHECK(parse({"file", "--top", "0"})->options.config.file.top == 0);
}

TEST_CASE("help, help SUBCOMMAND and SUBCOMMAND --help")
{
    auto printed = [](std::vector<std::string> args) {
        return captured(STDOUT_FILENO, [&] { CHECK_FALSE(parse(args)); });
    };
    std::string top = printed({"--help"});
    CHECK(top.find("Subcommands:") != std::string::npos);
    CHECK(printed({"help"}) == top);
    for (const char* sub : {"proc", "net", "file", "mem", "all", "doctor", "schema"}) {
        CAPTURE(sub);
        std::string own = printed({sub, "--help"});
        CHECK(own.find(std::string("tapio-trace ") + sub) != std::string::npos);
        CHECK(printed({"help", sub}) == own);
    }
    // Each tracing subcommand lists its own flags and the global ones;
    // doctor only what doctor takes.
    std::string net = printed({"net", "--help"});
    CHECK(net.find("--port") != std::string::npos);
    CHECK(net.find("--pid") != std::string::npos);
    CHECK(net.find("--rate-limit") != std::string::npos);
    std::string doctor = printed({"doctor", "--help"});
    CHECK(doctor.find("--json") != std::string::npos);
    CHECK(doctor.find("--pid") == std::string::npos);
    CHECK(doctor.find("--rate-limit") == std::string::npos);
}
