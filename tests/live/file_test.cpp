// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Live tests of the file area: the test process itself does the file
// operations, in a fresh directory of its own, and the tracer is limited to
// this process (-p), so nobody else's activity can match.
#include <dirent.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

using namespace live;

namespace {

std::string self_pid()
{
    return std::to_string(getpid());
}

// The records of one type from this process whose path (or new_path) is p.
std::vector<json> records_for(const Tracer& t, const char* type, const std::string& p)
{
    return t.all([&](const json& r) {
        return is_type(r, type) && r["pid"] == getpid() && (r.value("path", "") == p || r.value("new_path", "") == p);
    });
}

}  // namespace

TEST_CASE("file: create, write, rename, chmod, truncate, unlink, mkdir, rmdir and a failed open, exactly")
{
    TempDir dir("tt-file");
    Tracer t({"file", "-p", self_pid()});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());

    std::string a = dir / "a", b = dir / "b", d = dir / "d", missing = dir / "missing";
    int fd = open(a.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, "hello", 5) == 5);
    REQUIRE(ftruncate(fd, 3) == 0);
    close(fd);
    REQUIRE(rename(a.c_str(), b.c_str()) == 0);
    REQUIRE(chmod(b.c_str(), 0600) == 0);
    REQUIRE(truncate(b.c_str(), 2) == 0);
    REQUIRE(unlink(b.c_str()) == 0);
    REQUIRE(mkdir(d.c_str(), 0750) == 0);
    REQUIRE(rmdir(d.c_str()) == 0);
    REQUIRE(open(missing.c_str(), O_RDONLY) == -1);

    // Relative paths, resolved in the kernel against a dirfd.
    int dirfd = open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
    REQUIRE(dirfd >= 0);
    int rel = openat(dirfd, "rel", O_RDWR | O_CREAT | O_EXCL, 0604);
    REQUIRE(rel >= 0);
    close(rel);
    REQUIRE(unlinkat(dirfd, "rel", 0) == 0);
    REQUIRE(mkdirat(dirfd, "sub", 0700) == 0);
    REQUIRE(unlinkat(dirfd, "sub", AT_REMOVEDIR) == 0);
    close(dirfd);

    // The last operation: once it is seen, everything before it is too.
    std::string last = dir / "last";
    REQUIRE(open(last.c_str(), O_RDONLY) == -1);
    REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "file.open") && r["path"] == last; }));
    t.stop();

    auto opens = records_for(t, "file.open", a);
    REQUIRE(opens.size() == 1);
    CHECK(opens[0]["tid"] == getpid());
    CHECK(opens[0]["flags"] == "O_WRONLY|O_CREAT|O_CLOEXEC");
    CHECK(opens[0]["mode"] == "0640");
    CHECK(opens[0]["fd"] == fd);
    CHECK_FALSE(opens[0].contains("error"));
    CHECK(opens[0]["full_path"] == a);  // already absolute and normal
    CHECK(opens[0]["path_truncated"] == false);
    CHECK(opens[0]["full_path_truncated"] == false);

    auto ftrunc = t.all([&](const json& r) { return is_type(r, "file.truncate") && r["pid"] == getpid(); });
    REQUIRE(ftrunc.size() == 2);
    CHECK(ftrunc[0]["path"] == a);  // ftruncate: resolved from the fd
    CHECK(ftrunc[0]["length"] == 3);
    CHECK(ftrunc[1]["path"] == b);
    CHECK(ftrunc[1]["length"] == 2);
    CHECK_FALSE(ftrunc[1].contains("error"));

    auto renames = records_for(t, "file.rename", a);
    REQUIRE(renames.size() == 1);
    CHECK(renames[0]["new_path"] == b);
    CHECK_FALSE(renames[0].contains("error"));

    auto chmods = records_for(t, "file.chmod", b);
    REQUIRE(chmods.size() == 1);
    CHECK(chmods[0]["mode"] == "0600");
    CHECK_FALSE(chmods[0].contains("error"));

    auto unlinks = records_for(t, "file.unlink", b);
    REQUIRE(unlinks.size() == 1);
    CHECK_FALSE(unlinks[0].contains("error"));

    auto mkdirs = records_for(t, "file.mkdir", d);
    REQUIRE(mkdirs.size() == 1);
    CHECK(mkdirs[0]["mode"] == "0750");
    auto rmdirs = records_for(t, "file.rmdir", d);
    REQUIRE(rmdirs.size() == 1);
    CHECK_FALSE(rmdirs[0].contains("error"));

    auto failed = records_for(t, "file.open", missing);
    REQUIRE(failed.size() == 1);
    CHECK(failed[0]["flags"] == "O_RDONLY");
    CHECK(failed[0]["error"] == "ENOENT");
    CHECK_FALSE(failed[0].contains("fd"));
    CHECK_FALSE(failed[0].contains("mode"));

    auto rel_open = records_for(t, "file.open", "rel");
    REQUIRE(rel_open.size() == 1);
    CHECK(rel_open[0]["full_path"] == dir / "rel");
    CHECK(rel_open[0]["flags"] == "O_RDWR|O_CREAT|O_EXCL");
    CHECK(rel_open[0]["mode"] == "0604");
    CHECK(rel_open[0]["fd"] == rel);
    auto rel_unlink = records_for(t, "file.unlink", "rel");
    REQUIRE(rel_unlink.size() == 1);
    CHECK(rel_unlink[0]["full_path"] == dir / "rel");
    auto sub_mkdir = records_for(t, "file.mkdir", "sub");
    REQUIRE(sub_mkdir.size() == 1);
    CHECK(sub_mkdir[0]["full_path"] == dir / "sub");
    CHECK(sub_mkdir[0]["mode"] == "0700");
    auto sub_rmdir = records_for(t, "file.rmdir", "sub");  // unlinkat with AT_REMOVEDIR
    REQUIRE(sub_rmdir.size() == 1);
    CHECK(sub_rmdir[0]["full_path"] == dir / "sub");
}

TEST_CASE("file: relative paths resolve against the cwd; failures carry the errno name")
{
    TempDir dir("tt-file");
    Tracer t({"file", "-p", self_pid()});
    REQUIRE(t.ready());
    char old_cwd[4096];
    REQUIRE(getcwd(old_cwd, sizeof(old_cwd)));
    REQUIRE(chdir(dir.path().c_str()) == 0);
    int fd = creat("./made", 0644);
    bool renamed = renameat2(AT_FDCWD, "made", AT_FDCWD, "taken", 0) == 0;
    bool noreplace_failed = renameat2(AT_FDCWD, "taken", AT_FDCWD, "taken", RENAME_NOREPLACE) == -1;
    bool rmdir_failed = rmdir("taken") == -1;
    REQUIRE(chdir(old_cwd) == 0);
    REQUIRE(fd >= 0);
    close(fd);
    REQUIRE(renamed);
    REQUIRE(noreplace_failed);
    REQUIRE(rmdir_failed);

    auto r = t.wait_for([&](const json& r) { return is_type(r, "file.rmdir") && r["pid"] == getpid(); });
    REQUIRE(r);
    CHECK((*r)["path"] == "taken");
    CHECK((*r)["full_path"] == dir / "taken");
    CHECK((*r)["error"] == "ENOTDIR");
    t.stop();

    auto made = records_for(t, "file.open", "./made");
    REQUIRE(made.size() == 1);
    CHECK(made[0]["full_path"] == dir / "made");            // "./" dropped
    CHECK(made[0]["flags"] == "O_WRONLY|O_CREAT|O_TRUNC");  // creat()
    CHECK(made[0]["mode"] == "0644");
    CHECK(made[0]["fd"] == fd);

    auto renames = t.all([&](const json& r) { return is_type(r, "file.rename") && r["pid"] == getpid(); });
    REQUIRE(renames.size() == 2);
    CHECK(renames[0]["path"] == "made");
    CHECK(renames[0]["full_path"] == dir / "made");
    CHECK(renames[0]["new_path"] == "taken");
    CHECK(renames[0]["new_full_path"] == dir / "taken");
    CHECK_FALSE(renames[0].contains("error"));
    CHECK(renames[1]["flags"] == "RENAME_NOREPLACE");
    CHECK(renames[1]["error"] == "EEXIST");
}

TEST_CASE("file -x: only the failed operations")
{
    TempDir dir("tt-file");
    Tracer t({"file", "-x", "-p", self_pid()});
    REQUIRE(t.ready());
    std::string ok = dir / "ok", missing = dir / "missing";
    int fd = open(ok.c_str(), O_WRONLY | O_CREAT, 0600);
    REQUIRE(fd >= 0);
    close(fd);
    REQUIRE(unlink(ok.c_str()) == 0);
    REQUIRE(unlink(missing.c_str()) == -1);
    REQUIRE(open(missing.c_str(), O_RDONLY) == -1);
    REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "file.open") && r["path"] == missing; }));
    t.stop();
    CHECK(records_for(t, "file.open", ok).empty());
    CHECK(records_for(t, "file.unlink", ok).empty());
    auto failed = records_for(t, "file.unlink", missing);
    REQUIRE(failed.size() == 1);
    CHECK(failed[0]["error"] == "ENOENT");
    for (const auto& r : t.all([](const json& r) { return r.value("type", "").rfind("file.", 0) == 0; }))
        CHECK_MESSAGE(r.contains("error"), r.dump());
}

TEST_CASE("file --path: only paths under the prefix, relative ones by their resolved path")
{
    TempDir dir("tt-file");
    std::string prefix = dir / "keep";
    Tracer t({"file", "--path", prefix, "-p", self_pid()});
    REQUIRE(t.ready());
    std::string keep = dir / "keep-1", drop = dir / "drop-1", last = dir / "keep-last";
    for (const std::string& p : {keep, drop}) {
        int fd = open(p.c_str(), O_WRONLY | O_CREAT, 0600);
        REQUIRE(fd >= 0);
        close(fd);
    }
    int dirfd = open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
    REQUIRE(dirfd >= 0);
    REQUIRE(mkdirat(dirfd, "keep-rel", 0700) == 0);
    REQUIRE(mkdirat(dirfd, "drop-rel", 0700) == 0);
    close(dirfd);
    REQUIRE(rename(drop.c_str(), (dir / "keep-2").c_str()) == 0);  // new path matches
    REQUIRE(open(last.c_str(), O_RDONLY) == -1);
    REQUIRE(t.wait_for([&](const json& r) { return r.value("path", "") == last; }));
    t.stop();

    CHECK(records_for(t, "file.open", keep).size() == 1);
    CHECK(records_for(t, "file.open", drop).empty());
    CHECK(records_for(t, "file.mkdir", "keep-rel").size() == 1);
    CHECK(records_for(t, "file.mkdir", "drop-rel").empty());
    CHECK(records_for(t, "file.rename", drop).size() == 1);
    auto all = t.all([](const json& r) { return r.value("type", "").rfind("file.", 0) == 0; });
    CHECK(all.size() == 4);  // keep-1, keep-rel, the rename to keep-2, keep-last
    for (const auto& r : all) {
        std::string full = r.value("full_path", r.value("path", ""));
        std::string new_full = r.value("new_full_path", r.value("new_path", ""));
        CHECK_MESSAGE((full.rfind(prefix, 0) == 0 || new_full.rfind(prefix, 0) == 0), r.dump());
    }
}

TEST_CASE("file: the table quotes a COMM that would pass for columns (prctl \"x file.open 1\")")
{
    TempDir dir("tt-file");
    std::string target = dir / "spoofed";
    close(open(target.c_str(), O_WRONLY | O_CREAT, 0600));
    Tracer t({"file", "--path", dir.path()}, /*json=*/false);
    REQUIRE(t.ready());
    pid_t child = spawn({TAPIO_WORKLOAD, "named", "x file.open 1", target});
    CHECK(wait_pid(child).code == 0);
    std::string pid = std::to_string(child);
    std::vector<std::string> rows;
    for (int i = 0; i < 50 && rows.empty(); ++i) {
        std::this_thread::sleep_for(100ms);
        for (const auto& line : t.stdout_lines())
            if (line.find(target) != std::string::npos)
                rows.push_back(line);
    }
    t.stop();
    REQUIRE(rows.size() == 1);
    // TIME EVENT PID COMM DETAILS: the name in quotes, right after the pid.
    CHECK_MESSAGE(rows[0].find(" open ") != std::string::npos, rows[0]);
    CHECK_MESSAGE(rows[0].find(" " + pid + " \"x file.open 1\" ") != std::string::npos, rows[0]);
}

TEST_CASE("file.slow: a write blocked on a FIFO whose reader waits, only with --slow-any-file")
{
    TempDir dir("tt-file");
    std::string fifo = dir / "fifo";
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    Tracer t({"file", "--min-latency", "100ms", "--slow-any-file", "-p", self_pid()});
    // By default a pipe's wait is its peer's, not storage's: not reported.
    Tracer quiet({"file", "--min-latency", "100ms", "-p", self_pid()});
    REQUIRE(t.ready());
    REQUIRE(quiet.ready());

    constexpr size_t size = 256 * 1024;  // far more than the pipe holds
    pid_t reader = fork();
    if (reader == 0) {
        int fd = open(fifo.c_str(), O_RDONLY);
        usleep(400 * 1000);  // the writer blocks meanwhile
        static char buf[65536];
        while (read(fd, buf, sizeof(buf)) > 0) {
        }
        _exit(0);
    }
    int fd = open(fifo.c_str(), O_WRONLY);
    REQUIRE(fd >= 0);
    std::string data(size, 'x');
    REQUIRE(write(fd, data.data(), data.size()) == static_cast<ssize_t>(size));
    close(fd);
    wait_pid(reader);

    // (The harness's own reads of the tracer's output pipe can be slow too.)
    auto r = t.wait_for([&](const json& r) { return is_type(r, "file.slow") && r["path"] == fifo; });
    REQUIRE(r);
    CHECK((*r)["pid"] == getpid());
    CHECK((*r)["op"] == "write");
    CHECK((*r)["path"] == fifo);
    CHECK((*r)["fd"] == fd);
    CHECK((*r)["bytes"] == size);
    CHECK((*r)["latency_ns"].get<uint64_t>() >= 100000000ULL);
    std::string last = unique("/tmp/tt-file-last");
    REQUIRE(open(last.c_str(), O_RDONLY) == -1);
    REQUIRE(quiet.wait_for([&](const json& r) { return is_type(r, "file.open") && r["path"] == last; }));
    t.stop();
    quiet.stop();
    // Only the one slow call on the FIFO.
    CHECK(t.all([&](const json& r) { return is_type(r, "file.slow") && r["path"] == fifo; }).size() == 1);
    CHECK(quiet.all([&](const json& r) { return is_type(r, "file.slow") && r["path"] == fifo; }).empty());
    // Nor the harness's own waits on the tracers' output pipes.
    CHECK(quiet.all([&](const json& r) { return is_type(r, "file.slow"); }).empty());
}

TEST_CASE("file.io --top: the bytes of a known writer and reader go to the right file")
{
    TempDir dir("tt-file");
    Tracer t({"file", "--top", "5", "--sampling-interval", "200ms", "-p", self_pid()});
    REQUIRE(t.ready());
    std::string known = dir / "known", other = dir / "other";
    int fd = open(known.c_str(), O_RDWR | O_CREAT, 0600);
    REQUIRE(fd >= 0);
    char block[4096];
    memset(block, 'k', sizeof(block));
    for (int i = 0; i < 3; ++i)
        REQUIRE(write(fd, block, sizeof(block)) == static_cast<ssize_t>(sizeof(block)));
    REQUIRE(pread(fd, block, 1000, 0) == 1000);
    close(fd);
    int fd2 = open(other.c_str(), O_WRONLY | O_CREAT, 0600);
    REQUIRE(fd2 >= 0);
    REQUIRE(write(fd2, block, 10) == 10);
    close(fd2);

    // The totals may be split over intervals: add them up.
    uint64_t seen_known = 0, seen_other = 0;
    REQUIRE(t.wait_for([&](const json& r) {
        if (is_type(r, "file.io") && r["path"] == known)
            seen_known += r["bytes_written"].get<uint64_t>();
        if (is_type(r, "file.io") && r["path"] == other)
            seen_other += r["writes"].get<uint64_t>();
        return seen_known >= 12288 && seen_other >= 1;
    }));
    t.stop();
    auto sum = [&](const std::string& path, const char* key) {
        uint64_t total = 0;
        for (const auto& r : t.all([&](const json& r) { return is_type(r, "file.io") && r["path"] == path; }))
            total += r[key].get<uint64_t>();
        return total;
    };
    CHECK(sum(known, "bytes_written") == 12288);
    CHECK(sum(known, "writes") == 3);
    CHECK(sum(known, "bytes_read") == 1000);
    CHECK(sum(known, "reads") == 1);
    CHECK(sum(other, "bytes_written") == 10);
    CHECK(sum(other, "bytes_read") == 0);
    for (const auto& r : t.all([](const json& r) { return is_type(r, "file.io"); })) {
        CHECK(r["pid"] == getpid());
        CHECK(r["latency_ns"].is_number_unsigned());
    }
}

// ---- the ground truth of paths ----
//
// One rule for every path field of every file record: at most 255 bytes; a
// longer value keeps its last 255 bytes and its <field>_truncated is true;
// <field>_truncated is always there. full_path is the path made absolute
// and normalized lexically (".", ".." and repeated slashes resolved without
// following symlinks), null when it cannot be known (its parts were cut, the
// directory was not found), and cut by the same rule when the result is long.

namespace {

constexpr size_t kFieldMax = 255;

std::string tail(const std::string& s)
{
    return s.size() > kFieldMax ? s.substr(s.size() - kFieldMax) : s;
}

// The JSON string the writer makes of raw bytes: every byte that does not
// start a valid UTF-8 sequence becomes U+FFFD.
std::string as_json_text(const std::string& s)
{
    std::string out;
    for (size_t i = 0; i < s.size();) {
        auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
        unsigned char c = b(i);
        size_t len = c < 0x80                 ? 1
                     : c >= 0xc2 && c <= 0xdf ? 2
                     : c >= 0xe0 && c <= 0xef ? 3
                     : c >= 0xf0 && c <= 0xf4 ? 4
                                              : 0;
        bool ok = len > 0 && i + len <= s.size();
        for (size_t k = 1; ok && k < len; ++k)
            ok = (b(i + k) & 0xc0) == 0x80;
        if (ok) {
            out.append(s, i, len);
            i += len;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    return out;
}

// Lexical normalization of an absolute path.
std::string normalize(const std::string& p)
{
    std::vector<std::string> parts;
    size_t i = 0;
    while (i <= p.size()) {
        size_t j = p.find('/', i);
        if (j == std::string::npos)
            j = p.size();
        std::string c = p.substr(i, j - i);
        if (c == "..") {
            if (!parts.empty())
                parts.pop_back();
        } else if (!c.empty() && c != ".") {
            parts.push_back(c);
        }
        i = j + 1;
    }
    std::string out;
    for (const auto& c : parts)
        out += "/" + c;
    return out.empty() ? "/" : out;
}

struct PathExpect {
    json path;
    bool path_truncated = false;
    json full_path;
    bool full_path_truncated = false;
};

// What a record must say about `passed`, relative to `dir` (the directory
// it starts from; empty when there is none to be found).
PathExpect expect_path(const std::string& passed, const std::string& dir)
{
    PathExpect e;
    e.full_path = nullptr;
    if (passed.size() > 4095) {  // longer than the kernel takes: its end is unknown
        e.path = nullptr;
        e.path_truncated = true;
        return e;
    }
    e.path = as_json_text(tail(passed));
    e.path_truncated = passed.size() > kFieldMax;
    if (e.path_truncated || passed.empty())
        return e;
    std::string full;
    if (passed[0] == '/')
        full = normalize(passed);
    else if (!dir.empty() && dir.size() <= kFieldMax)
        full = normalize(dir + "/" + passed);
    else
        return e;
    e.full_path = as_json_text(tail(full));
    e.full_path_truncated = full.size() > kFieldMax;
    return e;
}

// The file behind an fd: the kernel's own path, absolute and normal already.
PathExpect expect_fd_path(const std::string& abs)
{
    PathExpect e;
    e.path = e.full_path = as_json_text(tail(abs));
    e.path_truncated = e.full_path_truncated = abs.size() > kFieldMax;
    return e;
}

// A relative path of exactly len bytes: directories of 200 bytes, then a
// last component that ends with tag (so the kept end tells cases apart).
std::string rel_path(size_t len, const std::string& tag)
{
    size_t levels = len <= kFieldMax ? 0 : (len - kFieldMax + 200) / 201;
    size_t last = len - levels * 201;
    REQUIRE(last >= tag.size());
    REQUIRE(last <= kFieldMax);
    std::string p;
    for (size_t i = 0; i < levels; ++i)
        p += std::string(200, 'd') + "/";
    return p + std::string(last - tag.size(), 'f') + tag;
}

// mkdir -p of the directories of rel under base_fd (not rel itself).
void make_parents(int base_fd, const std::string& rel)
{
    for (size_t pos = rel.find('/', 1); pos != std::string::npos; pos = rel.find('/', pos + 1))
        REQUIRE_MESSAGE((mkdirat(base_fd, rel.substr(0, pos).c_str(), 0755) == 0 || errno == EEXIST),
                        rel.substr(0, pos));
}

void make_file(int base_fd, const std::string& rel)
{
    make_parents(base_fd, rel);
    int fd = openat(base_fd, rel.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    REQUIRE_MESSAGE(fd >= 0, rel);
    close(fd);
}

void make_dir(int base_fd, const std::string& rel)
{
    make_parents(base_fd, rel);
    REQUIRE_MESSAGE((mkdirat(base_fd, rel.c_str(), 0755) == 0 || errno == EEXIST), rel);
}

enum class Op {
    open,
    openat,
    openat2,
    creat,
    unlink,
    unlinkat,
    rmdir,
    unlinkat_rmdir,
    mkdir,
    mkdirat,
    rename,
    renameat,
    renameat2,
    truncate,
    chmod,
    fchmodat,
    fchmodat2,
    ftruncate,
    fchmod
};

struct OpInfo {
    Op op;
    const char* name;
    const char* type;
    bool at;      // takes a dirfd
    bool by_fd;   // works on an open fd
    bool target;  // needs an existing file (or directory, for rmdir)
    bool dir;     // the target is a directory
};

constexpr OpInfo ops[] = {
    {Op::open, "open", "file.open", false, false, false, false},
    {Op::openat, "openat", "file.open", true, false, false, false},
    {Op::openat2, "openat2", "file.open", true, false, false, false},
    {Op::creat, "creat", "file.open", false, false, false, false},
    {Op::unlink, "unlink", "file.unlink", false, false, true, false},
    {Op::unlinkat, "unlinkat", "file.unlink", true, false, true, false},
    {Op::rmdir, "rmdir", "file.rmdir", false, false, true, true},
    {Op::unlinkat_rmdir, "unlinkat(AT_REMOVEDIR)", "file.rmdir", true, false, true, true},
    {Op::mkdir, "mkdir", "file.mkdir", false, false, false, false},
    {Op::mkdirat, "mkdirat", "file.mkdir", true, false, false, false},
    {Op::rename, "rename", "file.rename", false, false, true, false},
    {Op::renameat, "renameat", "file.rename", true, false, true, false},
    {Op::renameat2, "renameat2", "file.rename", true, false, true, false},
    {Op::truncate, "truncate", "file.truncate", false, false, true, false},
    {Op::chmod, "chmod", "file.chmod", false, false, true, false},
    {Op::fchmodat, "fchmodat", "file.chmod", true, false, true, false},
    {Op::fchmodat2, "fchmodat2", "file.chmod", true, false, true, false},
    {Op::ftruncate, "ftruncate", "file.truncate", false, true, true, false},
    {Op::fchmod, "fchmod", "file.chmod", false, true, true, false},
};

enum class Base { cwd, dirfd, abs };

struct PathCase {
    const OpInfo* op;
    std::string label;
    int dirfd = AT_FDCWD;  // passed to *at calls
    std::string path;      // as passed (fd ops: the file's absolute path)
    std::string new_path;  // rename
    std::string dir;       // where a relative path starts
    int fd = -1;           // fd ops
    long ret = 0;
    int err = 0;
    json match;  // the path field the record is found by
};

long do_op(PathCase& c)
{
    const char* p = c.path.c_str();
    const char* np = c.new_path.c_str();
    errno = 0;
    switch (c.op->op) {
        case Op::open: return open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        case Op::openat: return openat(c.dirfd, p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        case Op::openat2: {
            open_how how{};
            how.flags = O_WRONLY | O_CREAT | O_CLOEXEC;
            how.mode = 0600;
            return syscall(SYS_openat2, c.dirfd, p, &how, sizeof(how));
        }
        case Op::creat: return creat(p, 0600);
        case Op::unlink: return unlink(p);
        case Op::unlinkat: return unlinkat(c.dirfd, p, 0);
        case Op::rmdir: return rmdir(p);
        case Op::unlinkat_rmdir: return unlinkat(c.dirfd, p, AT_REMOVEDIR);
        case Op::mkdir: return mkdir(p, 0700);
        case Op::mkdirat: return mkdirat(c.dirfd, p, 0700);
        case Op::rename: return rename(p, np);
        case Op::renameat: return renameat(c.dirfd, p, c.dirfd, np);
        case Op::renameat2: return syscall(SYS_renameat2, c.dirfd, p, c.dirfd, np, 0);
        case Op::truncate: return truncate(p, 1);
        case Op::chmod: return chmod(p, 0600);
        case Op::fchmodat: return fchmodat(c.dirfd, p, 0600, 0);
        case Op::fchmodat2: return syscall(452 /* fchmodat2, Linux 6.6 */, c.dirfd, p, 0600, 0);
        case Op::ftruncate: return ftruncate(c.fd, 1);
        case Op::fchmod: return fchmod(c.fd, 0600);
    }
    return -1;
}

std::string describe(const PathCase& c)
{
    return std::string(c.op->name) + " " + c.label + " (" + std::to_string(c.path.size()) + " bytes)";
}

// Checks one path field family (path, path_truncated, full_path, ...) of r.
void check_path(const json& r, const std::string& prefix, const PathExpect& e, const std::string& what)
{
    std::string path = prefix + "path", full = prefix + "full_path";
    INFO(what << "\n  record: " << r.dump());
    const json absent = "(absent)";
    CHECK(r.value(path, absent) == e.path);
    CHECK(r.value(path + "_truncated", absent) == e.path_truncated);
    CHECK(r.value(full, absent) == e.full_path);
    CHECK(r.value(full + "_truncated", absent) == e.full_path_truncated);
}

}  // namespace

TEST_CASE("file paths: the test's own expectations (normalization, cut, escaping)")
{
    CHECK(normalize("/a/b/../c") == "/a/c");
    CHECK(normalize("/a/./b//c/") == "/a/b/c");
    CHECK(normalize("/../a") == "/a");
    CHECK(normalize("/a/..") == "/");
    CHECK(tail(std::string(300, 'x') + "end").size() == 255);
    CHECK(as_json_text("a\xff"
                       "b") ==
          "a\xEF\xBF\xBD"
          "b");
    CHECK(as_json_text("\xc3\xa9") == "\xc3\xa9");
    CHECK(as_json_text("\xa9x") == "\xEF\xBF\xBDx");
    CHECK(rel_path(1, "a") == "a");
    CHECK(rel_path(4095, "-t").size() == 4095);
    CHECK(rel_path(256, "-t").size() == 256);
}

TEST_CASE("file paths: every operation, paths of 1 to 4095 bytes and odd ones, exact path fields")
{
    TempDir dir("tt-file");
    const std::string cwd_dir = dir / "cwd", fd_dir = dir / "fd", abs_dir = dir / "abs";
    for (const auto& d : {cwd_dir, fd_dir, abs_dir})
        REQUIRE(mkdir(d.c_str(), 0755) == 0);
    int cwd_fd = open(cwd_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int dir_fd = open(fd_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int root_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(cwd_fd >= 0);
    REQUIRE(dir_fd >= 0);
    REQUIRE(root_fd >= 0);

    const size_t lengths[] = {1, 100, 254, 255, 256, 300, 1000, 4095};
    std::vector<PathCase> cases;
    int counter = 0;
    const std::string letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    size_t next_letter = 0;
    auto tag_for = [&](size_t len) {
        if (len == 1) {
            REQUIRE(next_letter < letters.size());
            return std::string(1, letters[next_letter++]);
        }
        return "-" + std::to_string(counter++);
    };

    // The matrix: every operation, every base it can take, every length.
    for (const OpInfo& op : ops) {
        std::vector<Base> bases;
        if (op.by_fd)
            bases = {Base::abs};
        else if (op.at)
            bases = {Base::cwd, Base::dirfd, Base::abs};
        else
            bases = {Base::cwd, Base::abs};
        for (Base base : bases) {
            for (size_t len : lengths) {
                PathCase c;
                c.op = &op;
                int setup_fd;
                std::string rel;
                if (base == Base::abs) {
                    std::string prefix = abs_dir + "/";
                    if (len < prefix.size() + 4)
                        continue;
                    rel = (abs_dir + "/").substr(1) + rel_path(len - prefix.size(), tag_for(len - prefix.size()));
                    c.path = "/" + rel;
                    setup_fd = root_fd;
                    c.label = "absolute";
                } else {
                    rel = rel_path(len, tag_for(len));
                    c.path = rel;
                    c.dir = base == Base::cwd ? cwd_dir : fd_dir;
                    c.dirfd = base == Base::cwd ? AT_FDCWD : dir_fd;
                    setup_fd = base == Base::cwd ? cwd_fd : dir_fd;
                    c.label = base == Base::cwd ? "relative to the cwd" : "relative to a dirfd";
                }
                if (op.target) {
                    if (op.dir)
                        make_dir(setup_fd, rel);
                    else
                        make_file(setup_fd, rel);
                } else {
                    make_parents(setup_fd, rel);
                }
                if (op.op == Op::rename || op.op == Op::renameat || op.op == Op::renameat2) {
                    // The same directory and length, another name.
                    size_t dir_end = rel.rfind('/') + 1;  // 0 without a '/'
                    size_t last = rel.size() - dir_end;
                    std::string t = tag_for(last) + (last > 1 ? "n" : "");
                    REQUIRE(t.size() <= last);
                    std::string new_rel = rel.substr(0, dir_end) + std::string(last - t.size(), 'g') + t;
                    c.new_path = base == Base::abs ? "/" + new_rel : new_rel;
                }
                if (op.by_fd) {
                    c.fd = openat(setup_fd, rel.c_str(), O_RDWR | O_CLOEXEC);
                    REQUIRE(c.fd >= 0);
                    c.match = as_json_text(tail(c.path));
                } else {
                    c.match = expect_path(c.path, c.dir).path;
                }
                cases.push_back(std::move(c));
            }
        }
    }

    // Odd paths, each on its own.
    make_dir(cwd_fd, "sub");
    make_dir(cwd_fd, std::string(240, 'x'));
    std::string utf8_dir = std::string(44, 'd') + "\xc3\xa9" + std::string(154, 'd');  // 200 bytes
    make_dir(cwd_fd, utf8_dir);
    std::string long_dir_rel = std::string(200, 'd') + "/" + std::string(200, 'e');
    make_dir(dir_fd, long_dir_rel);
    int long_dir_fd = openat(dir_fd, long_dir_rel.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(long_dir_fd >= 0);
    // A file deep under one-byte directories: the kernel walks 150 levels to name it.
    std::string deep_rel;
    for (int i = 0; i < 150; ++i)
        deep_rel += "a/";
    deep_rel += "deep-file";
    make_file(dir_fd, deep_rel);
    auto odd = [&](Op which, const std::string& label, const std::string& path, const std::string& start, int dirfd) {
        PathCase c;
        for (const OpInfo& o : ops)
            if (o.op == which)
                c.op = &o;
        c.label = label;
        c.path = path;
        c.dir = start;
        c.dirfd = dirfd;
        c.match = expect_path(path, start).path;
        cases.push_back(c);
    };
    odd(Op::open, "with ..", "sub/../dot-1", cwd_dir, AT_FDCWD);
    odd(Op::open, "with .", "./sub/./dot-2", cwd_dir, AT_FDCWD);
    odd(Op::open, "with repeated slashes", "sub//dot-3", cwd_dir, AT_FDCWD);
    odd(Op::mkdir, "with a trailing slash", "dot-4/", cwd_dir, AT_FDCWD);
    odd(Op::openat, "leaving the dirfd with ..", "../dot-5", fd_dir, dir_fd);
    odd(Op::open, "absolute with ..", abs_dir + "/../abs/./dot-6", "", AT_FDCWD);
    odd(Op::open, "absolute above the root", "/../.." + abs_dir + "/dot-7", "", AT_FDCWD);
    odd(Op::open, "with a space", "with space", cwd_dir, AT_FDCWD);
    odd(Op::open, "with a newline", "new\nline", cwd_dir, AT_FDCWD);
    odd(Op::open, "with invalid UTF-8",
        "bad\xff\xfe"
        "byte",
        cwd_dir, AT_FDCWD);
    odd(Op::open, "with a quote and a backslash", "q\"b\\s", cwd_dir, AT_FDCWD);
    // 254 bytes passed; joined with the cwd longer than 255, but not once normalized.
    odd(Op::open, "long until normalized", std::string(240, 'x') + "/../short-" + std::string(3, 'n'), cwd_dir,
        AT_FDCWD);
    // 300 bytes whose cut falls inside a two-byte character.
    odd(Op::open, "cut inside a character", utf8_dir + "/" + std::string(94, 'u') + "-utf8", cwd_dir, AT_FDCWD);
    odd(Op::openat, "relative to a dirfd of a long directory", "long-dir-file", fd_dir + "/" + long_dir_rel,
        long_dir_fd);
    odd(Op::openat, "relative to a bad dirfd", "bad-dirfd", "", 9999);
    odd(Op::open, "longer than PATH_MAX", std::string(5000, 'z'), cwd_dir, AT_FDCWD);
    odd(Op::open, "a component longer than NAME_MAX", std::string(256, 'y'), cwd_dir, AT_FDCWD);
    odd(Op::open, "empty", "", cwd_dir, AT_FDCWD);
    {
        PathCase c;
        for (const OpInfo& o : ops)
            if (o.op == Op::ftruncate)
                c.op = &o;
        c.label = "deep under one-byte directories";
        c.path = fd_dir + "/" + deep_rel;
        c.fd = openat(dir_fd, deep_rel.c_str(), O_RDWR | O_CLOEXEC);
        REQUIRE(c.fd >= 0);
        c.match = as_json_text(tail(c.path));
        cases.push_back(c);
    }

    Tracer t({"file", "-p", self_pid()});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    char old_cwd[4096];
    REQUIRE(getcwd(old_cwd, sizeof(old_cwd)));
    REQUIRE(chdir(cwd_dir.c_str()) == 0);
    for (PathCase& c : cases) {
        c.ret = do_op(c);
        c.err = c.ret < 0 ? errno : 0;
    }
    REQUIRE(chdir(old_cwd) == 0);
    std::string last = dir / "last";
    REQUIRE(open(last.c_str(), O_RDONLY) == -1);
    REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "file.open") && r["path"] == last; }, 10000ms));
    t.stop();

    for (const PathCase& c : cases) {
        std::string what = describe(c);
        auto found = t.all([&](const json& r) {
            return is_type(r, c.op->type) && r["pid"] == getpid() && r.contains("path") && r["path"] == c.match;
        });
        CHECK_MESSAGE(found.size() == 1, what, ": ", found.size(), " records with path ", c.match.dump());
        if (found.size() != 1)
            continue;
        const json& r = found[0];
        if (c.op->by_fd)
            check_path(r, "", expect_fd_path(c.path), what);
        else
            check_path(r, "", expect_path(c.path, c.dir), what);
        if (!c.new_path.empty())
            check_path(r, "new_", expect_path(c.new_path, c.dir), what + ", new path");
        INFO(what << "\n  record: " << r.dump());
        if (c.ret >= 0) {
            CHECK_FALSE(r.contains("error"));
            if (is_type(r, "file.open"))
                CHECK(r["fd"] == c.ret);
        } else {
            CHECK(r["error"] == strerrorname_np(c.err));
        }
    }
    // The odd cases that must fail do, and the others succeed.
    for (const PathCase& c : cases) {
        INFO(describe(c));
        if (c.label == "relative to a bad dirfd")
            CHECK(c.err == EBADF);
        else if (c.label == "longer than PATH_MAX" || c.label == "a component longer than NAME_MAX")
            CHECK(c.err == ENAMETOOLONG);
        else if (c.label == "empty")
            CHECK(c.err == ENOENT);
        else
            CHECK(c.ret >= 0);
    }
    // A few written out, so the expectations above are not only computed.
    auto one = [&](const char* type, const std::string& path) {
        auto v = t.all([&](const json& r) { return is_type(r, type) && r["path"] == path; });
        REQUIRE(v.size() == 1);
        return v[0];
    };
    CHECK(one("file.open", "sub/../dot-1")["full_path"] == cwd_dir + "/dot-1");
    CHECK(one("file.open", "./sub/./dot-2")["full_path"] == cwd_dir + "/sub/dot-2");
    CHECK(one("file.open", "../dot-5")["full_path"] == dir.path() + "/dot-5");
    CHECK(one("file.open",
              "bad\xEF\xBF\xBD\xEF\xBF\xBD"
              "byte")["full_path"] == cwd_dir +
                                          "/bad\xEF\xBF\xBD\xEF\xBF\xBD"
                                          "byte");
    json cut = one("file.open", as_json_text(tail(utf8_dir + "/" + std::string(94, 'u') + "-utf8")));
    CHECK(cut["path"].get<std::string>().rfind("\xEF\xBF\xBD"
                                               "ddd",
                                               0) == 0);
    CHECK(cut["path_truncated"] == true);
    CHECK(cut["full_path"].is_null());
    close(long_dir_fd);
    for (const PathCase& c : cases)
        if (c.fd >= 0)
            close(c.fd);
    close(cwd_fd);
    close(dir_fd);
    close(root_fd);
}

// ---- pending calls and summaries: bounded maps, counted when full ----

namespace {

// Sets an environment variable for the tracers started while it lives.
class EnvVar {
public:
    EnvVar(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
    ~EnvVar() { unsetenv(name_); }

private:
    const char* name_;
};

// Waits until task tid (of process pid) is blocked in syscall nr on fd.
bool in_syscall(pid_t pid, pid_t tid, long nr, int fd)
{
    std::string file = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/syscall";
    for (int i = 0; i < 400; ++i) {
        std::ifstream in(file);
        long n = -1;
        std::string arg0;
        if (in >> n >> arg0 && n == nr && std::stol(arg0, nullptr, 16) == fd)
            return true;
        usleep(5000);
    }
    return false;
}

// The id and value size of the tracer's BPF map called name: its map ids
// from the fds it holds (/proc/<pid>/fdinfo), the name from bpftool.
std::optional<std::pair<std::string, size_t>> find_map(pid_t tracer, const std::string& name)
{
    std::string fdinfo = "/proc/" + std::to_string(tracer) + "/fdinfo";
    DIR* d = opendir(fdinfo.c_str());
    if (!d)
        return std::nullopt;
    std::vector<std::string> ids;
    while (dirent* e = readdir(d)) {
        std::ifstream in(fdinfo + "/" + e->d_name);
        std::string line;
        while (std::getline(in, line))
            if (line.rfind("map_id:", 0) == 0)
                ids.push_back(std::to_string(std::stoul(line.substr(7))));
    }
    closedir(d);
    for (const auto& id : ids) {
        auto shown = capture({"bpftool", "-j", "map", "show", "id", id});
        if (shown.exit.code != 0)
            continue;
        json m = json::parse(shown.out);
        if (m.value("name", "") == name)
            return std::make_pair(id, m["bytes_value"].get<size_t>());
    }
    return std::nullopt;
}

// Entries of the tracer's BPF map called name.
std::optional<size_t> map_entries(pid_t tracer, const std::string& name)
{
    auto map = find_map(tracer, name);
    if (!map)
        return std::nullopt;
    auto dump = capture({"bpftool", "-j", "map", "dump", "id", map->first});
    if (dump.exit.code != 0)
        return std::nullopt;
    return json::parse(dump.out).size();
}

// The cgroup v2 id of this process: the inode of its cgroup2 directory.
uint64_t own_cgroup_id()
{
    std::ifstream in("/proc/self/cgroup");
    std::string line, path;
    while (std::getline(in, line))
        if (line.rfind("0::", 0) == 0)
            path = line.substr(3);
    for (const char* root : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
        struct statfs fs {};
        struct stat st {};
        if (statfs(root, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC && stat((root + path).c_str(), &st) == 0)
            return st.st_ino;
    }
    return 0;
}

}  // namespace

TEST_CASE("file.slow: more threads in traced calls than the pending map holds are counted as map_full")
{
    EnvVar small("TAPIO_MAP_ENTRIES", "4");
    Tracer t({"file", "--min-latency", "50ms", "--slow-any-file", "-p", self_pid()});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    constexpr int n = 6;  // besides the harness's own two readers
    int pipes[n][2];
    std::atomic<pid_t> tids[n];
    std::vector<std::thread> readers;
    for (int i = 0; i < n; ++i) {
        REQUIRE(pipe2(pipes[i], O_CLOEXEC) == 0);
        tids[i] = 0;
        readers.emplace_back([&, i] {
            tids[i] = static_cast<pid_t>(syscall(SYS_gettid));
            char c;
            CHECK(read(pipes[i][0], &c, 1) == 1);
        });
    }
    for (int i = 0; i < n; ++i) {
        while (tids[i] == 0)
            usleep(1000);
        REQUIRE(in_syscall(getpid(), tids[i], SYS_read, pipes[i][0]));
    }
    usleep(60 * 1000);  // past --min-latency
    for (int i = 0; i < n; ++i)
        REQUIRE(write(pipes[i][1], "x", 1) == 1);
    for (auto& r : readers)
        r.join();
    std::string last = unique("/tmp/tt-file-last");
    REQUIRE(open(last.c_str(), O_RDONLY) == -1);
    REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "file.open") && r["path"] == last; }));
    t.stop();

    size_t recorded = 0;
    for (int i = 0; i < n; ++i)
        recorded += t.all([&](const json& r) { return is_type(r, "file.slow") && r["tid"] == tids[i].load(); }).size();
    uint64_t full = dropped(t, "map_full", "file.slow");
    INFO("recorded " << recorded << ", map_full " << full);
    CHECK(recorded <= 4);
    CHECK(full >= n - 4);
    CHECK(recorded + full >= n);  // every read is either recorded or counted
    for (int i = 0; i < n; ++i) {
        close(pipes[i][0]);
        close(pipes[i][1]);
    }
}

TEST_CASE("file.io --top: more files than the summary map holds are counted as map_full")
{
    TempDir dir("tt-file");
    EnvVar small("TAPIO_MAP_ENTRIES", "4");
    Tracer t({"file", "--top", "50", "--sampling-interval", "10s", "-p", self_pid()});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    constexpr int files = 10;
    for (int i = 0; i < files; ++i) {
        std::string p = dir / ("f" + std::to_string(i));
        int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        REQUIRE(fd >= 0);
        REQUIRE(write(fd, "x", 1) == 1);
        close(fd);
    }
    t.stop();
    // Four entries at most; the harness's pipes may hold some of them.
    CHECK(dropped(t, "map_full", "file.io") >= files - 4);
}

TEST_CASE("file: a process killed inside a traced call, or dying with an entry, leaves nothing pending")
{
    constexpr int n = 3;
    int go[n][2], block[n][2];
    pid_t kids[n];
    std::vector<std::string> args = {"file", "--min-latency", "10ms"};
    for (int i = 0; i < n; ++i) {
        REQUIRE(pipe(go[i]) == 0);
        REQUIRE(pipe(block[i]) == 0);
        kids[i] = fork();
        REQUIRE(kids[i] >= 0);
        if (kids[i] == 0) {
            char c;
            if (read(go[i][0], &c, 1) != 1)  // before the tracer: not traced
                _exit(1);
            (void)!read(block[i][0], &c, 1);  // traced, and never returns
            _exit(2);
        }
        args.insert(args.end(), {"-p", std::to_string(kids[i])});
    }
    struct Reaper {
        pid_t* kids;
        ~Reaper()
        {
            for (int i = 0; i < n; ++i)
                if (kids[i] > 0 && kill(kids[i], SIGKILL) == 0)
                    wait_pid(kids[i]);
        }
    } reaper{kids};
    Tracer t(args);
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    for (int i = 0; i < n; ++i) {
        REQUIRE(write(go[i][1], "g", 1) == 1);
        REQUIRE(in_syscall(kids[i], kids[i], SYS_read, block[i][0]));
    }
    auto pending = map_entries(t.pid(), "file_calls");
    REQUIRE(pending);
    CHECK(*pending == n);  // the calls in flight are there
    for (int i = 0; i < n; ++i) {
        kill(kids[i], SIGKILL);
        wait_pid(kids[i]);
        kids[i] = 0;
    }
    pending = map_entries(t.pid(), "file_calls");
    REQUIRE(pending);
    CHECK(*pending == 0);

    // The kernel ends those calls through their exit tracepoint all the same.
    // Calls that never get there (exit, exit_group, a kernel that skips the
    // exit) are dropped when the thread goes: an entry planted for a process
    // that then dies must go with it.
    pid_t doomed = fork();
    REQUIRE(doomed >= 0);
    if (doomed == 0) {
        pause();
        _exit(0);
    }
    kids[0] = doomed;
    auto map = find_map(t.pid(), "file_calls");
    REQUIRE(map);
    std::vector<std::string> update = {"bpftool", "map", "update", "id", map->first, "key"};
    for (int i = 0; i < 4; ++i)
        update.push_back(std::to_string((static_cast<uint32_t>(doomed) >> (8 * i)) & 0xff));
    update.push_back("value");
    for (size_t i = 0; i < map->second; ++i)
        update.push_back("0");
    REQUIRE(capture(update).exit.code == 0);
    CHECK(map_entries(t.pid(), "file_calls") == 1u);
    kill(doomed, SIGKILL);
    wait_pid(doomed);
    kids[0] = 0;
    CHECK(map_entries(t.pid(), "file_calls") == 0u);
    CHECK(t.stderr_text().find("sched:sched_process_exit attached") != std::string::npos);
    t.stop();
    for (int i = 0; i < n; ++i)
        for (int fd : {go[i][0], go[i][1], block[i][0], block[i][1]})
            close(fd);
}

TEST_CASE("file.io: common fields are the process's own, under -u; long paths cut at the front")
{
    TempDir dir("tt-file");
    REQUIRE(chmod(dir.path().c_str(), 0755) == 0);
    std::string short_path = dir / "nobody-file";
    std::string long_rel = rel_path(300, "-long");
    std::string long_path = dir / long_rel;
    int dfd = open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(dfd >= 0);
    make_file(dfd, "nobody-file");
    make_file(dfd, long_rel);
    close(dfd);
    REQUIRE(chmod(short_path.c_str(), 0666) == 0);
    REQUIRE(chmod(long_path.c_str(), 0666) == 0);

    Tracer t({"file", "--top", "20", "--sampling-interval", "200ms", "-u", "65534"});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    pid_t kid = fork();
    REQUIRE(kid >= 0);
    if (kid == 0) {
        if (setgid(65534) || setuid(65534))
            _exit(1);
        for (const std::string* p : {&short_path, &long_path}) {
            int fd = open(p->c_str(), O_WRONLY | O_CLOEXEC);
            if (fd < 0 || write(fd, "0123456789", 10) != 10)
                _exit(2);
            close(fd);
        }
        _exit(0);
    }
    REQUIRE(wait_pid(kid).code == 0);
    auto by_kid = [&](const std::string& p) {
        return [&, p](const json& r) { return is_type(r, "file.io") && r["pid"] == kid && r["path"] == p; };
    };
    auto s = t.wait_for(by_kid(short_path));
    auto l = t.wait_for(by_kid(tail(long_path)));
    t.stop();
    REQUIRE(s);
    REQUIRE(l);
    for (const json& r : {*s, *l}) {
        INFO(r.dump());
        CHECK(r["uid"] == 65534);
        CHECK(r["ppid"] == getpid());
        CHECK(r["tid"] == kid);
        CHECK(r["cgroup_id"] == own_cgroup_id());
        CHECK(r["bytes_written"] == 10);
    }
    CHECK((*s)["path_truncated"] == false);
    CHECK((*l)["path_truncated"] == true);
}

namespace {

std::atomic<int> usr1_seen{0};
void on_usr1(int)
{
    usr1_seen++;
}

// A thread's read on a pipe, interrupted by a signal whose handler has
// SA_RESTART, then given a byte. Returns the reader's tid.
pid_t restarted_read(int pipe_fds[2])
{
    std::atomic<pid_t> tid{0};
    ssize_t got = 0;
    std::thread reader([&] {
        tid = static_cast<pid_t>(syscall(SYS_gettid));
        char c;
        got = read(pipe_fds[0], &c, 1);
    });
    while (tid == 0)
        usleep(1000);
    REQUIRE(in_syscall(getpid(), tid, SYS_read, pipe_fds[0]));
    usleep(100 * 1000);
    int before = usr1_seen;
    pthread_kill(reader.native_handle(), SIGUSR1);
    while (usr1_seen == before)
        usleep(1000);
    REQUIRE(in_syscall(getpid(), tid, SYS_read, pipe_fds[0]));  // restarted
    usleep(100 * 1000);
    REQUIRE(write(pipe_fds[1], "x", 1) == 1);
    reader.join();
    CHECK(got == 1);  // the process never saw the interruption
    return tid;
}

}  // namespace

TEST_CASE("file.slow: a read restarted after a signal (SA_RESTART) is not a failure for -x")
{
    struct sigaction sa {
    }, old{};
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    REQUIRE(sigaction(SIGUSR1, &sa, &old) == 0);
    int p[2];
    REQUIRE(pipe2(p, O_CLOEXEC) == 0);

    for (bool failed_only : {false, true}) {
        std::vector<std::string> args = {"file", "--min-latency", "50ms", "--slow-any-file", "-p", self_pid()};
        if (failed_only)
            args.push_back("-x");
        Tracer t(args);
        REQUIRE_MESSAGE(t.ready(), t.stderr_text());
        pid_t tid = restarted_read(p);
        std::string last = unique("/tmp/tt-file-last");
        REQUIRE(open(last.c_str(), O_RDONLY) == -1);
        REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "file.open") && r["path"] == last; }));
        t.stop();
        auto slow = t.all([&](const json& r) { return is_type(r, "file.slow") && r["tid"] == tid; });
        if (failed_only) {
            CHECK_MESSAGE(slow.empty(), (slow.empty() ? "" : slow[0].dump()));
            continue;
        }
        // The kernel's view: the call left with ERESTARTSYS, then ran again.
        REQUIRE(slow.size() == 2);
        CHECK(slow[0]["fd"] == p[0]);
        CHECK(slow[0]["error"] == "ERESTARTSYS");
        CHECK_FALSE(slow[0].contains("bytes"));
        CHECK(slow[1]["fd"] == p[0]);
        CHECK(slow[1]["bytes"] == 1);
        CHECK_FALSE(slow[1].contains("error"));
    }
    close(p[0]);
    close(p[1]);
    sigaction(SIGUSR1, &old, nullptr);
}
