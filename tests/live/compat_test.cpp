// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// 32-bit (compat) syscalls are not traced, like perf's per-syscall
// tracepoints, which skip them. The raw tracepoints raw_syscalls:sys_enter
// and sys_exit do not: a compat call arrives with its i386 number, which
// names another x86_64 syscall (i386 83 symlink is x86_64 83 mkdir, 62 ustat
// is kill, 2 fork is open, ...). The workloads (tests/workload/compat_calls.h)
// make harmless compat calls whose numbers are those of traced x86_64
// syscalls, so a hook that read them as 64-bit calls would write phantom
// records (a file.mkdir for a symlink, a proc.signal for ustat); these tests
// check, exactly, that there are none, and that the calls really ran.
//
// The 64-bit workload makes its compat calls with `int $0x80` between two
// 64-bit markers, then traced 64-bit calls: those records prove the tracer
// saw the process, and between the markers they must be all there is. The
// 32-bit program (tt_compat32, built when gcc-multilib is there) enters by
// the vDSO's sysenter/syscall: only its exec, fork and exits may show.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

using namespace live;

namespace {

const std::string workload = TAPIO_WORKLOAD;
const std::string compat32 = TAPIO_COMPAT32;  // empty: not built (no -m32 compiler)

// Test directories are /tmp/tt-cx-*: no "compat" in them, so a path with
// "compat-" in it names one of the compat calls' files.
const char* const dir_prefix = "tt-cx";

struct Call {
    std::string name;  // i386 name
    int nr = 0;
    std::string as64;  // the x86_64 syscall with that number
    std::string ret;   // a number, or 0x... for the old mmap's address
};

// What a workload said it did (see compat_calls.h, tt_workload.cpp).
struct Report {
    std::vector<Call> calls;
    std::map<std::string, long> native;
    long child = -1;
    int child_status = -1;
    long pid = -1;  // from the compat getpid

    long ret(const std::string& name, int nth = 0) const
    {
        for (const auto& c : calls)
            if (c.name == name && nth-- == 0)
                return std::strtol(c.ret.c_str(), nullptr, 0);
        FAIL("no compat call ", name);
        return 0;
    }
};

Report parse(const std::string& out)
{
    Report r;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream in(line);
        std::string kind;
        in >> kind;
        if (kind == "compat") {
            Call c;
            in >> c.name >> c.nr >> c.as64 >> c.ret;
            r.calls.push_back(c);
            if (c.name == "getpid")
                r.pid = std::strtol(c.ret.c_str(), nullptr, 0);
        } else if (kind == "compat-child") {
            in >> r.child >> r.child_status;
        } else if (kind == "native") {
            std::string name;
            long ret = 0;
            in >> name >> ret;
            r.native[name] = ret;
        }
    }
    return r;
}

// The calls really ran, through the i386 table: their results and what
// they left in dir (compat_calls.h says what each one does).
void check_compat_calls_ran(const Report& r, const TempDir& dir)
{
    REQUIRE_MESSAGE(r.calls.size() == 33, "the workload made ", r.calls.size(), " compat calls");
    for (const auto& c : r.calls)
        CHECK_MESSAGE(c.ret != std::to_string(-ENOSYS), c.name, " (i386 ", c.nr, ") returned ENOSYS");
    CHECK(r.pid > 0);
    CHECK(r.ret("open") >= 0);
    CHECK(r.ret("close") == 0);
    CHECK(r.ret("symlink") == 0);
    CHECK(r.ret("readlink") == static_cast<long>(sizeof("compat-symlink-target") - 1));
    // Runs (the old stat's 16-bit fields overflow on big inode numbers).
    CHECK((r.ret("oldlstat") == 0 || r.ret("oldlstat") == -EOVERFLOW));
    CHECK(r.ret("link") == 0);
    CHECK(r.ret("unlink") == 0);
    CHECK(r.ret("mkdir") == 0);
    CHECK(r.ret("chmod") == 0);
    CHECK(r.ret("chdir") == 0);
    CHECK(r.ret("kill") == 0);
    CHECK(r.ret("ustat") == -EINVAL);
    CHECK(r.ret("getgid32") == static_cast<long>(getgid()));
    CHECK(r.ret("flistxattr") == -EBADF);
    CHECK(r.ret("oldolduname") == -EFAULT);
    CHECK(r.ret("getrlimit") == 0);
    CHECK(r.ret("getrusage") == 0);
    CHECK(r.ret("select") == 0);
    CHECK(r.ret("swapon") == -ENOENT);
    long addr = r.ret("old_mmap");
    CHECK((addr > 0 && (addr & 0xfff) == 0));
    CHECK(r.ret("munmap") == 0);
    CHECK(r.ret("remap_file_pages") == -EINVAL);
    CHECK(r.ret("timer_delete") == -EINVAL);
    CHECK(r.ret("clock_settime") == -EINVAL);
    CHECK(r.ret("statfs64") == 0);
    CHECK(r.ret("vmsplice") == -EBADF);
    CHECK(r.ret("timerfd_create") == -EINVAL);
    CHECK(r.ret("openat2") >= 0);
    CHECK(r.ret("close", 1) == 0);
    CHECK(r.ret("fchmodat2") == 0);
    CHECK(r.ret("fork") > 0);
    CHECK(r.ret("fork") == r.child);
    CHECK(r.ret("waitpid") == r.child);
    CHECK(r.child_status == 0);

    struct stat st {};
    REQUIRE(lstat((dir / "compat-open").c_str(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK((st.st_mode & 07777) == 0600);  // the compat chmod
    CHECK(st.st_nlink == 1);              // the compat link, then the compat unlink
    CHECK(lstat((dir / "compat-hardlink").c_str(), &st) == -1);
    REQUIRE(lstat((dir / "compat-link").c_str(), &st) == 0);
    CHECK(S_ISLNK(st.st_mode));
    char target[64] = {};
    CHECK(readlink((dir / "compat-link").c_str(), target, sizeof(target) - 1) == 21);
    CHECK(std::string(target) == "compat-symlink-target");
    REQUIRE(lstat((dir / "compat-dir").c_str(), &st) == 0);
    CHECK(S_ISDIR(st.st_mode));
    REQUIRE(lstat((dir / "compat-openat2").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);  // the compat fchmodat2
    CHECK(lstat((dir / "compat-swap-missing").c_str(), &st) == -1);
}

// Every path a record names, in any of its path fields.
std::vector<std::string> paths_of(const json& r)
{
    std::vector<std::string> v;
    for (const char* key : {"path", "full_path", "new_path", "new_full_path", "filename", "interpreter"})
        if (r.contains(key) && r[key].is_string())
            v.push_back(r[key].get<std::string>());
    return v;
}

// "type path" (or "type" alone), to compare lists of records at a glance.
std::string describe(const json& r)
{
    std::string s = r.value("type", "?");
    if (r.contains("path") && r["path"].is_string())
        s += " " + r["path"].get<std::string>();
    if (r.contains("new_path") && r["new_path"].is_string())
        s += " -> " + r["new_path"].get<std::string>();
    if (r.contains("child_pid"))
        s += " child " + r["child_pid"].dump();
    if (r.contains("target_pid"))
        s += " target " + r["target_pid"].dump();
    if (r.contains("op"))
        s += " " + r["op"].get<std::string>();
    if (r.contains("size"))
        s += " size " + r["size"].dump();
    return s;
}

// Records of process pid (tapio.* excluded), in the order they happened.
std::vector<json> records_of(const Tracer& t, long pid)
{
    auto v = t.all([&](const json& r) {
        return r.contains("pid") && r["pid"] == pid && r.value("type", "").rfind("tapio.", 0) != 0;
    });
    std::stable_sort(v.begin(), v.end(), [](const json& a, const json& b) {
        return a["ts"].get<std::string>() < b["ts"].get<std::string>();
    });
    return v;
}

std::vector<std::string> describe_all(const std::vector<json>& v)
{
    std::vector<std::string> out;
    for (const auto& r : v)
        out.push_back(describe(r));
    return out;
}

std::string joined(const std::vector<std::string>& v)
{
    std::string s;
    for (const auto& x : v)
        s += "\n  " + x;
    return s;
}

// No record of anyone names a file of the compat calls.
void check_no_compat_path(const Tracer& t)
{
    auto hits = t.all([](const json& r) {
        for (const auto& p : paths_of(r))
            if (p.find("compat-") != std::string::npos)
                return true;
        return false;
    });
    CHECK_MESSAGE(hits.empty(), "records naming a compat call's file:", joined(describe_all(hits)));
}

// The proc.exit of pid, once it is there.
std::optional<json> exit_of(Tracer& t, long pid)
{
    return t.wait_for([&](const json& r) { return is_type(r, "proc.exit") && r["pid"] == pid; });
}

}  // namespace

TEST_CASE("compat: int $0x80 calls of a 64-bit process make no record; its 64-bit calls do, exactly")
{
    TempDir dir(dir_prefix);
    Tracer t({"all", "--comm", "tt_workload", "--no-pressure"});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    Captured c = capture({workload, "compat-int80", dir.path()});
    REQUIRE_MESSAGE(c.exit.code == 0, c.err);
    Report rep = parse(c.out);
    check_compat_calls_ran(rep, dir);
    for (const auto& [name, ret] : rep.native) {
        if (name == "open-begin" || name == "open-end")
            CHECK_MESSAGE(ret == -ENOENT, name);
        else
            CHECK_MESSAGE(ret >= 0, name);
    }
    REQUIRE(rep.native.size() == 13);
    long pid = rep.pid;

    // The positive control: the tracer saw this process's 64-bit calls.
    std::string begin = dir / "native-begin", end = dir / "native-end";
    auto last = t.wait_for([&](const json& r) { return is_type(r, "file.open") && r["path"] == end; });
    REQUIRE_MESSAGE(last, "no record of the workload's last 64-bit call; stderr:\n", t.stderr_text());
    CHECK(exit_of(t, pid));
    CHECK(exit_of(t, rep.child));
    std::this_thread::sleep_for(200ms);  // anything (wrong) that would follow
    t.stop();

    check_no_compat_path(t);

    // Between the markers: the 64-bit calls and the compat fork, nothing else.
    auto all = records_of(t, pid);
    std::vector<json> window;
    bool in = false;
    for (const auto& r : all) {
        if (is_type(r, "file.open") && r["path"] == begin)
            in = true;
        if (in)
            window.push_back(r);
        if (is_type(r, "file.open") && r["path"] == end)
            in = false;
    }
    std::string file = dir / "native-open", renamed = dir / "native-renamed", sub = dir / "native-dir";
    std::vector<std::string> want = {
        "file.open " + begin,
        "proc.fork child " + std::to_string(rep.child),  // the compat fork: a real process
        "file.open " + file,
        "file.mkdir " + sub,
        "file.chmod " + file,
        "file.rename " + file + " -> " + renamed,
        "file.truncate " + renamed,
        "file.unlink " + renamed,
        "file.rmdir " + sub,
        "proc.signal target " + std::to_string(pid),
        "mem.alloc mmap size 2097152",
        "mem.unmap size 2097152",
        "file.open " + end,
    };
    auto got = describe_all(window);
    CHECK_MESSAGE(got == want, "between the markers, got:", joined(got), "\nwanted:", joined(want));

    // After the last marker the process only printed and left.
    std::vector<std::string> after;
    for (const auto& r : all)
        if (r["ts"].get<std::string>() > (*last)["ts"].get<std::string>())
            after.push_back(describe(r));
    CHECK_MESSAGE(after == std::vector<std::string>{"proc.exit"}, "after the last marker:", joined(after));
    // The child made one compat call (exit) and left.
    auto child = describe_all(records_of(t, rep.child));
    CHECK_MESSAGE(child == std::vector<std::string>{"proc.exit"}, "the compat fork's child:", joined(child));
    auto child_exit = exit_of(t, rep.child);
    if (child_exit)
        CHECK((*child_exit)["exit_code"] == 0);
}

TEST_CASE("compat: a real 32-bit program (-m32, vDSO syscall entry) makes no record but its exec, fork and exits")
{
    // scripts/deps.sh installs gcc-multilib: a missing 32-bit program is a failure, not a skip.
    REQUIRE_MESSAGE(!compat32.empty(), "tt_compat32 was not built (no -m32 C compiler: install gcc-multilib)");
    TempDir dir(dir_prefix);
    Tracer t({"all", "--comm", "tt_compat32", "--no-pressure"});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    Captured c = capture({compat32, dir.path()});
    REQUIRE_MESSAGE(c.exit.code == 0, c.err);
    Report rep = parse(c.out);
    check_compat_calls_ran(rep, dir);
    long pid = rep.pid;

    // The positive control: the tracer saw this process (sched tracepoints,
    // not syscalls: a 32-bit program makes no 64-bit syscall).
    auto done = exit_of(t, pid);
    REQUIRE_MESSAGE(done, "no proc.exit of the 32-bit program; stderr:\n", t.stderr_text());
    CHECK((*done)["exit_code"] == 0);
    auto child_exit = exit_of(t, rep.child);
    CHECK(child_exit);
    std::this_thread::sleep_for(200ms);
    t.stop();

    check_no_compat_path(t);
    auto got = describe_all(records_of(t, pid));
    std::vector<std::string> want = {
        "proc.exec",
        "proc.fork child " + std::to_string(rep.child),
        "proc.exit",
    };
    // The exec's filename is the program; its path field is not a compat file.
    CHECK_MESSAGE(got == want, "the 32-bit program's records:", joined(got), "\nwanted:", joined(want));
    auto exec = t.wait_for([&](const json& r) { return is_type(r, "proc.exec") && r["pid"] == pid; }, 0ms);
    if (exec) {
        CHECK((*exec)["filename"] == compat32);
        CHECK((*exec)["ret"] == 0);
    }
    auto child = describe_all(records_of(t, rep.child));
    CHECK_MESSAGE(child == std::vector<std::string>{"proc.exit"}, "the compat fork's child:", joined(child));
}

TEST_CASE("compat: proc --syscalls counts no 32-bit call under the 64-bit name of its number")
{
    TempDir dir(dir_prefix);
    Tracer t({"proc", "--syscalls", "--syscalls-top", "400", "--comm", "tt_workload", "--sampling-interval", "100ms"});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    Captured c = capture({workload, "compat-int80", dir.path()});
    REQUIRE_MESSAGE(c.exit.code == 0, c.err);
    Report rep = parse(c.out);
    check_compat_calls_ran(rep, dir);
    long pid = rep.pid;
    CHECK(exit_of(t, pid));
    std::this_thread::sleep_for(400ms);  // the last summary
    t.stop();

    std::map<std::string, uint64_t> count;
    for (const auto& r : t.all([&](const json& r) { return is_type(r, "proc.syscalls") && r["pid"] == pid; }))
        for (const auto& s : r["syscalls"])
            count[s["name"].get<std::string>()] += s["count"].get<uint64_t>();
    REQUIRE_MESSAGE(count["openat"] > 0, "no summary of the workload's 64-bit calls");

    // The workload's whole life (loader, libc start-up, the calls of the
    // compat-int80 scenario) makes these 64-bit calls exactly this often;
    // every other name is the x86_64 reading of a compat call's number.
    std::map<std::string, uint64_t> want = {
        {"mkdir", 1}, {"rmdir", 1},  {"unlink", 1},   {"rename", 1},    {"truncate", 1},  {"chmod", 1},
        {"kill", 1},  {"open", 0},   {"creat", 0},    {"ftruncate", 0}, {"fchmod", 0},    {"fchmodat", 0},
        {"tkill", 0}, {"tgkill", 0}, {"unlinkat", 0}, {"renameat", 0},  {"renameat2", 0}, {"openat2", 0},
        {"alarm", 0}, {"execve", 0}, {"execveat", 0}, {"fchmodat2", 0}, {"poll", 0},
    };
    std::vector<std::string> wrong;
    for (const auto& [name, n] : want)
        if (count[name] != n)
            wrong.push_back(name + ": " + std::to_string(count[name]) + ", not " + std::to_string(n));
    CHECK_MESSAGE(wrong.empty(), "64-bit names counted for compat calls:", joined(wrong));
    // The compat fork's child made one compat call (exit), which never returns.
    CHECK(t.all([&](const json& r) { return is_type(r, "proc.syscalls") && r["pid"] == rep.child; }).empty());
}

TEST_CASE("compat: proc --syscalls counts no execve for an exec into a 32-bit program and back")
{
    // The exit of a 64-bit execve of a 32-bit program comes as a compat
    // call, and is left out; what its entry stored for the summary must not
    // wait for the next native execve exit (the 32-bit program's exec of a
    // 64-bit one), which would count one execve as long as the program ran.
    // scripts/deps.sh installs gcc-multilib: a missing 32-bit program is a failure, not a skip.
    REQUIRE_MESSAGE(!compat32.empty(), "tt_compat32 was not built (no -m32 C compiler: install gcc-multilib)");
    TempDir dir(dir_prefix);
    Tracer t({"proc", "--syscalls", "--syscalls-top", "400", "--sampling-interval", "100ms"});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    Captured c = capture({compat32, dir.path(), "/bin/true"});
    REQUIRE_MESSAGE(c.exit.code == 0, c.err);
    Report rep = parse(c.out);
    long pid = rep.pid;
    CHECK(exit_of(t, pid));
    std::this_thread::sleep_for(400ms);  // the last summary
    t.stop();
    uint64_t execs = 0, calls = 0;
    for (const auto& r : t.all([&](const json& r) { return is_type(r, "proc.syscalls") && r["pid"] == pid; }))
        for (const auto& s : r["syscalls"]) {
            calls += s["count"].get<uint64_t>();
            if (s["name"] == "execve")
                execs += s["count"].get<uint64_t>();
        }
    REQUIRE_MESSAGE(calls > 0, "no summary of /bin/true's 64-bit calls");
    CHECK(execs == 0);
}
