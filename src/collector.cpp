// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "collector_core.h"
#include "select.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "tapio/errors.h"
#include "host_features.h"
#include "log.h"
#include "decode.h"

namespace tapio {

// ---- the public face: include/tapio/collector.h ----

Collector::Collector(Config config) : core_(std::make_unique<CollectorCore>(std::move(config), nullptr)) {}
Collector::Collector(Config config, HostFeatures* features)
    : core_(std::make_unique<CollectorCore>(std::move(config), features))
{
}
Collector::~Collector() = default;
void Collector::start()
{
    core_->start();
}
StopReason Collector::run(RecordSink& sink, const RunLimits& limits, bool (*sink_closed)(void*), void* closed_ctx)
{
    return core_->run(sink, limits, sink_closed, closed_ctx);
}
void Collector::stop()
{
    core_->stop();
}
Health Collector::health() const
{
    return core_->health();
}
const Config& Collector::config() const
{
    return core_->config();
}
const WallClock& Collector::clock() const
{
    return core_->clock();
}

// ---- the body ----

const char* state_name(State state)
{
    switch (state) {
        case State::created: return "created";
        case State::running: return "running";
        case State::stopped: return "stopped";
        case State::failed: return "failed";
    }
    return "?";
}

uint64_t DropCounts::total(tt_drop_reason reason) const
{
    uint64_t sum = 0;
    for (const auto& k : by_kind)
        sum += k[reason];
    return sum;
}

uint64_t DropCounts::total() const
{
    uint64_t sum = 0;
    for (uint32_t r = 0; r < TT_DROP_REASONS; ++r)
        sum += total(static_cast<tt_drop_reason>(r));
    return sum;
}

Common tracer_common()
{
    Common c;
    c.ts_boot_ns = boot_time_ns();
    c.pid = c.tid = static_cast<uint32_t>(getpid());
    c.ppid = static_cast<uint32_t>(getppid());
    c.uid = getuid();
    c.comm = "tapio-trace";
    return c;
}

std::optional<std::string> missing_privileges()
{
    constexpr int cap_sys_admin = 21, cap_perfmon = 38, cap_bpf = 39;
    std::ifstream status("/proc/self/status");
    std::string line;
    uint64_t eff = 0;
    while (std::getline(status, line)) {
        if (line.rfind("CapEff:", 0) == 0) {
            eff = std::stoull(line.substr(7), nullptr, 16);
            break;
        }
    }
    auto has = [&](int cap) { return (eff >> cap) & 1; };
    if (has(cap_sys_admin) || (has(cap_bpf) && has(cap_perfmon)))
        return std::nullopt;
    std::string missing;
    if (!has(cap_bpf))
        missing = "CAP_BPF";
    if (!has(cap_perfmon))
        missing += missing.empty() ? "CAP_PERFMON" : ", CAP_PERFMON";
    return fmt::format("not privileged enough: needs CAP_BPF and CAP_PERFMON, or root (missing {}); try sudo", missing);
}

CollectorCore::CollectorCore(Config config, HostFeatures* features)
    : config_(std::move(config)), user_log_(std::move(config_.log)), features_(features)
{
    // Warnings reach Health as well as the program's callback.
    config_.log = [this](const LogMessage& m) {
        if (m.level == LogLevel::warning && m.origin != "libbpf")
            warnings_.push_back(fmt::format("{}: {}", m.origin, m.text));
        if (user_log_)
            user_log_(m);
    };
    if (!features_) {
        owned_features_ = masked_from_env(std::make_unique<SystemFeatures>());
        features_ = owned_features_.get();
    }
}

CollectorCore::~CollectorCore()
{
    if (ring_)
        ring_buffer__free(ring_);
}

void CollectorCore::start()
{
    // -e: bad patterns are usage errors, before anything touches the kernel.
    apply_selection(config_);
    libbpf_log_ = std::make_unique<LibbpfLogRoute>(config_.log);
    if (auto missing = missing_privileges())
        throw Error(ExitCode::privilege, *missing);
    if (!features_->has_vmlinux_btf())
        throw Error(ExitCode::kernel,
                    "the kernel has no BTF (/sys/kernel/btf/vmlinux is missing; needs CONFIG_DEBUG_INFO_BTF=y)");
    if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) != 1)
        throw Error(ExitCode::kernel, "the kernel has no BPF ring buffer (needs Linux 5.8 or later)");
    // Before any hook is chosen: plain tracepoints are found through tracefs.
    tracefs_ = mount_tracefs();

    clock_ = WallClock::now();
    probes_ = std::make_unique<ProbeManager>(config_, *features_);
    try {
        probes_->start();
    } catch (...) {
        state_ = State::failed;
        throw;
    }
    ring_ = ring_buffer__new(probes_->events_fd(), &CollectorCore::on_record, this, nullptr);
    if (!ring_) {
        state_ = State::failed;
        throw Error(ExitCode::runtime, fmt::format("cannot open the ring buffer: {}", strerror(errno)));
    }
    state_ = State::running;
}

// Returned by on_record to pause the drain: the record held needs a lookup.
constexpr int paused_for_lookup = -EINPROGRESS;

int CollectorCore::on_record(void* ctx, void* data, size_t size)
{
    auto* self = static_cast<CollectorCore*>(ctx);
    const RecordSpec* spec = size >= sizeof(tt_header) ? find_kind(static_cast<const tt_header*>(data)->kind) : nullptr;
    // A record naming a memory cgroup not seen yet: hold it, end the drain
    // here, and look the cgroup up outside this callback (settle()), so
    // records keep their order and decoding does no file-system I/O.
    if (spec && spec->memcg_of && size >= spec->size) {
        uint64_t id = spec->memcg_of(data);
        if (id && !self->memcg_.cached(id)) {
            const auto* bytes = static_cast<const uint8_t*>(data);
            self->held_.assign(bytes, bytes + size);
            self->held_spec_ = spec;
            self->held_memcg_ = id;
            return paused_for_lookup;
        }
    }
    return self->deliver(spec, data, size);
}

int CollectorCore::deliver(const RecordSpec* spec, const void* data, size_t size)
{
    DecodeOptions options;
    options.max_args = config_.proc.max_args;
    options.memcg = &memcg_;
    // Called from libbpf's C code: no exception may unwind through it.
    try {
        if (!decode_record(spec, data, size, options, *sink_)) {
            ++decode_errors_;
            return 0;
        }
    } catch (...) {
        ++decode_errors_;
        return 0;
    }
    ++events_;
    if (max_events_ && events_ >= max_events_)
        return -ECANCELED;  // stops the drain right after the Nth record
    return 0;
}

int CollectorCore::settle(int err)
{
    while (err == paused_for_lookup) {
        memcg_.resolve(held_memcg_);
        if (deliver(held_spec_, held_.data(), held_.size()) == -ECANCELED)
            return -ECANCELED;
        err = ring_buffer__consume(ring_);
    }
    return err;
}

DropCounts CollectorCore::read_drops() const
{
    DropCounts counts;
    if (!probes_ || probes_->stats_fd() < 0)
        return counts;
    int ncpus = libbpf_num_possible_cpus();
    if (ncpus <= 0)
        return counts;
    std::vector<uint64_t> values(static_cast<size_t>(ncpus));
    for (uint32_t kind = 0; kind < TT_KIND_MAX; ++kind) {
        for (uint32_t reason = 0; reason < TT_DROP_REASONS; ++reason) {
            uint32_t key = kind * TT_DROP_REASONS + reason;
            if (bpf_map_lookup_elem(probes_->stats_fd(), &key, values.data()) != 0)
                continue;
            uint64_t sum = 0;
            for (uint64_t v : values)
                sum += v;
            counts.by_kind[kind][reason] = sum;
        }
    }
    return counts;
}

void CollectorCore::report_drops(RecordSink& sink, bool final)
{
    DropCounts now = read_drops();
    bool any = false;
    for (uint32_t k = 0; k < TT_KIND_MAX && !any; ++k)
        for (uint32_t r = 0; r < TT_DROP_REASONS; ++r)
            any |= now.by_kind[k][r] != reported_drops_.by_kind[k][r];
    if (!any)
        return;

    DropTable delta{};
    for (uint32_t k = 0; k < TT_KIND_MAX; ++k)
        for (uint32_t r = 0; r < TT_DROP_REASONS; ++r)
            delta[k][r] = now.by_kind[k][r] - reported_drops_.by_kind[k][r];
    write_dropped(sink, tracer_common(), delta, final);
    reported_drops_ = now;
}

StopReason CollectorCore::run(RecordSink& sink, const RunLimits& limits, bool (*sink_closed)(void*), void* closed_ctx)
{
    sink_ = &sink;
    max_events_ = limits.max_events;
    const uint64_t start_ns = boot_time_ns();
    last_drop_report_ns_ = last_tick_ns_ = start_ns;
    const int drain_ms = static_cast<int>(config_.drain_interval.count());
    const auto interval_ns = static_cast<uint64_t>(config_.sampling_interval.count());
    StopReason reason = StopReason::requested;
    bool count_reached = false;

    auto closed = [&] { return sink_closed && sink_closed(closed_ctx); };
    for (;;) {
        if (stop_requested_.load(std::memory_order_relaxed))
            break;
        // Drain every few milliseconds right after start, so the first
        // events show at once; then settle to the configured interval.
        bool warming_up = boot_time_ns() - start_ns < 200000000ULL;
        int err = settle(ring_buffer__poll(ring_, warming_up ? std::min(drain_ms, 5) : drain_ms));
        // Records submitted without a wakeup sit unnoticed by epoll: drain them.
        if (err >= 0)
            err = settle(ring_buffer__consume(ring_));
        if (err == -ECANCELED) {
            count_reached = true;
            reason = StopReason::count;
            break;
        }
        uint64_t now = boot_time_ns();
        if (now - last_drop_report_ns_ >= 1000000000ULL) {
            report_drops(sink, false);
            last_drop_report_ns_ = now;
        }
        probes_->poll(TickContext{now, now - last_tick_ns_, config_}, sink);
        if (now - last_tick_ns_ >= interval_ns) {
            probes_->tick(TickContext{now, now - last_tick_ns_, config_}, sink);
            last_tick_ns_ = now;
        }
        sink.flush();
        if (closed()) {
            reason = StopReason::output_closed;
            break;
        }
        if (limits.duration && now - start_ns >= static_cast<uint64_t>(limits.duration->count())) {
            reason = StopReason::duration;
            break;
        }
    }
    if (!count_reached && reason != StopReason::output_closed)
        settle(ring_buffer__consume(ring_));  // what arrived before the stop
    report_drops(sink, true);
    sink.flush();
    state_ = State::stopped;
    sink_ = nullptr;
    return reason;
}

Health CollectorCore::health() const
{
    Health h;
    h.state = state_;
    h.events = events_;
    h.decode_errors = decode_errors_;
    DropCounts drops = read_drops();
    for (uint32_t k = 0; k < TT_KIND_MAX; ++k) {
        const auto& d = drops.by_kind[k];
        if (d[TT_DROP_LOST] + d[TT_DROP_RATE_LIMITED] + d[TT_DROP_SAMPLED_OUT] + d[TT_DROP_MAP_FULL] == 0)
            continue;
        h.drops.push_back({kind_type(static_cast<uint16_t>(k)), d[TT_DROP_LOST], d[TT_DROP_RATE_LIMITED],
                           d[TT_DROP_SAMPLED_OUT], d[TT_DROP_MAP_FULL]});
    }
    if (probes_) {
        h.hooks = probes_->hooks();
        h.areas = probes_->running_areas();
        h.timing = probes_->timing();
    }
    h.tracefs = tracefs_;
    h.warnings = warnings_;
    return h;
}

}  // namespace tapio
