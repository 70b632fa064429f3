// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// tapio-trace proc: exec, fork, exit, signals, syscall summaries.
#include "cli.h"

namespace tapio::cli {

void add_proc_flags(CLI::App& sub, ProcOptions& proc)
{
    sub.add_option("--max-args", proc.max_args, "Arguments kept per exec (default 20, at most 64)")
        ->type_name("N")
        ->check(CLI::NonNegativeNumber);
    sub.add_flag("--threads", proc.threads, "Report fork and exit of every thread, not only processes");
    sub.add_flag("--syscalls", proc.syscalls, "Per-process syscall summary every --sampling-interval");
    sub.add_option("--syscalls-top", proc.syscalls_top, "Syscalls listed per process in summaries (default 10)")
        ->type_name("N")
        ->check(CLI::NonNegativeNumber);
}

void register_proc(CLI::App& app, Options& o)
{
    CLI::App* sub = app.add_subcommand("proc", "Process exec, fork, exit, signals, setuid and syscalls");
    add_proc_flags(*sub, o.config.proc);
    sub->callback([&o] {
        o.command = Command::trace;
        o.subcommand = "proc";
        o.config.areas = {Area::proc};
    });
}

}  // namespace tapio::cli
