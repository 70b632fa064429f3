// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The global flags, accepted before or after the subcommand, and the checks
// that turn them into a tapio::Config.
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>

#include <fmt/format.h>

#include "cli.h"

#include <cstdlib>
#include "tapio/errors.h"
#include "parse.h"
#include "probes.h"
#include "select.h"

namespace tapio::cli {

void add_output_flags(CLI::App& app, Options& o)
{
    app.add_flag("-j,--json", o.json, "Print one JSON object per line (same as -o json)")->group("Global options");
    add_choice(app, "-o,--output", o.output, {"table", "json"}, "Output format: table (default) or json")
        ->group("Global options");
    app.add_flag("-v,--verbose", o.verbose, "Report what attached how, and libbpf's log, on stderr")
        ->group("Global options");
}

void add_global_flags(CLI::App& app, Options& o)
{
    add_output_flags(app, o);
    Config& c = o.config;
    const std::string group = "Global options";
    add_value(
        app, "-p,--pid", "PID",
        "Only these processes and their threads (repeatable; 12,34 or one per line as pgrep prints them)",
        "give process ids such as 1234 or 12,34",
        [&o](const std::string& flag, const std::string& text) {
            for (uint32_t pid : parse_pid_list(flag, text))
                o.pids.push_back(pid);
        },
        true)
        ->group(group);
    add_value(app, "--comm", "NAME", "Only tasks whose command name is NAME",
              fmt::format("give a command name of at most {} characters", limits::comm_length),
              [&o](const std::string& flag, const std::string& text) {
                  // "" would be no filter at all, not the tasks without a name.
                  if (text.empty())
                      bad_value(flag, text, "is empty",
                                fmt::format("give a command name of at most {} characters", limits::comm_length));
                  if (text.size() > limits::comm_length)
                      bad_value(flag, text,
                                fmt::format("is longer than the {} characters the kernel keeps", limits::comm_length),
                                fmt::format("give at most {}, such as '{}'", limits::comm_length,
                                            shown(text.substr(0, limits::comm_length))));
                  o.comm = text;
              })
        ->group(group);
    add_value(app, "-u,--uid", "USER", "Only tasks running as USER, a name or a uid",
              "give a user name from the password database or a uid such as 1000",
              [&o](const std::string& flag, const std::string& text) { o.uid = parse_user(flag, text); })
        ->group(group);
    add_value(app, "--cgroup", "PATH",
              "Only tasks in this cgroup directory and below (cgroup v2; or a v1 controller's, on hybrid hosts)",
              "give a cgroup v2 directory, such as /sys/fs/cgroup/system.slice",
              [&o](const std::string& flag, const std::string& text) {
                  if (text.empty())
                      bad_value(flag, text, "is empty",
                                "give a cgroup v2 directory, such as /sys/fs/cgroup/system.slice");
                  o.cgroup = text;
              })
        ->group(group);
    add_value(app, "--container", "ID", "Only tasks in containers whose id starts with ID (docker ps, crictl ps)",
              "give a container id or its start, such as 3f4e1a2b9c0d",
              [&c](const std::string& flag, const std::string& text) {
                  const std::string accepted = "give a container id or its start, such as 3f4e1a2b9c0d";
                  if (text.empty())
                      bad_value(flag, text, "is empty", accepted);
                  if (text.find('/') != std::string::npos || text.find('\0') != std::string::npos)
                      bad_value(flag, text, "is not a container id", accepted + " (by cgroup: --cgroup PATH)");
                  c.containers.container = text;
              })
        ->group(group);
    add_value(app, "--pod", "NAME", "Only tasks in Kubernetes pods named NAME (with --namespace: in that one)",
              "give a pod name, such as coredns-5d78c9869d-x7k2p",
              [&c](const std::string& flag, const std::string& text) {
                  if (text.empty() || text.find_first_of("/_ ") != std::string::npos)
                      bad_value(flag, text, text.empty() ? "is empty" : "is not a pod name",
                                "give a pod name, such as coredns-5d78c9869d-x7k2p");
                  c.containers.pod = text;
              })
        ->group(group);
    add_value(app, "--namespace", "NS", "Only tasks in Kubernetes pods of namespace NS",
              "give a namespace, such as kube-system",
              [&c](const std::string& flag, const std::string& text) {
                  if (text.empty() || text.find_first_of("/_ ") != std::string::npos)
                      bad_value(flag, text, text.empty() ? "is empty" : "is not a namespace",
                                "give a namespace, such as kube-system");
                  c.containers.pod_namespace = text;
              })
        ->group(group);
    app.add_flag_callback(
           "--no-enrich", [&c] { c.containers.enrich = false; },
           "No container and pod fields on records (nor the table's CONTAINER column)")
        ->group(group);
    add_value(app, "--pod-logs", "DIR",
              "kubelet's pod log directories, for pod and container names (default /var/log/pods)",
              "give a directory, such as /var/log/pods",
              [&c](const std::string& flag, const std::string& text) {
                  if (text.empty() || text[0] != '/')
                      bad_value(flag, text, text.empty() ? "is empty" : "is not an absolute path",
                                "give a directory, such as /var/log/pods");
                  c.containers.pod_logs = text;
              })
        ->group(group);
    add_value(app, "--kubelet-root", "DIR", "kubelet's state directory, for pod namespaces (default /var/lib/kubelet)",
              "give a directory, such as /var/lib/kubelet",
              [&c](const std::string& flag, const std::string& text) {
                  if (text.empty() || text[0] != '/')
                      bad_value(flag, text, text.empty() ? "is empty" : "is not an absolute path",
                                "give a directory, such as /var/lib/kubelet");
                  c.containers.kubelet_root = text;
              })
        ->group(group);
    app.add_flag("-x,--failed", o.failed_only, "Only failed operations")->group(group);
    add_value(app, "-d,--duration", "DUR", "Stop after DUR (500ms, 10s, 2m; a bare number is seconds)",
              duration_accepted,
              [&o](const std::string& flag, const std::string& text) {
                  auto d = parse_duration_value(flag, text);
                  if (d.count() == 0)
                      bad_value(flag, text, "would stop at once", "give a duration above 0, such as 500ms, 10s, 2m");
                  o.duration = d;
              })
        ->group(group);
    add_number(app, "-n,--count", o.count, 0, UINT64_MAX, "Stop after N events (0: no limit, the default)",
               "give a whole number of events, 0 (no limit) or more")
        ->group(group);
    add_number(app, "--rate-limit", c.rate_limit, 0, 1000000000, "At most N events per second, in the kernel (0 = off)",
               "give events per second from 0 (off) to 1000000000")
        ->group(group);
    app.add_flag("--limit-critical", c.limit_critical,
                 "Sample and rate-limit critical records too (OOM kills, failed connects, resets, deaths by "
                 "signal, slow reclaims)")
        ->group(group);
    add_number(app, "--sample", c.sample, 0, UINT32_MAX, "Keep 1 in N events, in the kernel (0 or 1: every event)",
               "give a whole number, 0 or more (0 and 1 keep every event)")
        ->group(group);
    add_value(app, "--sampling-interval", "DUR", "Interval of periodic summaries (default 1s, at least 10ms)",
              "give 10ms or more, such as 1s, 10s",
              [&c](const std::string& flag, const std::string& text) {
                  auto d = parse_duration_value(flag, text);
                  if (d < std::chrono::milliseconds(10))
                      bad_value(flag, text, "is below 10ms", "give 10ms or more, such as 1s, 10s");
                  c.sampling_interval = d;
              })
        ->group(group);
    add_value(app, "--ring-buffer-size", "SIZE", "Ring buffer size, a power of two (default 16M)",
              "give a power of two from the page size to 1G, such as 4M, 16M",
              [&c](const std::string& flag, const std::string& text) {
                  auto size = parse_size(text);
                  const auto page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
                  std::string accepted =
                      fmt::format("give a power of two from {}K (the page size) to 1G, such as 4M, 16M", page / 1024);
                  if (!size && too_large(text, parse_size))
                      bad_value(flag, text, "is too large", accepted);
                  if (!size)
                      bad_value(flag, text, "is not a size", accepted);
                  if ((*size & (*size - 1)) != 0)
                      bad_value(flag, text, "is not a power of two", accepted);
                  if (*size < page || *size > (1ULL << 30))
                      bad_value(flag, text, *size < page ? "is too small" : "is too large", accepted);
                  c.ring_buffer_size = *size;
              })
        ->group(group);
    app.add_flag("--children", o.children,
                 "With -p: also every process they fork after the start, and theirs (followed in the kernel)")
        ->group(group);
    add_value(
        app, "-e,--events", "LIST",
        "Only these record types: a comma-separated list of types or globs (proc.exec,net.close,file.*)",
        "give record types or globs such as proc.exec,net.close,file.* (tapio-trace schema lists them)",
        [&o](const std::string&, const std::string& text) { o.events.push_back(text); }, true)
        ->group(group);
    add_choice(app, "--color", o.color, {"never", "auto", "always"},
               "Colour in the table: never, auto (default: a terminal, NO_COLOR unset), always")
        ->group(group);
    add_choice(app, "--time", o.time, {"local", "utc", "rfc3339", "relative"},
               "The table's TIME: local (default), utc, rfc3339, relative")
        ->group(group);
}

void add_min_latency_flag(CLI::App& sub, std::function<void(std::chrono::nanoseconds)> set, bool zero_allowed,
                          const std::string& help)
{
    add_value(sub, "--min-latency", "DUR", help, duration_accepted,
              [set = std::move(set), zero_allowed](const std::string& flag, const std::string& text) {
                  auto d = parse_duration_value(flag, text);
                  if (d.count() == 0 && !zero_allowed)
                      bad_value(flag, text, "would turn file.slow off, the one thing it asks for",
                                "give a duration above 0, such as 500us, 10ms, 1s");
                  set(d);
              });
}

namespace {

// TAPIO_MAP_ENTRIES: "N" sizes every pending and summary map, "name=N,..."
// only the maps named.
void parse_map_entries(const std::string& spec, Config& c)
{
    auto number = [&](const std::string& text) {
        char* end = nullptr;
        unsigned long n = strtoul(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || n == 0 || n > (1u << 20))
            usage_error(
                fmt::format("TAPIO_MAP_ENTRIES: '{}' is not N or name=N,... with N from 1 to 1048576", shown(spec)));
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
        usage_error(fmt::format("--events: '{}' chooses records of a trace; use it with proc, net, file, mem or all",
                                shown(o.events.front())));
    for (const std::string& arg : o.events) {
        size_t start = 0;
        while (true) {
            size_t comma = arg.find(',', start);
            std::string item = arg.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (item.empty())
                usage_error(
                    fmt::format("--events: '{}' has an empty item; use record types or globs separated by "
                                "commas, such as proc.exec,file.*",
                                shown(arg)));
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
            usage_error(fmt::format("--events: '{}' is not a record of {}; give types of {} (or use tapio-trace all)",
                                    shown(pattern), c.areas.size() == 1 ? o.subcommand : "the areas traced", asked));
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
                usage_error(fmt::format("--events: '{}' is made only with {}; add it, or leave {} out", pattern, n.flag,
                                        pattern));  // pattern is a known type here
    }
}

}  // namespace

Invocation finish(Options o)
{
    Invocation inv;
    Config& c = o.config;

    if (o.json && !o.output.empty() && o.output != "json")
        usage_error(fmt::format("--output: '{}' contradicts --json; give one of them", o.output));
    if (o.json || o.output.empty())
        o.output = o.json ? "json" : "table";

    if (o.pids.size() > limits::pids)
        usage_error(fmt::format("--pid: {} processes; give at most {}", o.pids.size(), limits::pids));
    // A pid that is gone at start would filter everything out: say so.
    for (uint32_t pid : o.pids)
        if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
            usage_error(fmt::format("--pid: no process {}", pid));
    c.pids = o.pids;
    if (o.children && o.pids.empty())
        usage_error("--children: needs -p PID; it follows the processes -p names and every process they fork");
    c.children = o.children;
    c.comm = o.comm;
    c.uid = o.uid;
    c.cgroup_path = o.cgroup;
    c.failed_only = o.failed_only;
    inv.duration = o.duration;
    c.verbose = o.verbose;
    if (o.time == "local")
        inv.table.time = TimeMode::local;
    else if (o.time == "utc")
        inv.table.time = TimeMode::utc;
    else if (o.time == "rfc3339")
        inv.table.time = TimeMode::rfc3339;
    else if (o.time == "relative")
        inv.table.time = TimeMode::relative;
    else
        usage_error(fmt::format("--time: '{}' is not a choice; use local, utc, rfc3339 or relative", o.time));
    if (const char* entries = getenv("TAPIO_MAP_ENTRIES"))
        parse_map_entries(entries, c);

    if (o.subcommand == "all") {
        c.areas.clear();
        for (Area area : all_areas)
            if (std::find(o.left_out.begin(), o.left_out.end(), area) == o.left_out.end() && area_built(area))
                c.areas.push_back(area);
        if (c.areas.empty())
            usage_error(
                "all: every area is turned off; leave at least one of --no-proc, --no-net, --no-file, --no-mem out");
    }
    check_events(o, c);

    inv.options = std::move(o);
    return inv;
}

}  // namespace tapio::cli
