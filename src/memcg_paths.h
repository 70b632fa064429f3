// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Paths of memory cgroups by id, for mem.oom_kill and mem.reclaim: a cache
// the collector owns and fills outside the ring-buffer callback, so that
// decoding does no file-system I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tapio {

class MemcgPaths {
public:
    // The path of memory cgroup id (the inode number of its directory in
    // the hierarchy holding the memory controller, v1 or v2), relative to
    // that hierarchy's root as /proc/<pid>/cgroup shows it ("/" for the
    // root); "" when it could not be found (removed, no memory hierarchy
    // mounted). nullopt when it was never looked up.
    std::optional<std::string_view> cached(uint64_t id) const;
    // Looks id up in the file system and caches the answer, found or not.
    void resolve(uint64_t id);

private:
    bool searched_root_ = false;
    std::string root_;
    std::unordered_map<uint64_t, std::string> paths_;
};

}  // namespace tapio
