// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Which container and which Kubernetes pod a cgroup belongs to, from its
// path alone (parse_cgroup_path), and the pod's and the container's names
// from kubelet's directories on the host (KubeletDirs), without the API
// server or the container runtime's socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "host_needs.h"

namespace tapio {

enum class ContainerRuntime : uint8_t { none, docker, containerd, crio, podman, nspawn, lxc };
// "docker", "containerd", "cri-o", "podman", "systemd-nspawn", "lxc"; "" for none.
std::string_view runtime_name(ContainerRuntime);

enum class QosClass : uint8_t { none, guaranteed, burstable, besteffort };
// "Guaranteed", "Burstable", "BestEffort" (Kubernetes' spelling); "" for none.
std::string_view qos_name(QosClass);

// Views into the path given to parse_cgroup_path (no allocation).
struct CgroupIdentity {
    // The full id as the runtime names it (64 hex for docker, containerd,
    // cri-o and podman; the machine's or container's name for nspawn and
    // lxc); empty when not in a container. For nspawn it is as the unit
    // name has it, with systemd's escaping ("foo\x2dbar"): use
    // container_id_canonical() for the name itself.
    std::string_view container_id;
    // none also for a container whose id is known but not its runtime
    // (a bare 64-hex directory in a cgroupfs-driver pod: containerd or
    // dockershim).
    ContainerRuntime runtime = ContainerRuntime::none;
    // As written in the path (the systemd driver has '_' for '-'); empty
    // outside a pod. pod_uid_canonical() gives the real uid.
    std::string_view pod_uid_raw;
    QosClass qos = QosClass::none;
};

// The container and pod of the cgroup at path, relative to the hierarchy's
// root ("/kubepods.slice/...", as /proc/<pid>/cgroup shows it; v1 and v2
// alike). The innermost container wins; the pod is the pod cgroup above
// it. A cgroup of a container's monitor (conmon, lxc.monitor, nspawn's
// supervisor) is not the container. Only known layouts are recognised: a
// 64-hex directory elsewhere is not taken for a container. No allocation,
// no I/O.
CgroupIdentity parse_cgroup_path(std::string_view path);

// The pod uid with '_' turned back into '-'.
std::string pod_uid_canonical(std::string_view raw);
// The container id with the path's escaping undone: systemd's unit-name
// escaping ("\x2d" -> '-') for nspawn machines; the id itself otherwise.
std::string container_id_canonical(const CgroupIdentity&);
// systemd's unit-name escaping undone: each "\xNN" becomes the byte NN.
std::string unit_name_unescape(std::string_view);

struct PodNames {
    std::string pod_namespace, pod_name;
    bool operator==(const PodNames&) const = default;
};

// KubeletDirs' limits (outside the class: GCC does not take a nested
// class's member initializers in a default argument of the enclosing one).
struct KubeletDirsLimits {
    size_t max_pods = 4096;
    size_t max_containers = 16384;
    uint64_t rescan_ns = 1'000'000'000;  // a miss rereads a directory at most this often
};

// Pod and container names from kubelet's directories. Directory listings
// are cached; a miss re-reads the directory, but at most once a second per
// directory, so a flood of unknown ids costs no more than that. Missing
// directories are not errors (most hosts have no kubelet). Not thread-safe.
class KubeletDirs {
public:
    using Limits = KubeletDirsLimits;
    // CLOCK_MONOTONIC in nanoseconds, the default clock.
    static uint64_t monotonic_ns();

    KubeletDirs(std::string pod_logs = std::string(host_needs::pod_logs),
                std::string container_logs = std::string(host_needs::container_logs),
                std::string kubelet_root = std::string(host_needs::kubelet_root), Limits limits = {},
                std::function<uint64_t()> now_ns = monotonic_ns);

    // Namespace and name of the pod with this uid (canonical, with '-'),
    // from <pod_logs>/<namespace>_<name>_<uid>/; else only the namespace,
    // from the service account volume,
    // <kubelet_root>/pods/<uid>/volumes/kubernetes.io~projected/*/namespace
    // (pod_name empty). nullopt when unknown.
    std::optional<PodNames> pod(std::string_view uid);
    // The container's name for a full container id (the runtime's 64 hex),
    // from kubelet's links <container_logs>/<pod>_<namespace>_<container>-<id>.log.
    // Empty when unknown.
    std::string container_name(std::string_view container_id);

    // Entries held, for the tests.
    size_t cached_pods() const { return pods_.size() + namespaces_.size(); }
    size_t cached_containers() const { return containers_.size(); }

private:
    struct Scan {
        bool done = false;
        uint64_t at = 0;
    };
    bool may_rescan(Scan&);
    void scan_pod_logs(std::string_view wanted);
    void scan_container_logs(std::string_view wanted);
    void scan_kubelet_pods(std::string_view wanted);
    std::optional<std::string> read_projected_namespace(const std::string& uid) const;

    std::string pod_logs_, container_logs_, kubelet_root_;
    Limits limits_;
    std::function<uint64_t()> now_ns_;

    Scan pod_logs_scan_, container_logs_scan_, kubelet_pods_scan_;
    std::unordered_map<std::string, PodNames> pods_;           // uid -> names, from pod_logs
    std::unordered_map<std::string, std::string> containers_;  // id -> container name
    // uids under <kubelet_root>/pods whose volume was not read since that
    // directory's last listing
    std::unordered_set<std::string> kubelet_pods_;
    std::unordered_map<std::string, std::string> namespaces_;  // uid -> namespace, from the volume
};

}  // namespace tapio
