// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The record registry: every record type tapio-trace writes, declared once
// with its fields (name, JSON type, unit, meaning, whether it can be absent
// or null). The decoders sit next to their entries; the README's record
// reference, the man page's RECORDS section, the JSON Schema
// (`tapio-trace schema`) and the tests that check every emitted record all
// come from this table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "tapio/config.h"
#include "tapio/sink.h"

namespace tapio {

// Bumped when a field is removed or changes its type, unit or meaning;
// adding a record type or an optional field keeps it. 2: doctor writes one
// document (`$defs/doctor`) instead of doctor.* records in the stream.
inline constexpr int schema_version = 2;

enum class JsonType : uint8_t { integer, number, string, boolean, array, object };
std::string_view json_type_name(JsonType type);

// How a field appears in a record.
enum class Presence : uint8_t {
    always,             // present, never null
    nullable,           // present, null when not known
    optional,           // absent when it does not apply, never null
    optional_nullable,  // absent when it does not apply, null when not known
};

struct Field;
bool optional_field(const Field& f);  // may be absent
bool nullable_field(const Field& f);  // may be null

struct Field {
    std::string_view name;
    JsonType type;
    Presence presence = Presence::always;
    std::string_view unit = {};  // "ns", "bytes", "KiB", "pages", "percent", "us"
    std::string_view doc = {};
    // A fixed vocabulary ("process", "thread"), when the field has one.
    std::span<const std::string_view> values = {};
    // array: each element's fields (elements are objects), or empty for an
    // array of item_type; object: its fields, or empty with keyed_by set.
    std::span<const Field> members = {};
    JsonType item_type = JsonType::string;
    // object only: an object whose keys are of this kind ("record type")
    // and whose values are item_type.
    std::string_view keyed_by = {};
};

class MemcgPaths;
class Workloads;

struct DecodeOptions {
    uint32_t max_args = 20;
    // Paths of memory cgroups, filled by the collector before a record that
    // names one is decoded; null: memcg_path is null.
    const MemcgPaths* memcg = nullptr;
    // Containers and pods by cgroup id, filled by the collector before a
    // record from a cgroup not seen yet is decoded; null: none written.
    const Workloads* workloads = nullptr;
};

using DescribeFn = void (*)(const void* record, const DecodeOptions& options, RecordSink& sink);

struct RecordSpec {
    std::string_view type;          // "proc.exec"
    std::string_view area;          // "proc", "net", "file", "mem", "tapio", "doctor"
    std::string_view doc;           // what the record means, for the reference
    std::span<const Field> fields;  // after the common ones, in emitted order
    // Ring-buffer records: their enum tt_kind, exact size and decoder.
    // Summaries made in user space keep their kind (for drop accounting)
    // with no decoder; meta records have neither.
    uint16_t kind = 0;
    size_t size = 0;
    DescribeFn describe = nullptr;
    // The memory cgroup whose path the decoder writes (0: none), so the
    // collector can look it up before decoding, outside the ring-buffer
    // callback.
    uint64_t (*memcg_of)(const void* record) = nullptr;
};

// Fields every record starts with.
std::span<const Field> common_fields();
// Every record type, areas in order, each area's records as it lists them.
std::span<const RecordSpec* const> all_records();
const RecordSpec* find_record(std::string_view type);

// The JSON Schema (draft 2020-12) of every JSON line tapio-trace writes,
// and under $defs/doctor of the document `tapio-trace doctor --json` writes.
std::string json_schema();
// The record reference, between the README's markers.
std::string records_markdown();
// The RECORDS section of the man page.
std::string records_man();

// Each area's entries, defined next to its decoders.
#define TAPIO_AREA_RECORDS(name) std::span<const RecordSpec> name##_records();
TAPIO_AREAS(TAPIO_AREA_RECORDS)
#undef TAPIO_AREA_RECORDS
std::span<const RecordSpec> meta_records();

}  // namespace tapio
