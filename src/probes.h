// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Probe sets: one per area, each owning its BPF skeleton. The ProbeManager
// opens them, picks for every hook the best program the kernel accepts,
// shares one ring buffer and the filter maps between them, loads, attaches
// and detaches (RAII: links go before the objects they came from).
#pragma once

#include <linux/types.h>

#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "events.h"
#include "sink.h"

struct bpf_object;
struct bpf_link;

namespace tapio {

class HostFeatures;

// One hook: what it watches, and the programs that can serve it, best first
// (e.g. tp_btf, then raw_tp).
struct HookSpec {
    std::string hook;                   // "sched:sched_process_fork"
    std::vector<std::string> programs;  // BPF program names in the skeleton
    bool wanted = true;                 // false: turned off by configuration
    // Set when one program serves several tracepoints (every syscall exit of
    // a family shares its handler, so it is verified and loaded once):
    // "syscalls/sys_exit_unlink", attached explicitly instead of by section.
    std::string tracepoint;
};

enum class HookState { attached, disabled, unavailable, failed };
const char* hook_state_name(HookState state);

struct HookStatus {
    std::string area;
    std::string hook;
    std::string program;  // the program used (or the best candidate)
    std::string how;      // "tracepoint", "raw_tracepoint", "tp_btf", "fentry"
    HookState state = HookState::unavailable;
    std::string reason;      // why not attached
    std::string tracepoint;  // explicit "category/name" target, see HookSpec
};

struct TickContext {
    uint64_t now_boot_ns;
    uint64_t interval_ns;  // since the previous tick of this probe set
    const Config& config;
};

// The area-specific part of a probe set.
class AreaProbes {
public:
    virtual ~AreaProbes() = default;
    virtual Area area() const = 0;
    virtual bpf_object* object() = 0;
    // The skeleton's read-only tt_cfg, writable until load.
    virtual tt_config* common_config() = 0;
    // Area globals (const volatile) from the configuration, before load.
    virtual void configure(const Config& config) = 0;
    virtual std::vector<HookSpec> hooks(const Config& config) const = 0;
    // Periodic summaries (syscalls, top files, pressure), every sampling interval.
    virtual void tick(const TickContext&, RecordSink&) {}
    // Cheap checks that must not wait for the sampling interval (a pressure
    // threshold), at every drain of the ring buffer (about every 25 ms).
    virtual void poll(const TickContext&, RecordSink&) {}
};

// Opens each area's skeleton; throws Error when the object cannot be opened.
std::unique_ptr<AreaProbes> make_area_probes(Area area);
// Whether this build has the area at all.
bool area_built(Area area);

struct LinkDeleter {
    void operator()(bpf_link* link) const;
};
using LinkPtr = std::unique_ptr<bpf_link, LinkDeleter>;

// Where start-up time went, per area (shown with -v).
struct AreaTiming {
    Area area;
    double open_ms = 0, load_ms = 0, attach_ms = 0;
};

class ProbeManager {
public:
    ProbeManager(const Config& config, HostFeatures& features);
    ~ProbeManager();
    ProbeManager(const ProbeManager&) = delete;
    ProbeManager& operator=(const ProbeManager&) = delete;

    // Opens, loads and attaches every configured area. An area whose
    // programs cannot be loaded or whose hooks all fail is reported in
    // hooks() and left out; only when no area runs does this throw.
    void start();

    int events_fd() const { return events_fd_; }
    int stats_fd() const { return stats_fd_; }
    const std::vector<HookStatus>& hooks() const { return status_; }
    const std::vector<AreaTiming>& timings() const { return timings_; }
    std::vector<Area> running_areas() const;
    void tick(const TickContext& base, RecordSink& sink);
    void poll(const TickContext& base, RecordSink& sink);

private:
    struct PendingArea {
        Area area = Area::proc;
        std::unique_ptr<AreaProbes> probes;
        std::vector<HookStatus> planned;
        AreaTiming timing{Area::proc};
        std::exception_ptr error;
    };
    void create_shared_maps();
    PendingArea prepare_area(Area area);
    void load_area(PendingArea& p);
    void attach_area(PendingArea& p);
    void share_maps(bpf_object* obj);
    void remember_shared_maps(bpf_object* obj);
    void fill_filter_maps(bpf_object* obj);
    void choose_programs(AreaProbes& probes, std::vector<HookStatus>& planned);

    const Config& config_;
    HostFeatures& features_;
    std::vector<std::unique_ptr<AreaProbes>> areas_;
    // Declared after areas_: destroyed first, so links go before objects.
    std::vector<LinkPtr> links_;
    std::vector<HookStatus> status_;
    std::vector<AreaTiming> timings_;
    std::vector<std::pair<std::string, int>> shared_fds_;  // owned by the first object
    int events_fd_ = -1;
    int stats_fd_ = -1;
    int cgroup_fd_ = -1;
};

}  // namespace tapio
