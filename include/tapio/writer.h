// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Writers turn the event stream into bytes on a file descriptor: JSON lines
// or a human table. Both buffer a whole drain and write it at flush().
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <memory>

#include "tapio/clock.h"
#include "tapio/sink.h"

namespace tapio {

// Buffered output to a file descriptor; remembers a closed pipe so the
// collector can end quietly (`| head -1`).
class Output {
public:
    explicit Output(int fd) : fd_(fd) { buf_.reserve(1 << 16); }
    fmt::memory_buffer& buffer() { return buf_; }
    // Writes what is buffered; false once writing has stopped: the reader
    // went away (closed(), EPIPE) or the write failed (error(), e.g. ENOSPC).
    bool flush();
    bool closed() const { return closed_; }
    // errno of a failed write, 0 if none; a closed pipe is not an error.
    int error() const { return error_; }

private:
    int fd_;
    bool closed_ = false;
    int error_ = 0;
    fmt::memory_buffer buf_;
};

// Formats seconds of wall-clock time, caching the date part per second.
class TimeFormatter {
public:
    // "2026-11-25T15:55:33.123456789Z"
    void rfc3339(fmt::memory_buffer& out, int64_t wall_ns);
    // "15:55:33.123", local time
    void clock_ms(fmt::memory_buffer& out, int64_t wall_ns);

private:
    int64_t utc_second_ = INT64_MIN;
    char utc_prefix_[20] = {};
    int64_t local_second_ = INT64_MIN;
    char local_prefix_[9] = {};
};

// How a record looks: JSON lines, or a table row. Defined in writer.cpp.
struct JsonFormat;
struct TableFormat;

// The JSON lines and the table writer: one class, so what they share (the
// output, the clock, where a field stands in its record, numbers, booleans,
// arrays and objects) is written once, and Format supplies only what differs
// (the start and end of a record, a separator and a key, a null, a string, a
// name). Format is resolved at compile time: a field costs the one virtual
// call into the sink and no more.
template <typename Format>
class TextWriter final : public RecordSink {
public:
    TextWriter(Output& out, WallClock clock) : out_(out), clock_(clock) {}

    void begin(std::string_view type, const Common& common) override;
    void i64(std::string_view key, int64_t value) override;
    void u64(std::string_view key, uint64_t value) override;
    void boolean(std::string_view key, bool value) override;
    void null(std::string_view key) override;
    void str(std::string_view key, std::string_view value) override;
    void name(std::string_view key, std::string_view value) override;
    void decimal(std::string_view key, int64_t scaled, unsigned places) override;
    void begin_array(std::string_view key) override { open(key, '['); }
    void element(std::string_view value) override;
    void end_array() override { close(']'); }
    void begin_object(std::string_view key) override { open(key, '{'); }
    void end_object() override { close('}'); }
    void end() override;
    void flush() override { out_.flush(); }

private:
    // The separator a field needs, then its key (none for an element).
    void key(std::string_view k);
    // An array or object: its key, its bracket, a level deeper.
    void open(std::string_view k, char bracket);
    void close(char bracket);

    Output& out_;
    WallClock clock_;
    TimeFormatter time_;
    bool started_ = false;  // a record was written (the table's header is out)
    // Only the innermost level's state is kept: a container is opened by a
    // key, which already marked its parent as having a field, so closing it
    // always returns to a level whose next field needs a separator. Depth is
    // a count, not a stack: any nesting works.
    bool first_ = true;
    uint32_t depth_ = 0;
};

using JsonWriter = TextWriter<JsonFormat>;
// TIME  TYPE  PID  COMM  DETAILS, where DETAILS is key=value pairs.
using TableWriter = TextWriter<TableFormat>;

extern template class TextWriter<JsonFormat>;
extern template class TextWriter<TableFormat>;

}  // namespace tapio
