// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// What a collector reports about itself: its state, every hook and how it
// attached, what did not reach the stream, its warnings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tapio/config.h"

namespace tapio {

enum class State { created, running, stopped, failed };
const char* state_name(State state);

enum class HookState { attached, disabled, unavailable, failed };
const char* hook_state_name(HookState state);

struct HookStatus {
    std::string area;
    std::string hook;
    std::string program;  // the program used (or the best candidate)
    std::string how;      // "tracepoint", "raw_tracepoint", "tp_btf", "fentry"
    HookState state = HookState::unavailable;
    std::string reason;  // why not attached
    // raw_syscalls:sys_enter/sys_exit: the area's syscalls the dispatcher serves.
    std::vector<std::string> syscalls;
};

// Open, load and attach of the one BPF object, in milliseconds.
struct AreaTiming {
    double open_ms = 0, load_ms = 0, attach_ms = 0;
    int loads = 0;  // more than one: a load failed and was retried without something
    // The syscall dispatcher's exit program was loaded on a second thread,
    // beside the other programs (see TAPIO_LOAD_SERIAL).
    bool split = false;
};

// Where tracefs is, after the collector's start.
struct TracefsStatus {
    std::string dir;       // "/sys/kernel/tracing"; empty when tracefs is unavailable
    bool mounted = false;  // tapio mounted it: nothing was mounted before
    // ... and unmounted it once every hook was attached (nothing reads
    // tracefs after that); false with the reason in problem when it could not.
    bool unmounted = false;
    std::string problem;  // why it is unavailable
};

// Records of one type that did not reach the stream, by reason.
struct DropCount {
    std::string_view type;      // "proc.exec"; "all" for a total
    uint64_t lost = 0;          // the ring buffer was full
    uint64_t rate_limited = 0;  // Config::rate_limit
    uint64_t sampled_out = 0;   // Config::sample
    uint64_t map_full = 0;      // an in-kernel pending or summary map was full
    uint64_t total() const { return lost + rate_limited + sampled_out + map_full; }
};

struct Health {
    State state = State::created;
    uint64_t events = 0;           // records written to the sink
    uint64_t decode_errors = 0;    // records that did not match what the BPF side writes
    std::vector<DropCount> drops;  // per record type with any drop, since start
    std::vector<HookStatus> hooks;
    std::vector<Area> areas;  // areas running
    AreaTiming timing;
    TracefsStatus tracefs;  // where tracefs is, or why not; whether start() mounted it
    // A container's or a pod's cgroup was on the host at start (with the
    // enrichment on): the table shows a CONTAINER column.
    bool containers_on_host = false;
    // The library's own warnings, also passed to Config::log as they came
    // ("mem: no memory pressure records for cgroup: ...").
    std::vector<std::string> warnings;

    // Every type's drops added up.
    DropCount dropped() const
    {
        DropCount all{"all"};
        for (const DropCount& d : drops) {
            all.lost += d.lost;
            all.rate_limited += d.rate_limited;
            all.sampled_out += d.sampled_out;
            all.map_full += d.map_full;
        }
        return all;
    }
};

}  // namespace tapio
