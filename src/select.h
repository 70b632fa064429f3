// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// -e/--events: which record types a run makes, decided from Config::events
// (types or globs) against the record registry. The kernel gets the chosen
// kinds as one bit mask (tt_config.kinds); hooks and syscalls that serve no
// chosen kind are not attached at all.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "schema.h"
#include "tapio/config.h"

namespace tapio {

// The record types -e can choose: every area's (not tapio.* nor doctor.*).
std::vector<const RecordSpec*> selectable_records();
// The selectable type closest to text (edit distance), for "did you mean".
std::string_view closest_record_type(std::string_view text);
// The types one pattern (a type or a glob) matches; empty when none.
std::vector<const RecordSpec*> records_matching(std::string_view pattern);
// Config::events resolved; every selectable type when it is empty. Throws
// Error(usage) naming a pattern that matches no record type.
std::vector<const RecordSpec*> chosen_records(const Config& config);
// TT_KIND_BIT()s of the chosen ring-buffer and summary kinds; all bits when
// Config::events is empty.
uint64_t chosen_kinds(const Config& config);
// --rate-limit split fairly between the record types that meet it: each
// chosen ring-buffer type of the running areas (but the always critical
// ones, unless --limit-critical) gets its own share, and
// every type draws on the pool once its share is spent. Half the limit is
// shared out evenly (rounded down), the rest is the pool; shares + pool <=
// the limit. Each burst is one second's worth.
struct RateSplit {
    uint64_t share_per_sec = 0;  // each type's own; 0: none (limit below 2 per type)
    uint64_t pool_per_sec = 0;
    uint32_t types = 0;  // how many types have a share
};
RateSplit rate_split(const Config& config);
// Config::events applied to the rest of the configuration: the options of
// unchosen periodic and optional records are turned off, and areas that
// make no chosen type are left out. Throws Error(usage) when no area is left.
void apply_selection(Config& config);

}  // namespace tapio
