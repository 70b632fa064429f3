// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "cgroups.h"
#include "host_features.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <tuple>

#include <fmt/format.h>

#include "escape.h"
#include <fstream>
#include <sstream>

namespace tapio {

// ---- hierarchies ----

int controller_ssid(std::string_view controller)
{
    // One row per controller built into the kernel, in the order of their ids.
    std::ifstream in("/proc/cgroups");
    std::string line;
    int ssid = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#')
            continue;
        std::istringstream row(line);
        std::string name;
        row >> name;
        if (name == controller)
            return ssid;
        ++ssid;
    }
    return -1;
}

namespace {

bool is_root_cgroup(const std::string& dir)
{
    struct stat st {};
    return stat(dir.c_str(), &st) == 0 && st.st_ino == 1;
}

// "memory" from super options "rw,memory"; "cpu,cpuacct"; "name=systemd".
std::string v1_controllers(const std::string& super)
{
    std::string out;
    std::istringstream opts(super);
    std::string opt;
    while (std::getline(opts, opt, ',')) {
        bool named = opt.rfind("name=", 0) == 0;
        if (opt == "rw" || opt == "ro" || opt.empty() || (!named && opt.find('=') != std::string::npos))
            continue;
        if (opt == "noprefix" || opt == "clone_children" || opt == "xattr" || opt == "cpuset_v2_mode" ||
            opt == "favordynmods")
            continue;
        out += out.empty() ? opt : "," + opt;
    }
    return out;
}

}  // namespace

CgroupMounts CgroupMounts::find()
{
    CgroupMounts m;
    for (const MountEntry& mount : read_mounts()) {
        const std::string& fstype = mount.fstype;
        const std::string& mount_point = mount.point;
        if (fstype != "cgroup" && fstype != "cgroup2")
            continue;
        if (!is_root_cgroup(mount_point))
            continue;  // a sub-tree: a cgroup namespace's view, or a bind mount
        CgroupHierarchy h;
        h.root = mount_point;
        if (fstype == "cgroup2") {
            h.v2 = true;
            if (m.v2.root.empty())
                m.v2 = h;
            continue;
        }
        h.controllers = v1_controllers(mount.super_options);
        std::string first = h.controllers.substr(0, h.controllers.find(','));
        h.ssid = first.rfind("name=", 0) == 0 ? -1 : controller_ssid(first);
        bool known = false;
        for (const auto& other : m.v1)
            known |= other.controllers == h.controllers;
        if (known)
            continue;
        if (("," + h.controllers + ",").find(",memory,") != std::string::npos)
            m.v1_memory = h;
        m.v1.push_back(h);
    }
    return m;
}

std::optional<std::pair<CgroupHierarchy, std::string>> CgroupMounts::locate(const std::string& dir) const
{
    // The hierarchy whose root mount is the longest prefix of dir.
    const CgroupHierarchy* best = nullptr;
    auto under = [&](const CgroupHierarchy& h) {
        if (h.root.empty() || dir.compare(0, h.root.size(), h.root) != 0)
            return false;
        return dir.size() == h.root.size() || dir[h.root.size()] == '/' || h.root == "/";
    };
    if (under(v2))
        best = &v2;
    for (const auto& h : v1)
        if (under(h) && (!best || h.root.size() > best->root.size()))
            best = &h;
    if (!best)
        return std::nullopt;
    std::string_view rel(dir);
    rel.remove_prefix(best->root.size());
    while (rel.size() > 1 && rel.back() == '/')
        rel.remove_suffix(1);
    return std::make_pair(*best, rel.empty() ? std::string("/") : std::string(rel));
}

bool walk_cgroups(const std::string& root, const std::function<void(uint64_t, std::string_view)>& fn, int inotify_fd,
                  size_t max_dirs, bool* watch_failed)
{
    auto watch = [&](const std::string& dir) {
        if (inotify_fd >= 0 && inotify_add_watch(inotify_fd, dir.c_str(), IN_CREATE | IN_ONLYDIR) < 0 && watch_failed)
            *watch_failed = true;
    };
    struct stat st {};
    if (root.empty() || stat(root.c_str(), &st) != 0)
        return false;
    fn(st.st_ino, "/");
    watch(root);
    // Iterative depth-first walk: (relative path, depth).
    std::vector<std::pair<std::string, int>> todo{{"", 0}};
    size_t seen = 1;
    while (!todo.empty()) {
        auto [rel, depth] = std::move(todo.back());
        todo.pop_back();
        std::string dir = root + rel;
        DIR* d = opendir(dir.c_str());
        if (!d)
            continue;
        while (dirent* e = readdir(d)) {
            if (e->d_type != DT_DIR || std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0)
                continue;
            if (++seen > max_dirs)
                break;
            std::string sub = rel + "/" + e->d_name;
            fn(e->d_ino, sub);
            watch(root + sub);
            if (depth < 32)
                todo.emplace_back(std::move(sub), depth + 1);
        }
        closedir(d);
    }
    return true;
}

// ---- Workloads ----

namespace {

// What the JSON writer would write for w: its known fields, escaped.
std::string json_members(const Workload& w)
{
    fmt::memory_buffer b;
    append_workload_json(b, w);
    return fmt::to_string(b);
}

std::string container_logs_of(const std::string& pod_logs)
{
    // kubelet's links sit beside its pod directories: /var/log/containers.
    std::string parent = pod_logs;
    while (parent.size() > 1 && parent.back() == '/')
        parent.pop_back();
    size_t slash = parent.rfind('/');
    parent = slash == std::string::npos ? "." : parent.substr(0, slash == 0 ? 1 : slash);
    return parent == "/" ? "/containers" : parent + "/containers";
}

}  // namespace

Workloads::Workloads(const ContainerOptions& options, std::string v2_root, std::string v1_root)
    : kubelet_(options.pod_logs, container_logs_of(options.pod_logs), options.kubelet_root)
{
    v2_.root = std::move(v2_root);
    v1_.root = std::move(v1_root);
}

Workloads::Tree::~Tree()
{
    if (inotify_fd >= 0)
        close(inotify_fd);
}

bool Workloads::Tree::changed()
{
    bool made = false;
    alignas(inotify_event) char buf[4096];
    while (inotify_fd >= 0 && read(inotify_fd, buf, sizeof(buf)) > 0)
        made = true;
    return made;
}

const std::string* Workloads::Tree::path(uint64_t id, uint64_t now_ns)
{
    auto it = paths.find(id);
    if (it != paths.end())
        return &it->second;
    if (root.empty())
        return nullptr;
    // Not there: a cgroup made since the last walk, or one gone already. A
    // flood of ids that are gone must not walk per record, so walk only
    // when something was made (or a second on, in case a watch is missing).
    if (walked && !changed() && now_ns < walked_ns + 1000000000ULL)
        return nullptr;
    if (inotify_fd < 0)
        inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    walked = true;
    walked_ns = now_ns;
    paths.clear();
    walk_cgroups(
        root, [this](uint64_t ino, std::string_view p) { paths.emplace(ino, std::string(p)); }, inotify_fd);
    it = paths.find(id);
    return it == paths.end() ? nullptr : &it->second;
}

Workloads::Identity Workloads::identify(std::string_view path)
{
    Identity out;
    CgroupIdentity parsed = parse_cgroup_path(path);
    out.container_id = container_id_canonical(parsed);
    out.runtime = runtime_name(parsed.runtime);
    out.qos = qos_name(parsed.qos);
    if (!parsed.pod_uid_raw.empty()) {
        out.pod_uid = pod_uid_canonical(parsed.pod_uid_raw);
        if (auto names = kubelet_.pod(out.pod_uid)) {
            out.pod_namespace = std::move(names->pod_namespace);
            out.pod_name = std::move(names->pod_name);
        }
        if (!out.container_id.empty())
            out.container_name = kubelet_.container_name(out.container_id);
    }
    return out;
}

bool Workloads::good(const Cache& cache, uint64_t id, uint64_t now_ns, const Entry** entry)
{
    auto it = cache.find(id);
    if (it == cache.end())
        return false;
    *entry = &it->second;
    return !it->second.retry_at_ns || now_ns < it->second.retry_at_ns;
}

bool Workloads::cached(uint64_t v2_id, uint64_t v1_id, uint64_t now_ns) const
{
    if (!v2_id && !v1_id)
        return true;  // no task (tapio.* records)
    // Records come in runs from one task: the last answer, while it holds.
    if (cached_valid_ && v2_id == cached_v2_ && v1_id == cached_v1_ && now_ns < cached_until_ns_)
        return true;
    const Entry* e = nullptr;
    if (!good(by_v2_, v2_id, now_ns, &e))
        return false;
    uint64_t until = e->retry_at_ns ? e->retry_at_ns : UINT64_MAX;
    if (!e->id.any() && v1_id) {
        if (!good(by_v1_, v1_id, now_ns, &e))
            return false;
        if (e->retry_at_ns)
            until = std::min(until, e->retry_at_ns);
    }
    cached_v2_ = v2_id;
    cached_v1_ = v1_id;
    cached_until_ns_ = until;
    cached_valid_ = true;
    return true;
}

const Workload* Workloads::find(uint64_t v2_id, uint64_t v1_id) const
{
    if (last_valid_ && v2_id == last_v2_ && v1_id == last_v1_)
        return last_;
    const Workload* found = nullptr;
    auto it = by_v2_.find(v2_id);
    if (it != by_v2_.end() && it->second.id.any())
        found = &it->second.view;
    else if (v1_id && (it = by_v1_.find(v1_id)) != by_v1_.end() && it->second.id.any())
        found = &it->second.view;
    last_v2_ = v2_id;
    last_v1_ = v1_id;
    last_ = found;
    last_valid_ = true;
    return found;
}

void Workloads::fill(Tree& tree, Cache& cache, uint64_t id, uint64_t now_ns)
{
    last_valid_ = false;  // entries change or go
    cached_valid_ = false;
    const Entry* old = nullptr;
    if (good(cache, id, now_ns, &old))
        return;
    if (!old && cache.size() >= max_entries)
        cache.clear();  // bounded: start again (find() views die only between records)
    Entry& e = cache[id];
    const std::string* path = tree.path(id, now_ns);
    // A cgroup gone since it was identified keeps what was known of it: the
    // last records of a short-lived container still name it.
    if (path)
        e.id = identify(*path);
    // Not found (gone, or made since the last walk), or a pod not yet
    // named on disk: try again in a second, a bounded number of times for
    // names (a pod's sandbox container never gets a log link).
    bool retry = !path ? !e.id.any() : e.id.names_missing() && ++e.tries < max_tries;
    e.retry_at_ns = retry ? now_ns + retry_ns : 0;
    e.view = Workload{e.id.container_id,
                      e.id.runtime,
                      e.id.container_name,
                      e.id.pod_namespace,
                      e.id.pod_name,
                      e.id.pod_uid,
                      e.id.qos,
                      {}};
    e.json = json_members(e.view);
    e.view.json_members = e.json;
}

const Workload* Workloads::resolve(uint64_t v2_id, uint64_t v1_id, uint64_t now_ns)
{
    if (!v2_id && !v1_id)
        return nullptr;
    fill(v2_, by_v2_, v2_id, now_ns);
    if (v1_id && !by_v2_[v2_id].id.any())
        fill(v1_, by_v1_, v1_id, now_ns);
    return find(v2_id, v1_id);
}

bool Workloads::any_on_host()
{
    bool any = false;
    for (Tree* tree : {&v2_, &v1_}) {
        if (any || tree->root.empty())
            continue;
        walk_cgroups(tree->root, [&](uint64_t, std::string_view path) {
            if (any)
                return;
            CgroupIdentity id = parse_cgroup_path(path);
            any = !id.container_id.empty() || !id.pod_uid_raw.empty();
        });
    }
    return any;
}

// ---- CgroupSelection ----

CgroupSelection::CgroupSelection(const ContainerOptions& options, Workloads& workloads, std::string v1_dir)
    : options_(options), workloads_(workloads), v1_dir_(std::move(v1_dir))
{
    inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
}

CgroupSelection::~CgroupSelection()
{
    if (inotify_fd_ >= 0)
        close(inotify_fd_);
}

bool CgroupSelection::wanted(const Workloads::Identity& id) const
{
    if (!options_.container.empty() && id.container_id.rfind(options_.container, 0) != 0)
        return false;
    if (!options_.pod.empty() && id.pod_name != options_.pod)
        return false;
    if (!options_.pod_namespace.empty() && id.pod_namespace != options_.pod_namespace)
        return false;
    return true;
}

void CgroupSelection::scan(uint64_t now_ns, Changes& changes)
{
    scanned_ns_ = now_ns;
    unnamed_ = false;
    bool by_workload = options_.filtering();
    bool by_name = !options_.pod.empty() || !options_.pod_namespace.empty();
    std::unordered_set<uint64_t> seen_v2, seen_v1;
    auto visit = [&](std::unordered_set<uint64_t>& chosen, std::unordered_set<uint64_t>& seen,
                     std::vector<uint64_t>& out, bool v1) {
        return [&, v1](uint64_t id, std::string_view path) {
            bool take;
            if (v1 && !v1_dir_.empty()) {
                take = v1_dir_ == "/" || (path.compare(0, v1_dir_.size(), v1_dir_) == 0 &&
                                          (path.size() == v1_dir_.size() || path[v1_dir_.size()] == '/'));
            } else {
                if (!by_workload)
                    return;
                Workloads::Identity who = workloads_.identify(path);
                // The pod's names may reach kubelet's directory after its
                // cgroup: look again in a second (only names the filter uses).
                if (by_name && !who.pod_uid.empty() && (who.pod_name.empty() || who.pod_namespace.empty()))
                    unnamed_ = true;
                take = who.any() && wanted(who);
            }
            if (!take)
                return;
            seen.insert(id);
            if (chosen.insert(id).second)
                out.push_back(id);
        };
    };
    bool failed = false;
    walk_cgroups(workloads_.v2_root(), visit(chosen_v2_, seen_v2, changes.new_v2, false), inotify_fd_, 1u << 20,
                 &failed);
    walk_cgroups(workloads_.v1_root(), visit(chosen_v1_, seen_v1, changes.new_v1, true), inotify_fd_, 1u << 20,
                 &failed);
    watch_failed_ = failed;
    // Chosen before, gone now.
    for (auto [chosen, seen, gone] :
         {std::tuple{&chosen_v2_, &seen_v2, &changes.gone_v2}, std::tuple{&chosen_v1_, &seen_v1, &changes.gone_v1}}) {
        for (auto it = chosen->begin(); it != chosen->end();) {
            if (seen->count(*it)) {
                ++it;
                continue;
            }
            gone->push_back(*it);
            it = chosen->erase(it);
        }
    }
}

void CgroupSelection::forget(const std::vector<uint64_t>& ids, bool v1)
{
    for (uint64_t id : ids)
        (v1 ? chosen_v1_ : chosen_v2_).erase(id);
}

bool CgroupSelection::due(uint64_t now_ns)
{
    bool made = false;
    if (inotify_fd_ >= 0) {
        alignas(inotify_event) char buf[4096];
        while (read(inotify_fd_, buf, sizeof(buf)) > 0)
            made = true;
    }
    bool second = now_ns >= scanned_ns_ + Workloads::retry_ns;
    return made || (second && (unnamed_ || !watching()));
}

}  // namespace tapio
