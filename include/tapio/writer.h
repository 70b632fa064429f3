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

    // Once stop(ctx) says the run is ending (a signal interrupts a write
    // blocked on a stalled reader), writing never blocks: a reader that
    // makes no room within 50 ms is given up on, and what is left, now and
    // in every later flush, is counted in unwritten() and dropped.
    void stop_on_interrupt(bool (*stop)(void*), void* ctx)
    {
        stop_ = stop;
        stop_ctx_ = ctx;
    }
    bool abandoned() const { return abandoned_; }
    // Writers call it after each record: past chunk_bytes buffered, writes
    // them (a drain of a full ring after a stalled reader resumes holds at
    // most this much, not the whole ring). Not for fd -1 (tests' buffers).
    static constexpr size_t chunk_bytes = 256 * 1024;
    void record_done()
    {
        if (buf_.size() >= chunk_bytes && fd_ >= 0)
            flush();
    }
    uint64_t unwritten() const { return unwritten_; }

private:
    bool stopping() const { return stop_ && stop_(stop_ctx_); }

    int fd_;
    bool closed_ = false;
    bool abandoned_ = false;
    int error_ = 0;
    uint64_t unwritten_ = 0;
    bool (*stop_)(void*) = nullptr;
    void* stop_ctx_ = nullptr;
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

// How a record looks as a JSON line. Defined in writer.cpp.
struct JsonFormat;

// The JSON lines writer: each RecordSink call streams straight into the
// output buffer. Format supplies the start and end of a record, a separator
// and a key, a null, a string, a name; it is resolved at compile time, so a
// field costs the one virtual call into the sink and no more. (The table is
// TableWriter below: it needs a whole record before it can lay out a row.)
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
    bool started_ = false;  // a record was written
    // Only the innermost level's state is kept: a container is opened by a
    // key, which already marked its parent as having a field, so closing it
    // always returns to a level whose next field needs a separator. Depth is
    // a count, not a stack: any nesting works.
    bool first_ = true;
    uint32_t depth_ = 0;
};

using JsonWriter = TextWriter<JsonFormat>;

extern template class TextWriter<JsonFormat>;

// How the table's TIME column reads.
enum class TimeMode : uint8_t {
    local,     // 15:55:33.123, local time (the default)
    utc,       // 15:55:33.123Z
    rfc3339,   // 2026-11-25T15:55:33.123Z
    relative,  // +12.345, seconds since start_wall_ns
};

struct TableOptions {
    // Display columns a row may take; 0: no limit (piped). A longer row has
    // its last column cut and ends in "…"; a row never wraps.
    unsigned width = 0;
    // A terminal to read the width from (TIOCGWINSZ) at every flush, so a
    // resized window takes effect; -1: width stays as given.
    int width_fd = -1;
    bool color = false;  // errors, kills and drops in colour (ANSI SGR)
    TimeMode time = TimeMode::local;
    int64_t start_wall_ns = 0;  // TimeMode::relative: time zero
    // More than one area: the EVENT column names the area (proc.exec)
    // rather than the event alone (exec).
    bool areas_shown = false;
    // A CONTAINER column after COMM: namespace/pod, else the container's
    // name or short id ("-" for none). For hosts that run containers.
    bool workload_column = false;
};

// The table: TIME EVENT PID COMM, then what the record type says, in
// its own layout (src/table_layouts.cpp): the fields an operator scans
// first, human units, errors and signals only when there are any, the
// variable-length value (argv, a path, addresses) last. Each record is
// captured into storage reused from one record to the next, then formatted
// at end(): no heap allocation per record once the buffers have grown.
class TableWriter final : public RecordSink {
public:
    TableWriter(Output& out, WallClock clock, TableOptions options = {});
    ~TableWriter() override;
    TableWriter(const TableWriter&) = delete;
    TableWriter& operator=(const TableWriter&) = delete;

    // Writes the header line now, if it is not out yet (the first record
    // writes it otherwise).
    void header();

    void begin(std::string_view type, const Common& common) override;
    void i64(std::string_view key, int64_t value) override;
    void u64(std::string_view key, uint64_t value) override;
    void boolean(std::string_view key, bool value) override;
    void null(std::string_view key) override;
    void str(std::string_view key, std::string_view value) override;
    void name(std::string_view key, std::string_view value) override;
    void decimal(std::string_view key, int64_t scaled, unsigned places) override;
    void begin_array(std::string_view key) override;
    void element(std::string_view value) override;
    void end_array() override;
    void begin_object(std::string_view key) override;
    void end_object() override;
    void end() override;
    void flush() override;

    struct Impl;

private:
    Output& out_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tapio
