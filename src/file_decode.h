// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Formatting helpers of the file area's decoders, exposed for unit tests.
// Each writes into the caller's buffer and returns a view of it.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace tapio {

// "O_WRONLY|O_CREAT|O_CLOEXEC"; unknown bits as hex.
std::string_view open_flags_text(uint32_t flags, std::span<char> buf);
// "RENAME_NOREPLACE|RENAME_EXCHANGE".
std::string_view rename_flags_text(uint32_t flags, std::span<char> buf);
// "0644".
std::string_view mode_text(uint32_t mode, std::span<char> buf);
// dir + "/" + path (path alone when absolute), normalized lexically: "."
// and empty components dropped, ".." takes away the component before it (not
// past the root), no symlink followed. Empty when buf is too small.
std::string_view normalize_path(std::string_view dir, std::string_view path, std::span<char> buf);
// "read", "pwrite64", ... for enum tt_file_io_op.
std::string_view io_op_name(uint32_t op);

}  // namespace tapio
