// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// doctor: the host as tapio-trace sees it, and for every hook of every area
// whether it attaches, and how, or why not. Computed here; a front end only
// shows the report (tapio-trace doctor writes it as doctor.* records).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tapio/config.h"
#include "tapio/errors.h"
#include "probes.h"

namespace tapio {

struct DoctorHost {
    std::string kernel;   // uname release
    std::string machine;  // uname machine
    bool btf = false;
    bool ring_buffer = false;
    bool privileged = false;
    std::string missing_privileges;  // what is missing, when not privileged
    // Whether plain tracepoints can find their ids; unchecked (false, with a
    // problem) without privileges.
    bool tracefs = false;
    std::string tracefs_problem;   // why not
    bool tracefs_mounted = false;  // doctor mounted it: it was not mounted
    bool fentry = false;           // the kernel loads fentry programs
};

// One area, started on its own so one area's failure cannot hide another's.
struct DoctorArea {
    Area area = Area::proc;
    bool ok = false;
    std::string error;  // why it cannot run
    std::vector<HookStatus> hooks;
};

struct DoctorReport {
    DoctorHost host;
    // Every area this build has, in all_areas order; none when the host
    // lacks privileges, BTF or a ring buffer.
    std::vector<DoctorArea> areas;
    // ok; privilege without privileges; kernel without BTF or a ring
    // buffer, or with an area that cannot run.
    ExitCode exit_code = ExitCode::ok;
    bool ok() const { return exit_code == ExitCode::ok; }
};

// Checks this host, mounting tracefs when nothing has (mount_tracefs()), and
// tries every hook of every area, also those only optional features use.
// config: filters and options as a trace would have them (its areas are not
// used); its log gets the warnings and libbpf's messages.
DoctorReport diagnose(const Config& config);

}  // namespace tapio
