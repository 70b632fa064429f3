// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Which container and which Kubernetes pod a cgroup belongs to, from its
// path alone (parse_cgroup_path).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

}  // namespace tapio
