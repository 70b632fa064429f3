// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Decoders of the file area's records. Everything is formatted into stack
// buffers: nothing here allocates.
#include <array>
#include <cstdio>
#include <cstring>

#include "escape.h"
#include "file_decode.h"
#include "names.h"
#include "decode.h"

namespace tapio {

namespace {

// Text into out[0, cap), always NUL-terminated; cut at cap - 1 bytes, and
// nothing at all written when cap is 0.
struct Appender {
    char* out;
    size_t cap;
    size_t len = 0;
    Appender(char* out_, size_t cap_) : out(out_), cap(cap_)
    {
        if (cap)
            out[0] = '\0';
    }
    void add(std::string_view s)
    {
        if (cap == 0)
            return;
        size_t n = std::min(s.size(), cap - 1 - len);
        if (n)
            memcpy(out + len, s.data(), n);
        len += n;
        out[len] = '\0';
    }
    void sep()
    {
        if (len)
            add("|");
    }
};

}  // namespace

std::string_view open_flags_text(uint32_t flags, std::span<char> buf)
{
    Appender a{buf.data(), buf.size()};
    switch (flags & 03) {
        case 0: a.add("O_RDONLY"); break;
        case 1: a.add("O_WRONLY"); break;
        case 2: a.add("O_RDWR"); break;
        default: a.add("O_ACCMODE"); break;
    }
    uint32_t rest = flags & ~03u;
    // Composite flags first, so their parts are not listed twice.
    static constexpr std::pair<uint32_t, const char*> composite[] = {
        {020200000, "O_TMPFILE"},  // __O_TMPFILE | O_DIRECTORY
        {04010000, "O_SYNC"},      // __O_SYNC | O_DSYNC
    };
    for (auto [bits, name] : composite) {
        if ((rest & bits) == bits) {
            a.sep();
            a.add(name);
            rest &= ~bits;
        }
    }
    static constexpr std::pair<uint32_t, const char*> single[] = {
        {0100, "O_CREAT"},       {0200, "O_EXCL"},         {0400, "O_NOCTTY"},       {01000, "O_TRUNC"},
        {02000, "O_APPEND"},     {04000, "O_NONBLOCK"},    {010000, "O_DSYNC"},      {020000, "O_ASYNC"},
        {040000, "O_DIRECT"},    {0100000, "O_LARGEFILE"}, {0200000, "O_DIRECTORY"}, {0400000, "O_NOFOLLOW"},
        {01000000, "O_NOATIME"}, {02000000, "O_CLOEXEC"},  {010000000, "O_PATH"},
    };
    for (auto [bits, name] : single) {
        if (rest & bits) {
            a.sep();
            a.add(name);
            rest &= ~bits;
        }
    }
    if (rest) {
        char hex[16];
        snprintf(hex, sizeof(hex), "0x%x", rest);
        a.sep();
        a.add(hex);
    }
    return {buf.data(), a.len};
}

std::string_view rename_flags_text(uint32_t flags, std::span<char> buf)
{
    Appender a{buf.data(), buf.size()};
    static constexpr std::pair<uint32_t, const char*> names[] = {
        {1, "RENAME_NOREPLACE"}, {2, "RENAME_EXCHANGE"}, {4, "RENAME_WHITEOUT"}};
    for (auto [bits, name] : names) {
        if (flags & bits) {
            a.sep();
            a.add(name);
            flags &= ~bits;
        }
    }
    if (flags) {
        char hex[16];
        snprintf(hex, sizeof(hex), "0x%x", flags);
        a.sep();
        a.add(hex);
    }
    return {buf.data(), a.len};
}

std::string_view mode_text(uint32_t mode, std::span<char> buf)
{
    if (buf.empty())
        return {};
    int n = snprintf(buf.data(), buf.size(), "%04o", mode & 07777);
    return {buf.data(), n < 0 ? 0 : std::min<size_t>(static_cast<size_t>(n), buf.size() - 1)};
}

std::string_view normalize_path(std::string_view dir, std::string_view path, std::span<char> buf)
{
    // buf[0, len) is the path so far, "/a/b", with "" for the root.
    size_t len = 0;
    bool overflow = false;
    auto add = [&](std::string_view s) {
        size_t i = 0;
        while (i <= s.size() && !overflow) {
            size_t j = s.find('/', i);
            if (j == std::string_view::npos)
                j = s.size();
            std::string_view c = s.substr(i, j - i);
            if (c == "..") {
                while (len > 0 && buf[len - 1] != '/')
                    --len;
                if (len > 0)
                    --len;
            } else if (!c.empty() && c != ".") {
                if (len + 1 + c.size() >= buf.size()) {
                    overflow = true;
                    break;
                }
                buf[len++] = '/';
                memcpy(buf.data() + len, c.data(), c.size());
                len += c.size();
            }
            i = j + 1;
        }
    };
    if (path.empty() || path[0] != '/')
        add(dir);
    add(path);
    if (overflow || buf.size() < 2)
        return {};
    if (len == 0)
        buf[len++] = '/';
    return {buf.data(), len};
}

namespace {

// Field names of a path and what is made of it: path or new_path.
struct PathKeys {
    std::string_view path, path_truncated, full_path, full_path_truncated;
};
constexpr PathKeys path_keys{"path", "path_truncated", "full_path", "full_path_truncated"};
constexpr PathKeys new_path_keys{"new_path", "new_path_truncated", "new_full_path", "new_full_path_truncated"};

// A path as the process passed it, and full_path: the path made absolute
// (joined to the directory the kernel resolved for a relative one) and
// normalized. full_path is null when it cannot be known: the path or the
// directory was cut, or the directory was not found.
void user_path_fields(RecordSink& sink, const PathKeys& keys, const char* dir, const char* path, bool resolved,
                      bool dir_cut, bool path_cut)
{
    std::string_view p = kernel_string(path, TT_FILE_PATH_LEN);
    if (path_cut && p.empty())
        sink.null(keys.path);  // longer than the kernel takes: its end was never seen
    else
        sink.str(keys.path, p);
    sink.boolean(keys.path_truncated, path_cut);
    std::string_view d = kernel_string(dir, TT_FILE_PATH_LEN);
    bool known = !path_cut && !p.empty() && (p[0] == '/' || (resolved && !dir_cut && !d.empty() && d[0] == '/'));
    char buf[2 * TT_FILE_PATH_LEN + 2];
    std::string_view full = known ? normalize_path(d, p, buf) : std::string_view();
    if (full.empty()) {
        sink.null(keys.full_path);
        sink.boolean(keys.full_path_truncated, false);
        return;
    }
    cut_path_field(sink, keys.full_path, keys.full_path_truncated, full);
}

// A path the kernel resolved from an fd: absolute and normal already, so
// full_path is the same (null for a pipe or socket, which has none).
void fd_path_fields(RecordSink& sink, const PathKeys& keys, const char* path, bool cut)
{
    std::string_view p = kernel_string(path, TT_FILE_PATH_LEN);
    bool absolute = !p.empty() && (cut || p[0] == '/');  // a cut one lost its leading '/'
    if (p.empty())
        sink.null(keys.path);  // no open file behind the fd
    else
        sink.str(keys.path, p);
    sink.boolean(keys.path_truncated, cut);
    if (absolute)
        sink.str(keys.full_path, p);
    else
        sink.null(keys.full_path);
    sink.boolean(keys.full_path_truncated, absolute && cut);
}

void describe_open(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_file_open*>(data);
    user_path_fields(sink, path_keys, r.dir, r.path, r.path_flags & TT_FILE_DIR_RESOLVED,
                     r.path_flags & TT_FILE_DIR_TRUNCATED, r.path_flags & TT_FILE_PATH_TRUNCATED);
    char flags[256];
    sink.name("flags", open_flags_text(r.flags, flags));
    // The mode only means something when a file may be created.
    if ((r.flags & 0100) || (r.flags & 020000000) == 020000000) {
        char mode[16];
        sink.name("mode", mode_text(r.mode, mode));
    }
    if (r.ret >= 0)
        sink.i64("fd", r.ret);
    else
        error_field(sink, r.ret);
}

void op_path(const tt_file_op& r, RecordSink& sink)
{
    if (r.path_flags & TT_FILE_PATH_FROM_FD)
        fd_path_fields(sink, path_keys, r.path, r.path_flags & TT_FILE_PATH_TRUNCATED);
    else
        user_path_fields(sink, path_keys, r.dir, r.path, r.path_flags & TT_FILE_DIR_RESOLVED,
                         r.path_flags & TT_FILE_DIR_TRUNCATED, r.path_flags & TT_FILE_PATH_TRUNCATED);
}

void describe_op(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_file_op*>(data);
    op_path(r, sink);
    error_field(sink, r.ret);
}

void describe_mode_op(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_file_op*>(data);
    op_path(r, sink);
    char mode[16];
    sink.name("mode", mode_text(r.mode, mode));
    error_field(sink, r.ret);
}

void describe_rename(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_file_op*>(data);
    op_path(r, sink);
    user_path_fields(sink, new_path_keys, r.new_dir, r.new_path, r.path_flags & TT_FILE_NEW_DIR_RESOLVED,
                     r.path_flags & TT_FILE_NEW_DIR_TRUNCATED, r.path_flags & TT_FILE_NEW_PATH_TRUNCATED);
    if (r.flags) {
        char flags[128];
        sink.name("flags", rename_flags_text(r.flags, flags));
    }
    error_field(sink, r.ret);
}

void describe_truncate(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_file_op*>(data);
    op_path(r, sink);
    sink.u64("length", r.length);
    error_field(sink, r.ret);
}

void describe_slow(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_file_slow*>(data);
    sink.name("op", io_op_name(r.op));
    sink.i64("fd", r.fd);
    std::string_view p = kernel_string(r.path, sizeof(r.path));
    if (p.empty())
        sink.null("path");  // no open file behind the fd
    else
        sink.str("path", p);
    sink.boolean("path_truncated", r.path_flags & TT_FILE_PATH_TRUNCATED);
    if (r.ret >= 0)
        sink.u64("bytes", static_cast<uint64_t>(r.ret));
    else
        error_field(sink, r.ret);
    sink.u64("latency_ns", r.latency_ns);
}

using enum JsonType;
using enum Presence;

// The last is the decoder's name for a number it does not know.
constexpr std::string_view io_ops[] = {"read",   "write", "pread64",   "pwrite64", "readv",
                                       "writev", "fsync", "fdatasync", "unknown"};

// The four path fields of a path a process passed (or, for ftruncate and
// fchmod, of the file behind the fd).
#define TT_PATH_FIELDS(prefix, what)                                                                                 \
    {prefix "path",                                                                                                  \
     string,                                                                                                         \
     nullable,                                                                                                       \
     {},                                                                                                             \
     what                                                                                                            \
     " as the process passed it, never rewritten; for ftruncate and fchmod, the file behind the fd, "                \
     "resolved in the kernel; null when longer than the kernel accepts (ENAMETOOLONG)"},                             \
        {prefix "path_truncated", boolean, always, {}, "path was longer than 255 bytes and keeps its end"},          \
        {prefix "full_path",                                                                                         \
         string,                                                                                                     \
         nullable,                                                                                                   \
         {},                                                                                                         \
         "path made absolute (joined to the cwd or the dirfd, resolved at the call) and normalized lexically; null " \
         "when it cannot be known"},                                                                                 \
    {                                                                                                                \
        prefix "full_path_truncated", boolean, always, {}, "full_path was longer than 255 bytes and keeps its end"   \
    }

constexpr Field open_fields[] = {
    TT_PATH_FIELDS("", "the path"),
    {"flags", string, always, {}, "open flags, such as O_WRONLY|O_CREAT|O_CLOEXEC"},
    {"mode", string, optional, {}, "the mode, as an octal string, with O_CREAT or O_TMPFILE"},
    {"fd", integer, optional, {}, "the new file descriptor"},
    {"error", string, optional, {}, "the errno name of a failed open"},
};

constexpr Field op_fields[] = {
    TT_PATH_FIELDS("", "the path"),
    {"error", string, optional, {}, "the errno name when the call failed"},
};

constexpr Field mode_op_fields[] = {
    TT_PATH_FIELDS("", "the path"),
    {"mode", string, always, {}, "the mode, as an octal string"},
    {"error", string, optional, {}, "the errno name when the call failed"},
};

constexpr Field rename_fields[] = {
    TT_PATH_FIELDS("", "the old path"),
    TT_PATH_FIELDS("new_", "the new path"),
    {"flags", string, optional, {}, "renameat2 flags such as RENAME_NOREPLACE, when any"},
    {"error", string, optional, {}, "the errno name when the call failed"},
};

constexpr Field truncate_fields[] = {
    TT_PATH_FIELDS("", "the path"),
    {"length", integer, always, "bytes", "the new length"},
    {"error", string, optional, {}, "the errno name when the call failed"},
};

#undef TT_PATH_FIELDS

constexpr Field slow_fields[] = {
    {"op", string, always, {}, "the call", io_ops},
    {"fd", integer, always, {}, "its file descriptor"},
    {"path",
     string,
     nullable,
     {},
     "the file behind the fd, resolved in the kernel from the task's file table (pipes and sockets as "
     "pipefs:[inode], sockfs:[inode]); null when the fd had no file by the end of the call"},
    {"path_truncated", boolean, always, {}, "path was longer than 255 bytes and keeps its end"},
    {"bytes", integer, optional, "bytes", "bytes read or written"},
    {"error", string, optional, {}, "the errno name when the call failed"},
    {"latency_ns", integer, always, "ns", "entry to exit"},
};

constexpr Field io_fields[] = {
    {"path", string, always, {}, "the file, resolved in the kernel"},
    {"path_truncated", boolean, always, {}, "path was longer than 255 bytes and keeps its end"},
    {"dev", string, always, {}, "the device, major:minor"},
    {"inode", integer, always, {}, "the inode number"},
    {"interval_ns", integer, always, "ns", "length of the interval"},
    {"reads", integer, always, {}, "read calls"},
    {"writes", integer, always, {}, "write calls"},
    {"bytes_read", integer, always, "bytes", "bytes read"},
    {"bytes_written", integer, always, "bytes", "bytes written"},
    {"latency_ns", integer, always, "ns", "time spent in those calls"},
};

constexpr std::array<RecordSpec, 9> table = {{
    {"file.open", "file", "A file was opened (open, openat, openat2, creat).", open_fields, TT_FILE_OPEN,
     sizeof(tt_file_open), describe_open},
    {"file.unlink", "file", "A file was removed (unlink, unlinkat).", op_fields, TT_FILE_UNLINK, sizeof(tt_file_op),
     describe_op},
    {"file.rename", "file", "A file was renamed (rename, renameat, renameat2).", rename_fields, TT_FILE_RENAME,
     sizeof(tt_file_op), describe_rename},
    {"file.mkdir", "file", "A directory was made (mkdir, mkdirat).", mode_op_fields, TT_FILE_MKDIR, sizeof(tt_file_op),
     describe_mode_op},
    {"file.rmdir", "file", "A directory was removed (rmdir, unlinkat with AT_REMOVEDIR).", op_fields, TT_FILE_RMDIR,
     sizeof(tt_file_op), describe_op},
    {"file.truncate", "file", "A file was truncated (truncate, ftruncate).", truncate_fields, TT_FILE_TRUNCATE,
     sizeof(tt_file_op), describe_truncate},
    {"file.chmod", "file", "A file's mode was changed (chmod, fchmodat, fchmodat2, fchmod).", mode_op_fields,
     TT_FILE_CHMOD, sizeof(tt_file_op), describe_mode_op},
    {"file.slow", "file",
     "With --min-latency: a read, write or sync slower than the threshold, on a regular file or a block device; on a "
     "pipe, socket, terminal or other character device only with --slow-any-file (such a call waits for its peer, "
     "not for storage). A call whose fd was closed meanwhile is reported with an empty path.",
     slow_fields, TT_FILE_SLOW, sizeof(tt_file_slow), describe_slow},
    {"file.io", "file",
     "With --top, every --sampling-interval: per process and file, busiest first. pid is the process; tid, ppid, "
     "uid, cgroup_id and comm are those of the thread whose call first touched the file in the interval, as they "
     "were at that call.",
     io_fields, TT_FILE_IO},
}};
}  // namespace

std::string_view io_op_name(uint32_t op)
{
    static_assert(std::size(io_ops) == TT_IO_OPS + 1);
    return io_ops[op < TT_IO_OPS ? op : uint32_t{TT_IO_OPS}];
}

void write_file_io(RecordSink& sink, const Common& common, uint64_t interval_ns, const FileIoRow& row)
{
    const tt_file_io_key& key = *row.key;
    const tt_file_io_stat& stat = *row.stat;
    sink.begin("file.io", common);
    sink.str("path", kernel_string(stat.path, sizeof(stat.path)));
    sink.boolean("path_truncated", stat.path_flags & TT_FILE_PATH_TRUNCATED);
    // The kernel's dev_t: 12 bits of major above 20 bits of minor.
    char dev[32];
    int n = snprintf(dev, sizeof(dev), "%u:%u", key.dev >> 20, key.dev & 0xfffff);
    sink.name("dev", std::string_view(dev, n > 0 ? static_cast<size_t>(n) : 0));
    sink.u64("inode", key.ino);
    sink.u64("interval_ns", interval_ns);
    sink.u64("reads", stat.reads);
    sink.u64("writes", stat.writes);
    sink.u64("bytes_read", stat.bytes_read);
    sink.u64("bytes_written", stat.bytes_written);
    sink.u64("latency_ns", stat.latency_ns);
    sink.end();
}

std::span<const RecordSpec> file_records()
{
    return table;
}

}  // namespace tapio
