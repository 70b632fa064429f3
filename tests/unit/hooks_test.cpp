// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Hook selection against fake kernels: tracepoints first, typed variants as
// upgrades, every missing facility named.
#include <doctest/doctest.h>

#include <set>

#include "host_features.h"

using namespace tapio;

namespace {

struct FakeKernel final : HostFeatures {
    bool btf = true;
    bool tracefs = true;
    bool tracing_ok = true;
    std::set<std::string> types = {"btf_trace_sched_process_fork", "do_unlinkat"};
    std::set<std::string> tracepoints = {"sched/sched_process_exec"};

    bool has_vmlinux_btf() override { return btf; }
    bool btf_has_type(std::string_view n) override { return btf && types.count(std::string(n)); }
    bool tracepoint_exists(std::string_view c, std::string_view n) override
    {
        return tracepoints.count(std::string(c) + "/" + std::string(n));
    }
    std::optional<std::string> tracefs_problem() override
    {
        return tracefs ? std::nullopt : std::optional<std::string>("tracefs is not mounted");
    }
    bool prog_type_supported(bpf_prog_type) override { return true; }
    bool tracing_loadable(bpf_attach_type, std::string_view) override { return tracing_ok; }
};

}  // namespace

TEST_CASE("section names map to hook kinds")
{
    auto t = parse_section("tracepoint/sched/sched_process_exec");
    CHECK(t.kind == HookKind::tracepoint);
    CHECK(t.category == "sched");
    CHECK(t.name == "sched_process_exec");
    CHECK(parse_section("tp_btf/sched_process_fork").kind == HookKind::btf_tracepoint);
    // tapio-trace's own handler for the same programs (src/probes.cpp).
    CHECK(parse_section("tt_btf/sys_exit").kind == HookKind::btf_tracepoint);
    CHECK(parse_section("tt_btf/sys_exit").name == "sys_exit");
    CHECK(parse_section("raw_tp/sched_process_fork").kind == HookKind::raw_tracepoint);
    CHECK(parse_section("fentry/do_unlinkat").kind == HookKind::fentry);
    CHECK(parse_section("kprobe/foo").kind == HookKind::other);
}

TEST_CASE("availability of each hook kind")
{
    FakeKernel k;
    CHECK_FALSE(target_unavailable(parse_section("tracepoint/sched/sched_process_exec"), k));
    auto missing = target_unavailable(parse_section("tracepoint/sched/nope"), k);
    REQUIRE(missing);
    CHECK(missing->find("sched:nope") != std::string::npos);

    CHECK_FALSE(target_unavailable(parse_section("tp_btf/sched_process_fork"), k));
    CHECK(target_unavailable(parse_section("tp_btf/not_there"), k));
    CHECK_FALSE(target_unavailable(parse_section("raw_tp/sched_process_fork"), k));

    // A hardened kernel: fentry refused (EPERM on load).
    k.tracing_ok = false;
    auto fentry = target_unavailable(parse_section("fentry/do_unlinkat"), k);
    REQUIRE(fentry);
    CHECK(fentry->find("refuses") != std::string::npos);
    CHECK(target_unavailable(parse_section("tp_btf/sched_process_fork"), k));
    CHECK_FALSE(target_unavailable(parse_section("raw_tp/sched_process_fork"), k));

    k.tracefs = false;
    auto no_tracefs = target_unavailable(parse_section("tracepoint/sched/sched_process_exec"), k);
    REQUIRE(no_tracefs);
    CHECK(no_tracefs->find("tracefs") != std::string::npos);

    k.btf = false;
    CHECK(target_unavailable(parse_section("tp_btf/sched_process_fork"), k)->find("BTF") != std::string::npos);
}

TEST_CASE("the quick check leaves a tp_btf target to the load, and a masked kind is never chosen")
{
    FakeKernel k;
    // No user-space BTF parse for the quick check: a type missing from BTF
    // or a refused trial load is the load's to find (the ProbeManager then
    // loads again without tp_btf).
    k.types.clear();
    k.tracing_ok = false;
    CHECK(target_unavailable(parse_section("tp_btf/sys_enter"), k));
    CHECK_FALSE(target_unavailable(parse_section("tp_btf/sys_enter"), k, Check::quick));
    k.btf = false;
    CHECK(target_unavailable(parse_section("tp_btf/sys_enter"), k, Check::quick));
}

namespace {

struct MaskingKernel final : HostFeatures {
    bool has_vmlinux_btf() override { return true; }
    bool btf_has_type(std::string_view) override { return true; }
    bool tracepoint_exists(std::string_view, std::string_view) override { return true; }
    std::optional<std::string> tracefs_problem() override { return std::nullopt; }
    bool prog_type_supported(bpf_prog_type) override { return true; }
    bool tracing_loadable(bpf_attach_type, std::string_view) override { return true; }
    bool masked(HookKind kind) override { return kind == HookKind::btf_tracepoint; }
};

}  // namespace

TEST_CASE("a hook kind a test takes away is unavailable, with the reason")
{
    MaskingKernel k;
    auto why = target_unavailable(parse_section("tp_btf/sys_enter"), k, Check::quick);
    REQUIRE(why);
    CHECK(why->find("TAPIO_FAKE_HOST") != std::string::npos);
    CHECK_FALSE(target_unavailable(parse_section("raw_tp/sys_enter"), k, Check::quick));
    CHECK_FALSE(target_unavailable(parse_section("tracepoint/raw_syscalls/sys_enter"), k, Check::quick));
}
