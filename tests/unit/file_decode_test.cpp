// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The file area's decoders and formatting helpers, on hand-built records.
#include <doctest/doctest.h>

#include "fixtures.h"
#include <fcntl.h>
#include <nlohmann/json.hpp>

#include <cstring>

#include "file_decode.h"
#include "decode.h"
#include "tapio/writer.h"

using nlohmann::json;
using namespace tapio;

namespace {

template <typename T>
T make(uint16_t kind)
{
    return fixtures::make_record<T>(kind, 100, "worker");
}

template <typename T>
json decode(const T& rec)
{
    return fixtures::decode_json(rec);
}

std::string flags(uint32_t f)
{
    char buf[256];
    return std::string(open_flags_text(f, buf));
}

}  // namespace

TEST_CASE("file: open flags as text")
{
    CHECK(flags(O_RDONLY) == "O_RDONLY");
    CHECK(flags(O_WRONLY | O_CREAT | O_CLOEXEC) == "O_WRONLY|O_CREAT|O_CLOEXEC");
    CHECK(flags(O_RDWR | O_EXCL | O_TRUNC | O_APPEND | O_NONBLOCK) == "O_RDWR|O_EXCL|O_TRUNC|O_APPEND|O_NONBLOCK");
    CHECK(flags(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_PATH) == "O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_PATH");
    CHECK(flags(O_WRONLY | O_SYNC) == "O_WRONLY|O_SYNC");
    CHECK(flags(O_WRONLY | O_DSYNC) == "O_WRONLY|O_DSYNC");
    CHECK(flags(O_RDWR | O_TMPFILE) == "O_RDWR|O_TMPFILE");
    CHECK(flags(O_RDONLY | 0x80000000u) == "O_RDONLY|0x80000000");
}

TEST_CASE("file: flag and mode text into buffers too small, or empty")
{
    // An empty buffer: nothing written (buf[0] was written, and cap - 1 - len
    // wrapped around); one byte: just the NUL.
    std::span<char> none;
    CHECK(open_flags_text(O_WRONLY | O_CREAT, none).empty());
    CHECK(rename_flags_text(1, none).empty());
    CHECK(mode_text(0644, none).empty());
    char one[1] = {'x'};
    CHECK(open_flags_text(O_WRONLY | O_CREAT, one).empty());
    CHECK(one[0] == '\0');
    char some[9];
    CHECK(open_flags_text(O_WRONLY | O_CREAT, some) == "O_WRONLY");
    CHECK(rename_flags_text(2 | 8, some) == "RENAME_E");
    CHECK(mode_text(04755, std::span<char>(some, 3)) == "47");
}

TEST_CASE("file: mode, rename flags, normalized paths, op names")
{
    char buf[600];
    CHECK(mode_text(0644, buf) == "0644");
    CHECK(mode_text(04755, buf) == "4755");
    CHECK(mode_text(0100644, buf) == "0644");  // file type bits dropped
    CHECK(rename_flags_text(1, buf) == "RENAME_NOREPLACE");
    CHECK(rename_flags_text(2 | 8, buf) == "RENAME_EXCHANGE|0x8");
    CHECK(normalize_path("/tmp/x", "a", buf) == "/tmp/x/a");
    CHECK(normalize_path("/tmp/x", "./a", buf) == "/tmp/x/a");
    CHECK(normalize_path("/", "a", buf) == "/a");
    CHECK(normalize_path("/tmp", ".", buf) == "/tmp");
    CHECK(normalize_path("/", ".", buf) == "/");
    CHECK(normalize_path("/a/b", "../c", buf) == "/a/c");
    CHECK(normalize_path("/a/b", "../../../../c", buf) == "/c");  // not past the root
    CHECK(normalize_path("/a", "b//c/./d/", buf) == "/a/b/c/d");
    CHECK(normalize_path("/ignored", "/x/../y", buf) == "/y");  // absolute: the directory is not used
    CHECK(normalize_path("/a", "..", buf) == "/");
    CHECK(normalize_path("/a", "...", buf) == "/a/...");  // only "." and ".." are special
    char tiny[4];
    CHECK(normalize_path("/abcdef", "g", tiny).empty());  // does not fit: nothing made up
    CHECK(io_op_name(TT_IO_PWRITE) == "pwrite64");
    CHECK(io_op_name(TT_IO_FDATASYNC) == "fdatasync");
    CHECK(io_op_name(99) == "unknown");
}

TEST_CASE("file.open: absolute, relative with its resolved directory, failed")
{
    auto rec = make<tt_file_open>(TT_FILE_OPEN);
    std::strcpy(rec.path, "/etc/passwd");
    rec.flags = O_RDONLY | O_CLOEXEC;
    rec.mode = 0777;  // garbage without O_CREAT: not shown
    rec.ret = 3;
    json j = decode(rec);
    CHECK(j["type"] == "file.open");
    CHECK(j["path"] == "/etc/passwd");
    CHECK(j["path_truncated"] == false);
    CHECK(j["full_path"] == "/etc/passwd");
    CHECK(j["full_path_truncated"] == false);
    CHECK(j["flags"] == "O_RDONLY|O_CLOEXEC");
    CHECK_FALSE(j.contains("mode"));
    CHECK(j["fd"] == 3);
    CHECK_FALSE(j.contains("error"));

    std::strcpy(rec.path, "data/x.log");
    std::strcpy(rec.dir, "/var/lib");
    rec.path_flags = TT_FILE_DIR_RESOLVED;
    rec.flags = O_WRONLY | O_CREAT | O_APPEND;
    rec.mode = 0600;
    rec.ret = -13;
    j = decode(rec);
    CHECK(j["path"] == "data/x.log");
    CHECK(j["full_path"] == "/var/lib/data/x.log");
    CHECK(j["flags"] == "O_WRONLY|O_CREAT|O_APPEND");
    CHECK(j["mode"] == "0600");
    CHECK(j["error"] == "EACCES");
    CHECK_FALSE(j.contains("fd"));
    CHECK(j["full_path_truncated"] == false);

    rec.path_flags = 0;  // directory not resolved: full_path unknown
    j = decode(rec);
    CHECK(j["full_path"].is_null());
    CHECK(j["full_path_truncated"] == false);
}

TEST_CASE("file paths: one rule, at most 255 bytes, the end kept, every cut marked")
{
    auto rec = make<tt_file_open>(TT_FILE_OPEN);
    rec.ret = 3;
    const std::string end(255, 'e');

    // A path the kernel cut: its end as sent, and no full_path made from it.
    std::strcpy(rec.path, end.c_str());
    std::strcpy(rec.dir, "/srv");
    rec.path_flags = TT_FILE_DIR_RESOLVED | TT_FILE_PATH_TRUNCATED;
    json j = decode(rec);
    CHECK(j["path"] == end);
    CHECK(j["path_truncated"] == true);
    CHECK(j["full_path"].is_null());
    CHECK(j["full_path_truncated"] == false);

    // Cut and empty: longer than PATH_MAX, its end never seen.
    rec.path[0] = '\0';
    j = decode(rec);
    CHECK(j["path"].is_null());
    CHECK(j["path_truncated"] == true);
    CHECK(j["full_path"].is_null());

    // A directory the kernel cut: no full_path either.
    std::strcpy(rec.path, "f");
    rec.path_flags = TT_FILE_DIR_RESOLVED | TT_FILE_DIR_TRUNCATED;
    j = decode(rec);
    CHECK(j["path"] == "f");
    CHECK(j["path_truncated"] == false);
    CHECK(j["full_path"].is_null());

    // Neither cut, but joined longer than 255: the end of it, marked.
    std::string dir = "/" + std::string(200, 'd');
    std::string path = std::string(100, 'p');
    std::strcpy(rec.dir, dir.c_str());
    std::strcpy(rec.path, path.c_str());
    rec.path_flags = TT_FILE_DIR_RESOLVED;
    j = decode(rec);
    std::string full = dir + "/" + path;
    CHECK(j["path_truncated"] == false);
    CHECK(j["full_path"] == full.substr(full.size() - 255));
    CHECK(j["full_path_truncated"] == true);

    // Longer than 255 before normalization, not after: not cut.
    std::strcpy(rec.path, (std::string(100, 'x') + "/../y").c_str());
    j = decode(rec);
    CHECK(j["full_path"] == dir + "/y");
    CHECK(j["full_path_truncated"] == false);

    // Exactly 255 bytes: whole, not cut.
    std::string abs = "/" + std::string(254, 'a');
    std::strcpy(rec.path, abs.c_str());
    rec.path_flags = 0;
    j = decode(rec);
    CHECK(j["full_path"] == abs);
    CHECK(j["full_path_truncated"] == false);

    // A directory that is no directory (a pipe as dirfd): no full_path.
    std::strcpy(rec.path, "x");
    std::strcpy(rec.dir, "pipefs:[1234]");
    rec.path_flags = TT_FILE_DIR_RESOLVED;
    CHECK(decode(rec)["full_path"].is_null());

    // An empty path names nothing.
    rec.path[0] = '\0';
    std::strcpy(rec.dir, "/srv");
    j = decode(rec);
    CHECK(j["path"] == "");
    CHECK(j["full_path"].is_null());
}

TEST_CASE("file ops: rename, chmod, truncate by fd, rmdir; file.slow")
{
    auto rec = make<tt_file_op>(TT_FILE_RENAME);
    std::strcpy(rec.path, "a");
    std::strcpy(rec.dir, "/");
    std::strcpy(rec.new_path, "/tmp/b");
    rec.path_flags = TT_FILE_DIR_RESOLVED;
    rec.flags = 1;
    rec.ret = -17;
    json j = decode(rec);
    CHECK(j["type"] == "file.rename");
    CHECK(j["path"] == "a");
    CHECK(j["full_path"] == "/a");
    CHECK(j["new_path"] == "/tmp/b");
    CHECK(j["new_path_truncated"] == false);
    CHECK(j["new_full_path"] == "/tmp/b");
    CHECK(j["new_full_path_truncated"] == false);
    rec.path_flags |= TT_FILE_NEW_PATH_TRUNCATED;
    j = decode(rec);
    CHECK(j["new_path_truncated"] == true);
    CHECK(j["new_full_path"].is_null());
    CHECK(j["path_truncated"] == false);
    CHECK(j["flags"] == "RENAME_NOREPLACE");
    CHECK(j["error"] == "EEXIST");

    auto chmod = make<tt_file_op>(TT_FILE_CHMOD);
    std::strcpy(chmod.path, "/srv/f");
    chmod.mode = 0640;
    j = decode(chmod);
    CHECK(j["type"] == "file.chmod");
    CHECK(j["mode"] == "0640");
    CHECK_FALSE(j.contains("error"));

    auto trunc = make<tt_file_op>(TT_FILE_TRUNCATE);
    std::strcpy(trunc.path, "/srv/log");
    trunc.path_flags = TT_FILE_PATH_FROM_FD | TT_FILE_PATH_TRUNCATED;
    trunc.length = 4096;
    j = decode(trunc);
    CHECK(j["type"] == "file.truncate");
    CHECK(j["path"] == "/srv/log");
    CHECK(j["path_truncated"] == true);
    CHECK(j["full_path"] == "/srv/log");  // from an fd: the kernel's path, the same
    CHECK(j["full_path_truncated"] == true);
    CHECK(j["length"] == 4096);
    trunc.path[0] = '\0';  // no file behind the fd
    trunc.path_flags = TT_FILE_PATH_FROM_FD;
    trunc.ret = -9;
    j = decode(trunc);
    CHECK(j["path"].is_null());
    CHECK(j["full_path"].is_null());
    CHECK(j["error"] == "EBADF");
    std::strcpy(trunc.path, "pipefs:[77]");
    CHECK(decode(trunc)["full_path"].is_null());

    auto rmdir = make<tt_file_op>(TT_FILE_RMDIR);
    std::strcpy(rmdir.path, "/x");
    rmdir.ret = -39;
    j = decode(rmdir);
    CHECK(j["type"] == "file.rmdir");
    CHECK(j["error"] == "ENOTEMPTY");

    auto slow = make<tt_file_slow>(TT_FILE_SLOW);
    slow.op = TT_IO_FSYNC;
    slow.fd = 7;
    slow.ret = 0;
    slow.latency_ns = 25000000;
    std::strcpy(slow.path, "/var/db/wal");
    j = decode(slow);
    CHECK(j["type"] == "file.slow");
    CHECK(j["op"] == "fsync");
    CHECK(j["fd"] == 7);
    CHECK(j["path"] == "/var/db/wal");
    CHECK(j["path_truncated"] == false);
    CHECK(j["bytes"] == 0);
    CHECK(j["latency_ns"] == 25000000);
    slow.ret = -5;
    j = decode(slow);
    CHECK(j["error"] == "EIO");
    CHECK_FALSE(j.contains("bytes"));
    slow.ret = -512;  // interrupted: the kernel restarts it or makes it EINTR
    CHECK(decode(slow)["error"] == "ERESTARTSYS");
    slow.path[0] = '\0';
    j = decode(slow);
    CHECK(j["path"].is_null());
    CHECK(j["path_truncated"] == false);
}

TEST_CASE("cut_path_field: the rule every path field follows (memcg_path too)")
{
    auto field = [](const std::string& value) {
        Output out(-1);
        JsonWriter w(out, WallClock(0));
        w.begin("test", Common{});
        cut_path_field(w, "p", "p_truncated", value);
        w.end();
        return json::parse(std::string(out.buffer().data(), out.buffer().size()));
    };
    json j = field("/sys/fs/cgroup/x");
    CHECK(j["p"] == "/sys/fs/cgroup/x");
    CHECK(j["p_truncated"] == false);
    std::string exact = std::string(254, 'a') + "z";
    j = field(exact);
    CHECK(j["p"] == exact);
    CHECK(j["p_truncated"] == false);
    j = field("/" + exact);
    CHECK(j["p"] == exact);  // the last 255 bytes
    CHECK(j["p_truncated"] == true);
}
