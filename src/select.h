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
// Config::events applied to the rest of the configuration: the options of
// unchosen periodic and optional records are turned off, and areas that
// make no chosen type are left out. Throws Error(usage) when no area is left.
void apply_selection(Config& config);

}  // namespace tapio
