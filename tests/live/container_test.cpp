// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Containers and pods: the cgroup layouts of each runtime and cgroup driver
// are built here by hand (this machine cannot run real containers: crun
// needs CAP_SYS_RESOURCE), in the cgroup2 tree and in the v1 memory
// controller's, with a fake kubelet tree; a real process is moved into each
// and execs; its record must carry the right fields, and the filters must
// choose exactly those processes in the kernel.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

using namespace live;
namespace fs = std::filesystem;

namespace {

const std::string v2_root = "/sys/fs/cgroup/unified";
const std::string v1_root = "/sys/fs/cgroup/memory";

std::string random_hex(size_t n)
{
    static std::mt19937_64 rng{std::random_device{}()};
    static const char digits[] = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < n; ++i)
        s += digits[rng() % 16];
    return s;
}

std::string random_uid()
{
    return random_hex(8) + "-" + random_hex(4) + "-" + random_hex(4) + "-" + random_hex(4) + "-" + random_hex(12);
}

std::string underscored(std::string s)
{
    for (char& c : s)
        if (c == '-')
            c = '_';
    return s;
}

// Cgroup directories made by a test, removed deepest first at the end.
class Cgroups {
public:
    ~Cgroups()
    {
        for (auto it = made_.rbegin(); it != made_.rend(); ++it)
            rmdir(it->c_str());
    }
    // Makes root + rel and its missing parents; returns the full path.
    std::string make(const std::string& root, const std::string& rel)
    {
        std::string path = root;
        size_t at = 1;
        while (at <= rel.size()) {
            size_t next = rel.find('/', at);
            if (next == std::string::npos)
                next = rel.size();
            path = root + rel.substr(0, next);
            if (mkdir(path.c_str(), 0755) == 0)
                made_.push_back(path);
            at = next + 1;
        }
        return path;
    }

private:
    std::vector<std::string> made_;
};

// Runs /bin/true MARKER as a process that first moves itself into the
// cgroup directory dir; waits for it.
void exec_in(const std::string& dir, const std::string& marker)
{
    std::string procs = dir + "/cgroup.procs";
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int fd = open(procs.c_str(), O_WRONLY);
        if (fd < 0 || write(fd, "0", 1) != 1)
            _exit(90);
        close(fd);
        execl("/bin/true", "true", marker.c_str(), static_cast<char*>(nullptr));
        _exit(91);
    }
    Exit e = wait_pid(pid);
    REQUIRE_MESSAGE(e.code == 0, "could not run in " << dir);
}

bool has_marker(const json& r, const std::string& marker)
{
    return is_type(r, "proc.exec") && r.contains("args") && r["args"].size() == 2 && r["args"][1] == marker;
}

const char* workload_keys[] = {"container_id", "container_runtime", "container_name", "pod_namespace",
                               "pod_name",     "pod_uid",           "pod_qos_class"};

// A fake kubelet: /var/log/pods/<ns>_<name>_<uid>/<container>/ and the
// links /var/log/containers/<name>_<ns>_<container>-<id>.log.
struct FakeKubelet {
    TempDir root{"tt-kubelet"};
    std::string pod_logs() const { return root / "var/log/pods"; }
    void pod(const std::string& ns, const std::string& name, const std::string& uid, const std::string& container,
             const std::string& id)
    {
        std::string dir = pod_logs() + "/" + ns + "_" + name + "_" + uid + "/" + container;
        fs::create_directories(dir);
        std::ofstream(dir + "/0.log") << "";
        fs::create_directories(root / "var/log/containers");
        fs::create_symlink(dir + "/0.log",
                           root / ("var/log/containers/" + name + "_" + ns + "_" + container + "-" + id + ".log"));
    }
};

struct Layout {
    std::string what;
    bool v1;                                    // in the v1 memory hierarchy (else cgroup2)
    std::string rel;                            // below the hierarchy's root
    std::map<std::string, std::string> fields;  // the workload fields expected; the others absent
};

}  // namespace

TEST_CASE("containers and pods: every runtime's and driver's layout, v1 and v2, carries its fields")
{
    REQUIRE_MESSAGE(fs::exists(v2_root + "/cgroup.procs"), "cgroup2 is not at " << v2_root);
    REQUIRE_MESSAGE(fs::exists(v1_root + "/cgroup.procs"), "the v1 memory controller is not at " << v1_root);
    FakeKubelet kubelet;
    std::string tag = random_hex(6);  // keeps this run's cgroups apart from any other's

    std::vector<Layout> layouts;
    auto id = [] { return random_hex(64); };
    {
        std::string c = id();
        layouts.push_back({"docker, systemd driver (v2)",
                           false,
                           "/system.slice/docker-" + c + ".scope",
                           {{"container_id", c}, {"container_runtime", "docker"}}});
    }
    {
        std::string c = id();
        layouts.push_back({"docker, cgroupfs driver (v1)",
                           true,
                           "/docker/" + c,
                           {{"container_id", c}, {"container_runtime", "docker"}}});
    }
    {
        std::string c = id(), uid = random_uid(), ns = "shop-" + tag, name = "checkout-7d9f6c-x2k4q";
        kubelet.pod(ns, name, uid, "app", c);
        layouts.push_back({"kubernetes, containerd, systemd driver, Burstable (v2)",
                           false,
                           "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + underscored(uid) +
                               ".slice/cri-containerd-" + c + ".scope",
                           {{"container_id", c},
                            {"container_runtime", "containerd"},
                            {"container_name", "app"},
                            {"pod_namespace", ns},
                            {"pod_name", name},
                            {"pod_uid", uid},
                            {"pod_qos_class", "Burstable"}}});
    }
    {
        std::string c = id(), uid = random_uid(), ns = "batch-" + tag, name = "report-28391";
        kubelet.pod(ns, name, uid, "worker", c);
        layouts.push_back({"kubernetes, cri-o, cgroupfs driver, BestEffort (v1)",
                           true,
                           "/kubepods/besteffort/pod" + uid + "/crio-" + c,
                           {{"container_id", c},
                            {"container_runtime", "cri-o"},
                            {"container_name", "worker"},
                            {"pod_namespace", ns},
                            {"pod_name", name},
                            {"pod_uid", uid},
                            {"pod_qos_class", "BestEffort"}}});
    }
    {
        // No kubelet directories for this pod: the cgroup's facts only.
        std::string c = id(), uid = random_uid();
        layouts.push_back({"kubernetes, cgroupfs driver, Guaranteed, pod not on disk (v2)",
                           false,
                           "/kubepods/pod" + uid + "/" + c,
                           {{"container_id", c}, {"pod_uid", uid}, {"pod_qos_class", "Guaranteed"}}});
    }
    {
        std::string c = id(), uid = random_uid(), ns = "kube-system", name = "coredns-" + tag;
        kubelet.pod(ns, name, uid, "coredns", c);
        layouts.push_back({"kubernetes, containerd, systemd driver, Guaranteed (v1)",
                           true,
                           "/kubepods.slice/kubepods-pod" + underscored(uid) + ".slice/cri-containerd-" + c + ".scope",
                           {{"container_id", c},
                            {"container_runtime", "containerd"},
                            {"container_name", "coredns"},
                            {"pod_namespace", ns},
                            {"pod_name", name},
                            {"pod_uid", uid},
                            {"pod_qos_class", "Guaranteed"}}});
    }
    {
        std::string c = id();
        layouts.push_back({"podman, systemd (v2)",
                           false,
                           "/machine.slice/libpod-" + c + ".scope",
                           {{"container_id", c}, {"container_runtime", "podman"}}});
    }
    {
        std::string c = id();
        layouts.push_back({"podman, cgroupfs (v1)",
                           true,
                           "/libpod_parent/libpod-" + c,
                           {{"container_id", c}, {"container_runtime", "podman"}}});
    }
    layouts.push_back({"systemd-nspawn (v1)",
                       true,
                       "/machine.slice/systemd-nspawn@web\\x2d" + tag + ".service",
                       {{"container_id", "web-" + tag}, {"container_runtime", "systemd-nspawn"}}});
    layouts.push_back(
        {"lxc (v2)", false, "/lxc.payload.box" + tag, {{"container_id", "box" + tag}, {"container_runtime", "lxc"}}});
    layouts.push_back({"not a container: a 64-hex directory elsewhere (v2)", false, "/system.slice/" + id(), {}});
    layouts.push_back(
        {"not a container: a conmon scope (v1)", true, "/machine.slice/libpod-conmon-" + id() + ".scope", {}});

    Cgroups cgroups;
    // Half of them exist before the start, half appear while it runs.
    std::vector<std::string> dirs(layouts.size());
    for (size_t i = 0; i < layouts.size(); i += 2)
        dirs[i] = cgroups.make(layouts[i].v1 ? v1_root : v2_root, layouts[i].rel);

    Tracer t({"proc", "-e", "proc.exec", "--comm", "true", "--pod-logs", kubelet.pod_logs()});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    for (size_t i = 0; i < layouts.size(); ++i) {
        const Layout& l = layouts[i];
        if (dirs[i].empty())
            dirs[i] = cgroups.make(l.v1 ? v1_root : v2_root, l.rel);
        std::string marker = unique("layout" + std::to_string(i));
        exec_in(dirs[i], marker);
        auto r = t.wait_for([&](const json& x) { return has_marker(x, marker); });
        INFO(l.what << ": " << l.rel);
        REQUIRE(r);
        INFO(r->dump());
        for (const char* key : workload_keys) {
            auto want = l.fields.find(key);
            if (want == l.fields.end())
                CHECK_MESSAGE(!r->contains(key), key);
            else
                CHECK_MESSAGE((r->contains(key) && (*r)[key] == want->second), key);
        }
    }
    t.stop();
}

TEST_CASE("--no-enrich: no container fields; the table's CONTAINER column only where containers are")
{
    std::string c = random_hex(64);
    Cgroups cgroups;
    std::string dir = cgroups.make(v2_root, "/system.slice/docker-" + c + ".scope");

    SUBCASE("JSON")
    {
        Tracer t({"proc", "-e", "proc.exec", "--comm", "true", "--no-enrich"});
        REQUIRE_MESSAGE(t.ready(), t.stderr_text());
        std::string marker = unique("plain");
        exec_in(dir, marker);
        auto r = t.wait_for([&](const json& x) { return has_marker(x, marker); });
        REQUIRE(r);
        for (const char* key : workload_keys)
            CHECK_MESSAGE(!r->contains(key), key);
        t.stop();
    }
    SUBCASE("table")
    {
        for (bool enrich : {true, false}) {
            std::vector<std::string> args = {"proc", "-e", "proc.exec", "--comm", "true"};
            if (!enrich)
                args.push_back("--no-enrich");
            Tracer t(args, false);
            REQUIRE_MESSAGE(t.ready(), t.stderr_text());
            std::string marker = unique("tbl");
            exec_in(dir, marker);
            std::this_thread::sleep_for(300ms);
            t.stop();
            auto lines = t.stdout_lines();
            REQUIRE(lines.size() >= 2);
            INFO(lines[0]);
            CHECK((lines[0].find("CONTAINER") != std::string::npos) == enrich);
            bool seen = false;
            for (const auto& line : lines)
                if (line.find(marker) != std::string::npos) {
                    seen = true;
                    CHECK_MESSAGE((line.find(c.substr(0, 12)) != std::string::npos) == enrich, line);
                }
            CHECK(seen);
        }
    }
}

TEST_CASE("--container, --pod, --namespace: exactly the chosen processes, chosen in the kernel, new ones too")
{
    FakeKubelet kubelet;
    std::string tag = random_hex(6);
    std::string a = random_hex(64), b = random_hex(64), p1 = random_hex(64), p2 = random_hex(64);
    std::string uid1 = random_uid(), uid2 = random_uid(), ns = "shop-" + tag;
    kubelet.pod(ns, "web-" + tag, uid1, "nginx", p1);
    kubelet.pod(ns, "db-" + tag, uid2, "postgres", p2);
    Cgroups cgroups;
    // a (v2) and b (v1) are docker containers; the pods are one v2, one v1.
    std::string dir_a = cgroups.make(v2_root, "/system.slice/docker-" + a + ".scope");
    std::string dir_b = cgroups.make(v1_root, "/docker/" + b);
    std::string pod1 = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + underscored(uid1) + ".slice";
    std::string dir_p1 = cgroups.make(v2_root, pod1 + "/cri-containerd-" + p1 + ".scope");
    std::string pod2 = "/kubepods/burstable/pod" + uid2;
    // Made once tracing runs: the watch must add it.
    std::string dir_p2;

    auto run = [&](const std::vector<std::string>& flags, const std::vector<std::string*>& chosen) {
        std::vector<std::string> args = {"proc", "-e", "proc.exec", "--comm", "true", "--pod-logs", kubelet.pod_logs()};
        args.insert(args.end(), flags.begin(), flags.end());
        Tracer t(args);
        REQUIRE_MESSAGE(t.ready(), t.stderr_text());
        if (dir_p2.empty()) {
            dir_p2 = cgroups.make(v1_root, pod2 + "/" + p2);
            // The watch sees the new cgroup within a drain (25 ms).
            std::this_thread::sleep_for(200ms);
        }
        std::map<std::string, std::string> marker_of;
        for (std::string* dir : {&dir_a, &dir_b, &dir_p1, &dir_p2}) {
            std::string m = unique("sel");
            marker_of[*dir] = m;
            exec_in(*dir, m);
        }
        // And one outside every container, last: once it is seen (or not),
        // everything before it has been drained.
        std::string outside = unique("outside");
        pid_t pid = spawn({"/bin/true", outside});
        CHECK(wait_pid(pid).code == 0);
        std::this_thread::sleep_for(300ms);
        t.stop();
        std::string shown;
        for (const auto& f : flags)
            shown += f + " ";
        INFO("flags: " << shown);
        for (const auto& [dir, m] : marker_of) {
            bool want = false;
            for (std::string* c : chosen)
                want |= *c == dir;
            auto seen = t.all([&](const json& x) { return has_marker(x, m); });
            CHECK_MESSAGE(seen.size() == (want ? 1u : 0u), dir);
        }
        CHECK(t.all([&](const json& x) { return has_marker(x, outside); }).empty());
    };
    SUBCASE("--container, v2")
    {
        run({"--container", a.substr(0, 12)}, {&dir_a});
    }
    SUBCASE("--container, v1")
    {
        run({"--container", b.substr(0, 5)}, {&dir_b});
    }
    SUBCASE("--namespace: both pods, one made after the start (v1)")
    {
        run({"--namespace", ns}, {&dir_p1, &dir_p2});
    }
    SUBCASE("--pod and --namespace")
    {
        run({"--pod", "db-" + tag, "--namespace", ns}, {&dir_p2});
    }
    SUBCASE("--pod and --container agree")
    {
        run({"--pod", "web-" + tag, "--container", p1.substr(0, 8)}, {&dir_p1});
    }
    SUBCASE("--container matching none")
    {
        run({"--container", "zz"}, {});
    }
}

TEST_CASE("--cgroup takes a v1 controller's directory; a hierarchy without a controller is refused with the reason")
{
    Cgroups cgroups;
    std::string tag = random_hex(8);
    std::string in = cgroups.make(v1_root, "/tt-test-" + tag);
    std::string below = cgroups.make(v1_root, "/tt-test-" + tag + "/below");
    std::string beside = cgroups.make(v1_root, "/tt-beside-" + tag);

    Tracer t({"proc", "-e", "proc.exec", "--comm", "true", "--cgroup", in});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    std::string m_in = unique("in"), m_below = unique("below"), m_beside = unique("beside");
    exec_in(in, m_in);
    exec_in(below, m_below);
    exec_in(beside, m_beside);
    std::this_thread::sleep_for(300ms);
    t.stop();
    CHECK(t.all([&](const json& x) { return has_marker(x, m_in); }).size() == 1);
    CHECK(t.all([&](const json& x) { return has_marker(x, m_below); }).size() == 1);
    CHECK(t.all([&](const json& x) { return has_marker(x, m_beside); }).empty());

    if (fs::exists("/sys/fs/cgroup/systemd/cgroup.procs")) {
        Captured c = capture({binary(), "proc", "--cgroup", "/sys/fs/cgroup/systemd", "-d", "1s"});
        CHECK(c.exit.code == 2);
        CHECK_MESSAGE(c.err.find("has no controller") != std::string::npos, c.err);
        CHECK(std::count(c.err.begin(), c.err.end(), '\n') == 1);
    }
    Captured c = capture({binary(), "proc", "--cgroup", "/tmp", "-d", "1s"});
    CHECK(c.exit.code == 2);
    CHECK_MESSAGE(c.err.find("not a cgroup directory") != std::string::npos, c.err);
}
