// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "workload.h"

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

}  // namespace tapio
