// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The table: every record type's row, at 80 and 200 columns and in colour,
// against golden files (tests/unit/golden/); hostile strings included.
// TAPIO_UPDATE_GOLDEN=1 rewrites the golden files from the current output.
#include <arpa/inet.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "fixtures.h"
#include "null_sink.h"
#include "table.h"

using namespace tapio;
using fixtures::make_record;

// Heap allocations of the whole program, counted for the test that the
// table writer makes none per record once its buffers have grown.
namespace {
std::atomic<uint64_t> allocations{0};
}

void* operator new(size_t size)
{
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1))
        return p;
    throw std::bad_alloc();
}

void operator delete(void* p) noexcept
{
    std::free(p);
}

void operator delete(void* p, size_t) noexcept
{
    std::free(p);
}

namespace {

// 2025-11-25T15:55:33Z at boot time 0.
constexpr int64_t epoch = 1764086133LL * 1000000000LL;

template <typename T>
T rec(uint16_t kind, uint64_t ms, uint32_t pid = 4242, const char* comm = "worker")
{
    T r = make_record<T>(kind, pid, comm);
    r.h.ts_ns = ms * 1000000 + 123456;
    r.h.uid = 1000;
    return r;
}

void set_args(tt_proc_exec& r, std::vector<std::string> args)
{
    std::string all;
    for (auto& a : args) {
        all += a;
        all.push_back('\0');
    }
    std::memcpy(r.args, all.data(), all.size());
    r.args_size = static_cast<uint32_t>(all.size());
}

using fixtures::v4;
using fixtures::v6;

template <typename T>
void feed(RecordSink& sink, const T& r)
{
    REQUIRE(decode_record(&r, sizeof(r), DecodeOptions{}, sink));
}

// One of every record type, the ways each can look, and hostile strings.
void write_all(RecordSink& sink)
{
    uint64_t ms = 0;
    {
        auto r = rec<tt_proc_exec>(TT_PROC_EXEC, ms += 7, 4242, "bash");
        std::strcpy(r.filename, "/usr/bin/curl");
        set_args(r, {"curl", "-sS", "--max-time", "5", "https://example.invalid/health"});
        feed(sink, r);
    }
    {
        // Quotes, commas and spaces: the two argvs must not look alike.
        auto r = rec<tt_proc_exec>(TT_PROC_EXEC, ms += 7, 4243, "sh");
        std::strcpy(r.filename, "/bin/true");
        set_args(r, {"true", "a,b", "c d", "it's", ""});
        feed(sink, r);
        set_args(r, {"true", "a", "b", "c"});
        feed(sink, r);
    }
    {
        // Control bytes and invalid UTF-8 in argv and comm.
        auto r = rec<tt_proc_exec>(TT_PROC_EXEC, ms += 7, 4244, "evil\x1b[2J\n");
        std::strcpy(r.filename, "/tmp/x");
        set_args(r, {"x", "\x1b[31mred", "line\nbreak", "bad\xff", "caf\xc3\xa9"});
        feed(sink, r);
    }
    {
        auto r = rec<tt_proc_exec>(TT_PROC_EXEC, ms += 7, 4245, "make");
        r.ret = -2;
        std::strcpy(r.filename, "/usr/local/bin/cc");
        set_args(r, {"cc", "-c", "main.c"});
        feed(sink, r);
    }
    {
        auto r = rec<tt_proc_exec>(TT_PROC_EXEC, ms += 7, 4246, "xargs");
        std::strcpy(r.filename, "/bin/echo");
        std::vector<std::string> many = {"echo"};
        for (int i = 0; i < 19; ++i)
            many.push_back("argument-number-" + std::to_string(i));
        set_args(r, many);
        r.args_flags = TT_EXEC_ARGS_TRUNCATED;
        feed(sink, r);
    }
    {
        auto r = rec<tt_proc_fork>(TT_PROC_FORK, ms += 7, 4242, "bash");
        r.child_pid = 4250;
        r.child_tid = 4250;
        feed(sink, r);
    }
    {
        auto r = rec<tt_proc_exit>(TT_PROC_EXIT, ms += 7, 4250, "curl");
        r.duration_ns = 1234567;
        feed(sink, r);
        r.exit_code = 7 << 8;
        r.duration_ns = 2510000000;
        feed(sink, r);
        r.exit_code = 0x80 | 11;
        r.duration_ns = 75000000000ULL;
        feed(sink, r);
    }
    {
        auto r = rec<tt_proc_signal>(TT_PROC_SIGNAL, ms += 7, 1, "systemd");
        r.target_pid = 4250;
        r.sig = 9;
        feed(sink, r);
        r.sig = 15;
        r.target_tid = 4251;
        r.ret = -3;
        feed(sink, r);
    }
    {
        auto r = rec<tt_proc_setuid>(TT_PROC_SETUID, ms += 7, 900, "sudo");
        r.call = TT_SETRESUID;
        r.ruid = 0;
        r.euid = 0;
        r.suid = TT_UID_UNCHANGED;
        r.ret = -1;
        feed(sink, r);
    }
    {
        Common c;
        c.ts_boot_ns = (ms += 7) * 1000000;
        c.pid = 4242;
        c.tid = 4242;
        c.comm = "nginx: worker";
        SyscallCount rows[] = {{0, 3000, 0, 12300000}, {1, 1200, 45, 800000}, {232, 10, 0, 900}};
        write_syscalls(sink, c, 1000000000, rows, 10);
    }
    {
        auto r = rec<tt_net_connect>(TT_NET_CONNECT, ms += 7, 4250, "curl");
        v4(r.a, "10.0.0.1", 51234, "192.0.2.7", 443);
        r.latency_ns = 1234567;
        feed(sink, r);
        r.error = -111;
        r.latency_ns = 45000;
        feed(sink, r);
    }
    {
        auto r = rec<tt_net_accept>(TT_NET_ACCEPT, ms += 7, 800, "nginx");
        v4(r.a, "10.0.0.1", 443, "198.51.100.20", 40022);
        r.queue_ns = 850;
        feed(sink, r);
    }
    {
        auto r = rec<tt_net_close>(TT_NET_CLOSE, ms += 7, 4250, "curl");
        v4(r.a, "10.0.0.1", 51234, "192.0.2.7", 443);
        r.duration_ns = 2510000000;
        r.bytes_sent = 517;
        r.bytes_received = 49459;
        r.role = TT_NET_ROLE_CLIENT;
        r.closed_by = TT_NET_CLOSED_BY_LOCAL;
        r.closer_pid = 4250;
        feed(sink, r);
        v6(r.a, "2001:db8::1", 443, "2001:db8:ffff:ffff:ffff:ffff:ffff:fffe", 50000);
        r.role = TT_NET_ROLE_SERVER;
        r.closed_by = TT_NET_CLOSED_BY_RESET_RECEIVED;
        r.retransmits = 4;
        r.bytes_sent = 3ULL << 30;
        r.closer_pid = 0;
        feed(sink, r);
    }
    {
        auto r = rec<tt_net_retransmit>(TT_NET_RETRANSMIT, ms += 7, 0, "swapper/0");
        v4(r.a, "10.0.0.1", 51234, "192.0.2.7", 443);
        r.state = 1;
        feed(sink, r);
    }
    {
        auto r = rec<tt_net_reset>(TT_NET_RESET, ms += 7, 0, "");
        v4(r.a, "127.0.0.1", 5000, "127.0.0.1", 40000);
        r.direction = TT_NET_RESET_SENT;
        r.state = 7;
        feed(sink, r);
        r.direction = TT_NET_RESET_RECEIVED;
        r.state = 2;
        feed(sink, r);
    }
    {
        auto r = rec<tt_net_drop>(TT_NET_DROP, ms += 7, 0, "");
        v4(r.a, "10.0.0.1", 8080, "203.0.113.9", 33000);
        r.reason = 0x7fff0000;
        r.direction = TT_NET_DROP_INGRESS;
        feed(sink, r);
    }
    {
        auto r = rec<tt_net_state>(TT_NET_STATE, ms += 7, 4250, "curl");
        v4(r.a, "10.0.0.1", 51234, "192.0.2.7", 443);
        r.old_state = 2;
        r.new_state = 1;
        feed(sink, r);
    }
    {
        auto r = rec<tt_file_open>(TT_FILE_OPEN, ms += 7, 4260, "postgres");
        std::strcpy(r.path, "/var/lib/postgresql/data/pg_wal/0001");
        r.ret = 12;
        r.flags = 01 | 0100 | 02000000;  // O_WRONLY|O_CREAT|O_CLOEXEC
        r.mode = 0600;
        feed(sink, r);
        std::strcpy(r.path, "/dev/null");  // whole, and its flags cut at 80 columns
        r.flags = 01 | 0100 | 01000;
        r.mode = 0666;
        r.ret = 3;
        feed(sink, r);
        std::strcpy(r.path, "/etc/ssl/certs/ca certificates.crt");
        r.ret = -2;
        r.flags = 0;
        feed(sink, r);
        // Names that would pass for the next columns (prctl PR_SET_NAME):
        // quoted, and a no-break space escaped.
        auto spoof = rec<tt_file_open>(TT_FILE_OPEN, ms, 4261, "x file.open 1");
        std::strcpy(spoof.path, "/etc/passwd");
        feed(sink, spoof);
        std::strncpy(spoof.h.comm,
                     "x\xc2\xa0"
                     "file.open\xc2\xa0"
                     "1",
                     sizeof(spoof.h.comm) - 1);
        feed(sink, spoof);
        // A path that keeps its end, with an escape sequence in it.
        std::string tail = "/" + std::string(240, 'd') + "/\x1b]0;pwned\x07.conf";
        std::memset(r.path, 0, sizeof(r.path));
        size_t keep = std::min(tail.size(), sizeof(r.path) - 1);
        std::memcpy(r.path, tail.data() + tail.size() - keep, keep);
        r.path_flags = TT_FILE_PATH_TRUNCATED;
        r.ret = 3;
        feed(sink, r);
    }
    {
        auto r = rec<tt_file_op>(TT_FILE_UNLINK, ms += 7, 4260, "rm");
        std::strcpy(r.path, "/tmp/old file");
        feed(sink, r);
        std::strcpy(r.path, "/tmp/\x1b]0;pwned\x07 \xff");
        feed(sink, r);
        r.h.kind = TT_FILE_RMDIR;
        r.ret = -39;
        std::strcpy(r.path, "/tmp/dir");
        feed(sink, r);
        r.h.kind = TT_FILE_MKDIR;
        r.ret = 0;
        r.mode = 0755;
        std::strcpy(r.path, "/tmp/new");
        feed(sink, r);
        r.h.kind = TT_FILE_CHMOD;
        r.mode = 04755;
        std::strcpy(r.path, "/usr/local/bin/tool");
        feed(sink, r);
        r.h.kind = TT_FILE_TRUNCATE;
        r.length = 1 << 20;
        std::strcpy(r.path, "/var/log/app.log");
        feed(sink, r);
        r.h.kind = TT_FILE_RENAME;
        std::strcpy(r.path, "/etc/app.conf.tmp");
        std::strcpy(r.new_path, "/etc/app.conf");
        feed(sink, r);
    }
    {
        auto r = rec<tt_file_slow>(TT_FILE_SLOW, ms += 7, 4260, "postgres");
        r.op = TT_IO_FSYNC;
        r.fd = 12;
        r.ret = 0;
        r.latency_ns = 48300000;
        std::strcpy(r.path, "/var/lib/postgresql/data/pg_wal/0001");
        feed(sink, r);
        r.op = TT_IO_WRITE;
        r.ret = 8192;
        r.latency_ns = 12300;
        feed(sink, r);
    }
    {
        Common c;
        c.ts_boot_ns = (ms += 7) * 1000000;
        c.pid = 4260;
        c.tid = 4260;
        c.comm = "postgres";
        tt_file_io_key key{};
        key.pid = 4260;
        key.dev = (8 << 20) | 1;
        key.ino = 1234;
        tt_file_io_stat stat{};
        stat.reads = 12;
        stat.bytes_read = 49459;
        stat.writes = 3;
        stat.bytes_written = 1258291;
        stat.latency_ns = 1200000;
        std::strcpy(stat.path, "/var/lib/postgresql/data/base/16384/2619");
        write_file_io(sink, c, 1000000000, FileIoRow{&key, &stat});
    }
    {
        auto r = rec<tt_mem_oom_kill>(TT_MEM_OOM_KILL, ms += 7, 4270, "java");
        r.victim_pid = 4271;
        std::strcpy(r.victim_comm, "java");
        r.anon_rss_kb = 3 << 20;
        r.file_rss_kb = 1024;
        r.shmem_rss_kb = 0;
        r.oom_score_adj = -500;
        r.present =
            TT_OOM_HAS_COMM | TT_OOM_HAS_ANON_RSS | TT_OOM_HAS_FILE_RSS | TT_OOM_HAS_SHMEM_RSS | TT_OOM_HAS_SCORE_ADJ;
        feed(sink, r);
    }
    {
        auto r = rec<tt_mem_reclaim>(TT_MEM_RECLAIM, ms += 7, 4270, "java");
        r.duration_ns = 15600000;
        r.nr_reclaimed = 512;
        r.order = 2;
        feed(sink, r);
    }
    {
        auto r = rec<tt_mem_alloc>(TT_MEM_ALLOC, ms += 7, 4270, "java");
        r.op = TT_ALLOC_MMAP;
        r.size = 64 << 20;
        r.addr = 0x7f1234560000;
        feed(sink, r);
        r.op = TT_ALLOC_MREMAP;
        r.old_addr = 0x7f1234560000;
        r.old_size = 64 << 20;
        r.size = 128 << 20;
        r.addr = 0x7f2000000000;
        feed(sink, r);
        r.op = TT_ALLOC_BRK;
        r.size = 1 << 20;
        r.addr = 0x5555559000;
        r.flags = TT_ALLOC_SHRINK;
        feed(sink, r);
        r.op = TT_ALLOC_MMAP;
        r.flags = 0;
        r.ret = -12;
        feed(sink, r);
    }
    {
        // The same sample twice: the second is not printed; a change is.
        Common c;
        PsiSample s;
        s.has_full = true;
        s.some = {120, 45, 10, 5000};
        PressureReport p{"system", "/proc/pressure/memory", "interval", &s};
        for (int i = 0; i < 2; ++i) {
            c.ts_boot_ns = (ms += 7) * 1000000;
            write_pressure(sink, c, p);
        }
        s.some.total_us = 9000;  // not printed: a total alone is no news
        c.ts_boot_ns = (ms += 7) * 1000000;
        write_pressure(sink, c, p);
        s.some.avg10 = 1234;
        p.trigger = "above";
        p.threshold = 1000;
        c.ts_boot_ns = (ms += 7) * 1000000;
        write_pressure(sink, c, p);
        PressureReport off{"cgroup", "/sys/fs/cgroup/unified/app/memory.pressure", "interval"};
        off.reason = "PSI is off";
        c.ts_boot_ns = (ms += 7) * 1000000;
        write_pressure(sink, c, off);
    }
    {
        Common c;
        c.ts_boot_ns = (ms += 7) * 1000000;
        DropTable drops{};
        drops[TT_NET_CLOSE][TT_DROP_LOST] = 10;
        drops[TT_FILE_OPEN][TT_DROP_LOST] = 2;
        drops[TT_PROC_EXEC][TT_DROP_RATE_LIMITED] = 5;
        write_dropped(sink, c, drops, false);
        write_dropped(sink, c, DropTable{}, true);
    }
}

std::string table_text(TableOptions options)
{
    Output out(-1);
    options.time = TimeMode::utc;
    TableWriter w(out, WallClock(epoch), options);
    write_all(w);
    return std::string(out.buffer().data(), out.buffer().size());
}

std::vector<std::string> split_lines(const std::string& text)
{
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t nl = text.find('\n', start);
        lines.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    return lines;
}

void check_golden(const std::string& name, const std::string& text)
{
    std::string path = std::string(TAPIO_SOURCE_DIR) + "/tests/unit/golden/" + name;
    const char* update = std::getenv("TAPIO_UPDATE_GOLDEN");
    if (update && *update) {
        std::ofstream(path, std::ios::binary) << text;
        return;
    }
    std::string golden = fixtures::source_text("tests/unit/golden/" + name);
    auto want = split_lines(golden), got = split_lines(text);
    for (size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
        std::string w = i < want.size() ? want[i] : "(none)";
        std::string g = i < got.size() ? got[i] : "(none)";
        CHECK_MESSAGE(w == g, name << " line " << i + 1 << "\n want: " << w << "\n  got: " << g);
    }
}

}  // namespace

TEST_CASE("table: golden rows at 80 columns, several areas")
{
    TableOptions o;
    o.width = 80;
    o.areas_shown = true;
    check_golden("table_80_all.txt", table_text(o));
}

TEST_CASE("table: golden rows at 200 columns, one area")
{
    TableOptions o;
    o.width = 200;
    check_golden("table_200.txt", table_text(o));
}

TEST_CASE("table: golden rows in colour")
{
    TableOptions o;
    o.width = 200;
    o.color = true;
    o.areas_shown = true;
    check_golden("table_200_color.txt", table_text(o));
}

TEST_CASE("table: no row is wider than the terminal, and none holds a control byte")
{
    for (unsigned width : {40u, 80u, 120u}) {
        for (bool color : {false, true}) {
            TableOptions o;
            o.width = width;
            o.color = color;
            o.areas_shown = true;
            std::string text = table_text(o);
            for (const std::string& line : split_lines(text)) {
                CHECK_MESSAGE(display_width(line) <= width, width << ": " << line);
                for (size_t i = 0; i < line.size(); ++i) {
                    auto c = static_cast<unsigned char>(line[i]);
                    bool ours = c == 0x1b && color && line.compare(i, 2, "\x1b[") == 0;
                    CHECK_MESSAGE((c >= 0x20 || ours), line);
                    CHECK(c != 0x7f);
                }
            }
        }
    }
}

TEST_CASE("table: piped (no width), every row is whole and nothing is cut")
{
    std::string text = table_text(TableOptions{});
    CHECK(text.find("argument-number-18 \xe2\x80\xa6\n") != std::string::npos);  // args_truncated
    CHECK(text.find("\\x07.conf'\n") != std::string::npos);
    CHECK(text.find('\x1b') == std::string::npos);
}

TEST_CASE("table: every record type in the registry has a layout")
{
    for (const RecordSpec* spec : all_records())
        CHECK_MESSAGE(find_table_layout(spec->type) != nullptr, spec->type << " has no table layout");
    for (const TableLayout& l : table_layouts()) {
        CHECK_MESSAGE(find_record(l.type) != nullptr, l.type << " is not a record type");
        CHECK(l.event.size() <= event_width);
        CHECK(l.event_in_all.size() <= event_width_all);
    }
}

TEST_CASE("table: argv is shell-quoted so different argvs read differently")
{
    fmt::memory_buffer b;
    TableRow row(b, false);
    row.cell().shell_word("a,b").cell().shell_word("c d").cell().shell_word("it's").cell().shell_word("");
    row.cell().shell_word("\x1b[31m\n\xff").cell().shell_word("caf\xc3\xa9").cell().shell_word("/usr/bin/x-y_z");
    CHECK(std::string(b.data(), b.size()) == "a,b 'c d' 'it'\\''s' '' $'\\x1b[31m\\n\\xff' 'café' /usr/bin/x-y_z");
}

TEST_CASE("table: a COMM with a space is quoted, blank code points escaped, so no name passes for columns")
{
    Output out(-1);
    TableOptions o;
    o.time = TimeMode::utc;
    TableWriter w(out, WallClock(epoch), o);
    auto open_by = [&](const char* comm) {
        auto r = rec<tt_file_open>(TT_FILE_OPEN, 1, 4261, comm);
        std::strcpy(r.path, "/etc/passwd");
        r.ret = 3;
        feed(w, r);
    };
    open_by("x file.open 1");    // 13 characters, 15 with the quotes
    open_by("nginx: worker");    // a real name with a space
    open_by("ab cd ef gh ij1");  // 15 characters: quoted, the row grows by 2
    open_by("say \"hi\" x");     // quotes inside quotes are escaped
    open_by(
        "x\xc2\xa0"
        "file.open\xc2\xa0"
        "1");  // U+00A0 NO-BREAK SPACE, twice
    open_by(
        "a\xe3\x80\x80"
        "b");         // U+3000 IDEOGRAPHIC SPACE
    open_by("bash");  // a plain name as before
    open_by("");      // no name: blank, as before
    auto lines = split_lines(std::string(out.buffer().data(), out.buffer().size()));
    REQUIRE(lines.size() == 9);
    const std::string prefix = "15:55:33.001Z open        4261 ";
    const char* want[] = {
        "\"x file.open 1\" fd 3 /etc/passwd",         "\"nginx: worker\" fd 3 /etc/passwd",
        "\"ab cd ef gh ij1\" fd 3 /etc/passwd",       "\"say \\\"hi\\\" x\"  fd 3 /etc/passwd",
        "x\\u{a0}file.open\\u{a0}1 fd 3 /etc/passwd", "a\\u{3000}b      fd 3 /etc/passwd",
        "bash            fd 3 /etc/passwd",           "                fd 3 /etc/passwd",
    };
    for (size_t i = 0; i < 8; ++i)
        CHECK(lines[i + 1] == prefix + want[i]);
}

TEST_CASE("table: wide characters count two columns, bidi and invisible format characters are escaped")
{
    // 🚀 U+1F680, ⌚ U+231A, ☕ U+2615, 漢 U+6F22: two columns each on a terminal.
    CHECK(display_width("\xf0\x9f\x9a\x80") == 2);
    CHECK(display_width("\xe2\x8c\x9a\xe2\x98\x95") == 4);
    CHECK(display_width("\xe6\xbc\xa2"
                        "a") == 3);
    CHECK(display_width("caf\xc3\xa9") == 4);

    // U+202E RIGHT-TO-LEFT OVERRIDE would show invoice<RLO>fdp.exe as
    // invoiceexe.pdf; U+200B is invisible.
    fmt::memory_buffer b;
    TableRow row(b, false);
    row.cell()
        .shell_word(
            "invoice\xe2\x80\xae"
            "fdp.exe")
        .cell()
        .escaped(
            "a\xe2\x80\x8b"
            "b");
    CHECK(std::string(b.data(), b.size()) == "$'invoice\\xe2\\x80\\xaefdp.exe' a\\u{200b}b");
}

TEST_CASE("table: units")
{
    auto d = [](uint64_t ns) {
        fmt::memory_buffer b;
        TableRow(b, false).cell().duration(ns);
        return std::string(b.data(), b.size());
    };
    CHECK(d(850) == "850ns");
    CHECK(d(12345) == "12.3us");
    CHECK(d(1234567) == "1.2ms");
    CHECK(d(123456789) == "123ms");
    CHECK(d(2510000000) == "2.51s");
    CHECK(d(75000000000ULL) == "1m15s");
    CHECK(d(7200000000000ULL) == "2h00m");
    auto s = [](uint64_t n) {
        fmt::memory_buffer b;
        TableRow(b, false).cell().bytes(n);
        return std::string(b.data(), b.size());
    };
    CHECK(s(512) == "512B");
    CHECK(s(49459) == "48.3KiB");
    CHECK(s(1258291) == "1.2MiB");
    CHECK(s(3ULL << 30) == "3.0GiB");
}

TEST_CASE("table: mem.pressure rows only when something changes; JSON keeps every sample")
{
    Output out(-1);
    TableWriter table(out, WallClock(0));
    JsonWriter json(out, WallClock(0));
    Common c;
    PsiSample s;
    PressureReport p{"system", "/proc/pressure/memory", "interval", &s};
    for (int i = 0; i < 3; ++i)
        write_pressure(table, c, p);
    std::string text(out.buffer().data(), out.buffer().size());
    CHECK(split_lines(text).size() == 2);  // the header and the first sample
    out.buffer().clear();
    for (int i = 0; i < 3; ++i)
        write_pressure(json, c, p);
    CHECK(split_lines(std::string(out.buffer().data(), out.buffer().size())).size() == 3);
}

TEST_CASE("table: --time modes")
{
    auto first_row = [](TimeMode mode) {
        Output out(-1);
        TableOptions o;
        o.time = mode;
        o.start_wall_ns = epoch - 12 * 1000000000LL;
        TableWriter w(out, WallClock(epoch), o);
        auto r = rec<tt_proc_fork>(TT_PROC_FORK, 0);
        r.h.ts_ns = 345000000;
        REQUIRE(decode_record(&r, sizeof(r), DecodeOptions{}, w));
        auto lines = split_lines(std::string(out.buffer().data(), out.buffer().size()));
        REQUIRE(lines.size() == 2);
        return lines[1];
    };
    CHECK(first_row(TimeMode::utc).rfind("15:55:33.345Z fork", 0) == 0);
    CHECK(first_row(TimeMode::rfc3339).rfind("2025-11-25T15:55:33.345Z fork", 0) == 0);
    CHECK(first_row(TimeMode::relative).rfind("   +12.345 fork", 0) == 0);
    CHECK(first_row(TimeMode::local).size() == first_row(TimeMode::utc).size() - 1);
}

TEST_CASE("times at the ends of int64 saturate, never overflow")
{
    // A corrupt record's boot time past 2^63 ns (the fuzzer's find): the
    // latest time there is, in JSON and every table --time mode.
    auto r = make_record<tt_proc_fork>(TT_PROC_FORK);
    r.h.ts_ns = 1ULL << 63;
    CHECK(fixtures::decode_json(r)["ts"] == "2262-04-11T23:47:16.854775807Z");
    CHECK(WallClock(epoch).to_wall_ns(UINT64_MAX) == INT64_MAX);
    CHECK(WallClock(INT64_MIN).to_wall_ns(0) == INT64_MIN);
    CHECK(WallClock(-1).to_wall_ns(1ULL << 63) == INT64_MAX);

    TimeFormatter time;
    auto stamp = [&time](int64_t wall_ns) {
        fmt::memory_buffer b;
        time.rfc3339(b, wall_ns);
        return fmt::to_string(b);
    };
    CHECK(stamp(INT64_MAX) == "2262-04-11T23:47:16.854775807Z");
    CHECK(stamp(INT64_MIN) == "1677-09-21T00:12:43.145224192Z");  // UBSan: sec * 10^9 overflowed
    CHECK(stamp(-1) == "1969-12-31T23:59:59.999999999Z");
    fmt::memory_buffer local;
    time.clock_ms(local, INT64_MIN);
    CHECK(local.size() == 12);

    auto row = [&r](TimeMode mode, int64_t start) {
        Output out(-1);
        TableOptions o;
        o.time = mode;
        o.start_wall_ns = start;
        TableWriter w(out, WallClock(0), o);
        REQUIRE(decode_record(&r, sizeof(r), DecodeOptions{}, w));
        auto lines = split_lines(std::string(out.buffer().data(), out.buffer().size()));
        REQUIRE(lines.size() == 2);
        return lines[1];
    };
    CHECK(row(TimeMode::rfc3339, 0).rfind("2262-04-11T23:47:16.854Z fork", 0) == 0);
    CHECK(row(TimeMode::utc, 0).rfind("23:47:16.854Z fork", 0) == 0);
    // 2^64 ns after the start, the widest gap two int64 times have.
    CHECK(row(TimeMode::relative, INT64_MIN).rfind("+18446744073.709 fork", 0) == 0);
}

TEST_CASE("table: the header is written once, at once when asked")
{
    Output out(-1);
    TableWriter w(out, WallClock(0));
    w.header();
    w.header();
    std::string text(out.buffer().data(), out.buffer().size());
    CHECK(text == "TIME         EVENT        PID COMM            DETAILS\n");
}

TEST_CASE("table: no heap allocation per record once the buffers have grown")
{
    for (unsigned width : {0u, 80u}) {
        Output out(-1);
        TableOptions o;
        o.width = width;
        o.color = true;
        o.areas_shown = true;
        TableWriter w(out, WallClock(epoch), o);
        write_all(w);  // grows every buffer
        out.buffer().clear();
        out.buffer().reserve(1 << 20);
        // write_all() allocates itself (building the records): count that
        // with a sink that drops everything, and compare.
        test_support::NullSink discard;
        for (int round = 0; round < 3; ++round) {
            uint64_t before = allocations.load();
            write_all(discard);
            uint64_t baseline = allocations.load() - before;
            before = allocations.load();
            write_all(w);
            out.buffer().clear();
            uint64_t made = allocations.load() - before;  // before CHECK, which may allocate
            CHECK_MESSAGE(made == baseline, "width " << width << " round " << round);
        }
    }
}

TEST_CASE("--color and --time: the choices, and one line for anything else")
{
    auto parsed = fixtures::parse_args({"proc", "--color", "always", "--time", "relative"});
    REQUIRE(parsed);
    CHECK(parsed->options.color == "always");
    CHECK(parsed->table.time == TimeMode::relative);
    parsed = fixtures::parse_args({"--time", "rfc3339", "net"});
    REQUIRE(parsed);
    CHECK(parsed->table.time == TimeMode::rfc3339);
    CHECK(parsed->options.color == "auto");
    CHECK(fixtures::usage_message({"proc", "--color", "sometimes"}) ==
          "--color: 'sometimes' is not a choice; use never, auto or always");
    CHECK(fixtures::usage_message({"proc", "--time", "gmt"}) ==
          "--time: 'gmt' is not a choice; use local, utc, rfc3339 or relative");
}
