// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "tapio/writer.h"

#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "escape.h"

namespace tapio {

bool Output::flush()
{
    const char* p = buf_.data();
    size_t left = buf_.size();
    while (left > 0 && !closed_ && !abandoned_) {
        size_t chunk = left;
        if (stopping()) {
            // The run is ending: the reader gets 50 ms to make room, and no
            // write may block (one of at most PIPE_BUF bytes fits once poll
            // says there is room); a stalled reader is given up on.
            pollfd pfd{fd_, POLLOUT, 0};
            if (poll(&pfd, 1, 50) <= 0 || !(pfd.revents & POLLOUT)) {
                abandoned_ = true;
                break;
            }
            chunk = std::min<size_t>(left, 4096);
        }
        ssize_t n = ::write(fd_, p, chunk);
        if (n < 0) {
            if (errno == EINTR)
                continue;  // a stop request: the next round sees it
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                // A non-blocking stdout handed down by the parent: wait for room.
                pollfd pfd{fd_, POLLOUT, 0};
                poll(&pfd, 1, 1000);
                continue;
            }
            // EPIPE: the reader went away, the quiet end of `| head`.
            // Anything else (ENOSPC, EIO) is a failure the caller reports.
            if (errno != EPIPE)
                error_ = errno;
            closed_ = true;
            break;
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
    if (abandoned_)
        unwritten_ += left;
    buf_.clear();
    return !closed_;
}

namespace {

// memcpy into resized space: for literals the size is a constant and the
// copy is inlined, which fmt's out-of-line append() is not.
inline void put(fmt::memory_buffer& b, std::string_view s)
{
    size_t n = b.size();
    b.resize(n + s.size());
    std::memcpy(b.data() + n, s.data(), s.size());
}

inline void put(fmt::memory_buffer& b, char c)
{
    size_t n = b.size();
    b.resize(n + 1);
    b.data()[n] = c;
}

inline void put_u(fmt::memory_buffer& b, uint64_t v)
{
    fmt::format_int text(v);
    b.append(text.data(), text.data() + text.size());
}

// The text before a number (its key), then the number.
inline void put_u(fmt::memory_buffer& b, std::string_view before, uint64_t v)
{
    put(b, before);
    put_u(b, v);
}

inline void put_i(fmt::memory_buffer& b, int64_t v)
{
    fmt::format_int text(v);
    b.append(text.data(), text.data() + text.size());
}

void append_digits(char* at, unsigned value, int width)
{
    for (int i = width - 1; i >= 0; --i) {
        at[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
}

int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// a mod b in [0, b) for b > 0; a - floor_div(a, b) * b would overflow
// near INT64_MIN.
int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return r < 0 ? r + b : r;
}

}  // namespace

void TimeFormatter::rfc3339(fmt::memory_buffer& out, int64_t wall_ns)
{
    int64_t sec = floor_div(wall_ns, 1000000000);
    auto frac = static_cast<unsigned>(floor_mod(wall_ns, 1000000000));
    if (sec != utc_second_) {
        time_t t = static_cast<time_t>(sec);
        tm parts{};
        gmtime_r(&t, &parts);
        append_digits(utc_prefix_, static_cast<unsigned>(parts.tm_year + 1900), 4);
        utc_prefix_[4] = '-';
        append_digits(utc_prefix_ + 5, static_cast<unsigned>(parts.tm_mon + 1), 2);
        utc_prefix_[7] = '-';
        append_digits(utc_prefix_ + 8, static_cast<unsigned>(parts.tm_mday), 2);
        utc_prefix_[10] = 'T';
        append_digits(utc_prefix_ + 11, static_cast<unsigned>(parts.tm_hour), 2);
        utc_prefix_[13] = ':';
        append_digits(utc_prefix_ + 14, static_cast<unsigned>(parts.tm_min), 2);
        utc_prefix_[16] = ':';
        append_digits(utc_prefix_ + 17, static_cast<unsigned>(parts.tm_sec), 2);
        utc_prefix_[19] = '.';
        utc_second_ = sec;
    }
    size_t n = out.size();
    out.resize(n + 30);
    char* text = out.data() + n;
    std::memcpy(text, utc_prefix_, 20);
    append_digits(text + 20, frac, 9);
    text[29] = 'Z';
}

void TimeFormatter::clock_ms(fmt::memory_buffer& out, int64_t wall_ns)
{
    int64_t sec = floor_div(wall_ns, 1000000000);
    auto ms = static_cast<unsigned>(floor_mod(wall_ns, 1000000000) / 1000000);
    if (sec != local_second_) {
        time_t t = static_cast<time_t>(sec);
        tm parts{};
        localtime_r(&t, &parts);
        append_digits(local_prefix_, static_cast<unsigned>(parts.tm_hour), 2);
        local_prefix_[2] = ':';
        append_digits(local_prefix_ + 3, static_cast<unsigned>(parts.tm_min), 2);
        local_prefix_[5] = ':';
        append_digits(local_prefix_ + 6, static_cast<unsigned>(parts.tm_sec), 2);
        local_second_ = sec;
    }
    char text[12];
    std::copy(local_prefix_, local_prefix_ + 8, text);
    text[8] = '.';
    append_digits(text + 9, ms, 3);
    out.append(text, text + 12);
}

// ---- JSON lines ----
// A separator and a key come with every field: they are forced inline, since
// with fmt header-only this file is large enough that the compiler's growth
// limit would otherwise decide, and cost the JSON path a call per field.

struct JsonFormat {
    // Writes the common fields; true: the next field needs a separator.
    static bool begin(fmt::memory_buffer& b, TimeFormatter& time, int64_t wall_ns, std::string_view type,
                      const Common& c, bool /*started*/)
    {
        put(b, "{\"ts\":\"");
        time.rfc3339(b, wall_ns);
        put(b, "\",\"type\":\"");
        put(b, type);
        put_u(b, "\",\"pid\":", c.pid);
        put_u(b, ",\"tid\":", c.tid);
        put_u(b, ",\"ppid\":", c.ppid);
        put_u(b, ",\"uid\":", c.uid);
        put(b, ",\"comm\":\"");
        append_json_escaped(b, c.comm);
        put_u(b, "\",\"cgroup_id\":", c.cgroup_id);
        if (c.workload)
            workload(b, *c.workload);
        return true;
    }
    // Only the fields known; names from the file system are escaped too.
    static void workload(fmt::memory_buffer& b, const Workload& w)
    {
        if (!w.json_members.empty())
            put(b, w.json_members);
        else
            append_workload_json(b, w);
    }
    [[gnu::always_inline]] static void separator(fmt::memory_buffer& b, uint32_t /*depth*/) { put(b, ','); }
    [[gnu::always_inline]] static void key(fmt::memory_buffer& b, std::string_view k)
    {
        // Keys are snake_case literals from our own code: no escaping needed.
        size_t n = b.size();
        b.resize(n + k.size() + 3);
        char* p = b.data() + n;
        p[0] = '"';
        std::memcpy(p + 1, k.data(), k.size());
        p[k.size() + 1] = '"';
        p[k.size() + 2] = ':';
    }
    static void null(fmt::memory_buffer& b) { b.append(std::string_view("null")); }
    static void str(fmt::memory_buffer& b, std::string_view v)
    {
        put(b, '"');
        append_json_escaped(b, v);
        put(b, '"');
    }
    static void name(fmt::memory_buffer& b, std::string_view v)
    {
        put(b, '"');
        put(b, v);
        put(b, '"');
    }
    static void end(fmt::memory_buffer& b) { put(b, "}\n"); }
};

// ---- what both writers share ----

template <typename Format>
void TextWriter<Format>::begin(std::string_view type, const Common& c)
{
    depth_ = 0;
    first_ = !Format::begin(out_.buffer(), time_, clock_.to_wall_ns(c.ts_boot_ns), type, c, started_);
    started_ = true;
}

template <typename Format>
void TextWriter<Format>::key(std::string_view k)
{
    auto& b = out_.buffer();
    if (!first_)
        Format::separator(b, depth_);
    first_ = false;
    if (!k.empty())
        Format::key(b, k);
}

template <typename Format>
void TextWriter<Format>::i64(std::string_view k, int64_t v)
{
    key(k);
    put_i(out_.buffer(), v);
}

template <typename Format>
void TextWriter<Format>::u64(std::string_view k, uint64_t v)
{
    key(k);
    put_u(out_.buffer(), v);
}

template <typename Format>
void TextWriter<Format>::decimal(std::string_view k, int64_t scaled, unsigned places)
{
    key(k);
    char text[32];
    int n = format_decimal(text, sizeof(text), scaled, places);
    if (n > 0)
        out_.buffer().append(std::string_view(text, static_cast<size_t>(n)));
}

template <typename Format>
void TextWriter<Format>::boolean(std::string_view k, bool v)
{
    key(k);
    out_.buffer().append(v ? std::string_view("true") : std::string_view("false"));
}

template <typename Format>
void TextWriter<Format>::null(std::string_view k)
{
    key(k);
    Format::null(out_.buffer());
}

template <typename Format>
void TextWriter<Format>::str(std::string_view k, std::string_view v)
{
    key(k);
    Format::str(out_.buffer(), v);
}

template <typename Format>
void TextWriter<Format>::name(std::string_view k, std::string_view v)
{
    key(k);
    Format::name(out_.buffer(), v);
}

template <typename Format>
void TextWriter<Format>::element(std::string_view v)
{
    key({});
    Format::str(out_.buffer(), v);
}

template <typename Format>
void TextWriter<Format>::open(std::string_view k, char bracket)
{
    key(k);
    out_.buffer().push_back(bracket);
    first_ = true;
    ++depth_;
}

template <typename Format>
void TextWriter<Format>::close(char bracket)
{
    out_.buffer().push_back(bracket);
    first_ = false;
    if (depth_ > 0)
        --depth_;
}

template <typename Format>
void TextWriter<Format>::end()
{
    Format::end(out_.buffer());
    out_.record_done();
}

template class TextWriter<JsonFormat>;

}  // namespace tapio
