// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// What each record type's row shows after TIME EVENT PID COMM, one layout
// per type, all in this file so it reads as the table's spec. The rules:
// - what an operator scans first comes first; the value of variable
//   length (argv, a path) comes last, or is marked elastic: a row too
//   wide for the terminal loses the middle of that value first (keeping a
//   path's file name), then its end;
// - durations and sizes in human units (850ns, 12.3us, 1.2ms, 2.51s;
//   512B, 48.3KiB, 1.2MiB);
// - an error, a signal, a truncation only when there is one; errors and
//   kills in red, drops and warnings in yellow (with colours on);
// - argv and paths as shell words, so they can be pasted back;
// - a network row starts with the peer (remote address:port), the one
//   thing an operator looks for first, and ends with "local ADDR:PORT".
// tests/unit/table_test.cpp holds the golden rows of every layout.
#include <string_view>

#include "schema.h"
#include "table.h"

namespace tapio {
namespace {

using R = const TableRecord&;

// ---- cells more than one layout uses ----

// The errno name of a failed call, in red; nothing when it did not fail.
void error_cell(R r, TableRow& row)
{
    std::string_view e = r.s("error");
    if (!e.empty())
        row.cell(Color::red).text(e);
}

// Of a cut path, the share of the room for its start (the rest is for its
// end, the file name); of cut argv, for the program and first arguments.
constexpr unsigned path_head = 35, argv_head = 60;

// A path as a shell word, "…" before a path that keeps only its end.
void path_word(TableRow& row, std::string_view path, bool truncated)
{
    if (truncated)
        row.text("\xe2\x80\xa6");
    row.shell_word(path);
}

// The file a file record is about: the absolute path when it is known,
// else the path as passed; "-" when neither is (too long for the kernel).
void file_path_cell(R r, TableRow& row, std::string_view path = "path",
                    std::string_view path_truncated = "path_truncated", std::string_view full = "full_path",
                    std::string_view full_truncated = "full_path_truncated")
{
    row.cell().elastic(path_head);
    if (!r.is_null(full) && !r.s(full).empty())
        path_word(row, r.s(full), r.b(full_truncated));
    else if (!r.is_null(path))
        path_word(row, r.s(path), r.b(path_truncated));
    else
        row.text("-");
}

void address(TableRow& row, R r, std::string_view addr, std::string_view port)
{
    bool v6 = r.s("family") == "ipv6";
    if (v6)
        row.text("[");
    row.escaped(r.s(addr));
    if (v6)
        row.text("]");
    row.text(":").unsigned_number(r.u(port));
}

// The peer first: the cell a network row starts with.
void remote_cell(R r, TableRow& row, Color color = Color::none)
{
    row.cell(color);
    address(row, r, "daddr", "dport");
}

// This end last.
void local_cell(R r, TableRow& row)
{
    row.cell().text("local ");
    address(row, r, "saddr", "sport");
}

std::string_view or_dash(std::string_view s)
{
    return s.empty() ? std::string_view("-") : s;
}

// ---- proc ----

// Failed: the errno name. Then the program as run and its arguments, as
// shell words: the filename stands for argv[0] (what a PATH search found),
// "…" at the end when arguments were left out or cut.
void proc_exec(R r, TableRow& row)
{
    if (r.has("error"))
        error_cell(r, row);
    else if (r.i("ret") != 0)
        row.cell(Color::red).text("ret ").number(r.i("ret"));
    row.cell().elastic(argv_head);
    std::string_view filename = r.s("filename");
    bool from_caller = r.s("args_source") != "image";
    auto args = r.inside(r.find("args"));
    bool first = true;
    if (!filename.empty() && (from_caller || args.empty())) {
        path_word(row, filename, r.b("filename_truncated"));
        first = false;
    }
    for (size_t i = 0; i < args.size(); ++i) {
        if (i == 0 && !first)
            continue;  // argv[0]: the filename is shown instead
        if (!first)
            row.text(" ");
        row.shell_word(r.text_of(args[i]));
        first = false;
    }
    if (first)
        row.text("''");
    if (r.b("args_truncated"))
        row.text(" \xe2\x80\xa6");
}

void proc_fork(R r, TableRow& row)
{
    row.cell().text("child ").unsigned_number(r.u("child_pid"));
    if (r.has("child_tid"))
        row.cell().text("thread ").unsigned_number(r.u("child_tid"));
}

// Lifetime, then how it ended when not with exit code 0.
void proc_exit(R r, TableRow& row)
{
    row.cell().duration(r.u("duration_ns"));
    if (!r.is_null("signal") && r.has("signal"))
        row.cell(Color::red).text(r.s("signal"));
    if (r.b("core_dumped"))
        row.cell(Color::red).text("core dumped");
    if (r.i("exit_code") != 0)
        row.cell(Color::red).text("exit ").number(r.i("exit_code"));
    if (r.s("scope") == "thread")
        row.cell().text("thread");
}

void proc_signal(R r, TableRow& row)
{
    std::string_view sig = r.is_null("signal") ? std::string_view("signal 0") : r.s("signal");
    row.cell(sig == "SIGKILL" ? Color::red : Color::none).text(sig);
    row.cell().text("to ").number(r.i("target_pid"));
    if (r.has("target_tid"))
        row.cell().text("thread ").number(r.i("target_tid"));
    error_cell(r, row);
}

void uid_word(R r, TableRow& row, std::string_view key)
{
    if (r.is_null(key))
        row.text("-");
    else
        row.unsigned_number(r.u(key));
}

// The call and the ids asked for (- for one left as it is).
void proc_setuid(R r, TableRow& row)
{
    row.cell().text(r.s("call")).text(" ");
    if (r.has("target_uid")) {
        uid_word(r, row, "target_uid");
    } else {
        uid_word(r, row, "ruid");
        row.text(",");
        uid_word(r, row, "euid");
        if (r.has("suid")) {
            row.text(",");
            uid_word(r, row, "suid");
        }
    }
    error_cell(r, row);
}

// Calls in the interval, then the busiest: name, calls, errors when any,
// time spent.
void proc_syscalls(R r, TableRow& row)
{
    row.cell().unsigned_number(r.u("total")).text(" calls/").duration(r.u("interval_ns"));
    auto list = r.inside(r.find("syscalls"));
    std::string_view name;
    uint64_t count = 0, errors = 0, total_ns = 0;
    for (size_t i = 0; i < list.size(); ++i) {
        const TableItem& item = list[i];
        std::string_view key = r.key_of(item);
        if (key == "name")
            name = r.text_of(item);
        else if (key == "count")
            count = item.unsigned_number;
        else if (key == "errors")
            errors = item.unsigned_number;
        else if (key == "total_ns")
            total_ns = item.unsigned_number;
        if (item.kind != TableItem::close)
            continue;
        row.cell().text(name).text(" ").unsigned_number(count);
        if (errors)
            row.text(" (").unsigned_number(errors).text(" failed)");
        row.text(" ").duration(total_ns);
    }
}

// ---- net ----

void net_connect(R r, TableRow& row)
{
    remote_cell(r, row);
    row.cell().duration(r.u("latency_ns"));
    error_cell(r, row);
    local_cell(r, row);
}

void net_accept(R r, TableRow& row)
{
    remote_cell(r, row);
    row.cell().duration(r.u("queue_ns"));
    local_cell(r, row);
}

// Lifetime, bytes each way, retransmits when any, who ended it (a reset
// or an error in red), the closing process when it is another one.
void net_close(R r, TableRow& row)
{
    remote_cell(r, row);
    row.cell().duration(r.u("duration_ns"));
    row.cell().text("tx ").bytes(r.u("bytes_sent"));
    row.cell().text("rx ").bytes(r.u("bytes_received"));
    if (uint64_t n = r.u("retransmits"))
        row.cell(Color::yellow).text("retrans ").unsigned_number(n);
    std::string_view by = r.s("closed_by");
    if (r.is_null("closed_by"))
        row.cell(Color::red).text("aborted");
    else if (by == "reset_sent")
        row.cell(Color::red).text("RST sent");
    else if (by == "reset_received")
        row.cell(Color::red).text("RST received");
    else
        row.cell().text(by == "local" ? "we closed" : "peer closed");
    if (!r.is_null("closer_pid") && r.u("closer_pid") != r.common.pid)
        row.cell().text("closer ").unsigned_number(r.u("closer_pid"));
    local_cell(r, row);
}

void net_retransmit(R r, TableRow& row)
{
    remote_cell(r, row);
    row.cell(Color::yellow).text(or_dash(r.s("state")));
    error_cell(r, row);
    local_cell(r, row);
}

void net_reset(R r, TableRow& row)
{
    remote_cell(r, row);
    row.cell(Color::red).text(r.s("direction") == "sent" ? "RST sent" : "RST received");
    row.cell().text(or_dash(r.s("state")));
    local_cell(r, row);
}

void net_drop(R r, TableRow& row)
{
    remote_cell(r, row);
    if (r.is_null("reason"))
        row.cell(Color::yellow).text("reason ").number(r.i("reason_code"));
    else
        row.cell(Color::yellow).text(r.s("reason"));
    row.cell().escaped(r.s("protocol")).text(" ").text(r.s("direction"));
    local_cell(r, row);
}

void net_state(R r, TableRow& row)
{
    remote_cell(r, row);
    row.cell().text(or_dash(r.s("old_state"))).text(">").text(or_dash(r.s("new_state")));
    local_cell(r, row);
}

// ---- file ----

// O_WRONLY|O_CREAT|O_CLOEXEC as WRONLY|CREAT: O_ dropped, and the flags
// that say nothing about what happens to the file (RDONLY, the default;
// CLOEXEC, LARGEFILE) left out.
void open_flags_cell(R r, TableRow& row)
{
    std::string_view flags = r.s("flags");
    bool any = false;
    while (!flags.empty()) {
        size_t bar = flags.find('|');
        std::string_view flag = flags.substr(0, bar);
        flags = bar == std::string_view::npos ? std::string_view() : flags.substr(bar + 1);
        if (flag.substr(0, 2) == "O_")
            flag.remove_prefix(2);
        if (flag == "RDONLY" || flag == "CLOEXEC" || flag == "LARGEFILE" || flag.empty())
            continue;
        if (!any)
            row.cell();
        else
            row.text("|");
        row.escaped(flag);
        any = true;
    }
}

// The new fd, or the errno name; the path; the flags that matter, the
// mode with O_CREAT (a path too long for the row loses its middle first).
void file_open(R r, TableRow& row)
{
    if (r.has("error"))
        error_cell(r, row);
    else
        row.cell().text("fd ").number(r.i("fd"));
    file_path_cell(r, row);
    open_flags_cell(r, row);
    if (r.has("mode"))
        row.cell().escaped(r.s("mode"));
}

void file_unlink(R r, TableRow& row)
{
    error_cell(r, row);
    file_path_cell(r, row);
}

void file_rename(R r, TableRow& row)
{
    error_cell(r, row);
    if (r.has("flags"))
        row.cell().escaped(r.s("flags"));
    file_path_cell(r, row);
    row.text(" ->");
    file_path_cell(r, row, "new_path", "new_path_truncated", "new_full_path", "new_full_path_truncated");
}

void file_mode(R r, TableRow& row)
{
    error_cell(r, row);
    row.cell().escaped(r.s("mode"));
    file_path_cell(r, row);
}

void file_truncate(R r, TableRow& row)
{
    error_cell(r, row);
    row.cell().bytes(r.u("length"));
    file_path_cell(r, row);
}

// The call, how long it took, its size, the file (or its fd when the
// file is not known).
void file_slow(R r, TableRow& row)
{
    row.cell().text(r.s("op"));
    row.cell(Color::yellow).duration(r.u("latency_ns"));
    std::string_view op = r.s("op");
    if (r.has("bytes") && op != "fsync" && op != "fdatasync")
        row.cell().bytes(r.u("bytes"));
    error_cell(r, row);
    row.cell().elastic(path_head);
    if (r.is_null("path"))
        row.text("fd ").number(r.i("fd"));
    else
        path_word(row, r.s("path"), r.b("path_truncated"));
}

void file_io(R r, TableRow& row)
{
    row.cell().text("r ").unsigned_number(r.u("reads")).text(" ").bytes(r.u("bytes_read"));
    row.cell().text("w ").unsigned_number(r.u("writes")).text(" ").bytes(r.u("bytes_written"));
    row.cell().duration(r.u("latency_ns"));
    row.cell().elastic(path_head);
    path_word(row, r.s("path"), r.b("path_truncated"));
}

// ---- mem ----

void memcg_cell(R r, TableRow& row)
{
    if (!r.has("memcg_id"))
        return;
    row.cell().elastic(path_head).text("memcg ");
    if (r.is_null("memcg_path") || !r.has("memcg_path"))
        row.unsigned_number(r.u("memcg_id"));
    else
        path_word(row, r.s("memcg_path"), r.b("memcg_path_truncated"));
}

// The victim first (in red), its resident memory, its oom_score_adj when
// set, the cgroup the kill happened in.
void mem_oom_kill(R r, TableRow& row)
{
    row.cell(Color::red).text("killed ").unsigned_number(r.u("victim_pid"));
    if (r.has("victim_comm"))
        row.text(" ").escaped(r.s("victim_comm"));
    if (r.has("anon_rss_kb"))
        row.cell().text("rss ").bytes((r.u("anon_rss_kb") + r.u("file_rss_kb") + r.u("shmem_rss_kb")) * 1024);
    if (r.i("oom_score_adj") != 0)
        row.cell().text("adj ").number(r.i("oom_score_adj"));
    memcg_cell(r, row);
}

void mem_reclaim(R r, TableRow& row)
{
    row.cell(Color::yellow).duration(r.u("duration_ns"));
    row.cell().text(r.s("scope"));
    row.cell().unsigned_number(r.u("nr_reclaimed")).text(" pages");
    if (r.i("order") != 0)
        row.cell().text("order ").number(r.i("order"));
    memcg_cell(r, row);
}

void mem_alloc(R r, TableRow& row)
{
    row.cell().text(r.s("op"));
    row.cell();
    if (r.has("old_size"))
        row.bytes(r.u("old_size")).text(">");
    if (r.b("shrink"))
        row.text("-");
    row.bytes(r.u("size"));
    if (r.has("old_addr"))
        row.cell().escaped(r.s("old_addr")).text(">");
    else
        row.cell();
    row.escaped(r.s("addr"));
    if (r.has("anonymous") && !r.b("anonymous"))
        row.cell().text("file");
    if (!r.is_null("error"))
        error_cell(r, row);
}

// munmap: how much, where, and "file" when the range is a file's mapping
// (only with --file-mappings).
void mem_unmap(R r, TableRow& row)
{
    row.cell().text("munmap");
    row.cell().bytes(r.u("size"));
    row.cell().escaped(r.s("addr"));
    if (r.has("anonymous") && !r.b("anonymous"))
        row.cell().text("file");
    if (!r.is_null("error"))
        error_cell(r, row);
}

// avg10/avg60/avg300 of some and full; a crossing of the threshold; the
// cgroup's pressure file. (The writer prints a row only when one of these
// changed: see TableWriter.)
void mem_pressure(R r, TableRow& row)
{
    if (!r.b("available")) {
        row.cell(Color::yellow).text("unavailable: ").escaped(r.s("reason"));
        return;
    }
    auto averages = [&](std::string_view label, std::string_view a, std::string_view b, std::string_view c) {
        const TableItem* x = r.find(a);
        const TableItem* y = r.find(b);
        const TableItem* z = r.find(c);
        if (!x || !y || !z)
            return;
        row.cell().text(label).text(" ");
        row.decimal(x->number, x->places).text("/").decimal(y->number, y->places).text("/");
        row.decimal(z->number, z->places).text("%");
    };
    std::string_view trigger = r.s("trigger");
    if (trigger != "interval") {
        row.cell(trigger == "above" ? Color::red : Color::none).text(trigger).text(" ");
        const TableItem* t = r.find("threshold");
        if (t)
            row.decimal(t->number, t->places).text("%");
    }
    averages("some", "some_avg10", "some_avg60", "some_avg300");
    averages("full", "full_avg10", "full_avg60", "full_avg300");
    if (r.s("source") == "cgroup") {
        row.cell().elastic(path_head);
        row.shell_word(r.s("path"));
    }
}

// ---- tapio ----

// lost 12 (net.close 10, file.open 2); rate-limited 5 (proc.exec 5); ...
void tapio_dropped(R r, TableRow& row)
{
    struct Reason {
        std::string_view key, label;
    };
    constexpr Reason reasons[] = {
        {"lost", "lost"}, {"rate_limited", "rate-limited"}, {"sampled_out", "sampled out"}, {"map_full", "map full"}};
    bool any = false;
    for (const Reason& reason : reasons) {
        auto counts = r.inside(r.find(reason.key));
        uint64_t total = 0;
        for (const TableItem& c : counts)
            total += c.unsigned_number;
        if (total == 0)
            continue;
        if (!any)
            row.cell(Color::yellow);
        row.text(any ? "; " : "").text(reason.label).text(" ").unsigned_number(total).text(" (");
        bool first = true;
        for (const TableItem& c : counts) {
            if (c.unsigned_number == 0)
                continue;
            row.text(first ? "" : ", ").escaped(r.key_of(c)).text(" ").unsigned_number(c.unsigned_number);
            first = false;
        }
        row.text(")");
        any = true;
    }
    if (!any)
        row.cell().text("none since the last report");
    if (r.b("final"))
        row.cell().text("(at exit)");
}

// The EVENT column is 8 wide in a one-area run and 13 with several areas:
// names longer than that are shortened (net.retrans).
constexpr TableLayout layouts[] = {
    {"proc.exec", "exec", "proc.exec", proc_exec},
    {"proc.fork", "fork", "proc.fork", proc_fork},
    {"proc.exit", "exit", "proc.exit", proc_exit},
    {"proc.signal", "signal", "proc.signal", proc_signal},
    {"proc.setuid", "setuid", "proc.setuid", proc_setuid},
    {"proc.syscalls", "syscalls", "proc.syscalls", proc_syscalls},
    {"net.connect", "connect", "net.connect", net_connect},
    {"net.accept", "accept", "net.accept", net_accept},
    {"net.close", "close", "net.close", net_close},
    {"net.retransmit", "retrans", "net.retrans", net_retransmit},
    {"net.reset", "reset", "net.reset", net_reset},
    {"net.drop", "drop", "net.drop", net_drop},
    {"net.state", "state", "net.state", net_state},
    {"file.open", "open", "file.open", file_open},
    {"file.unlink", "unlink", "file.unlink", file_unlink},
    {"file.rename", "rename", "file.rename", file_rename},
    {"file.mkdir", "mkdir", "file.mkdir", file_mode},
    {"file.rmdir", "rmdir", "file.rmdir", file_unlink},
    {"file.truncate", "truncate", "file.truncate", file_truncate},
    {"file.chmod", "chmod", "file.chmod", file_mode},
    {"file.slow", "slow", "file.slow", file_slow},
    {"file.io", "io", "file.io", file_io},
    {"mem.oom_kill", "oom_kill", "mem.oom_kill", mem_oom_kill},
    {"mem.reclaim", "reclaim", "mem.reclaim", mem_reclaim},
    {"mem.alloc", "alloc", "mem.alloc", mem_alloc},
    {"mem.unmap", "unmap", "mem.unmap", mem_unmap},
    {"mem.pressure", "pressure", "mem.pressure", mem_pressure},
    {"tapio.dropped", "dropped", "tapio.dropped", tapio_dropped},
};

// ---- generic: key=value ----

void generic_value(R r, const TableItem& item, std::string_view unit, TableRow& row)
{
    switch (item.kind) {
        case TableItem::i64:
        case TableItem::u64: {
            bool negative = item.kind == TableItem::i64 && item.number < 0;
            uint64_t v = item.kind == TableItem::u64 ? item.unsigned_number : static_cast<uint64_t>(item.number);
            if (!negative && unit == "ns")
                row.duration(v);
            else if (!negative && unit == "us")
                row.duration(v * 1000);
            else if (!negative && unit == "bytes")
                row.bytes(v);
            else if (!negative && unit == "KiB")
                row.bytes(v * 1024);
            else if (item.kind == TableItem::i64)
                row.number(item.number);
            else
                row.unsigned_number(item.unsigned_number);
            break;
        }
        case TableItem::decimal:
            row.decimal(item.number, item.places);
            if (unit == "percent")
                row.text("%");
            break;
        case TableItem::boolean: row.text(item.number ? "true" : "false"); break;
        case TableItem::null: row.text("-"); break;
        case TableItem::name: row.escaped(r.text_of(item)); break;
        case TableItem::str:
        case TableItem::element: row.shell_word(r.text_of(item)); break;
        default: break;
    }
}

}  // namespace

std::span<const TableLayout> table_layouts()
{
    return layouts;
}

const TableLayout* find_table_layout(std::string_view type)
{
    for (const TableLayout& l : layouts)
        if (l.type == type)
            return &l;
    return nullptr;
}

void write_generic(const TableRecord& r, const RecordSpec* spec, TableRow& row)
{
    constexpr size_t max_depth = 64;
    bool first[max_depth] = {};
    auto items = r.items();
    for (size_t i = 0; i < items.size(); ++i) {
        const TableItem& item = items[i];
        std::string_view key = r.key_of(item);
        size_t d = item.depth;
        if (item.kind == TableItem::close) {
            bool array = false;
            // Find what this closes: the nearest opener at this depth.
            for (size_t k = i; k-- > 0;)
                if (items[k].depth == item.depth && items[k].kind != TableItem::close) {
                    array = items[k].kind == TableItem::array;
                    break;
                }
            row.text(array ? "]" : "}");
            continue;
        }
        // A boolean flag that is false says nothing: *_truncated=false.
        if (d == 0 && item.kind == TableItem::boolean && !item.number && key.ends_with("_truncated"))
            continue;
        if (d == 0)
            row.cell();
        else if (d < max_depth && !first[d])
            row.text(",");
        if (d < max_depth)
            first[d] = false;
        if (!key.empty())
            row.text(key).text("=");
        if (item.kind == TableItem::array || item.kind == TableItem::object) {
            row.text(item.kind == TableItem::array ? "[" : "{");
            if (d + 1 < max_depth)
                first[d + 1] = true;
            continue;
        }
        std::string_view unit;
        if (spec && d == 0)
            for (const Field& f : spec->fields)
                if (f.name == key)
                    unit = f.unit;
        generic_value(r, item, unit, row);
    }
}

}  // namespace tapio
