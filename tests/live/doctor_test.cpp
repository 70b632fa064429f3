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
#include "host_features.h"

using namespace live;

TEST_CASE("doctor --json: host facts, every hook, exit 0 on this kernel")
{
    Captured c = capture({binary(), "doctor", "--json"});
    CAPTURE(c.err);
    CHECK(c.exit.code == 0);
    std::vector<json> records;
    size_t start = 0, nl;
    while ((nl = c.out.find('\n', start)) != std::string::npos) {
        records.push_back(json::parse(c.out.substr(start, nl - start)));
        start = nl + 1;
    }
    REQUIRE(records.size() >= 3);
    json host = records.front();
    CHECK(host["type"] == "doctor.host");
    CHECK(host["btf"] == true);
    CHECK(host["ring_buffer"] == true);
    CHECK(host["privileged"] == true);
    CHECK(host["tracefs"] == true);
    CHECK(host.contains("fentry"));

    std::set<std::string> attached;
    std::map<std::string, std::set<std::string>> served;  // area -> syscalls the dispatcher serves it
    for (const auto& r : records)
        if (r["type"] == "doctor.hook" && r["state"] == "attached") {
            attached.insert(r["hook"].get<std::string>() + "/" + r["how"].get<std::string>());
            if (r.contains("syscalls"))
                for (const auto& s : r["syscalls"])
                    served[r["area"].get<std::string>()].insert(s.get<std::string>());
        }
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
    for (const auto& r : records)
        if (r["type"] == "doctor.hook")
            CHECK(r["how"] != "tracepoint");  // nothing perf-attached: each would cost a grace period at exit
    for (const auto& r : records)
        if (r["type"] == "doctor.hook")
            CHECK(r["state"] != "disabled");
    bool proc_ok = false;
    for (const auto& r : records)
        if (r["type"] == "doctor.area" && r["area"] == "proc")
            proc_ok = r["ok"] == true;
    CHECK(proc_ok);
    CHECK(records.back()["type"] == "doctor.summary");
    CHECK(records.back()["ok"] == true);
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

struct Collect final : tapio::RecordSink {
    std::vector<std::string> types;
    std::vector<uint32_t> pids;
    void begin(std::string_view type, const tapio::Common& c) override
    {
        types.emplace_back(type);
        pids.push_back(c.pid);
    }
    void i64(std::string_view, int64_t) override {}
    void u64(std::string_view, uint64_t) override {}
    void boolean(std::string_view, bool) override {}
    void null(std::string_view) override {}
    void str(std::string_view, std::string_view) override {}
    void begin_array(std::string_view) override {}
    void element(std::string_view) override {}
    void end_array() override {}
    void begin_object(std::string_view) override {}
    void end_object() override {}
    void end() override {}
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
