// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Decoding: a raw ring-buffer record (bpf/events.h) becomes calls on a
// RecordSink. Each area contributes a table of the kinds it decodes.
#pragma once

#include <linux/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "tapio/config.h"
#include "events.h"
#include "mem_pressure.h"
#include "schema.h"
#include "tapio/sink.h"

namespace tapio {

const RecordSpec* find_kind(uint16_t kind);
// "proc.exec", or "unknown" for a kind no area decodes.
std::string_view kind_type(uint16_t kind);

Common common_of(const tt_header& header);

// Decodes one record into the sink. A record whose kind or size does not
// match bpf/events.h is skipped and false returned.
bool decode_record(const void* data, size_t size, const DecodeOptions& options, RecordSink& sink);
// The same with the record's entry already found (find_kind(): null when none).
bool decode_record(const RecordSpec* spec, const void* data, size_t size, const DecodeOptions& options,
                   RecordSink& sink);

// Emits "error": "ENOENT" for a negative return value (always a string:
// kernel-internal codes by their kernel names, "E<n>" when unnamed).
void error_field(RecordSink& sink, int64_t ret);

// The one rule for path fields: at most path_field_max bytes. A longer value
// keeps its last path_field_max bytes (the end names the file) and
// truncated_key is true; truncated_key is always written.
constexpr size_t path_field_max = TT_PATH_LEN - 1;
void cut_path_field(RecordSink& sink, std::string_view key, std::string_view truncated_key, std::string_view value);

// Summaries and meta records: made in user space, written through the same
// layer as the ring-buffer records, each declared in the registry.

// proc.syscalls: rows busiest first; at most top are written.
struct SyscallCount {
    uint32_t nr;
    uint64_t count, errors, total_ns;
};
void write_syscalls(RecordSink& sink, const Common& common, uint64_t interval_ns, std::span<const SyscallCount> rows,
                    size_t top);

// file.io: one (process, file) row.
struct FileIoRow {
    const tt_file_io_key* key;
    const tt_file_io_stat* stat;
};
void write_file_io(RecordSink& sink, const Common& common, uint64_t interval_ns, const FileIoRow& row);

// mem.pressure: a sample, or (sample null) why there is none.
struct PressureReport {
    std::string_view source;  // "system", "cgroup"
    std::string_view path;
    std::string_view trigger;  // "interval", "above", "below"
    const PsiSample* sample = nullptr;
    std::string_view reason;  // why not, without a sample
    uint32_t threshold = 0;   // hundredths of a percent, 0 = none
};
void write_pressure(RecordSink& sink, const Common& common, const PressureReport& report);

// tapio.dropped: counts[kind][reason] since the last report.
using DropTable = std::array<std::array<uint64_t, TT_DROP_REASONS>, TT_KIND_MAX>;
void write_dropped(RecordSink& sink, const Common& common, const DropTable& counts, bool final);

}  // namespace tapio
