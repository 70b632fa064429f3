// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "probes.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <system_error>
#include <thread>
#include <cstring>

#include <fmt/format.h>

#include "area_probes.h"
#include "errors.h"
#include "host_features.h"
#include "shared.skel.h"

namespace tapio {

const char* hook_state_name(HookState state)
{
    switch (state) {
        case HookState::attached: return "attached";
        case HookState::disabled: return "disabled";
        case HookState::unavailable: return "unavailable";
        case HookState::failed: return "failed";
    }
    return "?";
}

void LinkDeleter::operator()(bpf_link* link) const
{
    bpf_link__destroy(link);
}

namespace {

// Maps every object declares through bpf/common.bpf.h; the first object
// creates them, the others reuse its descriptors.
constexpr const char* shared_map_names[] = {"tt_events", "tt_stats", "tt_pids", "tt_cgroup", "tt_sample", "tt_rate"};

bool is_shared_map(const char* name)
{
    for (const char* shared : shared_map_names)
        if (std::strcmp(shared, name) == 0)
            return true;
    return false;
}

std::string errno_text(int err)
{
    return strerror(err < 0 ? -err : err);
}

}  // namespace

std::unique_ptr<AreaProbes> make_area_probes(Area area)
{
    switch (area) {
        case Area::proc: return make_proc_probes();
        case Area::net: return make_net_probes();
        case Area::file: return make_file_probes();
        case Area::mem: return make_mem_probes();
        default: break;
    }
    throw Error(ExitCode::runtime, fmt::format("the {} area is not built into this tapio-trace", area_name(area)));
}

bool area_built(Area area)
{
    return area == Area::proc || area == Area::net || area == Area::file || area == Area::mem;
}

namespace {

double ms_since(std::chrono::steady_clock::time_point t)
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

ProbeManager::ProbeManager(const Config& config, HostFeatures& features) : config_(config), features_(features) {}

namespace {

// Detaching a tracepoint program waits for an RCU grace period, tens of
// milliseconds each on a busy VM; detaching from several threads lets those
// waits overlap, so exit takes one or two grace periods instead of one per
// hook.
void detach_in_parallel(std::vector<LinkPtr>& links)
{
    constexpr size_t max_threads = 16;
    size_t threads = std::min(links.size(), max_threads);
    if (threads <= 1) {
        links.clear();
        return;
    }
    std::vector<std::thread> workers;
    try {
        for (size_t t = 1; t < threads; ++t) {
            workers.emplace_back([&links, t, threads] {
                for (size_t i = t; i < links.size(); i += threads)
                    links[i].reset();
            });
        }
    } catch (const std::system_error&) {
        // No thread to be had (pid limit): the rest is detached right here.
    }
    for (size_t i = 0; i < links.size(); i += threads)
        links[i].reset();
    for (auto& w : workers)
        w.join();
    links.clear();
}

}  // namespace

ProbeManager::~ProbeManager()
{
    detach_in_parallel(links_);
    areas_.clear();
    if (cgroup_fd_ >= 0)
        close(cgroup_fd_);
    for (const auto& shared : shared_fds_)
        close(shared.second);
}

std::vector<Area> ProbeManager::running_areas() const
{
    std::vector<Area> out;
    for (const auto& a : areas_)
        out.push_back(a->area());
    return out;
}

void ProbeManager::start()
{
    if (!config_.cgroup_path.empty()) {
        cgroup_fd_ = open(config_.cgroup_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cgroup_fd_ < 0)
            throw Error(ExitCode::usage,
                        fmt::format("--cgroup {}: cannot open: {}", config_.cgroup_path, errno_text(errno)));
    }
    create_shared_maps();

    std::vector<std::string> failures;
    auto fail = [&](Area area, const Error& e) {
        if (e.code() == ExitCode::privilege || e.code() == ExitCode::usage)
            throw e;
        failures.push_back(e.what());
        status_.push_back(HookStatus{area_name(area), "*", "", "", HookState::failed, e.what()});
    };

    std::vector<PendingArea> pending;
    for (Area area : config_.areas) {
        try {
            pending.push_back(prepare_area(area));
        } catch (const Error& e) {
            fail(area, e);
        }
    }
    // Loading is where the time goes (BTF parsing for CO-RE, the verifier),
    // and the objects are independent: load them side by side.
    std::vector<std::thread> loaders;
    size_t started = 1;
    try {
        for (; started < pending.size(); ++started)
            loaders.emplace_back([this, &p = pending[started]] { load_area(p); });
    } catch (const std::system_error&) {
        // No thread to be had (pid limit): load the rest here, one by one.
    }
    if (!pending.empty())
        load_area(pending[0]);
    for (size_t i = started; i < pending.size(); ++i)
        load_area(pending[i]);
    for (auto& t : loaders)
        t.join();

    for (PendingArea& p : pending) {
        try {
            if (p.error)
                std::rethrow_exception(p.error);
            attach_area(p);
        } catch (const Error& e) {
            fail(p.area, e);
        }
    }
    if (areas_.empty()) {
        std::string why = failures.empty() ? "no area selected" : failures.front();
        throw Error(ExitCode::kernel, "no area could start: " + why);
    }
}

void ProbeManager::create_shared_maps()
{
    shared_bpf* skel = shared_bpf__open();
    if (!skel)
        throw Error(ExitCode::runtime, fmt::format("cannot open the shared BPF maps: {}", errno_text(errno)));
    std::unique_ptr<shared_bpf, void (*)(shared_bpf*)> owner(skel, shared_bpf__destroy);
    bpf_map__set_max_entries(skel->maps.tt_events, static_cast<__u32>(config_.ring_buffer_size));
    int err = shared_bpf__load(skel);
    if (err) {
        if (err == -EPERM || err == -EACCES)
            throw Error(
                ExitCode::privilege,
                fmt::format("cannot create BPF maps: {} (needs CAP_BPF and CAP_PERFMON, or root)", errno_text(err)));
        throw Error(ExitCode::runtime, fmt::format("cannot create BPF maps: {}", errno_text(err)));
    }
    remember_shared_maps(skel->obj);
}

void ProbeManager::choose_programs(AreaProbes& probes, std::vector<HookStatus>& planned)
{
    bpf_object* obj = probes.object();
    // Nothing loads unless a hook picks it.
    bpf_program* prog;
    bpf_object__for_each_program(prog, obj) bpf_program__set_autoload(prog, false);

    for (const HookSpec& spec : probes.hooks(config_)) {
        HookStatus st;
        st.area = area_name(probes.area());
        st.hook = spec.hook;
        st.tracepoint = spec.tracepoint;
        if (!spec.wanted && !config_.all_hooks) {
            st.state = HookState::disabled;
            st.reason = "not requested";
            st.program = spec.programs.empty() ? "" : spec.programs.front();
            planned.push_back(st);
            continue;
        }
        std::vector<std::string> reasons;
        for (const std::string& name : spec.programs) {
            bpf_program* p = bpf_object__find_program_by_name(obj, name.c_str());
            if (!p) {
                reasons.push_back(name + ": no such program");
                continue;
            }
            HookTarget target = spec.tracepoint.empty() ? parse_section(bpf_program__section_name(p))
                                                        : parse_section("tracepoint/" + spec.tracepoint);
            if (auto why = target_unavailable(target, features_)) {
                reasons.push_back(fmt::format("{}: {}", hook_kind_name(target.kind), *why));
                continue;
            }
            bpf_program__set_autoload(p, true);
            st.program = name;
            st.how = hook_kind_name(target.kind);
            st.state = HookState::attached;  // provisional until attach
            break;
        }
        if (st.program.empty()) {
            st.state = HookState::unavailable;
            st.program = spec.programs.empty() ? "" : spec.programs.front();
            for (size_t i = 0; i < reasons.size(); ++i)
                st.reason += (i ? "; " : "") + reasons[i];
        } else if (!reasons.empty()) {
            // A better variant was passed over: say so in the report.
            for (size_t i = 0; i < reasons.size(); ++i)
                st.reason += (i ? "; " : "fallback: ") + reasons[i];
        }
        planned.push_back(st);
    }
}

void ProbeManager::share_maps(bpf_object* obj)
{
    bpf_map* map;
    bpf_object__for_each_map(map, obj)
    {
        // A copy: bpf_map__reuse_fd() frees the map's name and takes the
        // kernel's in its place.
        const std::string name = bpf_map__name(map);
        if (name == "tt_events")
            bpf_map__set_max_entries(map, static_cast<__u32>(config_.ring_buffer_size));
        auto type = bpf_map__type(map);
        if (!is_shared_map(name.c_str()) && (type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_LRU_HASH)) {
            if (config_.map_entries)
                bpf_map__set_max_entries(map, config_.map_entries);
            for (const auto& [wanted, entries] : config_.map_entries_by_name)
                if (wanted == name)
                    bpf_map__set_max_entries(map, entries);
        }
        for (const auto& [shared, fd] : shared_fds_) {
            if (shared == name) {
                int err = bpf_map__reuse_fd(map, fd);
                if (err)
                    throw Error(ExitCode::runtime, fmt::format("cannot share map {}: {}", name, errno_text(err)));
                break;
            }
        }
    }
}

void ProbeManager::remember_shared_maps(bpf_object* obj)
{
    if (!shared_fds_.empty())
        return;
    bpf_map* map;
    bpf_object__for_each_map(map, obj)
    {
        const char* name = bpf_map__name(map);
        if (!is_shared_map(name))
            continue;
        // Our own descriptor: the maps outlive this object if it is dropped.
        int fd = fcntl(bpf_map__fd(map), F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
            throw Error(ExitCode::runtime, fmt::format("cannot keep map {}: {}", name, errno_text(errno)));
        shared_fds_.emplace_back(name, fd);
        if (std::strcmp(name, "tt_events") == 0)
            events_fd_ = fd;
        if (std::strcmp(name, "tt_stats") == 0)
            stats_fd_ = fd;
    }
    fill_filter_maps(obj);
}

void ProbeManager::fill_filter_maps(bpf_object* obj)
{
    if (bpf_map* pids = bpf_object__find_map_by_name(obj, "tt_pids")) {
        __u8 one = 1;
        for (uint32_t pid : config_.pids)
            if (bpf_map__update_elem(pids, &pid, sizeof(pid), &one, sizeof(one), BPF_ANY) != 0)
                throw Error(ExitCode::runtime,
                            fmt::format("cannot add pid {} to the filter: {}", pid, errno_text(errno)));
    }
    if (cgroup_fd_ >= 0) {
        bpf_map* cg = bpf_object__find_map_by_name(obj, "tt_cgroup");
        __u32 zero = 0;
        __u32 fd = static_cast<__u32>(cgroup_fd_);
        if (!cg || bpf_map__update_elem(cg, &zero, sizeof(zero), &fd, sizeof(fd), BPF_ANY) != 0)
            throw Error(ExitCode::usage,
                        fmt::format("--cgroup {}: not a cgroup v2 directory (the cgroup2 hierarchy is usually "
                                    "mounted at /sys/fs/cgroup or /sys/fs/cgroup/unified)",
                                    config_.cgroup_path));
    }
}

ProbeManager::PendingArea ProbeManager::prepare_area(Area area)
{
    PendingArea p;
    p.area = area;
    p.timing.area = area;
    auto t0 = std::chrono::steady_clock::now();
    p.probes = make_area_probes(area);
    bpf_object* obj = p.probes->object();

    tt_config& cfg = *p.probes->common_config();
    std::memset(&cfg, 0, sizeof(cfg));
    cfg.filter_pids = config_.pids.empty() ? 0 : 1;
    cfg.filter_uid = config_.uid.has_value();
    cfg.uid = config_.uid.value_or(0);
    cfg.filter_comm = config_.comm.empty() ? 0 : 1;
    std::strncpy(cfg.comm, config_.comm.c_str(), sizeof(cfg.comm) - 1);
    cfg.filter_cgroup = config_.cgroup_path.empty() ? 0 : 1;
    cfg.failed_only = config_.failed_only;
    cfg.sample_every = config_.sample;
    cfg.self_tgid = static_cast<uint32_t>(getpid());
    cfg.rate_per_sec = config_.rate_limit;
    cfg.rate_burst = config_.rate_limit;  // one second's worth
    // Wake the reader early once a quarter of the buffer is waiting.
    cfg.wakeup_bytes = config_.ring_buffer_size / 4;
    p.probes->configure(config_);

    choose_programs(*p.probes, p.planned);
    share_maps(obj);
    p.timing.open_ms = ms_since(t0);
    return p;
}

void ProbeManager::load_area(PendingArea& p)
{
    auto t1 = std::chrono::steady_clock::now();
    int err = bpf_object__load(p.probes->object());
    p.timing.load_ms = ms_since(t1);
    if (!err)
        return;
    if (err == -EPERM || err == -EACCES)
        p.error = std::make_exception_ptr(Error(
            ExitCode::privilege, fmt::format("cannot load {} programs: {} (needs CAP_BPF and CAP_PERFMON, or root)",
                                             area_name(p.area), errno_text(err))));
    else
        p.error = std::make_exception_ptr(
            Error(ExitCode::runtime, fmt::format("cannot load {} programs: {} (run with -v for the verifier log)",
                                                 area_name(p.area), errno_text(err))));
}

void ProbeManager::attach_area(PendingArea& p)
{
    bpf_object* obj = p.probes->object();
    auto t2 = std::chrono::steady_clock::now();
    size_t attached = 0;
    for (HookStatus& st : p.planned) {
        if (st.state != HookState::attached)
            continue;
        bpf_program* prog = bpf_object__find_program_by_name(obj, st.program.c_str());
        bpf_link* link;
        if (st.tracepoint.empty()) {
            link = bpf_program__attach(prog);
        } else {
            size_t slash = st.tracepoint.find('/');
            link = bpf_program__attach_tracepoint(prog, st.tracepoint.substr(0, slash).c_str(),
                                                  st.tracepoint.substr(slash + 1).c_str());
        }
        if (!link || libbpf_get_error(link)) {
            int e = errno;
            st.state = HookState::failed;
            st.reason = fmt::format("cannot attach {} {}: {}", st.how, st.hook, errno_text(e));
            continue;
        }
        links_.emplace_back(link);
        ++attached;
    }
    status_.insert(status_.end(), p.planned.begin(), p.planned.end());
    p.timing.attach_ms = ms_since(t2);
    timings_.push_back(p.timing);
    if (attached == 0)
        throw Error(ExitCode::kernel, fmt::format("no {} hook could be attached", area_name(p.area)));
    areas_.push_back(std::move(p.probes));
}

void ProbeManager::tick(const TickContext& ctx, RecordSink& sink)
{
    for (auto& a : areas_)
        a->tick(ctx, sink);
}

void ProbeManager::poll(const TickContext& ctx, RecordSink& sink)
{
    for (auto& a : areas_)
        a->poll(ctx, sink);
}

}  // namespace tapio
