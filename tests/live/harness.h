// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Live test harness: runs the real tapio-trace binary, waits until its
// programs are attached, collects its JSON lines, and stops it.
#pragma once

#include <nlohmann/json.hpp>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace live {

using json = nlohmann::json;
using namespace std::chrono_literals;

struct Exit {
    int code = -1;  // exit status, or -1 when killed by a signal
    int signal = 0;
};

// A running `tapio-trace <args> --json -v`.
class Tracer {
public:
    // env: extra NAME=VALUE pairs for the tracer (TAPIO_MAP_ENTRIES=4).
    explicit Tracer(std::vector<std::string> args, bool json = true, std::vector<std::string> env = {});
    ~Tracer();
    Tracer(const Tracer&) = delete;
    Tracer& operator=(const Tracer&) = delete;

    // Whether it printed its "ready" line (all programs attached).
    bool ready() const { return ready_; }
    // First record (from the start) for which match() holds.
    std::optional<json> wait_for(const std::function<bool(const json&)>& match,
                                 std::chrono::milliseconds timeout = 5000ms);
    // Every record so far for which match() holds.
    std::vector<json> all(const std::function<bool(const json&)>& match) const;
    // SIGINT, then wait for the exit and for all output.
    Exit stop(int sig = 2);
    // Wait for a natural exit (duration, count).
    Exit wait_exit(std::chrono::milliseconds timeout = 10000ms);
    std::string stderr_text() const;
    std::vector<std::string> stdout_lines() const;
    pid_t pid() const { return pid_; }

private:
    void read_loop(int fd, bool is_stdout);
    // Every JSON line against the record registry (tests/common/schema_check):
    // a failed check of the test that ran this tracer.
    void check_schema();
    // After the exit: all output read, and checked.
    void finish();

    pid_t pid_ = -1;
    bool json_ = true;
    bool schema_checked_ = false;
    std::vector<std::string> schema_problems_;
    bool ready_ = false;
    bool exited_ = false;
    Exit exit_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::string> out_lines_;
    std::vector<json> records_;
    std::string err_text_;
    std::thread out_thread_, err_thread_;
    int out_open_ = 2;
};

// Runs argv to completion; returns its exit.
Exit run(const std::vector<std::string>& argv);
// Starts argv; returns its pid.
pid_t spawn(const std::vector<std::string>& argv);
Exit wait_pid(pid_t pid);
// Runs a shell command line through bash; returns exit and captured stdout/stderr.
struct Captured {
    Exit exit;
    std::string out;
    std::string err;
};
Captured capture(const std::vector<std::string>& argv, const std::vector<std::string>& env_extra = {});

// Whether record r has this "type".
bool is_type(const json& r, const char* type);
// Sums one reason's count for one record type over all tapio.dropped records.
uint64_t dropped(const Tracer& t, const char* reason, const char* type);

std::string binary();

// A fresh directory under /tmp (/tmp/<prefix>-<pid>-XXXXXX), removed with
// what is left in it at the end.
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "tt-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};
// A name unique to this test run, for markers in arguments and paths.
std::string unique(const std::string& prefix);

}  // namespace live
