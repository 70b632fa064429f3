// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// What tapio-trace needs from the host it runs on, in one place: the files
// and directories it reads or mounts, and the capabilities it uses. The
// code takes its defaults from here, and the deploy/ manifest test checks
// that the DaemonSet mounts and grants exactly what is listed.
#pragma once

#include <string_view>

namespace tapio::host_needs {

// The kernel's BTF: every area needs it (CO-RE).
inline constexpr std::string_view btf_vmlinux = "/sys/kernel/btf/vmlinux";
// tracefs, for tracepoint ids and event formats; mounted on the second when
// neither is.
inline constexpr std::string_view tracefs_dirs[] = {"/sys/kernel/debug/tracing", "/sys/kernel/tracing"};
inline constexpr std::string_view tracefs_mount_point = "/sys/kernel/tracing";
// The host's cgroup tree, for cgroup paths and containers (read only). In a
// container with its own cgroup namespace the host's tree is found wherever
// it is mounted (the mount whose root directory is the root cgroup).
inline constexpr std::string_view cgroup_root = "/sys/fs/cgroup";
// kubelet's per-pod log directories (<namespace>_<name>_<uid>), and the
// per-container log links beside them (<pod>_<namespace>_<container>-<id>.log):
// pod and container names without the API server (--pod-logs).
inline constexpr std::string_view pod_logs = "/var/log/pods";
inline constexpr std::string_view container_logs = "/var/log/containers";
// kubelet's state directory (--kubelet-root): per-pod state under pods/<uid>/.
inline constexpr std::string_view kubelet_root = "/var/lib/kubelet";

// The capabilities tapio-trace needs when it is not all-powerful root (a
// container with `drop: [ALL]`): CAP_BPF to load programs and create maps,
// CAP_PERFMON to attach them to tracepoints, and CAP_SYS_ADMIN because
// when the kernel's own BTF lacks a type a CO-RE relocation asks for, libbpf
// looks through the modules' BTF objects (bpf(BPF_BTF_GET_NEXT_ID), allowed
// only with CAP_SYS_ADMIN) and fails the load when it may not; which kernels
// send it there depends on their configuration (on a 6.18 kernel whose types
// are all in vmlinux, CAP_BPF and CAP_PERFMON were enough). Kernels before 5.11 charge BPF
// memory to RLIMIT_MEMLOCK and also need CAP_SYS_RESOURCE to raise it.
inline constexpr std::string_view capabilities[] = {"CAP_BPF", "CAP_PERFMON", "CAP_SYS_ADMIN"};
inline constexpr std::string_view capabilities_before_5_11[] = {"CAP_SYS_RESOURCE"};

}  // namespace tapio::host_needs
