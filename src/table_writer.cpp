// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The table writer: captures a record, lays its row out (the layouts are
// in table_layouts.cpp), fits it to the terminal, writes it.
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "escape.h"
#include "schema.h"
#include "table.h"
#include "tapio/writer.h"

namespace tapio {

// ---- the captured record ----

void TableRecord::clear()
{
    items_.clear();
    text_.clear();
}

std::string_view TableRecord::copy(std::string_view text, uint32_t& at, uint32_t& size)
{
    at = static_cast<uint32_t>(text_.size());
    size = static_cast<uint32_t>(text.size());
    text_.insert(text_.end(), text.begin(), text.end());
    return {text_.data() + at, size};
}

void TableRecord::add(TableItem::Kind kind, std::string_view key, uint16_t depth)
{
    TableItem item{};
    item.kind = kind;
    item.depth = depth;
    copy(key, item.key_at, item.key_size);
    items_.push_back(item);
}

const TableItem* TableRecord::find(std::string_view key) const
{
    for (const TableItem& item : items_)
        if (item.depth == 0 && item.kind != TableItem::close && key_of(item) == key)
            return &item;
    return nullptr;
}

bool TableRecord::is_null(std::string_view key) const
{
    const TableItem* item = find(key);
    return item && item->kind == TableItem::null;
}

int64_t TableRecord::i(std::string_view key, int64_t def) const
{
    const TableItem* item = find(key);
    if (!item)
        return def;
    if (item->kind == TableItem::i64)
        return item->number;
    if (item->kind == TableItem::u64)
        return static_cast<int64_t>(item->unsigned_number);
    return def;
}

uint64_t TableRecord::u(std::string_view key, uint64_t def) const
{
    const TableItem* item = find(key);
    if (!item)
        return def;
    if (item->kind == TableItem::u64)
        return item->unsigned_number;
    if (item->kind == TableItem::i64)
        return static_cast<uint64_t>(item->number);
    return def;
}

bool TableRecord::b(std::string_view key) const
{
    const TableItem* item = find(key);
    return item && item->kind == TableItem::boolean && item->number != 0;
}

std::string_view TableRecord::s(std::string_view key) const
{
    const TableItem* item = find(key);
    if (!item || (item->kind != TableItem::str && item->kind != TableItem::name))
        return {};
    return text_of(*item);
}

std::span<const TableItem> TableRecord::inside(const TableItem* container) const
{
    if (!container || (container->kind != TableItem::array && container->kind != TableItem::object))
        return {};
    size_t first = static_cast<size_t>(container - items_.data()) + 1;
    size_t last = first;
    while (last < items_.size() && items_[last].depth > container->depth)
        ++last;
    return std::span<const TableItem>(items_).subspan(first, last - first);
}

// ---- text ----

namespace {

constexpr std::string_view red = "\x1b[31m";
constexpr std::string_view yellow = "\x1b[33m";
constexpr std::string_view reset = "\x1b[0m";
constexpr std::string_view cut_marker = "\xe2\x80\xa6";  // …

// Length of a valid UTF-8 sequence at s[i] (ASCII too) and its code point,
// or 0.
size_t utf8_at(std::string_view s, size_t i, uint32_t& cp)
{
    auto b0 = static_cast<uint8_t>(s[i]);
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    }
    return utf8_sequence(s, i, cp);
}

// Columns a printable code point takes: combining marks none, East Asian
// wide and fullwidth forms and emoji two, the rest one.
size_t columns_of(uint32_t cp)
{
    if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f))
        return 0;
    // East Asian Wide and Fullwidth (Unicode 15's EastAsianWidth.txt, W and
    // F) and emoji shown wide by default, sorted. The emoji blocks are taken
    // whole: counting a narrow symbol as two only leaves a row shorter,
    // counting a wide one as one would let it wrap.
    struct Range {
        uint32_t first, last;
    };
    static constexpr Range wide[] = {
        {0x1100, 0x115f},   {0x231a, 0x231b},   {0x2329, 0x232a},   {0x23e9, 0x23ec},   {0x23f0, 0x23f0},
        {0x23f3, 0x23f3},   {0x25fd, 0x25fe},   {0x2614, 0x2615},   {0x2648, 0x2653},   {0x267f, 0x267f},
        {0x2693, 0x2693},   {0x26a1, 0x26a1},   {0x26aa, 0x26ab},   {0x26bd, 0x26be},   {0x26c4, 0x26c5},
        {0x26ce, 0x26ce},   {0x26d4, 0x26d4},   {0x26ea, 0x26ea},   {0x26f2, 0x26f3},   {0x26f5, 0x26f5},
        {0x26fa, 0x26fa},   {0x26fd, 0x26fd},   {0x2705, 0x2705},   {0x270a, 0x270b},   {0x2728, 0x2728},
        {0x274c, 0x274c},   {0x274e, 0x274e},   {0x2753, 0x2755},   {0x2757, 0x2757},   {0x2795, 0x2797},
        {0x27b0, 0x27b0},   {0x27bf, 0x27bf},   {0x2b1b, 0x2b1c},   {0x2b50, 0x2b50},   {0x2b55, 0x2b55},
        {0x2e80, 0x303e},   {0x3041, 0x33ff},   {0x3400, 0x4dbf},   {0x4e00, 0xa4cf},   {0xa960, 0xa97f},
        {0xac00, 0xd7a3},   {0xf900, 0xfaff},   {0xfe10, 0xfe19},   {0xfe30, 0xfe6f},   {0xff00, 0xff60},
        {0xffe0, 0xffe6},   {0x16fe0, 0x16fe4}, {0x17000, 0x18cff}, {0x1b000, 0x1b2ff}, {0x1f004, 0x1f004},
        {0x1f0cf, 0x1f0cf}, {0x1f18e, 0x1f18e}, {0x1f191, 0x1f19a}, {0x1f200, 0x1f265}, {0x1f300, 0x1f64f},
        {0x1f680, 0x1f6ff}, {0x1f7e0, 0x1f7ff}, {0x1f900, 0x1f9ff}, {0x1fa70, 0x1faff}, {0x20000, 0x3fffd},
    };
    size_t lo = 0, hi = sizeof(wide) / sizeof(wide[0]);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp > wide[mid].last)
            lo = mid + 1;
        else if (cp < wide[mid].first)
            hi = mid;
        else
            return 2;
    }
    return 1;
}

// Our own colour sequences: ESC [ digits m. Kernel strings never reach the
// row unescaped, so every ESC in it is one of ours.
size_t sgr_length(std::string_view s, size_t i)
{
    if (s[i] != '\x1b' || i + 1 >= s.size() || s[i + 1] != '[')
        return 0;
    size_t k = i + 2;
    while (k < s.size() && ((s[k] >= '0' && s[k] <= '9') || s[k] == ';'))
        ++k;
    return k < s.size() && s[k] == 'm' ? k + 1 - i : 0;
}

// Walks text by display columns: calls step(offset, length, columns) per
// character or colour sequence; stops when step returns false.
template <typename Step>
void walk(std::string_view s, Step step)
{
    size_t i = 0;
    while (i < s.size()) {
        if (size_t sgr = sgr_length(s, i)) {
            if (!step(i, sgr, size_t{0}))
                return;
            i += sgr;
            continue;
        }
        uint32_t cp = 0;
        size_t len = utf8_at(s, i, cp);
        if (len == 0)
            len = 1, cp = '?';
        if (!step(i, len, columns_of(cp)))
            return;
        i += len;
    }
}

void put(fmt::memory_buffer& b, std::string_view s)
{
    b.append(s.data(), s.data() + s.size());
}

void pad(fmt::memory_buffer& b, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        b.push_back(' ');
}

bool shell_plain(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::strchr("_@%+=:,./-", c) != nullptr;
}

constexpr char hex_digits[] = "0123456789abcdef";

}  // namespace

size_t display_width(std::string_view text)
{
    size_t columns = 0;
    walk(text, [&](size_t, size_t, size_t cols) {
        columns += cols;
        return true;
    });
    return columns;
}

// ---- the row ----

void TableRow::end_color()
{
    if (colored_)
        put(b_, reset);
    colored_ = false;
}

TableRow& TableRow::cell(Color color)
{
    end_color();
    if (elastic_at_ && !elastic_end_)
        elastic_end_ = b_.size();
    if (!first_)
        b_.push_back(' ');
    first_ = false;
    last_cell_at_ = b_.size();
    if (color_ && color != Color::none) {
        put(b_, color == Color::red ? red : yellow);
        colored_ = true;
    }
    return *this;
}

void TableRow::finish()
{
    end_color();
    if (elastic_at_ && !elastic_end_)
        elastic_end_ = b_.size();
}

TableRow& TableRow::text(std::string_view s)
{
    put(b_, s);
    return *this;
}

TableRow& TableRow::number(int64_t v)
{
    fmt::format_int t(v);
    b_.append(t.data(), t.data() + t.size());
    return *this;
}

TableRow& TableRow::unsigned_number(uint64_t v)
{
    fmt::format_int t(v);
    b_.append(t.data(), t.data() + t.size());
    return *this;
}

TableRow& TableRow::decimal(int64_t scaled, unsigned places)
{
    char text[32];
    int n = RecordSink::format_decimal(text, sizeof(text), scaled, places);
    if (n > 0)
        b_.append(text, text + n);
    return *this;
}

namespace {

// value / unit, rounded to 3 significant digits at most: two decimals below
// 10 units with two_places, one below 100, none from there. Integer
// arithmetic: no floating-point formatting per row.
void scaled(fmt::memory_buffer& b, uint64_t value, uint64_t unit, std::string_view suffix, bool two_places)
{
    using wide = unsigned __int128;
    auto digits = [&](uint64_t whole, unsigned frac, unsigned places) {
        fmt::format_int w(whole);
        b.append(w.data(), w.data() + w.size());
        if (places == 0)
            return;
        b.push_back('.');
        if (places == 2)
            b.push_back(static_cast<char>('0' + frac / 10));
        b.push_back(static_cast<char>('0' + frac % 10));
    };
    wide hundredths = (static_cast<wide>(value) * 100 + unit / 2) / unit;
    wide tenths = (static_cast<wide>(value) * 10 + unit / 2) / unit;
    if (two_places && hundredths < 1000)
        digits(static_cast<uint64_t>(hundredths / 100), static_cast<unsigned>(hundredths % 100), 2);
    else if (tenths < 1000)
        digits(static_cast<uint64_t>(tenths / 10), static_cast<unsigned>(tenths % 10), 1);
    else
        digits(static_cast<uint64_t>((static_cast<wide>(value) + unit / 2) / unit), 0, 0);
    put(b, suffix);
}

}  // namespace

TableRow& TableRow::duration(uint64_t ns)
{
    constexpr uint64_t us = 1000, ms = 1000 * us, s = 1000 * ms;
    if (ns < us) {
        unsigned_number(ns);
        put(b_, "ns");
    } else if (ns < ms) {
        scaled(b_, ns, us, "us", false);
    } else if (ns < s) {
        scaled(b_, ns, ms, "ms", false);
    } else if (ns < 60 * s) {
        scaled(b_, ns, s, "s", true);
    } else if (ns < 3600 * s) {
        fmt::format_to(std::back_inserter(b_), "{}m{:02}s", ns / (60 * s), ns / s % 60);
    } else {
        fmt::format_to(std::back_inserter(b_), "{}h{:02}m", ns / (3600 * s), ns / (60 * s) % 60);
    }
    return *this;
}

TableRow& TableRow::bytes(uint64_t n)
{
    constexpr uint64_t k = 1024;
    if (n < k) {
        unsigned_number(n);
        put(b_, "B");
    } else if (n < k * k) {
        scaled(b_, n, k, "KiB", false);
    } else if (n < k * k * k) {
        scaled(b_, n, k * k, "MiB", false);
    } else if (n < k * k * k * k) {
        scaled(b_, n, k * k * k, "GiB", false);
    } else {
        scaled(b_, n, k * k * k * k, "TiB", false);
    }
    return *this;
}

TableRow& TableRow::escaped(std::string_view s)
{
    append_terminal_escaped(b_, s);
    return *this;
}

TableRow& TableRow::shell_word(std::string_view s)
{
    bool plain = !s.empty(), printable = true;
    for (size_t i = 0; i < s.size();) {
        auto c = static_cast<uint8_t>(s[i]);
        if (!shell_plain(c))
            plain = false;
        uint32_t cp = 0;
        size_t len = utf8_at(s, i, cp);
        if (len == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || terminal_invisible(cp)) {
            printable = false;
            break;
        }
        i += len;
    }
    if (plain) {
        put(b_, s);
    } else if (printable) {
        // 'it'\''s': a quote ends the quoting, is escaped, and starts it again.
        b_.push_back('\'');
        for (char c : s) {
            if (c == '\'')
                put(b_, "'\\''");
            else
                b_.push_back(c);
        }
        b_.push_back('\'');
    } else {
        // bash, zsh, ksh and POSIX.1-2024 sh read $'...' escapes.
        put(b_, "$'");
        for (size_t i = 0; i < s.size();) {
            uint32_t cp = 0;
            size_t len = utf8_at(s, i, cp);
            auto c = static_cast<uint8_t>(s[i]);
            if (len == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || terminal_invisible(cp)) {
                if (c == '\n')
                    put(b_, "\\n");
                else if (c == '\t')
                    put(b_, "\\t");
                else
                    for (size_t k = 0; k < std::max<size_t>(len, 1); ++k) {
                        auto byte = static_cast<uint8_t>(s[i + k]);
                        const char esc[4] = {'\\', 'x', hex_digits[byte >> 4], hex_digits[byte & 0xf]};
                        b_.append(esc, esc + 4);
                    }
                i += std::max<size_t>(len, 1);
                continue;
            }
            if (c == '\'' || c == '\\')
                b_.push_back('\\');
            b_.append(s.data() + i, s.data() + i + len);
            i += len;
        }
        b_.push_back('\'');
    }
    return *this;
}

// ---- the writer ----

namespace {

// mem.pressure in the table: printed when it says something new.
struct PressureSeen {
    std::string path;
    bool available = false;
    int64_t values[6] = {};
};

constexpr std::string_view pressure_keys[6] = {"some_avg10", "some_avg60", "some_avg300",
                                               "full_avg10", "full_avg60", "full_avg300"};

unsigned terminal_width(int fd)
{
    winsize ws{};
    if (fd >= 0 && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 0;
}

}  // namespace

struct TableWriter::Impl {
    WallClock clock;
    TableOptions options;
    TimeFormatter time;
    TableRecord record;
    fmt::memory_buffer row;
    fmt::memory_buffer stamp;
    fmt::memory_buffer scratch;
    uint16_t depth = 0;
    bool header_out = false;
    const TableLayout* layout = nullptr;
    std::vector<PressureSeen> pressure;
    std::string type_text, comm_text;

    size_t time_width() const
    {
        switch (options.time) {
            case TimeMode::local: return 12;
            case TimeMode::utc: return 13;
            case TimeMode::rfc3339: return 24;
            case TimeMode::relative: return 10;
        }
        return 12;
    }
    size_t event_column() const { return options.areas_shown ? event_width_all : event_width; }

    void write_time(fmt::memory_buffer& b, int64_t wall_ns)
    {
        switch (options.time) {
            case TimeMode::local: time.clock_ms(b, wall_ns); return;
            case TimeMode::utc:
            case TimeMode::rfc3339: {
                stamp.clear();
                time.rfc3339(stamp, wall_ns);  // 2026-11-25T15:55:33.123456789Z
                std::string_view full(stamp.data(), stamp.size());
                put(b, options.time == TimeMode::utc ? full.substr(11, 12) : full.substr(0, 23));
                b.push_back('Z');
                return;
            }
            case TimeMode::relative: {
                // In 128 bits: two int64 times can be 2^64 ns apart.
                __int128 since = static_cast<__int128>(wall_ns) - options.start_wall_ns;
                __int128 ms128 = since / 1000000 - (since % 1000000 < 0);
                auto ms = static_cast<int64_t>(ms128);  // |ms128| < 2^45
                bool negative = ms < 0;
                uint64_t m = negative ? static_cast<uint64_t>(-ms) : static_cast<uint64_t>(ms);
                char text[32];
                int n = snprintf(text, sizeof(text), "%c%llu.%03llu", negative ? '-' : '+',
                                 static_cast<unsigned long long>(m / 1000), static_cast<unsigned long long>(m % 1000));
                std::string_view t(text, static_cast<size_t>(n));
                pad(b, t.size() < time_width() ? time_width() - t.size() : 0);
                put(b, t);
                return;
            }
        }
    }

    void write_header(fmt::memory_buffer& b)
    {
        size_t from = b.size();
        put(b, "TIME");
        pad(b, time_width() + 1 - 4);
        put(b, "EVENT");
        pad(b, event_column() + 1 - 5 + 7 - 3);
        put(b, "PID COMM");
        pad(b, 16 - 4);
        if (options.workload_column) {
            put(b, "CONTAINER");
            pad(b, workload_width + 1 - 9);
        }
        put(b, "DETAILS");
        fit(b, from);
        b.push_back('\n');
    }

    // Cuts the row that starts at b[from] to the width. An elastic cell
    // (b[start, end)) loses its middle when the rest of the row leaves it a
    // dozen columns, so a path keeps its start and its file name,
    // /usr/lib/x86…/libc.so.6; else the row loses its end. Either way "…"
    // marks the cut.
    void fit(fmt::memory_buffer& b, size_t from, size_t start = 0, size_t end = 0, unsigned head_percent = 50)
    {
        if (options.width == 0)
            return;
        std::string_view line(b.data() + from, b.size() - from);
        size_t total = display_width(line);
        if (total <= options.width)
            return;
        end = std::min(end, b.size());
        // The row is whole up to the end of its elastic cell: cut its end.
        bool whole = end <= from || display_width(std::string_view(b.data() + from, end - from)) + 2 <= options.width;
        if (start > from && start < end && !whole) {
            std::string_view cell(b.data() + start, end - start);
            size_t cell_cols = display_width(cell);
            size_t others = total - cell_cols;
            std::string_view after(b.data() + end, b.size() - end);
            if (others + 12 > options.width && !after.empty() && after.find('\x1b') == std::string_view::npos) {
                // The cells after the elastic one go first: " …" for them.
                others -= display_width(after) - 2;
                b.resize(end);
                put(b, " ");
                put(b, cut_marker);
                if (others + cell_cols <= options.width)
                    return;
            }
            if (cell.find('\x1b') == std::string_view::npos && others + 12 <= options.width) {
                size_t room = options.width - others - 1;  // the marker takes one
                size_t head_cols = room * head_percent / 100, tail_cols = room - head_cols;
                size_t head = 0, columns = 0;
                walk(cell, [&](size_t at, size_t len, size_t cols) {
                    if (columns + cols > head_cols)
                        return false;
                    columns += cols;
                    head = at + len;
                    return true;
                });
                size_t tail = cell.size(), seen = 0;
                walk(cell, [&](size_t at, size_t, size_t cols) {
                    if (cell_cols - seen <= tail_cols && at >= head) {
                        tail = at;
                        return false;
                    }
                    seen += cols;
                    return true;
                });
                scratch.clear();
                put(scratch, std::string_view(b.data() + start + tail, b.size() - start - tail));
                b.resize(start + head);
                put(b, cut_marker);
                put(b, std::string_view(scratch.data(), scratch.size()));
                return;
            }
        }
        size_t keep = 0, columns = 0;
        bool colored = false;  // a colour is on where the row is cut
        walk(line, [&](size_t at, size_t len, size_t cols) {
            if (columns + cols > options.width - 1)
                return false;
            if (cols == 0 && line[at] == '\x1b')
                colored = line.substr(at, len) != reset;
            columns += cols;
            keep = at + len;
            return true;
        });
        b.resize(from + keep);
        put(b, cut_marker);
        if (colored)
            put(b, reset);
    }

    // The CONTAINER cell: namespace/pod (the pod says most), else the
    // container's name or its id's first 12 characters, else "-"; escaped,
    // and cut in the middle to workload_width.
    void write_workload(fmt::memory_buffer& b, const Workload* w)
    {
        scratch.clear();
        if (w && !w->pod_name.empty()) {
            append_terminal_escaped(scratch, w->pod_namespace);
            scratch.push_back('/');
            append_terminal_escaped(scratch, w->pod_name);
        } else if (w && !w->container_name.empty()) {
            append_terminal_escaped(scratch, w->container_name);
        } else if (w && !w->container_id.empty()) {
            bool hex = w->container_id.size() == 64;
            append_terminal_escaped(scratch, hex ? w->container_id.substr(0, 12) : w->container_id);
        } else if (w && !w->pod_uid.empty()) {
            put(scratch, "pod ");
            append_terminal_escaped(scratch, w->pod_uid.substr(0, 8));
        } else {
            scratch.push_back('-');
        }
        std::string_view text(scratch.data(), scratch.size());
        size_t cols = display_width(text);
        if (cols > workload_width) {
            // Keep the start and the end: kube-system/coredns-5d78…-x7k2p.
            size_t head_cols = (workload_width - 1) / 2, tail_cols = workload_width - 1 - head_cols;
            size_t head = 0, used = 0;
            walk(text, [&](size_t at, size_t len, size_t c) {
                if (used + c > head_cols)
                    return false;
                used += c;
                head = at + len;
                return true;
            });
            size_t tail = text.size(), seen = 0;
            walk(text, [&](size_t at, size_t, size_t c) {
                if (cols - seen <= tail_cols && at >= head) {
                    tail = at;
                    return false;
                }
                seen += c;
                return true;
            });
            size_t from = b.size();
            put(b, text.substr(0, head));
            put(b, cut_marker);
            put(b, text.substr(tail));
            cols = display_width(std::string_view(b.data() + from, b.size() - from));
        } else {
            put(b, text);
        }
        pad(b, cols < workload_width ? workload_width - cols : 0);
        b.push_back(' ');
    }

    // mem.pressure: true when the row says something new: the first
    // sample of a file, a crossing of --pressure-threshold, availability
    // changed, or an average changed at the printed precision.
    bool pressure_news()
    {
        std::string_view path = record.s("path");
        PressureSeen* seen = nullptr;
        for (PressureSeen& p : pressure)
            if (p.path == path)
                seen = &p;
        bool news = seen == nullptr || record.s("trigger") != "interval";
        if (!seen) {
            pressure.push_back(PressureSeen{std::string(path), false, {}});
            seen = &pressure.back();
        }
        bool available = record.b("available");
        news = news || available != seen->available;
        seen->available = available;
        for (size_t k = 0; k < 6; ++k) {
            const TableItem* item = record.find(pressure_keys[k]);
            int64_t v = item && item->kind == TableItem::decimal ? item->number : -1;
            news = news || v != seen->values[k];
            seen->values[k] = v;
        }
        return news;
    }
};

TableWriter::TableWriter(Output& out, WallClock clock, TableOptions options)
    : out_(out), impl_(std::make_unique<Impl>())
{
    impl_->clock = clock;
    impl_->options = options;
    if (options.width_fd >= 0)
        if (unsigned w = terminal_width(options.width_fd))
            impl_->options.width = w;
    impl_->row.reserve(1024);
}

TableWriter::~TableWriter() = default;

void TableWriter::header()
{
    if (impl_->header_out)
        return;
    impl_->header_out = true;
    impl_->write_header(out_.buffer());
}

void TableWriter::begin(std::string_view type, const Common& common)
{
    Impl& m = *impl_;
    m.record.clear();
    m.depth = 0;
    // Copies that live until the next record (assign() reuses capacity).
    m.type_text.assign(type);
    m.comm_text.assign(common.comm);
    m.record.type = m.type_text;
    m.record.common = common;
    m.record.common.comm = m.comm_text;
    if (m.layout == nullptr || m.layout->type != type)
        m.layout = find_table_layout(type);
}

void TableWriter::i64(std::string_view key, int64_t value)
{
    impl_->record.add(TableItem::i64, key, impl_->depth);
    impl_->record.last().number = value;
}

void TableWriter::u64(std::string_view key, uint64_t value)
{
    impl_->record.add(TableItem::u64, key, impl_->depth);
    impl_->record.last().unsigned_number = value;
}

void TableWriter::boolean(std::string_view key, bool value)
{
    impl_->record.add(TableItem::boolean, key, impl_->depth);
    impl_->record.last().number = value;
}

void TableWriter::null(std::string_view key)
{
    impl_->record.add(TableItem::null, key, impl_->depth);
}

void TableWriter::str(std::string_view key, std::string_view value)
{
    impl_->record.add(TableItem::str, key, impl_->depth);
    TableItem& item = impl_->record.last();
    impl_->record.copy(value, item.text_at, item.text_size);
}

void TableWriter::name(std::string_view key, std::string_view value)
{
    impl_->record.add(TableItem::name, key, impl_->depth);
    TableItem& item = impl_->record.last();
    impl_->record.copy(value, item.text_at, item.text_size);
}

void TableWriter::decimal(std::string_view key, int64_t scaled_value, unsigned places)
{
    impl_->record.add(TableItem::decimal, key, impl_->depth);
    impl_->record.last().number = scaled_value;
    impl_->record.last().places = static_cast<uint8_t>(places);
}

void TableWriter::begin_array(std::string_view key)
{
    impl_->record.add(TableItem::array, key, impl_->depth++);
}

void TableWriter::element(std::string_view value)
{
    impl_->record.add(TableItem::element, {}, impl_->depth);
    TableItem& item = impl_->record.last();
    impl_->record.copy(value, item.text_at, item.text_size);
}

void TableWriter::end_array()
{
    if (impl_->depth > 0)
        --impl_->depth;
    impl_->record.add(TableItem::close, {}, impl_->depth);
}

void TableWriter::begin_object(std::string_view key)
{
    impl_->record.add(TableItem::object, key, impl_->depth++);
}

void TableWriter::end_object()
{
    end_array();
}

void TableWriter::end()
{
    Impl& m = *impl_;
    std::string_view type = m.record.type;
    if (type == "mem.pressure" && !m.pressure_news())
        return;
    header();

    auto& b = out_.buffer();
    size_t from = b.size();
    m.write_time(b, m.clock.to_wall_ns(m.record.common.ts_boot_ns));
    b.push_back(' ');
    std::string_view event = type;
    if (m.layout)
        event = m.options.areas_shown ? m.layout->event_in_all : m.layout->event;
    put(b, event);
    size_t ew = m.event_column();
    pad(b, event.size() < ew ? ew - event.size() : 0);
    b.push_back(' ');
    fmt::format_int pid(m.record.common.pid);
    pad(b, pid.size() < 7 ? 7 - pid.size() : 0);
    b.append(pid.data(), pid.data() + pid.size());
    b.push_back(' ');
    size_t comm_from = b.size();
    // Any process can name itself "x file.open 1" (prctl PR_SET_NAME): a
    // name with a space is quoted, so it cannot pass for the next columns.
    std::string_view comm = m.record.common.comm;
    append_terminal_escaped(b, comm, comm.find(' ') != std::string_view::npos);
    size_t comm_cols = display_width(std::string_view(b.data() + comm_from, b.size() - comm_from));
    pad(b, comm_cols < 15 ? 15 - comm_cols : 0);
    b.push_back(' ');
    if (m.options.workload_column)
        m.write_workload(b, m.record.common.workload);

    TableRow row(b, m.options.color);
    if (m.layout && m.layout->write)
        m.layout->write(m.record, row);
    else
        write_generic(m.record, find_record(type), row);
    row.finish();
    // No trailing blanks when a record has nothing to add.
    while (b.size() > from && b.data()[b.size() - 1] == ' ')
        b.resize(b.size() - 1);
    m.fit(b, from, row.elastic_at(), row.elastic_end(), row.head_percent());
    b.push_back('\n');
    out_.record_done();
}

void TableWriter::flush()
{
    out_.flush();
    if (impl_->options.width_fd >= 0)
        if (unsigned w = terminal_width(impl_->options.width_fd))
            impl_->options.width = w;
}

}  // namespace tapio
