// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Kernel records carry CLOCK_BOOTTIME; people want wall-clock time.
#pragma once

#include <cstdint>

namespace tapio {

class WallClock {
public:
    // Samples CLOCK_REALTIME - CLOCK_BOOTTIME now (the tightest of a few reads).
    static WallClock now();
    // For tests: a fixed offset.
    explicit WallClock(int64_t offset_ns = 0) : offset_ns_(offset_ns) {}

    int64_t to_wall_ns(uint64_t boot_ns) const { return static_cast<int64_t>(boot_ns) + offset_ns_; }
    int64_t offset_ns() const { return offset_ns_; }

private:
    int64_t offset_ns_;
};

uint64_t boot_time_ns();

}  // namespace tapio
