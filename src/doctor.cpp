// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "doctor.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "collector_core.h"
#include "host_features.h"
#include "log.h"
#include "mem_pressure.h"

namespace tapio {

namespace {

constexpr long tmpfs_magic = 0x01021994;
constexpr long cgroup_v1_magic = 0x27e0eb;
constexpr long cgroup_v2_magic = 0x63677270;

constexpr const char* not_checked = "not checked without privileges (needs CAP_BPF and CAP_PERFMON, or root)";

// The whole of a small file, or nullopt with errno set.
std::optional<std::string> read_small_file(const char* path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        text.append(buf, static_cast<size_t>(n));
    int saved = errno;
    close(fd);
    if (n < 0) {
        errno = saved;
        return std::nullopt;
    }
    return text;
}

long fs_magic(const char* path)
{
    struct statfs st {};
    if (statfs(path, &st) != 0)
        return 0;
    return static_cast<long>(st.f_type);
}

// Mount points of a file system type.
std::vector<std::string> mount_points(std::string_view fstype)
{
    std::vector<std::string> points;
    for (const MountEntry& m : read_mounts())
        if (m.fstype == fstype)
            points.push_back(m.point);
    return points;
}

HostCheck check_btf()
{
    HostCheck c;
    c.affects = "every area: CO-RE relocations and BTF tracepoints need it";
    if (access("/sys/kernel/btf/vmlinux", R_OK) == 0) {
        c.status = CheckStatus::ok;
        c.value = "/sys/kernel/btf/vmlinux";
    } else if (errno == ENOENT) {
        c.status = CheckStatus::missing;
        c.value = "absent";
        c.detail = "/sys/kernel/btf/vmlinux is missing: needs a kernel with CONFIG_DEBUG_INFO_BTF=y";
    } else {
        c.detail = fmt::format("/sys/kernel/btf/vmlinux: {}", strerror(errno));
    }
    return c;
}

HostCheck check_privileges()
{
    HostCheck c;
    c.affects = "everything: loading and attaching BPF programs";
    if (auto missing = missing_privileges()) {
        c.status = CheckStatus::missing;
        c.value = "insufficient";
        c.detail = *missing;
    } else {
        c.status = CheckStatus::ok;
        c.value = geteuid() == 0 ? "root" : "CAP_BPF, CAP_PERFMON";
    }
    return c;
}

HostCheck check_ring_buffer(bool privileged)
{
    HostCheck c;
    c.affects = "every area: records reach user space through it (Linux 5.8 or later)";
    if (!privileged) {
        c.detail = not_checked;
        return c;
    }
    int r = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr);
    if (r == 1) {
        c.status = CheckStatus::ok;
        c.value = "available";
    } else if (r == 0) {
        c.status = CheckStatus::missing;
        c.value = "absent";
        c.detail = "the kernel has no BPF ring buffer (needs Linux 5.8 or later)";
    } else {
        c.detail = fmt::format("probing it failed: {}", strerror(-r));
    }
    return c;
}

HostCheck check_tracefs(bool privileged)
{
    HostCheck c;
    c.affects = "plain tracepoints (the fallback without raw or BTF tracepoints) find their ids there";
    if (privileged) {
        TracefsStatus t = mount_tracefs();
        if (t.problem.empty()) {
            c.status = CheckStatus::ok;
            c.value = t.dir;
            if (t.mounted)
                c.detail = fmt::format("was not mounted; tapio-trace mounted it on {}", t.dir);
        } else {
            c.status = CheckStatus::missing;
            // Mounted but root's (mode 0700), or not mounted at all.
            c.value = t.problem.rfind("tracefs is mounted on", 0) == 0 ? "unreadable" : "not mounted";
            c.detail = t.problem;
        }
        return c;
    }
    std::vector<std::string> points = mount_points("tracefs");
    if (points.empty()) {
        c.value = "not mounted";
        c.detail = "not mounted; tapio-trace mounts it on /sys/kernel/tracing when run with privileges";
        return c;
    }
    c.value = points.front();
    if (access((points.front() + "/events").c_str(), R_OK | X_OK) == 0) {
        c.status = CheckStatus::ok;
    } else {
        c.detail = fmt::format(
            "mounted, but not readable by this user ({}); tracepoints are checked only with "
            "privileges",
            strerror(errno));
    }
    return c;
}

HostCheck check_fentry(bool privileged, HostFeatures& features)
{
    HostCheck c;
    c.affects = "nothing by default: tapio-trace attaches to tracepoints; fentry-based tools need it";
    if (!privileged) {
        c.detail = not_checked;
        return c;
    }
    c.status = CheckStatus::ok;
    if (features.tracing_loadable(BPF_TRACE_FENTRY, "do_unlinkat")) {
        c.value = "loads";
    } else {
        c.value = "refused";
        c.detail = "the kernel refuses fentry programs (not needed)";
    }
    return c;
}

HostCheck check_psi()
{
    HostCheck c;
    c.affects = "mem.pressure records (mem, with and without --cgroup)";
    const char* path = "/proc/pressure/memory";
    auto text = read_small_file(path);
    if (text && parse_psi(*text)) {
        c.status = CheckStatus::ok;
        c.value = path;
        return c;
    }
    int err = text ? 0 : errno;
    auto cmdline = read_small_file("/proc/cmdline");
    if (err == EACCES || err == EPERM) {
        c.detail = fmt::format("{}: {}", path, strerror(err));
    } else if (cmdline && cmdline_disables_psi(*cmdline)) {
        c.status = CheckStatus::missing;
        c.value = "off";
        c.detail = "psi=0 on the kernel command line turns it off";
    } else if (err == ENOENT || err == EOPNOTSUPP) {
        c.status = CheckStatus::missing;
        c.value = err == ENOENT ? "absent" : "off";
        c.detail =
            "kernel without CONFIG_PSI, or off by default (CONFIG_PSI_DEFAULT_DISABLED; psi=1 on the "
            "command line turns it on)";
    } else if (text) {
        c.detail = fmt::format("{} does not read as a pressure file", path);
    } else {
        c.detail = fmt::format("{}: {}", path, strerror(err));
    }
    return c;
}

// Where the memory controller is: "v2", "v1", or "" when nowhere.
std::string memory_controller(const std::string& self_cgroup)
{
    std::istringstream in(self_cgroup);
    for (std::string line; std::getline(in, line);) {
        size_t a = line.find(':'), b = line.find(':', a + 1);
        if (a == std::string::npos || b == std::string::npos)
            continue;
        std::string controllers = "," + line.substr(a + 1, b - a - 1) + ",";
        if (controllers.find(",memory,") != std::string::npos)
            return "v1";
    }
    for (const std::string& point : mount_points("cgroup2")) {
        auto list = read_small_file((point + "/cgroup.controllers").c_str());
        if (list && (" " + *list + " ").find(" memory") != std::string::npos)
            return "v2";
    }
    return {};
}

HostCheck check_cgroup()
{
    HostCheck c;
    c.affects =
        "--cgroup (a cgroup v2 directory), memcg_path of mem.oom_kill and mem.reclaim (the memory "
        "controller's hierarchy), cgroup pressure (memory.pressure of cgroup v2)";
    auto self = read_small_file("/proc/self/cgroup");
    bool v2_line = false, v1_lines = false;
    if (self) {
        std::istringstream in(*self);
        for (std::string line; std::getline(in, line);) {
            if (line.rfind("0::", 0) == 0)
                v2_line = true;
            else if (!line.empty())
                v1_lines = true;
        }
    }
    std::string mode = cgroup_mode(fs_magic("/sys/fs/cgroup"), fs_magic("/sys/fs/cgroup/unified") == cgroup_v2_magic,
                                   v2_line, v1_lines);
    if (mode.empty()) {
        c.detail = "/sys/fs/cgroup is neither cgroup2 nor cgroup v1 controllers, and /proc/self/cgroup does not tell";
        return c;
    }
    c.value = mode;
    std::string memory = memory_controller(self ? *self : std::string());
    std::string where = memory.empty() ? "no memory controller mounted: memcg_path is null"
                                       : fmt::format("memory controller on {}", memory);
    if (mode == "v2") {
        c.status = CheckStatus::ok;
        c.detail = where;
    } else if (!memory.empty()) {
        // Containers sit in the v1 controllers' hierarchies here: records
        // carry the memory hierarchy's cgroup id too, and --cgroup takes a
        // v1 controller's directory.
        c.status = CheckStatus::ok;
        c.detail = fmt::format("{}; containers are found through it, and --cgroup takes its directories", where);
    } else {
        c.status = CheckStatus::limited;
        c.detail = fmt::format("{}; --cgroup matches cgroup v2 directories and v1 controllers' only{}", where,
                               mode == "hybrid" ? " (most tasks sit in the v2 root)" : " (none here)");
    }
    return c;
}

HostCheck check_lockdown()
{
    HostCheck c;
    c.affects =
        "BPF reads of kernel memory (bpf_probe_read_kernel), which confidentiality refuses: programs that "
        "read kernel structures then do not load";
    const char* path = "/sys/kernel/security/lockdown";
    auto text = read_small_file(path);
    if (text) {
        std::string mode = parse_lockdown(*text);
        if (mode.empty()) {
            c.detail = fmt::format("{} names no mode", path);
            return c;
        }
        c.value = mode;
        c.status = mode == "confidentiality" ? CheckStatus::limited : CheckStatus::ok;
        if (mode == "confidentiality")
            c.detail = "the kernel refuses bpf_probe_read_kernel: areas that read kernel memory cannot load";
        return c;
    }
    int err = errno;
    if (err == ENOENT && !mount_points("securityfs").empty()) {
        c.status = CheckStatus::ok;
        c.value = "none";
        c.detail = "no lockdown LSM in this kernel";
    } else if (err == ENOENT) {
        c.detail =
            "securityfs is not mounted on /sys/kernel/security (mount -t securityfs securityfs "
            "/sys/kernel/security shows it)";
    } else {
        c.detail = fmt::format("{}: {}", path, strerror(err));
    }
    return c;
}

HostCheck check_unprivileged_bpf()
{
    HostCheck c;
    c.affects = "nothing for tapio-trace, which needs CAP_BPF and CAP_PERFMON (or root) whatever it says";
    const char* path = "/proc/sys/kernel/unprivileged_bpf_disabled";
    auto text = read_small_file(path);
    if (!text) {
        c.detail = fmt::format("{}: {}", path, strerror(errno));
        return c;
    }
    std::string value = text->substr(0, text->find_first_of("\n "));
    c.status = CheckStatus::ok;
    c.value = value;
    if (value == "0")
        c.detail = "users without CAP_BPF may load socket filters";
    else if (value == "1")
        c.detail = "BPF needs CAP_BPF, until reboot";
    else if (value == "2")
        c.detail = "BPF needs CAP_BPF; an administrator may change it";
    return c;
}

DoctorHost check_host(HostFeatures& features)
{
    DoctorHost host;
    utsname uts{};
    uname(&uts);
    host.kernel = uts.release;
    host.machine = uts.machine;
    host.privileges = check_privileges();
    host.privileged = host.privileges.status == CheckStatus::ok;
    host.btf = check_btf();
    host.ring_buffer = check_ring_buffer(host.privileged);
    host.tracefs = check_tracefs(host.privileged);
    host.fentry = check_fentry(host.privileged, features);
    host.psi = check_psi();
    host.cgroup = check_cgroup();
    host.lockdown = check_lockdown();
    host.unprivileged_bpf = check_unprivileged_bpf();
    return host;
}

DoctorArea check_area(Area area, const Config& base, HostFeatures& features)
{
    DoctorArea result;
    result.area = area;
    Config config = base;
    config.areas = {area};
    config.all_hooks = true;
    ProbeManager probes(config, features);
    try {
        probes.start();
        result.verdict = AreaVerdict::ok;
    } catch (const Error& e) {
        result.verdict = AreaVerdict::cannot_run;
        result.error = e.what();
    }
    for (const HookStatus& h : probes.hooks())
        result.hooks.push_back({h, h.state == HookState::attached ? "" : hook_consequence(h.area, h.hook)});
    return result;
}

struct Consequence {
    std::string_view area, hook, what;
};

// What each hook feeds, for the areas' hooks in src/<area>_probes.cpp.
constexpr Consequence consequences[] = {
    {"proc", "sched:sched_process_exec", "no proc.exec records"},
    {"proc", "sched:sched_process_fork", "no proc.fork records"},
    {"proc", "sched:sched_process_exit", "no proc.exit records"},
    {"net", "sock:inet_sock_set_state", "no net.connect, net.accept, net.close or net.state records"},
    {"net", "tcp:tcp_retransmit_skb", "no net.retransmit records"},
    {"net", "tcp:tcp_send_reset", "no net.reset records of resets sent"},
    {"net", "tcp:tcp_receive_reset", "no net.reset records of resets received"},
    {"net", "tcp:tcp_destroy_sock", "a net.close waiting for its reset is never written"},
    {"net", "skb:kfree_skb", "no net.drop records (--drops)"},
    {"file", "sched:sched_process_exit", "calls of threads that die mid-call stay in the pending map"},
    {"mem", "oom:mark_victim", "no mem.oom_kill records"},
    {"mem", "vmscan:mm_vmscan_direct_reclaim_begin", "no mem.reclaim records of direct reclaim"},
    {"mem", "vmscan:mm_vmscan_direct_reclaim_end", "no mem.reclaim records of direct reclaim"},
    {"mem", "vmscan:mm_vmscan_memcg_reclaim_begin", "no mem.reclaim records of memory cgroup reclaim"},
    {"mem", "vmscan:mm_vmscan_memcg_reclaim_end", "no mem.reclaim records of memory cgroup reclaim"},
    {"mem", "sched:sched_process_exit", "calls of threads that die mid-call stay in the pending map"},
};

}  // namespace

const char* check_status_name(CheckStatus status)
{
    switch (status) {
        case CheckStatus::ok: return "ok";
        case CheckStatus::limited: return "limited";
        case CheckStatus::missing: return "missing";
        case CheckStatus::unknown: return "unknown";
    }
    return "unknown";
}

const char* area_verdict_name(AreaVerdict verdict)
{
    switch (verdict) {
        case AreaVerdict::ok: return "ok";
        case AreaVerdict::degraded: return "degraded";
        case AreaVerdict::cannot_run: return "cannot_run";
        case AreaVerdict::unknown: return "unknown";
    }
    return "unknown";
}

std::vector<DoctorHost::Named> DoctorHost::checks() const
{
    return {
        {"privileges", "privileges", &privileges},
        {"btf", "BTF", &btf},
        {"ring_buffer", "ring buffer", &ring_buffer},
        {"tracefs", "tracefs", &tracefs},
        {"fentry", "fentry", &fentry},
        {"psi", "PSI", &psi},
        {"cgroup", "cgroup", &cgroup},
        {"lockdown", "lockdown", &lockdown},
        {"unprivileged_bpf", "unpriv. BPF", &unprivileged_bpf},
    };
}

std::string hook_consequence(std::string_view area, std::string_view hook)
{
    if (hook == "*")
        return fmt::format("{} cannot run", area);
    if (hook.rfind("raw_syscalls:", 0) == 0)
        return fmt::format("no {} records that come from syscalls", area);
    for (const Consequence& c : consequences)
        if (c.area == area && c.hook == hook)
            return std::string(c.what);
    return {};
}

size_t DoctorArea::attached() const
{
    size_t n = 0;
    for (const DoctorHook& h : hooks)
        n += h.status.state == HookState::attached;
    return n;
}

AreaVerdict DoctorReport::verdict() const
{
    if (!host.privileged)
        return AreaVerdict::unknown;
    if (areas.empty())
        return AreaVerdict::cannot_run;
    AreaVerdict v = AreaVerdict::ok;
    for (const DoctorArea& a : areas) {
        if (a.verdict == AreaVerdict::cannot_run || a.verdict == AreaVerdict::unknown)
            return a.verdict;
        if (a.verdict == AreaVerdict::degraded)
            v = AreaVerdict::degraded;
    }
    return v;
}

std::string DoctorReport::verdict_text() const
{
    switch (verdict()) {
        case AreaVerdict::ok: return "every area can run with every hook";
        case AreaVerdict::degraded: return "every area can run, some with less (see above)";
        case AreaVerdict::unknown:
            return host.privileged ? "not checked: BTF or the ring buffer could not be checked"
                                   : "not checked: needs root, or CAP_BPF and CAP_PERFMON";
        case AreaVerdict::cannot_run: break;
    }
    std::string names;
    for (const DoctorArea& a : areas)
        if (a.verdict == AreaVerdict::cannot_run)
            names += (names.empty() ? "" : ", ") + std::string(area_name(a.area));
    return names.empty() ? "no area can run" : fmt::format("{} cannot run", names);
}

void judge(DoctorReport& report)
{
    const DoctorHost& host = report.host;
    bool required_missing = host.btf.status == CheckStatus::missing || host.ring_buffer.status == CheckStatus::missing;
    for (DoctorArea& a : report.areas) {
        a.limits.clear();
        if (!host.privileged) {
            a.verdict = AreaVerdict::unknown;
            if (a.error.empty())
                a.error = not_checked;
            continue;
        }
        if (required_missing) {
            a.verdict = AreaVerdict::cannot_run;
            if (a.error.empty())
                a.error = host.btf.status == CheckStatus::missing ? "the kernel has no BTF"
                                                                  : "the kernel has no BPF ring buffer";
            continue;
        }
        if (a.area == Area::mem && host.psi.status == CheckStatus::missing)
            a.limits.push_back(fmt::format("mem.pressure: PSI {} -> no mem.pressure samples", host.psi.value));
        if (host.lockdown.status == CheckStatus::limited)
            a.limits.push_back(fmt::format("lockdown {}: BPF reads of kernel memory refused", host.lockdown.value));
        if (a.verdict == AreaVerdict::cannot_run || a.verdict == AreaVerdict::unknown)
            continue;
        bool all_attached = true;
        for (const DoctorHook& h : a.hooks)
            all_attached &= h.status.state == HookState::attached;
        a.verdict = all_attached && a.limits.empty() ? AreaVerdict::ok : AreaVerdict::degraded;
    }
    switch (report.verdict()) {
        case AreaVerdict::ok:
        case AreaVerdict::degraded: report.exit_code = ExitCode::ok; break;
        // Privileged, yet not checked: the kernel hid what every area needs.
        case AreaVerdict::unknown: report.exit_code = host.privileged ? ExitCode::kernel : ExitCode::privilege; break;
        case AreaVerdict::cannot_run: report.exit_code = ExitCode::kernel; break;
    }
}

DoctorReport diagnose(const Config& config)
{
    LibbpfLogRoute route(config.log);
    // The real host, less what TAPIO_FAKE_HOST takes away (as a trace would see it).
    std::unique_ptr<HostFeatures> owned = masked_from_env(std::make_unique<SystemFeatures>());
    HostFeatures& features = *owned;
    DoctorReport report;
    report.host = check_host(features);
    bool can_try = report.host.privileged && report.host.btf.status == CheckStatus::ok &&
                   report.host.ring_buffer.status == CheckStatus::ok;
    for (Area area : all_areas) {
        if (!area_built(area))
            continue;
        if (can_try) {
            report.areas.push_back(check_area(area, config, features));
        } else {
            DoctorArea a;
            a.area = area;
            if (report.host.privileged)
                a.error = "not checked: BTF or the ring buffer could not be checked";
            report.areas.push_back(a);
        }
    }
    judge(report);
    return report;
}

// ---- parsers ----

std::string parse_lockdown(std::string_view text)
{
    size_t open = text.find('['), close = text.find(']', open);
    if (open == std::string_view::npos || close == std::string_view::npos)
        return {};
    return std::string(text.substr(open + 1, close - open - 1));
}

bool cmdline_disables_psi(std::string_view cmdline)
{
    size_t pos = 0;
    while (pos < cmdline.size()) {
        size_t end = cmdline.find_first_of(" \n\t", pos);
        std::string_view word = cmdline.substr(pos, end == std::string_view::npos ? end : end - pos);
        if (word.rfind("psi=", 0) == 0) {
            std::string_view v = word.substr(4);
            // The kernel reads it with kstrtobool: 0, n, N, off, and so on.
            if (v == "0" || v == "off" || v == "Off" || v == "OFF" || (!v.empty() && (v[0] == 'n' || v[0] == 'N')))
                return true;
        }
        if (end == std::string_view::npos)
            break;
        pos = end + 1;
    }
    return false;
}

std::string cgroup_mode(long root_magic, bool unified_is_cgroup2, bool has_v2_line, bool has_v1_lines)
{
    if (root_magic == cgroup_v2_magic)
        return "v2";
    if (root_magic == tmpfs_magic || root_magic == cgroup_v1_magic) {
        if (unified_is_cgroup2 || has_v2_line)
            return has_v1_lines ? "hybrid" : "v2";
        return "v1";
    }
    if (has_v2_line && has_v1_lines)
        return "hybrid";
    if (has_v2_line)
        return "v2";
    if (has_v1_lines)
        return "v1";
    return {};
}

}  // namespace tapio
