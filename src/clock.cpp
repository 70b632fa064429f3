// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "tapio/clock.h"

#include <time.h>

namespace tapio {
namespace {

int64_t read_ns(clockid_t id)
{
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

uint64_t boot_time_ns()
{
    return static_cast<uint64_t>(read_ns(CLOCK_BOOTTIME));
}

WallClock WallClock::now()
{
    // Bracket a realtime read between two boottime reads and keep the
    // narrowest bracket, so a preemption between reads does not skew us.
    int64_t best_width = INT64_MAX, offset = 0;
    for (int i = 0; i < 5; ++i) {
        int64_t b0 = read_ns(CLOCK_BOOTTIME);
        int64_t rt = read_ns(CLOCK_REALTIME);
        int64_t b1 = read_ns(CLOCK_BOOTTIME);
        if (b1 - b0 < best_width) {
            best_width = b1 - b0;
            offset = rt - (b0 + (b1 - b0) / 2);
        }
    }
    return WallClock(offset);
}

}  // namespace tapio
