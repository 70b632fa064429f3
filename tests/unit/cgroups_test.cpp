// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Workloads (cgroup id -> container and pod, cached) over a cgroup tree built
// as plain directories in /tmp (the walk reads directory inode numbers, as
// cgroupfs has them), the JSON fields and the table's CONTAINER column.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cgroups.h"
#include "fixtures.h"
#include "table.h"
#include "tapio/writer.h"

using namespace tapio;
namespace fs = std::filesystem;

namespace {

const std::string cid(64, 'a');
const std::string uid = "0c8b7e7f-2d47-4f1e-9a3b-2c4d5e6f7a8b";

struct Tree {
    std::string root = "/tmp/tt-cgroups-test." + std::to_string(getpid());
    Tree() { fs::remove_all(root); }
    ~Tree() { fs::remove_all(root); }
    uint64_t make(const std::string& rel)
    {
        fs::create_directories(root + "/v2" + rel);
        struct stat st {};
        REQUIRE(stat((root + "/v2" + rel).c_str(), &st) == 0);
        return st.st_ino;
    }
    uint64_t make_v1(const std::string& rel)
    {
        fs::create_directories(root + "/v1" + rel);
        struct stat st {};
        REQUIRE(stat((root + "/v1" + rel).c_str(), &st) == 0);
        return st.st_ino;
    }
    ContainerOptions options() const
    {
        ContainerOptions o;
        o.pod_logs = root + "/logs/pods";
        o.kubelet_root = root + "/kubelet";
        return o;
    }
    void pod(const std::string& ns, const std::string& name, const std::string& container)
    {
        std::string dir = root + "/logs/pods/" + ns + "_" + name + "_" + uid + "/" + container;
        fs::create_directories(dir);
        fs::create_directories(root + "/logs/containers");
        fs::create_symlink(dir, root + "/logs/containers/" + name + "_" + ns + "_" + container + "-" + cid + ".log");
    }
};

constexpr uint64_t sec = 1000000000ULL;

}  // namespace

TEST_CASE("Workloads: a container's cgroup, v2 and v1; the v2 cgroup's answer first; ids of no container")
{
    Tree t;
    uint64_t docker = t.make("/system.slice/docker-" + cid + ".scope");
    uint64_t plain = t.make("/system.slice/cron.service");
    uint64_t v1 = t.make_v1("/kubepods/burstable/pod" + uid + "/crio-" + cid);
    t.pod("shop", "web-1", "nginx");
    Workloads w(t.options(), t.root + "/v2", t.root + "/v1");

    CHECK_FALSE(w.cached(docker, 0, sec));
    const Workload* d = w.resolve(docker, 0, sec);
    REQUIRE(d);
    CHECK(d->container_id == cid);
    CHECK(d->container_runtime == "docker");
    CHECK(d->pod_uid.empty());
    CHECK(w.cached(docker, 0, sec));
    CHECK(w.find(docker, 0) == d);

    // A task in a plain v2 cgroup and a v1 container (a hybrid host).
    CHECK_FALSE(w.cached(plain, v1, sec));
    const Workload* k = w.resolve(plain, v1, sec);
    REQUIRE(k);
    CHECK(k->container_runtime == "cri-o");
    CHECK(k->pod_namespace == "shop");
    CHECK(k->pod_name == "web-1");
    CHECK(k->container_name == "nginx");
    CHECK(k->pod_uid == uid);
    CHECK(k->pod_qos_class == "Burstable");
    CHECK(w.find(plain, 0) == nullptr);
    CHECK(w.find(plain, v1) == k);
    // A v2 container wins over whatever the v1 id says.
    CHECK(w.resolve(docker, v1, sec) == d);

    // No task: nothing to look up.
    CHECK(w.cached(0, 0, sec));
    CHECK(w.resolve(0, 0, sec) == nullptr);
}

TEST_CASE("Workloads: an id not in the tree is asked again after a second; a new cgroup is found at once")
{
    Tree t;
    t.make("/system.slice");
    Workloads w(t.options(), t.root + "/v2", "");
    uint64_t gone = 999999999;
    CHECK(w.resolve(gone, 0, 10 * sec) == nullptr);
    CHECK(w.cached(gone, 0, 10 * sec + sec / 2));
    CHECK_FALSE(w.cached(gone, 0, 11 * sec));

    // Made after the first walk: the walk is done again for it (the
    // directory watch says something was made).
    uint64_t fresh = t.make("/system.slice/docker-" + cid + ".scope");
    const Workload* f = w.resolve(fresh, 0, 10 * sec + 1);
    REQUIRE(f);
    CHECK(f->container_id == cid);
}

TEST_CASE("Workloads: a pod not yet named on disk is named once kubelet's directory is there")
{
    Tree t;
    uint64_t id = t.make("/kubepods.slice/kubepods-pod" + std::string("0c8b7e7f_2d47_4f1e_9a3b_2c4d5e6f7a8b") +
                         ".slice/cri-containerd-" + cid + ".scope");
    Workloads w(t.options(), t.root + "/v2", "");
    const Workload* first = w.resolve(id, 0, sec);
    REQUIRE(first);
    CHECK(first->pod_uid == uid);
    CHECK(first->pod_qos_class == "Guaranteed");
    CHECK(first->pod_name.empty());
    CHECK(w.cached(id, 0, sec + sec / 2));
    CHECK_FALSE(w.cached(id, 0, 2 * sec));  // asked again a second later

    t.pod("kube-system", "coredns-1", "coredns");
    // kubelet's directories are read again at most once a second.
    usleep(1100000);
    const Workload* named = w.resolve(id, 0, 3 * sec);
    REQUIRE(named);
    CHECK(named->pod_namespace == "kube-system");
    CHECK(named->pod_name == "coredns-1");
    CHECK(named->container_name == "coredns");
    CHECK(w.cached(id, 0, 100 * sec));  // named: final
}

TEST_CASE("Workloads: hostile names are escaped in JSON; fields are written only when known")
{
    Tree t;
    // An nspawn machine name may hold anything a unit name can.
    uint64_t id = t.make("/machine.slice/systemd-nspawn@a\"b\\x1bc.service");
    Workloads w(t.options(), t.root + "/v2", "");
    const Workload* m = w.resolve(id, 0, sec);
    REQUIRE(m);
    CHECK(m->container_id ==
          "a\"b\x1b"
          "c");

    Output out(-1);
    JsonWriter json(out, WallClock(0));
    Common c;
    c.cgroup_id = id;
    c.workload = m;
    json.begin("tapio.dropped", c);
    json.end();
    std::string line(out.buffer().data(), out.buffer().size());
    auto r = nlohmann::json::parse(line);
    CHECK(r["container_id"] ==
          "a\"b\x1b"
          "c");
    CHECK(r["container_runtime"] == "systemd-nspawn");
    CHECK_FALSE(r.contains("pod_uid"));
    CHECK_FALSE(r.contains("container_name"));
    CHECK(line.find('\x1b') == std::string::npos);

    // A Workload an embedding program made itself (no JSON rendered): the
    // writer renders the fields.
    Workload own;
    own.pod_name = "x\ny";
    c.workload = &own;
    Output out2(-1);
    JsonWriter json2(out2, WallClock(0));
    json2.begin("tapio.dropped", c);
    json2.end();
    auto r2 = nlohmann::json::parse(std::string(out2.buffer().data(), out2.buffer().size()));
    CHECK(r2["pod_name"] == "x\ny");
    CHECK_FALSE(r2.contains("container_id"));
}

TEST_CASE("table: the CONTAINER column names the pod, else the container; cut in the middle; escaped")
{
    auto row = [](const Workload* w) {
        Output out(-1);
        TableOptions o;
        o.workload_column = true;
        o.time = TimeMode::utc;
        TableWriter table(out, WallClock(0), o);
        Common c;
        c.pid = 7;
        c.comm = "sh";
        c.workload = w;
        table.begin("tapio.dropped", c);
        table.end();
        return std::string(out.buffer().data(), out.buffer().size());
    };
    Workload pod;
    pod.pod_namespace = "kube-system";
    pod.pod_name = "coredns-5d78c9869d-x7k2p";
    pod.container_id = cid;
    std::string text = row(&pod);
    CHECK(text.find("CONTAINER") != std::string::npos);
    CHECK_MESSAGE(text.find("kube-system…c9869d-x7k2p") != std::string::npos, text);

    Workload docker;
    docker.container_id = cid;
    CHECK(row(&docker).find(" aaaaaaaaaaaa ") != std::string::npos);

    Workload hostile;
    hostile.container_id = "evil\x1b[31m";
    std::string h = row(&hostile);
    CHECK(h.find('\x1b') == std::string::npos);

    std::string none = row(nullptr);
    CHECK(none.find(" - ") != std::string::npos);
    // Every row keeps the column's width: DETAILS start where the header's does.
    std::vector<std::string> lines;
    for (size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
        lines.push_back(text.substr(at, nl - at));
    REQUIRE(lines.size() >= 2);
    CHECK(display_width(lines[1].substr(0, lines[1].find("kube-system"))) ==
          display_width(lines[0].substr(0, lines[0].find("CONTAINER"))));
}

TEST_CASE("CgroupMounts::locate: the hierarchy holding a directory, and the path below its root")
{
    CgroupMounts m;
    m.v2 = {"/sys/fs/cgroup/unified", true, "", -1};
    m.v1 = {{"/sys/fs/cgroup/memory", false, "memory", 4}, {"/sys/fs/cgroup/systemd", false, "name=systemd", -1}};
    auto a = m.locate("/sys/fs/cgroup/memory/docker/abc/");
    REQUIRE(a);
    CHECK(a->first.controllers == "memory");
    CHECK(a->second == "/docker/abc");
    auto root = m.locate("/sys/fs/cgroup/memory");
    REQUIRE(root);
    CHECK(root->second == "/");
    auto named = m.locate("/sys/fs/cgroup/systemd/user.slice");
    REQUIRE(named);
    CHECK(named->first.ssid == -1);
    CHECK(m.locate("/sys/fs/cgroup/memoryx/a") == std::nullopt);
    CHECK(m.locate("/tmp") == std::nullopt);
    CHECK(m.locate("/sys/fs/cgroup/unified/system.slice")->first.v2);
}
