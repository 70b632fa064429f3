// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// tapio-trace proc: exec, fork, exit, signals, syscall summaries.
#include "cli.h"

namespace tapio::cli {

void add_proc_flags(CLI::App& sub, ProcOptions& proc)
{
    add_number(sub, "--max-args", proc.max_args, 1, limits::exec_args,
               "Arguments kept per exec (default 20, at most 64)");
    sub.add_flag("--threads", proc.threads, "Report fork and exit of every thread, not only processes");
    sub.add_flag("--syscalls", proc.syscalls, "Per-process syscall summary every --sampling-interval");
    add_number(sub, "--syscalls-top", proc.syscalls_top, 1, UINT32_MAX,
               "Syscalls listed per process in summaries (default 10)");
}

void register_proc(CLI::App& app, Options& o)
{
    CLI::App* sub = app.add_subcommand("proc", "Process exec, fork, exit, signals, setuid and syscalls");
    add_proc_flags(*sub, o.config.proc);
    add_global_flags(*sub, o);
    sub->callback([&o] {
        o.command = Command::trace;
        o.subcommand = "proc";
        o.config.areas = {Area::proc};
    });
}

}  // namespace tapio::cli
