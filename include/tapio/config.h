// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// What a collector is asked to do: areas, filters, limits. Filled by the CLI
// or by a program embedding the library.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tapio {

// What the kernel side can hold: check a Config against these before
// start(). Held to bpf/events.h (and the pid filter's size) by the library.
namespace limits {
inline constexpr size_t pids = 1024;              // Config::pids, the in-kernel pid filter
inline constexpr size_t followed_pids = 65536;    // Config::children: processes followed at once, -p's included
inline constexpr size_t comm_length = 15;         // Config::comm: the kernel keeps 15 bytes and a NUL
inline constexpr uint32_t exec_args = 64;         // ProcOptions::max_args
inline constexpr size_t path_prefixes = 4;        // FileOptions::paths
inline constexpr size_t path_prefix_length = 64;  // each of FileOptions::paths
}  // namespace limits

// What the library has to say, beside the records: its own warnings and
// libbpf's messages. The library never prints; a program that wants them
// sets Config::log.
enum class LogLevel { warning, info };
struct LogMessage {
    LogLevel level = LogLevel::warning;
    std::string_view origin;  // "libbpf", or the part of tapio-trace ("mem")
    std::string_view text;    // without a trailing newline
};
using LogCallback = std::function<void(const LogMessage&)>;

// The areas, listed once: the enum, their names, `all`'s --no-<area> flags,
// the probe sets and the record tables are all made from this list.
// X(name): name is the area's name and the stem of its files (<name>_probes.cpp,
// <name>_decode.cpp, bpf/<name>.bpf.h).
#define TAPIO_AREAS(X) X(proc) X(net) X(file) X(mem)

#define TAPIO_AREA_ENUMERATOR(name) name,
enum class Area { TAPIO_AREAS(TAPIO_AREA_ENUMERATOR) };
#undef TAPIO_AREA_ENUMERATOR
#define TAPIO_AREA_VALUE(name) Area::name,
inline constexpr Area all_areas[] = {TAPIO_AREAS(TAPIO_AREA_VALUE)};
#undef TAPIO_AREA_VALUE
// "proc"; nullptr for a value that is no area.
const char* area_name(Area area);

struct ProcOptions {
    uint32_t max_args = 20;
    bool threads = false;   // fork/exit of every thread, not only processes
    bool syscalls = false;  // periodic per-process syscall summary
    uint32_t syscalls_top = 10;
};

struct NetOptions {
    uint16_t port = 0;   // either side, 0 = any
    uint16_t lport = 0;  // local side
    uint16_t rport = 0;  // remote side
    bool ipv4_only = false;
    bool ipv6_only = false;
    bool drops = false;   // net.drop records
    bool states = false;  // net.state records
};
struct FileOptions {
    std::vector<std::string> paths;           // --path prefixes, in the kernel
    std::chrono::nanoseconds min_latency{0};  // file.slow threshold, 0 = off
    uint32_t top = 0;                         // file.io rows per interval, 0 = off
    // file.slow for pipes, sockets, terminals and character devices too;
    // false: only regular files and block devices.
    bool slow_any_file = false;
};
struct MemOptions {
    std::chrono::nanoseconds min_latency = std::chrono::milliseconds(1);  // shortest reclaim stall reported
    uint64_t min_size = 1u << 20;     // smallest mmap/munmap/brk/mremap reported, bytes
    uint32_t pressure_threshold = 0;  // some_avg10 crossing, hundredths of a percent; 0 = off
    bool pressure = true;             // periodic mem.pressure records
    // mem.alloc for mmaps of files too; false: only anonymous memory (and brk, mremap).
    bool file_mappings = false;
};

// Containers and pods: the enrichment of every record, and the filters.
struct ContainerOptions {
    bool enrich = true;  // container and pod fields on records (--no-enrich: off)
    // kubelet's directories (host_needs.h has the defaults): per-pod log
    // directories, the container log links (derived from pod_logs: its
    // sibling "containers"), and kubelet's state.
    std::string pod_logs = "/var/log/pods";
    std::string kubelet_root = "/var/lib/kubelet";
    // In-kernel filters by cgroup: the containers whose id starts with
    // container, the pods named pod, in namespace; each empty = any. Set
    // together, all must hold.
    std::string container;
    std::string pod;
    std::string pod_namespace;
    bool filtering() const { return !container.empty() || !pod.empty() || !pod_namespace.empty(); }
};

struct Config {
    std::vector<Area> areas;

    // In-kernel filters.
    std::vector<uint32_t> pids;
    std::optional<uint32_t> uid;
    std::string comm;
    std::string cgroup_path;  // a cgroup v2 directory, or (on hybrid hosts) a v1 controller's
    bool failed_only = false;
    // With pids: also every process forked from a followed one after the
    // start, at any depth (the kernel adds it to the filter at fork).
    bool children = false;

    // Record types to make, each a type ("proc.exec") or a glob ("file.*");
    // empty: all. Decided in the kernel: hooks and syscalls that no chosen
    // type needs are not attached, and areas with no chosen type do not
    // run. tapio.dropped is always made.
    std::vector<std::string> events;

    // Suppression and buffering.
    uint64_t rate_limit = 0;  // events per second, 0 = off, shared fairly (rate_split)
    uint32_t sample = 0;      // keep 1 in N, 0/1 = all
    // Critical records (an OOM kill, a failed connect, a reset, a death by
    // signal, a slow reclaim) meet sampling and the rate limit too; by
    // default they skip both.
    bool limit_critical = false;
    uint64_t ring_buffer_size = 16u << 20;
    std::chrono::nanoseconds sampling_interval = std::chrono::seconds(1);
    std::chrono::milliseconds drain_interval{25};
    // Entries of every per-area pending and summary map in the kernel; 0
    // keeps each map's own size; map_entries_by_name sizes single maps.
    // Tests shrink them (TAPIO_MAP_ENTRIES) to fill the maps and watch the
    // map_full drops.
    uint32_t map_entries = 0;
    std::vector<std::pair<std::string, uint32_t>> map_entries_by_name;

    bool verbose = false;
    // Where warnings and libbpf's messages go; unset, they are dropped.
    // Called on the thread that calls the Collector.
    LogCallback log;
    // doctor: try every hook, also those only optional features use.
    bool all_hooks = false;

    ProcOptions proc;
    NetOptions net;
    FileOptions file;
    MemOptions mem;
    ContainerOptions containers;

    bool has_area(Area a) const;
    // Whether records of this type are chosen (events).
    bool wants(std::string_view type) const;
};

}  // namespace tapio
