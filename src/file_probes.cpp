// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The file area's probe set: opens, namespace changes, slow I/O, and the
// per-process, per-file I/O summary (--top).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "area_probes.h"
#include "cgroups.h"
#include "decode.h"
#include "map_drain.h"
#include "escape.h"
#include "select.h"

namespace tapio {
namespace {

class FileProbes final : public SkeletonProbes {
public:
    explicit FileProbes(tapio_bpf* skel) : SkeletonProbes(Area::file, skel) {}

    void configure(const Config& config) override
    {
        auto* ro = skel()->rodata;
        const auto& paths = config.file.paths;
        size_t n = std::min<size_t>(paths.size(), TT_FILE_MAX_PREFIXES);
        ro->prefix_count = static_cast<uint32_t>(n);
        for (size_t i = 0; i < n; ++i) {
            size_t len = std::min<size_t>(paths[i].size(), TT_FILE_PREFIX_LEN);
            ro->prefix_len[i] = static_cast<uint32_t>(len);
            memcpy(const_cast<char*>(ro->prefixes[i]), paths[i].data(), len);
        }
        ro->file_min_latency_ns = static_cast<uint64_t>(config.file.min_latency.count());
        ro->io_top = config.file.top > 0;
        ro->slow_any_file = config.file.slow_any_file;
    }

    std::vector<HookSpec> hooks(const Config&) const override
    {
        // A thread that dies in a call leaves its pending entry: dropped here.
        return {{"sched:sched_process_exit", {"handle_thread_exit"}}};
    }

    Syscalls syscalls(const Config& config) const override
    {
        constexpr uint64_t open = TT_KIND_BIT(TT_FILE_OPEN), unlink = TT_KIND_BIT(TT_FILE_UNLINK),
                           rmdir = TT_KIND_BIT(TT_FILE_RMDIR), mkdir = TT_KIND_BIT(TT_FILE_MKDIR),
                           rename = TT_KIND_BIT(TT_FILE_RENAME), truncate = TT_KIND_BIT(TT_FILE_TRUNCATE),
                           chmod = TT_KIND_BIT(TT_FILE_CHMOD);
        // As bpf/file.bpf.h's file_nr_kinds() has them.
        uint64_t kinds = config.all_hooks ? ~0ULL : chosen_kinds(config);
        Syscalls s;
        s.areas = TT_SYS_AREA_FILE;
        // clang-format off
        s.names = syscalls_for({{"openat", open},
                                {"openat2", open},
                                {"unlinkat", unlink | rmdir},
                                {"mkdirat", mkdir},
                                {"renameat", rename},
                                {"renameat2", rename},
                                {"truncate", truncate},
                                {"ftruncate", truncate},
                                {"fchmod", chmod},
                                {"fchmodat", chmod},
                                {"fchmodat2", chmod},
#if defined(__x86_64__)
                                {"open", open},
                                {"creat", open},
                                {"unlink", unlink},
                                {"rmdir", rmdir},
                                {"mkdir", mkdir},
                                {"rename", rename},
                                {"chmod", chmod},
#endif
                               },
                               kinds);
        // clang-format on
        // Opens and the other operations read their arguments back at exit
        // (bpf/file.bpf.h): the entries matter only for timed I/O.
        s.enter = false;
        // Reads and writes are the busiest syscalls of all: only when asked.
        if (config.file.min_latency.count() > 0 || config.file.top > 0) {
            s.enter = true;
            for (const char* io : {"read", "write", "pread64", "pwrite64", "readv", "writev", "fsync", "fdatasync"})
                s.names.push_back(io);
        }
        return s;
    }

    void tick(const TickContext& ctx, RecordSink& sink) override
    {
        if (ctx.config.file.top > 0)
            emit_io_summary(ctx, sink);
    }

private:
    struct Row {
        tt_file_io_key key;
        tt_file_io_stat stat;
    };

    // Drains the in-kernel (process, file) totals and writes the busiest
    // files by bytes moved, one file.io record each.
    void emit_io_summary(const TickContext& ctx, RecordSink& sink)
    {
        rows_.clear();
        drain_hash_map<tt_file_io_key, tt_file_io_stat>(bpf_map__fd(skel()->maps.file_io),
                                                        [&](const tt_file_io_key& key, const tt_file_io_stat& stat) {
                                                            if (!(stat.flags & TT_FILE_IO_IGNORED))
                                                                rows_.push_back(Row{key, stat});
                                                        });
        auto bytes = [](const Row& r) { return r.stat.bytes_read + r.stat.bytes_written; };
        size_t n = std::min<size_t>(rows_.size(), ctx.config.file.top);
        std::partial_sort(rows_.begin(), rows_.begin() + static_cast<std::ptrdiff_t>(n), rows_.end(),
                          [&](const Row& a, const Row& b) {
                              if (bytes(a) != bytes(b))
                                  return bytes(a) > bytes(b);
                              return a.stat.reads + a.stat.writes > b.stat.reads + b.stat.writes;
                          });
        for (size_t i = 0; i < n; ++i) {
            const Row& r = rows_[i];
            // The identity of the thread whose call created the entry, as
            // the kernel saw it then.
            Common c;
            c.ts_boot_ns = ctx.now_boot_ns;
            c.pid = r.key.pid;
            c.tid = r.stat.tid;
            c.ppid = r.stat.ppid;
            c.uid = r.stat.uid;
            c.cgroup_id = r.stat.cgroup_id;
            c.cgroup_v1_id = r.stat.cgroup_v1_id;
            if (ctx.workloads)
                c.workload = ctx.workloads->resolve(c.cgroup_id, c.cgroup_v1_id, ctx.now_boot_ns);
            c.comm = kernel_string(r.stat.comm, sizeof(r.stat.comm));
            write_file_io(sink, c, ctx.interval_ns, FileIoRow{&r.key, &r.stat});
        }
    }

    std::vector<Row> rows_;
};

}  // namespace

std::unique_ptr<AreaProbes> make_file_probes(tapio_bpf* skel)
{
    return std::make_unique<FileProbes>(skel);
}

}  // namespace tapio
