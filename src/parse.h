// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Parsing of the values people type (durations, sizes, percentages) and of
// the kernel's own text in the same forms.
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
// "12", "12.5", "12.34", "12.34%": hundredths of a percent (1234), as PSI
// files print them and people type them; at most two decimals, and what
// fits uint32. No range check: 0 and more than 100% are the caller's call.
std::optional<uint32_t> parse_percent(std::string_view text);
// A whole decimal number that fits uint64.
std::optional<uint64_t> parse_uint(std::string_view text);

}  // namespace tapio
