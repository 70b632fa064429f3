// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The doctor report from a made-up DoctorReport: the table a person reads
// and the one JSON document, and the parsers of the host files it reads.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "doctor.h"
#include "schema_check.h"

using namespace tapio;

namespace {

HostCheck ok(std::string value)
{
    HostCheck c;
    c.status = CheckStatus::ok;
    c.value = std::move(value);
    c.affects = "something";
    return c;
}

DoctorHook hook(const char* area, const char* name, HookState state, const char* reason = "")
{
    DoctorHook h;
    h.status.area = area;
    h.status.hook = name;
    h.status.program = "handle_x_raw";
    h.status.how = state == HookState::attached ? "raw_tracepoint" : "";
    h.status.state = state;
    h.status.reason = reason;
    if (state != HookState::attached)
        h.consequence = hook_consequence(area, name);
    return h;
}

// A privileged host where everything is there, mem missing its direct
// reclaim hook.
DoctorReport degraded_report()
{
    DoctorReport r;
    r.host.kernel = "6.18.0";
    r.host.machine = "x86_64";
    r.host.privileged = true;
    r.host.privileges = ok("root");
    r.host.btf = ok("/sys/kernel/btf/vmlinux");
    r.host.ring_buffer = ok("available");
    r.host.tracefs = ok("/sys/kernel/tracing");
    r.host.fentry = ok("refused");
    r.host.psi = ok("/proc/pressure/memory");
    r.host.cgroup = ok("v2");
    r.host.lockdown = ok("none");
    r.host.unprivileged_bpf = ok("2");
    DoctorArea proc;
    proc.area = Area::proc;
    proc.verdict = AreaVerdict::ok;
    proc.hooks = {hook("proc", "sched:sched_process_exec", HookState::attached),
                  hook("proc", "sched:sched_process_fork", HookState::attached)};
    DoctorArea mem;
    mem.area = Area::mem;
    mem.verdict = AreaVerdict::ok;
    mem.hooks = {hook("mem", "oom:mark_victim", HookState::attached),
                 hook("mem", "vmscan:mm_vmscan_direct_reclaim_begin", HookState::unavailable,
                      "tracepoint vmscan:mm_vmscan_direct_reclaim_begin not found in tracefs")};
    r.areas = {proc, mem};
    judge(r);
    return r;
}

std::vector<std::string> lines(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

bool has_line(const std::string& text, const std::string& needle)
{
    for (const std::string& l : lines(text))
        if (l.find(needle) != std::string::npos)
            return true;
    return false;
}

}  // namespace

TEST_CASE("doctor table: a degraded hook shows its reason and consequence; the verdict ends it")
{
    DoctorReport r = degraded_report();
    CHECK(r.exit_code == ExitCode::ok);
    CHECK(r.verdict() == AreaVerdict::degraded);
    std::string t = doctor_table(r, false);
    INFO(t);
    auto ls = lines(t);
    REQUIRE(ls.size() > 5);
    CHECK(ls.front().rfind("tapio-trace doctor: host", 0) == 0);
    CHECK(has_line(t, "PSI"));
    CHECK(has_line(t, "cgroup"));
    CHECK(has_line(t, "lockdown"));
    CHECK(has_line(t, "tracefs"));
    CHECK(has_line(t, "unpriv. BPF"));
    CHECK(has_line(t, "  proc  ok         2 of 2 hooks attached"));
    CHECK(has_line(t, "  mem   degraded   1 of 2 hooks attached"));
    CHECK(has_line(t, "hooks degraded or missing"));
    CHECK(has_line(t, "mem   vmscan:mm_vmscan_direct_reclaim_begin"));
    CHECK(has_line(t, "not found in tracefs"));
    CHECK(has_line(t, "-> no mem.reclaim records of direct reclaim"));
    // Attached hooks only with -v.
    CHECK_FALSE(has_line(t, "sched:sched_process_exec"));
    CHECK(ls.back() == "verdict: every area can run, some with less (see above) (exit 0)");
    for (const std::string& l : ls)
        CHECK_MESSAGE(l.size() <= 80, l);

    std::string v = doctor_table(r, true);
    CHECK(has_line(v, "proc  sched:sched_process_exec"));
    CHECK(has_line(v, "proc  sched:sched_process_fork"));
    for (const std::string& l : lines(v))
        CHECK_MESSAGE(l.size() <= 80, l);
}

TEST_CASE("doctor table: every area ok, and an area that cannot run")
{
    DoctorReport r = degraded_report();
    r.areas[1].hooks.pop_back();
    r.areas[1].verdict = AreaVerdict::ok;
    judge(r);
    std::string t = doctor_table(r, false);
    CHECK(r.verdict() == AreaVerdict::ok);
    CHECK(has_line(t, "hooks: all 3 attached (-v lists them)"));
    CHECK(lines(t).back() == "verdict: every area can run with every hook (exit 0)");

    r.areas[1].verdict = AreaVerdict::cannot_run;
    r.areas[1].error = "cannot load the mem programs: Invalid argument";
    r.areas[1].hooks = {hook("mem", "*", HookState::failed, "cannot load the mem programs: Invalid argument")};
    judge(r);
    CHECK(r.exit_code == ExitCode::kernel);
    t = doctor_table(r, false);
    CHECK(has_line(t, "  mem   cannot_run 0 of 1 hooks attached"));
    CHECK(has_line(t, "-> mem cannot run"));
    CHECK(lines(t).back() == "verdict: mem cannot run (exit 4)");
}

TEST_CASE("doctor: host facts take features away (PSI off degrades mem)")
{
    DoctorReport r = degraded_report();
    r.areas[1].hooks.pop_back();
    r.host.psi.status = CheckStatus::missing;
    r.host.psi.value = "off";
    r.host.psi.detail = "psi=0 on the kernel command line turns it off";
    judge(r);
    CHECK(r.areas[0].verdict == AreaVerdict::ok);
    CHECK(r.areas[1].verdict == AreaVerdict::degraded);
    REQUIRE(r.areas[1].limits.size() == 1);
    CHECK(r.areas[1].limits[0].find("mem.pressure") == 0);
    std::string t = doctor_table(r, false);
    CHECK(has_line(t, "psi=0 on the kernel command line"));
    CHECK(has_line(t, "matters for: something"));
    CHECK(has_line(t, "mem.pressure: PSI off -> no mem.pressure samples"));
}

TEST_CASE("doctor without privileges: unknown, never false; exit 3")
{
    DoctorReport r;
    r.host.kernel = "6.18.0";
    r.host.machine = "x86_64";
    r.host.privileges.status = CheckStatus::missing;
    r.host.privileges.value = "insufficient";
    r.host.btf = ok("/sys/kernel/btf/vmlinux");
    DoctorArea a;
    a.area = Area::net;
    r.areas = {a};
    judge(r);
    CHECK(r.exit_code == ExitCode::privilege);
    CHECK(r.verdict() == AreaVerdict::unknown);
    CHECK(r.areas[0].verdict == AreaVerdict::unknown);
    auto doc = nlohmann::json::parse(doctor_json(r));
    CHECK(doc["verdict"] == "unknown");
    CHECK(doc["exit_code"] == 3);
    CHECK(doc["host"]["ring_buffer"]["status"] == "unknown");
    CHECK(doc["host"]["ring_buffer"]["value"] == "unknown");
    CHECK(doc["areas"][0]["verdict"] == "unknown");
    // Nothing in the document is a boolean: what was not checked cannot read as false.
    std::vector<const nlohmann::json*> todo{&doc};
    while (!todo.empty()) {
        const nlohmann::json* v = todo.back();
        todo.pop_back();
        CHECK_FALSE(v->is_boolean());
        if (v->is_structured())
            for (const auto& child : *v)
                todo.push_back(&child);
    }
    std::string t = doctor_table(r, false);
    CHECK(has_line(t, "  net   unknown    not checked"));
    CHECK(has_line(t, "ring buffer  unknown"));
    CHECK(lines(t).back() == "verdict: not checked: needs root, or CAP_BPF and CAP_PERFMON (exit 3)");
    for (const std::string& l : lines(t))
        CHECK_MESSAGE(l.size() <= 80, l);
}

TEST_CASE("doctor --json: one document on one line, as declared, every string escaped")
{
    DoctorReport r = degraded_report();
    r.host.kernel = "6.18.0-\x1b[31mevil\"\n";
    r.areas[1].hooks[1].status.reason = "bad \xff byte and \"quotes\"";
    std::string text = doctor_json(r);
    REQUIRE(!text.empty());
    CHECK(text.back() == '\n');
    CHECK(text.find('\n') == text.size() - 1);
    auto doc = nlohmann::ordered_json::parse(text);
    auto problems = schema_check::fields_problems(doc, doctor_fields(), "doctor");
    CHECK_MESSAGE(problems.empty(), (problems.empty() ? "" : problems.front()));
    CHECK(doc.begin().key() == "schema_version");
    CHECK(doc["schema_version"] == schema_version);
    CHECK(doc["verdict"] == "degraded");
    CHECK(doc["host"]["kernel"] == "6.18.0-\x1b[31mevil\"\n");
    CHECK(doc["areas"][1]["hooks"][1]["consequence"] == "no mem.reclaim records of direct reclaim");
    CHECK(doc["areas"][1]["hooks_attached"] == 1);

    // The checker catches a document that is not as declared.
    doc["host"]["psi"].erase("status");
    CHECK_FALSE(schema_check::fields_problems(doc, doctor_fields(), "doctor").empty());

    // The table escapes the same strings for the terminal.
    std::string t = doctor_table(r, false);
    CHECK(t.find('\x1b') == std::string::npos);
    CHECK(t.find('\xff') == std::string::npos);
    CHECK(has_line(t, "\\x1b[31mevil"));
}

TEST_CASE("doctor: host file parsers")
{
    CHECK(parse_lockdown("[none] integrity confidentiality\n") == "none");
    CHECK(parse_lockdown("none integrity [confidentiality]\n") == "confidentiality");
    CHECK(parse_lockdown("none integrity confidentiality\n").empty());

    CHECK(cmdline_disables_psi("BOOT_IMAGE=/vmlinuz ro psi=0 quiet\n"));
    CHECK(cmdline_disables_psi("psi=off"));
    CHECK_FALSE(cmdline_disables_psi("ro psi=1 quiet"));
    CHECK_FALSE(cmdline_disables_psi("ro quiet"));
    CHECK_FALSE(cmdline_disables_psi("xpsi=0"));

    constexpr long tmpfs = 0x01021994, cgroup2 = 0x63677270;
    CHECK(cgroup_mode(cgroup2, false, true, false) == "v2");
    CHECK(cgroup_mode(tmpfs, true, true, true) == "hybrid");
    CHECK(cgroup_mode(tmpfs, false, false, true) == "v1");
    CHECK(cgroup_mode(0, false, false, false).empty());
    CHECK(cgroup_mode(0, false, true, false) == "v2");

    CHECK(hook_consequence("mem", "oom:mark_victim") == "no mem.oom_kill records");
    CHECK(hook_consequence("net", "raw_syscalls:sys_exit") == "no net records that come from syscalls");
    CHECK(hook_consequence("proc", "nothing:known").empty());
}
