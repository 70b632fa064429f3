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

    // Saturates: a record's boot time past 2^63 ns (only a corrupt one has
    // it) gives the latest time there is, not a signed overflow.
    int64_t to_wall_ns(uint64_t boot_ns) const
    {
        __int128 wall = static_cast<__int128>(boot_ns) + offset_ns_;
        if (wall > INT64_MAX)
            return INT64_MAX;
        return wall < INT64_MIN ? INT64_MIN : static_cast<int64_t>(wall);
    }
    int64_t offset_ns() const { return offset_ns_; }

private:
    int64_t offset_ns_;
};

uint64_t boot_time_ns();

}  // namespace tapio
