// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Probe sets: one per area, all views onto one BPF object (bpf/tapio.bpf.c)
// that the ProbeManager opens once, so the kernel's BTF is parsed once per
// run. The manager picks for every hook the best program the kernel accepts,
// turns on the syscall dispatcher for the areas that need syscalls, loads
// once, attaches and detaches (RAII: links go before the object).
#pragma once

#include <linux/types.h>

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tapio/config.h"
#include "tapio/health.h"
#include "tapio/errors.h"
#include "host_features.h"
#include "events.h"
#include "tapio/sink.h"

struct bpf_object;
struct bpf_link;
struct bpf_program;
struct tapio_bpf;

namespace tapio {

// One hook: what it watches, and the programs that can serve it, best first
// (e.g. tp_btf, then raw_tp).
struct HookSpec {
    std::string hook;                   // "sched:sched_process_fork"
    std::vector<std::string> programs;  // BPF program names in the skeleton
    bool wanted = true;                 // false: turned off by configuration
    // The record types it serves; with -e it is attached only when one of
    // them is chosen. Empty: whenever the area runs.
    std::vector<std::string_view> serves = {};
};

class Workloads;
class CoreBtfFile;

struct TickContext {
    uint64_t now_boot_ns;
    uint64_t interval_ns;  // since the previous tick of this probe set
    const Config& config;
    // Containers and pods of summary rows; null with --no-enrich.
    Workloads* workloads = nullptr;
};

// The cgroup filters and ids the kernel is set up with (the collector
// decides them from --cgroup and the container filters: cgroups.h).
struct CgroupPlan {
    std::string under;                     // --cgroup's v2 directory: tasks under it (tt_cgroup)
    uint32_t v1_ssid = 0;                  // 1 + the v1 controller whose ids headers carry; 0: none
    bool v2_set = false;                   // filter on tt_cgroups_v2
    bool v1_set = false;                   // filter on tt_cgroups_v1
    std::vector<uint64_t> v2_ids, v1_ids;  // the ids chosen at start
};

// The area-specific part of a probe set.
class AreaProbes {
public:
    virtual ~AreaProbes() = default;
    virtual Area area() const = 0;
    // Area globals (const volatile) from the configuration, before load.
    virtual void configure(const Config& config) = 0;
    // Hooks other than syscalls, each with its own program.
    virtual std::vector<HookSpec> hooks(const Config& config) const = 0;
    // The syscalls this area handles through the dispatcher (names, for
    // -v and doctor), and its TT_SYS_AREA_* bits.
    struct Syscalls {
        uint32_t areas = 0;
        // Whether the area needs the syscall entries: always, or only where
        // the exits cannot read the arguments back (the plain tracepoint).
        bool enter = true;
        bool enter_without_regs = true;
        std::vector<std::string> names;
    };
    virtual Syscalls syscalls(const Config&) const { return {}; }
    // Periodic summaries (syscalls, top files, pressure), every sampling interval.
    virtual void tick(const TickContext&, RecordSink&) {}
    // Cheap checks that must not wait for the sampling interval (a pressure
    // threshold), at every drain of the ring buffer (about every 25 ms).
    virtual void poll(const TickContext&, RecordSink&) {}
};

// The probe set of an area, a view onto skel.
std::unique_ptr<AreaProbes> make_area_probes(Area area, tapio_bpf* skel);
// Whether this build has the area at all.
bool area_built(Area area);

struct LinkDeleter {
    void operator()(bpf_link* link) const;
};
using LinkPtr = std::unique_ptr<bpf_link, LinkDeleter>;

// Where start-up time went (shown with -v): one object for every area.
class ProbeManager {
public:
    ProbeManager(const Config& config, HostFeatures& features);
    ~ProbeManager();
    ProbeManager(const ProbeManager&) = delete;
    ProbeManager& operator=(const ProbeManager&) = delete;

    // Opens, loads and attaches every configured area. When the object does
    // not load, it is loaded again without BTF-typed programs, then area by
    // area: an area that cannot load or whose hooks all fail is reported in
    // hooks() and left out; only when no area runs does this throw.
    void start();
    // Before start(): the cgroup filters and ids.
    void set_cgroup_plan(CgroupPlan plan) { cgroup_plan_ = std::move(plan); }
    // Adds ids to a filter set (new cgroups that match); returns those that
    // did not fit.
    std::vector<uint64_t> add_cgroup_ids(const std::vector<uint64_t>& ids, bool v1);
    // Takes ids out of a filter set (cgroups gone).
    void remove_cgroup_ids(const std::vector<uint64_t>& ids, bool v1);
    // The plan's ids start() could not add.
    const std::vector<uint64_t>& cgroup_ids_refused(bool v1) const { return v1 ? refused_v1_ : refused_v2_; }

    int events_fd() const { return events_fd_; }
    int stats_fd() const { return stats_fd_; }
    const std::vector<HookStatus>& hooks() const { return status_; }
    const AreaTiming& timing() const { return timing_; }
    std::vector<Area> running_areas() const;
    void tick(const TickContext& base, RecordSink& sink);
    void poll(const TickContext& base, RecordSink& sink);

private:
    struct SkelDeleter {
        void operator()(tapio_bpf* skel) const;
    };
    // One try: open the object for these areas, avoiding the hook kinds in
    // refused, and load it. On failure returns the error and leaves nothing.
    std::optional<Error> try_load(const std::vector<Area>& areas, const std::vector<HookKind>& refused);
    tapio_bpf* open_object();
    bpf_program* split_program();
    int load_split(bpf_program* heavy);
    void configure_object(const std::vector<HookKind>& refused);
    void choose_programs(AreaProbes& probes, const std::vector<HookKind>& refused);
    void plan_dispatcher(const std::vector<HookKind>& refused);
    void attach();
    void plan_children();
    void fill_filter_maps();

    const Config& config_;
    HostFeatures& features_;
    std::unique_ptr<tapio_bpf, SkelDeleter> skel_;
    // A second copy of the object, holding the dispatcher's exit program
    // when it was loaded on a thread of its own (load_split); same maps.
    std::unique_ptr<tapio_bpf, SkelDeleter> side_skel_;
    std::vector<std::unique_ptr<AreaProbes>> areas_;
    // Declared after skel_ and areas_: destroyed first, links before the object.
    std::vector<LinkPtr> links_;
    std::vector<HookStatus> status_;
    std::vector<HookStatus> failed_;  // areas left out, reported with status_
    AreaTiming timing_;
    // The BTF CO-RE resolves against, for the tries of one start().
    std::unique_ptr<CoreBtfFile> core_btf_;
    bool used_btf_ = false;  // the current plan has a tp_btf program
    int events_fd_ = -1;
    int stats_fd_ = -1;
    int cgroup_fd_ = -1;
    CgroupPlan cgroup_plan_;
    std::vector<uint64_t> refused_v2_, refused_v1_;
};

}  // namespace tapio
