// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The table writer's inside: a captured record (TableRecord), the row a
// layout writes its cells into (TableRow), and the layouts themselves
// (src/table_layouts.cpp), one per record type.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "tapio/sink.h"

namespace tapio {

struct RecordSpec;

// One RecordSink call, kept until the record ends. Strings (keys too) are
// copied into the record's text buffer, so nothing the decoder pointed at
// needs to outlive the call.
struct TableItem {
    enum Kind : uint8_t { i64, u64, boolean, null, str, name, decimal, array, element, object, close };
    Kind kind;
    uint8_t places = 0;  // decimal
    uint16_t depth = 0;  // 0: a top-level field
    uint32_t key_at = 0, key_size = 0;
    uint32_t text_at = 0, text_size = 0;  // str, name, element
    int64_t number = 0;                   // i64, decimal (scaled), boolean
    uint64_t unsigned_number = 0;         // u64
};

class TableRecord {
public:
    std::string_view type;
    Common common;

    void clear();
    void add(TableItem::Kind kind, std::string_view key, uint16_t depth);
    std::string_view copy(std::string_view text, uint32_t& at, uint32_t& size);

    std::span<const TableItem> items() const { return items_; }
    std::string_view key_of(const TableItem& item) const { return {text_.data() + item.key_at, item.key_size}; }
    std::string_view text_of(const TableItem& item) const { return {text_.data() + item.text_at, item.text_size}; }
    TableItem& last() { return items_.back(); }

    // A top-level field, or null when the record has none by that name.
    const TableItem* find(std::string_view key) const;
    bool has(std::string_view key) const { return find(key) != nullptr; }
    bool is_null(std::string_view key) const;
    // The field's value; def when absent, null or of another kind.
    int64_t i(std::string_view key, int64_t def = 0) const;
    uint64_t u(std::string_view key, uint64_t def = 0) const;
    bool b(std::string_view key) const;
    std::string_view s(std::string_view key) const;
    // The items inside an array or object field (elements, or the fields
    // of nested objects at depth + 1 and deeper), without its close.
    std::span<const TableItem> inside(const TableItem* container) const;

private:
    std::vector<TableItem> items_;
    std::vector<char> text_;
};

enum class Color : uint8_t { none, red, yellow };

// The DETAILS of one row. Cells are separated by one space; a layout adds
// them in the order an operator reads them.
class TableRow {
public:
    TableRow(fmt::memory_buffer& b, bool color) : b_(b), color_(color) {}

    // Starts a new cell (a space before it, unless it is the first), in a
    // colour until the next cell.
    TableRow& cell(Color color = Color::none);
    // Inside the current cell:
    TableRow& text(std::string_view s);
    TableRow& number(int64_t v);
    TableRow& unsigned_number(uint64_t v);
    TableRow& decimal(int64_t scaled, unsigned places);
    TableRow& duration(uint64_t ns);
    TableRow& bytes(uint64_t n);
    // A kernel string, control bytes and invalid UTF-8 escaped visibly.
    TableRow& escaped(std::string_view s);
    // A word a POSIX shell reads back as s: as is when it is plain,
    // 'single quoted' when it has spaces or shell syntax, $'...' with \xNN
    // escapes when it has control bytes or invalid UTF-8.
    TableRow& shell_word(std::string_view s);
    // Ends the row's colour, if any (the writer calls it).
    void finish();
    // The current cell (one per row) may lose its middle rather than the
    // row its end, to fit the width, keeping head_percent of the room for
    // its start: a path keeps its file name, argv its program.
    TableRow& elastic(unsigned head_percent)
    {
        elastic_at_ = last_cell_at_;
        elastic_end_ = 0;
        head_percent_ = head_percent;
        return *this;
    }
    // Where the elastic cell starts and ends in the buffer (0, 0: none),
    // and its share.
    size_t elastic_at() const { return elastic_at_; }
    size_t elastic_end() const { return elastic_end_; }
    unsigned head_percent() const { return head_percent_; }

private:
    void end_color();
    fmt::memory_buffer& b_;
    bool color_;
    bool first_ = true;
    bool colored_ = false;
    size_t last_cell_at_ = 0;
    size_t elastic_at_ = 0;
    size_t elastic_end_ = 0;
    unsigned head_percent_ = 50;
};

using TableLayoutFn = void (*)(const TableRecord& record, TableRow& row);

struct TableLayout {
    std::string_view type;   // "proc.exec"
    std::string_view event;  // the EVENT column in a one-area run: "exec"
    // The EVENT column when several areas run: the type, or a shorter name
    // when the type is wider than the column.
    std::string_view event_in_all;
    // null: the generic layout (key=value, units from the registry).
    TableLayoutFn write;
};

// Every layout, areas in the registry's order.
std::span<const TableLayout> table_layouts();
const TableLayout* find_table_layout(std::string_view type);
// key=value for every field, in the record's order, with the registry's
// units (spec may be null: raw numbers).
void write_generic(const TableRecord& record, const RecordSpec* spec, TableRow& row);

// Display columns of text that may hold our own SGR colour sequences (which
// take none): UTF-8 counted per character, East Asian wide ones as two.
size_t display_width(std::string_view text);

// The EVENT column's width: a one-area run, several areas.
inline constexpr size_t event_width = 8;
inline constexpr size_t event_width_all = 13;
inline constexpr size_t workload_width = 24;  // the CONTAINER column

}  // namespace tapio
