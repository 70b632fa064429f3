// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <stdexcept>

#include <doctest/doctest.h>

#include "doctor.h"
#include "schema_check.h"

namespace live {

bool is_type(const json& r, const char* type)
{
    return r.value("type", "") == type;
}

uint64_t dropped(const Tracer& t, const char* reason, const char* type)
{
    uint64_t sum = 0;
    for (const auto& r : t.all([](const json& r) { return is_type(r, "tapio.dropped"); }))
        sum += r[reason].value(type, uint64_t{0});
    return sum;
}

std::string binary()
{
    // TAPIO_TEST_BINARY runs the suite against another build (an older one,
    // to show a new test fails without its fix).
    const char* other = getenv("TAPIO_TEST_BINARY");
    return other && *other ? other : TAPIO_BINARY;
}

std::string unique(const std::string& prefix)
{
    static std::atomic<int> counter{0};
    return prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

namespace {

std::vector<char*> to_argv(const std::vector<std::string>& args)
{
    std::vector<char*> v;
    for (const auto& a : args)
        v.push_back(const_cast<char*>(a.c_str()));
    v.push_back(nullptr);
    return v;
}

Exit decode(int status)
{
    Exit e;
    if (WIFEXITED(status))
        e.code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        e.signal = WTERMSIG(status);
    return e;
}

}  // namespace

Exit wait_pid(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return decode(status);
}

pid_t spawn(const std::vector<std::string>& argv)
{
    auto args = to_argv(argv);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(devnull, 1);
        // Only 0, 1 and 2: a workload's fds are then the same however the
        // tests run (ctest leaves its log open as fd 3 in every test).
        closefrom(3);
        execvp(args[0], args.data());
        _exit(127);
    }
    return pid;
}

Exit run(const std::vector<std::string>& argv)
{
    return wait_pid(spawn(argv));
}

static std::string read_all(int fd)
{
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            s.append(buf, static_cast<size_t>(n));
    return s;
}

Captured capture(const std::vector<std::string>& argv, const std::vector<std::string>& env_extra)
{
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
        throw std::runtime_error("pipe");
    auto args = to_argv(argv);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        for (const auto& e : env_extra)
            putenv(const_cast<char*>(e.c_str()));
        execvp(args[0], args.data());
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    Captured c;
    std::thread t([&] { c.err = read_all(err[0]); });
    c.out = read_all(out[0]);
    t.join();
    close(out[0]);
    close(err[0]);
    c.exit = wait_pid(pid);
    // tapio-trace's own JSON output goes through the registry check too.
    bool ours = !argv.empty() && argv[0] == binary();
    bool json_out = false, doctor = false;
    for (size_t i = 1; i < argv.size(); ++i) {
        json_out |= argv[i] == "--json" || argv[i] == "-j" || (argv[i] == "json" && argv[i - 1] == "-o");
        doctor |= argv[i] == "doctor";
    }
    // doctor writes one document, checked against its own declaration.
    if (ours && json_out && doctor && !c.out.empty()) {
        auto doc = nlohmann::ordered_json::parse(c.out, nullptr, false);
        auto problems = doc.is_discarded() ? std::vector<std::string>{"not JSON"}
                                           : schema_check::fields_problems(doc, tapio::doctor_fields(), "doctor");
        CHECK_MESSAGE(problems.empty(), problems.size() << " problem(s) with the doctor document, first: "
                                                        << (problems.empty() ? "" : problems.front()));
    } else if (ours && json_out) {
        auto problems = schema_check::text_problems(c.out);
        CHECK_MESSAGE(problems.empty(), problems.size() << " problem(s) with records against the registry, first: "
                                                        << (problems.empty() ? "" : problems.front()));
    }
    return c;
}

Tracer::Tracer(std::vector<std::string> args, bool json, std::vector<std::string> env)
{
    json_ = json;
    std::vector<std::string> argv = {binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    if (json)
        argv.push_back("--json");
    argv.push_back("-v");
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
        throw std::runtime_error("pipe");
    auto cargs = to_argv(argv);
    // The environment is built before fork(): the child only execs.
    std::vector<std::string> env_all;
    for (char** e = environ; *e; ++e)
        env_all.emplace_back(*e);
    env_all.insert(env_all.end(), env.begin(), env.end());
    auto envp = to_argv(env_all);
    pid_ = fork();
    if (pid_ == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        execve(cargs[0], cargs.data(), envp.data());
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    out_thread_ = std::thread([this, fd = out[0]] { read_loop(fd, true); });
    err_thread_ = std::thread([this, fd = err[0]] { read_loop(fd, false); });

    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 15s, [this] { return ready_ || out_open_ == 0; });
}

Tracer::~Tracer()
{
    if (!exited_ && pid_ > 0) {
        kill(pid_, SIGKILL);
        wait_pid(pid_);
    }
    finish();
}

void Tracer::finish()
{
    if (out_thread_.joinable())
        out_thread_.join();
    if (err_thread_.joinable())
        err_thread_.join();
    check_schema();
}

void Tracer::check_schema()
{
    std::lock_guard lock(mu_);
    if (schema_checked_)
        return;
    schema_checked_ = true;
    std::string shown;
    for (size_t i = 0; i < schema_problems_.size() && i < 5; ++i)
        shown += "\n  " + schema_problems_[i];
    CHECK_MESSAGE(schema_problems_.empty(), schema_problems_.size()
                                                << " problem(s) with records against the registry:" << shown);
}

void Tracer::read_loop(int fd, bool is_stdout)
{
    std::string pending;
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        pending.append(buf, static_cast<size_t>(n));
        size_t start = 0, nl;
        std::lock_guard lock(mu_);
        while ((nl = pending.find('\n', start)) != std::string::npos) {
            std::string line = pending.substr(start, nl - start);
            start = nl + 1;
            if (is_stdout) {
                out_lines_.push_back(line);
                if (json_)
                    for (std::string& p : schema_check::line_problems(line))
                        schema_problems_.push_back(std::move(p));
                try {
                    records_.push_back(json::parse(line));
                } catch (const std::exception&) {
                    records_.push_back(json{{"type", "invalid-json"}, {"line", line}});
                }
            } else {
                err_text_ += line + "\n";
                if (line.find("tapio-trace: ready:") == 0)
                    ready_ = true;
            }
        }
        pending.erase(0, start);
        cv_.notify_all();
    }
    close(fd);
    std::lock_guard lock(mu_);
    if (!pending.empty()) {
        if (is_stdout)
            out_lines_.push_back(pending);
        else
            err_text_ += pending;
    }
    --out_open_;
    cv_.notify_all();
}

std::optional<json> Tracer::wait_for(const std::function<bool(const json&)>& match, std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mu_);
    size_t checked = 0;
    std::optional<json> found;
    cv_.wait_for(lock, timeout, [&] {
        for (; checked < records_.size(); ++checked) {
            if (match(records_[checked])) {
                found = records_[checked];
                return true;
            }
        }
        return out_open_ == 0;
    });
    return found;
}

std::vector<json> Tracer::all(const std::function<bool(const json&)>& match) const
{
    std::lock_guard lock(mu_);
    std::vector<json> v;
    for (const auto& r : records_)
        if (match(r))
            v.push_back(r);
    return v;
}

Exit Tracer::stop(int sig)
{
    if (!exited_) {
        kill(pid_, sig);
        exit_ = wait_pid(pid_);
        exited_ = true;
    }
    finish();
    return exit_;
}

Exit Tracer::wait_exit(std::chrono::milliseconds timeout)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!exited_) {
        int status = 0;
        pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            exit_ = decode(status);
            exited_ = true;
            break;
        }
        if (std::chrono::steady_clock::now() > deadline)
            return stop(SIGKILL);
        std::this_thread::sleep_for(10ms);
    }
    finish();
    return exit_;
}

std::string Tracer::stderr_text() const
{
    std::lock_guard lock(mu_);
    return err_text_;
}

std::vector<std::string> Tracer::stdout_lines() const
{
    std::lock_guard lock(mu_);
    return out_lines_;
}

TempDir::TempDir(const std::string& prefix)
{
    std::string tmpl = "/tmp/" + prefix + "-" + std::to_string(getpid()) + "-XXXXXX";
    if (!mkdtemp(tmpl.data()))
        throw std::runtime_error("mkdtemp " + tmpl);
    path_ = tmpl;
}

TempDir::~TempDir()
{
    run({"/bin/rm", "-rf", path_});
}

}  // namespace live
