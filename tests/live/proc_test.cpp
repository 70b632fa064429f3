// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Live tests of the proc area and of the CLI contract (exit codes, limits,
// rate limiting, sampling), against the real binary and kernel.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "harness.h"

using namespace live;

namespace {

// Runs a tracer on this process, sends it `burst` kill(self, 0) probes (each
// a proc.signal with a null signal), stops it, and returns how many probe
// records it wrote.
uint64_t probe_burst(Tracer& t, int burst)
{
    REQUIRE(t.ready());
    for (int i = 0; i < burst; ++i)
        kill(getpid(), 0);
    // The drop report comes at most once a second; stop() adds a final one.
    std::this_thread::sleep_for(200ms);
    t.stop();
    return t.all([](const json& r) { return is_type(r, "proc.signal") && r["signal"].is_null(); }).size();
}

void check_common(const json& r)
{
    static const std::regex rfc3339(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)");
    CHECK(std::regex_match(r["ts"].get<std::string>(), rfc3339));
    for (const char* key : {"pid", "tid", "ppid", "uid", "cgroup_id"})
        CHECK_MESSAGE(r[key].is_number_unsigned(), key);
    CHECK(r["comm"].is_string());
}

}  // namespace

TEST_CASE("proc.exec: the exact record of a marker command")
{
    Tracer t({"proc"});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    std::string marker = unique("tt-exec-marker");
    pid_t child = spawn({"/bin/echo", marker, "two words", ""});
    wait_pid(child);
    auto r = t.wait_for(
        [&](const json& r) { return is_type(r, "proc.exec") && r["args"].size() > 1 && r["args"][1] == marker; });
    REQUIRE(r);
    check_common(*r);
    CHECK((*r)["pid"] == child);
    CHECK((*r)["tid"] == child);
    CHECK((*r)["ppid"] == getpid());
    CHECK((*r)["uid"] == 0);
    CHECK((*r)["comm"] == "echo");
    CHECK((*r)["filename"] == "/bin/echo");
    CHECK((*r)["args"] == json::array({"/bin/echo", marker, "two words", ""}));
    CHECK((*r)["args_truncated"] == false);
    CHECK((*r)["ret"] == 0);
    CHECK_FALSE(r->contains("error"));
    CHECK(t.stop().code == 0);
}

TEST_CASE("proc.exec: a failed exec carries ret and the errno name")
{
    Tracer t({"proc"});
    REQUIRE(t.ready());
    std::string missing = "/nonexistent/" + unique("tt-missing");
    // Arguments in memory the process has touched: argv of a failed exec is
    // read at syscall entry, before the kernel faults anything in, so (as
    // with execsnoop) strings on never-touched pages can come back empty.
    std::string arg1 = "arg1";
    pid_t child = fork();
    if (child == 0) {
        char* const argv[] = {const_cast<char*>(missing.c_str()), arg1.data(), nullptr};
        execve(missing.c_str(), argv, environ);
        _exit(42);
    }
    wait_pid(child);
    auto r = t.wait_for([&](const json& r) { return is_type(r, "proc.exec") && r["filename"] == missing; });
    REQUIRE(r);
    CHECK((*r)["pid"] == child);
    CHECK((*r)["ret"] == -ENOENT);
    CHECK((*r)["error"] == "ENOENT");
    CHECK((*r)["args"] == json::array({missing, "arg1"}));
    t.stop();
}

TEST_CASE("proc.exec: -x shows only failed execs")
{
    Tracer t({"proc", "-x"});
    REQUIRE(t.ready());
    std::string marker = unique("tt-ok");
    wait_pid(spawn({"/bin/true", marker}));
    std::string missing = "/nonexistent/" + unique("tt-x");
    wait_pid(spawn({missing}));  // execvp fails in the child
    REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "proc.exec") && r["filename"] == missing; }));
    t.stop();
    CHECK(t.all([&](const json& r) { return is_type(r, "proc.exec") && r.value("ret", 0) == 0; }).empty());
}

TEST_CASE("proc.exit: exit code 7, and a process killed by SIGKILL")
{
    Tracer t({"proc"});
    REQUIRE(t.ready());
    pid_t seven = spawn({"/bin/sh", "-c", "exit 7"});
    wait_pid(seven);
    auto r = t.wait_for([&](const json& r) { return is_type(r, "proc.exit") && r["pid"] == seven; });
    REQUIRE(r);
    check_common(*r);
    CHECK((*r)["exit_code"] == 7);
    CHECK((*r)["signal"].is_null());
    CHECK((*r)["duration_ns"].get<uint64_t>() > 0);
    CHECK((*r)["duration_ns"].get<uint64_t>() < 10'000'000'000ULL);

    pid_t sleeper = spawn({"/bin/sleep", "30"});
    usleep(100000);
    REQUIRE(kill(sleeper, SIGKILL) == 0);
    wait_pid(sleeper);
    auto killed = t.wait_for([&](const json& r) { return is_type(r, "proc.exit") && r["pid"] == sleeper; });
    REQUIRE(killed);
    CHECK((*killed)["signal"] == "SIGKILL");
    CHECK((*killed)["exit_code"] == 0);
    CHECK((*killed)["duration_ns"].get<uint64_t>() >= 100'000'000ULL);
    auto sent = t.wait_for([&](const json& r) { return is_type(r, "proc.signal") && r["target_pid"] == sleeper; });
    REQUIRE(sent);
    CHECK((*sent)["pid"] == getpid());
    CHECK((*sent)["signal"] == "SIGKILL");
    CHECK((*sent)["ret"] == 0);
    t.stop();
}

TEST_CASE("proc.signal: SIGUSR1 sent, and a kill that fails with ESRCH")
{
    Tracer t({"proc"});
    REQUIRE(t.ready());
    pid_t sleeper = spawn({"/bin/sleep", "30"});
    REQUIRE(kill(sleeper, SIGUSR1) == 0);
    wait_pid(sleeper);
    auto r = t.wait_for([&](const json& r) { return is_type(r, "proc.signal") && r["target_pid"] == sleeper; });
    REQUIRE(r);
    check_common(*r);
    CHECK((*r)["pid"] == getpid());
    CHECK((*r)["signal"] == "SIGUSR1");
    CHECK((*r)["ret"] == 0);

    // A pid that cannot exist (above pid_max's ceiling).
    const pid_t nobody = 4194304 + 1000;
    CHECK(kill(nobody, SIGUSR2) == -1);
    auto failed = t.wait_for([&](const json& r) { return is_type(r, "proc.signal") && r["target_pid"] == nobody; });
    REQUIRE(failed);
    CHECK((*failed)["ret"] == -ESRCH);
    CHECK((*failed)["error"] == "ESRCH");
    CHECK((*failed)["signal"] == "SIGUSR2");
    t.stop();
}

TEST_CASE("proc.setuid: setresuid, a setuid refused with EPERM, setreuid, each with the ids asked for")
{
    Tracer t({"proc"});
    REQUIRE(t.ready());
    pid_t pid = spawn({TAPIO_WORKLOAD, "setuid"});
    REQUIRE(wait_pid(pid).code == 0);
    auto mine = [&](const json& r) { return is_type(r, "proc.setuid") && r["pid"] == pid; };
    REQUIRE(t.wait_for([&](const json& r) { return mine(r) && r["call"] == "setreuid"; }));
    t.stop();
    auto calls = t.all(mine);
    REQUIRE(calls.size() == 3);

    CHECK(calls[0]["call"] == "setresuid");
    CHECK(calls[0]["ruid"].is_null());
    CHECK(calls[0]["euid"] == 65534);
    CHECK(calls[0]["suid"].is_null());
    CHECK(calls[0]["ret"] == 0);
    CHECK_FALSE(calls[0].contains("error"));
    CHECK(calls[0]["uid"] == 0);  // the real uid after the call

    CHECK(calls[1]["call"] == "setuid");
    CHECK(calls[1]["target_uid"] == 12345);
    CHECK(calls[1]["ret"] == -EPERM);
    CHECK(calls[1]["error"] == "EPERM");
    CHECK_FALSE(calls[1].contains("ruid"));

    CHECK(calls[2]["call"] == "setreuid");
    CHECK(calls[2]["ruid"].is_null());
    CHECK(calls[2]["euid"] == 0);
    CHECK(calls[2]["ret"] == 0);
    CHECK_FALSE(calls[2].contains("suid"));

    // -x keeps only the refused one.
    Tracer failed({"proc", "-x"});
    REQUIRE(failed.ready());
    pid_t again = spawn({TAPIO_WORKLOAD, "setuid"});
    REQUIRE(wait_pid(again).code == 0);
    auto refused = failed.wait_for([&](const json& r) { return is_type(r, "proc.setuid") && r["pid"] == again; });
    failed.stop();
    REQUIRE(refused);
    CHECK((*refused)["error"] == "EPERM");
    CHECK(failed.all([&](const json& r) { return is_type(r, "proc.setuid") && r["pid"] == again; }).size() == 1);
}

TEST_CASE("proc.fork: child_pid of a forked child")
{
    Tracer t({"proc"});
    REQUIRE(t.ready());
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    wait_pid(child);
    auto r = t.wait_for([&](const json& r) { return is_type(r, "proc.fork") && r["child_pid"] == child; });
    REQUIRE(r);
    check_common(*r);
    CHECK((*r)["pid"] == getpid());
    t.stop();
}

TEST_CASE("-p keeps only the given process")
{
    // Two children that each fork once when told to.
    auto forker = [](int fd) {
        pid_t p = fork();
        if (p == 0) {
            char c;
            if (read(fd, &c, 1) == 1) {
                pid_t g = fork();
                if (g == 0)
                    _exit(0);
                waitpid(g, nullptr, 0);
            }
            _exit(0);
        }
        return p;
    };
    int pa[2], pb[2];
    REQUIRE(pipe(pa) == 0);
    REQUIRE(pipe(pb) == 0);
    pid_t a = forker(pa[0]);
    pid_t b = forker(pb[0]);
    Tracer t({"proc", "-p", std::to_string(a)});
    REQUIRE(t.ready());
    REQUIRE(write(pb[1], "x", 1) == 1);
    REQUIRE(write(pa[1], "x", 1) == 1);
    wait_pid(a);
    wait_pid(b);
    REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "proc.exit") && r["pid"] == a; }));
    t.stop();
    CHECK(t.all([&](const json& r) { return is_type(r, "proc.fork") && r["pid"] == a; }).size() == 1);
    CHECK(t.all([&](const json& r) { return r.contains("pid") && r["pid"] == b; }).empty());
    for (const auto& r : t.all([](const json& r) { return r.value("type", "").rfind("proc.", 0) == 0; }))
        CHECK(r["pid"] == a);
    for (int fd : {pa[0], pa[1], pb[0], pb[1]})
        close(fd);
}

TEST_CASE("--rate-limit holds on a burst and the counts add up")
{
    const int burst = 3000;
    Tracer t({"proc", "-p", std::to_string(getpid()), "--rate-limit", "100"});
    REQUIRE(t.ready());
    auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < burst; ++i)
        kill(getpid(), 0);
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    // The drop report comes at most once a second; stop() adds a final one.
    std::this_thread::sleep_for(200ms);
    t.stop();
    auto is_probe = [](const json& r) { return is_type(r, "proc.signal") && r["signal"].is_null(); };
    uint64_t emitted = t.all(is_probe).size();
    uint64_t limited = dropped(t, "rate_limited", "proc.signal");
    // As with --sample: stop()'s SIGINT may be counted as limited too.
    CHECK(emitted + limited >= burst);
    CHECK(emitted + limited <= burst + 1);
    // One type alone gets its share and the pool: of 100 a second, half is
    // shared out between proc's 5 types (10 each), so 10 + 50, as a burst
    // and then per second.
    CHECK(emitted >= 55);
    CHECK(emitted <= 60 + static_cast<uint64_t>(60 * elapsed) + 5);
    CHECK(t.stderr_text().find("rate-limited") != std::string::npos);
}

TEST_CASE("--rate-limit is fair: a flood of file.open leaves every exec its share, and each count is exact")
{
    // proc and file: 13 types with a share each of half of 2600 a second
    // (100, a burst of 100), the rest (1300) the pool.
    const int execs = 50;
    Tracer t({"all", "--no-net", "--no-mem", "-p", std::to_string(getpid()), "--children", "--rate-limit", "2600"});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    // The flood's count and its stop flag, shared with the child.
    void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(page != MAP_FAILED);
    auto* shared = static_cast<volatile uint64_t*>(page);
    shared[0] = 0;  // opens done
    shared[1] = 0;  // stop
    auto started = std::chrono::steady_clock::now();
    pid_t flooder = fork();
    if (flooder == 0) {
        while (!shared[1]) {
            int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (fd >= 0)
                close(fd);
            shared[0] = shared[0] + 1;
        }
        _exit(0);
    }
    while (shared[0] < 20000)
        std::this_thread::sleep_for(1ms);
    // Execs (of a program that opens nothing) in the middle of the flood.
    std::vector<pid_t> children;
    for (int i = 0; i < execs; ++i) {
        children.push_back(spawn({TAPIO_EXIT0}));
        std::this_thread::sleep_for(5ms);
    }
    for (pid_t c : children)
        CHECK(wait_pid(c).code == 0);
    uint64_t flood_before_stop = shared[0];
    shared[1] = 1;
    CHECK(wait_pid(flooder).code == 0);
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const uint64_t opens = shared[0];
    munmap(page, 4096);
    std::this_thread::sleep_for(200ms);
    t.stop();

    auto kept_execs =
        t.all([](const json& r) { return is_type(r, "proc.exec") && r.value("filename", "") == TAPIO_EXIT0; });
    // Every open of the run: the flood's, and one of /dev/null in each
    // spawned child before its exec (the tracer follows this process's
    // children only, and this process opens nothing meanwhile).
    uint64_t kept_opens = t.all([&](const json& r) { return is_type(r, "file.open"); }).size();
    const uint64_t generated_opens = opens + execs;
    MESSAGE("opens ", opens, " (kept ", kept_opens, "), execs kept ", kept_execs.size(), " of ", execs, " in ", elapsed,
            " s");
    REQUIRE(flood_before_stop > 20000);
    // The flood is held back hard, yet every exec is kept ...
    CHECK(kept_execs.size() == static_cast<size_t>(execs));
    CHECK(dropped(t, "rate_limited", "proc.exec") == 0);
    // ... and every open not delivered is counted: exactly.
    CHECK(kept_opens + dropped(t, "rate_limited", "file.open") == generated_opens);
    CHECK(kept_opens < opens / 2);
    // The flood had all the pool and its own share: 1400 a second, and a
    // burst's worth of each (the 50 spawned children's opens are in there too).
    CHECK(kept_opens <= 1400 + static_cast<uint64_t>(1400 * elapsed) + execs);
}

TEST_CASE("--sample keeps 1 in N and counts the rest")
{
    const int burst = 3000;
    Tracer t({"proc", "-p", std::to_string(getpid()), "--sample", "10"});
    uint64_t emitted = probe_burst(t, burst);
    uint64_t sampled = dropped(t, "sampled_out", "proc.signal");
    // stop()'s own SIGINT to the tracer is a proc.signal of this process too:
    // it may be sampled out, written, or not reach the tracer before it stops.
    CHECK(emitted + sampled >= burst);
    CHECK(emitted + sampled <= burst + 1);
    // Counters are per CPU: each CPU keeps its first event of every ten.
    CHECK(emitted >= burst / 10);
    CHECK(emitted <= burst / 10 + static_cast<uint64_t>(sysconf(_SC_NPROCESSORS_ONLN)));
}

TEST_CASE("proc.syscalls: per-process summaries count a known syscall")
{
    Tracer t({"proc", "--syscalls", "--sampling-interval", "200ms", "-p", std::to_string(getpid())});
    REQUIRE(t.ready());
    for (int i = 0; i < 500; ++i)
        syscall(SYS_getppid);
    std::this_thread::sleep_for(600ms);
    t.stop();
    uint64_t count = 0;
    for (const auto& r : t.all([](const json& r) { return is_type(r, "proc.syscalls"); })) {
        CHECK(r["pid"] == getpid());
        for (const auto& s : r["syscalls"])
            if (s["name"] == "getppid") {
                count += s["count"].get<uint64_t>();
                CHECK(s["errors"] == 0);
            }
    }
    CHECK(count >= 500);
    CHECK(count < 600);
}

TEST_CASE("-n 1 stops after one event, exit 0")
{
    Tracer t({"proc", "-n", "1"});
    REQUIRE(t.ready());
    for (int i = 0; i < 20; ++i)
        wait_pid(spawn({"/bin/true"}));
    Exit e = t.wait_exit();
    CHECK(e.code == 0);
    auto lines = t.stdout_lines();
    CHECK(lines.size() == 1);
    CHECK(t.all([](const json& r) { return r.value("type", "").rfind("proc.", 0) == 0; }).size() == 1);
}

TEST_CASE("-d ends the run by itself with exit 0; SIGTERM too")
{
    Tracer t({"proc", "-d", "300ms"});
    REQUIRE(t.ready());
    CHECK(t.wait_exit(5000ms).code == 0);

    Tracer u({"proc"});
    REQUIRE(u.ready());
    CHECK(u.stop(SIGTERM).code == 0);
}

TEST_CASE("| head -1 ends quietly with exit 0")
{
    std::string cmd = "set -o pipefail; " + binary() + " proc --json | head -1";
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    std::atomic<bool> done{false};
    std::thread load([&] {
        while (!done)
            wait_pid(spawn({"/bin/true"}));
    });
    Captured c = capture({"/bin/bash", "-c", cmd});
    done = true;
    load.join();
    CHECK(c.exit.code == 0);
    CHECK(c.err.empty());
    CHECK(json::parse(c.out)["type"].get<std::string>().rfind("proc.", 0) == 0);
    close(fds[0]);
    close(fds[1]);
}

TEST_CASE("a failing output (disk full) is exit 1 with one clear line")
{
    std::atomic<bool> done{false};
    std::thread load([&] {
        while (!done)
            wait_pid(spawn({"/bin/true"}));
    });
    Captured c = capture({"/bin/bash", "-c", binary() + " proc --json -d 5s > /dev/full"});
    done = true;
    load.join();
    CHECK(c.exit.code == 1);
    CHECK(c.err.find("cannot write the output") != std::string::npos);
    CHECK(std::count(c.err.begin(), c.err.end(), '\n') == 1);
}

TEST_CASE("bad usage: exit 2, one line on stderr, nothing on stdout")
{
    const std::vector<std::vector<std::string>> cases = {
        {"proc", "--bogus"},
        {"proc", "--ring-buffer-size", "3M"},
        {"proc", "-d", "soon"},
        {"proc", "--output", "yaml"},
        {"proc", "-p", "zero"},
        {"proc", "--comm", "a-name-much-longer-than-fifteen"},
        {"proc", "--max-args", "0"},
        {"frobnicate"},
        {},
    };
    for (const auto& args : cases) {
        std::vector<std::string> argv = {binary()};
        argv.insert(argv.end(), args.begin(), args.end());
        Captured c = capture(argv);
        CAPTURE(c.err);
        CHECK(c.exit.code == 2);
        CHECK(c.out.empty());
        CHECK(std::count(c.err.begin(), c.err.end(), '\n') == 1);
        CHECK(c.err.rfind("tapio-trace: ", 0) == 0);
    }
}

TEST_CASE("input that must be refused: an empty --comm, a relative --path, numbers too large, a pid above pid_max")
{
    struct Case {
        std::vector<std::string> args;
        std::string says;  // in the one line
    };
    // -d 1s: a binary that accepts the value ends, and fails the check.
    const Case cases[] = {
        {{"proc", "--comm", "", "-d", "1s"}, "--comm: '' is empty; "},
        {{"file", "--path", "x", "-d", "1s"}, "--path: 'x' is a relative path, and the kernel compares absolute paths"},
        {{"proc", "-n", "99999999999999999999999", "-d", "1s"},
         "--count: '99999999999999999999999' is too large; give a whole number of events, 0 (no limit) or more, at "
         "most "
         "18446744073709551615"},
        {{"proc", "-p", "99999999", "-d", "1s"}, "--pid: '99999999' is above the largest process id, "},
        {{"proc", "-d", "99999999999999999999"}, "--duration: '99999999999999999999' is too large; give at most "},
    };
    for (const Case& k : cases) {
        std::vector<std::string> argv = {binary()};
        argv.insert(argv.end(), k.args.begin(), k.args.end());
        Captured c = capture(argv);
        CAPTURE(c.err);
        CHECK(c.exit.code == 2);
        CHECK(c.out.empty());
        CHECK(std::count(c.err.begin(), c.err.end(), '\n') == 1);
        CHECK(c.err.rfind("tapio-trace: " + k.says, 0) == 0);
    }
}

TEST_CASE("an unprivileged run exits 3 and names the missing capabilities")
{
    pid_t child;
    int err[2];
    REQUIRE(pipe(err) == 0);
    child = fork();
    if (child == 0) {
        dup2(err[1], 2);
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(99);
        execl(binary().c_str(), binary().c_str(), "proc", "-d", "1s", nullptr);
        _exit(98);
    }
    close(err[1]);
    char buf[1024] = {};
    ssize_t n = read(err[0], buf, sizeof(buf) - 1);
    close(err[0]);
    Exit e = wait_pid(child);
    CHECK(e.code == 3);
    REQUIRE(n > 0);
    std::string text(buf);
    CHECK(text.find("CAP_BPF") != std::string::npos);
    CHECK(text.find("CAP_PERFMON") != std::string::npos);
}

TEST_CASE("hostile arguments: JSON stays valid, the table never carries raw control bytes")
{
    const std::string nasty =
        "esc\x1b[31mred\x1b[0m\ttab\nnl\"quote\\back\xff\xfe"
        "end";
    std::string marker = unique("tt-hostile");
    {
        Tracer t({"proc"});
        REQUIRE(t.ready());
        wait_pid(spawn({"/bin/echo", marker, nasty}));
        auto r = t.wait_for(
            [&](const json& r) { return is_type(r, "proc.exec") && r["args"].size() > 2 && r["args"][1] == marker; });
        REQUIRE(r);
        // Everything but the invalid bytes comes back exactly; they become U+FFFD.
        CHECK((*r)["args"][2] ==
              "esc\x1b[31mred\x1b[0m\ttab\nnl\"quote\\back\xef\xbf\xbd\xef\xbf\xbd"
              "end");
        t.stop();
        for (const auto& line : t.stdout_lines())
            CHECK(line.find('\x1b') == std::string::npos);
    }
    {
        Tracer t({"proc"}, /*json=*/false);
        REQUIRE(t.ready());
        wait_pid(spawn({"/bin/echo", marker, nasty}));
        std::this_thread::sleep_for(300ms);
        t.stop();
        bool seen = false;
        for (const auto& line : t.stdout_lines()) {
            for (char ch : line)
                CHECK_MESSAGE((static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f), line);
            if (line.find(marker) != std::string::npos) {
                seen = true;
                CHECK(line.find("esc\\x1b[31mred") != std::string::npos);
                CHECK(line.find("\\xff\\xfe") != std::string::npos);
            }
        }
        CHECK(seen);
    }
}

TEST_CASE("--uid, --comm and --cgroup filter in the kernel")
{
    // A child that, when told, execs a marker command: as uid 65534, in a
    // fresh cgroup v2 directory.
    std::string marker = unique("tt-filter");
    auto run_marker_as = [&](uid_t uid) {
        pid_t p = fork();
        if (p == 0) {
            dup2(open("/dev/null", O_WRONLY), 1);
            if (uid != 0 && (setgid(uid) != 0 || setuid(uid) != 0))
                _exit(99);
            execl("/bin/echo", "echo", marker.c_str(), nullptr);
            _exit(98);
        }
        return wait_pid(p);
    };
    {
        Tracer t({"proc", "-u", "65534"});
        REQUIRE(t.ready());
        run_marker_as(0);
        run_marker_as(65534);
        REQUIRE(t.wait_for([&](const json& r) {
            return is_type(r, "proc.exec") && r["args"].dump().find(marker) != std::string::npos;
        }));
        t.stop();
        for (const auto& r : t.all([](const json& r) { return r.value("type", "").rfind("proc.", 0) == 0; }))
            CHECK(r["uid"] == 65534);
    }
    {
        Tracer t({"proc", "--comm", "echo"});
        REQUIRE(t.ready());
        wait_pid(spawn({"/bin/true", marker}));
        wait_pid(spawn({"/bin/echo", marker}));
        REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "proc.exit") && r["comm"] == "echo"; }));
        t.stop();
        for (const auto& r : t.all([](const json& r) { return r.value("type", "").rfind("proc.", 0) == 0; }))
            CHECK(r["comm"] == "echo");
    }
    {
        // cgroup v2: where the unified hierarchy is mounted on this host.
        std::string root =
            access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0 ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
        std::string dir = root + "/" + unique("tt-cg");
        REQUIRE(mkdir(dir.c_str(), 0755) == 0);
        int go[2];
        REQUIRE(pipe(go) == 0);
        pid_t inside = fork();
        if (inside == 0) {
            char c;
            dup2(open("/dev/null", O_WRONLY), 1);
            if (read(go[0], &c, 1) != 1)
                _exit(97);
            execl("/bin/echo", "echo", marker.c_str(), "inside", nullptr);
            _exit(98);
        }
        {
            std::ofstream procs(dir + "/cgroup.procs");
            procs << inside;
        }
        Tracer t({"proc", "--cgroup", dir});
        REQUIRE(t.ready());
        wait_pid(spawn({"/bin/echo", marker, "outside"}));
        REQUIRE(write(go[1], "x", 1) == 1);
        wait_pid(inside);
        auto r = t.wait_for([&](const json& r) { return is_type(r, "proc.exit") && r["pid"] == inside; });
        REQUIRE(r);
        t.stop();
        CHECK(t.all([&](const json& r) { return is_type(r, "proc.exec") && r["pid"] == inside; }).size() == 1);
        for (const auto& rec : t.all([](const json& r) { return r.value("type", "").rfind("proc.", 0) == 0; }))
            CHECK(rec["pid"] == inside);
        close(go[0]);
        close(go[1]);
        rmdir(dir.c_str());
    }
}

TEST_CASE("a full ring buffer is counted as lost, never silent")
{
    const int burst = 20000;
    // 4 KiB holds about 50 proc.signal records; the reader drains every 25 ms.
    Tracer t({"proc", "-p", std::to_string(getpid()), "--ring-buffer-size", "4K"});
    uint64_t emitted = probe_burst(t, burst);
    uint64_t lost = dropped(t, "lost", "proc.signal");
    CHECK(lost > 0);
    CHECK(emitted + lost == burst);
    CHECK(t.stderr_text().find("lost") != std::string::npos);
}

TEST_CASE("table: a quiet trace shows at once that it is tracing: the start-up line and the header")
{
    // --comm matches nothing: no record comes, yet both must be out.
    Tracer t({"proc", "--comm", "tt-quiet-none"}, /*json=*/false);
    REQUIRE(t.ready());
    std::vector<std::string> lines;
    for (int i = 0; i < 50 && lines.empty(); ++i) {
        std::this_thread::sleep_for(20ms);
        lines = t.stdout_lines();
    }
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].rfind("TIME ", 0) == 0);
    CHECK(lines[0].find(" EVENT ") != std::string::npos);
    std::string err = t.stderr_text();
    CHECK_MESSAGE(err.find("tapio-trace: tracing proc (") != std::string::npos, err);
    CHECK_MESSAGE(err.find("; Ctrl-C to end\n") != std::string::npos, err);
    CHECK(t.stop().code == 0);
}
