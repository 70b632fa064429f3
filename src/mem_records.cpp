// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Decoders of the mem area's records.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_map>

#include "escape.h"
#include "mem_records.h"
#include "records.h"

namespace tapio {

namespace {

// The root directory of the cgroup hierarchy that holds the memory
// controller: a v1 "memory" mount if there is one, else a cgroup2 mount
// whose root lists memory among its controllers.
std::string find_memory_hierarchy()
{
    std::ifstream mountinfo("/proc/self/mountinfo");
    std::string line, v2_root;
    while (std::getline(mountinfo, line)) {
        // "... mount_point options - fstype source super_options"
        size_t dash = line.find(" - ");
        if (dash == std::string::npos)
            continue;
        std::istringstream pre(line.substr(0, dash)), post(line.substr(dash + 3));
        std::string id, parent, devno, root, mount_point, fstype, source, super;
        pre >> id >> parent >> devno >> root >> mount_point;
        post >> fstype >> source >> super;
        if (root != "/")
            continue;  // a bind mount of a sub-cgroup
        if (fstype == "cgroup") {
            std::string opts = "," + super + ",";
            if (opts.find(",memory,") != std::string::npos)
                return mount_point;
        } else if (fstype == "cgroup2" && v2_root.empty()) {
            std::ifstream controllers(mount_point + "/cgroup.controllers");
            std::string word;
            while (controllers >> word)
                if (word == "memory")
                    v2_root = mount_point;
        }
    }
    return v2_root;
}

// Depth-first search for the directory whose inode number is id.
bool find_inode(const std::string& dir, uint64_t id, int depth, std::string& found)
{
    if (depth > 32)
        return false;
    DIR* d = opendir(dir.c_str());
    if (!d)
        return false;
    bool hit = false;
    while (dirent* e = readdir(d)) {
        if (e->d_type != DT_DIR || std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0)
            continue;
        std::string sub = dir + "/" + e->d_name;
        if (e->d_ino == id) {
            found = sub;
            hit = true;
            break;
        }
        if (find_inode(sub, id, depth + 1, found)) {
            hit = true;
            break;
        }
    }
    closedir(d);
    return hit;
}

struct MemcgPaths {
    bool searched_root = false;
    std::string root;
    std::unordered_map<uint64_t, std::string> cache;  // id -> path ("" = not found)
};

MemcgPaths& memcg_paths()
{
    static MemcgPaths paths;
    return paths;
}

void memcg_fields(RecordSink& sink, uint64_t id)
{
    sink.u64("memcg_id", id);
    std::string_view path = memcg_path(id);
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

void describe_oom_kill(const void* data, const DecodeOptions&, RecordSink& sink)
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
        memcg_fields(sink, r.memcg_id);
}

void describe_reclaim(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_mem_reclaim*>(data);
    sink.name("scope", r.scope == TT_RECLAIM_MEMCG ? "memcg" : "global");
    sink.u64("duration_ns", r.duration_ns);
    sink.u64("nr_reclaimed", r.nr_reclaimed);
    sink.i64("order", r.order);
    if (r.memcg_id)
        memcg_fields(sink, r.memcg_id);
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
    if (r.ret < 0)
        error_field(sink, r.ret);
    else
        sink.null("error");
}

constexpr std::array<KindInfo, 3> table = {{
    {TT_MEM_OOM_KILL, "mem.oom_kill", Area::mem, sizeof(tt_mem_oom_kill), describe_oom_kill},
    {TT_MEM_RECLAIM, "mem.reclaim", Area::mem, sizeof(tt_mem_reclaim), describe_reclaim},
    {TT_MEM_ALLOC, "mem.alloc", Area::mem, sizeof(tt_mem_alloc), describe_alloc},
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

std::string_view memcg_path(uint64_t id)
{
    MemcgPaths& paths = memcg_paths();
    if (auto it = paths.cache.find(id); it != paths.cache.end())
        return it->second;
    if (!paths.searched_root) {
        paths.root = find_memory_hierarchy();
        paths.searched_root = true;
    }
    std::string path;
    if (!paths.root.empty()) {
        struct stat st {};
        if (stat(paths.root.c_str(), &st) == 0 && st.st_ino == id) {
            path = "/";
        } else if (std::string found; find_inode(paths.root, id, 0, found)) {
            path.assign(found, paths.root.size(), std::string::npos);
        }
    }
    // Rare (a new cgroup in an OOM or reclaim record): the only allocation.
    return paths.cache.emplace(id, std::move(path)).first->second;
}

std::span<const KindInfo> mem_kinds()
{
    return table;
}

}  // namespace tapio
