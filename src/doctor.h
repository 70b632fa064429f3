// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// doctor: the host as tapio-trace sees it, and for every hook of every area
// whether it attaches, and how, or why not. Computed here; the report is
// shown as a human report (doctor_table()) or one JSON document
// (doctor_json()), both built from the DoctorReport alone, so they can be
// tested with a made-up one.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tapio/config.h"
#include "tapio/errors.h"
#include "tapio/health.h"
#include "schema.h"

namespace tapio {

// How one host fact stands for tapio-trace. unknown: it could not be
// checked (detail says why); never reported as absent instead.
enum class CheckStatus { ok, limited, missing, unknown };
const char* check_status_name(CheckStatus status);

// One host fact: what was found, and what depends on it.
struct HostCheck {
    CheckStatus status = CheckStatus::unknown;
    std::string value = "unknown";  // what was found ("/sys/kernel/tracing", "hybrid", "none")
    std::string detail;             // why unknown, or what it means when not ok
    std::string affects;            // what tapio-trace uses it for
};

struct DoctorHost {
    std::string kernel;   // uname release
    std::string machine;  // uname machine
    bool privileged = false;
    HostCheck btf, ring_buffer, privileges, tracefs, fentry, psi, cgroup, lockdown, unprivileged_bpf;

    // Every check with its JSON key and its label in the table, in report order.
    struct Named {
        std::string_view key, label;
        const HostCheck* check;
    };
    std::vector<Named> checks() const;
};

// What the area loses when a hook is not attached ("no mem.reclaim
// records"); empty when nothing is known about the hook.
std::string hook_consequence(std::string_view area, std::string_view hook);

struct DoctorHook {
    HookStatus status;
    std::string consequence;  // what is lost when it is not attached
};

// ok: runs with every hook; degraded: runs without some hook or feature;
// cannot_run; unknown: not checked (no privileges).
enum class AreaVerdict { ok, degraded, cannot_run, unknown };
const char* area_verdict_name(AreaVerdict verdict);

// One area, started on its own so one area's failure cannot hide another's.
struct DoctorArea {
    Area area = Area::proc;
    AreaVerdict verdict = AreaVerdict::unknown;
    std::string error;  // why it cannot run, or why it was not checked
    std::vector<DoctorHook> hooks;
    // Features a host fact takes away, each "feature: why -> consequence".
    std::vector<std::string> limits;
    bool ok() const { return verdict == AreaVerdict::ok || verdict == AreaVerdict::degraded; }
    size_t attached() const;
};

struct DoctorReport {
    DoctorHost host;
    // Every area this build has, in all_areas order.
    std::vector<DoctorArea> areas;
    // ok; privilege without privileges; kernel without BTF or a ring
    // buffer, or with an area that cannot run.
    ExitCode exit_code = ExitCode::ok;
    bool ok() const { return exit_code == ExitCode::ok; }
    // The final verdict: ok (every area with every hook), degraded (every
    // area can run, some with less), cannot_run, unknown (not checked).
    AreaVerdict verdict() const;
    // The verdict as one sentence: "every area can run".
    std::string verdict_text() const;
};

// Checks this host, mounting tracefs when nothing has (mount_tracefs()), and
// tries every hook of every area, also those only optional features use.
// config: filters and options as a trace would have them (its areas are not
// used); its log gets the warnings and libbpf's messages. Without privileges
// it reports what it can read and "unknown" for the rest.
DoctorReport diagnose(const Config& config);

// Fills in each area's verdict and limits from its hooks and the host facts,
// and the report's exit code. diagnose() calls it; tests call it on a
// made-up report.
void judge(DoctorReport& report);

// The human report: host facts, one line per area, every hook that is not
// attached with its reason and consequence (every hook with verbose), and
// the verdict. Every string escaped for the terminal; lines fit 80 columns
// except where a kernel string or reason is longer.
std::string doctor_table(const DoctorReport& report, bool verbose);
// The same as one JSON document on one line (with its newline): the shape
// doctor_fields() declares.
std::string doctor_json(const DoctorReport& report);
// The doctor document's fields, for the JSON Schema and the docs.
std::span<const Field> doctor_fields();
// The fields of every host check (host.btf, host.psi, ...).
std::span<const Field> doctor_check_fields();

// Parsers of host files, apart from the reads so tests can feed them.
// "[none] integrity confidentiality" -> "none"; empty when none is chosen.
std::string parse_lockdown(std::string_view text);
// Whether a kernel command line turns PSI off ("psi=0", "psi=off", "psi=n").
bool cmdline_disables_psi(std::string_view cmdline);
// The cgroup mode from /sys/fs/cgroup's file system magic, whether
// /sys/fs/cgroup/unified is cgroup2, and whether /proc/self/cgroup has a
// v2 line ("0::") and v1 lines: "v2", "v1", "hybrid", or "" when unknown.
std::string cgroup_mode(long root_magic, bool unified_is_cgroup2, bool has_v2_line, bool has_v1_lines);

}  // namespace tapio
