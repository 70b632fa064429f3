// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Numbers the kernel hands over, as the names people search for.
#pragma once

#include <cstdint>
#include <string_view>

namespace tapio {

// "ENOENT" for 2 (or -2); "E123" style for unknown values is never returned:
// unknown numbers give an empty view and callers print the number.
std::string_view errno_name(int64_t err);
// "SIGKILL" for 9, "SIGRTMIN+3"; empty for 0 or out of range.
std::string_view signal_name(int sig);
// "openat" for 257 on x86_64; empty when unknown.
std::string_view syscall_name(uint32_t nr);

}  // namespace tapio
