// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "memcg_paths.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <sstream>

namespace tapio {
namespace {

// The root directory of the cgroup hierarchy that holds the memory
// controller: a v1 "memory" mount if there is one, else a cgroup2 mount
// whose root lists memory among its controllers.
std::string find_memory_hierarchy()
{
    std::ifstream mountinfo("/proc/self/mountinfo");
    std::string line, v2_root;
    while (std::getline(mountinfo, line)) {
        // "... mount_point options - fstype source super_options"
        size_t dash = line.find(" - ");
        if (dash == std::string::npos)
            continue;
        std::istringstream pre(line.substr(0, dash)), post(line.substr(dash + 3));
        std::string id, parent, devno, root, mount_point, fstype, source, super;
        pre >> id >> parent >> devno >> root >> mount_point;
        post >> fstype >> source >> super;
        if (root != "/")
            continue;  // a bind mount of a sub-cgroup
        if (fstype == "cgroup") {
            std::string opts = "," + super + ",";
            if (opts.find(",memory,") != std::string::npos)
                return mount_point;
        } else if (fstype == "cgroup2" && v2_root.empty()) {
            std::ifstream controllers(mount_point + "/cgroup.controllers");
            std::string word;
            while (controllers >> word)
                if (word == "memory")
                    v2_root = mount_point;
        }
    }
    return v2_root;
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
