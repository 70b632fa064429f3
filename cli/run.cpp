// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Parsing the command line and running a trace.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli.h"
#include "tapio/collector.h"
#include "tapio/errors.h"
#include "decode.h"
#include "tapio/writer.h"

namespace tapio::cli {

std::unique_ptr<CLI::App> build_app(Options& o)
{
    auto app = std::make_unique<CLI::App>("tapio-trace: eBPF tracing for incidents: processes, network, files, memory",
                                          "tapio-trace");
    app->set_version_flag("--version", std::string("tapio-trace ") + TAPIO_VERSION);
    app->require_subcommand(1);
    app->fallthrough();
    add_global_flags(*app, o);
    register_proc(*app, o);
    register_net(*app, o);
    register_file(*app, o);
    register_mem(*app, o);
    register_all(*app, o);
    register_doctor(*app, o);
    register_schema(*app, o);
    return app;
}

std::optional<Invocation> parse(int argc, const char* const* argv)
{
    Options o;
    auto app_ptr = build_app(o);
    CLI::App& app = *app_ptr;
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        fmt::print("{}", app.help());
        return std::nullopt;
    } catch (const CLI::CallForAllHelp&) {
        fmt::print("{}", app.help("", CLI::AppFormatMode::All));
        return std::nullopt;
    } catch (const CLI::CallForVersion&) {
        fmt::print("tapio-trace {}\n", TAPIO_VERSION);
        return std::nullopt;
    } catch (const CLI::ParseError& e) {
        std::string what = e.what();
        if (what.empty())
            what = "bad command line";
        throw Error(ExitCode::usage, what);
    }
    // CLI11 calls a subcommand's help itself: catch "proc --help" too.
    return finish(std::move(o));
}

namespace {

Collector* volatile active_collector = nullptr;

void on_stop_signal(int)
{
    if (active_collector)
        active_collector->stop();
}

// Points the signal handler at the running collector for as long as it
// lives, on every exit path.
struct ActiveCollector {
    explicit ActiveCollector(Collector& c) { active_collector = &c; }
    ~ActiveCollector() { active_collector = nullptr; }
    ActiveCollector(const ActiveCollector&) = delete;
    ActiveCollector& operator=(const ActiveCollector&) = delete;
};

// Points stdout at /dev/null: whoever reads our output sees its end.
void release_stdout()
{
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull < 0)
        return;
    dup2(devnull, STDOUT_FILENO);
    close(devnull);
}

void exit_now(int)
{
    _exit(0);
}

void install_exit_now_handlers()
{
    struct sigaction sa {};
    sa.sa_handler = exit_now;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

void install_signal_handlers()
{
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: epoll_wait must return EINTR
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    // A closed pipe shows up as EPIPE from write(); end quietly then.
    signal(SIGPIPE, SIG_IGN);
}

bool output_closed(void* ctx)
{
    return static_cast<Output*>(ctx)->closed();
}

void report_hooks(const Health& h)
{
    for (const HookStatus& s : h.hooks) {
        std::string serves;
        if (!s.syscalls.empty())
            serves = fmt::format(" for {}", fmt::join(s.syscalls, " "));
        if (s.state == HookState::attached)
            fmt::print(stderr, "tapio-trace: {}: {} attached ({}{}{}){}\n", s.area, s.hook, s.how,
                       s.reason.empty() ? "" : "; ", s.reason, serves);
        else
            fmt::print(stderr, "tapio-trace: {}: {} {}{}{}\n", s.area, s.hook, hook_state_name(s.state),
                       s.reason.empty() ? "" : ": ", s.reason);
    }
}

void report_tracefs(const TracefsStatus& t)
{
    if (!t.problem.empty())
        fmt::print(stderr, "tapio-trace: {}\n", t.problem);
    else if (t.mounted)
        fmt::print(stderr, "tapio-trace: tracefs was not mounted; mounted it on {}\n", t.dir);
    else
        fmt::print(stderr, "tapio-trace: tracefs at {}\n", t.dir);
}

void summarize(const Health& h, bool verbose)
{
    DropCount all = h.dropped();
    uint64_t lost = all.lost, limited = all.rate_limited, sampled = all.sampled_out, map_full = all.map_full;
    if (!verbose && lost + limited + sampled + map_full + h.decode_errors == 0)
        return;
    fmt::print(stderr, "tapio-trace: {} events; {} lost, {} rate-limited, {} sampled out, {} missed (kernel map full)",
               h.events, lost, limited, sampled, map_full);
    if (h.decode_errors)
        fmt::print(stderr, "; {} records did not match this build's layout (BPF objects and binary out of step?)",
                   h.decode_errors);
    fmt::print(stderr, "\n");
}

// "tapio-trace: tracing proc, net (25 hooks) for 5s; Ctrl-C to end", the
// moment the hooks are in, so a quiet host still says it is working.
void announce(const Config& config, const Health& h, const Invocation& inv)
{
    std::string areas;
    for (Area area : config.areas)
        areas += fmt::format("{}{}", areas.empty() ? "" : ", ", area_name(area));
    size_t attached = 0;
    for (const HookStatus& s : h.hooks)
        attached += s.state == HookState::attached;
    std::string limits;
    if (inv.duration) {
        auto ns = static_cast<uint64_t>(inv.duration->count());
        constexpr std::pair<uint64_t, const char*> units[] = {
            {3600000000000ULL, "h"}, {60000000000ULL, "m"}, {1000000000, "s"}, {1000000, "ms"}, {1000, "us"}};
        std::string text = fmt::format("{}ns", ns);
        for (const auto& [size, name] : units)
            if (ns % size == 0) {
                text = fmt::format("{}{}", ns / size, name);
                break;
            }
        limits += " for " + text;
    }
    if (inv.options.count)
        limits += fmt::format("{} up to {} events", inv.duration ? "," : "", inv.options.count);
    fmt::print(stderr, "tapio-trace: tracing {} ({} hook{}){}; Ctrl-C to end\n", areas, attached,
               attached == 1 ? "" : "s", limits);
}

// The table on this fd: its width when it is a terminal; colour as --color
// says (auto: a terminal, and NO_COLOR unset or empty).
TableOptions table_options(const Invocation& inv, int fd, bool several_areas)
{
    TableOptions t = inv.table;
    bool terminal = isatty(fd) == 1;
    if (terminal)
        t.width_fd = fd;
    const char* no_color = getenv("NO_COLOR");
    bool auto_color = terminal && (no_color == nullptr || *no_color == '\0');
    t.color = inv.options.color == "always" || (inv.options.color == "auto" && auto_color);
    t.areas_shown = several_areas;
    return t;
}

}  // namespace

LogCallback stderr_log(bool verbose)
{
    return [verbose](const LogMessage& m) {
        if (m.origin == "libbpf") {
            // libbpf's own log, only with -v; its text starts with "libbpf: ".
            if (verbose)
                fmt::print(stderr, "{}\n", m.text);
        } else if (m.level == LogLevel::warning || verbose) {
            fmt::print(stderr, "tapio-trace: {}: {}\n", m.origin, m.text);
        }
    };
}

int run_trace(const Invocation& inv)
{
    const Options& o = inv.options;
    auto started = std::chrono::steady_clock::now();

    Config config = o.config;
    config.log = stderr_log(o.verbose);
    Collector collector(std::move(config));
    ActiveCollector active(collector);
    install_signal_handlers();
    collector.start();

    Health h = collector.health();
    if (o.verbose) {
        report_tracefs(h.tracefs);
        report_hooks(h);
        auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        size_t attached = 0;
        for (const HookStatus& s : h.hooks)
            attached += s.state == HookState::attached;
        const AreaTiming& t = h.timing;
        fmt::print(stderr, "tapio-trace: open {:.1f} ms, load {:.1f} ms{}, attach {:.1f} ms\n", t.open_ms, t.load_ms,
                   t.loads > 1 ? fmt::format(" ({} tries)", t.loads) : "", t.attach_ms);
        fmt::print(stderr, "tapio-trace: ready: {} hooks attached in {:.1f} ms\n", attached, ms);
    }

    // For the operator at a terminal (and with -v); a script's stderr stays
    // for errors: `| head -1` ends quietly, a failure is one line.
    if (o.verbose || isatty(STDERR_FILENO) == 1)
        announce(o.config, h, inv);

    Output out(STDOUT_FILENO);
    JsonWriter json(out, collector.clock());
    TableOptions table_opts = table_options(inv, STDOUT_FILENO, o.config.areas.size() > 1);
    table_opts.start_wall_ns = collector.clock().to_wall_ns(boot_time_ns());
    TableWriter table(out, collector.clock(), table_opts);
    RecordSink& sink = o.output == "json" ? static_cast<RecordSink&>(json) : static_cast<RecordSink&>(table);
    if (o.output != "json") {
        // The header at once, not with the first record.
        table.header();
        out.flush();
    }

    RunLimits limits;
    limits.duration = inv.duration;
    limits.max_events = o.count;
    StopReason why = collector.run(sink, limits, output_closed, &out);
    // Detaching takes a while (an RCU grace period per tracepoint): a second
    // SIGINT or SIGTERM from here on ends the process at once.
    install_exit_now_handlers();
    if (out.error())
        throw Error(ExitCode::runtime, fmt::format("cannot write the output: {}", strerror(out.error())));
    if (why != StopReason::output_closed)
        summarize(collector.health(), o.verbose);
    // The output is complete. Detaching (when the collector goes) can wait
    // for the kernel; end stdout first so `| jq`, `| head` and a runbook
    // reading it see the end now.
    release_stdout();
    return 0;
}

int run(int argc, const char* const* argv)
{
    try {
        auto inv = parse(argc, argv);
        if (!inv)
            return 0;
        if (inv->options.command == Command::doctor)
            return run_doctor(*inv);
        if (inv->options.command == Command::schema)
            return run_schema(*inv);
        return run_trace(*inv);
    } catch (const Error& e) {
        fmt::print(stderr, "tapio-trace: {}\n", e.what());
        return static_cast<int>(e.code());
    } catch (const std::exception& e) {
        fmt::print(stderr, "tapio-trace: {}\n", e.what());
        return static_cast<int>(ExitCode::runtime);
    }
}

}  // namespace tapio::cli
