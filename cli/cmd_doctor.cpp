// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// tapio-trace doctor: the host as tapio-trace sees it, and for every hook of
// every area whether it attaches, and how, or why not.
#include <bpf/libbpf.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cli.h"
#include "clock.h"
#include "collector.h"
#include "errors.h"
#include "host_features.h"
#include "writer.h"

namespace tapio::cli {

void register_doctor(CLI::App& app, Options& o)
{
    CLI::App* sub = app.add_subcommand("doctor", "Check this host: kernel, BTF, privileges, every hook");
    sub->callback([&o] {
        o.command = Command::doctor;
        o.subcommand = "doctor";
    });
}

int run_doctor(const Invocation& inv)
{
    const Options& o = inv.options;
    Output out(STDOUT_FILENO);
    WallClock clock = WallClock::now();
    JsonWriter json(out, clock);
    TableWriter table(out, clock);
    RecordSink& sink = o.output == "json" ? static_cast<RecordSink&>(json) : static_cast<RecordSink&>(table);

    SystemFeatures features;
    utsname uts{};
    uname(&uts);
    auto missing = missing_privileges();
    bool btf = features.has_vmlinux_btf();
    bool ringbuf = !missing && libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 1;
    auto tracefs = missing ? std::optional<std::string>("not checked without privileges") : features.tracefs_problem();

    sink.begin("doctor.host", tracer_common());
    sink.str("kernel", uts.release);
    sink.str("machine", uts.machine);
    sink.boolean("btf", btf);
    sink.boolean("ring_buffer", ringbuf);
    sink.boolean("privileged", !missing);
    if (missing)
        sink.str("privileges", *missing);
    sink.boolean("tracefs", !tracefs);
    if (tracefs)
        sink.str("tracefs_problem", *tracefs);
    else if (features.mounted_tracefs())
        sink.str("tracefs_note", "tracefs was not mounted; tapio-trace mounted it on /sys/kernel/tracing");
    sink.boolean("fentry", !missing && features.tracing_loadable(BPF_TRACE_FENTRY, "do_unlinkat"));
    sink.end();

    int exit_code = 0;
    if (missing) {
        exit_code = static_cast<int>(ExitCode::privilege);
    } else if (!btf || !ringbuf) {
        exit_code = static_cast<int>(ExitCode::kernel);
    } else {
        // Each area on its own, so one area's failure cannot hide another's.
        for (Area area : all_areas) {
            if (!area_built(area))
                continue;
            Config config = o.config;
            config.areas = {area};
            config.verbose = o.verbose;
            config.all_hooks = true;
            ProbeManager probes(config, features);
            bool ok = true;
            std::string error;
            try {
                probes.start();
            } catch (const Error& e) {
                ok = false;
                error = e.what();
            }
            for (const HookStatus& h : probes.hooks()) {
                sink.begin("doctor.hook", tracer_common());
                sink.name("area", h.area);
                sink.str("hook", h.hook);
                sink.str("program", h.program);
                sink.name("how", h.how.empty() ? "none" : h.how);
                sink.name("state", hook_state_name(h.state));
                if (!h.reason.empty())
                    sink.str("reason", h.reason);
                if (!h.syscalls.empty()) {
                    sink.begin_array("syscalls");
                    for (const std::string& s : h.syscalls)
                        sink.element(s);
                    sink.end_array();
                }
                sink.end();
            }
            sink.begin("doctor.area", tracer_common());
            sink.name("area", area_name(area));
            sink.boolean("ok", ok);
            if (!ok)
                sink.str("error", error);
            sink.end();
            if (!ok)
                exit_code = static_cast<int>(ExitCode::kernel);
        }
    }
    sink.begin("doctor.summary", tracer_common());
    sink.boolean("ok", exit_code == 0);
    sink.i64("exit_code", exit_code);
    sink.end();
    sink.flush();
    return exit_code;
}

}  // namespace tapio::cli
