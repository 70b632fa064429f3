// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// What a collector is asked to do: areas, filters, limits. Filled by the CLI
// or by a program embedding the library.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tapio {

enum class Area { proc, net, file, mem };
inline constexpr Area all_areas[] = {Area::proc, Area::net, Area::file, Area::mem};
const char* area_name(Area area);

struct ProcOptions {
    uint32_t max_args = 20;
    bool threads = false;   // fork/exit of every thread, not only processes
    bool syscalls = false;  // periodic per-process syscall summary
    uint32_t syscalls_top = 10;
};

struct NetOptions {};
struct FileOptions {
    std::vector<std::string> paths;              // --path prefixes, in the kernel
    std::chrono::nanoseconds min_latency{0};     // file.slow threshold, 0 = off
    uint32_t top = 0;                            // file.io rows per interval, 0 = off
};
struct MemOptions {};

struct Config {
    std::vector<Area> areas;

    // In-kernel filters.
    std::vector<uint32_t> pids;
    std::optional<uint32_t> uid;
    std::string comm;
    std::string cgroup_path;  // a cgroup v2 directory
    bool failed_only = false;

    // Suppression and buffering.
    uint64_t rate_limit = 0;  // events per second, 0 = off
    uint32_t sample = 0;      // keep 1 in N, 0/1 = all
    uint64_t ring_buffer_size = 16u << 20;
    std::chrono::nanoseconds sampling_interval = std::chrono::seconds(1);
    std::chrono::milliseconds drain_interval{25};

    bool verbose = false;

    ProcOptions proc;
    NetOptions net;
    FileOptions file;
    MemOptions mem;

    bool has_area(Area a) const;
};

}  // namespace tapio
