// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Ground truth for the proc area: workloads that know exactly what they did
// (tests/workload/tt_workload.cpp) against the records, field by field. Each
// case is a way production differs from the simple path: a main thread that
// leaves first, a thread that execs, scripts, spawn and vfork children, maps
// run full.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "harness.h"

using namespace live;

namespace {

const std::string workload = TAPIO_WORKLOAD;

std::vector<json> exits_of(const Tracer& t, pid_t pid)
{
    return t.all([&](const json& r) { return is_type(r, "proc.exit") && r["pid"] == pid; });
}

// Waits for the process-scope exit of pid, then gives the tracer a moment for
// anything (wrong) that would follow.
std::vector<json> process_exits(Tracer& t, pid_t pid)
{
    auto done = t.wait_for(
        [&](const json& r) { return is_type(r, "proc.exit") && r["pid"] == pid && r["scope"] == "process"; });
    CHECK_MESSAGE(done, "no process exit for ", pid);
    std::this_thread::sleep_for(100ms);
    return exits_of(t, pid);
}

}  // namespace

TEST_CASE("proc truth: main thread leaves first, another thread exit(7)s: one exit, code 7, full lifetime")
{
    Tracer t({"proc", "--comm", "tt_workload"});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    pid_t pid = spawn({workload, "main-first", "7", "300"});
    Exit status = wait_pid(pid);
    REQUIRE(status.code == 7);
    auto exits = process_exits(t, pid);
    t.stop();
    REQUIRE(exits.size() == 1);
    const json& r = exits[0];
    CHECK(r["exit_code"] == 7);
    CHECK(r["signal"].is_null());
    CHECK(r["core_dumped"] == false);
    CHECK(r["scope"] == "process");
    CHECK(r["comm"] == "tt_workload");
    CHECK(r["tid"] != pid);  // the last thread out
    CHECK(r["duration_ns"].get<uint64_t>() >= 300'000'000ULL);
}

TEST_CASE("proc truth: main thread leaves first, the last thread returns: exit code 0 at the real end")
{
    Tracer t({"proc", "--comm", "tt_workload"});
    REQUIRE(t.ready());
    pid_t pid = spawn({workload, "main-first-return", "300"});
    REQUIRE(wait_pid(pid).code == 0);
    auto exits = process_exits(t, pid);
    t.stop();
    REQUIRE(exits.size() == 1);
    CHECK(exits[0]["exit_code"] == 0);
    CHECK(exits[0]["signal"].is_null());
    CHECK(exits[0]["duration_ns"].get<uint64_t>() >= 300'000'000ULL);
}

TEST_CASE("proc truth: --comm decides a process's end by its name, not by the name of the thread that leaves last")
{
    Tracer t({"proc", "--comm", "tt_workload"});
    REQUIRE(t.ready());
    pid_t pid = spawn({workload, "renamed-last", "3", "100"});
    REQUIRE(wait_pid(pid).code == 3);
    auto exits = process_exits(t, pid);
    t.stop();
    REQUIRE(exits.size() == 1);
    CHECK(exits[0]["exit_code"] == 3);
    CHECK(exits[0]["comm"] == "tt_workload");
}

TEST_CASE("proc truth: --comm keeps the exec of a program by the name it ends with, with the caller's argv")
{
    std::string dir = "/tmp/" + unique("tt-comm-exec");
    REQUIRE(mkdir(dir.c_str(), 0755) == 0);
    std::string script = dir + "/ttscript";
    {
        std::ofstream f(script);
        f << "#!/bin/sh\nexit 0\n";
    }
    REQUIRE(chmod(script.c_str(), 0755) == 0);
    Tracer t({"proc", "--comm", "ttscript"});
    REQUIRE(t.ready());
    std::string marker = unique("tt-arg");
    pid_t pid = spawn({script, marker});
    REQUIRE(wait_pid(pid).code == 0);
    auto exec = t.wait_for([&](const json& r) { return is_type(r, "proc.exec") && r["pid"] == pid; });
    t.stop();
    REQUIRE(exec);
    CHECK((*exec)["comm"] == "ttscript");
    CHECK((*exec)["args"] == json::array({script, marker}));
    CHECK((*exec)["args_source"] == "caller");
    CHECK((*exec)["interpreter"] == "/bin/sh");
    run({"rm", "-rf", dir});
}

TEST_CASE("proc truth: --syscalls counts an execveat that succeeded and an exec from a thread, and leaves no entry")
{
    Tracer t({"proc", "--syscalls", "--syscalls-top", "400", "--comm", "tt_workload", "--sampling-interval", "100ms"});
    REQUIRE(t.ready());
    // Both end as other programs (echo, true): the counts are under the pid.
    pid_t at = spawn({workload, "execveat-dir", "/bin", "echo", "echo", "x"});
    REQUIRE(wait_pid(at).code == 0);
    pid_t threaded = spawn({workload, "thread-exec", "/bin/true"});
    REQUIRE(wait_pid(threaded).code == 0);
    std::this_thread::sleep_for(400ms);
    t.stop();
    auto count = [&](pid_t pid, const char* name) {
        uint64_t n = 0;
        for (const auto& r : t.all([&](const json& r) { return is_type(r, "proc.syscalls") && r["pid"] == pid; }))
            for (const auto& s : r["syscalls"])
                if (s["name"] == name)
                    n += s["count"].get<uint64_t>();
        return n;
    };
    // execveat leaves the kernel named execve; it is counted as what was called.
    CHECK(count(at, "execveat") == 1);
    CHECK(count(threaded, "execve") == 1);
}

TEST_CASE("proc truth: a thread calls exit_group(3) while main waits")
{
    Tracer t({"proc", "--comm", "tt_workload"});
    REQUIRE(t.ready());
    pid_t pid = spawn({workload, "thread-exit-group", "3"});
    REQUIRE(wait_pid(pid).code == 3);
    auto exits = process_exits(t, pid);
    t.stop();
    REQUIRE(exits.size() == 1);
    CHECK(exits[0]["exit_code"] == 3);
}

TEST_CASE("proc truth: a thread that is not main execs: no exit until the new program ends, then its code")
{
    Tracer t({"proc"});
    REQUIRE(t.ready());
    std::string marker = unique("tt-thread-exec");
    pid_t pid = spawn({workload, "thread-exec", "/bin/sh", "-c", "sleep 0.2; exit 5", marker});
    REQUIRE(wait_pid(pid).code == 5);
    auto exec =
        t.wait_for([&](const json& r) { return is_type(r, "proc.exec") && r["pid"] == pid && r["comm"] == "sh"; });
    REQUIRE(exec);
    CHECK((*exec)["tid"] == pid);  // de_thread() gave the exec'ing thread the leader's pid
    CHECK((*exec)["filename"] == "/bin/sh");
    CHECK((*exec)["args"] == json::array({"/bin/sh", "-c", "sleep 0.2; exit 5", marker}));
    CHECK((*exec)["args_source"] == "caller");
    auto exits = process_exits(t, pid);
    t.stop();
    REQUIRE(exits.size() == 1);
    CHECK(exits[0]["exit_code"] == 5);
    CHECK(exits[0]["comm"] == "sh");
}

TEST_CASE("proc truth: SIGTERM to a process of several threads")
{
    Tracer t({"proc", "--comm", "tt_workload"});
    REQUIRE(t.ready());
    pid_t pid = spawn({workload, "sleepers", "3", "20000"});
    // All three threads and main exist before the signal.
    for (int i = 0;
         i < 200 && std::distance(std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task"),
                                  std::filesystem::directory_iterator{}) < 4;
         ++i)
        std::this_thread::sleep_for(10ms);
    REQUIRE(std::distance(std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task"),
                          std::filesystem::directory_iterator{}) == 4);
    REQUIRE(kill(pid, SIGTERM) == 0);
    Exit status = wait_pid(pid);
    REQUIRE(status.signal == SIGTERM);
    auto exits = process_exits(t, pid);
    t.stop();
    REQUIRE(exits.size() == 1);
    CHECK(exits[0]["signal"] == "SIGTERM");
    CHECK(exits[0]["exit_code"] == 0);
}

TEST_CASE("proc truth: --threads reports each thread that leaves, then the process once")
{
    Tracer t({"proc", "--threads", "--comm", "tt_workload"});
    REQUIRE(t.ready());
    pid_t pid = spawn({workload, "main-first", "7", "200"});
    REQUIRE(wait_pid(pid).code == 7);
    auto exits = process_exits(t, pid);
    t.stop();
    REQUIRE(exits.size() == 2);
    CHECK(exits[0]["scope"] == "thread");
    CHECK(exits[0]["tid"] == pid);
    CHECK(exits[0]["exit_code"] == 0);
    CHECK(exits[1]["scope"] == "process");
    CHECK(exits[1]["exit_code"] == 7);
}

TEST_CASE("proc truth: posix_spawn and vfork children: exec args and exit codes")
{
    Tracer t({"proc"});
    REQUIRE(t.ready());
    auto spawned = capture({workload, "spawn", "9"});
    REQUIRE(spawned.exit.code == 9);
    pid_t child = std::stoi(spawned.out);
    auto exec = t.wait_for([&](const json& r) { return is_type(r, "proc.exec") && r["pid"] == child; });
    REQUIRE(exec);
    CHECK((*exec)["args"] == json::array({"sh", "-c", "exit 9"}));
    CHECK((*exec)["filename"] == "/bin/sh");
    auto exits = process_exits(t, child);
    REQUIRE(exits.size() == 1);
    CHECK(exits[0]["exit_code"] == 9);

    auto vforked = capture({workload, "vfork", "4"});
    REQUIRE(vforked.exit.code == 4);
    pid_t vchild = std::stoi(vforked.out);
    auto vexits = process_exits(t, vchild);
    t.stop();
    REQUIRE(vexits.size() == 1);
    CHECK(vexits[0]["exit_code"] == 4);
}

TEST_CASE("proc truth: a #! script keeps the caller's argv and names its interpreter")
{
    std::string dir = "/tmp/" + unique("tt-script");
    REQUIRE(mkdir(dir.c_str(), 0755) == 0);
    std::string script = dir + "/hello.sh";
    {
        std::ofstream f(script);
        f << "#!/bin/sh -e\nexit 0\n";
    }
    REQUIRE(chmod(script.c_str(), 0755) == 0);
    Tracer t({"proc"});
    REQUIRE(t.ready());
    std::string marker = unique("tt-arg");
    pid_t pid = spawn({script, "-x", marker});
    REQUIRE(wait_pid(pid).code == 0);
    auto exec = t.wait_for([&](const json& r) { return is_type(r, "proc.exec") && r["pid"] == pid; });
    t.stop();
    REQUIRE(exec);
    CHECK((*exec)["filename"] == script);
    CHECK((*exec)["args"] == json::array({script, "-x", marker}));
    CHECK((*exec)["interpreter"] == "/bin/sh");
    CHECK((*exec)["args_source"] == "caller");
    unlink(script.c_str());
    rmdir(dir.c_str());
}

TEST_CASE("proc truth: fexecve and execveat(AT_EMPTY_PATH): filename as passed, argv kept")
{
    Tracer t({"proc"});
    REQUIRE(t.ready());
    for (std::string how : {"fexecve", "execveat-empty"}) {
        CAPTURE(how);
        std::string marker = unique("tt-fd-exec");
        pid_t pid = spawn({workload, how, "/bin/echo", marker});
        REQUIRE(wait_pid(pid).code == 0);
        auto exec = t.wait_for([&](const json& r) {
            return is_type(r, "proc.exec") && r["pid"] == pid && r["args"].size() == 2 && r["args"][1] == marker;
        });
        REQUIRE(exec);
        CHECK((*exec)["args"] == json::array({"/bin/echo", marker}));
        // As passed: glibc's fexecve() is execveat(fd, "", ..., AT_EMPTY_PATH).
        // When "" sat on a page the caller never touched (libc's), the
        // kernel's own name for the file stands in, and says so.
        if ((*exec)["args_source"] == "caller")
            CHECK((*exec)["filename"] == "");
        else
            CHECK((*exec)["filename"].get<std::string>().rfind("/dev/fd/", 0) == 0);
        CHECK((*exec)["filename_truncated"] == false);
        CHECK((*exec)["interpreter"].is_null());
        CHECK((*exec)["comm"] == "echo");
    }
    // Relative to a directory fd: the name as passed, as strace shows it.
    std::string marker = unique("tt-dirfd-exec");
    pid_t pid = spawn({workload, "execveat-dir", "/bin", "echo", "echo", marker});
    REQUIRE(wait_pid(pid).code == 0);
    auto exec = t.wait_for([&](const json& r) {
        return is_type(r, "proc.exec") && r["pid"] == pid && r["args"].size() == 2 && r["args"][1] == marker;
    });
    REQUIRE(exec);
    CHECK((*exec)["filename"] == "echo");
    CHECK((*exec)["args"] == json::array({"echo", marker}));
    t.stop();
}

TEST_CASE("proc truth: 1000 arguments, a 100 KB argument, and a filename longer than a path field")
{
    Tracer t({"proc", "--max-args", "64"});
    REQUIRE(t.ready());
    std::vector<std::string> many = {"/bin/true"};
    for (int i = 0; i < 1000; ++i)
        many.push_back("a" + std::to_string(i));
    pid_t pid = spawn(many);
    REQUIRE(wait_pid(pid).code == 0);
    auto r = t.wait_for([&](const json& r) { return is_type(r, "proc.exec") && r["pid"] == pid; });
    REQUIRE(r);
    CHECK((*r)["args_truncated"] == true);
    const json& args = (*r)["args"];
    REQUIRE(args.size() >= 2);
    CHECK(args.size() <= 64);
    for (size_t i = 1; i < args.size(); ++i)
        CHECK(args[i] == "a" + std::to_string(i - 1));

    std::string big(100 * 1024, 'b');
    pid = spawn({"/bin/true", big, "after"});
    REQUIRE(wait_pid(pid).code == 0);
    r = t.wait_for([&](const json& r) { return is_type(r, "proc.exec") && r["pid"] == pid; });
    REQUIRE(r);
    CHECK((*r)["args_truncated"] == true);
    CHECK((*r)["args"][0] == "/bin/true");
    // Each argument keeps its first 255 bytes.
    CHECK((*r)["args"][1] == std::string(255, 'b'));

    // A 300-byte path to /bin/true: the field keeps its last 255 bytes.
    std::string dir = "/tmp/" + unique("tt-long");
    std::string path = dir;
    REQUIRE(mkdir(path.c_str(), 0755) == 0);
    while (path.size() < 280) {
        path += "/" + std::string(40, 'd');
        REQUIRE(mkdir(path.c_str(), 0755) == 0);
    }
    std::string exe = path + "/true-link";
    REQUIRE(symlink("/bin/true", exe.c_str()) == 0);
    REQUIRE(exe.size() > 255);
    pid = spawn({exe});
    REQUIRE(wait_pid(pid).code == 0);
    r = t.wait_for([&](const json& r) { return is_type(r, "proc.exec") && r["pid"] == pid; });
    t.stop();
    REQUIRE(r);
    CHECK((*r)["filename_truncated"] == true);
    CHECK((*r)["filename"] == exe.substr(exe.size() - 255));
    run({"rm", "-rf", dir});
}

TEST_CASE("proc truth: --syscalls after many threads died mid-exit still counts exactly")
{
    // Each thread's last syscall (exit) never returns. More of them than the
    // pending map holds (16384): leaked entries would leave no room for the
    // calls that follow.
    Tracer t({"proc", "--syscalls", "--comm", "tt_workload", "--sampling-interval", "100ms"});
    REQUIRE(t.ready());
    REQUIRE(run({workload, "short-threads", "17000"}).code == 0);
    pid_t pid = spawn({workload, "getppid", "500"});
    REQUIRE(wait_pid(pid).code == 0);
    std::this_thread::sleep_for(400ms);
    t.stop();
    uint64_t getppid = 0;
    for (const auto& r : t.all([&](const json& r) { return is_type(r, "proc.syscalls") && r["pid"] == pid; }))
        for (const auto& s : r["syscalls"])
            if (s["name"] == "getppid")
                getppid += s["count"].get<uint64_t>();
    CHECK(getppid == 500);
    CHECK(dropped(t, "map_full", "proc.syscalls") == 0);
}

TEST_CASE("proc truth: a pid reused after exit_group is never charged the dead process's syscall")
{
    Tracer t({"proc", "--syscalls", "--syscalls-top", "400", "--comm", "tt_workload", "--sampling-interval", "100ms"});
    REQUIRE(t.ready());
    // The first process's last call, exit_group, never returns.
    pid_t first = spawn({workload, "getppid", "1"});
    REQUIRE(wait_pid(first).code == 0);
    // A new process with the same pid: its first syscall exit is fork's
    // return, with no entry of its own.
    auto again = capture({workload, "fork-at", std::to_string(first)});
    REQUIRE_MESSAGE(again.exit.code == 0, "could not get pid ", first, " again");
    REQUIRE(std::stoi(again.out) == first);
    std::this_thread::sleep_for(400ms);
    t.stop();
    for (const auto& r : t.all([](const json& r) { return is_type(r, "proc.syscalls"); })) {
        for (const auto& s : r["syscalls"]) {
            CHECK_MESSAGE(s["name"] != "exit", r.dump());
            CHECK_MESSAGE(s["name"] != "exit_group", r.dump());
        }
    }
}

TEST_CASE("proc truth: a full pending map is counted as map_full, never silent")
{
    // Only the pending map is small: the summary map keeps its room, so
    // map_full can only come from calls whose entry found no room.
    Tracer t({"proc", "--syscalls", "--comm", "tt_workload"}, true, {"TAPIO_MAP_ENTRIES=syscall_start=4"});
    REQUIRE(t.ready());
    // 16 threads asleep in nanosleep at once need 16 pending entries.
    REQUIRE(run({workload, "sleepers", "16", "300"}).code == 0);
    std::this_thread::sleep_for(1200ms);  // a drop report comes at most once a second
    t.stop();
    // At least 12 of the 16 sleeps found the map full.
    CHECK(dropped(t, "map_full", "proc.syscalls") >= 12);
    CHECK(t.stderr_text().find("kernel map full") != std::string::npos);
}

TEST_CASE("proc truth: one row per syscall per interval, and summaries carry the process's real identity")
{
    Tracer t({"proc", "--syscalls", "--sampling-interval", "10ms", "-u", "65534"});
    REQUIRE(t.ready());
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(99);
        execl(workload.c_str(), "tt_workload", "syscalls-mix", "1500", nullptr);
        _exit(98);
    }
    REQUIRE(wait_pid(pid).code == 0);
    auto exit = t.wait_for([&](const json& r) { return is_type(r, "proc.exit") && r["pid"] == pid; });
    std::this_thread::sleep_for(100ms);
    t.stop();
    REQUIRE(exit);
    auto summaries = t.all([&](const json& r) { return is_type(r, "proc.syscalls") && r["pid"] == pid; });
    REQUIRE(summaries.size() > 10);
    for (const auto& r : summaries) {
        std::set<std::string> names;
        for (const auto& s : r["syscalls"])
            CHECK_MESSAGE(names.insert(s["name"].get<std::string>()).second, "twice in one record: ", r.dump());
        CHECK(r["uid"] == 65534);
        CHECK(r["ppid"] == getpid());
        CHECK(r["cgroup_id"] == (*exit)["cgroup_id"]);
        CHECK(r["comm"] == "tt_workload");
    }
}
