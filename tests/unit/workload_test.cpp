// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Container and pod identity from cgroup paths.
#include <doctest/doctest.h>

#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "workload.h"

using namespace tapio;

namespace {

const std::string ID = "4a8b1c9d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f";
const std::string ID2 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string UID = "8d7e3c2a-1b4f-4e6a-9c0d-5f2e1a3b7c9d";
const std::string UID_ = "8d7e3c2a_1b4f_4e6a_9c0d_5f2e1a3b7c9d";
const std::string MIRROR_UID = "6f0c1b2a3d4e5f60718293a4b5c6d7e8";  // static pods: a hash

struct Case {
    std::string path;
    std::string container_id;
    ContainerRuntime runtime;
    std::string pod_uid_raw;
    QosClass qos;
};

using R = ContainerRuntime;
using Q = QosClass;

std::vector<Case> positive_cases()
{
    return {
        // Docker, cgroupfs driver and systemd driver (root and rootless).
        {"/docker/" + ID, ID, R::docker, "", Q::none},
        {"/system.slice/docker-" + ID + ".scope", ID, R::docker, "", Q::none},
        {"/system.slice/docker-" + ID + ".scope/init.scope", ID, R::docker, "", Q::none},
        {"/user.slice/user-1000.slice/user@1000.service/user.slice/docker-" + ID + ".scope", ID, R::docker, "",
         Q::none},
        // Docker in docker: the innermost wins.
        {"/docker/" + ID2 + "/docker/" + ID, ID, R::docker, "", Q::none},
        // Kubernetes, cgroupfs driver.
        {"/kubepods/pod" + UID + "/" + ID, ID, R::none, UID, Q::guaranteed},
        {"/kubepods/burstable/pod" + UID + "/" + ID, ID, R::none, UID, Q::burstable},
        {"/kubepods/besteffort/pod" + UID + "/" + ID, ID, R::none, UID, Q::besteffort},
        {"/kubepods/burstable/pod" + UID + "/crio-" + ID, ID, R::crio, UID, Q::burstable},
        {"/kubepods/besteffort/pod" + UID + "/cri-containerd-" + ID, ID, R::containerd, UID, Q::besteffort},
        {"/kubepods/pod" + UID + "/docker-" + ID, ID, R::docker, UID, Q::guaranteed},
        {"/kubelet/kubepods/burstable/pod" + UID + "/" + ID, ID, R::none, UID, Q::burstable},
        {"/kubepods/burstable/pod" + MIRROR_UID + "/" + ID, ID, R::none, MIRROR_UID, Q::burstable},
        {"/kubepods/burstable/pod" + UID + "/" + ID + "/sub", ID, R::none, UID, Q::burstable},
        // A bare id is a container only directly below a pod (or docker).
        {"/kubepods/burstable/pod" + UID + "/x/" + ID, "", R::none, UID, Q::burstable},
        // Kubernetes, systemd driver.
        {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_ + ".slice/cri-containerd-" + ID +
             ".scope",
         ID, R::containerd, UID_, Q::burstable},
        {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + UID_ + ".slice/crio-" + ID + ".scope",
         ID, R::crio, UID_, Q::besteffort},
        {"/kubepods.slice/kubepods-pod" + UID_ + ".slice/docker-" + ID + ".scope", ID, R::docker, UID_, Q::guaranteed},
        {"/kubepods.slice/kubepods-pod" + UID_ + ".slice/crio-" + ID + ".scope/container", ID, R::crio, UID_,
         Q::guaranteed},
        {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + MIRROR_UID + ".slice/crio-" + ID +
             ".scope",
         ID, R::crio, MIRROR_UID, Q::burstable},
        // kind: kubelet's cgroup root prefix ...
        {"/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" +
             UID_ + ".slice/cri-containerd-" + ID + ".scope",
         ID, R::containerd, UID_, Q::besteffort},
        {"/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod" + UID_ + ".slice/cri-containerd-" + ID + ".scope",
         ID, R::containerd, UID_, Q::guaranteed},
        // ... and seen from the host without a cgroup namespace, inside the node's container.
        {"/docker/" + ID2 +
             "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod" +
             UID_ + ".slice/cri-containerd-" + ID + ".scope",
         ID, R::containerd, UID_, Q::burstable},
        {"/docker/" + ID2 + "/kubelet.slice/kubelet.service", ID2, R::docker, "", Q::none},
        // Pod-level cgroups: the pod, no container.
        {"/kubepods/burstable/pod" + UID, "", R::none, UID, Q::burstable},
        {"/kubepods/pod" + UID, "", R::none, UID, Q::guaranteed},
        {"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + UID_ + ".slice", "", R::none, UID_,
         Q::besteffort},
        {"/docker/" + ID2 + "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod" + UID_ + ".slice", "", R::none,
         UID_, Q::guaranteed},
        // Monitors are not the container; the pod still applies.
        {"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_ + ".slice/crio-conmon-" + ID +
             ".scope",
         "", R::none, UID_, Q::burstable},
        {"/machine.slice/libpod-conmon-" + ID + ".scope", "", R::none, "", Q::none},
        {"/lxc.monitor.web1", "", R::none, "", Q::none},
        {"/machine.slice/systemd-nspawn@web1.service/supervisor", "", R::none, "", Q::none},
        // podman: systemd (root, rootless) and cgroupfs.
        {"/machine.slice/libpod-" + ID + ".scope", ID, R::podman, "", Q::none},
        {"/machine.slice/libpod-" + ID + ".scope/container", ID, R::podman, "", Q::none},
        {"/machine.slice/machine-libpod_pod_" + ID2 + ".slice/libpod-" + ID + ".scope", ID, R::podman, "", Q::none},
        {"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + ID + ".scope", ID, R::podman, "",
         Q::none},
        {"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + ID + ".scope/container", ID, R::podman,
         "", Q::none},
        {"/libpod_parent/libpod-" + ID, ID, R::podman, "", Q::none},
        // systemd-nspawn (the id as the unit name has it: see the escaping test).
        {"/machine.slice/systemd-nspawn@web1.service", "web1", R::nspawn, "", Q::none},
        {"/machine.slice/systemd-nspawn@web1.service/payload", "web1", R::nspawn, "", Q::none},
        {"/machine.slice/systemd-nspawn@web1.service/payload/system.slice/nginx.service", "web1", R::nspawn, "",
         Q::none},
        {"/machine.slice/machine-web1.scope", "web1", R::nspawn, "", Q::none},
        {"/machine.slice/machine-my\\x2dbox.scope/init.scope", "my\\x2dbox", R::nspawn, "", Q::none},
        // lxc.
        {"/lxc.payload.web1", "web1", R::lxc, "", Q::none},
        {"/lxc.payload.web1/system.slice/cron.service", "web1", R::lxc, "", Q::none},
        {"/lxc/web1", "web1", R::lxc, "", Q::none},
        {"/lxc/web1/init.scope", "web1", R::lxc, "", Q::none},
        // Docker inside an lxc container.
        {"/lxc.payload.web1/docker/" + ID, ID, R::docker, "", Q::none},
    };
}

std::vector<std::string> negative_cases()
{
    std::string id63 = ID.substr(1), upper = ID;
    for (char& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return {
        "",
        "/",
        "/user.slice/user-1000.slice/session-3.scope",
        "/init.scope",
        "/system.slice/containerd.service",
        "/system.slice/" + ID,
        "/" + ID,
        "/foo/" + ID,
        "/docker/" + id63,
        "/docker/" + ID + "0",
        "/docker/" + upper,
        "/system.slice/docker-" + id63 + ".scope",
        "/system.slice/docker-" + upper + ".scope",
        "/system.slice/docker-" + ID + ".service",
        "/system.slice/docker.service",
        "/system.slice/crio-" + ID + ".scope",  // cri-o's scopes only in pods
        "/system.slice/cri-containerd-" + ID + ".scope",
        "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_ + ".slice/crio-conmon-" + ID +
            ".scope/x",
        "/machine.slice/libpod-conmon-" + ID + ".scope",
        "/machine.slice/crio-conmon-" + ID + ".scope",
        "/lxc.monitor.web1",
        "/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope",
        "/machine.slice/machine-qemu\\x2d1\\x2dvm1.scope/libvirt/emulator",
        "/machine.slice/machine-qemu-1-vm1.scope",
        "/system.slice/machine-web1.scope",  // not under machine.slice
        "/machine.slice",
        "/kubepods",
        "/kubepods/burstable",
        "/kubepods.slice/kubepods-burstable.slice",
        // A pod where kubelet would not put one, or a malformed uid.
        "/pod" + UID + "/" + ID,
        "/kubepods/other/pod" + UID + "/" + ID,
        "/kubepods/burstable/pod" + UID_ + "/" + ID,
        "/kubepods/burstable/pod" + UID.substr(1) + "/" + ID,
        "/kubepods.slice/kubepods-burstable.slice/kubepods-besteffort-pod" + UID_ + ".slice/crio-" + ID + ".scope",
        "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID + ".slice",
        "/kubepods.slice/kubepods-guaranteed.slice/kubepods-guaranteed-pod" + UID_ + ".slice",
        "/mykubepods.slice/mykubepods-pod" + UID_ + ".slice",
        // A bare id is a container only directly below a pod or docker.
        "/libpod-" + ID,
        "/lxc/",
        "/system.slice/lxc/web1",
    };
}

}  // namespace

TEST_CASE("parse_cgroup_path: every layout")
{
    for (const Case& c : positive_cases()) {
        CAPTURE(c.path);
        CgroupIdentity id = parse_cgroup_path(c.path);
        CHECK(id.container_id == c.container_id);
        CHECK(runtime_name(id.runtime) == runtime_name(c.runtime));
        CHECK(id.pod_uid_raw == c.pod_uid_raw);
        CHECK(qos_name(id.qos) == qos_name(c.qos));
        // Views into the path given.
        if (!id.container_id.empty()) {
            CHECK(id.container_id.data() >= c.path.data());
            CHECK(id.container_id.data() + id.container_id.size() <= c.path.data() + c.path.size());
        }
    }
}

TEST_CASE("parse_cgroup_path: nothing recognised, nothing guessed")
{
    for (const std::string& path : negative_cases()) {
        CAPTURE(path);
        CgroupIdentity id = parse_cgroup_path(path);
        // Pod-level parts may be right ("crio-conmon-<id>.scope/x" is in a pod); the container never.
        CHECK(id.container_id.empty());
        CHECK(id.runtime == ContainerRuntime::none);
        if (path.find("conmon") == std::string::npos) {
            CHECK(id.pod_uid_raw.empty());
            CHECK(id.qos == QosClass::none);
        }
    }
    CHECK(parse_cgroup_path("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + UID_ +
                            ".slice/crio-conmon-" + ID + ".scope/x")
              .pod_uid_raw == UID_);
}

TEST_CASE("parse_cgroup_path: v1 and v2 paths are the same relative to the root; trailing and doubled slashes")
{
    std::string p = "/kubepods/burstable/pod" + UID + "/" + ID;
    for (std::string path : {p + "/", "/" + p, p.substr(1)}) {
        CAPTURE(path);
        CgroupIdentity id = parse_cgroup_path(path);
        CHECK(id.container_id == ID);
        CHECK(id.pod_uid_raw == UID);
    }
}

TEST_CASE("names of runtimes and QoS classes")
{
    CHECK(runtime_name(R::none) == "");
    CHECK(runtime_name(R::docker) == "docker");
    CHECK(runtime_name(R::containerd) == "containerd");
    CHECK(runtime_name(R::crio) == "cri-o");
    CHECK(runtime_name(R::podman) == "podman");
    CHECK(runtime_name(R::nspawn) == "systemd-nspawn");
    CHECK(runtime_name(R::lxc) == "lxc");
    CHECK(qos_name(Q::none) == "");
    CHECK(qos_name(Q::guaranteed) == "Guaranteed");
    CHECK(qos_name(Q::burstable) == "Burstable");
    CHECK(qos_name(Q::besteffort) == "BestEffort");
}

TEST_CASE("pod uids and escaped machine names made canonical")
{
    CHECK(pod_uid_canonical(UID_) == UID);
    CHECK(pod_uid_canonical(UID) == UID);
    CHECK(pod_uid_canonical(MIRROR_UID) == MIRROR_UID);
    CHECK(pod_uid_canonical("") == "");

    CHECK(unit_name_unescape("my\\x2dbox") == "my-box");
    CHECK(unit_name_unescape("a\\x2db\\x2dc") == "a-b-c");
    CHECK(unit_name_unescape("caf\\xc3\\xa9") == "caf\xc3\xa9");
    CHECK(unit_name_unescape("plain") == "plain");
    CHECK(unit_name_unescape("trail\\x2") == "trail\\x2");  // not an escape
    CHECK(unit_name_unescape("bad\\xzz") == "bad\\xzz");

    CgroupIdentity scope = parse_cgroup_path("/machine.slice/machine-my\\x2dbox.scope");
    CHECK(scope.runtime == R::nspawn);
    CHECK(container_id_canonical(scope) == "my-box");
    CgroupIdentity service = parse_cgroup_path("/machine.slice/systemd-nspawn@build\\x2d01.service/payload");
    CHECK(service.runtime == R::nspawn);
    CHECK(service.container_id == "build\\x2d01");
    CHECK(container_id_canonical(service) == "build-01");
    // Other runtimes' ids are as they are.
    CHECK(container_id_canonical(parse_cgroup_path("/docker/" + ID)) == ID);
    CHECK(container_id_canonical(parse_cgroup_path("/lxc.payload.a\\x2db")) == "a\\x2db");
    CHECK(container_id_canonical(parse_cgroup_path("/")) == "");
}
