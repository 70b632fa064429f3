// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The mem area's probe set: OOM kills, reclaim stalls and large mappings in
// the kernel; memory pressure (PSI) read from its files in user space.
#include <bpf/libbpf.h>

#include <unistd.h>

#include <vector>

#include "area_probes.h"
#include "decode.h"
#include "mem_pressure.h"
#include "select.h"

namespace tapio {
namespace {

// PSI averages are recomputed every 2 s; checking the threshold more often
// than this only costs reads.
constexpr uint64_t threshold_check_ns = 250'000'000;

uint32_t page_shift()
{
    long size = sysconf(_SC_PAGESIZE);
    uint32_t shift = 0;
    while (size > 1) {
        size >>= 1;
        ++shift;
    }
    return shift >= 10 ? shift : 12;
}

class MemProbes final : public SkeletonProbes {
public:
    explicit MemProbes(tapio_bpf* skel) : SkeletonProbes(Area::mem, skel) {}

    void configure(const Config& config) override
    {
        skel()->rodata->mem_min_latency_ns = static_cast<uint64_t>(config.mem.min_latency.count());
        skel()->rodata->mem_min_size = config.mem.min_size;
        skel()->rodata->mem_file_mappings = config.mem.file_mappings;
        // The raw mark_victim program turns page counts into KiB as the
        // kernel's PG_COUNT_TO_KB() does.
        skel()->rodata->mem_page_shift = page_shift();
        files_ = open_pressure_files(config);
    }

    std::vector<HookSpec> hooks(const Config&) const override
    {
        return {
            {"oom:mark_victim", {"handle_mark_victim_raw", "handle_mark_victim"}, true, {"mem.oom_kill"}},
            {"vmscan:mm_vmscan_direct_reclaim_begin",
             {"handle_direct_reclaim_begin_raw", "handle_direct_reclaim_begin"},
             true,
             {"mem.reclaim"}},
            {"vmscan:mm_vmscan_direct_reclaim_end",
             {"handle_direct_reclaim_end_raw", "handle_direct_reclaim_end"},
             true,
             {"mem.reclaim"}},
            {"vmscan:mm_vmscan_memcg_reclaim_begin",
             {"handle_memcg_reclaim_begin_raw", "handle_memcg_reclaim_begin"},
             true,
             {"mem.reclaim"}},
            {"vmscan:mm_vmscan_memcg_reclaim_end",
             {"handle_memcg_reclaim_end_raw", "handle_memcg_reclaim_end"},
             true,
             {"mem.reclaim"}},
            // Cleans the pending maps of threads that leave mid-call.
            {"sched:sched_process_exit", {"handle_thread_exit_raw"}, true, {"mem.reclaim", "mem.alloc", "mem.unmap"}},
        };
    }

    Syscalls syscalls(const Config& config) const override
    {
        uint64_t kinds = config.all_hooks ? ~0ULL : chosen_kinds(config);
        return {TT_SYS_AREA_MEM, true, true, syscalls_for({TT_MEM_SYSCALL_LIST(TT_SYSCALL_ENTRY)}, kinds)};
    }

    // Every sampling interval: one mem.pressure record per pressure file.
    void tick(const TickContext& ctx, RecordSink& sink) override
    {
        if (!ctx.config.mem.pressure)
            return;
        for (PsiFile& f : files_) {
            if (!f.problem().empty()) {
                report_unavailable(ctx, f, sink);
                continue;
            }
            auto sample = f.read();
            if (!sample) {
                report_unavailable(ctx, f, sink);
                continue;
            }
            emit(ctx, f, *sample, "interval", sink);
        }
    }

    // At the drain cadence: a record at once when some_avg10 crosses the
    // threshold, up or down.
    void poll(const TickContext& ctx, RecordSink& sink) override
    {
        uint32_t threshold = ctx.config.mem.pressure_threshold;
        if (!ctx.config.mem.pressure || threshold == 0 || ctx.now_boot_ns - last_check_ns_ < threshold_check_ns)
            return;
        last_check_ns_ = ctx.now_boot_ns;
        for (PsiFile& f : files_) {
            if (!f.problem().empty())
                continue;
            auto sample = f.read();
            if (!sample)
                continue;
            bool above = sample->some.avg10 >= threshold;
            if (above == f.above)
                continue;
            f.above = above;
            emit(ctx, f, *sample, above ? "above" : "below", sink);
        }
    }

private:
    static Common pressure_common(const TickContext& ctx, const PsiFile& f)
    {
        // Not about a task: the common fields say so with zeros, except the
        // cgroup whose pressure this is.
        Common c;
        c.ts_boot_ns = ctx.now_boot_ns;
        c.cgroup_id = f.cgroup_id;
        return c;
    }

    void emit(const TickContext& ctx, const PsiFile& f, const PsiSample& s, std::string_view trigger, RecordSink& sink)
    {
        PressureReport report{f.source(), f.path(), trigger, &s};
        report.threshold = ctx.config.mem.pressure_threshold;
        write_pressure(sink, pressure_common(ctx, f), report);
    }

    // Once per file: PSI is off or the file is unreadable.
    void report_unavailable(const TickContext& ctx, PsiFile& f, RecordSink& sink)
    {
        for (const std::string& reported : reported_)
            if (reported == f.path())
                return;
        reported_.push_back(f.path());
        PressureReport report{f.source(), f.path(), "interval"};
        report.reason = f.problem();
        write_pressure(sink, pressure_common(ctx, f), report);
    }

    std::vector<PsiFile> files_;
    std::vector<std::string> reported_;
    uint64_t last_check_ns_ = 0;
};

}  // namespace

std::unique_ptr<AreaProbes> make_mem_probes(tapio_bpf* skel)
{
    return std::make_unique<MemProbes>(skel);
}

}  // namespace tapio
