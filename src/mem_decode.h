// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Helpers of the mem area's decoders, shared with its probes and tests.
#pragma once

#include <cstdint>
#include <string_view>

namespace tapio {

// "mmap", "munmap", "brk", "mremap" for enum tt_alloc_op.
std::string_view alloc_op_name(uint32_t op);

}  // namespace tapio
