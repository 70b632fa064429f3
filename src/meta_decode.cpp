// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Records tapio-trace writes about itself in the stream: tapio.dropped.
// (`tapio-trace doctor` writes one document instead: src/doctor_report.cpp.)
#include <array>

#include "collector_core.h"
#include "decode.h"

namespace tapio {
namespace {

using enum JsonType;
using enum Presence;

#define TT_DROP_REASON(key, what)                                     \
    {                                                                 \
        key, object, always, {}, what, {}, {}, integer, "record type" \
    }

constexpr Field dropped_fields[] = {
    TT_DROP_REASON("lost", "per record type: records the full ring buffer had no room for"),
    TT_DROP_REASON("rate_limited", "per record type: records --rate-limit held back"),
    TT_DROP_REASON("sampled_out", "per record type: records --sample left out"),
    TT_DROP_REASON("map_full",
                   "per record type: calls whose entry found a full in-kernel map, so their record could not be "
                   "made, or summary rows that found their map full"),
    {"final", boolean, always, {}, "the last report of the run"},
};

#undef TT_DROP_REASON

constexpr std::array<RecordSpec, 1> table = {{
    {"tapio.dropped", "tapio",
     "What did not reach the stream since the last report, at most once a second while it happens, and once at the "
     "end when anything was dropped. Each reason is an object from record type to count.",
     dropped_fields},
}};

}  // namespace

void write_dropped(RecordSink& sink, const Common& common, const DropTable& counts, bool final)
{
    static constexpr std::string_view reason_keys[TT_DROP_REASONS] = {"lost", "rate_limited", "sampled_out",
                                                                      "map_full"};
    sink.begin("tapio.dropped", common);
    for (uint32_t r = 0; r < TT_DROP_REASONS; ++r) {
        sink.begin_object(reason_keys[r]);
        for (uint32_t k = 0; k < TT_KIND_MAX; ++k)
            if (counts[k][r])
                sink.u64(kind_type(static_cast<uint16_t>(k)), counts[k][r]);
        sink.end_object();
    }
    sink.boolean("final", final);
    sink.end();
}

std::span<const RecordSpec> meta_records()
{
    return table;
}

}  // namespace tapio
