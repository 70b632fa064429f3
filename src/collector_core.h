// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The collector's body, behind the public tapio::Collector
// (include/tapio/collector.h): the BPF object, the ring buffer, decoding.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tapio/clock.h"
#include "tapio/collector.h"
#include "tapio/config.h"
#include "events.h"
#include "cgroups.h"
#include "memcg_paths.h"
#include "probes.h"
#include "tapio/sink.h"

struct ring_buffer;

namespace tapio {

class HostFeatures;
struct RecordSpec;
class LibbpfLogRoute;

// Per-kind counts of what did not reach the stream, by reason.
struct DropCounts {
    std::array<std::array<uint64_t, TT_DROP_REASONS>, TT_KIND_MAX> by_kind{};
    uint64_t total(tt_drop_reason reason) const;
    uint64_t total() const;
};

class CollectorCore {
public:
    // features: nullptr for the real host.
    explicit CollectorCore(Config config, HostFeatures* features = nullptr);
    ~CollectorCore();
    CollectorCore(const CollectorCore&) = delete;
    CollectorCore& operator=(const CollectorCore&) = delete;

    // Checks privileges and the kernel, mounts tracefs when nothing has
    // (mount_tracefs()), loads and attaches. Throws Error (with its exit
    // code) when nothing could start. From here on until the collector goes,
    // libbpf's messages go to Config::log.
    void start();
    // Streams events into sink until a limit, stop(), or sink_closed()
    // returns true. Drains every drain_interval; reports drops at most once
    // a second as "tapio.dropped" records.
    StopReason run(RecordSink& sink, const RunLimits& limits, bool (*sink_closed)(void*) = nullptr,
                   void* closed_ctx = nullptr);
    // Safe from a signal handler.
    void stop() { stop_requested_.store(true, std::memory_order_relaxed); }

    Health health() const;
    // As given, except for log: the collector's own, which keeps warnings for
    // health() and passes every message on to the one given.
    const Config& config() const { return config_; }
    const WallClock& clock() const { return clock_; }
    // Whether a cgroup on the host was a container's or a pod's at start
    // (false with --no-enrich): the table's workload column.
    bool workloads_on_host() const { return workloads_on_host_; }

private:
    static int on_record(void* ctx, void* data, size_t size);
    // Decodes one record into the sink; -ECANCELED at the count limit.
    int deliver(const RecordSpec* spec, const void* data, size_t size);
    // err from a drain; when it paused to look a cgroup up, looks it up,
    // delivers the record held and drains on.
    int settle(int err);
    DropCounts read_drops() const;
    void report_drops(RecordSink& sink, bool final);
    // From --cgroup and the container filters: the kernel's cgroup filters
    // and the ids they start with (throws usage errors).
    CgroupPlan plan_cgroups();
    // New cgroups that the container filters choose, into the kernel.
    void watch_cgroups(uint64_t now_ns);

    Config config_;  // its log also keeps warnings_
    std::vector<std::string> warnings_;
    LogCallback user_log_;
    // Declared before the probes: libbpf's messages are routed until they are gone.
    std::unique_ptr<LibbpfLogRoute> libbpf_log_;
    TracefsStatus tracefs_;
    std::unique_ptr<HostFeatures> owned_features_;
    HostFeatures* features_;
    std::unique_ptr<ProbeManager> probes_;
    ring_buffer* ring_ = nullptr;
    WallClock clock_;
    State state_ = State::created;
    std::atomic<bool> stop_requested_{false};

    // Per-run state used by the ring-buffer callback.
    RecordSink* sink_ = nullptr;
    uint64_t events_ = 0;
    uint64_t decode_errors_ = 0;
    uint64_t max_events_ = 0;
    DropCounts reported_drops_;
    MemcgPaths memcg_;
    std::vector<uint8_t> held_;  // the record waiting for its lookup
    const RecordSpec* held_spec_ = nullptr;
    uint64_t held_memcg_ = 0;
    bool held_workload_ = false;
    // Containers and pods: the cache (also for the filters), whether
    // records carry them, and the filters' watch.
    std::unique_ptr<Workloads> workloads_;
    bool enrich_ = false;
    bool workloads_on_host_ = false;
    std::unique_ptr<CgroupSelection> selection_;
    size_t cgroups_lost_ = 0;
    bool watch_warned_ = false;
    uint64_t last_drop_report_ns_ = 0;
    uint64_t last_tick_ns_ = 0;
};

// Common fields of records tapio-trace writes about itself (tapio.*).
Common tracer_common();

}  // namespace tapio
