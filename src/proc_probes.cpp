// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The proc area's probe set: exec, fork, exit, signals, syscall summaries.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "area_probes.h"
#include "cgroups.h"
#include "decode.h"
#include "escape.h"
#include "map_drain.h"
#include "names.h"
#include "select.h"

namespace tapio {
namespace {

class ProcProbes final : public SkeletonProbes {
public:
    explicit ProcProbes(tapio_bpf* skel) : SkeletonProbes(Area::proc, skel) {}

    void configure(const Config& config) override
    {
        skel()->rodata->max_args = std::min<uint32_t>(config.proc.max_args, TT_MAX_ARGS);
        skel()->rodata->trace_threads = config.proc.threads;
    }

    std::vector<HookSpec> hooks(const Config& config) const override
    {
        (void)config;
        // The exit also empties what calls a thread never returns from
        // (exit_group, a fatal signal, a kill inside execve) left in the
        // pending maps: it is needed by every type that keeps entries there
        // (exec, signal, setuid, --syscalls), and writes proc.exit only when
        // that is chosen. The exec hook moves an execve in flight to the
        // tid a non-leader thread has after it, which --syscalls counts.
        return {
            {"sched:sched_process_exec", {"handle_exec_raw", "handle_exec"}, true, {"proc.exec", "proc.syscalls"}},
            {"sched:sched_process_fork", {"handle_fork_raw"}, true, {"proc.fork"}},
            {"sched:sched_process_exit",
             {"handle_exit_raw", "handle_exit"},
             true,
             {"proc.exit", "proc.syscalls", "proc.exec", "proc.signal", "proc.setuid"}},
        };
    }

    Syscalls syscalls(const Config& config) const override
    {
        Syscalls s;
        s.names = syscalls_for({TT_PROC_SYSCALL_LIST(TT_SYSCALL_ENTRY)}, kinds(config));
        if (!s.names.empty())
            s.areas = TT_SYS_AREA_PROC;
        if (config.proc.syscalls || config.all_hooks) {
            s.areas |= TT_SYS_AREA_PROC_SUMMARY;
            s.names.push_back("*");
        }
        return s;
    }

    void tick(const TickContext& ctx, RecordSink& sink) override
    {
        if (ctx.config.proc.syscalls)
            emit_syscall_summary(ctx, sink);
    }

private:
    static uint64_t kinds(const Config& config) { return config.all_hooks ? ~0ULL : chosen_kinds(config); }

    struct Row {
        uint32_t nr;
        tt_syscall_stat stat;
    };

    // Drains the in-kernel per-(process, syscall) counters and writes one
    // proc.syscalls record per process, its busiest syscalls first.
    void emit_syscall_summary(const TickContext& ctx, RecordSink& sink)
    {
        by_pid_.clear();
        drain_hash_map<tt_syscall_key, tt_syscall_stat>(bpf_map__fd(skel()->maps.syscall_stats),
                                                        [&](const tt_syscall_key& key, const tt_syscall_stat& stat) {
                                                            by_pid_[key.pid].push_back({key.nr, stat});
                                                        });
        for (auto& [pid, rows] : by_pid_) {
            std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.stat.count > b.stat.count; });
            // The identity of the thread that made the busiest syscall's
            // first call in the interval: observed, never made up.
            const tt_syscall_stat& first = rows.front().stat;
            Common c;
            c.ts_boot_ns = ctx.now_boot_ns;
            c.pid = pid;
            c.tid = first.tid;
            c.ppid = first.ppid;
            c.uid = first.uid;
            c.cgroup_id = first.cgroup_id;
            c.cgroup_v1_id = first.cgroup_v1_id;
            if (ctx.workloads)
                c.workload = ctx.workloads->resolve(c.cgroup_id, c.cgroup_v1_id, ctx.now_boot_ns);
            c.comm = kernel_string(first.comm, sizeof(first.comm));
            counts_.clear();
            for (const Row& r : rows)
                counts_.push_back({r.nr, r.stat.count, r.stat.errors, r.stat.total_ns});
            write_syscalls(sink, c, ctx.interval_ns, counts_, ctx.config.proc.syscalls_top);
        }
    }

    std::unordered_map<uint32_t, std::vector<Row>> by_pid_;
    std::vector<SyscallCount> counts_;
};

}  // namespace

std::unique_ptr<AreaProbes> make_proc_probes(tapio_bpf* skel)
{
    return std::make_unique<ProcProbes>(skel);
}

}  // namespace tapio
