// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "workload.h"

#include <dirent.h>
#include <time.h>

#include <cstring>
#include <fstream>
#include <optional>

namespace tapio {
namespace {

bool is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool is_hex_of(std::string_view s, size_t n)
{
    if (s.size() != n)
        return false;
    for (char c : s)
        if (!is_lower_hex(c))
            return false;
    return true;
}

bool is_id64(std::string_view s)
{
    return is_hex_of(s, 64);
}

// A UUID (8-4-4-4-12 lowercase hex) with sep between the groups, or 32
// lowercase hex (static and mirror pods: their uid is a hash).
bool is_pod_uid(std::string_view s, char sep)
{
    if (is_hex_of(s, 32))
        return true;
    if (s.size() != 36)
        return false;
    for (size_t i = 0; i < s.size(); i++) {
        bool at_sep = i == 8 || i == 13 || i == 18 || i == 23;
        if (at_sep ? s[i] != sep : !is_lower_hex(s[i]))
            return false;
    }
    return true;
}

// s without prefix and suffix, when it has both and something between.
std::optional<std::string_view> between(std::string_view s, std::string_view prefix, std::string_view suffix)
{
    if (s.size() <= prefix.size() + suffix.size() || !s.starts_with(prefix) || !s.ends_with(suffix))
        return std::nullopt;
    return s.substr(prefix.size(), s.size() - prefix.size() - suffix.size());
}

// The id of "<prefix><id64><suffix>".
std::optional<std::string_view> id_between(std::string_view s, std::string_view prefix, std::string_view suffix)
{
    auto id = between(s, prefix, suffix);
    if (id && is_id64(*id))
        return id;
    return std::nullopt;
}

struct Pod {
    std::string_view uid;
    QosClass qos = QosClass::none;
};

// A pod's cgroup, given its parent's and grandparent's names.
// cgroupfs driver: kubepods/pod<uid>, kubepods/{burstable,besteffort}/pod<uid>.
// systemd driver: [<prefix>-]kubepods[-<qos>].slice/[<prefix>-]kubepods[-<qos>]-pod<uid_>.slice.
std::optional<Pod> match_pod(std::string_view c, std::string_view parent, std::string_view grandparent)
{
    if (auto uid = between(c, "pod", ""); uid && is_pod_uid(*uid, '-')) {
        if (parent == "kubepods")
            return Pod{*uid, QosClass::guaranteed};
        if (grandparent == "kubepods" && parent == "burstable")
            return Pod{*uid, QosClass::burstable};
        if (grandparent == "kubepods" && parent == "besteffort")
            return Pod{*uid, QosClass::besteffort};
        return std::nullopt;
    }
    if (!c.ends_with(".slice"))
        return std::nullopt;
    size_t at = c.rfind("-pod");
    if (at == std::string_view::npos)
        return std::nullopt;
    std::string_view stem = c.substr(0, at);
    std::string_view uid = c.substr(at + 4, c.size() - at - 4 - 6);
    if (!is_pod_uid(uid, '_'))
        return std::nullopt;
    // systemd names a slice after its parent: the parent is <stem>.slice.
    if (parent.size() != stem.size() + 6 || !parent.starts_with(stem) || !parent.ends_with(".slice"))
        return std::nullopt;
    QosClass qos;
    std::string_view kubepods;
    if (stem.ends_with("kubepods-burstable")) {
        qos = QosClass::burstable;
        kubepods = stem.substr(0, stem.size() - 10);
    } else if (stem.ends_with("kubepods-besteffort")) {
        qos = QosClass::besteffort;
        kubepods = stem.substr(0, stem.size() - 11);
    } else if (stem.ends_with("kubepods")) {
        qos = QosClass::guaranteed;
        kubepods = stem;
    } else {
        return std::nullopt;
    }
    // "kubepods" or "<prefix>-kubepods" (kubelet's --cgroup-root, as kind sets it).
    if (kubepods != "kubepods" && !kubepods.ends_with("-kubepods"))
        return std::nullopt;
    return Pod{uid, qos};
}

struct Container {
    std::string_view id;
    ContainerRuntime runtime = ContainerRuntime::none;
};

// A container's cgroup directly below a pod's: <ctr> (cgroupfs driver) or
// <ctr>.scope (systemd driver).
std::optional<Container> match_pod_container(std::string_view c)
{
    if (is_id64(c))
        return Container{c, ContainerRuntime::none};  // containerd or dockershim
    std::string_view unit = c.ends_with(".scope") ? c.substr(0, c.size() - 6) : c;
    if (auto id = id_between(unit, "cri-containerd-", ""))
        return Container{*id, ContainerRuntime::containerd};
    if (auto id = id_between(unit, "crio-", ""))
        return Container{*id, ContainerRuntime::crio};
    if (auto id = id_between(unit, "docker-", ""))
        return Container{*id, ContainerRuntime::docker};
    return std::nullopt;
}

// A container's cgroup anywhere else (parent: its parent's name).
std::optional<Container> match_container(std::string_view c, std::string_view parent, bool parent_is_root)
{
    if (auto id = id_between(c, "docker-", ".scope"))
        return Container{*id, ContainerRuntime::docker};
    if (parent == "docker" && is_id64(c))
        return Container{c, ContainerRuntime::docker};
    if (auto id = id_between(c, "libpod-", ".scope"))
        return Container{*id, ContainerRuntime::podman};
    if (parent == "libpod_parent")
        if (auto id = id_between(c, "libpod-", ""))
            return Container{*id, ContainerRuntime::podman};
    if (parent == "machine.slice") {
        if (auto name = between(c, "systemd-nspawn@", ".service"))
            return Container{*name, ContainerRuntime::nspawn};
        // Also libvirt's VMs ("machine-qemu\x2d1\x2dvm.scope"): not containers.
        if (auto name = between(c, "machine-", ".scope");
            name && !name->starts_with("qemu\\x2d") && !name->starts_with("qemu-"))
            return Container{*name, ContainerRuntime::nspawn};
    }
    if (auto name = between(c, "lxc.payload.", ""))
        return Container{*name, ContainerRuntime::lxc};
    if (parent == "lxc" && parent_is_root)
        return Container{c, ContainerRuntime::lxc};
    return std::nullopt;
}

}  // namespace

std::string_view runtime_name(ContainerRuntime r)
{
    switch (r) {
        case ContainerRuntime::none: return "";
        case ContainerRuntime::docker: return "docker";
        case ContainerRuntime::containerd: return "containerd";
        case ContainerRuntime::crio: return "cri-o";
        case ContainerRuntime::podman: return "podman";
        case ContainerRuntime::nspawn: return "systemd-nspawn";
        case ContainerRuntime::lxc: return "lxc";
    }
    return "";
}

std::string_view qos_name(QosClass q)
{
    switch (q) {
        case QosClass::none: return "";
        case QosClass::guaranteed: return "Guaranteed";
        case QosClass::burstable: return "Burstable";
        case QosClass::besteffort: return "BestEffort";
    }
    return "";
}

CgroupIdentity parse_cgroup_path(std::string_view path)
{
    CgroupIdentity id;
    // The identity before the last container matched: nspawn's supervisor
    // cgroup, below the machine's, is not the machine.
    CgroupIdentity outer;
    Pod pod;
    size_t depth = 0, pod_depth = 0, nspawn_depth = 0;
    std::string_view grandparent, parent;
    size_t pos = 0;
    while (pos <= path.size()) {
        size_t end = path.find('/', pos);
        if (end == std::string_view::npos)
            end = path.size();
        std::string_view c = path.substr(pos, end - pos);
        pos = end + 1;
        if (c.empty())
            continue;
        depth++;
        if (auto p = match_pod(c, parent, grandparent)) {
            // A pod cgroup below a container (a kind node's, say): the pod
            // is the innermost thing, not the container around it.
            pod = *p;
            pod_depth = depth;
            id = CgroupIdentity{{}, ContainerRuntime::none, pod.uid, pod.qos};
        } else if (auto ctr = pod_depth && pod_depth == depth - 1 ? match_pod_container(c)
                                                                  : match_container(c, parent, depth == 2)) {
            outer = id;
            id = CgroupIdentity{ctr->id, ctr->runtime, pod.uid, pod.qos};
            nspawn_depth = ctr->runtime == ContainerRuntime::nspawn ? depth : 0;
        } else if (nspawn_depth && nspawn_depth == depth - 1 && c == "supervisor") {
            id = outer;
        }
        grandparent = parent;
        parent = c;
    }
    return id;
}

std::string pod_uid_canonical(std::string_view raw)
{
    std::string uid(raw);
    for (char& c : uid)
        if (c == '_')
            c = '-';
    return uid;
}

std::string unit_name_unescape(std::string_view s)
{
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x' && nibble(s[i + 2]) >= 0 && nibble(s[i + 3]) >= 0) {
            out += static_cast<char>(nibble(s[i + 2]) * 16 + nibble(s[i + 3]));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string container_id_canonical(const CgroupIdentity& id)
{
    if (id.runtime == ContainerRuntime::nspawn)
        return unit_name_unescape(id.container_id);
    return std::string(id.container_id);
}

// ---- kubelet's directories ----------------------------------------------------

namespace {

// Calls f with each entry's name in dir (none when it cannot be read).
template <typename F>
void for_each_entry(const std::string& dir, F f)
{
    DIR* d = opendir(dir.c_str());
    if (!d)
        return;
    while (dirent* e = readdir(d)) {
        std::string_view name = e->d_name;
        if (name == "." || name == "..")
            continue;
        if (!f(name))
            break;
    }
    closedir(d);
}

// A canonical pod uid (as used in kubelet's directories): safe in a path.
bool is_canonical_uid(std::string_view s)
{
    return is_pod_uid(s, '-');
}

// Namespaces are DNS labels: lowercase alphanumerics and '-', at most 63.
bool is_dns_label(std::string_view s)
{
    if (s.empty() || s.size() > 63)
        return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    return true;
}

}  // namespace

uint64_t KubeletDirs::monotonic_ns()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec);
}

KubeletDirs::KubeletDirs(std::string pod_logs, std::string container_logs, std::string kubelet_root, Limits limits,
                         std::function<uint64_t()> now_ns)
    : pod_logs_(std::move(pod_logs)),
      container_logs_(std::move(container_logs)),
      kubelet_root_(std::move(kubelet_root)),
      limits_(limits),
      now_ns_(std::move(now_ns))
{
}

bool KubeletDirs::may_rescan(Scan& scan)
{
    uint64_t now = now_ns_();
    if (scan.done && now - scan.at < limits_.rescan_ns)
        return false;
    scan.done = true;
    scan.at = now;
    return true;
}

// Every <namespace>_<name>_<uid> directory, up to the cap (and the one
// wanted, past it): a fresh map, so removed pods go too.
void KubeletDirs::scan_pod_logs(std::string_view wanted)
{
    std::unordered_map<std::string, PodNames> pods;
    for_each_entry(pod_logs_, [&](std::string_view name) {
        size_t first = name.find('_'), last = name.rfind('_');
        if (first == std::string_view::npos || first == last || first == 0 || last == first + 1)
            return true;
        std::string_view ns = name.substr(0, first), pod = name.substr(first + 1, last - first - 1),
                         uid = name.substr(last + 1);
        if (pod.find('_') != std::string_view::npos || !is_canonical_uid(uid))
            return true;
        if (pods.size() < limits_.max_pods || uid == wanted)
            pods[std::string(uid)] = PodNames{std::string(ns), std::string(pod)};
        return true;
    });
    pods_ = std::move(pods);
}

// Every <pod>_<namespace>_<container>-<id>.log link, the same way.
void KubeletDirs::scan_container_logs(std::string_view wanted)
{
    std::unordered_map<std::string, std::string> containers;
    for_each_entry(container_logs_, [&](std::string_view name) {
        if (!name.ends_with(".log") || name.size() < 4 + 64 + 1)
            return true;
        std::string_view id = name.substr(name.size() - 4 - 64, 64);
        std::string_view rest = name.substr(0, name.size() - 4 - 64);  // <pod>_<namespace>_<container>-
        if (!is_id64(id) || !rest.ends_with('-'))
            return true;
        rest.remove_suffix(1);
        size_t first = rest.find('_');
        size_t second = first == std::string_view::npos ? first : rest.find('_', first + 1);
        if (first == 0 || second == std::string_view::npos || second == first + 1 || second + 1 >= rest.size())
            return true;
        std::string_view container = rest.substr(second + 1);
        if (container.find('_') != std::string_view::npos)
            return true;
        if (containers.size() < limits_.max_containers || id == wanted)
            containers[std::string(id)] = std::string(container);
        return true;
    });
    containers_ = std::move(containers);
}

void KubeletDirs::scan_kubelet_pods(std::string_view wanted)
{
    std::unordered_set<std::string> uids;
    for_each_entry(kubelet_root_ + "/pods", [&](std::string_view name) {
        if (is_canonical_uid(name) && (uids.size() < limits_.max_pods || name == wanted))
            uids.emplace(name);
        return true;
    });
    kubelet_pods_ = std::move(uids);
}

// The namespace file of the pod's service account volume (a projected
// volume, kube-api-access-<random>, since Kubernetes 1.21).
std::optional<std::string> KubeletDirs::read_projected_namespace(const std::string& uid) const
{
    std::string dir = kubelet_root_ + "/pods/" + uid + "/volumes/kubernetes.io~projected";
    std::optional<std::string> found;
    for_each_entry(dir, [&](std::string_view volume) {
        std::ifstream in(dir + "/" + std::string(volume) + "/namespace");
        std::string ns;
        if (in && std::getline(in, ns)) {
            while (!ns.empty() && (ns.back() == '\n' || ns.back() == '\r' || ns.back() == ' '))
                ns.pop_back();
            if (is_dns_label(ns)) {
                found = ns;
                return false;
            }
        }
        return true;
    });
    return found;
}

std::optional<PodNames> KubeletDirs::pod(std::string_view uid)
{
    if (!is_canonical_uid(uid))
        return std::nullopt;
    std::string key(uid);
    if (auto it = pods_.find(key); it != pods_.end())
        return it->second;
    if (may_rescan(pod_logs_scan_)) {
        scan_pod_logs(uid);
        if (auto it = pods_.find(key); it != pods_.end())
            return it->second;
    }
    // No log directory (not mounted, or not there yet): the namespace alone.
    if (auto it = namespaces_.find(key); it != namespaces_.end())
        return PodNames{it->second, ""};
    if (!kubelet_pods_.contains(key) && may_rescan(kubelet_pods_scan_))
        scan_kubelet_pods(uid);
    // Each pod's volume is read once per listing of <kubelet_root>/pods.
    if (kubelet_pods_.erase(key)) {
        if (auto ns = read_projected_namespace(key)) {
            if (namespaces_.size() >= limits_.max_pods)
                namespaces_.clear();
            namespaces_[key] = *ns;
            return PodNames{*ns, ""};
        }
    }
    return std::nullopt;
}

std::string KubeletDirs::container_name(std::string_view container_id)
{
    if (!is_id64(container_id))
        return "";
    std::string key(container_id);
    if (auto it = containers_.find(key); it != containers_.end())
        return it->second;
    if (may_rescan(container_logs_scan_)) {
        scan_container_logs(container_id);
        if (auto it = containers_.find(key); it != containers_.end())
            return it->second;
    }
    return "";
}

}  // namespace tapio
