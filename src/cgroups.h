// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Cgroups in user space: where the host's hierarchies are mounted, which
// container and pod a cgroup id belongs to (Workloads, a cache the collector
// fills outside the ring-buffer callback), and which cgroup ids the
// container filters choose as cgroups come and go (CgroupSelection).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tapio/config.h"
#include "tapio/sink.h"
#include "workload.h"

namespace tapio {

// A cgroup hierarchy: where its root is mounted, and for v1 its controllers.
struct CgroupHierarchy {
    std::string root;         // mount point of the hierarchy's root cgroup; empty: none
    bool v2 = false;          // cgroup2; else a v1 hierarchy
    std::string controllers;  // v1: "memory", "cpu,cpuacct", "name=systemd"
    int ssid = -1;            // v1: the kernel's id of its first controller; -1 for none (a named hierarchy)
};

// The host's hierarchies, from /proc/self/mountinfo. Only a mount of a
// hierarchy's root cgroup counts (its directory's inode is 1): inside a
// container with a cgroup namespace, the host's tree mounted elsewhere
// (deploy/'s /host/sys/fs/cgroup) is found, its own namespaced view is not.
struct CgroupMounts {
    CgroupHierarchy v2;
    CgroupHierarchy v1_memory;  // root empty when memory is not a v1 controller (pure v2 hosts)
    std::vector<CgroupHierarchy> v1;

    static CgroupMounts find();
    // The hierarchy that holds dir (an absolute path) and dir's path below
    // its root ("/" for the root), or nullopt when dir is in none.
    std::optional<std::pair<CgroupHierarchy, std::string>> locate(const std::string& dir) const;
};

// The kernel's id of a v1 controller (its row in /proc/cgroups), -1 if none.
int controller_ssid(std::string_view controller);

// Calls fn(id, path) for root and every directory below (path "/" for root,
// "/a/b" below), depth at most 32, at most max_dirs; adds each directory to
// inotify_fd (IN_CREATE) when >= 0. False when root could not be read.
// *watch_failed is set when a watch could not be added (inotify's limits).
bool walk_cgroups(const std::string& root, const std::function<void(uint64_t, std::string_view)>& fn,
                  int inotify_fd = -1, size_t max_dirs = 1u << 20, bool* watch_failed = nullptr);

// Container and pod of cgroup ids, cached by id. cached() and find() do no
// I/O (the ring-buffer callback calls them); resolve() reads the cgroup tree
// and kubelet's directories on a miss.
class Workloads {
public:
    Workloads(const ContainerOptions& options, std::string v2_root, std::string v1_root);

    // Whether resolve() has an answer for this pair that is still good at
    // now_ns (CLOCK_BOOTTIME): an unfound id or a pod not yet named on disk
    // is retried after a second.
    bool cached(uint64_t v2_id, uint64_t v1_id, uint64_t now_ns) const;
    // The workload of the pair from the cache (the v2 cgroup's when it names
    // one, else the v1 cgroup's); null when none or not looked up.
    const Workload* find(uint64_t v2_id, uint64_t v1_id) const;
    // Looks up what is missing or stale, then find().
    const Workload* resolve(uint64_t v2_id, uint64_t v1_id, uint64_t now_ns);

    // The workload a cgroup path (below its hierarchy's root) names; the
    // pod's names from kubelet's directories.
    struct Identity {
        std::string container_id, container_name, pod_namespace, pod_name, pod_uid;
        std::string_view runtime, qos;
        bool any() const { return !container_id.empty() || !pod_uid.empty(); }
        // A pod whose names (or container's name) are not on disk yet.
        bool names_missing() const
        {
            return !pod_uid.empty() && (pod_name.empty() || (!container_id.empty() && container_name.empty()));
        }
    };
    Identity identify(std::string_view path);

    // Whether any cgroup on the host now is a container's or a pod's.
    bool any_on_host();

    const std::string& v2_root() const { return v2_.root; }
    const std::string& v1_root() const { return v1_.root; }

    static constexpr size_t max_entries = 16384;
    static constexpr uint64_t retry_ns = 1000000000ULL;

private:
    struct Entry {
        Identity id;
        std::string json;  // Workload::json_members
        Workload view;
        uint64_t retry_at_ns = 0;  // 0: final
        unsigned tries = 0;        // retries for names not on disk, at most max_tries
    };
    static constexpr unsigned max_tries = 30;
    // The paths of a hierarchy's cgroups by id. A miss walks the tree
    // again only when a directory was made since the last walk (inotify on
    // every directory), or a second after it (when the watches ran out).
    struct Tree {
        std::string root;
        std::unordered_map<uint64_t, std::string> paths;
        uint64_t walked_ns = 0;
        bool walked = false;
        int inotify_fd = -1;
        ~Tree();
        bool changed();
        const std::string* path(uint64_t id, uint64_t now_ns);
    };
    using Cache = std::unordered_map<uint64_t, Entry>;

    static bool good(const Cache& cache, uint64_t id, uint64_t now_ns, const Entry** entry);
    void fill(Tree& tree, Cache& cache, uint64_t id, uint64_t now_ns);

    KubeletDirs kubelet_;
    Tree v2_, v1_;
    Cache by_v2_, by_v1_;
    // The last pair find() answered: records come in runs from one task.
    mutable uint64_t last_v2_ = 0, last_v1_ = 0;
    mutable const Workload* last_ = nullptr;
    mutable bool last_valid_ = false;
    // The last pair cached() said yes to, and until when that holds.
    mutable uint64_t cached_v2_ = 0, cached_v1_ = 0, cached_until_ns_ = 0;
    mutable bool cached_valid_ = false;
};

// The cgroup ids that --container, --pod, --namespace and a v1 --cgroup
// choose, for the kernel's filter sets: found at start, then as cgroups
// appear (inotify on every directory of the trees) and as pods get their
// names on disk (a rescan each second while one is unnamed).
class CgroupSelection {
public:
    // v1_dir: a v1 --cgroup directory below v1_root ("" none): it and all
    // below are chosen. workloads names the pods.
    CgroupSelection(const ContainerOptions& options, Workloads& workloads, std::string v1_dir);
    ~CgroupSelection();
    CgroupSelection(const CgroupSelection&) = delete;
    CgroupSelection& operator=(const CgroupSelection&) = delete;

    // Walks the trees; appends the ids chosen that were not before, and
    // those chosen before whose cgroup is gone (the kernel's set must not
    // fill with the dead).
    struct Changes {
        std::vector<uint64_t> new_v2, new_v1, gone_v2, gone_v1;
    };
    void scan(uint64_t now_ns, Changes& changes);
    // Ids the kernel's set did not take: chosen again at the next scan.
    void forget(const std::vector<uint64_t>& ids, bool v1);
    // Whether a scan is due: a directory was made, a pod is unnamed, or
    // (inotify's limits reached) a second has passed.
    bool due(uint64_t now_ns);
    // inotify's descriptor (readable when a directory was made), -1 if none.
    int watch_fd() const { return inotify_fd_; }
    // Whether every directory is watched; false: new ones are found by a
    // rescan each second.
    bool watching() const { return inotify_fd_ >= 0 && !watch_failed_; }

    size_t chosen() const { return chosen_v2_.size() + chosen_v1_.size(); }

private:
    bool wanted(const Workloads::Identity& id) const;

    ContainerOptions options_;
    Workloads& workloads_;
    std::string v1_dir_;
    int inotify_fd_ = -1;
    bool unnamed_ = false;
    bool watch_failed_ = false;
    uint64_t scanned_ns_ = 0;
    std::unordered_set<uint64_t> chosen_v2_, chosen_v1_;
};

}  // namespace tapio
