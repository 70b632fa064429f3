// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Container and pod identity from cgroup paths, and pod and container names
// from kubelet's directories.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
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

// ---- KubeletDirs ------------------------------------------------------------

namespace {

namespace fs = std::filesystem;

class TempTree {
public:
    TempTree()
    {
        std::string tmpl = (fs::temp_directory_path() / "tapio-workload-XXXXXX").string();
        REQUIRE(mkdtemp(tmpl.data()) != nullptr);
        root_ = tmpl;
    }
    ~TempTree()
    {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }
    std::string path(const std::string& rel) const { return (root_ / rel).string(); }
    void mkdir(const std::string& rel) const { fs::create_directories(root_ / rel); }
    void write(const std::string& rel, const std::string& text) const
    {
        fs::create_directories((root_ / rel).parent_path());
        std::ofstream(root_ / rel) << text;
    }
    // kubelet's links point into the pod's log directory; the target need not exist.
    void link(const std::string& rel, const std::string& target) const
    {
        fs::create_directories((root_ / rel).parent_path());
        fs::create_symlink(target, root_ / rel);
    }

private:
    fs::path root_;
};

struct FakeClock {
    uint64_t now = 1'000'000'000'000;
    std::function<uint64_t()> fn()
    {
        return [this] { return now; };
    }
};

std::string uid_n(int n)
{
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012x", n, n);
    return buf;
}

std::string id_n(int n)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", n);
    return std::string(buf) + std::string(56, 'a');
}

}  // namespace

TEST_CASE("KubeletDirs: pod names from the pod log directories")
{
    TempTree t;
    t.mkdir("pods/kube-system_coredns-7db6d8ff4d-x2x9k_" + UID);
    t.mkdir("pods/kube-system_etcd-kind-control-plane_" + MIRROR_UID);
    t.mkdir("pods/not-a-pod-dir");
    t.mkdir("pods/a_b_c_" + uid_n(9));  // '_' is no part of a name: not ours
    FakeClock clock;
    KubeletDirs k(t.path("pods"), t.path("containers"), t.path("kubelet"), {}, clock.fn());

    auto p = k.pod(UID);
    REQUIRE(p);
    CHECK(p->pod_namespace == "kube-system");
    CHECK(p->pod_name == "coredns-7db6d8ff4d-x2x9k");
    auto m = k.pod(MIRROR_UID);
    REQUIRE(m);
    CHECK(*m == PodNames{"kube-system", "etcd-kind-control-plane"});
    CHECK_FALSE(k.pod(uid_n(9)));
    CHECK_FALSE(k.pod(uid_n(1)));
    // Raw (systemd-driver) uids and anything else that is not a uid are refused, not looked up.
    CHECK_FALSE(k.pod(UID_));
    CHECK_FALSE(k.pod("../pods"));
    CHECK_FALSE(k.pod(""));
}

TEST_CASE("KubeletDirs: container names from kubelet's links")
{
    TempTree t;
    t.link("containers/coredns-7db6d8ff4d-x2x9k_kube-system_coredns-" + ID + ".log",
           "/var/log/pods/kube-system_coredns-7db6d8ff4d-x2x9k_" + UID + "/coredns/0.log");
    t.link("containers/web-0_shop_istio-proxy-" + ID2 + ".log", "/nowhere");
    t.write("containers/stray.log", "");
    t.write("containers/x_y_z-" + ID.substr(1) + "0.lg", "");
    FakeClock clock;
    KubeletDirs k(t.path("pods"), t.path("containers"), t.path("kubelet"), {}, clock.fn());
    CHECK(k.container_name(ID) == "coredns");
    CHECK(k.container_name(ID2) == "istio-proxy");
    CHECK(k.container_name(id_n(1)) == "");
    CHECK(k.container_name("short") == "");
    CHECK(k.container_name("") == "");
    CHECK(k.cached_containers() == 2);
}

TEST_CASE("KubeletDirs: the namespace from the service account volume when there is no log directory")
{
    TempTree t;
    std::string vol = "kubelet/pods/" + UID + "/volumes/kubernetes.io~projected/kube-api-access-7q2rz/";
    t.write(vol + "namespace", "payments");
    t.write(vol + "token", "secret");
    // A pod without the service account volume: nothing.
    t.mkdir("kubelet/pods/" + uid_n(2) + "/volumes/kubernetes.io~empty-dir/cache");
    // Garbage in the file is not a namespace.
    t.write("kubelet/pods/" + uid_n(3) + "/volumes/kubernetes.io~projected/v/namespace", "Not A/Namespace\n");
    FakeClock clock;
    KubeletDirs k(t.path("pods"), t.path("containers"), t.path("kubelet"), {}, clock.fn());

    auto p = k.pod(UID);
    REQUIRE(p);
    CHECK(p->pod_namespace == "payments");
    CHECK(p->pod_name == "");
    CHECK(k.pod(UID) == PodNames{"payments", ""});  // cached
    CHECK_FALSE(k.pod(uid_n(2)));
    CHECK_FALSE(k.pod(uid_n(3)));
    CHECK_FALSE(k.pod(uid_n(4)));

    // Once the log directory appears, the pod's name comes too.
    t.mkdir("pods/payments_api-5d9c8b7f6-abcde_" + UID);
    clock.now += 1'000'000'000;
    CHECK(k.pod(UID) == PodNames{"payments", "api-5d9c8b7f6-abcde"});
}

TEST_CASE("KubeletDirs: missing directories are no error")
{
    KubeletDirs k("/nonexistent/tapio/pods", "/nonexistent/tapio/containers", "/nonexistent/tapio/kubelet");
    CHECK_FALSE(k.pod(UID));
    CHECK(k.container_name(ID) == "");
    CHECK(k.cached_pods() == 0);
    CHECK(k.cached_containers() == 0);
}

TEST_CASE("KubeletDirs: a miss rescans a directory at most once a second")
{
    TempTree t;
    t.mkdir("pods");
    t.mkdir("containers");
    FakeClock clock;
    KubeletDirs k(t.path("pods"), t.path("containers"), t.path("kubelet"), {}, clock.fn());

    CHECK_FALSE(k.pod(UID));
    CHECK(k.container_name(ID) == "");
    t.mkdir("pods/default_web_" + UID);
    t.link("containers/web_default_nginx-" + ID + ".log", "/nowhere");
    t.write("kubelet/pods/" + uid_n(5) + "/volumes/kubernetes.io~projected/v/namespace", "late");
    // Created after the miss: not seen until a second has passed.
    clock.now += 999'999'999;
    CHECK_FALSE(k.pod(UID));
    CHECK(k.container_name(ID) == "");
    clock.now += 1;
    CHECK(k.pod(UID) == PodNames{"default", "web"});
    CHECK(k.container_name(ID) == "nginx");

    // The fallback's directory too: <kubelet_root>/pods was last listed a
    // second ago, at the first miss, so uid_n(5) is found; then uid_n(6),
    // created after its miss, only a second after that.
    CHECK(k.pod(uid_n(5)) == PodNames{"late", ""});
    std::string late = uid_n(6);
    CHECK_FALSE(k.pod(late));
    t.write("kubelet/pods/" + late + "/volumes/kubernetes.io~projected/v/namespace", "later");
    clock.now += 500'000'000;
    CHECK_FALSE(k.pod(late));
    clock.now += 500'000'000;
    CHECK(k.pod(late) == PodNames{"later", ""});

    // Hits do no rescanning: a removed directory is still known until a miss rescans.
    fs::remove_all(t.path("pods/default_web_" + UID));
    CHECK(k.pod(UID) == PodNames{"default", "web"});
}

TEST_CASE("KubeletDirs: the caches are capped")
{
    TempTree t;
    for (int i = 0; i < 10; i++) {
        t.mkdir("pods/ns_pod" + std::to_string(i) + "_" + uid_n(i));
        t.link("containers/pod" + std::to_string(i) + "_ns_c" + std::to_string(i) + "-" + id_n(i) + ".log", "/nowhere");
        t.write("kubelet/pods/" + uid_n(100 + i) + "/volumes/kubernetes.io~projected/v/namespace",
                "ns" + std::to_string(i));
    }
    FakeClock clock;
    KubeletDirs::Limits limits;
    limits.max_pods = 4;
    limits.max_containers = 3;
    KubeletDirs k(t.path("pods"), t.path("containers"), t.path("kubelet"), limits, clock.fn());
    // Every one is found (the one wanted is kept past the cap), with at most
    // one rescan a second, and what is held stays near the cap.
    for (int i = 0; i < 10; i++) {
        clock.now += 1'000'000'000;
        CHECK(k.pod(uid_n(i)) == PodNames{"ns", "pod" + std::to_string(i)});
        CHECK(k.container_name(id_n(i)) == "c" + std::to_string(i));
        CHECK(k.cached_containers() <= limits.max_containers + 1);
    }
    for (int i = 0; i < 10; i++) {
        clock.now += 1'000'000'000;
        CHECK(k.pod(uid_n(100 + i)) == PodNames{"ns" + std::to_string(i), ""});
        CHECK(k.cached_pods() <= 2 * (limits.max_pods + 1));
    }
}
