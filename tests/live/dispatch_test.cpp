// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Live tests of the syscall dispatcher (bpf/tapio.bpf.c): every form it can
// take (tp_btf, raw_tp, the plain raw_syscalls tracepoint, forced with
// TAPIO_FAKE_HOST) reports the same calls with the same fields, and a run
// ends at once: -n 1, | head -1 and SIGINT do not wait on the kernel.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

using namespace live;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Opens /dev/null every few milliseconds until destroyed: a steady trickle
// of file.open records from this process.
class Trickle {
public:
    Trickle()
        : thread_([this] {
              while (!stop_) {
                  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                  if (fd >= 0)
                      close(fd);
                  std::this_thread::sleep_for(std::chrono::milliseconds(5));
              }
          })
    {
    }
    ~Trickle()
    {
        stop_ = true;
        thread_.join();
    }

private:
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

size_t count_lines(const std::string& s)
{
    size_t n = 0;
    for (char c : s)
        n += c == '\n';
    return n;
}

}  // namespace

TEST_CASE("dispatch: tp_btf, raw_tp and the plain tracepoint each report the same syscalls, exactly")
{
    struct Form {
        const char* mask;  // TAPIO_FAKE_HOST
        const char* how;   // what -v must say the dispatcher is attached as
        bool serial;       // TAPIO_LOAD_SERIAL: every program from one copy of the object
    };
    for (Form form : {Form{"", "tp_btf", false}, Form{"", "tp_btf", true}, Form{"no-tp_btf", "raw_tracepoint", false},
                      Form{"no-tp_btf,no-raw_tp", "tracepoint", false}}) {
        CAPTURE(form.how);
        CAPTURE(form.serial);
        TempDir tmp("tt-dispatch");
        const std::string& dir = tmp.path();
        std::vector<std::string> env{std::string("TAPIO_FAKE_HOST=") + form.mask};
        if (form.serial)
            env.push_back("TAPIO_LOAD_SERIAL=1");
        Tracer t({"all", "-p", std::to_string(getpid()), "--no-pressure"}, true, env);
        REQUIRE(t.ready());
        for (const char* hook : {"raw_syscalls:sys_enter", "raw_syscalls:sys_exit"})
            CHECK(t.stderr_text().find(std::string(hook) + " attached (" + form.how) != std::string::npos);
        // all loads the dispatcher's exit beside the other programs, unless told not to.
        CHECK((t.stderr_text().find("dispatcher's exit on a second thread") != std::string::npos) == !form.serial);

        // One of each, from this process.
        std::string file = dir + "/opened", renamed = dir + "/renamed", sub = dir + "/sub";
        int fd = open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0640);
        REQUIRE(fd >= 0);
        close(fd);
        REQUIRE(mkdir(sub.c_str(), 0750) == 0);
        REQUIRE(rename(file.c_str(), renamed.c_str()) == 0);
        REQUIRE(unlink(renamed.c_str()) == 0);
        REQUIRE(rmdir(sub.c_str()) == 0);
        REQUIRE(kill(getpid(), 0) == 0);
        std::string missing = dir + "/no-such-program";
        char* const argv[] = {missing.data(), nullptr};
        REQUIRE(syscall(SYS_execve, missing.c_str(), argv, environ) == -1);
        void* big = mmap(nullptr, 3 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        REQUIRE(big != MAP_FAILED);
        REQUIRE(munmap(big, 3 << 20) == 0);
        // The marker: its record is the last of them.
        std::string end = dir + "/end";
        REQUIRE(open(end.c_str(), O_RDONLY | O_CLOEXEC) == -1);
        REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "file.open") && r["path"] == end; }));
        t.stop();

        auto mine = [&](const char* type, const char* field, const std::string& value) {
            return t.all(
                [&](const json& r) { return is_type(r, type) && r["pid"] == getpid() && r.value(field, "") == value; });
        };
        auto opens = mine("file.open", "path", file);
        REQUIRE(opens.size() == 1);
        CHECK(opens[0]["fd"].get<int>() >= 0);
        CHECK(opens[0]["flags"].get<std::string>().find("O_CREAT") != std::string::npos);
        CHECK(opens[0]["mode"] == "0640");
        CHECK(mine("file.mkdir", "path", sub).size() == 1);
        auto renames = mine("file.rename", "path", file);
        REQUIRE(renames.size() == 1);
        CHECK(renames[0]["new_path"] == renamed);
        CHECK(mine("file.unlink", "path", renamed).size() == 1);
        CHECK(mine("file.rmdir", "path", sub).size() == 1);
        auto execs = mine("proc.exec", "filename", missing);
        REQUIRE(execs.size() == 1);
        CHECK(execs[0]["ret"] == -ENOENT);
        auto signals = t.all([&](const json& r) {
            return is_type(r, "proc.signal") && r["pid"] == getpid() && r["target_pid"] == getpid();
        });
        REQUIRE(signals.size() == 1);
        CHECK(signals[0]["signal"].is_null());  // kill(pid, 0): no signal, a check
        CHECK(signals[0]["ret"] == 0);
        auto allocs = t.all([&](const json& r) {
            return (is_type(r, "mem.alloc") || is_type(r, "mem.unmap")) && r["pid"] == getpid() &&
                   r["size"] == (3 << 20);
        });
        REQUIRE(allocs.size() == 2);
        CHECK(allocs[0]["op"] == "mmap");
        CHECK(is_type(allocs[1], "mem.unmap"));
        CHECK(allocs[0]["addr"] == allocs[1]["addr"]);
    }
}

// "At once": well under the 2 s or more that detaching dozens of
// perf-attached tracepoints took, with room for a loaded machine.
constexpr double at_once_s = 1.2;

namespace {

// Runs argv while this process opens /dev/null every few milliseconds; its
// output must be one complete JSON record, and it must end at once.
void one_record_at_once(const std::vector<std::string>& argv)
{
    Trickle trickle;
    auto t0 = std::chrono::steady_clock::now();
    Captured c = capture(argv);
    double took = seconds_since(t0);
    CAPTURE(c.err);
    CHECK(c.exit.code == 0);
    REQUIRE(count_lines(c.out) == 1);
    json r = json::parse(c.out);
    CHECK(r.contains("type"));
    CHECK(took < at_once_s);
}

}  // namespace

TEST_CASE("dispatch: all -n 1 returns at once, with its one record complete")
{
    one_record_at_once({binary(), "all", "--json", "-n", "1"});
}

TEST_CASE("dispatch: all | head -1 returns at once, with its one record complete")
{
    // tapio-trace ends quietly (exit 0) on the closed pipe.
    one_record_at_once({"/bin/bash", "-c", "set -o pipefail; '" + binary() + "' all --json | head -1"});
}

TEST_CASE("dispatch: all is gone at once after SIGINT")
{
    Tracer t({"all"});
    REQUIRE(t.ready());
    auto t0 = std::chrono::steady_clock::now();
    Exit e = t.stop();
    double took = seconds_since(t0);
    CHECK(e.code == 0);
    CHECK(took < at_once_s);
}

TEST_CASE("dispatch: four --path prefixes of the longest length load at once and select exactly")
{
    // The prefix comparison is bounded by the prefix length: unrolled, long
    // prefixes at every place a record is built exceeded what the verifier
    // checks (E2BIG), and the run could not start.
    TempDir tmp("tt-prefix");
    const std::string& dir = tmp.path();
    std::vector<std::string> prefixes;
    std::vector<std::string> args = {"file", "-p", std::to_string(getpid())};
    for (char c : {'a', 'b', 'c', 'd'}) {
        std::string p = dir + "/" + std::string(64 - dir.size() - 1, c);  // 64 bytes
        REQUIRE(p.size() == 64);
        prefixes.push_back(p);
        args.push_back("--path");
        args.push_back(p);
    }
    auto t0 = std::chrono::steady_clock::now();
    Tracer t(args);
    REQUIRE(t.ready());
    CHECK(seconds_since(t0) < at_once_s);
    std::vector<std::string> kept, dropped;
    for (const std::string& p : prefixes)
        kept.push_back(p + "-x");
    dropped.push_back(dir + "/" + std::string(63 - dir.size() - 1, 'a') + "-x");  // one byte short of prefix a
    dropped.push_back(dir + "/e");
    for (const auto& p : kept)
        close(open(p.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    for (const auto& p : dropped)
        close(open(p.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    std::string last = prefixes.back() + "-last";
    REQUIRE(open(last.c_str(), O_RDONLY | O_CLOEXEC) == -1);
    REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "file.open") && r["path"] == last; }));
    t.stop();
    for (const auto& p : kept)
        CHECK_MESSAGE(t.all([&](const json& r) { return is_type(r, "file.open") && r["path"] == p; }).size() == 1, p);
    for (const auto& p : dropped)
        CHECK_MESSAGE(t.all([&](const json& r) { return is_type(r, "file.open") && r["path"] == p; }).empty(), p);
}
