// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Time from SIGINT to a tracer's end: to the end of its output (what `| jq`
// or a runbook reading its stdout waits for) and to the process being gone
// (what a script running it waits for). The tracer is started, given
// --settle milliseconds to attach (tapio-trace with -v says "ready" on
// stderr, and that is waited for instead when --ready is given), then
// interrupted.
//   exit_time [--settle MS] [--ready] -- command args...
// Prints: "<ms to stdout EOF> <ms to exit>".
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

double ms_since(std::chrono::steady_clock::time_point t)
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv)
{
    int settle_ms = 1500, i = 1;
    bool wait_ready = false;
    for (; i < argc; ++i) {
        if (std::strcmp(argv[i], "--settle") == 0 && i + 1 < argc)
            settle_ms = std::atoi(argv[++i]);
        else if (std::strcmp(argv[i], "--ready") == 0)
            wait_ready = true;
        else if (std::strcmp(argv[i], "--") == 0) {
            ++i;
            break;
        }
    }
    if (i >= argc) {
        std::fprintf(stderr, "usage: exit_time [--settle MS] [--ready] -- command args...\n");
        return 2;
    }
    std::vector<char*> cargs(argv + i, argv + argc);
    cargs.push_back(nullptr);

    int out[2], err[2];
    if (pipe(out) != 0 || pipe(err) != 0)
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        // Only fds 1 and 2 may hold the pipes, or EOF would wait for exit.
        close(out[0]);
        close(err[0]);
        close(out[1]);
        close(err[1]);
        execvp(cargs[0], cargs.data());
        _exit(127);
    }
    close(out[1]);
    close(err[1]);

    // Drain both pipes while waiting, so the tracer never blocks on them.
    auto start = std::chrono::steady_clock::now();
    std::string err_text;
    bool ready = false, out_open = true, err_open = true;
    char buf[65536];
    while (ms_since(start) < 15000 && !(wait_ready ? ready : ms_since(start) >= settle_ms)) {
        pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
        poll(fds, 2, 5);
        if (fds[0].revents && read(out[0], buf, sizeof(buf)) <= 0)
            out_open = false;
        if (fds[1].revents) {
            ssize_t n = read(err[0], buf, sizeof(buf));
            if (n > 0)
                err_text.append(buf, static_cast<size_t>(n));
            ready = err_text.find("ready:") != std::string::npos;
        }
        if (!out_open)
            break;
    }
    if (wait_ready && !ready) {
        std::fprintf(stderr, "exit_time: the tracer never said ready\n%s", err_text.c_str());
        kill(pid, SIGKILL);
        return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ready ? 200 : 0));

    auto t0 = std::chrono::steady_clock::now();
    kill(pid, SIGINT);
    double eof_ms = -1, exit_ms = -1;
    std::thread errors([&] {
        while (read(err[0], buf, sizeof(buf)) > 0) {
        }
    });
    // A tracer that misses its SIGINT (bpftrace, now and then, before its
    // handler is in place) would leave this waiting for ever: after 30 s it
    // is killed and the run counts as failed, with no figures.
    char obuf[65536];
    for (;;) {
        pollfd fd = {out[0], POLLIN, 0};
        if (poll(&fd, 1, 100) > 0 && read(out[0], obuf, sizeof(obuf)) <= 0)
            break;
        if (ms_since(t0) > 30000) {
            std::fprintf(stderr, "exit_time: the tracer was still running 30 s after SIGINT; killed\n");
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
            errors.join();  // its stderr closed with it
            return 1;
        }
    }
    eof_ms = ms_since(t0);
    int status = 0;
    waitpid(pid, &status, 0);
    exit_ms = ms_since(t0);
    errors.join();
    std::printf("%.1f %.1f\n", eof_ms, exit_ms);
    return 0;
}
