// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "memcg_paths.h"
#include "cgroups.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <sstream>

namespace tapio {
namespace {

// The root directory of the cgroup hierarchy that holds the memory
// controller: a v1 "memory" mount if there is one, else the cgroup2 mount if
// its root lists memory among its controllers. Only a mount of the
// hierarchy's root counts (CgroupMounts): in a container with its own cgroup
// namespace, the host's tree mounted elsewhere, not the container's view.
std::string find_memory_hierarchy()
{
    CgroupMounts mounts = CgroupMounts::find();
    if (!mounts.v1_memory.root.empty())
        return mounts.v1_memory.root;
    if (mounts.v2.root.empty())
        return {};
    std::ifstream controllers(mounts.v2.root + "/cgroup.controllers");
    std::string word;
    while (controllers >> word)
        if (word == "memory")
            return mounts.v2.root;
    return {};
}

// Depth-first search for the directory whose inode number is id.
bool find_inode(const std::string& dir, uint64_t id, int depth, std::string& found)
{
    if (depth > 32)
        return false;
    DIR* d = opendir(dir.c_str());
    if (!d)
        return false;
    bool hit = false;
    while (dirent* e = readdir(d)) {
        if (e->d_type != DT_DIR || std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0)
            continue;
        std::string sub = dir + "/" + e->d_name;
        if (e->d_ino == id) {
            found = sub;
            hit = true;
            break;
        }
        if (find_inode(sub, id, depth + 1, found)) {
            hit = true;
            break;
        }
    }
    closedir(d);
    return hit;
}

}  // namespace

std::optional<std::string_view> MemcgPaths::cached(uint64_t id) const
{
    auto it = paths_.find(id);
    if (it == paths_.end())
        return std::nullopt;
    return std::string_view(it->second);
}

void MemcgPaths::resolve(uint64_t id)
{
    if (paths_.count(id))
        return;
    if (!searched_root_) {
        root_ = find_memory_hierarchy();
        searched_root_ = true;
    }
    std::string path;
    if (!root_.empty()) {
        struct stat st {};
        if (stat(root_.c_str(), &st) == 0 && st.st_ino == id)
            path = "/";
        else if (std::string found; find_inode(root_, id, 0, found))
            path.assign(found, root_.size(), std::string::npos);
    }
    // Rare (a new cgroup in an OOM or reclaim record), and never in the
    // ring-buffer callback.
    paths_.emplace(id, std::move(path));
}

}  // namespace tapio
