// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Decoders of the proc area's records.
#include <algorithm>
#include <array>
#include <cstdio>

#include "escape.h"
#include "names.h"
#include "decode.h"

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

void uid_field(RecordSink& sink, std::string_view key, uint32_t uid)
{
    if (uid == TT_UID_UNCHANGED)
        sink.null(key);
    else
        sink.u64(key, uid);
}

void describe_setuid(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_proc_setuid*>(data);
    switch (r.call) {
        case TT_SETUID:
            sink.name("call", "setuid");
            sink.u64("target_uid", r.ruid);
            break;
        case TT_SETREUID:
            sink.name("call", "setreuid");
            uid_field(sink, "ruid", r.ruid);
            uid_field(sink, "euid", r.euid);
            break;
        default:
            sink.name("call", "setresuid");
            uid_field(sink, "ruid", r.ruid);
            uid_field(sink, "euid", r.euid);
            uid_field(sink, "suid", r.suid);
            break;
    }
    sink.i64("ret", r.ret);
    error_field(sink, r.ret);
}

using enum JsonType;
using enum Presence;

constexpr std::string_view scopes[] = {"process", "thread"};
constexpr std::string_view args_sources[] = {"caller", "image"};

constexpr Field exec_fields[] = {
    {"filename",
     string,
     always,
     {},
     "the program exactly as the caller passed it, what strace shows: relative to the directory fd for execveat, "
     "empty for fexecve and execveat(AT_EMPTY_PATH); with args_source image, the kernel's name for the file, such as "
     "/dev/fd/3/name"},
    {"filename_truncated", boolean, always, {}, "filename was longer than 255 bytes and keeps its end"},
    {"interpreter",
     string,
     nullable,
     {},
     "the program the kernel ran for it, such as a script's #! interpreter; null when it ran the file itself"},
    {"interpreter_truncated", boolean, always, {}, "interpreter was cut to its last 255 bytes"},
    {"args",
     array,
     always,
     {},
     "argv exactly as the caller passed it, what strace and execsnoop show, also for scripts: up to --max-args "
     "arguments of at most 255 bytes each and 2 KiB in all"},
    {"args_truncated", boolean, always, {}, "arguments were left out or cut"},
    {"args_source",
     string,
     always,
     {},
     "caller; image when the exec was already under way as tracing began, or when the caller's strings could not "
     "all be read at entry (pages the caller never touched, which a tracer may not fault in, as after fork() with "
     "literal arguments): args and filename are then the new image's argv, which the kernel copied, and for a "
     "script it starts with the interpreter; a failed exec has no such copy, and what could not be read is cut, "
     "with args_truncated",
     args_sources},
    {"ret", integer, always, {}, "0, or a negative errno: failed execs come from the exits of execve and execveat"},
    {"error", string, optional, {}, "the errno name of a failed exec"},
};

constexpr Field fork_fields[] = {
    {"child_pid", integer, always, {}, "the new process"},
    {"child_tid", integer, optional, {}, "the new thread, with --threads, when it is not a process"},
};

constexpr Field exit_fields[] = {
    {"exit_code", integer, always, {}, "the exit code its parent's wait() gets ($? in a shell)"},
    {"signal", string, nullable, {}, "the signal that ended it, or null"},
    {"core_dumped", boolean, always, {}, "it dumped core"},
    {"duration_ns", integer, always, "ns", "its lifetime"},
    {"scope",
     string,
     always,
     {},
     "process: the last thread left; thread (--threads only): one thread left while others live",
     scopes},
};

constexpr Field signal_fields[] = {
    {"target_pid", integer, always, {}, "the process the signal was sent to, as passed (kill, tgkill); 0 for tkill"},
    {"target_tid", integer, optional, {}, "the thread, for tkill and tgkill"},
    {"signal", string, nullable, {}, "the signal's name; null for signal 0"},
    {"ret", integer, always, {}, "0, or a negative errno"},
    {"error", string, optional, {}, "the errno name when sending failed"},
};

constexpr std::string_view setuid_calls[] = {"setuid", "setreuid", "setresuid"};

constexpr Field setuid_fields[] = {
    {"call", string, always, {}, "the call", setuid_calls},
    {"target_uid",
     integer,
     optional,
     {},
     "setuid: the uid asked for (all three ids when privileged, else the effective one)"},
    {"ruid", integer, optional_nullable, {}, "setreuid, setresuid: the real uid asked for; null: left as it is (-1)"},
    {"euid", integer, optional_nullable, {}, "setreuid, setresuid: the effective uid asked for; null: left as it is"},
    {"suid", integer, optional_nullable, {}, "setresuid: the saved uid asked for; null: left as it is"},
    {"ret", integer, always, {}, "0, or a negative errno"},
    {"error", string, optional, {}, "the errno name when the call failed (EPERM: not allowed)"},
};

constexpr Field syscall_row_fields[] = {
    {"name", string, always, {}, "the syscall's name (syscall_<nr> when it has none)"},
    {"nr", integer, always, {}, "its number"},
    {"count", integer, always, {}, "calls that returned in the interval"},
    {"errors", integer, always, {}, "calls that returned an error"},
    {"total_ns", integer, always, "ns", "time spent in them, entry to exit"},
};

constexpr Field syscalls_fields[] = {
    {"interval_ns", integer, always, "ns", "length of the interval"},
    {"total", integer, always, {}, "calls of the process in the interval"},
    {"syscalls",
     array,
     always,
     {},
     "the busiest syscalls first, each once, at most --syscalls-top",
     {},
     syscall_row_fields},
};

constexpr std::array<RecordSpec, 6> table = {{
    {"proc.exec", "proc",
     "A program was executed (execve, execveat; failed ones too). After an exec from a thread other than the main "
     "one, tid is the pid: the kernel hands the exec'ing thread the leader's id. --comm keeps an exec by the name "
     "the program ends with (--comm echo shows the execs of echo); a failed exec, by the caller's name.",
     exec_fields, TT_PROC_EXEC, sizeof(tt_proc_exec), describe_exec},
    {"proc.fork", "proc", "A process was created (a thread too, with --threads).", fork_fields, TT_PROC_FORK,
     sizeof(tt_proc_fork), describe_fork},
    {"proc.exit", "proc",
     "A process ended, that is its last thread left, which need not be the main thread: a main thread that calls "
     "pthread_exit() first ends nothing, nor does the old leader that an exec from another thread replaces. "
     "(Kernels since 6.16 say which thread is last; before, tapio-trace counts the live threads itself and reports "
     "only the first of two threads that leave at the same moment.) comm is the process's (its leader's) name, and "
     "--comm matches that name, not the last thread's; tid is the thread that left last. With --threads, each "
     "thread that leaves while others live gives a proc.exit with scope thread, its own exit code and lifetime.",
     exit_fields, TT_PROC_EXIT, sizeof(tt_proc_exit), describe_exit},
    {"proc.signal", "proc", "A signal sent with kill, tkill or tgkill.", signal_fields, TT_PROC_SIGNAL,
     sizeof(tt_proc_signal), describe_signal},
    {"proc.setuid", "proc",
     "A process asked to change its user ids (setuid, setreuid, setresuid); uid in the common fields is the real uid "
     "after the call.",
     setuid_fields, TT_PROC_SETUID, sizeof(tt_proc_setuid), describe_setuid},
    {"proc.syscalls", "proc",
     "With --syscalls, every --sampling-interval, per process: its busiest syscalls. A syscall is counted when it "
     "returns, and only when its exit matches the entry of the same thread (the exit record's number; a successful "
     "execveat leaves the kernel named execve and is counted as execveat, what was called); calls that never return "
     "(exit, exit_group) are not counted. ts is the end of the interval; tid, ppid, uid, cgroup_id and comm are those "
     "of the thread that made the first call of the busiest syscall in the interval.",
     syscalls_fields, TT_PROC_SYSCALLS},
}};
}  // namespace

void write_syscalls(RecordSink& sink, const Common& common, uint64_t interval_ns, std::span<const SyscallCount> rows,
                    size_t top)
{
    uint64_t total = 0;
    for (const SyscallCount& r : rows)
        total += r.count;
    sink.begin("proc.syscalls", common);
    sink.u64("interval_ns", interval_ns);
    sink.u64("total", total);
    sink.begin_array("syscalls");
    size_t n = std::min(rows.size(), top);
    for (size_t i = 0; i < n; ++i) {
        const SyscallCount& r = rows[i];
        sink.begin_object({});
        std::string_view name = syscall_name(r.nr);
        if (name.empty()) {
            char text[24];
            int len = std::snprintf(text, sizeof(text), "syscall_%u", r.nr);
            sink.name("name", std::string_view(text, len > 0 ? static_cast<size_t>(len) : 0));
        } else {
            sink.name("name", name);
        }
        sink.u64("nr", r.nr);
        sink.u64("count", r.count);
        sink.u64("errors", r.errors);
        sink.u64("total_ns", r.total_ns);
        sink.end_object();
    }
    sink.end_array();
    sink.end();
}

std::span<const RecordSpec> proc_records()
{
    return table;
}

}  // namespace tapio
