// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Decoding: a raw ring-buffer record (bpf/events.h) becomes calls on a
// RecordSink. Each area contributes a table of the kinds it decodes.
#pragma once

#include <linux/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "config.h"
#include "events.h"
#include "sink.h"

namespace tapio {

struct DecodeOptions {
    uint32_t max_args = 20;
};

using DescribeFn = void (*)(const void* record, const DecodeOptions& options, RecordSink& sink);

struct KindInfo {
    uint16_t kind;
    std::string_view type;  // "proc.exec"
    Area area;
    size_t size;          // the record's exact size
    DescribeFn describe;  // the fields after the common ones
};

// Each area's table, defined next to its decoders.
std::span<const KindInfo> proc_kinds();
std::span<const KindInfo> net_kinds();
std::span<const KindInfo> mem_kinds();
std::span<const KindInfo> file_kinds();

const KindInfo* find_kind(uint16_t kind);
// "proc.exec", or "unknown" for a kind no area decodes.
std::string_view kind_type(uint16_t kind);

Common common_of(const tt_header& header);

// Decodes one record into the sink. A record whose kind or size does not
// match bpf/events.h is skipped and false returned.
bool decode_record(const void* data, size_t size, const DecodeOptions& options, RecordSink& sink);

// Emits "error": "ENOENT" for a negative return value (always a string:
// kernel-internal codes by their kernel names, "E<n>" when unnamed).
void error_field(RecordSink& sink, int64_t ret);

// The one rule for path fields: at most path_field_max bytes. A longer value
// keeps its last path_field_max bytes (the end names the file) and
// truncated_key is true; truncated_key is always written.
constexpr size_t path_field_max = TT_PATH_LEN - 1;
void cut_path_field(RecordSink& sink, std::string_view key, std::string_view truncated_key, std::string_view value);

}  // namespace tapio
