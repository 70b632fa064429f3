// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Decoders of the proc area's records.
#include <array>

#include "escape.h"
#include "names.h"
#include "records.h"

namespace tapio {
namespace {

void signal_field(RecordSink& sink, std::string_view key, int sig)
{
    std::string_view name = signal_name(sig);
    if (name.empty())
        sink.null(key);
    else
        sink.name(key, name);
}

void describe_exec(const void* data, const DecodeOptions& options, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_proc_exec*>(data);
    sink.str("filename", kernel_string(r.filename, sizeof(r.filename)));
    sink.boolean("filename_truncated", (r.args_flags & TT_EXEC_FILENAME_TRUNCATED) != 0);
    // The program the kernel ran for it: a script's #! interpreter.
    if (r.args_flags & TT_EXEC_HAS_INTERP)
        sink.str("interpreter", kernel_string(r.interp, sizeof(r.interp)));
    else
        sink.null("interpreter");
    sink.boolean("interpreter_truncated", (r.args_flags & TT_EXEC_INTERP_TRUNCATED) != 0);

    // argv as the kernel saw it: NUL-separated strings.
    size_t size = r.args_size < sizeof(r.args) ? r.args_size : sizeof(r.args);
    bool truncated = (r.args_flags & TT_EXEC_ARGS_TRUNCATED) != 0;
    sink.begin_array("args");
    size_t pos = 0;
    uint32_t count = 0;
    while (pos < size) {
        if (count == options.max_args) {
            truncated = true;
            break;
        }
        size_t end = pos;
        while (end < size && r.args[end] != '\0')
            ++end;
        sink.element(std::string_view(r.args + pos, end - pos));
        ++count;
        pos = end + 1;
    }
    sink.end_array();
    sink.boolean("args_truncated", truncated);
    // Normally the caller's argv; the new image's when the exec was already
    // under way as tracing began.
    sink.name("args_source", (r.args_flags & TT_EXEC_ARGS_FROM_IMAGE) ? "image" : "caller");
    sink.i64("ret", r.ret);
    error_field(sink, r.ret);
}

void describe_fork(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_proc_fork*>(data);
    sink.u64("child_pid", r.child_pid);
    if (r.child_tid != r.child_pid)
        sink.u64("child_tid", r.child_tid);
}

void describe_exit(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_proc_exit*>(data);
    // The kernel's wait status: exit code in bits 8-15, terminating signal
    // in bits 0-6, core dump flag in bit 7.
    sink.i64("exit_code", (r.exit_code >> 8) & 0xff);
    signal_field(sink, "signal", r.exit_code & 0x7f);
    sink.boolean("core_dumped", (r.exit_code & 0x80) != 0);
    sink.u64("duration_ns", r.duration_ns);
    // "process": the last thread left, and this is what the parent's wait()
    // sees. "thread" (--threads only): one thread left, the process lives on.
    sink.name("scope", (r.exit_flags & TT_EXIT_THREAD) ? "thread" : "process");
}

void describe_signal(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_proc_signal*>(data);
    sink.i64("target_pid", r.target_pid);
    if (r.target_tid != 0)
        sink.i64("target_tid", r.target_tid);
    signal_field(sink, "signal", r.sig);
    sink.i64("ret", r.ret);
    error_field(sink, r.ret);
}

constexpr std::array<KindInfo, 4> table = {{
    {TT_PROC_EXEC, "proc.exec", Area::proc, sizeof(tt_proc_exec), describe_exec},
    {TT_PROC_FORK, "proc.fork", Area::proc, sizeof(tt_proc_fork), describe_fork},
    {TT_PROC_EXIT, "proc.exit", Area::proc, sizeof(tt_proc_exit), describe_exit},
    {TT_PROC_SIGNAL, "proc.signal", Area::proc, sizeof(tt_proc_signal), describe_signal},
}};

}  // namespace

std::span<const KindInfo> proc_kinds()
{
    return table;
}

}  // namespace tapio
