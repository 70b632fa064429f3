// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Time from launching a tracer to its first event on stdout. While the
// tracer starts, this process keeps doing an open() of /dev/null and a
// kill(self, 0) every 100 microseconds, so the first event appears as soon
// as the tracer's programs are attached and its reader drains.
//   first_event [--skip N] -- command args...   (use {pid} for this pid)
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv)
{
    int skip = 0, i = 1;
    for (; i < argc; ++i) {
        if (std::strcmp(argv[i], "--skip") == 0 && i + 1 < argc)
            skip = std::atoi(argv[++i]);
        else if (std::strcmp(argv[i], "--") == 0) {
            ++i;
            break;
        }
    }
    if (i >= argc) {
        std::fprintf(stderr, "usage: first_event [--skip N] -- command args ({pid} = this pid)\n");
        return 2;
    }
    std::vector<std::string> args;
    for (; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "{pid}")
            a = std::to_string(getpid());
        args.push_back(a);
    }
    std::vector<char*> cargs;
    for (auto& a : args)
        cargs.push_back(a.data());
    cargs.push_back(nullptr);

    int out[2];
    if (pipe(out) != 0)
        return 1;
    auto t0 = std::chrono::steady_clock::now();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        close(out[0]);
        execvp(cargs[0], cargs.data());
        _exit(127);
    }
    close(out[1]);
    int lines = 0;
    std::string buf;
    double ms = -1;
    while (ms < 0) {
        int fd = open("/dev/null", O_RDONLY);
        close(fd);
        kill(getpid(), 0);
        pollfd p{out[0], POLLIN, 0};
        if (poll(&p, 1, 0) > 0) {
            char chunk[4096];
            ssize_t n = read(out[0], chunk, sizeof(chunk));
            if (n <= 0)
                break;
            for (ssize_t k = 0; k < n; ++k)
                if (chunk[k] == '\n' && ++lines > skip && ms < 0)
                    ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        }
        usleep(100);
        if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(10))
            break;
    }
    kill(pid, SIGINT);
    waitpid(pid, nullptr, 0);
    if (ms < 0) {
        std::printf("no event within 10 s\n");
        return 1;
    }
    std::printf("%.1f\n", ms);
    return 0;
}
