// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Least privilege: the capabilities a run keeps once attached, and the
// tracefs mount it makes (and removes) or leaves alone.
#include <doctest/doctest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "harness.h"

using namespace live;

namespace {

std::map<std::string, std::string> status_of(pid_t pid)
{
    std::map<std::string, std::string> out;
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        size_t colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        size_t v = line.find_first_not_of(" \t", colon + 1);
        out[line.substr(0, colon)] = v == std::string::npos ? "" : line.substr(v);
    }
    return out;
}

}  // namespace

TEST_CASE("once attached, a run holds no capability (any set) and has no_new_privs; tracing goes on")
{
    for (const char* area : {"proc", "all"}) {
        INFO(area);
        Tracer t({area, "--syscalls", "-e", "proc.exec,proc.syscalls"});
        REQUIRE_MESSAGE(t.ready(), t.stderr_text());
        auto st = status_of(t.pid());
        INFO("CapEff " << st["CapEff"] << " CapPrm " << st["CapPrm"] << " CapBnd " << st["CapBnd"]);
        // A kernel before 6.5 keeps CAP_BPF (bit 39) for its map reads.
        const std::string none = "0000000000000000", bpf_only = "0000008000000000";
        CHECK((st["CapEff"] == none || st["CapEff"] == bpf_only));
        CHECK(st["CapPrm"] == st["CapEff"]);
        CHECK(st["CapInh"] == none);
        CHECK(st["CapAmb"] == none);
        CHECK(st["CapBnd"] == st["CapEff"]);
        CHECK(st["NoNewPrivs"] == "1");
        // The ring buffer and the maps are still read: an exec, and a
        // periodic proc.syscalls summary (a map read each second).
        std::string marker = unique("unpriv");
        pid_t p = spawn({"/bin/true", marker});
        CHECK(wait_pid(p).code == 0);
        CHECK(t.wait_for(
            [&](const json& r) { return is_type(r, "proc.exec") && r["args"].size() == 2 && r["args"][1] == marker; }));
        CHECK(t.wait_for([](const json& r) { return is_type(r, "proc.syscalls"); }, 3000ms));
        t.stop();
        CHECK(t.stderr_text().find("privileges dropped") != std::string::npos);
    }
}

TEST_CASE("tracefs: a mount it made is reported and removed once attached; an unreadable one is never mounted over")
{
    // A private mount namespace with no tracefs: tapio-trace mounts one.
    std::string script =
        "umount /sys/kernel/debug/tracing 2>/dev/null; umount /sys/kernel/tracing 2>/dev/null; "
        "umount /sys/kernel/debug 2>/dev/null; "
        "grep -q ' - tracefs ' /proc/self/mountinfo && { echo STILL-MOUNTED; exit 1; }; " +
        binary() +
        " proc -v -n 1 -e proc.exec >/dev/null & t=$!; sleep 1; /bin/true; wait $t; "
        "grep -q ' - tracefs ' /proc/self/mountinfo && echo LEFT-MOUNTED || echo NONE-LEFT";
    Captured c = capture({"unshare", "-m", "--propagation", "private", "sh", "-c", script});
    INFO(c.out << c.err);
    CHECK(c.exit.code == 0);
    CHECK(c.err.find("tracefs was not mounted; mounted it on /sys/kernel/tracing, and unmounted it") !=
          std::string::npos);
    CHECK(c.out.find("NONE-LEFT") != std::string::npos);

    // Mounted, but not readable (mode 0700) by a user with only CAP_BPF and
    // CAP_PERFMON: said so, and no mount tried over it.
    Captured u = capture({"setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", "--inh-caps",
                          "+bpf,+perfmon", "--ambient-caps", "+bpf,+perfmon", binary(), "proc", "-v", "-d", "1s"});
    INFO(u.err);
    CHECK(u.err.find("but this process cannot read it") != std::string::npos);
    CHECK(u.err.find("EBUSY") == std::string::npos);
    CHECK(u.err.find("busy") == std::string::npos);
}

TEST_CASE("least privilege: every area runs with every hook on exactly CAP_BPF and CAP_PERFMON, as nobody and as root")
{
    const std::vector<std::string> caps = {"--inh-caps",         "-all,+bpf,+perfmon", "--ambient-caps",
                                           "-all,+bpf,+perfmon", "--bounding-set",     "-all,+bpf,+perfmon"};
    for (std::vector<std::string> who :
         {std::vector<std::string>{"--reuid", "65534", "--regid", "65534", "--clear-groups"},
          std::vector<std::string>{"--reuid", "0"}}) {
        std::vector<std::string> base = {"setpriv"};
        base.insert(base.end(), who.begin(), who.end());
        base.insert(base.end(), caps.begin(), caps.end());
        base.push_back(binary());
        for (std::vector<std::string> args :
             {std::vector<std::string>{"proc", "--syscalls"}, std::vector<std::string>{"net", "--drops", "--states"},
              std::vector<std::string>{"file", "--top", "5", "--min-latency", "1ms"}, std::vector<std::string>{"mem"},
              std::vector<std::string>{"all", "--drops", "--states", "--syscalls", "--top", "5"}}) {
            std::vector<std::string> argv = base;
            argv.insert(argv.end(), args.begin(), args.end());
            argv.insert(argv.end(), {"-v", "-d", "1s"});
            Captured c = capture(argv);
            INFO(who[1] << " " << args[0] << ": " << c.err);
            CHECK(c.exit.code == 0);
            CHECK(c.err.find("ready:") != std::string::npos);
            // Every hook attached: none failed, none missing.
            CHECK(c.err.find(" failed") == std::string::npos);
            CHECK(c.err.find("unavailable") == std::string::npos);
            CHECK(c.err.find("not permitted") == std::string::npos);
        }
        // doctor agrees.
        std::vector<std::string> argv = base;
        argv.insert(argv.end(), {"doctor", "--json"});
        Captured d = capture(argv);
        INFO(d.out << d.err);
        CHECK(d.exit.code == 0);
        auto doc = json::parse(d.out, nullptr, false);
        REQUIRE(doc.is_object());
        CHECK(doc["host"]["privileges"]["status"] == "ok");
        size_t areas = 0;
        for (const auto& a : doc["areas"]) {
            ++areas;
            CHECK_MESSAGE(a["verdict"] == "ok", a.dump());
            CHECK(a["hooks_attached"] == a["hooks_total"]);
        }
        CHECK(areas == 4);
    }
}
