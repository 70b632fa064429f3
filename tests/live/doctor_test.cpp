// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// doctor, and degradation: a hook the kernel lacks turns off that one
// feature, is reported, and the rest runs.
#include <doctest/doctest.h>
#include <unistd.h>

#include <map>
#include <set>

#include "tapio/collector.h"
#include "tapio/errors.h"
#include "harness.h"
#include "null_sink.h"
#include "doctor.h"
#include "host_features.h"
#include "schema.h"
#include "schema_check.h"

using namespace live;

namespace {

// The one document doctor --json writes: one line, valid, as declared.
json doctor_document(const Captured& c)
{
    CAPTURE(c.out);
    REQUIRE(!c.out.empty());
    CHECK(c.out.back() == '\n');
    CHECK(c.out.find('\n') == c.out.size() - 1);
    auto doc = nlohmann::ordered_json::parse(c.out);
    auto problems = schema_check::fields_problems(doc, tapio::doctor_fields(), "doctor");
    CHECK_MESSAGE(problems.empty(), (problems.empty() ? "" : problems.front()));
    return json::parse(c.out);
}

std::vector<std::string> text_lines(const std::string& text)
{
    std::vector<std::string> out;
    size_t start = 0, nl;
    while ((nl = text.find('\n', start)) != std::string::npos) {
        out.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    return out;
}

// Runs doctor as nobody, with no capabilities.
Captured unprivileged(std::vector<std::string> args)
{
    std::vector<std::string> argv = {"setpriv",         "--reuid=65534", "--regid=65534", "--clear-groups",
                                     "--inh-caps=-all", binary(),        "doctor"};
    argv.insert(argv.end(), args.begin(), args.end());
    return capture(argv);
}

}  // namespace

TEST_CASE("doctor --json: one document with host facts, every hook, exit 0 on this kernel")
{
    Captured c = capture({binary(), "doctor", "--json"});
    CAPTURE(c.err);
    CHECK(c.exit.code == 0);
    json doc = doctor_document(c);
    CHECK(doc["schema_version"] == tapio::schema_version);
    CHECK(doc["verdict"] == "ok");
    CHECK(doc["exit_code"] == 0);
    const json& host = doc["host"];
    CHECK(host["btf"]["status"] == "ok");
    CHECK(host["ring_buffer"]["status"] == "ok");
    CHECK(host["privileges"]["status"] == "ok");
    CHECK(host["tracefs"]["status"] == "ok");
    CHECK(host["fentry"]["status"] == "ok");  // refused here, and not needed
    // The machines this runs on (KERNEL.md): PSI, a hybrid cgroup layout.
    CHECK(host["psi"]["status"] == "ok");
    CHECK(host["psi"]["value"] == "/proc/pressure/memory");
    CHECK(host["cgroup"]["value"] == "hybrid");
    CHECK(host["unprivileged_bpf"]["status"] == "ok");
    for (const char* check : {"lockdown", "psi", "cgroup", "unprivileged_bpf", "tracefs"})
        CHECK_MESSAGE(host[check]["status"] != "missing", check);

    std::set<std::string> attached;
    std::map<std::string, std::set<std::string>> served;  // area -> syscalls the dispatcher serves it
    std::set<std::string> areas;
    for (const auto& a : doc["areas"]) {
        std::string area = a["area"];
        areas.insert(area);
        CHECK(a["verdict"] == "ok");
        CHECK(a["hooks_attached"] == a["hooks_total"]);
        for (const auto& h : a["hooks"]) {
            CHECK(h["how"] != "tracepoint");  // nothing perf-attached: each would cost a grace period at exit
            CHECK(h["state"] != "disabled");
            if (h["state"] != "attached")
                continue;
            attached.insert(h["hook"].get<std::string>() + "/" + h["how"].get<std::string>());
            if (h.contains("syscalls"))
                for (const auto& sc : h["syscalls"])
                    served[area].insert(sc.get<std::string>());
        }
    }
    CHECK(areas == std::set<std::string>{"proc", "net", "file", "mem"});
    CHECK(attached.count("sched:sched_process_exec/raw_tracepoint"));
    CHECK(attached.count("sched:sched_process_fork/raw_tracepoint"));
    // Syscalls come through the BTF-typed raw syscall tracepoints on this kernel.
    CHECK(attached.count("raw_syscalls:sys_enter/tp_btf"));
    CHECK(attached.count("raw_syscalls:sys_exit/tp_btf"));
    CHECK(served["proc"].count("execve"));
    CHECK(served["file"].count("openat"));
    CHECK(served["mem"].count("mmap"));
    CHECK(served["net"].count("accept4"));
    // Hooks of optional features (--syscalls: every syscall) are checked too.
    CHECK(served["proc"].count("*"));
}

TEST_CASE("doctor: a report with host facts, areas and a verdict, under 80 columns, no event lines")
{
    Captured c = capture({binary(), "doctor"});
    CAPTURE(c.out);
    CAPTURE(c.err);
    CHECK(c.exit.code == 0);
    auto lines = text_lines(c.out);
    REQUIRE(lines.size() > 10);
    CHECK(lines.front() == "tapio-trace doctor: host");
    std::set<std::string> sections;
    for (const std::string& l : lines) {
        CHECK_MESSAGE(l.size() <= 80, l);
        CHECK(l.find("doctor.") == std::string::npos);        // no record types
        CHECK(l.find("tapio-trace  ") == std::string::npos);  // no COMM column of itself
        if (!l.empty() && l[0] != ' ')
            sections.insert(l.substr(0, l.find(':')));
    }
    CHECK(sections.count("areas"));
    CHECK(sections.count("hooks"));  // "hooks: all N attached" on this kernel
    CHECK(lines.back() == "verdict: every area can run with every hook (exit 0)");
    for (const char* label :
         {"  kernel ", "  BTF ", "  PSI ", "  cgroup ", "  lockdown ", "  tracefs ", "  unpriv. BPF "}) {
        bool found = false;
        for (const std::string& l : lines)
            found |= l.rfind(label, 0) == 0;
        CHECK_MESSAGE(found, label);
    }
    size_t hook_lines = 0;
    for (const std::string& l : lines)
        hook_lines += l.find("sched:sched_process_exec") != std::string::npos;
    CHECK(hook_lines == 0);  // attached hooks only with -v

    Captured v = capture({binary(), "doctor", "-v"});
    CHECK(v.exit.code == 0);
    hook_lines = 0;
    for (const std::string& l : text_lines(v.out)) {
        CHECK_MESSAGE(l.size() <= 80, l);
        hook_lines += l.find("sched:sched_process_exec") != std::string::npos;
    }
    CHECK(hook_lines == 1);
}

TEST_CASE("doctor without privileges: unknown for what it cannot check, never false; exit 3")
{
    Captured c = unprivileged({"--json"});
    CAPTURE(c.err);
    CHECK(c.exit.code == 3);
    json doc = doctor_document(c);
    CHECK(doc["verdict"] == "unknown");
    CHECK(doc["exit_code"] == 3);
    const json& host = doc["host"];
    CHECK(host["privileges"]["status"] == "missing");
    for (const char* check : {"ring_buffer", "fentry"}) {
        CHECK_MESSAGE(host[check]["status"] == "unknown", check);
        CHECK(host[check]["value"] == "unknown");
        CHECK(host[check]["detail"].get<std::string>().find("without privileges") != std::string::npos);
    }
    // tracefs is 0700 here: it is there, and what is in it cannot be told.
    CHECK(host["tracefs"]["status"] == "unknown");
    // What anyone can read is still reported.
    CHECK(host["btf"]["status"] == "ok");
    CHECK(host["psi"]["status"] == "ok");
    CHECK(host["cgroup"]["value"] == "hybrid");
    CHECK(host["unprivileged_bpf"]["status"] == "ok");
    for (const auto& a : doc["areas"])
        CHECK(a["verdict"] == "unknown");
    CHECK(c.out.find("false") == std::string::npos);
    CHECK(c.out.find("true") == std::string::npos);

    Captured t = unprivileged({});
    CHECK(t.exit.code == 3);
    CHECK(t.out.find("ring buffer  unknown") != std::string::npos);
    CHECK(t.out.find("  proc  unknown    not checked") != std::string::npos);
    CHECK(text_lines(t.out).back() == "verdict: not checked: needs root, or CAP_BPF and CAP_PERFMON (exit 3)");
    for (const std::string& l : text_lines(t.out))
        CHECK_MESSAGE(l.size() <= 80, l);
}

TEST_CASE("doctor: a hook the kernel lacks degrades its area, with reason and consequence; exit 0")
{
    // Without raw and BTF tracepoints, proc's fork hook (raw only) is gone.
    Captured c = capture({binary(), "doctor"}, {"TAPIO_FAKE_HOST=no-raw_tp,no-tp_btf"});
    CAPTURE(c.out);
    CAPTURE(c.err);
    CHECK(c.exit.code == 0);
    CHECK(c.out.find("  proc  degraded") != std::string::npos);
    CHECK(c.out.find("hooks degraded or missing") != std::string::npos);
    CHECK(c.out.find("proc  sched:sched_process_fork") != std::string::npos);
    CHECK(c.out.find("taken away by TAPIO_FAKE_HOST") != std::string::npos);
    CHECK(c.out.find("-> no proc.fork records") != std::string::npos);
    CHECK(text_lines(c.out).back() == "verdict: every area can run, some with less (see above) (exit 0)");

    Captured j = capture({binary(), "doctor", "--json"}, {"TAPIO_FAKE_HOST=no-raw_tp,no-tp_btf"});
    CHECK(j.exit.code == 0);
    json doc = doctor_document(j);
    CHECK(doc["verdict"] == "degraded");
    bool fork_reported = false;
    for (const auto& a : doc["areas"])
        for (const auto& h : a["hooks"])
            if (a["area"] == "proc" && h["hook"] == "sched:sched_process_fork") {
                fork_reported = h["state"] == "unavailable" && h["consequence"] == "no proc.fork records";
                CHECK(a["verdict"] == "degraded");
            }
    CHECK(fork_reported);
}

namespace {

// The real host, except for what a test takes away from it.
struct RealHostExcept final : tapio::HostFeatures {
    tapio::SystemFeatures real;
    std::string missing_tracepoint;  // a tracepoint name that is not there
    std::optional<bpf_prog_type> missing_prog_type;
    bool has_vmlinux_btf() override { return real.has_vmlinux_btf(); }
    bool btf_has_type(std::string_view n) override { return real.btf_has_type(n); }
    bool tracepoint_exists(std::string_view c, std::string_view n) override
    {
        return n != missing_tracepoint && real.tracepoint_exists(c, n);
    }
    std::optional<std::string> tracefs_problem() override { return real.tracefs_problem(); }
    bool prog_type_supported(bpf_prog_type t) override { return t != missing_prog_type && real.prog_type_supported(t); }
    bool tracing_loadable(bpf_attach_type t, std::string_view n) override { return real.tracing_loadable(t, n); }
};

struct Collect final : test_support::NullSink {
    std::vector<std::string> types;
    std::vector<uint32_t> pids;
    void begin(std::string_view type, const tapio::Common& c) override
    {
        types.emplace_back(type);
        pids.push_back(c.pid);
    }
};

}  // namespace

TEST_CASE("a missing hook degrades that feature only, and says why")
{
    // No sched_process_exit tracepoint, and no raw tracepoints to reach it otherwise.
    RealHostExcept kernel;
    kernel.missing_tracepoint = "sched_process_exit";
    kernel.missing_prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
    tapio::Config config;
    config.areas = {tapio::Area::proc};
    tapio::Collector collector(config, &kernel);
    REQUIRE_NOTHROW(collector.start());
    tapio::Health h = collector.health();
    bool exit_unavailable = false, exec_attached = false;
    for (const auto& hook : h.hooks) {
        if (hook.hook == "sched:sched_process_exit") {
            exit_unavailable = hook.state == tapio::HookState::unavailable;
            CHECK(hook.reason.find("sched:sched_process_exit") != std::string::npos);
        }
        if (hook.hook == "sched:sched_process_exec")
            exec_attached = hook.state == tapio::HookState::attached;
    }
    CHECK(exit_unavailable);
    CHECK(exec_attached);

    // Events of the remaining hooks still flow; exits do not.
    pid_t child = spawn({"/bin/true"});
    wait_pid(child);
    Collect sink;
    tapio::RunLimits limits;
    limits.duration = std::chrono::milliseconds(300);
    collector.run(sink, limits);
    bool exec_seen = false;
    for (size_t i = 0; i < sink.types.size(); ++i) {
        CHECK(sink.types[i] != "proc.exit");
        exec_seen |= sink.types[i] == "proc.exec" && sink.pids[i] == static_cast<uint32_t>(child);
    }
    CHECK(exec_seen);
}

TEST_CASE("exec and exit fall back to the plain tracepoints without raw tracepoints, and are still reported")
{
    RealHostExcept kernel;
    kernel.missing_prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
    tapio::Config config;
    config.areas = {tapio::Area::proc};
    tapio::Collector collector(config, &kernel);
    REQUIRE_NOTHROW(collector.start());
    std::map<std::string, std::string> how;
    for (const auto& hook : collector.health().hooks)
        if (hook.state == tapio::HookState::attached)
            how[hook.hook] = hook.how;
    CHECK(how["sched:sched_process_exec"] == "tracepoint");
    CHECK(how["sched:sched_process_exit"] == "tracepoint");
    pid_t child = spawn({"/bin/true", "fallback"});
    wait_pid(child);
    Collect sink;
    tapio::RunLimits limits;
    limits.duration = std::chrono::milliseconds(300);
    collector.run(sink, limits);
    bool exec_seen = false, exit_seen = false;
    for (size_t i = 0; i < sink.types.size(); ++i) {
        exec_seen |= sink.types[i] == "proc.exec" && sink.pids[i] == static_cast<uint32_t>(child);
        exit_seen |= sink.types[i] == "proc.exit" && sink.pids[i] == static_cast<uint32_t>(child);
    }
    CHECK(exec_seen);
    CHECK(exit_seen);
}

namespace {

struct KernelWithoutBtf final : tapio::HostFeatures {
    bool has_vmlinux_btf() override { return false; }
    bool btf_has_type(std::string_view) override { return false; }
    bool tracepoint_exists(std::string_view, std::string_view) override { return true; }
    std::optional<std::string> tracefs_problem() override { return std::nullopt; }
    bool prog_type_supported(bpf_prog_type) override { return true; }
    bool tracing_loadable(bpf_attach_type, std::string_view) override { return false; }
};

}  // namespace

TEST_CASE("a kernel without BTF: exit code 4 and a message that says so")
{
    KernelWithoutBtf kernel;
    tapio::Config config;
    config.areas = {tapio::Area::proc};
    tapio::Collector collector(config, &kernel);
    try {
        collector.start();
        FAIL("start() succeeded without BTF");
    } catch (const tapio::Error& e) {
        CHECK(e.code() == tapio::ExitCode::kernel);
        CHECK(std::string(e.what()).find("BTF") != std::string::npos);
    }
}

TEST_CASE("tapio-trace never traces itself")
{
    // Its own ring-buffer mapping (mem), writes to stdout (file), and its
    // exit would otherwise feed back into the stream.
    Tracer t({"all", "--min-size", "4K"});
    REQUIRE(t.ready());
    for (int i = 0; i < 20; ++i)
        wait_pid(spawn({"/bin/true"}));
    std::this_thread::sleep_for(300ms);
    t.stop();
    size_t seen = 0;
    for (const auto& r : t.all([](const json& r) { return r.contains("pid"); })) {
        if (r["type"].get<std::string>().rfind("tapio.", 0) == 0)
            continue;
        ++seen;
        CHECK_MESSAGE(r["pid"] != t.pid(), r.dump());
    }
    CHECK(seen > 0);
}
