// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Live tests of the file area: the test process itself does the file
// operations, in a fresh directory of its own, and the tracer is limited to
// this process (-p), so nobody else's activity can match.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "harness.h"

using namespace live;

namespace {

bool is_type(const json& r, const char* type)
{
    return r.value("type", "") == type;
}

// A fresh directory under /tmp, removed (with what is left in it) at the end.
class TempDir {
public:
    TempDir()
    {
        std::string tmpl = "/tmp/tt-file-" + std::to_string(getpid()) + "-XXXXXX";
        REQUIRE(mkdtemp(tmpl.data()) != nullptr);
        path_ = tmpl;
    }
    ~TempDir() { run({"/bin/rm", "-rf", path_}); }
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

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
    TempDir dir;
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
    CHECK_FALSE(opens[0].contains("full_path"));  // already absolute

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
    TempDir dir;
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
    TempDir dir;
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
    TempDir dir;
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

TEST_CASE("file.slow: a write blocked on a FIFO whose reader waits")
{
    TempDir dir;
    std::string fifo = dir / "fifo";
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
    Tracer t({"file", "--min-latency", "100ms", "-p", self_pid()});
    REQUIRE(t.ready());

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
    t.stop();
    // Only the one slow call on the FIFO.
    CHECK(t.all([&](const json& r) { return is_type(r, "file.slow") && r["path"] == fifo; }).size() == 1);
}

TEST_CASE("file.io --top: the bytes of a known writer and reader go to the right file")
{
    TempDir dir;
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
