// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Always stoppable: a reader that stops reading stdout cannot hold the run
// past a stop request or the duration; what could not be written is said on
// stderr.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

using namespace live;

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// tapio-trace with stdout into a pipe nobody reads and stderr into a file.
struct Stalled {
    pid_t pid = -1;
    int read_end = -1;  // held open, never read
    std::string err_path;

    explicit Stalled(const std::vector<std::string>& args, const std::string& dir) : err_path(dir + "/stderr")
    {
        int fds[2];
        REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
        read_end = fds[0];
        pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            dup2(fds[1], STDOUT_FILENO);
            dup2(err, STDERR_FILENO);
            std::vector<std::string> full{binary()};
            full.insert(full.end(), args.begin(), args.end());
            std::vector<char*> argv;
            for (auto& a : full)
                argv.push_back(a.data());
            argv.push_back(nullptr);
            execv(argv[0], argv.data());
            _exit(127);
        }
        close(fds[1]);
    }
    ~Stalled()
    {
        if (pid > 0 && waitpid(pid, nullptr, WNOHANG) == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
        close(read_end);
    }
    std::string err() const
    {
        std::ifstream f(err_path);
        std::stringstream s;
        s << f.rdbuf();
        return s.str();
    }
    bool ready(std::chrono::milliseconds limit = 10s) const
    {
        for (auto end = Clock::now() + limit; Clock::now() < end; std::this_thread::sleep_for(10ms))
            if (err().find("ready:") != std::string::npos)
                return true;
        return false;
    }
    // Waits up to limit for the exit; -1 when it had not exited (killed then).
    int wait_exit(std::chrono::milliseconds limit)
    {
        for (auto end = Clock::now() + limit; Clock::now() < end; std::this_thread::sleep_for(5ms)) {
            int status = 0;
            if (waitpid(pid, &status, WNOHANG) == pid) {
                pid = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
        }
        return -1;
    }
};

// Enough thread forks and exits to fill a 64 KiB pipe many times over.
void flood()
{
    pid_t w = spawn({TAPIO_WORKLOAD, "short-threads", "2000"});
    CHECK(wait_pid(w).code == 0);
}

}  // namespace

TEST_CASE("stop: SIGINT ends the run at once while stdout's reader has stopped reading")
{
    TempDir dir("tt-stop");
    Stalled t({"proc", "--json", "--threads", "-v"}, dir.path());
    REQUIRE_MESSAGE(t.ready(), t.err());
    flood();
    std::this_thread::sleep_for(300ms);  // the writer is blocked on the full pipe
    auto sent = Clock::now();
    REQUIRE(kill(t.pid, SIGINT) == 0);
    int code = t.wait_exit(3s);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent);
    INFO(t.err());
    REQUIRE_MESSAGE(code == 0, "still running 3 s after SIGINT");
    // The collector's detach comes after; the run itself ends in well under
    // a second (about 60 ms here).
    CHECK(took < 1500ms);
    CHECK(t.err().find("tapio-trace: the reader of the output stopped reading: the last ") != std::string::npos);
}

TEST_CASE("stop: -d ends the run on time while stdout's reader has stopped reading")
{
    TempDir dir("tt-stop");
    auto started = Clock::now();
    Stalled t({"proc", "--json", "--threads", "-v", "-d", "2s"}, dir.path());
    REQUIRE_MESSAGE(t.ready(), t.err());
    flood();
    int code = t.wait_exit(6s);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    INFO(t.err());
    REQUIRE_MESSAGE(code == 0, "still running 6 s after a 2 s trace started");
    CHECK(took < 3500ms);
    CHECK(t.err().find("were not written") != std::string::npos);
}

namespace {

// A field of /proc/PID/status in kB (VmRSS, VmHWM); -1 when unreadable.
long status_kb(pid_t pid, const std::string& field)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field + ":", 0) == 0)
            return std::stol(line.substr(field.size() + 1));
    return -1;
}

}  // namespace

TEST_CASE("memory: after a stalled reader resumes, the backlog goes out in chunks, not all at once")
{
    TempDir dir("tt-stop");
    std::string target = dir / "target";
    std::ofstream(target) << "x";
    // A 64M ring full of file.open records is tens of MB of JSON.
    Stalled s({"file", "--json", "-v", "--ring-buffer-size", "64M", "-d", "30s"}, dir.path());
    REQUIRE_MESSAGE(s.ready(), s.err());
    long base = status_kb(s.pid, "VmRSS");  // the ring's pages are in it from the start
    REQUIRE(base > 0);
    // Fill the ring while nobody reads.
    for (int i = 0; i < 400000; ++i) {
        int fd = open(target.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            close(fd);
    }
    std::this_thread::sleep_for(300ms);
    // The reader comes back and reads until the backlog is out.
    fcntl(s.read_end, F_SETFL, O_NONBLOCK);
    size_t got = 0;
    auto quiet_since = Clock::now();
    char buf[1 << 16];
    while (Clock::now() - quiet_since < 700ms) {
        ssize_t n = read(s.read_end, buf, sizeof(buf));
        if (n > 0) {
            got += static_cast<size_t>(n);
            quiet_since = Clock::now();
        } else {
            std::this_thread::sleep_for(2ms);
        }
    }
    long peak = status_kb(s.pid, "VmHWM");
    INFO("read " << got / 1024 << " KiB; VmRSS at start " << base << " kB, peak " << peak << " kB");
    CHECK(got > 16u << 20);  // the backlog was big
    // Bounded by the chunk (256 KiB) and the writer's own buffers: a few MB,
    // not the backlog.
    CHECK(peak - base < 8 * 1024);
    kill(s.pid, SIGINT);
    CHECK(s.wait_exit(5s) == 0);
}

TEST_CASE("stop: a second SIGINT during a slow detach ends the process at once; a child finishes the detach")
{
    // On the plain-tracepoint fallback every perf event released costs a
    // grace period, one after another. Time from the end of stdout (the
    // detach begins) to the process gone: with one SIGINT, and with a
    // second one sent as stdout ends.
    const std::string bin = binary();
    auto detach_ms = [&](bool second) {
        int fds[2];
        REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            dup2(fds[1], STDOUT_FILENO);
            int null = open("/dev/null", O_WRONLY);
            dup2(null, STDERR_FILENO);
            setenv("TAPIO_FAKE_HOST", "no-tp_btf,no-raw_tp", 1);
            execl(bin.c_str(), bin.c_str(), "all", "-d", "30s", static_cast<char*>(nullptr));
            _exit(127);
        }
        close(fds[1]);
        // The table's header comes once every hook is attached.
        char buf[4096];
        REQUIRE(read(fds[0], buf, sizeof(buf)) > 0);
        std::this_thread::sleep_for(300ms);
        kill(pid, SIGINT);
        while (read(fds[0], buf, sizeof(buf)) > 0) {
        }
        auto begin = Clock::now();
        if (second)
            kill(pid, SIGINT);
        int status = 0;
        waitpid(pid, &status, 0);
        close(fds[0]);
        return std::chrono::duration<double, std::milli>(Clock::now() - begin).count();
    };
    double one = detach_ms(false);
    double two = detach_ms(true);
    INFO("detach after one SIGINT " << one << " ms; after a second " << two << " ms");
    REQUIRE_MESSAGE(one >= 200, "the fallback's detach is quick here: nothing to cut short");
    CHECK(two < 150);
}
