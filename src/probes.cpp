// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "probes.h"
#include "log.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <chrono>
#include <system_error>
#include <thread>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "area_probes.h"
#include "core_btf.h"
#include "tapio/errors.h"
#include "host_features.h"
#include "select.h"
#include "tapio.skel.h"

namespace tapio {

// The limits the public configuration states are those of the kernel side.
static_assert(limits::comm_length == TT_COMM_LEN - 1, "limits::comm_length: bpf/events.h TT_COMM_LEN changed");
static_assert(limits::exec_args == TT_MAX_ARGS, "limits::exec_args: bpf/events.h TT_MAX_ARGS changed");
static_assert(limits::path_prefixes == TT_FILE_MAX_PREFIXES, "limits::path_prefixes: bpf/events.h changed");
static_assert(limits::path_prefix_length == TT_FILE_PREFIX_LEN, "limits::path_prefix_length: bpf/events.h changed");

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

std::string errno_text(int err)
{
    return strerror(err < 0 ? -err : err);
}

double ms_since(std::chrono::steady_clock::time_point t)
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// Each area's own maps (bpf/<area>.bpf.h). The object has them all; those
// of areas that do not run are created at their smallest (a preallocated
// hash map of 4096 exec calls is 10 MiB to allocate and clear).
struct MapOwner {
    const char* map;
    Area area;
};
constexpr MapOwner map_owners[] = {
    {"exec_pending", Area::proc},   {"exec_scratch", Area::proc},  {"proc_calls", Area::proc},
    {"syscall_start", Area::proc},  {"syscall_stats", Area::proc}, {"tt_path_scratch", Area::proc},
    {"exits_reported", Area::proc}, {"socks", Area::net},          {"file_calls", Area::file},
    {"file_scratch", Area::file},   {"file_io", Area::file},       {"file_io_scratch", Area::file},
    {"reclaim_start", Area::mem},   {"alloc_pending", Area::mem},
};

// ---- "tt_btf/": tp_btf programs whose attach id tapio-trace finds ----
//
// libbpf 1.1 parses the kernel's whole BTF (5.5 MB here, about 10 ms) at every
// load that has a BTF-typed program, only to find its attach type id
// ("btf_trace_sys_exit"). The dispatcher's sections are "tt_btf/<name>"
// instead: they open as raw tracepoint programs, so libbpf has no need of
// the kernel's BTF (CO-RE resolves against the cut, core_btf.h), and this
// handler turns them into the same BTF-typed programs at load, with the id
// from tapio-trace's own scan; without one (no cut), from a parse of its own.

std::mutex tt_btf_mu;
std::map<std::string, int, std::less<>> tt_btf_ids;  // "btf_trace_<name>" -> kernel type id

// The attach targets of the object's tt_btf programs (bpf/tapio.bpf.c).
constexpr const char* tt_btf_targets[] = {"btf_trace_sys_enter", "btf_trace_sys_exit"};

void remember_tt_btf_id(const std::string& typedef_name, int id)
{
    std::lock_guard<std::mutex> lock(tt_btf_mu);
    tt_btf_ids[typedef_name] = id;
}

int tt_btf_attach_id(const std::string& typedef_name)
{
    std::lock_guard<std::mutex> lock(tt_btf_mu);
    if (auto it = tt_btf_ids.find(typedef_name); it != tt_btf_ids.end())
        return it->second;
    // No cut to have found it: one parse of the kernel's BTF for every target.
    struct btf* kernel = btf__load_vmlinux_btf();
    if (!kernel)
        return -errno;
    int id = btf__find_by_name_kind(kernel, typedef_name.c_str(), BTF_KIND_TYPEDEF);
    for (const char* target : tt_btf_targets)
        if (int found = btf__find_by_name_kind(kernel, target, BTF_KIND_TYPEDEF); found > 0)
            tt_btf_ids[target] = found;  // a failure may pass: asked again next time
    btf__free(kernel);
    return id;
}

// Called by libbpf (C): nothing may be thrown through it.
int tt_btf_prepare(struct bpf_program* prog, struct bpf_prog_load_opts* opts, long /*cookie*/) noexcept
try {
    std::string_view section = bpf_program__section_name(prog);
    int id = tt_btf_attach_id(fmt::format("btf_trace_{}", section.substr(section.find('/') + 1)));
    if (id <= 0)
        return id < 0 ? id : -ENOENT;
    bpf_program__set_type(prog, BPF_PROG_TYPE_TRACING);
    bpf_program__set_expected_attach_type(prog, BPF_TRACE_RAW_TP);
    opts->expected_attach_type = BPF_TRACE_RAW_TP;
    opts->attach_btf_obj_fd = 0;  // vmlinux
    opts->attach_btf_id = static_cast<__u32>(id);
    return 0;
} catch (...) {
    return -ENOMEM;
}

int tt_btf_handler = 0;  // libbpf's id for it, or why it could not be registered

// Once per process, before the object is first opened. libbpf keeps its
// handlers in one table for the process: a program that embeds the library
// and opens its own objects on another thread at the same moment should
// start a Collector first (the README says so).
void register_tt_btf()
{
    static std::once_flag once;
    std::call_once(once, [] {
        LIBBPF_OPTS(libbpf_prog_handler_opts, handler, .prog_prepare_load_fn = tt_btf_prepare);
        tt_btf_handler =
            libbpf_register_prog_handler("tt_btf/", BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_TRACE_RAW_TP, &handler);
    });
    if (tt_btf_handler < 0)
        throw Error(ExitCode::runtime, fmt::format("cannot register the tt_btf/ section handler with libbpf: {}",
                                                   errno_text(tt_btf_handler)));
}

bool refused_kind(const std::vector<HookKind>& refused, HookKind kind)
{
    return std::find(refused.begin(), refused.end(), kind) != refused.end();
}

// Why a candidate program cannot serve its hook here ("raw_tracepoint: ..."),
// or nullopt; kind is its hook kind when the program exists.
std::optional<std::string> candidate_unavailable(bpf_object* obj, const std::string& name,
                                                 const std::vector<HookKind>& refused, HostFeatures& features,
                                                 HookKind& kind)
{
    bpf_program* p = bpf_object__find_program_by_name(obj, name.c_str());
    if (!p)
        return name + ": no such program";
    HookTarget target = parse_section(bpf_program__section_name(p));
    kind = target.kind;
    if (refused_kind(refused, kind))
        return fmt::format("{}: the kernel refused to load it", hook_kind_name(kind));
    if (auto why = target_unavailable(target, features, Check::quick))
        return fmt::format("{}: {}", hook_kind_name(kind), *why);
    return std::nullopt;
}

// The reasons the better candidates were passed over, for a hook's report.
std::string joined_reasons(const std::vector<std::string>& reasons, bool fell_back)
{
    std::string out;
    for (size_t i = 0; i < reasons.size(); ++i)
        out += (i ? "; " : (fell_back ? "fallback: " : "")) + reasons[i];
    return out;
}

// The syscall dispatcher's three forms, best first (bpf/tapio.bpf.c); the
// entry and exit programs are always of the same form.
struct DispatchForm {
    const char* enter;
    const char* exit;
};
constexpr DispatchForm dispatch_forms[] = {
    {"tt_sys_enter_btf", "tt_sys_exit_btf"},
    {"tt_sys_enter_raw", "tt_sys_exit_raw"},
    {"tt_sys_enter_tp", "tt_sys_exit_tp"},
};

// Detaching a perf-attached tracepoint waits for an RCU grace period (only
// the plain-tracepoint fallbacks are attached that way); from several
// threads those waits can overlap.
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

std::vector<std::string> syscalls_for(std::initializer_list<SyscallEntry> list, uint64_t kinds)
{
    std::vector<std::string> names;
    for (const SyscallEntry& e : list)
        if (e.kinds & kinds)
            names.emplace_back(e.name);
    return names;
}

std::unique_ptr<AreaProbes> make_area_probes(Area area, tapio_bpf* skel)
{
    switch (area) {
#define TAPIO_AREA_FACTORY(name) \
    case Area::name: return make_##name##_probes(skel);
        TAPIO_AREAS(TAPIO_AREA_FACTORY)
#undef TAPIO_AREA_FACTORY
    }
    throw Error(ExitCode::runtime, fmt::format("the {} area is not built into this tapio-trace", area_name(area)));
}

bool area_built(Area area)
{
    for (Area a : all_areas)
        if (a == area)
            return true;
    return false;
}

void ProbeManager::SkelDeleter::operator()(tapio_bpf* skel) const
{
    tapio_bpf__destroy(skel);
}

ProbeManager::ProbeManager(const Config& config, HostFeatures& features) : config_(config), features_(features) {}

ProbeManager::~ProbeManager()
{
    detach_in_parallel(links_);
    areas_.clear();
    side_skel_.reset();
    skel_.reset();
    if (cgroup_fd_ >= 0)
        close(cgroup_fd_);
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
    if (!cgroup_plan_.under.empty()) {
        cgroup_fd_ = open(cgroup_plan_.under.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cgroup_fd_ < 0)
            throw Error(ExitCode::usage,
                        fmt::format("--cgroup {}: cannot open: {}", cgroup_plan_.under, errno_text(errno)));
    }
    std::vector<Area> wanted;
    for (Area area : config_.areas) {
        if (area_built(area))
            wanted.push_back(area);
        else
            failed_.push_back(
                HookStatus{area_name(area), "*", "", "", HookState::failed,
                           fmt::format("the {} area is not built into this tapio-trace", area_name(area))});
    }
    if (wanted.empty())
        throw Error(ExitCode::kernel, "no area could start: " +
                                          (failed_.empty() ? std::string("no area selected") : failed_.front().reason));

    // The common case: one object, one load, one parse of the kernel's BTF.
    std::vector<HookKind> refused;
    std::optional<Error> err = try_load(wanted, refused);
    auto fatal = [](const std::optional<Error>& e) {
        return e && (e->code() == ExitCode::privilege || e->code() == ExitCode::usage);
    };
    if (err && !fatal(err) && used_btf_) {
        // Some kernels refuse BTF-typed programs (or lack one of their
        // tracepoints): the same programs as raw tracepoints.
        refused.push_back(HookKind::btf_tracepoint);
        err = try_load(wanted, refused);
    }
    if (err && !fatal(err) && wanted.size() > 1) {
        // Area by area, each added to those that loaded together so far, so
        // one area's failure (or a limit only their sum reaches, such as a
        // memory cgroup's) does not take the others down.
        std::vector<Area> kept;
        for (Area area : wanted) {
            std::vector<Area> trial = kept;
            trial.push_back(area);
            if (auto e = try_load(trial, refused))
                failed_.push_back(HookStatus{area_name(area), "*", "", "", HookState::failed, e->what()});
            else
                kept = std::move(trial);
        }
        // The last try may have been one that failed: load what was kept.
        err = kept.empty() ? err : try_load(kept, refused);
    } else if (err) {
        failed_.push_back(HookStatus{area_name(wanted.front()), "*", "", "", HookState::failed, err->what()});
    }
    core_btf_.reset();  // libbpf read it at each load; there is none to come
    if (err) {
        if (fatal(err))
            throw *err;
        throw Error(ExitCode::kernel, "no area could start: " + std::string(err->what()));
    }
    fill_filter_maps();
    attach();
}

std::optional<Error> ProbeManager::try_load(const std::vector<Area>& areas, const std::vector<HookKind>& refused)
{
    auto t0 = std::chrono::steady_clock::now();
    links_.clear();
    areas_.clear();
    status_.clear();
    if (!core_btf_) {
        // Once per run, whatever the tries: CO-RE against a cut of the
        // kernel's BTF (src/core_btf.h), unless TAPIO_CORE_BTF=kernel.
        const char* mode = getenv("TAPIO_CORE_BTF");
        if (mode && std::string_view(mode) == "kernel") {
            core_btf_ = std::make_unique<CoreBtfFile>();
            log_message(config_, LogLevel::info, "core",
                        "CO-RE against the kernel's whole BTF (TAPIO_CORE_BTF=kernel)");
        } else {
            size_t size = 0;
            const void* elf = tapio_bpf__elf_bytes(&size);
            core_btf_ = std::make_unique<CoreBtfFile>(
                std::span(static_cast<const uint8_t*>(elf), size),
                std::vector<std::string>(std::begin(tt_btf_targets), std::end(tt_btf_targets)));
            log_message(config_, LogLevel::info, "core", core_btf_->summary());
            for (const char* name : tt_btf_targets)
                if (uint32_t id = core_btf_->typedef_id(name))
                    remember_tt_btf_id(name, static_cast<int>(id));
        }
    }
    side_skel_.reset();
    skel_.reset(open_object());
    if (!skel_)
        return Error(ExitCode::runtime, fmt::format("cannot open the BPF object: {}", errno_text(errno)));
    try {
        for (Area area : areas)
            areas_.push_back(make_area_probes(area, skel_.get()));
        configure_object(refused);
    } catch (const Error& e) {
        skel_.reset();
        areas_.clear();
        return e;
    }
    timing_.open_ms += ms_since(t0);

    auto t1 = std::chrono::steady_clock::now();
    bpf_program* heavy = split_program();
    int err = heavy ? load_split(heavy) : bpf_object__load(skel_->obj);
    timing_.load_ms += ms_since(t1);
    timing_.split = heavy && !err;
    ++timing_.loads;
    if (!err) {
        events_fd_ = bpf_map__fd(skel_->maps.tt_events);
        stats_fd_ = bpf_map__fd(skel_->maps.tt_stats);
        return std::nullopt;
    }
    std::string what;
    for (size_t i = 0; i < areas.size(); ++i)
        what += (i ? "," : "") + std::string(area_name(areas[i]));
    side_skel_.reset();
    skel_.reset();
    areas_.clear();
    status_.clear();
    if (err == -EPERM || err == -EACCES)
        return Error(ExitCode::privilege,
                     fmt::format("cannot load the {} programs: {} (needs CAP_BPF and CAP_PERFMON, or root)", what,
                                 errno_text(err)));
    return Error(ExitCode::runtime, fmt::format("cannot load the {} programs: {} (run with -v for the verifier log)",
                                                what, errno_text(err)));
}

tapio_bpf* ProbeManager::open_object()
{
    register_tt_btf();
    LIBBPF_OPTS(bpf_object_open_opts, opts);
    if (core_btf_ && !core_btf_->path().empty())
        opts.btf_custom_path = core_btf_->path().c_str();
    return tapio_bpf__open_opts(&opts);
}

// The exit program of the dispatcher, when it would be loaded along with
// others that take the verifier long enough to be worth a second thread.
bpf_program* ProbeManager::split_program()
{
    bpf_program* heavy = nullptr;
    bpf_program* p;
    int others = 0;
    bpf_object__for_each_program(p, skel_->obj)
    {
        if (!bpf_program__autoload(p))
            continue;
        std::string_view name = bpf_program__name(p);
        if (name.substr(0, 12) == "tt_sys_exit_")
            heavy = p;
        else if (bpf_program__insn_cnt(p) >= 100)
            ++others;
    }
    return others >= 2 && !getenv("TAPIO_LOAD_SERIAL") ? heavy : nullptr;
}

// Loads the object with heavy loaded from a second copy of it, on a second
// thread, at the same time as the rest: the dispatcher's exit is about half
// of the verifier's work for `all` (26 of 46 ms on 6.18). A third copy
// first creates the maps (and fills and freezes .rodata, so both copies'
// programs verify against the same constants); both loading copies take
// them over, so neither waits for the other. Returns what bpf_object__load
// would, the first error of the two.
int ProbeManager::load_split(bpf_program* heavy)
{
    std::unique_ptr<tapio_bpf, SkelDeleter> maps(open_object());
    int open_errno = errno;
    std::unique_ptr<tapio_bpf, SkelDeleter> side(maps ? open_object() : nullptr);
    if (maps)
        open_errno = errno;
    if (!maps || !side)
        return open_errno > 0 ? -open_errno : -EINVAL;
    // What configure_object set on this copy, onto the one that creates.
    bpf_map* from = nullptr;
    while ((from = bpf_object__next_map(skel_->obj, from))) {
        bpf_map* to = bpf_object__find_map_by_name(maps->obj, bpf_map__name(from));
        if (!to)
            return -ENOENT;
        size_t size = 0;
        const void* value = bpf_map__initial_value(from, &size);
        if (int err = bpf_map__set_max_entries(to, bpf_map__max_entries(from)))
            return err;
        if (int err = bpf_map__set_map_flags(to, bpf_map__map_flags(from)))
            return err;
        if (value)
            if (int err = bpf_map__set_initial_value(to, value, size))
                return err;
    }
    bpf_program* p;
    bpf_object__for_each_program(p, maps->obj) bpf_program__set_autoload(p, false);
    // The largest preallocated tables take the kernel milliseconds each to
    // fill in (socks 4 ms, exec_pending 2.5 ms here): made on a second
    // thread while the maps copy creates the rest.
    struct Early {
        bpf_map* map;
        int fd = -1;
        int err = 0;
    };
    std::vector<Early> early;
    for (const char* name : {"socks", "exec_pending"})
        if (bpf_map* m = bpf_object__find_map_by_name(maps->obj, name); m && bpf_map__max_entries(m) > 1)
            early.push_back(Early{m});
    for (Early& e : early)
        bpf_map__set_autocreate(e.map, false);
    auto make_early = [&early] {
        for (Early& e : early) {
            LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = bpf_map__map_flags(e.map));
            e.fd = bpf_map_create(bpf_map__type(e.map), bpf_map__name(e.map), bpf_map__key_size(e.map),
                                  bpf_map__value_size(e.map), bpf_map__max_entries(e.map), &opts);
            e.err = e.fd < 0 ? -errno : 0;
        }
    };
    std::thread maker;
    try {
        maker = std::thread(make_early);
    } catch (const std::system_error&) {
        make_early();  // no thread to be had: one after the other
    }
    int maps_err = bpf_object__load(maps->obj);
    if (maker.joinable())
        maker.join();
    struct CloseEarly {
        std::vector<Early>& early;
        ~CloseEarly()
        {
            for (Early& e : early)
                if (e.fd >= 0)
                    close(e.fd);
        }
    } close_early{early};
    if (maps_err)
        return maps_err;
    for (const Early& e : early)
        if (e.err)
            return e.err;
    bpf_map* made = nullptr;
    while ((made = bpf_object__next_map(maps->obj, made))) {
        const char* name = bpf_map__name(made);
        int fd = bpf_map__fd(made);
        for (const Early& e : early)
            if (e.map == made)
                fd = e.fd;
        for (tapio_bpf* copy : {skel_.get(), side.get()}) {
            bpf_map* map = bpf_object__find_map_by_name(copy->obj, name);
            if (!map)
                return -ENOENT;
            if (int err = bpf_map__reuse_fd(map, fd))
                return err;
        }
    }
    maps.reset();  // the copies hold the maps now
    bpf_object__for_each_program(p, side->obj)
        bpf_program__set_autoload(p, std::string_view(bpf_program__name(p)) == bpf_program__name(heavy));
    bpf_program__set_autoload(heavy, false);

    int side_err = 0;
    std::thread worker;
    try {
        worker = std::thread([&] { side_err = bpf_object__load(side->obj); });
    } catch (const std::system_error&) {
        side_err = bpf_object__load(side->obj);  // no thread to be had: one after the other
    }
    int err = bpf_object__load(skel_->obj);
    if (worker.joinable())
        worker.join();
    if (!err)
        err = side_err;
    if (!err)
        side_skel_ = std::move(side);
    return err;
}

void ProbeManager::configure_object(const std::vector<HookKind>& refused)
{
    bpf_object* obj = skel_->obj;
    bpf_map* map;
    bpf_object__for_each_map(map, obj)
    {
        const std::string name = bpf_map__name(map);
        auto type = bpf_map__type(map);
        bool idle = false;
        for (const MapOwner& owner : map_owners)
            if (name == owner.map)
                idle =
                    std::none_of(areas_.begin(), areas_.end(), [&](const auto& a) { return a->area() == owner.area; });
        // Tables only some options fill.
        if ((name == "file_io" && config_.file.top == 0) || (name == "tt_cgroups_v2" && !cgroup_plan_.v2_set) ||
            (name == "tt_cgroups_v1" && !cgroup_plan_.v1_set))
            idle = true;
        if (idle)
            bpf_map__set_max_entries(map, 1);
        else if (name == "tt_events")
            bpf_map__set_max_entries(map, static_cast<__u32>(config_.ring_buffer_size));
        else if (name == "tt_pids") {
            // As many as a Config may name, or with --children as many as
            // may be followed at once (a preallocated hash: about 5 MiB).
            // Tests may shrink it below that (never below -p's own).
            uint32_t entries = config_.children && !config_.pids.empty() ? limits::followed_pids : limits::pids;
            for (const auto& [wanted, n] : config_.map_entries_by_name)
                if (wanted == name)
                    entries = std::max<uint32_t>(n, static_cast<uint32_t>(config_.pids.size()));
            bpf_map__set_max_entries(map, entries);
        } else if (type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_LRU_HASH) {
            if (config_.map_entries)
                bpf_map__set_max_entries(map, config_.map_entries);
            for (const auto& [wanted, entries] : config_.map_entries_by_name)
                if (wanted == name)
                    bpf_map__set_max_entries(map, entries);
        }
    }

    tt_config& cfg = const_cast<tt_config&>(skel_->rodata->tt_cfg);
    std::memset(&cfg, 0, sizeof(cfg));
    cfg.filter_pids = config_.pids.empty() ? 0 : 1;
    cfg.filter_uid = config_.uid.has_value();
    cfg.uid = config_.uid.value_or(0);
    cfg.filter_comm = config_.comm.empty() ? 0 : 1;
    std::strncpy(cfg.comm, config_.comm.c_str(), sizeof(cfg.comm) - 1);
    cfg.filter_cgroup = (cgroup_plan_.under.empty() ? 0 : TT_FILTER_CGROUP_UNDER) |
                        (cgroup_plan_.v2_set ? TT_FILTER_CGROUP_V2_SET : 0) |
                        (cgroup_plan_.v1_set ? TT_FILTER_CGROUP_V1_SET : 0);
    cfg.v1_ssid = cgroup_plan_.v1_ssid;
    cfg.failed_only = config_.failed_only;
    cfg.sample_every = config_.sample;
    cfg.self_tgid = static_cast<uint32_t>(getpid());
    // --rate-limit: each type's share, then the pool (bpf/common.bpf.h, tt_rate_allows).
    RateSplit split = rate_split(config_);
    cfg.rate_per_sec = split.pool_per_sec;
    cfg.rate_burst = split.pool_per_sec;  // one second's worth
    cfg.rate_share_per_sec = split.share_per_sec;
    cfg.rate_share_burst = split.share_per_sec;
    cfg.limit_critical = config_.limit_critical;
    // Wake the reader early once a quarter of the buffer is waiting.
    // Below 256 KiB no forced wakeup at all: a reader woken for a ring that
    // small finds it full anyway (it fills in microseconds under a burst),
    // and a wakeup every few records cost a 4K ring's traced open 4.3 us
    // against 0.8 us; such rings lose more in bursts instead, counted.
    cfg.wakeup_bytes = config_.ring_buffer_size >= (256u << 10) ? config_.ring_buffer_size / 4 : UINT64_MAX;
    cfg.kinds = config_.all_hooks ? ~0ULL : chosen_kinds(config_);

    // Nothing loads unless a hook picks it.
    bpf_program* prog;
    bpf_object__for_each_program(prog, obj) bpf_program__set_autoload(prog, false);
    used_btf_ = false;
    for (auto& probes : areas_) {
        probes->configure(config_);
        choose_programs(*probes, refused);
    }
    plan_dispatcher(refused);
    plan_children();
}

// --children: two raw tracepoint programs of their own (bpf/follow.bpf.h),
// whichever areas run.
void ProbeManager::plan_children()
{
    if (!config_.children || config_.pids.empty())
        return;
    bpf_object* obj = skel_->obj;
    const std::pair<const char*, const char*> hooks[] = {
        {"sched:sched_process_fork", "tt_follow_fork"},
        {"sched:sched_process_free", "tt_follow_free"},
    };
    for (const auto& [hook, program] : hooks) {
        HookStatus st;
        st.area = "children";
        st.hook = hook;
        st.program = program;
        HookKind kind = HookKind::other;
        if (auto why = candidate_unavailable(obj, program, {}, features_, kind)) {
            st.state = HookState::unavailable;
            st.reason = *why;
        } else {
            bpf_program__set_autoload(bpf_object__find_program_by_name(obj, program), true);
            st.how = hook_kind_name(kind);
            st.state = HookState::attached;
        }
        status_.push_back(st);
    }
}

void ProbeManager::choose_programs(AreaProbes& probes, const std::vector<HookKind>& refused)
{
    bpf_object* obj = skel_->obj;
    for (const HookSpec& spec : probes.hooks(config_)) {
        HookStatus st;
        st.area = area_name(probes.area());
        st.hook = spec.hook;
        bool chosen = spec.serves.empty() || std::any_of(spec.serves.begin(), spec.serves.end(),
                                                         [&](std::string_view t) { return config_.wants(t); });
        if ((!spec.wanted || !chosen) && !config_.all_hooks) {
            st.state = HookState::disabled;
            st.reason = spec.wanted ? fmt::format("not needed: -e chooses none of {}", fmt::join(spec.serves, ", "))
                                    : "not requested";
            st.program = spec.programs.empty() ? "" : spec.programs.front();
            status_.push_back(st);
            continue;
        }
        std::vector<std::string> reasons;
        for (const std::string& name : spec.programs) {
            HookKind kind = HookKind::other;
            if (auto why = candidate_unavailable(obj, name, refused, features_, kind)) {
                reasons.push_back(*why);
                continue;
            }
            bpf_program__set_autoload(bpf_object__find_program_by_name(obj, name.c_str()), true);
            used_btf_ |= kind == HookKind::btf_tracepoint;
            st.program = name;
            st.how = hook_kind_name(kind);
            st.state = HookState::attached;  // provisional until attach
            break;
        }
        if (st.program.empty()) {
            st.state = HookState::unavailable;
            st.program = spec.programs.empty() ? "" : spec.programs.front();
        }
        // A better variant passed over, or why none would do.
        st.reason = joined_reasons(reasons, st.state == HookState::attached);
        status_.push_back(st);
    }
}

void ProbeManager::plan_dispatcher(const std::vector<HookKind>& refused)
{
    bpf_object* obj = skel_->obj;
    uint32_t sys_areas = 0;
    std::vector<std::pair<Area, AreaProbes::Syscalls>> users;
    for (auto& probes : areas_) {
        AreaProbes::Syscalls sc = probes->syscalls(config_);
        if (sc.names.empty())
            continue;
        sys_areas |= sc.areas;
        users.emplace_back(probes->area(), std::move(sc));
    }
    if (users.empty())
        return;

    // The first form whose programs the host takes.
    const DispatchForm* form = nullptr;
    std::string how;
    std::vector<std::string> reasons;
    for (const DispatchForm& f : dispatch_forms) {
        HookKind kind = HookKind::other;
        std::optional<std::string> why = candidate_unavailable(obj, f.enter, refused, features_, kind);
        if (!why)
            why = candidate_unavailable(obj, f.exit, refused, features_, kind);
        if (why) {
            reasons.push_back(*why);
            continue;
        }
        form = &f;
        how = hook_kind_name(kind);
        used_btf_ |= kind == HookKind::btf_tracepoint;
        break;
    }
    std::string reason = joined_reasons(reasons, form != nullptr);
    // The plain tracepoint's exit has no registers to read arguments from.
    bool regs_at_exit = form != &dispatch_forms[2];
    auto needs_enter = [&](const AreaProbes::Syscalls& sc) {
        return sc.enter || (!regs_at_exit && sc.enter_without_regs);
    };
    bool enter = std::any_of(users.begin(), users.end(), [&](const auto& u) { return needs_enter(u.second); });
    // The BTF form also comes built for one area alone (bpf/tapio.bpf.c):
    // without the other areas' code it relocates and verifies faster.
    std::string enter_program = (form ? *form : dispatch_forms[0]).enter;
    std::string exit_program = (form ? *form : dispatch_forms[0]).exit;
    if (form == &dispatch_forms[0] && users.size() == 1) {
        std::string suffix = fmt::format("_{}", area_name(users.front().first));
        if (bpf_object__find_program_by_name(obj, (enter_program + suffix).c_str()) &&
            bpf_object__find_program_by_name(obj, (exit_program + suffix).c_str())) {
            enter_program += suffix;
            exit_program += suffix;
        }
    }
    if (form) {
        if (enter)
            bpf_program__set_autoload(bpf_object__find_program_by_name(obj, enter_program.c_str()), true);
        bpf_program__set_autoload(bpf_object__find_program_by_name(obj, exit_program.c_str()), true);
        const_cast<__u32&>(skel_->rodata->tt_sys_areas) = sys_areas;
    }
    for (auto& [area, sc] : users) {
        for (bool is_enter : {true, false}) {
            if (is_enter && !needs_enter(sc))
                continue;
            HookStatus st;
            st.area = area_name(area);
            st.hook = is_enter ? "raw_syscalls:sys_enter" : "raw_syscalls:sys_exit";
            st.program = is_enter ? enter_program : exit_program;
            st.how = form ? how : "";
            st.state = form ? HookState::attached : HookState::unavailable;
            st.reason = reason;
            st.syscalls = sc.names;
            status_.push_back(st);
        }
    }
}

void ProbeManager::fill_filter_maps()
{
    __u64 given = 0;  // a -p process (followed ones carry their start time, bpf/follow.bpf.h)
    for (uint32_t pid : config_.pids)
        if (bpf_map__update_elem(skel_->maps.tt_pids, &pid, sizeof(pid), &given, sizeof(given), BPF_ANY) != 0)
            throw Error(ExitCode::runtime, fmt::format("cannot add pid {} to the filter: {}", pid, errno_text(errno)));
    if (cgroup_fd_ >= 0) {
        __u32 zero = 0;
        __u32 fd = static_cast<__u32>(cgroup_fd_);
        if (bpf_map__update_elem(skel_->maps.tt_cgroup, &zero, sizeof(zero), &fd, sizeof(fd), BPF_ANY) != 0)
            throw Error(ExitCode::usage,
                        fmt::format("--cgroup {}: not a cgroup v2 directory (the cgroup2 hierarchy is usually "
                                    "mounted at /sys/fs/cgroup or /sys/fs/cgroup/unified)",
                                    cgroup_plan_.under));
    }
    refused_v2_ = add_cgroup_ids(cgroup_plan_.v2_ids, false);
    refused_v1_ = add_cgroup_ids(cgroup_plan_.v1_ids, true);
    if (size_t lost = refused_v2_.size() + refused_v1_.size())
        log_message(config_, LogLevel::warning, "cgroups",
                    fmt::format("{} cgroups chosen by the container filters do not fit the kernel's set", lost));
}

std::vector<uint64_t> ProbeManager::add_cgroup_ids(const std::vector<uint64_t>& ids, bool v1)
{
    if (!skel_)
        return ids;
    std::vector<uint64_t> refused;
    bpf_map* map = v1 ? skel_->maps.tt_cgroups_v1 : skel_->maps.tt_cgroups_v2;
    for (uint64_t id : ids) {
        __u8 one = 1;
        if (bpf_map__update_elem(map, &id, sizeof(id), &one, sizeof(one), BPF_ANY) != 0)
            refused.push_back(id);
    }
    return refused;
}

void ProbeManager::remove_cgroup_ids(const std::vector<uint64_t>& ids, bool v1)
{
    if (!skel_)
        return;
    bpf_map* map = v1 ? skel_->maps.tt_cgroups_v1 : skel_->maps.tt_cgroups_v2;
    for (uint64_t id : ids)
        bpf_map__delete_elem(map, &id, sizeof(id), 0);
}

void ProbeManager::attach()
{
    bpf_object* obj = skel_->obj;
    auto t2 = std::chrono::steady_clock::now();
    // The dispatcher is attached once, whichever areas it serves.
    std::map<std::string, std::string> error_of;  // program -> why it did not attach ("" when it did)
    std::map<std::string, size_t> link_of;        // program -> its link in links_
    for (HookStatus& st : status_) {
        if (st.state != HookState::attached)
            continue;
        auto done = error_of.find(st.program);
        if (done == error_of.end()) {
            bpf_program* prog = bpf_object__find_program_by_name(obj, st.program.c_str());
            if (side_skel_ && !bpf_program__autoload(prog))  // loaded by the other copy (load_split)
                prog = bpf_object__find_program_by_name(side_skel_->obj, st.program.c_str());
            // tt_btf programs are TRACING by now (see register_tt_btf): no auto-attach.
            bpf_link* link = bpf_program__type(prog) == BPF_PROG_TYPE_TRACING ? bpf_program__attach_trace(prog)
                                                                              : bpf_program__attach(prog);
            std::string error;
            if (!link || libbpf_get_error(link)) {
                error = errno_text(errno);
            } else {
                link_of[st.program] = links_.size();
                links_.emplace_back(link);
            }
            done = error_of.emplace(st.program, error).first;
        }
        if (!done->second.empty()) {
            st.state = HookState::failed;
            st.reason = fmt::format("cannot attach {} {}: {}", st.how, st.hook, done->second);
        }
    }
    // The dispatcher's entry without its exit would only fill the pending
    // maps: both go, and every area's syscalls are reported failed.
    std::string exit_error;
    for (const HookStatus& st : status_)
        if (st.hook == "raw_syscalls:sys_exit" && st.state == HookState::failed)
            exit_error = st.reason;
    if (!exit_error.empty()) {
        for (HookStatus& st : status_) {
            if (st.hook != "raw_syscalls:sys_enter" || st.state != HookState::attached)
                continue;
            if (auto it = link_of.find(st.program); it != link_of.end())
                links_[it->second].reset();
            st.state = HookState::failed;
            st.reason = "its exit could not be attached: " + exit_error;
        }
    }
    timing_.attach_ms = ms_since(t2);

    // --children that cannot follow would show too little, silently.
    for (const HookStatus& st : status_)
        if (st.area == "children" && st.state != HookState::attached)
            throw Error(ExitCode::kernel, fmt::format("--children: cannot follow forks: {} {}: {}", st.hook,
                                                      hook_state_name(st.state), st.reason));

    // An area none of whose hooks attached is left out; one that needed
    // none (-e mem.pressure: read in user space) runs.
    std::vector<std::unique_ptr<AreaProbes>> running;
    for (auto& probes : areas_) {
        bool any = false, all_off = true;
        for (const HookStatus& st : status_) {
            if (st.area != area_name(probes->area()))
                continue;
            any |= st.state == HookState::attached;
            all_off &= st.state == HookState::disabled;
        }
        if (any || all_off)
            running.push_back(std::move(probes));
        else
            failed_.push_back(HookStatus{area_name(probes->area()), "*", "", "", HookState::failed,
                                         fmt::format("no {} hook could be attached", area_name(probes->area()))});
    }
    areas_ = std::move(running);
    status_.insert(status_.end(), failed_.begin(), failed_.end());
    if (areas_.empty())
        throw Error(ExitCode::kernel, "no area could start: " + failed_.front().reason);
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
