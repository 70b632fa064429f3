// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "collector_core.h"
#include "select.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <sys/epoll.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <climits>
#include <cstdlib>
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
#include "escape.h"

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
    CgroupPlan plan = plan_cgroups();
    probes_ = std::make_unique<ProbeManager>(config_, *features_);
    probes_->set_cgroup_plan(std::move(plan));
    try {
        probes_->start();
    } catch (...) {
        state_ = State::failed;
        throw;
    }
    if (selection_) {
        selection_->forget(probes_->cgroup_ids_refused(false), false);
        selection_->forget(probes_->cgroup_ids_refused(true), true);
    }
    // Tracepoint ids are read; nothing needs tracefs any more. A mount made
    // for this run goes now, not at an exit that may never come (SIGKILL).
    unmount_tracefs(tracefs_);
    ring_ = ring_buffer__new(probes_->events_fd(), &CollectorCore::on_record, this, nullptr);
    if (!ring_) {
        state_ = State::failed;
        throw Error(ExitCode::runtime, fmt::format("cannot open the ring buffer: {}", strerror(errno)));
    }
    // A new cgroup wakes the drain loop at once, so a container's first exec
    // is let through by its cgroup id as soon as can be: the watch's fd
    // joins libbpf's epoll set (its event names ring 0: a drain of it, which
    // does no harm).
    if (selection_ && selection_->watch_fd() >= 0) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = 0;
        epoll_ctl(ring_buffer__epoll_fd(ring_), EPOLL_CTL_ADD, selection_->watch_fd(), &ev);
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
    // The same for a task's cgroup whose container is not known yet.
    if (spec && size >= spec->size) {
        uint64_t memcg = spec->memcg_of ? spec->memcg_of(data) : 0;
        bool need_memcg = memcg && !self->memcg_.cached(memcg);
        const auto* h = static_cast<const tt_header*>(data);
        bool need_workload = self->enrich_ && !self->workloads_->cached(h->cgroup_id, h->cgroup_v1_id, h->ts_ns);
        if (need_memcg || need_workload) {
            const auto* bytes = static_cast<const uint8_t*>(data);
            self->held_.assign(bytes, bytes + size);
            self->held_spec_ = spec;
            self->held_memcg_ = need_memcg ? memcg : 0;
            self->held_workload_ = need_workload;
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
    options.workloads = enrich_ ? workloads_.get() : nullptr;
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
        if (held_memcg_)
            memcg_.resolve(held_memcg_);
        if (held_workload_) {
            const auto* h = reinterpret_cast<const tt_header*>(held_.data());
            workloads_->resolve(h->cgroup_id, h->cgroup_v1_id, h->ts_ns);
        }
        if (deliver(held_spec_, held_.data(), held_.size()) == -ECANCELED)
            return -ECANCELED;
        err = ring_buffer__consume(ring_);
    }
    return err;
}

CgroupPlan CollectorCore::plan_cgroups()
{
    const ContainerOptions& opts = config_.containers;
    CgroupMounts mounts = CgroupMounts::find();
    CgroupPlan plan;
    CgroupHierarchy v1 = mounts.v1_memory;
    std::string v1_dir;
    if (!config_.cgroup_path.empty()) {
        const std::string& path = config_.cgroup_path;
        const std::string shown = terminal_escaped(path);
        struct statfs fs {};
        if (statfs(path.c_str(), &fs) != 0)
            throw Error(ExitCode::usage, fmt::format("--cgroup {}: cannot open: {}", shown, strerror(errno)));
        if (fs.f_type == CGROUP2_SUPER_MAGIC) {
            plan.under = path;
        } else if (fs.f_type == CGROUP_SUPER_MAGIC) {
            char* real = realpath(path.c_str(), nullptr);
            std::string dir = real ? real : path;
            free(real);
            auto where = mounts.locate(dir);
            if (!where)
                throw Error(
                    ExitCode::usage,
                    fmt::format("--cgroup {}: a cgroup v1 directory outside every hierarchy's root mount", shown));
            if (where->first.ssid < 0)
                throw Error(ExitCode::usage,
                            fmt::format("--cgroup {}: the v1 hierarchy {} has no controller, and the kernel can match "
                                        "a task only in a controller's hierarchy; give the same cgroup under {}",
                                        shown, where->first.controllers,
                                        !mounts.v2.root.empty() ? mounts.v2.root
                                        : !v1.root.empty()      ? v1.root
                                                                : std::string("a controller's hierarchy")));
            if (opts.filtering())
                throw Error(ExitCode::usage,
                            fmt::format("--cgroup {}: a v1 directory cannot be combined with --container, --pod or "
                                        "--namespace; give a cgroup2 directory",
                                        shown));
            v1 = where->first;
            v1_dir = where->second;
            plan.v1_set = true;
        } else {
            throw Error(ExitCode::usage, fmt::format("--cgroup {}: not a cgroup directory (cgroup2 is mounted at {})",
                                                     shown, mounts.v2.root.empty() ? "no place" : mounts.v2.root));
        }
    }
    bool filtering = opts.filtering();
    if (!opts.enrich && !filtering && !plan.v1_set)
        return plan;
    if (!v1.root.empty() && v1.ssid >= 0)
        plan.v1_ssid = static_cast<uint32_t>(v1.ssid) + 1;
    workloads_ = std::make_unique<Workloads>(opts, mounts.v2.root, plan.v1_ssid ? v1.root : std::string());
    enrich_ = opts.enrich;
    if (enrich_)
        workloads_on_host_ = workloads_->any_on_host();
    if (filtering || plan.v1_set) {
        selection_ = std::make_unique<CgroupSelection>(opts, *workloads_, v1_dir);
        CgroupSelection::Changes first;
        selection_->scan(boot_time_ns(), first);
        plan.v2_ids = std::move(first.new_v2);
        plan.v1_ids = std::move(first.new_v1);
        if (filtering) {
            plan.v2_set = !mounts.v2.root.empty();
            plan.v1_set = plan.v1_ssid != 0;
        }
    }
    if (config_.verbose)
        log_message(
            config_, LogLevel::info, "cgroups",
            fmt::format(
                "cgroup2 at {}; v1 ids from {}{}{}", mounts.v2.root.empty() ? "-" : mounts.v2.root,
                plan.v1_ssid ? v1.root : std::string("-"),
                selection_ ? fmt::format("; {} cgroups chosen", selection_->chosen()) : std::string(),
                enrich_ ? (workloads_on_host_ ? "; containers on the host" : "; no container on the host") : ""));
    return plan;
}

void CollectorCore::watch_cgroups(uint64_t now_ns)
{
    if (!selection_ || !selection_->due(now_ns))
        return;
    CgroupSelection::Changes changes;
    selection_->scan(now_ns, changes);
    probes_->remove_cgroup_ids(changes.gone_v2, false);
    probes_->remove_cgroup_ids(changes.gone_v1, true);
    auto refused_v2 = probes_->add_cgroup_ids(changes.new_v2, false);
    auto refused_v1 = probes_->add_cgroup_ids(changes.new_v1, true);
    // Chosen again at the next scan, when the dead have made room.
    selection_->forget(refused_v2, false);
    selection_->forget(refused_v1, true);
    size_t lost = refused_v2.size() + refused_v1.size();
    if (lost && !cgroups_lost_)
        log_message(config_, LogLevel::warning, "cgroups",
                    "new cgroups chosen by the container filters do not fit the kernel's set (16384)");
    cgroups_lost_ += lost;
    if (!selection_->watching() && !watch_warned_) {
        watch_warned_ = true;
        log_message(config_, LogLevel::warning, "cgroups",
                    "cannot watch every cgroup directory (inotify's limits: fs.inotify.max_user_watches, "
                    "max_user_instances): new containers are found by a rescan each second");
    }
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
        // Drain every millisecond for the first 200 ms, so the first events
        // show at once (records come without a wakeup): a run started to
        // catch something shows it within a millisecond of its attach, not
        // half a drain interval later. Then settle to the configured interval.
        bool warming_up = boot_time_ns() - start_ns < 200000000ULL;
        int err = settle(ring_buffer__poll(ring_, warming_up ? std::min(drain_ms, 1) : drain_ms));
        // Records submitted without a wakeup sit unnoticed by epoll: drain them.
        if (err >= 0)
            err = settle(ring_buffer__consume(ring_));
        if (err == -ECANCELED) {
            count_reached = true;
            reason = StopReason::count;
            break;
        }
        uint64_t now = boot_time_ns();
        watch_cgroups(now);
        if (now - last_drop_report_ns_ >= 1000000000ULL) {
            report_drops(sink, false);
            last_drop_report_ns_ = now;
        }
        Workloads* enrich = enrich_ ? workloads_.get() : nullptr;
        probes_->poll(TickContext{now, now - last_tick_ns_, config_, enrich}, sink);
        if (now - last_tick_ns_ >= interval_ns) {
            probes_->tick(TickContext{now, now - last_tick_ns_, config_, enrich}, sink);
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
    h.containers_on_host = workloads_on_host_;
    return h;
}

}  // namespace tapio
