// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Helpers of the mem area's decoders, shared with its probes and tests.
#pragma once

#include <cstdint>
#include <string_view>

namespace tapio {

// "mmap", "munmap", "brk", "mremap" for enum tt_alloc_op.
std::string_view alloc_op_name(uint32_t op);

// The path of a memory cgroup, from its id (the inode number of its directory
// in the hierarchy holding the memory controller, v1 or v2), relative to that
// hierarchy's root as /proc/<pid>/cgroup shows it ("/" for the root). Empty
// when it cannot be found (removed, or no memory hierarchy mounted). Looked up
// once per id, then cached.
std::string_view memcg_path(uint64_t id);

}  // namespace tapio
