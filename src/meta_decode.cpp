// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Records tapio-trace writes about itself: tapio.dropped in the stream,
// doctor.* from `tapio-trace doctor`.
#include <array>

#include "collector_core.h"
#include "decode.h"
#include "doctor.h"

namespace tapio {
namespace {

using enum JsonType;
using enum Presence;

#define TT_DROP_REASON(key, what)                                     \
    {                                                                 \
        key, object, always, {}, what, {}, {}, integer, "record type" \
    }

constexpr Field dropped_fields[] = {
    TT_DROP_REASON("lost", "per record type: records the full ring buffer had no room for"),
    TT_DROP_REASON("rate_limited", "per record type: records --rate-limit held back"),
    TT_DROP_REASON("sampled_out", "per record type: records --sample left out"),
    TT_DROP_REASON("map_full",
                   "per record type: calls whose entry found a full in-kernel map, so their record could not be "
                   "made, or summary rows that found their map full"),
    {"final", boolean, always, {}, "the last report of the run"},
};

#undef TT_DROP_REASON

constexpr std::string_view hows[] = {"tp_btf", "raw_tracepoint", "tracepoint", "fentry", "none"};
constexpr std::string_view hook_states[] = {"attached", "disabled", "unavailable", "failed"};

constexpr Field host_fields[] = {
    {"kernel", string, always, {}, "the kernel release"},
    {"machine", string, always, {}, "the architecture"},
    {"btf", boolean, always, {}, "the kernel has BTF (/sys/kernel/btf/vmlinux)"},
    {"ring_buffer", boolean, always, {}, "BPF ring buffers load"},
    {"privileged", boolean, always, {}, "tapio-trace has the privileges it needs"},
    {"privileges", string, optional, {}, "which are missing"},
    {"tracefs", boolean, always, {}, "tracefs is usable"},
    {"tracefs_problem", string, optional, {}, "why not"},
    {"tracefs_note", string, optional, {}, "what tapio-trace did about it (mounted it)"},
    {"fentry", boolean, always, {}, "fentry programs load"},
};

constexpr Field hook_fields[] = {
    {"area", string, always, {}, "the area"},
    {"hook", string, always, {}, "the kernel hook, such as sched:sched_process_exec"},
    {"program", string, always, {}, "the BPF program used, or the best candidate"},
    {"how", string, always, {}, "how it attaches", hows},
    {"state", string, always, {}, "attached, or why not", hook_states},
    {"reason", string, optional, {}, "why it did not attach"},
    {"syscalls",
     array,
     optional,
     {},
     "raw_syscalls hooks: the syscalls the dispatcher serves this area (* for every syscall)"},
};

constexpr Field area_fields[] = {
    {"area", string, always, {}, "the area"},
    {"ok", boolean, always, {}, "the area can run"},
    {"error", string, optional, {}, "why not"},
};

constexpr Field summary_fields[] = {
    {"ok", boolean, always, {}, "every area can run"},
    {"exit_code", integer, always, {}, "doctor's exit code"},
};

constexpr std::array<RecordSpec, 5> table = {{
    {"tapio.dropped", "tapio",
     "What did not reach the stream since the last report, at most once a second while it happens, and once at the "
     "end when anything was dropped. Each reason is an object from record type to count.",
     dropped_fields},
    {"doctor.host", "doctor", "doctor: the host as tapio-trace sees it.", host_fields},
    {"doctor.hook", "doctor", "doctor: one hook of one area, whether it attaches, and how or why not.", hook_fields},
    {"doctor.area", "doctor", "doctor: whether an area can run.", area_fields},
    {"doctor.summary", "doctor", "doctor: the verdict.", summary_fields},
}};

void write_doctor_host(RecordSink& sink, const DoctorHost& host)
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

void write_doctor_hook(RecordSink& sink, const HookStatus& h)
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

void write_doctor_area(RecordSink& sink, const DoctorArea& area)
{
    sink.begin("doctor.area", tracer_common());
    sink.name("area", area_name(area.area));
    sink.boolean("ok", area.ok);
    if (!area.ok)
        sink.str("error", area.error);
    sink.end();
}

}  // namespace

void write_doctor(RecordSink& sink, const DoctorReport& report)
{
    write_doctor_host(sink, report.host);
    for (const DoctorArea& area : report.areas) {
        for (const HookStatus& h : area.hooks)
            write_doctor_hook(sink, h);
        write_doctor_area(sink, area);
    }
    sink.begin("doctor.summary", tracer_common());
    sink.boolean("ok", report.ok());
    sink.i64("exit_code", static_cast<int>(report.exit_code));
    sink.end();
}

void write_dropped(RecordSink& sink, const Common& common, const DropTable& counts, bool final)
{
    static constexpr std::string_view reason_keys[TT_DROP_REASONS] = {"lost", "rate_limited", "sampled_out",
                                                                      "map_full"};
    sink.begin("tapio.dropped", common);
    for (uint32_t r = 0; r < TT_DROP_REASONS; ++r) {
        sink.begin_object(reason_keys[r]);
        for (uint32_t k = 0; k < TT_KIND_MAX; ++k)
            if (counts[k][r])
                sink.u64(kind_type(static_cast<uint16_t>(k)), counts[k][r]);
        sink.end_object();
    }
    sink.boolean("final", final);
    sink.end();
}

std::span<const RecordSpec> meta_records()
{
    return table;
}

}  // namespace tapio
