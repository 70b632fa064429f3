// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// libFuzzer target: a ring-buffer record (bpf/events.h: struct tt_header,
// then the body) through decode_record() into the JSON writer and the
// table; and the same bytes through the escapers (src/escape.h).
//
// Input: 4 option bytes, then the record.
//   [0] bits 0-1 table --time mode, bit 2 colour, bit 3 EVENT with its area,
//       bit 4 CONTAINER column, bits 5-7 the wall clock offset (see below)
//   [1] table width: 0 none, else 20 + value
//   [2] DecodeOptions::max_args
//   [3] bits 0-1 the table's start time for --time relative
// Asserted: every JSON line parses (nlohmann, which checks UTF-8 too) and
// holds no raw control byte; every table line holds no control byte but
// colour when colour is on; the escapers' output likewise.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "check_text.h"
#include "decode.h"
#include "escape.h"
#include "tapio/writer.h"

namespace {

using fuzz::fail;

constexpr int64_t epoch = 1764086133LL * 1000000000LL;

int64_t pick_time(unsigned which)
{
    constexpr int64_t times[8] = {0, epoch, -epoch, INT64_MIN, INT64_MAX, 1, -1, epoch / 3};
    return times[which & 7];
}

void check_json(std::string_view text)
{
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            fail("JSON output not ended by a newline", text);
        std::string_view line = text.substr(start, end - start);
        for (char c : line)
            if (static_cast<uint8_t>(c) < 0x20)
                fail("raw control byte in a JSON line", line);
        auto parsed = nlohmann::json::parse(line, nullptr, false);
        if (parsed.is_discarded() || !parsed.is_object())
            fail("JSON line does not parse as an object", line);
        start = end + 1;
    }
}

void check_table(std::string_view text, bool colour)
{
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            fail("table output not ended by a newline", text);
        fuzz::check_terminal_text(text.substr(start, end - start), colour, text.substr(start, end - start));
        start = end + 1;
    }
}

void escapers(std::string_view s)
{
    fmt::memory_buffer json;
    json.push_back('"');
    tapio::append_json_escaped(json, s);
    json.push_back('"');
    std::string_view j(json.data(), json.size());
    for (char c : j)
        if (static_cast<uint8_t>(c) < 0x20)
            fail("raw control byte from append_json_escaped", j);
    auto parsed = nlohmann::json::parse(j, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_string())
        fail("append_json_escaped output is no JSON string", j);
    // Valid UTF-8 without escapes comes back exactly.
    for (bool quote : {false, true}) {
        fmt::memory_buffer t;
        tapio::append_terminal_escaped(t, s, quote);
        std::string_view text(t.data(), t.size());
        fuzz::check_terminal_text(text, false, text);
        if (quote && (s.empty() || s.find(' ') != std::string_view::npos) &&
            (text.size() < 2 || text.front() != '"' || text.back() != '"'))
            fail("a value with a space is not quoted", text);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    escapers(std::string_view(reinterpret_cast<const char*>(data), size));
    if (size < 4)
        return 0;
    uint8_t mode = data[0];
    const uint8_t* rec = data + 4;
    size_t rec_size = size - 4;

    tapio::DecodeOptions options;
    options.max_args = data[2];
    tapio::WallClock clock(pick_time(mode >> 5));

    // The record is copied to an exact-size, 8-byte aligned buffer, as the
    // ring buffer hands it over; ASan sees any read past its end.
    std::unique_ptr<uint64_t[]> aligned(new uint64_t[rec_size / 8 + 1]);
    std::memcpy(aligned.get(), rec, rec_size);
    std::string copy(reinterpret_cast<const char*>(rec), rec_size);

    {
        tapio::Output out(-1);
        tapio::JsonWriter w(out, clock);
        tapio::decode_record(aligned.get(), rec_size, options, w);
        check_json(std::string_view(out.buffer().data(), out.buffer().size()));
    }
    {
        tapio::Output out(-1);
        tapio::TableOptions t;
        t.time = static_cast<tapio::TimeMode>(mode & 3);
        t.color = mode & 4;
        t.areas_shown = mode & 8;
        t.workload_column = mode & 16;
        t.width = data[1] ? 20u + data[1] : 0u;
        t.start_wall_ns = pick_time(data[3] + 1);
        tapio::TableWriter w(out, clock, t);
        tapio::decode_record(aligned.get(), rec_size, options, w);
        w.flush();
        check_table(std::string_view(out.buffer().data(), out.buffer().size()), t.color);
    }
    if (std::memcmp(aligned.get(), copy.data(), rec_size) != 0)
        fail("the decoders wrote into the record", copy);
    return 0;
}
