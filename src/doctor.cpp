// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "doctor.h"

#include <bpf/libbpf.h>
#include <sys/utsname.h>

#include "collector_core.h"
#include "host_features.h"
#include "log.h"

namespace tapio {

namespace {

DoctorHost check_host(SystemFeatures& features)
{
    DoctorHost host;
    utsname uts{};
    uname(&uts);
    host.kernel = uts.release;
    host.machine = uts.machine;
    auto missing = missing_privileges();
    host.privileged = !missing;
    host.btf = features.has_vmlinux_btf();
    if (missing) {
        host.missing_privileges = *missing;
        host.tracefs_problem = "not checked without privileges";
        return host;
    }
    host.ring_buffer = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 1;
    TracefsStatus tracefs = mount_tracefs();
    host.tracefs = tracefs.problem.empty();
    host.tracefs_problem = tracefs.problem;
    host.tracefs_mounted = tracefs.mounted;
    host.fentry = features.tracing_loadable(BPF_TRACE_FENTRY, "do_unlinkat");
    return host;
}

DoctorArea check_area(Area area, const Config& base, HostFeatures& features)
{
    DoctorArea result;
    result.area = area;
    Config config = base;
    config.areas = {area};
    config.all_hooks = true;
    ProbeManager probes(config, features);
    try {
        probes.start();
        result.ok = true;
    } catch (const Error& e) {
        result.error = e.what();
    }
    result.hooks = probes.hooks();
    return result;
}

}  // namespace

DoctorReport diagnose(const Config& config)
{
    LibbpfLogRoute route(config.log);
    SystemFeatures features;
    DoctorReport report;
    report.host = check_host(features);
    if (!report.host.privileged) {
        report.exit_code = ExitCode::privilege;
        return report;
    }
    if (!report.host.btf || !report.host.ring_buffer) {
        report.exit_code = ExitCode::kernel;
        return report;
    }
    for (Area area : all_areas) {
        if (!area_built(area))
            continue;
        report.areas.push_back(check_area(area, config, features));
        if (!report.areas.back().ok)
            report.exit_code = ExitCode::kernel;
    }
    return report;
}

}  // namespace tapio
