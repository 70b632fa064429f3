// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "host_features.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace tapio {

SystemFeatures::~SystemFeatures()
{
    if (btf_)
        btf__free(btf_);
}

struct btf* SystemFeatures::vmlinux_btf()
{
    if (!btf_loaded_) {
        btf_loaded_ = true;
        btf_ = btf__load_vmlinux_btf();
        if (!btf_ || libbpf_get_error(btf_))
            btf_ = nullptr;
    }
    return btf_;
}

bool SystemFeatures::has_vmlinux_btf()
{
    return access("/sys/kernel/btf/vmlinux", R_OK) == 0;
}

bool SystemFeatures::btf_has_type(std::string_view name)
{
    struct btf* b = vmlinux_btf();
    if (!b)
        return false;
    std::string n(name);
    return btf__find_by_name(b, n.c_str()) >= 0;
}

static bool is_dir(const std::string& path)
{
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

namespace {

// libbpf looks in these two places, debugfs first.
constexpr const char* tracefs_dirs[] = {"/sys/kernel/debug/tracing", "/sys/kernel/tracing"};
constexpr const char* tracefs_mount_point = "/sys/kernel/tracing";

std::string find_tracefs()
{
    for (const char* dir : tracefs_dirs)
        if (is_dir(std::string(dir) + "/events"))
            return dir;
    return {};
}

}  // namespace

// Where tracefs is mounted, readable or not, from the mount table.
std::string tracefs_mounted_at()
{
    for (const MountEntry& m : read_mounts())
        if (m.fstype == "tracefs")
            return m.point;
    return {};
}

std::vector<MountEntry> read_mounts()
{
    std::vector<MountEntry> out;
    std::ifstream mountinfo("/proc/self/mountinfo");
    std::string line;
    while (std::getline(mountinfo, line)) {
        // "id parent major:minor root mount_point options [optional...] - fstype source super_options"
        size_t dash = line.find(" - ");
        if (dash == std::string::npos)
            continue;
        std::istringstream pre(line.substr(0, dash)), post(line.substr(dash + 3));
        std::string id, parent, devno, source;
        MountEntry m;
        pre >> id >> parent >> devno >> m.root >> m.point;
        post >> m.fstype >> source >> m.super_options;
        out.push_back(std::move(m));
    }
    return out;
}

TracefsStatus mount_tracefs()
{
    TracefsStatus status;
    status.dir = find_tracefs();
    if (!status.dir.empty())
        return status;
    // Mounted, but not for us (mode 0700, owned by root): mounting again
    // would not help (EBUSY), and must not cover the host's.
    if (std::string at = tracefs_mounted_at(); !at.empty()) {
        status.problem = fmt::format(
            "tracefs is mounted on {} but this process cannot read it (it is root's, mode "
            "0700): run as root, or with CAP_DAC_READ_SEARCH",
            at);
        return status;
    }
    if (mount("nodev", tracefs_mount_point, "tracefs", 0, nullptr) == 0 &&
        is_dir(std::string(tracefs_mount_point) + "/events")) {
        status.dir = tracefs_mount_point;
        status.mounted = true;
    } else {
        status.problem = fmt::format("tracefs is not mounted and mounting it on {} failed: {}", tracefs_mount_point,
                                     strerror(errno));
    }
    return status;
}

void unmount_tracefs(TracefsStatus& status)
{
    if (!status.mounted || status.unmounted)
        return;
    // Lazily: a reader still inside (a shell's cwd) does not keep it.
    if (umount2(status.dir.c_str(), MNT_DETACH) == 0)
        status.unmounted = true;
    else
        status.problem = fmt::format("could not unmount the tracefs it mounted on {}: {}", status.dir, strerror(errno));
}

const std::string& SystemFeatures::tracefs_dir()
{
    if (tracefs_dir_.empty())
        tracefs_dir_ = find_tracefs();
    return tracefs_dir_;
}

std::optional<std::string> SystemFeatures::tracefs_problem()
{
    if (tracefs_dir().empty())
        return fmt::format("tracefs is not mounted (on {} or {})", tracefs_dirs[1], tracefs_dirs[0]);
    return std::nullopt;
}

bool SystemFeatures::tracepoint_exists(std::string_view category, std::string_view name)
{
    const std::string& dir = tracefs_dir();
    if (dir.empty())
        return false;
    return is_dir(fmt::format("{}/events/{}/{}", dir, category, name));
}

bool SystemFeatures::prog_type_supported(bpf_prog_type type)
{
    auto it = prog_types_.find(type);
    if (it != prog_types_.end())
        return it->second;
    bool ok = libbpf_probe_bpf_prog_type(type, nullptr) == 1;
    prog_types_[type] = ok;
    return ok;
}

bool SystemFeatures::tracing_loadable(bpf_attach_type type, std::string_view btf_name)
{
    std::string key = fmt::format("{}:{}", static_cast<int>(type), btf_name);
    auto it = tracing_trials_.find(key);
    if (it != tracing_trials_.end())
        return it->second;
    bool ok = false;
    if (struct btf* b = vmlinux_btf()) {
        int id = btf__find_by_name(b, std::string(btf_name).c_str());
        if (id > 0) {
            // r0 = 0; exit
            const struct bpf_insn insns[] = {
                {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
                {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
            };
            LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = type,
                        .attach_btf_id = static_cast<__u32>(id));
            int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "tt_probe", "GPL", insns, 2, &opts);
            if (fd >= 0) {
                ok = true;
                close(fd);
            }
        }
    }
    tracing_trials_[key] = ok;
    return ok;
}

const char* hook_kind_name(HookKind kind)
{
    switch (kind) {
        case HookKind::tracepoint: return "tracepoint";
        case HookKind::raw_tracepoint: return "raw_tracepoint";
        case HookKind::btf_tracepoint: return "tp_btf";
        case HookKind::fentry: return "fentry";
        case HookKind::fexit: return "fexit";
        case HookKind::other: return "other";
    }
    return "other";
}

HookTarget parse_section(std::string_view section)
{
    HookTarget t;
    auto after = [&](std::string_view prefix) -> std::optional<std::string_view> {
        if (section.substr(0, prefix.size()) == prefix)
            return section.substr(prefix.size());
        return std::nullopt;
    };
    if (auto rest = after("tracepoint/"); rest || (rest = after("tp/"))) {
        size_t slash = rest->find('/');
        t.kind = HookKind::tracepoint;
        if (slash != std::string_view::npos) {
            t.category = std::string(rest->substr(0, slash));
            t.name = std::string(rest->substr(slash + 1));
        }
    } else if (auto rest = after("tp_btf/"); rest || (rest = after("tt_btf/"))) {
        t.kind = HookKind::btf_tracepoint;
        t.name = std::string(*rest);
    } else if (auto rest = after("raw_tp/"); rest || (rest = after("raw_tracepoint/"))) {
        t.kind = HookKind::raw_tracepoint;
        t.name = std::string(*rest);
    } else if (auto rest = after("fentry/")) {
        t.kind = HookKind::fentry;
        t.name = std::string(*rest);
    } else if (auto rest = after("fexit/")) {
        t.kind = HookKind::fexit;
        t.name = std::string(*rest);
    }
    return t;
}

std::optional<std::string> target_unavailable(const HookTarget& t, HostFeatures& f, Check check)
{
    if (f.masked(t.kind))
        return fmt::format("{} taken away by TAPIO_FAKE_HOST", hook_kind_name(t.kind));
    switch (t.kind) {
        case HookKind::tracepoint:
            if (auto problem = f.tracefs_problem())
                return problem;
            if (!f.tracepoint_exists(t.category, t.name))
                return fmt::format("tracepoint {}:{} not found in tracefs", t.category, t.name);
            return std::nullopt;
        case HookKind::btf_tracepoint:
            if (!f.has_vmlinux_btf())
                return std::string("kernel has no BTF (/sys/kernel/btf/vmlinux)");
            // Whether the kernel takes it is left to the load, which is
            // retried without tp_btf programs when it fails.
            if (check == Check::quick)
                return std::nullopt;
            if (!f.btf_has_type("btf_trace_" + t.name))
                return fmt::format("raw tracepoint {} not in kernel BTF", t.name);
            if (!f.tracing_loadable(BPF_TRACE_RAW_TP, "btf_trace_" + t.name))
                return std::string("the kernel refuses to load BTF-typed tracepoint programs");
            return std::nullopt;
        case HookKind::raw_tracepoint:
            // A missing raw tracepoint only fails at attach, which degrades that
            // one hook; looking it up in BTF first would cost start-up a full
            // parse of the kernel's BTF.
            if (!f.prog_type_supported(BPF_PROG_TYPE_RAW_TRACEPOINT))
                return std::string("raw tracepoint programs are not supported by this kernel");
            return std::nullopt;
        case HookKind::fentry:
        case HookKind::fexit:
            if (!f.has_vmlinux_btf())
                return std::string("kernel has no BTF (/sys/kernel/btf/vmlinux)");
            if (!f.btf_has_type(t.name))
                return fmt::format("kernel function {} not in BTF", t.name);
            if (!f.tracing_loadable(t.kind == HookKind::fentry ? BPF_TRACE_FENTRY : BPF_TRACE_FEXIT, t.name))
                return std::string("the kernel refuses to load fentry/fexit programs");
            return std::nullopt;
        case HookKind::other: return std::nullopt;
    }
    return std::nullopt;
}

namespace {

class MaskedFeatures final : public HostFeatures {
public:
    MaskedFeatures(std::unique_ptr<HostFeatures> real, bool no_btf_tp, bool no_raw_tp)
        : real_(std::move(real)), no_btf_tp_(no_btf_tp), no_raw_tp_(no_raw_tp)
    {
    }
    bool has_vmlinux_btf() override { return real_->has_vmlinux_btf(); }
    bool btf_has_type(std::string_view name) override { return real_->btf_has_type(name); }
    bool tracepoint_exists(std::string_view c, std::string_view n) override { return real_->tracepoint_exists(c, n); }
    std::optional<std::string> tracefs_problem() override { return real_->tracefs_problem(); }
    bool prog_type_supported(bpf_prog_type type) override
    {
        if ((type == BPF_PROG_TYPE_TRACING && no_btf_tp_) || (type == BPF_PROG_TYPE_RAW_TRACEPOINT && no_raw_tp_))
            return false;
        return real_->prog_type_supported(type);
    }
    bool masked(HookKind kind) override
    {
        return (kind == HookKind::btf_tracepoint && no_btf_tp_) || (kind == HookKind::raw_tracepoint && no_raw_tp_);
    }
    bool tracing_loadable(bpf_attach_type type, std::string_view btf_name) override
    {
        if (type == BPF_TRACE_RAW_TP && no_btf_tp_)
            return false;
        return real_->tracing_loadable(type, btf_name);
    }

private:
    std::unique_ptr<HostFeatures> real_;
    bool no_btf_tp_, no_raw_tp_;
};

}  // namespace

std::unique_ptr<HostFeatures> masked_from_env(std::unique_ptr<HostFeatures> real)
{
    const char* spec = getenv("TAPIO_FAKE_HOST");
    if (!spec || !*spec)
        return real;
    std::string_view s(spec);
    bool no_btf_tp = s.find("no-tp_btf") != std::string_view::npos;
    bool no_raw_tp = s.find("no-raw_tp") != std::string_view::npos;
    return std::make_unique<MaskedFeatures>(std::move(real), no_btf_tp, no_raw_tp);
}

}  // namespace tapio
