// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// tapio-trace doctor: the host as tapio-trace sees it, and for every hook of
// every area whether it attaches, and how, or why not. The library computes
// the report (diagnose(), src/doctor.h); this writes it as doctor.* records.
#include <unistd.h>

#include <fmt/format.h>

#include "cli.h"
#include "clock.h"
#include "collector.h"
#include "doctor.h"
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

namespace {

void write_host(RecordSink& sink, const DoctorHost& host)
{
    sink.begin("doctor.host", tracer_common());
    sink.str("kernel", host.kernel);
    sink.str("machine", host.machine);
    sink.boolean("btf", host.btf);
    sink.boolean("ring_buffer", host.ring_buffer);
    sink.boolean("privileged", host.privileged);
    if (!host.privileged)
        sink.str("privileges", host.missing_privileges);
    sink.boolean("tracefs", host.tracefs);
    if (!host.tracefs)
        sink.str("tracefs_problem", host.tracefs_problem);
    else if (host.tracefs_mounted)
        sink.str("tracefs_note", "tracefs was not mounted; tapio-trace mounted it on /sys/kernel/tracing");
    sink.boolean("fentry", host.fentry);
    sink.end();
}

void write_hook(RecordSink& sink, const HookStatus& h)
{
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

void write_area(RecordSink& sink, const DoctorArea& area)
{
    sink.begin("doctor.area", tracer_common());
    sink.name("area", area_name(area.area));
    sink.boolean("ok", area.ok);
    if (!area.ok)
        sink.str("error", area.error);
    sink.end();
}

}  // namespace

int run_doctor(const Invocation& inv)
{
    const Options& o = inv.options;
    Output out(STDOUT_FILENO);
    WallClock clock = WallClock::now();
    JsonWriter json(out, clock);
    TableWriter table(out, clock);
    RecordSink& sink = o.output == "json" ? static_cast<RecordSink&>(json) : static_cast<RecordSink&>(table);

    Config config = o.config;
    config.log = stderr_log(o.verbose);
    DoctorReport report = diagnose(config);

    write_host(sink, report.host);
    for (const DoctorArea& area : report.areas) {
        for (const HookStatus& h : area.hooks)
            write_hook(sink, h);
        write_area(sink, area);
    }
    int exit_code = static_cast<int>(report.exit_code);
    sink.begin("doctor.summary", tracer_common());
    sink.boolean("ok", report.ok());
    sink.i64("exit_code", exit_code);
    sink.end();
    sink.flush();
    return exit_code;
}

}  // namespace tapio::cli
