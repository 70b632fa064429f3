// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Decoders of the mem area's records.

#include <array>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "escape.h"
#include "mem_decode.h"
#include "decode.h"
#include "memcg_paths.h"

namespace tapio {

namespace {

// The path comes from the collector's cache, which it fills before this
// record is decoded (RecordSpec::memcg_of): no file-system I/O here.
void memcg_fields(RecordSink& sink, uint64_t id, const DecodeOptions& options)
{
    sink.u64("memcg_id", id);
    std::optional<std::string_view> cached = options.memcg ? options.memcg->cached(id) : std::nullopt;
    std::string_view path = cached ? *cached : std::string_view();
    if (path.empty()) {
        sink.null("memcg_path");
        sink.boolean("memcg_path_truncated", false);
    } else {
        cut_path_field(sink, "memcg_path", "memcg_path_truncated", path);
    }
}

void address_field(RecordSink& sink, std::string_view key, uint64_t addr)
{
    char text[24];
    int n = std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(addr));
    sink.str(key, std::string_view(text, static_cast<size_t>(n)));
}

void describe_oom_kill(const void* data, const DecodeOptions& options, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_mem_oom_kill*>(data);
    auto has = [&](uint32_t bit) { return (r.present & bit) != 0; };
    sink.u64("victim_pid", r.victim_pid);
    if (has(TT_OOM_HAS_COMM))
        sink.str("victim_comm", kernel_string(r.victim_comm, sizeof(r.victim_comm)));
    if (has(TT_OOM_HAS_UID))
        sink.u64("victim_uid", r.victim_uid);
    if (has(TT_OOM_HAS_TOTAL_VM))
        sink.u64("total_vm_kb", r.total_vm_kb);
    if (has(TT_OOM_HAS_ANON_RSS))
        sink.u64("anon_rss_kb", r.anon_rss_kb);
    if (has(TT_OOM_HAS_FILE_RSS))
        sink.u64("file_rss_kb", r.file_rss_kb);
    if (has(TT_OOM_HAS_SHMEM_RSS))
        sink.u64("shmem_rss_kb", r.shmem_rss_kb);
    if (has(TT_OOM_HAS_PGTABLES))
        sink.u64("pgtables_kb", r.pgtables_kb);
    if (has(TT_OOM_HAS_SCORE_ADJ))
        sink.i64("oom_score_adj", r.oom_score_adj);
    if (has(TT_OOM_HAS_MEMCG))
        memcg_fields(sink, r.memcg_id, options);
}

void describe_reclaim(const void* data, const DecodeOptions& options, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_mem_reclaim*>(data);
    sink.name("scope", r.scope == TT_RECLAIM_MEMCG ? "memcg" : "global");
    sink.u64("duration_ns", r.duration_ns);
    sink.u64("nr_reclaimed", r.nr_reclaimed);
    sink.i64("order", r.order);
    if (r.memcg_id)
        memcg_fields(sink, r.memcg_id, options);
}

void describe_alloc(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_mem_alloc*>(data);
    sink.name("op", alloc_op_name(r.op));
    sink.u64("size", r.size);
    address_field(sink, "addr", r.addr);
    if (r.op == TT_ALLOC_MREMAP) {
        address_field(sink, "old_addr", r.old_addr);
        sink.u64("old_size", r.old_size);
    }
    if (r.op == TT_ALLOC_BRK)
        sink.boolean("shrink", (r.flags & TT_ALLOC_SHRINK) != 0);
    if (r.op == TT_ALLOC_MMAP || r.op == TT_ALLOC_MREMAP)
        sink.boolean("anonymous", (r.flags & TT_ALLOC_FILE) == 0);
    if (r.ret < 0)
        error_field(sink, r.ret);
    else
        sink.null("error");
}

void describe_unmap(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_mem_alloc*>(data);
    sink.u64("size", r.size);
    address_field(sink, "addr", r.addr);
    sink.boolean("anonymous", (r.flags & TT_ALLOC_FILE) == 0);
    if (r.ret < 0)
        error_field(sink, r.ret);
    else
        sink.null("error");
}

uint64_t oom_kill_memcg(const void* data)
{
    const auto& r = *static_cast<const tt_mem_oom_kill*>(data);
    return (r.present & TT_OOM_HAS_MEMCG) ? r.memcg_id : 0;
}

uint64_t reclaim_memcg(const void* data)
{
    return static_cast<const tt_mem_reclaim*>(data)->memcg_id;
}

using enum JsonType;
using enum Presence;

constexpr std::string_view scopes[] = {"global", "memcg"};
constexpr std::string_view alloc_ops[] = {"mmap", "munmap", "brk", "mremap", "unknown"};
constexpr std::string_view sources[] = {"system", "cgroup"};
constexpr std::string_view triggers[] = {"interval", "above", "below"};

constexpr Field oom_kill_fields[] = {
    {"victim_pid", integer, always, {}, "the process killed"},
    {"victim_comm", string, optional, {}, "its name"},
    {"victim_uid", integer, optional, {}, "its uid"},
    {"total_vm_kb", integer, optional, "KiB", "its virtual memory"},
    {"anon_rss_kb", integer, optional, "KiB", "its anonymous resident memory"},
    {"file_rss_kb", integer, optional, "KiB", "its file-backed resident memory"},
    {"shmem_rss_kb", integer, optional, "KiB", "its shared resident memory"},
    {"pgtables_kb", integer, optional, "KiB", "its page tables"},
    {"oom_score_adj", integer, optional, {}, "its oom_score_adj"},
    {"memcg_id", integer, optional, {}, "the memory cgroup the kill happened in (its inode number)"},
    {"memcg_path", string, optional_nullable, {}, "that cgroup's path below the memory hierarchy's root"},
    {"memcg_path_truncated", boolean, optional, {}, "memcg_path was longer than 255 bytes and keeps its end"},
};

constexpr Field reclaim_fields[] = {
    {"scope", string, always, {}, "global, or memcg for a cgroup's limit", scopes},
    {"duration_ns", integer, always, "ns", "how long the task stalled"},
    {"nr_reclaimed", integer, always, "pages", "pages reclaimed"},
    {"order", integer, always, {}, "the allocation order"},
    {"memcg_id", integer, optional, {}, "the memory cgroup, for memcg reclaim"},
    {"memcg_path", string, optional_nullable, {}, "that cgroup's path below the memory hierarchy's root"},
    {"memcg_path_truncated", boolean, optional, {}, "memcg_path was longer than 255 bytes and keeps its end"},
};

constexpr Field alloc_fields[] = {
    {"op",
     string,
     always,
     {},
     "the call (a munmap is a mem.unmap record; munmap stays listed for schema version 1)",
     alloc_ops},
    {"size", integer, always, "bytes", "bytes mapped, unmapped or moved (for brk, by how much the break moved)"},
    {"addr", string, always, {}, "the address, in hex"},
    {"old_addr", string, optional, {}, "mremap: the old address, in hex"},
    {"old_size", integer, optional, "bytes", "mremap: the old size"},
    {"shrink", boolean, optional, {}, "brk: the break moved down"},
    {"anonymous",
     boolean,
     optional,
     {},
     "mmap, mremap: true for anonymous memory; false for a mapping of a file, reported only with --file-mappings"},
    {"error", string, nullable, {}, "the errno name when the call failed, or null"},
};

constexpr Field unmap_fields[] = {
    {"size", integer, always, "bytes", "bytes unmapped"},
    {"addr", string, always, {}, "the start of the range, in hex"},
    {"anonymous",
     boolean,
     always,
     {},
     "false when the range starts in a mapping of a file (reported only with --file-mappings)"},
    {"error", string, nullable, {}, "the errno name when the call failed, or null"},
};

constexpr Field pressure_fields[] = {
    {"source", string, always, {}, "system (/proc/pressure/memory) or cgroup (--cgroup's memory.pressure)", sources},
    {"path", string, always, {}, "the pressure file"},
    {"trigger",
     string,
     always,
     {},
     "interval (every --sampling-interval), above or below (some_avg10 crossed --pressure-threshold)",
     triggers},
    {"available", boolean, always, {}, "false when the kernel has PSI off or the file cannot be read"},
    {"reason", string, optional, {}, "why not, when not available"},
    {"some_avg10", number, optional, "percent", "share of time some task stalled on memory, 10 s average"},
    {"some_avg60", number, optional, "percent", "the same, 60 s average"},
    {"some_avg300", number, optional, "percent", "the same, 300 s average"},
    {"some_total_us", integer, optional, "us", "total stall time of some task"},
    {"full_avg10", number, optional, "percent", "share of time all tasks stalled on memory, 10 s average"},
    {"full_avg60", number, optional, "percent", "the same, 60 s average"},
    {"full_avg300", number, optional, "percent", "the same, 300 s average"},
    {"full_total_us", integer, optional, "us", "total stall time of all tasks"},
    {"threshold", number, optional, "percent", "--pressure-threshold, when set"},
};

constexpr std::array<RecordSpec, 5> table = {{
    {"mem.oom_kill", "mem",
     "The OOM killer chose a victim (oom:mark_victim). The victim's fields are present where the running kernel has "
     "them; the common fields are the task whose allocation triggered the kill.",
     oom_kill_fields, TT_MEM_OOM_KILL, sizeof(tt_mem_oom_kill), describe_oom_kill, oom_kill_memcg},
    {"mem.reclaim", "mem", "A direct reclaim stall longer than --min-latency.", reclaim_fields, TT_MEM_RECLAIM,
     sizeof(tt_mem_reclaim), describe_reclaim, reclaim_memcg},
    {"mem.alloc", "mem",
     "An mmap, brk or mremap of at least --min-size. Only of anonymous memory by default; of files' mappings "
     "(shared libraries at every exec) with --file-mappings.",
     alloc_fields, TT_MEM_ALLOC, sizeof(tt_mem_alloc), describe_alloc},
    {"mem.unmap", "mem",
     "A munmap of at least --min-size: memory given back. Of anonymous memory only by default; of a file's mapping "
     "with --file-mappings.",
     unmap_fields, TT_MEM_UNMAP, sizeof(tt_mem_alloc), describe_unmap},
    {"mem.pressure", "mem",
     "Every --sampling-interval, the kernel's pressure stall information for memory, for the system and for each "
     "--cgroup (cgroup v2). When the kernel has PSI off, one record says available false with the reason. The "
     "common fields are zeros, except cgroup_id for a cgroup's pressure.",
     pressure_fields},
}};
}  // namespace

std::string_view alloc_op_name(uint32_t op)
{
    switch (op) {
        case TT_ALLOC_MMAP: return "mmap";
        case TT_ALLOC_MUNMAP: return "munmap";
        case TT_ALLOC_BRK: return "brk";
        case TT_ALLOC_MREMAP: return "mremap";
    }
    return "unknown";
}

void write_pressure(RecordSink& sink, const Common& common, const PressureReport& report)
{
    sink.begin("mem.pressure", common);
    sink.name("source", report.source);
    sink.str("path", report.path);
    sink.name("trigger", report.trigger);
    sink.boolean("available", report.sample != nullptr);
    if (!report.sample) {
        sink.str("reason", report.reason);
        sink.end();
        return;
    }
    const PsiSample& s = *report.sample;
    sink.decimal("some_avg10", s.some.avg10, 2);
    sink.decimal("some_avg60", s.some.avg60, 2);
    sink.decimal("some_avg300", s.some.avg300, 2);
    sink.u64("some_total_us", s.some.total_us);
    if (s.has_full) {
        sink.decimal("full_avg10", s.full.avg10, 2);
        sink.decimal("full_avg60", s.full.avg60, 2);
        sink.decimal("full_avg300", s.full.avg300, 2);
        sink.u64("full_total_us", s.full.total_us);
    }
    if (report.threshold)
        sink.decimal("threshold", report.threshold, 2);
    sink.end();
}

std::span<const RecordSpec> mem_records()
{
    return table;
}

}  // namespace tapio
