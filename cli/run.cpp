// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Parsing the command line and running a trace.
#include <fcntl.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <algorithm>
#include <cctype>
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
    CLI::App* help = app->add_subcommand("help", "Print this help, or a subcommand's: help SUBCOMMAND");
    help->add_option("subcommand", o.help_topic, "The subcommand to explain")->type_name("SUBCOMMAND");
    help->fallthrough(false);
    help->callback([&o] {
        o.command = Command::help;
        o.subcommand = "help";
    });
    return app;
}

namespace {

std::vector<std::string> subcommand_names(const CLI::App& app)
{
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands({}))
        names.push_back(sub->get_name());
    return names;
}

// "proc, net, file or help"
std::string either(const std::vector<std::string>& words, const char* last = " or ")
{
    std::string out;
    for (size_t i = 0; i < words.size(); ++i)
        out += (i == 0 ? "" : i + 1 == words.size() ? last : ", ") + words[i];
    return out;
}

std::string not_a_subcommand(const CLI::App& app, const std::string& word)
{
    auto names = subcommand_names(app);
    std::string near = closest(word, names);
    if (!near.empty())
        return fmt::format("'{}' is not a subcommand; did you mean {}?", shown(word), near);
    return fmt::format("'{}' is not a subcommand; use {}", shown(word), either(names));
}

// "-p/--pid", "--comm"
std::string shown_name(const CLI::Option& opt)
{
    std::string names;
    for (const auto& s : opt.get_snames())
        names += (names.empty() ? "-" : "/-") + s;
    for (const auto& l : opt.get_lnames())
        names += (names.empty() ? "--" : "/--") + l;
    return names;
}

bool has_flag(const CLI::App& app, const std::string& flag)
{
    for (const CLI::Option* opt : app.get_options()) {
        if (flag.rfind("--", 0) == 0 && opt->check_lname(flag.substr(2)))
            return true;
        if (flag.size() == 2 && flag[0] == '-' && opt->check_sname(flag.substr(1)))
            return true;
    }
    return false;
}

std::vector<std::string> flag_names(const CLI::App& app)
{
    std::vector<std::string> names;
    for (const CLI::Option* opt : app.get_options())
        for (const auto& l : opt->get_lnames())
            names.push_back("--" + l);
    return names;
}

// An argument nobody took: a flag of another area, a typo, a second
// subcommand, or a word that is no subcommand.
std::string explain_extra(const CLI::App& app, const CLI::App* selected, const std::vector<std::string>& args,
                          const std::vector<std::string>& left)
{
    // The first argument left over, in the order given (CLI11 does not
    // keep it), and the one after it.
    auto remaining = left;
    size_t at = args.size();
    for (size_t i = 0; i < args.size() && at == args.size(); ++i) {
        auto it = std::find(remaining.begin(), remaining.end(), args[i]);
        if (it != remaining.end())
            at = i;
    }
    if (at == args.size())
        return selected ? fmt::format("{}: unexpected arguments", selected->get_name())
                        : fmt::format("a subcommand is missing; use {}", either(subcommand_names(app)));
    const std::string& word = args[at];
    const std::string where = selected ? selected->get_name() + ": " : "";
    bool is_flag = word.size() > 1 && word[0] == '-' && !std::isdigit(static_cast<unsigned char>(word[1]));
    if (!is_flag) {
        if (!selected)
            return not_a_subcommand(app, word);
        for (const auto& name : subcommand_names(app))
            if (name == word)
                return fmt::format(
                    "{}one subcommand at a time, not '{}' too; for several areas use all (--no-AREA "
                    "leaves one out)",
                    where, word);
        return fmt::format("{}'{}' is not expected; {} takes only options (tapio-trace help {})", where, shown(word),
                           selected->get_name(), selected->get_name());
    }
    std::string flag = word.substr(0, word.find('='));
    const std::string flag_shown = shown(flag);
    std::string value;
    if (flag.size() < word.size())
        value = word.substr(flag.size() + 1);
    else if (at + 1 < args.size() && !args[at + 1].empty() && args[at + 1][0] != '-')
        value = args[at + 1];
    std::vector<std::string> owners;
    bool in_all = false;
    for (const CLI::App* sub : app.get_subcommands({})) {
        if (!has_flag(*sub, flag) || sub == selected)
            continue;
        if (sub->get_name() == "all")
            in_all = true;
        else
            owners.push_back(sub->get_name());
    }
    if (owners.size() == 1)
        return fmt::format("{}{} belongs to {}; use tapio-trace {} {}{}{}{}", where, flag, owners[0], owners[0], flag,
                           value.empty() ? "" : " ", shown(value), in_all ? ", or all" : "");
    if (!owners.empty())
        return fmt::format("{}{} belongs to {}; use one of them{}", where, flag, either(owners, " and "),
                           in_all ? ", or all" : "");
    if (in_all)
        return fmt::format("{}{} belongs to all; use tapio-trace all {}", where, flag, flag);
    std::vector<std::string> known = flag_names(selected ? *selected : app);
    if (selected)
        for (const auto& f : flag_names(app))
            known.push_back(f);
    std::string near = closest(flag, known);
    std::string help = selected ? "tapio-trace help " + selected->get_name() : "tapio-trace help";
    if (!near.empty())
        return fmt::format("{}{} is not an option; did you mean {}?", where, flag_shown, near);
    return fmt::format("{}{} is not an option; see {}", where, flag_shown, help);
}

// The option called name that holds a value, the subcommand's or the top
// level's (the global flags are on both).
const CLI::Option* find_option(const CLI::App& app, const CLI::App* selected, const std::string& name)
{
    for (const CLI::App* a : {selected, &app})
        if (a)
            for (const CLI::Option* opt : a->get_options())
                if (opt->check_name(name) && !opt->results().empty())
                    return opt;
    return nullptr;
}

// CLI11's errors, as one line of ours.
std::string explain(const CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& args)
{
    std::vector<CLI::App*> chosen = app.get_subcommands();
    const CLI::App* selected = chosen.empty() ? nullptr : chosen.front();
    const std::string what = e.what();
    const std::string help = selected ? "tapio-trace help " + selected->get_name() : "tapio-trace help";
    // "NAME: rest"
    std::string name = what.substr(0, what.find(':'));

    if (dynamic_cast<const CLI::ExtrasError*>(&e) || dynamic_cast<const CLI::RequiredError*>(&e)) {
        std::vector<std::string> left = app.remaining(true);
        if (left.empty() && !selected)
            return fmt::format("a subcommand is missing; use {} (tapio-trace help)", either(subcommand_names(app)));
        return explain_extra(app, selected, args, left);
    }
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&e)) {
        if (what.find("missing") != std::string::npos || what.find("At least") != std::string::npos) {
            auto it = accepted_by_flag().find(name);
            return fmt::format("{}: needs a value; {}", name,
                               it != accepted_by_flag().end() ? it->second : "see " + help);
        }
        return fmt::format("{}: given too often; see {}", name, help);
    }
    if (dynamic_cast<const CLI::ExcludesError*>(&e)) {
        size_t pos = what.find(" excludes ");
        if (pos != std::string::npos)
            return fmt::format("{} and {} exclude each other; give one of them", what.substr(0, pos),
                               what.substr(pos + 10));
    }
    if (dynamic_cast<const CLI::ConversionError*>(&e)) {
        const std::string prefix = "Could not convert: ";
        if (what.rfind(prefix, 0) == 0) {
            std::string rest = what.substr(prefix.size());
            size_t eq = rest.find(" = ");
            if (eq != std::string::npos)
                return fmt::format("{}: '{}' is not accepted; see {}", rest.substr(0, eq), shown(rest.substr(eq + 3)),
                                   help);
        }
        if (what.find("flag") != std::string::npos || what.find("true/false") != std::string::npos)
            return fmt::format("{}: takes no value", name);
    }
    if (dynamic_cast<const CLI::ValidationError*>(&e) || dynamic_cast<const CLI::ConversionError*>(&e)) {
        // A flag added with a CLI11 validator (see cli.h for the better way).
        if (const CLI::Option* opt = find_option(app, selected, name))
            return fmt::format("{}: '{}' is not accepted; see {}", name, shown(opt->results().back()), help);
        return fmt::format("{}: bad value; see {}", name, help);
    }
    return what.empty() ? "bad command line; see tapio-trace help" : what;
}

// doctor and schema take only their own flags: a tracing flag given before
// the subcommand (or after it, passed up to the top level) is refused.
void refuse_foreign_flags(const CLI::App& app, const std::string& subcommand)
{
    const CLI::App* sub = nullptr;
    for (const CLI::App* candidate : app.get_subcommands({}))
        if (candidate->get_name() == subcommand)
            sub = candidate;
    for (const CLI::Option* opt : app.get_options()) {
        if (opt->count() == 0 || opt->get_name() == "--help" || opt->get_name() == "--version")
            continue;
        if (has_flag(*sub, opt->get_name()))
            continue;
        std::vector<std::string> takes;
        for (const CLI::Option* own : sub->get_options())
            if (own->get_name() != "--help")
                takes.push_back(shown_name(*own));
        // A tracing flag, or one of doctor's that schema does not take.
        const CLI::App* doctor = nullptr;
        for (const CLI::App* candidate : app.get_subcommands({}))
            if (candidate->get_name() == "doctor")
                doctor = candidate;
        bool tracing = !doctor || !has_flag(*doctor, opt->get_name());
        usage_error(fmt::format("{}: {} is {}; {} takes {}", subcommand, shown_name(*opt),
                                tracing ? "for tracing" : "not for " + subcommand, subcommand,
                                takes.empty() ? "no options" : either(takes, ", ")));
    }
}

}  // namespace

std::optional<Invocation> parse(int argc, const char* const* argv)
{
    Options o;
    auto app_ptr = build_app(o);
    CLI::App& app = *app_ptr;
    std::vector<std::string> args(argv + std::min(argc, 1), argv + argc);
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
        throw Error(ExitCode::usage, explain(app, e, args));
    }
    if (o.command == Command::help) {
        if (o.help_topic.empty()) {
            app.clear();  // help() would explain the help subcommand itself
            fmt::print("{}", app.help());
            return std::nullopt;
        }
        const CLI::App* sub = nullptr;
        for (const CLI::App* candidate : app.get_subcommands({}))
            if (candidate->get_name() == o.help_topic)
                sub = candidate;
        if (!sub)
            usage_error("help: " + not_a_subcommand(app, o.help_topic));
        fmt::print("{}", sub->help("tapio-trace"));
        return std::nullopt;
    }
    if (o.command == Command::doctor || o.command == Command::schema)
        refuse_foreign_flags(app, o.subcommand);
    return finish(std::move(o));
}

namespace {

Collector* volatile active_collector = nullptr;
// A stop was asked for (SIGINT, SIGTERM, the duration's SIGALRM): a write
// blocked on a stalled reader then gives up (Output::stop_on_interrupt).
volatile sig_atomic_t stop_signalled = 0;

void on_stop_signal(int)
{
    stop_signalled = 1;
    if (active_collector)
        active_collector->stop();
}

bool stop_was_signalled(void*)
{
    return stop_signalled != 0;
}

// -d: the run loop ends at the duration by itself; this alarm, a little
// later, is for a loop held in a write() to a reader that stopped reading.
void arm_duration_alarm(std::optional<std::chrono::nanoseconds> duration)
{
    itimerval t{};
    if (duration) {
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(*duration + std::chrono::milliseconds(50));
        t.it_value.tv_sec = static_cast<time_t>(us.count() / 1000000);
        t.it_value.tv_usec = static_cast<suseconds_t>(us.count() % 1000000);
    }
    setitimer(ITIMER_REAL, &t, nullptr);
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

// A second SIGINT or SIGTERM while detaching. On the plain-tracepoint
// fallback the kernel waits a grace period for each perf event it releases,
// also when the process exits; a child takes every descriptor over and
// releases them as it exits, so this process ends now (its own closes only
// drop references). Only async-signal-safe calls here.
void exit_now(int)
{
    // The child holds the last references only once this process is gone
    // (whoever closes last does the release): it waits for the pipe's end,
    // which this process's exit closes after its other descriptors.
    int gone[2];
    if (pipe(gone) == 0) {
        if (fork() == 0) {
            close(gone[1]);
            char byte;
            while (read(gone[0], &byte, 1) < 0 && errno == EINTR) {
            }
            _exit(0);  // its exit closes the descriptors: the rest of the detach
        }
        close(gone[0]);
    }
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
    sigaction(SIGALRM, &sa, nullptr);
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
        fmt::print(stderr, "tapio-trace: tracefs was not mounted; mounted it on {}{}\n", t.dir,
                   t.unmounted ? ", and unmounted it once the hooks were attached" : "");
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

    bool kept_bpf = false;
    if (std::string failed = drop_privileges(&kept_bpf); !failed.empty())
        fmt::print(stderr, "tapio-trace: warning: could not drop privileges after attaching: {}\n", failed);
    else if (o.verbose)
        fmt::print(stderr, "tapio-trace: attached; privileges dropped: {}, no_new_privs\n",
                   kept_bpf ? "every capability but CAP_BPF (this kernel's map reads need it)" : "every capability");

    Health h = collector.health();
    if (o.verbose) {
        report_tracefs(h.tracefs);
        report_hooks(h);
        auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        size_t attached = 0;
        for (const HookStatus& s : h.hooks)
            attached += s.state == HookState::attached;
        const AreaTiming& t = h.timing;
        fmt::print(stderr, "tapio-trace: open {:.1f} ms, load {:.1f} ms{}{}, attach {:.1f} ms\n", t.open_ms, t.load_ms,
                   t.split ? " (the syscall dispatcher's exit on a second thread)" : "",
                   t.loads > 1 ? fmt::format(" ({} tries)", t.loads) : "", t.attach_ms);
        fmt::print(stderr, "tapio-trace: ready: {} hooks attached in {:.1f} ms\n", attached, ms);
    }

    // For the operator at a terminal (and with -v); a script's stderr stays
    // for errors: `| head -1` ends quietly, a failure is one line.
    if (o.verbose || isatty(STDERR_FILENO) == 1)
        announce(o.config, h, inv);

    Output out(STDOUT_FILENO);
    out.stop_on_interrupt(stop_was_signalled, nullptr);
    JsonWriter json(out, collector.clock());
    TableOptions table_opts = table_options(inv, STDOUT_FILENO, o.config.areas.size() > 1);
    table_opts.start_wall_ns = collector.clock().to_wall_ns(boot_time_ns());
    table_opts.workload_column = h.containers_on_host;
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
    arm_duration_alarm(inv.duration);
    StopReason why = collector.run(sink, limits, output_closed, &out);
    arm_duration_alarm(std::nullopt);
    // Detaching takes a while (an RCU grace period per tracepoint): a second
    // SIGINT or SIGTERM from here on ends the process at once.
    install_exit_now_handlers();
    if (out.error())
        throw Error(ExitCode::runtime, fmt::format("cannot write the output: {}", strerror(out.error())));
    if (why != StopReason::output_closed)
        summarize(collector.health(), o.verbose);
    if (out.abandoned())
        fmt::print(stderr,
                   "tapio-trace: the reader of the output stopped reading: the last {} bytes were not written\n",
                   out.unwritten());
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
