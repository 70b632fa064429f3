// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The global flags, accepted before or after the subcommand, and the checks
// that turn them into a tapio::Config.
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "cli.h"

#include <cstdlib>
#include "tapio/errors.h"
#include "parse.h"
#include "probes.h"
#include "select.h"

namespace tapio::cli {

void add_global_flags(CLI::App& app, Options& o)
{
    app.add_flag("-j,--json", o.json, "Print one JSON object per line (same as -o json)");
    app.add_option("-o,--output", o.output, "Output format: table (default) or json");
    app.add_option("-p,--pid", o.pids, "Only this process and its threads (repeatable)")
        ->type_name("PID")
        ->check(CLI::NonNegativeNumber);
    app.add_flag("--children", o.children,
                 "With -p: also every process they fork after the start, and theirs (followed in the kernel)");
    app.add_option("-e,--events", o.events,
                   "Only these record types: a comma-separated list of types or globs (proc.exec,net.close,file.*)")
        ->type_name("LIST");
    app.add_option("--comm", o.comm, "Only tasks whose command name is NAME")->type_name("NAME");
    app.add_option("-u,--uid", o.uid, "Only tasks running as UID")->type_name("UID")->check(CLI::NonNegativeNumber);
    app.add_option("--cgroup", o.cgroup, "Only tasks in this cgroup v2 directory and below")->type_name("PATH");
    app.add_flag("-x,--failed", o.failed_only, "Only failed operations");
    app.add_option("-d,--duration", o.duration, "Stop after DUR (500ms, 10s, 2m)")->type_name("DUR");
    app.add_option("-n,--count", o.count, "Stop after N events")->type_name("N")->check(CLI::NonNegativeNumber);
    app.add_option("--rate-limit", o.rate_limit, "At most N events per second, in the kernel (0 = off)")
        ->type_name("N")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--sample", o.sample, "Keep 1 in N events, in the kernel")
        ->type_name("N")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--sampling-interval", o.sampling_interval, "Interval of periodic summaries (default 1s)")
        ->type_name("DUR");
    app.add_option("--ring-buffer-size", o.ring_buffer_size, "Ring buffer size, a power of two (default 16M)")
        ->type_name("SIZE");
    app.add_flag("-v,--verbose", o.verbose, "Report what attached how, and libbpf's log, on stderr");
    app.add_option("--color", o.color, "Colour in the table: never, auto (default: a terminal, NO_COLOR unset), always")
        ->type_name("WHEN");
    app.add_option("--time", o.time, "The table's TIME: local (default), utc, rfc3339, relative")->type_name("MODE");
}

void add_min_latency_flag(CLI::App& sub, std::function<void(std::chrono::nanoseconds)> set, bool zero_allowed,
                          const std::string& help)
{
    sub.add_option_function<std::string>(
           "--min-latency",
           [set = std::move(set), zero_allowed](const std::string& text) {
               auto d = parse_duration(text);
               if (!d)
                   throw Error(ExitCode::usage,
                               fmt::format("--min-latency: '{}' is not a duration: a whole number of ns, us, ms, "
                                           "s (the default), m or h, such as 500us, 10ms, 1s",
                                           text));
               if (d->count() == 0 && !zero_allowed)
                   throw Error(ExitCode::usage,
                               fmt::format("--min-latency: '{}' would turn file.slow off: give a duration above 0, "
                                           "such as 500us, 10ms, 1s",
                                           text));
               set(*d);
           },
           help)
        ->type_name("DUR");
}

namespace {

[[noreturn]] void usage(const std::string& what)
{
    throw Error(ExitCode::usage, what);
}

// TAPIO_MAP_ENTRIES: "N" sizes every pending and summary map, "name=N,..."
// only the maps named.
void parse_map_entries(const std::string& spec, Config& c)
{
    auto number = [&](const std::string& text) {
        char* end = nullptr;
        unsigned long n = strtoul(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || n == 0 || n > (1u << 20))
            usage(fmt::format("TAPIO_MAP_ENTRIES: '{}' is not N or name=N,... with N from 1 to 1048576", spec));
        return static_cast<uint32_t>(n);
    };
    if (spec.find('=') == std::string::npos) {
        c.map_entries = number(spec);
        return;
    }
    size_t start = 0;
    while (start <= spec.size()) {
        size_t comma = spec.find(',', start);
        std::string item = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        size_t eq = item.find('=');
        if (eq == std::string::npos || eq == 0)
            number("");  // reports the whole spec
        c.map_entries_by_name.emplace_back(item.substr(0, eq), number(item.substr(eq + 1)));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
}

// -e/--events: every item a type or glob of an area traced, and a type
// named outright made by the options given.
void check_events(const Options& o, Config& c)
{
    if (!o.events.empty() && c.areas.empty())
        usage(fmt::format("--events: '{}' chooses records of a trace; use it with proc, net, file, mem or all",
                          o.events.front()));
    for (const std::string& arg : o.events) {
        size_t start = 0;
        while (true) {
            size_t comma = arg.find(',', start);
            std::string item = arg.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (item.empty())
                usage(
                    fmt::format("--events: '{}' has an empty item; use record types or globs separated by "
                                "commas, such as proc.exec,file.*",
                                arg));
            c.events.push_back(item);
            if (comma == std::string::npos)
                break;
            start = comma + 1;
        }
    }
    chosen_records(c);  // a pattern that matches nothing: "did you mean"
    std::string asked;
    for (Area area : c.areas)
        asked += (asked.empty() ? "" : ", ") + std::string(area_name(area));
    for (const std::string& pattern : c.events) {
        bool traced = false;
        for (const RecordSpec* r : records_matching(pattern))
            traced |= std::any_of(c.areas.begin(), c.areas.end(), [&](Area a) { return r->area == area_name(a); });
        if (!traced)
            usage(fmt::format("--events: '{}' is not a record of {}; give types of {} (or use tapio-trace all)",
                              pattern, c.areas.size() == 1 ? o.subcommand : "the areas traced", asked));
        // A type named outright whose records its options leave off.
        struct Needs {
            std::string_view type;
            bool off;
            std::string_view flag;
        };
        const Needs needs[] = {
            {"proc.syscalls", !c.proc.syscalls, "--syscalls"},
            {"file.slow", c.file.min_latency.count() == 0, "--min-latency DUR"},
            {"file.io", c.file.top == 0, "--top N"},
            {"net.drop", !c.net.drops, "--drops"},
            {"net.state", !c.net.states, "--states"},
            {"mem.pressure", !c.mem.pressure, "no --no-pressure"},
        };
        for (const Needs& n : needs)
            if (pattern == n.type && n.off)
                usage(fmt::format("--events: '{}' is made only with {}; add it, or leave {} out", pattern, n.flag,
                                  pattern));
    }
}

}  // namespace

Invocation finish(Options o)
{
    Invocation inv;
    Config& c = o.config;

    if (o.json)
        o.output = "json";
    if (o.output != "table" && o.output != "json")
        usage(fmt::format("--output: '{}' is not a format (use table or json)", o.output));

    for (uint32_t pid : o.pids)
        if (pid == 0)
            usage("--pid: 0 is not a process id");
    if (o.pids.size() > limits::pids)
        usage(fmt::format("--pid: at most {} processes", limits::pids));
    c.pids = o.pids;
    if (o.children && o.pids.empty())
        usage("--children: needs -p PID; it follows the processes -p names and every process they fork");
    c.children = o.children;
    if (o.comm.size() > limits::comm_length)
        usage(
            fmt::format("--comm: '{}' is longer than the {} characters the kernel keeps", o.comm, limits::comm_length));
    c.comm = o.comm;
    c.uid = o.uid;
    c.cgroup_path = o.cgroup;
    c.failed_only = o.failed_only;

    if (!o.duration.empty()) {
        auto d = parse_duration(o.duration);
        if (!d || d->count() == 0)
            usage(fmt::format("--duration: '{}' is not a duration (use 500ms, 10s, 2m)", o.duration));
        inv.duration = *d;
    }
    c.rate_limit = o.rate_limit;
    if (o.rate_limit > 1000000000ULL)
        usage("--rate-limit: at most 1000000000 events per second");
    c.sample = o.sample;

    auto interval = parse_duration(o.sampling_interval);
    if (!interval || interval->count() < 10000000)
        usage(fmt::format("--sampling-interval: '{}' is not a duration of at least 10ms", o.sampling_interval));
    c.sampling_interval = *interval;

    auto size = parse_size(o.ring_buffer_size);
    const auto page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    if (!size || *size < page || (*size & (*size - 1)) != 0 || *size > (1ULL << 30))
        usage(fmt::format("--ring-buffer-size: '{}' is not a power of two between the page size ({}K) and 1G",
                          o.ring_buffer_size, page / 1024));
    c.ring_buffer_size = *size;
    c.verbose = o.verbose;
    if (o.color != "never" && o.color != "auto" && o.color != "always")
        usage(fmt::format("--color: '{}' is not a choice; use never, auto or always", o.color));
    if (o.time == "local")
        inv.table.time = TimeMode::local;
    else if (o.time == "utc")
        inv.table.time = TimeMode::utc;
    else if (o.time == "rfc3339")
        inv.table.time = TimeMode::rfc3339;
    else if (o.time == "relative")
        inv.table.time = TimeMode::relative;
    else
        usage(fmt::format("--time: '{}' is not a choice; use local, utc, rfc3339 or relative", o.time));
    if (const char* entries = getenv("TAPIO_MAP_ENTRIES"))
        parse_map_entries(entries, c);

    if (o.subcommand == "all") {
        c.areas.clear();
        for (Area area : all_areas)
            if (std::find(o.left_out.begin(), o.left_out.end(), area) == o.left_out.end() && area_built(area))
                c.areas.push_back(area);
        if (c.areas.empty())
            usage("all: every area is turned off");
    }
    if (c.proc.max_args == 0 || c.proc.max_args > limits::exec_args)
        usage(fmt::format("--max-args: must be between 1 and {}", limits::exec_args));
    if (c.proc.syscalls_top == 0)
        usage("--syscalls-top: must be at least 1");
    check_events(o, c);

    inv.options = std::move(o);
    return inv;
}

}  // namespace tapio::cli
