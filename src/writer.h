// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Writers turn the event stream into bytes on a file descriptor: JSON lines
// or a human table. Both buffer a whole drain and write it at flush().
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <memory>

#include "clock.h"
#include "sink.h"

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

class JsonWriter final : public RecordSink {
public:
    JsonWriter(Output& out, WallClock clock) : out_(out), clock_(clock) {}

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
    void flush() override { out_.flush(); }

private:
    void key(std::string_view k);

    Output& out_;
    WallClock clock_;
    TimeFormatter time_;
    // Whether the next member is the first in its object/array, per depth.
    bool first_[8] = {true};
    int depth_ = 0;
};

class TableWriter final : public RecordSink {
public:
    TableWriter(Output& out, WallClock clock) : out_(out), clock_(clock) {}

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
    void flush() override { out_.flush(); }

private:
    void key(std::string_view k);

    Output& out_;
    WallClock clock_;
    TimeFormatter time_;
    bool header_written_ = false;
    bool first_[8] = {true};
    int depth_ = 0;
};

}  // namespace tapio
