// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Parsing of the values people type: durations and sizes.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tapio {

// "500ms", "10s", "2m", "1h", "250us", "100ns"; a bare number is seconds.
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);
// "16M", "4K", "1G", "4096", "64MiB"; binary units.
std::optional<uint64_t> parse_size(std::string_view text);
// A whole decimal number that fits uint64.
std::optional<uint64_t> parse_uint(std::string_view text);

}  // namespace tapio
