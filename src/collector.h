// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The collector: configuration in, a stream of decoded events out, health
// on the side. The tapio-trace CLI is a thin front end over this class; a
// program can embed it the same way.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "clock.h"
#include "config.h"
#include "events.h"
#include "memcg_paths.h"
#include "probes.h"
#include "sink.h"

struct ring_buffer;

namespace tapio {

class HostFeatures;

enum class State { created, running, stopped, failed };
const char* state_name(State state);

// Per-kind counts of what did not reach the stream, by reason.
struct DropCounts {
    std::array<std::array<uint64_t, TT_DROP_REASONS>, TT_KIND_MAX> by_kind{};
    uint64_t total(tt_drop_reason reason) const;
    uint64_t total() const;
};

struct Health {
    State state = State::created;
    uint64_t events = 0;         // records written to the sink
    uint64_t decode_errors = 0;  // records that did not match bpf/events.h
    DropCounts drops;
    std::vector<HookStatus> hooks;
    std::vector<Area> areas;  // areas running
    AreaTiming timing;  // open, load and attach of the one BPF object
};

// When run() returns by itself.
struct RunLimits {
    std::optional<std::chrono::nanoseconds> duration;
    uint64_t max_events = 0;  // 0 = unlimited
};

enum class StopReason { requested, duration, count, output_closed };

class Collector {
public:
    // features: nullptr for the real host.
    explicit Collector(Config config, HostFeatures* features = nullptr);
    ~Collector();
    Collector(const Collector&) = delete;
    Collector& operator=(const Collector&) = delete;

    // Checks privileges and the kernel, loads and attaches. Throws Error
    // (with its exit code) when nothing could start.
    void start();
    // Streams events into sink until a limit, stop(), or sink_closed()
    // returns true. Drains every drain_interval; reports drops at most once
    // a second as "tapio.dropped" records.
    StopReason run(RecordSink& sink, const RunLimits& limits, bool (*sink_closed)(void*) = nullptr,
                   void* closed_ctx = nullptr);
    // Safe from a signal handler.
    void stop() { stop_requested_.store(true, std::memory_order_relaxed); }

    Health health() const;
    const Config& config() const { return config_; }
    const WallClock& clock() const { return clock_; }

private:
    static int on_record(void* ctx, void* data, size_t size);
    // Decodes one record into the sink; -ECANCELED at the count limit.
    int deliver(const void* data, size_t size);
    // err from a drain; when it paused to look a cgroup up, looks it up,
    // delivers the record held and drains on.
    int settle(int err);
    DropCounts read_drops() const;
    void report_drops(RecordSink& sink, bool final);

    Config config_;
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
    uint64_t held_memcg_ = 0;
    uint64_t last_drop_report_ns_ = 0;
    uint64_t last_tick_ns_ = 0;
};

// Common fields of records tapio-trace writes about itself (tapio.*, doctor.*).
Common tracer_common();

// "needs CAP_BPF and CAP_PERFMON (or root); missing: ..." or nullopt.
std::optional<std::string> missing_privileges();

}  // namespace tapio
