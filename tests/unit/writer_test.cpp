// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <string>

#include "escape.h"
#include "tapio/writer.h"

using nlohmann::json;
using namespace tapio;

namespace {

// Captures what a writer emits through a pipe-less Output: we read the
// buffer before flush.
struct Captured {
    Output out{-1};
    std::string take()
    {
        std::string s(out.buffer().data(), out.buffer().size());
        out.buffer().clear();
        return s;
    }
};

Common sample_common(std::string_view comm)
{
    Common c;
    c.ts_boot_ns = 1'000'000'123;
    c.pid = 42;
    c.tid = 43;
    c.ppid = 1;
    c.uid = 1000;
    c.cgroup_id = 77;
    c.comm = comm;
    return c;
}

}  // namespace

TEST_CASE("JSON writer: common fields, types and nesting parse back")
{
    Captured cap;
    // Boot time 1s maps to 2026-11-25T00:00:00Z.
    JsonWriter w(cap.out, WallClock(1764028800LL * 1000000000LL - 1000000000LL));
    w.begin("proc.exec", sample_common("bash"));
    w.str("filename", "/bin/ls");
    w.begin_array("args");
    w.element("ls");
    w.element("-l");
    w.end_array();
    w.boolean("args_truncated", false);
    w.i64("ret", -2);
    w.name("error", "ENOENT");
    w.null("signal");
    w.begin_object("lost");
    w.u64("proc.exec", 3);
    w.end_object();
    w.begin_array("rows");
    w.begin_object({});
    w.u64("a", 1);
    w.end_object();
    w.begin_object({});
    w.u64("a", 2);
    w.end_object();
    w.end_array();
    w.u64("big", UINT64_MAX);
    w.end();
    std::string line = cap.take();
    REQUIRE(line.back() == '\n');
    REQUIRE(std::count(line.begin(), line.end(), '\n') == 1);
    json j = json::parse(line);
    CHECK(j["ts"] == "2025-11-25T00:00:00.000000123Z");
    CHECK(j["type"] == "proc.exec");
    CHECK(j["pid"] == 42);
    CHECK(j["tid"] == 43);
    CHECK(j["ppid"] == 1);
    CHECK(j["uid"] == 1000);
    CHECK(j["comm"] == "bash");
    CHECK(j["cgroup_id"] == 77);
    CHECK(j["args"] == json::array({"ls", "-l"}));
    CHECK(j["ret"] == -2);
    CHECK(j["error"] == "ENOENT");
    CHECK(j["signal"].is_null());
    CHECK(j["lost"]["proc.exec"] == 3);
    CHECK(j["rows"][1]["a"] == 2);
    CHECK(j["big"] == UINT64_MAX);
    // Key order is stable: the common fields come first.
    CHECK(line.rfind("{\"ts\":", 0) == 0);
}

TEST_CASE("JSON writer: hostile strings stay valid JSON")
{
    const std::string cases[] = {
        std::string("quote\" back\\ slash"),
        std::string("nl\ncr\rtab\tbs\bff\f"),
        std::string("nul\0inside", 10),
        std::string("\x1b[2J\x1b]0;title\x07"),
        std::string("del\x7f c1\xc2\x9b csi"),
        std::string("bad utf8 \xff\xfe \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 trunc\xe2\x82"),
        std::string("ok utf8 é ✓ 😀"),
    };
    for (const auto& s : cases) {
        Captured cap;
        JsonWriter w(cap.out, WallClock(0));
        w.begin("t.x", sample_common(s));
        w.str("path", s);
        w.begin_array("args");
        w.element(s);
        w.end_array();
        w.end();
        std::string line = cap.take();
        CAPTURE(line);
        json j;
        REQUIRE_NOTHROW(j = json::parse(line));
        // No raw control byte survives, not even ESC or a C1 CSI.
        for (unsigned char ch : line.substr(0, line.size() - 1)) {
            CHECK(ch >= 0x20);
            CHECK(ch != 0x7f);
        }
        CHECK(line.find("\xc2\x9b") == std::string::npos);
        CHECK(j["path"] == j["comm"]);
    }
    Captured cap;
    JsonWriter w(cap.out, WallClock(0));
    w.begin("t.x", sample_common("x"));
    w.str("s", std::string("a\0b\x1b\xff\xc2\x9b é", 10));
    w.end();
    json j = json::parse(cap.take());
    CHECK(j["s"] == std::string("a\0b\x1b\xef\xbf\xbd\xc2\x9b \xc3\xa9", 12));
}

TEST_CASE("terminal escaping never passes control bytes")
{
    fmt::memory_buffer b;
    append_terminal_escaped(b,
                            "a\x1b[31mb\nc\\d\xff\xc2\x9b"
                            "e é");
    std::string s(b.data(), b.size());
    CHECK(s == "a\\x1b[31mb\\nc\\\\d\\xff\\u{9b}e é");
    b.clear();
    append_terminal_escaped(b, "two words", true);
    CHECK(std::string(b.data(), b.size()) == "\"two words\"");
    b.clear();
    append_terminal_escaped(b, "", true);
    CHECK(std::string(b.data(), b.size()) == "\"\"");
    // Blank code points look like a space: written as escapes.
    b.clear();
    append_terminal_escaped(b,
                            "a\xc2\xa0"
                            "b\xe2\x80\x83"
                            "c\xe3\x80\x80"
                            "d\xe2\xa0\x80"
                            "e\xe3\x85\xa4"
                            "f");
    CHECK(std::string(b.data(), b.size()) == "a\\u{a0}b\\u{2003}c\\u{3000}d\\u{2800}e\\u{3164}f");
}

TEST_CASE("table writer: header once, fixed columns, escaped values")
{
    Captured cap;
    TableWriter w(cap.out, WallClock(0));
    w.begin("proc.exec", sample_common("evil\x1b[2J"));
    w.str("filename", "/tmp/a b");
    w.i64("ret", 0);
    w.end();
    w.begin("proc.exit", sample_common("sh"));
    w.i64("exit_code", 7);
    w.end();
    std::string text = cap.take();
    auto first_nl = text.find('\n');
    std::string header = text.substr(0, first_nl);
    CHECK(header.find("TIME") == 0);
    CHECK(header.find("EVENT") != std::string::npos);
    CHECK(header.find("COMM") != std::string::npos);
    CHECK(std::count(text.begin(), text.end(), '\n') == 3);
    CHECK(text.find('\x1b') == std::string::npos);
    CHECK(text.find("evil\\x1b[2J") != std::string::npos);
    CHECK(text.find(" '/tmp/a b'\n") != std::string::npos);
    CHECK(text.find(" exit 7\n") != std::string::npos);
}

TEST_CASE("Output remembers a closed pipe")
{
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    close(fds[0]);
    signal(SIGPIPE, SIG_IGN);
    Output out(fds[1]);
    out.buffer().append(std::string_view("hello\n"));
    CHECK_FALSE(out.flush());
    CHECK(out.closed());
    close(fds[1]);
}

TEST_CASE("Output tells a failed write (disk full) from a closed pipe")
{
    int fd = open("/dev/full", O_WRONLY);
    REQUIRE(fd >= 0);
    Output out(fd);
    out.buffer().append(std::string_view("hello\n"));
    CHECK_FALSE(out.flush());
    CHECK(out.error() == ENOSPC);
    close(fd);

    int fds[2];
    REQUIRE(pipe(fds) == 0);
    close(fds[0]);
    signal(SIGPIPE, SIG_IGN);
    Output piped(fds[1]);
    piped.buffer().append(std::string_view("hello\n"));
    CHECK_FALSE(piped.flush());
    CHECK(piped.closed());
    CHECK(piped.error() == 0);
    close(fds[1]);
}

namespace {

// Writes `levels` nested objects a0 ... a(levels-1), each holding an array
// before the next level, the innermost two numbers, and one field after
// them all: every level must open, separate and close as at the top.
template <typename Writer>
std::string write_nested(int levels)
{
    Captured cap;
    Writer w(cap.out, WallClock(0));
    w.begin("t.deep", sample_common("x"));
    w.u64("before", 1);
    for (int i = 0; i < levels; ++i) {
        w.begin_object("a" + std::to_string(i));
        w.begin_array("list");
        w.element("p");
        w.element("q");
        w.end_array();
    }
    w.u64("x", 1);
    w.u64("y", 2);
    for (int i = 0; i < levels; ++i)
        w.end_object();
    w.u64("after", 3);
    w.end();
    return cap.take();
}

}  // namespace

TEST_CASE("JSON writer: nesting deeper than 8 levels stays valid")
{
    const int levels = 12;
    std::string line = write_nested<JsonWriter>(levels);
    CAPTURE(line);
    json j;
    REQUIRE_NOTHROW(j = json::parse(line));
    CHECK(j["before"] == 1);
    CHECK(j["after"] == 3);
    const json* level = &j;
    for (int i = 0; i < levels; ++i) {
        level = &(*level)["a" + std::to_string(i)];
        CHECK((*level)["list"] == json::array({"p", "q"}));
    }
    CHECK((*level)["x"] == 1);
    CHECK((*level)["y"] == 2);
    CHECK(level->size() == 3);
}

TEST_CASE("table writer: nesting deeper than 8 levels separates and closes every level")
{
    const int levels = 12;
    std::string text = write_nested<TableWriter>(levels);
    std::string row = text.substr(text.find('\n') + 1);
    std::string expected = "before=1 ";
    for (int i = 0; i < levels; ++i)
        expected += "a" + std::to_string(i) + "={list=[p,q],";
    expected += "x=1,y=2";
    expected += std::string(levels, '}');
    expected += " after=3\n";
    CHECK(row.substr(row.find("before=")) == expected);
}
