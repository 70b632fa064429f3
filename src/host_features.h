// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// What the running kernel offers, probed lazily and cached. Hook selection
// asks this interface, so a test can hand it a fake kernel.
#pragma once

#include "tapio/health.h"

#include <linux/bpf.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

struct btf;

namespace tapio {

enum class HookKind;

class HostFeatures {
public:
    virtual ~HostFeatures() = default;
    virtual bool has_vmlinux_btf() = 0;
    // A type in the kernel's BTF, e.g. "btf_trace_sched_process_fork".
    virtual bool btf_has_type(std::string_view name) = 0;
    // events/<category>/<name> under tracefs. Queries only look: mounting
    // tracefs is mount_tracefs(), a step of its own.
    virtual bool tracepoint_exists(std::string_view category, std::string_view name) = 0;
    // Why plain tracepoints cannot be used at all (tracefs not mounted), or nullopt.
    virtual std::optional<std::string> tracefs_problem() = 0;
    virtual bool prog_type_supported(bpf_prog_type type) = 0;
    // Whether a trivial BPF_PROG_TYPE_TRACING program of this attach type
    // (BPF_TRACE_RAW_TP for tp_btf, BPF_TRACE_FENTRY/FEXIT) loads against the
    // named BTF type: some hardened kernels refuse fentry with EPERM.
    virtual bool tracing_loadable(bpf_attach_type type, std::string_view btf_name) = 0;
    // A hook kind a test has taken away (see masked_from_env).
    virtual bool masked(HookKind) { return false; }
};

// The real host.
class SystemFeatures final : public HostFeatures {
public:
    SystemFeatures() = default;
    ~SystemFeatures() override;
    SystemFeatures(const SystemFeatures&) = delete;
    SystemFeatures& operator=(const SystemFeatures&) = delete;

    bool has_vmlinux_btf() override;
    bool btf_has_type(std::string_view name) override;
    bool tracepoint_exists(std::string_view category, std::string_view name) override;
    std::optional<std::string> tracefs_problem() override;
    bool prog_type_supported(bpf_prog_type type) override;
    bool tracing_loadable(bpf_attach_type type, std::string_view btf_name) override;

private:
    struct btf* vmlinux_btf();
    // Where event formats live ("/sys/kernel/tracing"); empty while tracefs
    // is not mounted. A found directory is kept; a missing one is looked for
    // again, since mount_tracefs() may come after the first query.
    const std::string& tracefs_dir();

    bool btf_loaded_ = false;
    struct btf* btf_ = nullptr;
    std::string tracefs_dir_;
    std::map<int, bool> prog_types_;
    std::map<std::string, bool> tracing_trials_;
};

// Finds tracefs where libbpf looks for it, and mounts it on
// /sys/kernel/tracing when nothing is mounted (many hosts do not mount it at
// boot; plain tracepoints need it to find their ids). The one step with a side
// effect: the collector and doctor call it once, before any query.
// One line of /proc/self/mountinfo (readable by anyone, unlike the mount
// points themselves).
struct MountEntry {
    std::string root;           // the mounted directory within its file system ("/" for all of it)
    std::string point;          // where it is mounted
    std::string fstype;         // "tracefs", "cgroup2"
    std::string super_options;  // "rw,memory" for a v1 memory hierarchy
};
std::vector<MountEntry> read_mounts();

TracefsStatus mount_tracefs();
// Removes the tracefs mount_tracefs() made (status.mounted), once nothing
// needs it: every hook attached. A mount it did not make is never touched.
void unmount_tracefs(TracefsStatus& status);

// The kinds of attachment tapio-trace uses, from a program's section name.
enum class HookKind { tracepoint, raw_tracepoint, btf_tracepoint, fentry, fexit, other };
const char* hook_kind_name(HookKind kind);

struct HookTarget {
    HookKind kind = HookKind::other;
    std::string category;  // "sched" for tracepoints; empty otherwise
    std::string name;      // "sched_process_fork", or the function for fentry
};

HookTarget parse_section(std::string_view section);

// How hard to look. quick skips what needs the kernel's BTF parsed in user
// space (a tp_btf target's type, a trial load): the ProbeManager uses it and
// lets a refused load tell it, so a run parses the BTF once, in libbpf.
enum class Check { full, quick };

// Why this target cannot be used on this host, or nullopt when it can.
std::optional<std::string> target_unavailable(const HookTarget& target, HostFeatures& features,
                                              Check check = Check::full);

// The real host with some hook kinds taken away, from TAPIO_FAKE_HOST
// ("no-tp_btf", "no-raw_tp", comma-separated): how tests force a fallback on
// a kernel that has everything. Returns real itself when the variable is unset.
std::unique_ptr<HostFeatures> masked_from_env(std::unique_ptr<HostFeatures> real);

}  // namespace tapio
