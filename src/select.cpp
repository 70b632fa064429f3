// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "select.h"

#include "escape.h"

#include <fnmatch.h>

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "events.h"
#include "tapio/errors.h"

namespace tapio {
namespace {

bool matches(std::string_view pattern, std::string_view type)
{
    return fnmatch(std::string(pattern).c_str(), std::string(type).c_str(), 0) == 0;
}

size_t edit_distance(std::string_view a, std::string_view b)
{
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

}  // namespace

bool Config::wants(std::string_view type) const
{
    if (events.empty())
        return true;
    return std::any_of(events.begin(), events.end(), [&](const std::string& p) { return matches(p, type); });
}

std::vector<const RecordSpec*> selectable_records()
{
    std::vector<const RecordSpec*> out;
    for (const RecordSpec* r : all_records())
        for (Area area : all_areas)
            if (r->area == area_name(area))
                out.push_back(r);
    return out;
}

std::string_view closest_record_type(std::string_view text)
{
    std::string_view best;
    size_t best_distance = SIZE_MAX;
    for (const RecordSpec* r : selectable_records()) {
        size_t d = edit_distance(text, r->type);
        if (d < best_distance) {
            best_distance = d;
            best = r->type;
        }
    }
    return best;
}

std::vector<const RecordSpec*> records_matching(std::string_view pattern)
{
    std::vector<const RecordSpec*> out;
    for (const RecordSpec* r : selectable_records())
        if (matches(pattern, r->type))
            out.push_back(r);
    return out;
}

std::vector<const RecordSpec*> chosen_records(const Config& config)
{
    for (const std::string& pattern : config.events) {
        if (!records_matching(pattern).empty())
            continue;
        bool glob = pattern.find_first_of("*?[") != std::string::npos;
        throw Error(ExitCode::usage,
                    fmt::format("--events: '{}' {}; did you mean {}? (tapio-trace schema lists "
                                "the types; globs such as file.* work)",
                                terminal_escaped(pattern), glob ? "matches no record type" : "is not a record type",
                                closest_record_type(pattern)));
    }
    std::vector<const RecordSpec*> out;
    for (const RecordSpec* r : selectable_records())
        if (config.wants(r->type))
            out.push_back(r);
    return out;
}

uint64_t chosen_kinds(const Config& config)
{
    if (config.events.empty())
        return ~0ULL;
    uint64_t kinds = 0;
    for (const RecordSpec* r : chosen_records(config))
        if (r->kind != 0 && r->kind < TT_KIND_MAX)
            kinds |= TT_KIND_BIT(r->kind);
    return kinds;
}

RateSplit rate_split(const Config& config)
{
    RateSplit split;
    if (!config.rate_limit)
        return split;
    // Types that are always critical never meet the limit, so need no share
    // (a failed net.connect or a proc.exit by a signal is critical, the rest
    // of those types is not).
    auto always_critical = [&](uint16_t kind) {
        return !config.limit_critical && (kind == TT_MEM_OOM_KILL || kind == TT_MEM_RECLAIM || kind == TT_NET_RESET);
    };
    for (const RecordSpec* r : chosen_records(config))
        if (r->kind != 0 && r->kind < TT_KIND_MAX && r->describe && !always_critical(r->kind) &&
            std::any_of(config.areas.begin(), config.areas.end(), [&](Area a) { return r->area == area_name(a); }))
            ++split.types;
    if (split.types)
        split.share_per_sec = config.rate_limit / 2 / split.types;
    split.pool_per_sec = config.rate_limit - split.share_per_sec * split.types;
    if (!split.share_per_sec)
        split.types = 0;
    return split;
}

void apply_selection(Config& c)
{
    if (c.events.empty())
        return;
    std::vector<const RecordSpec*> chosen = chosen_records(c);
    c.proc.syscalls &= c.wants("proc.syscalls");
    c.net.drops &= c.wants("net.drop");
    c.net.states &= c.wants("net.state");
    if (!c.wants("file.slow"))
        c.file.min_latency = std::chrono::nanoseconds(0);
    if (!c.wants("file.io"))
        c.file.top = 0;
    c.mem.pressure &= c.wants("mem.pressure");

    std::vector<Area> kept;
    for (Area area : c.areas)
        if (std::any_of(chosen.begin(), chosen.end(), [&](const RecordSpec* r) { return r->area == area_name(area); }))
            kept.push_back(area);
    if (kept.empty()) {
        std::string asked;
        for (Area area : c.areas)
            asked += (asked.empty() ? "" : ", ") + std::string(area_name(area));
        throw Error(ExitCode::usage, fmt::format("--events: '{}' chooses no record of the areas traced ({}); each "
                                                 "type starts with its area, such as proc.exec",
                                                 terminal_escaped(fmt::to_string(fmt::join(c.events, ","))), asked));
    }
    c.areas = std::move(kept);
}

}  // namespace tapio
