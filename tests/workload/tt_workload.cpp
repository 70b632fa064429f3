// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Workloads that know exactly what they did, for the live ground-truth tests.
// Each scenario does one thing the kernel reports in a way that is easy to
// get wrong (a main thread that leaves first, a thread that execs, ...).
//
//   tt_workload main-first CODE MS     main pthread_exit()s; a thread exit(CODE)s MS later
//   tt_workload main-first-return MS   main pthread_exit()s; the last thread returns MS later
//   tt_workload renamed-last CODE MS   main pthread_exit()s; a thread renames itself "worker",
//                                      then exit(CODE)s MS later
//   tt_workload thread-exit-group CODE a thread calls exit_group(CODE) while main waits
//   tt_workload thread-exec PATH ARG.. a thread (not main) execs PATH with ARGs (argv[0] = PATH)
//   tt_workload sleepers N MS          N threads sleep MS at once, then everybody exits 0
//   tt_workload short-threads N        N threads that each make a few syscalls and exit, one by one
//   tt_workload getppid N              N getppid() calls, then exit 0
//   tt_workload io OP PATH             opens PATH (O_RDWR|O_CREAT, 0644) and makes one OP on it:
//                                      read/pread64 (6 bytes, of "abcdef" written first with
//                                      pwrite64 at 0 before tracing matters: see the case file),
//                                      write/pwrite64 "abcdef", readv/writev 2+4 bytes, fsync,
//                                      fdatasync, fchmod 0600, ftruncate 3; exit 0
//   tt_workload signal-self KIND       tkill(gettid(), 0) or tgkill(getpid(), gettid(), 0); exit 0
//   tt_workload setuid                 as root: setresuid(-1, 65534, -1) succeeds, setuid(12345)
//                                      then fails EPERM, setreuid(-1, 0) succeeds; exit 0
//   tt_workload spawn CODE             posix_spawn()s `/bin/sh -c "exit CODE"`, exits with its code
//   tt_workload vfork CODE             vfork()s; the child _exit(CODE)s; exits with the child's code
//   tt_workload fexecve PATH ARG..     fexecve() of PATH opened O_RDONLY
//   tt_workload execveat-empty PATH ARG.. execveat(fd, "", ..., AT_EMPTY_PATH)
//   tt_workload execveat-dir DIR NAME ARG.. execveat(fd of DIR, NAME, ...)
//   tt_workload syscalls-mix MS        for MS, loops over a set of distinct cheap syscalls
//   tt_workload named NAME PATH        names itself NAME (prctl PR_SET_NAME, no exec), opens PATH
//                                      O_RDONLY; exit 0 (1 when the open fails)
//   tt_workload populate N MB          N threads, released together, each mmap()s MB MiB with
//                                      MAP_POPULATE (a call that stays in the kernel a while)
//   tt_workload fork-at PID            forks a child that gets pid PID (through ns_last_pid), prints
//                                      its pid; the child makes one getppid() and exits 0
//   tt_workload descendants GO MARK    waits until the file GO exists, then forks a child that
//                                      forks a grandchild; each opens MARK-parent, MARK-child or
//                                      MARK-grandchild (ENOENT); the grandchild then execs
//                                      /bin/true; everybody waits for their own; exit 0
//   tt_workload compat-int80 DIR       32-bit syscalls through `int $0x80` (compat_calls.h), between
//                                      two 64-bit markers, then traced 64-bit calls as a control:
//                                        open(DIR/native-begin) fails ENOENT    (the window opens)
//                                        the compat calls of compat_calls.h, one compat fork
//                                        openat(DIR/native-open, O_WRONLY|O_CREAT, 0644), close
//                                        mkdir DIR/native-dir 0755; chmod DIR/native-open 0600
//                                        rename DIR/native-open DIR/native-renamed; truncate it to 0
//                                        unlink DIR/native-renamed; rmdir DIR/native-dir
//                                        kill(getpid(), 0); mmap 2 MiB, munmap it
//                                        open(DIR/native-end) fails ENOENT      (the window closes)
//                                      then prints "compat NAME NR AS64 RET" for every compat call,
//                                      "compat-child PID STATUS", "native NAME RET" for every 64-bit one
#include <fcntl.h>
#include <sys/stat.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "compat_calls.h"

extern char** environ;

namespace {

void sleep_ms(long ms)
{
    timespec ts{ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

struct ExitArgs {
    int code;
    long ms;
};

void* exit_later(void* p)
{
    auto* a = static_cast<ExitArgs*>(p);
    sleep_ms(a->ms);
    exit(a->code);
}

void* rename_then_exit(void* p)
{
    prctl(PR_SET_NAME, "worker");
    return exit_later(p);
}

void* return_later(void* p)
{
    sleep_ms(static_cast<ExitArgs*>(p)->ms);
    return nullptr;
}

void* exit_group_now(void* p)
{
    syscall(SYS_exit_group, static_cast<ExitArgs*>(p)->code);
    return nullptr;
}

char** exec_argv;

void* exec_from_thread(void*)
{
    execv(exec_argv[0], exec_argv);
    _exit(126);
}

void* sleeper(void* p)
{
    sleep_ms(*static_cast<long*>(p));
    return nullptr;
}

void* few_syscalls(void*)
{
    for (int i = 0; i < 3; ++i)
        syscall(SYS_getppid);
    return nullptr;
}

pthread_barrier_t populate_barrier;
size_t populate_bytes;

void* populate(void*)
{
    pthread_barrier_wait(&populate_barrier);
    void* p = mmap(nullptr, populate_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    return p == MAP_FAILED ? reinterpret_cast<void*>(1) : nullptr;
}

void start(void* (*fn)(void*), void* arg)
{
    pthread_t t;
    if (pthread_create(&t, nullptr, fn, arg) != 0) {
        perror("pthread_create");
        _exit(120);
    }
    pthread_detach(t);
}

// A 32-bit syscall from this 64-bit process: int $0x80 sets TS_COMPAT, the
// kernel takes the i386 number and arguments in eax, ebx, ecx, edx, esi,
// edi (only their low 32 bits) and answers in eax.
long int80(long nr, long a, long b, long c, long d, long e)
{
    long ret;
    asm volatile("int $0x80"
                 : "=a"(ret)
                 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
                 : "memory", "cc", "r8", "r9", "r10", "r11");
    return static_cast<int>(ret);
}

int compat_int80(const std::string& dir)
{
    // Strings and buffers the compat calls get must sit below 4 GiB.
    void* low = mmap(nullptr, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (low == MAP_FAILED || reinterpret_cast<uintptr_t>(low) + 65536 > (uintptr_t{1} << 32))
        return 125;
    std::string begin = dir + "/native-begin", end = dir + "/native-end", file = dir + "/native-open",
                renamed = dir + "/native-renamed", sub = dir + "/native-dir";
    static c32_run run;
    std::vector<std::pair<const char*, long>> native;
    auto ret = [](long r) { return r < 0 ? -static_cast<long>(errno) : r; };

    // From the first marker to the last, this process makes no other
    // syscall than these: nothing is printed or allocated in between.
    native.reserve(16);
    native.emplace_back("open-begin", ret(open(begin.c_str(), O_RDONLY)));
    c32_run_all(&run, int80, static_cast<char*>(low), dir.c_str());
    int fd = openat(AT_FDCWD, file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    native.emplace_back("openat", ret(fd));
    native.emplace_back("close", ret(close(fd)));
    native.emplace_back("mkdir", ret(mkdir(sub.c_str(), 0755)));
    native.emplace_back("chmod", ret(chmod(file.c_str(), 0600)));
    native.emplace_back("rename", ret(rename(file.c_str(), renamed.c_str())));
    native.emplace_back("truncate", ret(truncate(renamed.c_str(), 0)));
    native.emplace_back("unlink", ret(unlink(renamed.c_str())));
    native.emplace_back("rmdir", ret(rmdir(sub.c_str())));
    native.emplace_back("kill", ret(kill(getpid(), 0)));
    void* big = mmap(nullptr, 2 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    native.emplace_back("mmap", big == MAP_FAILED ? -static_cast<long>(errno) : 0);
    native.emplace_back("munmap", ret(munmap(big, 2 << 20)));
    native.emplace_back("open-end", ret(open(end.c_str(), O_RDONLY)));

    c32_print(&run);
    for (const auto& [name, r] : native)
        printf("native %s %ld\n", name, r);
    return 0;
}

int usage()
{
    fprintf(stderr, "tt_workload: bad arguments (see the comment at the top of tt_workload.cpp)\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 2)
        return usage();
    std::string what = argv[1];
    static ExitArgs args{};
    if (what == "main-first" && argc == 4) {
        args = {atoi(argv[2]), atol(argv[3])};
        start(exit_later, &args);
        pthread_exit(nullptr);
    }
    if (what == "renamed-last" && argc == 4) {
        args = {atoi(argv[2]), atol(argv[3])};
        start(rename_then_exit, &args);
        pthread_exit(nullptr);
    }
    if (what == "main-first-return" && argc == 3) {
        args = {0, atol(argv[2])};
        start(return_later, &args);
        pthread_exit(nullptr);
    }
    if (what == "thread-exit-group" && argc == 3) {
        args = {atoi(argv[2]), 0};
        start(exit_group_now, &args);
        for (;;)
            pause();
    }
    if (what == "thread-exec" && argc >= 3) {
        exec_argv = argv + 2;
        start(exec_from_thread, nullptr);
        for (;;)
            pause();
    }
    if (what == "sleepers" && argc == 4) {
        int n = atoi(argv[2]);
        static long ms = atol(argv[3]);
        std::vector<pthread_t> threads(static_cast<size_t>(n));
        for (auto& t : threads)
            pthread_create(&t, nullptr, sleeper, &ms);
        for (auto& t : threads)
            pthread_join(t, nullptr);
        return 0;
    }
    if (what == "short-threads" && argc == 3) {
        int n = atoi(argv[2]);
        for (int i = 0; i < n; ++i) {
            pthread_t t;
            pthread_create(&t, nullptr, few_syscalls, nullptr);
            pthread_join(t, nullptr);
        }
        return 0;
    }
    if (what == "getppid" && argc == 3) {
        long n = atol(argv[2]);
        for (long i = 0; i < n; ++i)
            syscall(SYS_getppid);
        return 0;
    }
    if (what == "io" && argc == 4) {
        std::string op = argv[2];
        int fd = open(argv[3], O_RDWR | O_CREAT, 0644);
        if (fd < 0)
            return 1;
        char buf[6];
        char a[2], b[4];
        iovec in[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
        iovec out[2] = {{const_cast<char*>("ab"), 2}, {const_cast<char*>("cdef"), 4}};
        long r = -1;
        if (op == "read")
            r = syscall(SYS_read, fd, buf, sizeof(buf));
        else if (op == "pread64")
            r = syscall(SYS_pread64, fd, buf, sizeof(buf), 0);
        else if (op == "write")
            r = syscall(SYS_write, fd, "abcdef", 6);
        else if (op == "pwrite64")
            r = syscall(SYS_pwrite64, fd, "abcdef", 6, 0);
        else if (op == "readv")
            r = syscall(SYS_readv, fd, in, 2);
        else if (op == "writev")
            r = syscall(SYS_writev, fd, out, 2);
        else if (op == "fsync")
            r = syscall(SYS_fsync, fd);
        else if (op == "fdatasync")
            r = syscall(SYS_fdatasync, fd);
        else if (op == "fchmod")
            r = syscall(SYS_fchmod, fd, 0600);
        else if (op == "ftruncate")
            r = syscall(SYS_ftruncate, fd, 3);
        return r < 0 ? 2 : 0;
    }
    if (what == "signal-self" && argc == 3) {
        std::string kind = argv[2];
        long tid = syscall(SYS_gettid);
        long r = kind == "tkill" ? syscall(SYS_tkill, tid, 0) : syscall(SYS_tgkill, getpid(), tid, 0);
        return r == 0 ? 0 : 1;
    }
    if (what == "setuid" && argc == 2) {
        // Raw syscalls: glibc's wrappers may broadcast to threads or retry.
        if (syscall(SYS_setresuid, -1, 65534, -1) != 0)
            return 1;
        if (syscall(SYS_setuid, 12345) != -1 || errno != EPERM)
            return 2;
        if (syscall(SYS_setreuid, -1, 0) != 0)
            return 3;
        return 0;
    }
    if (what == "spawn" && argc == 3) {
        std::string cmd = std::string("exit ") + argv[2];
        char* child_argv[] = {const_cast<char*>("sh"), const_cast<char*>("-c"), cmd.data(), nullptr};
        pid_t pid;
        if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, child_argv, environ) != 0)
            return 121;
        printf("%d\n", pid);
        fflush(stdout);
        int status = 0;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 122;
    }
    if (what == "vfork" && argc == 3) {
        int code = atoi(argv[2]);
        pid_t pid = vfork();
        if (pid == 0)
            _exit(code);
        printf("%d\n", pid);
        fflush(stdout);
        int status = 0;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 122;
    }
    if ((what == "fexecve" || what == "execveat-empty") && argc >= 3) {
        int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return 123;
        if (what == "fexecve")
            fexecve(fd, argv + 2, environ);
        else
            syscall(SYS_execveat, fd, "", argv + 2, environ, AT_EMPTY_PATH);
        return 124;
    }
    if (what == "execveat-dir" && argc >= 5) {
        int fd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return 123;
        syscall(SYS_execveat, fd, argv[3], argv + 4, environ, 0);
        return 124;
    }
    if (what == "named" && argc == 4) {
        if (prctl(PR_SET_NAME, argv[2]) != 0)
            return 2;
        int fd = open(argv[3], O_RDONLY | O_CLOEXEC);
        return fd < 0 ? 1 : 0;
    }
    if (what == "populate" && argc == 4) {
        int n = atoi(argv[2]);
        populate_bytes = static_cast<size_t>(atol(argv[3])) << 20;
        pthread_barrier_init(&populate_barrier, nullptr, static_cast<unsigned>(n));
        std::vector<pthread_t> threads(static_cast<size_t>(n));
        for (auto& t : threads)
            pthread_create(&t, nullptr, populate, nullptr);
        int failed = 0;
        for (auto& t : threads) {
            void* r = nullptr;
            pthread_join(t, &r);
            failed += r != nullptr;
        }
        return failed ? 1 : 0;
    }
    if (what == "syscalls-mix" && argc == 3) {
        timespec begin{}, now{};
        clock_gettime(CLOCK_MONOTONIC, &begin);
        long ms = atol(argv[2]);
        do {
            for (int i = 0; i < 50; ++i) {
                syscall(SYS_getppid);
                syscall(SYS_getuid);
                syscall(SYS_getgid);
                syscall(SYS_geteuid);
                syscall(SYS_getegid);
                syscall(SYS_getpgrp);
                syscall(SYS_gettid);
                syscall(SYS_umask, 022);
            }
            clock_gettime(CLOCK_MONOTONIC, &now);
        } while ((now.tv_sec - begin.tv_sec) * 1000 + (now.tv_nsec - begin.tv_nsec) / 1000000 < ms);
        return 0;
    }
    if (what == "fork-at" && argc == 3) {
        long want = atol(argv[2]);
        for (int attempt = 0; attempt < 20; ++attempt) {
            FILE* f = fopen("/proc/sys/kernel/ns_last_pid", "w");
            if (!f)
                return 125;
            fprintf(f, "%ld", want - 1);
            fclose(f);
            pid_t pid = fork();
            if (pid == 0) {
                syscall(SYS_getppid);
                _exit(0);
            }
            int status = 0;
            waitpid(pid, &status, 0);
            if (pid == want) {
                printf("%d\n", pid);
                return 0;
            }
        }
        return 126;  // another process kept taking the pid
    }
    if (what == "descendants" && argc == 4) {
        while (access(argv[2], F_OK) != 0)
            usleep(5000);
        std::string mark = argv[3];
        pid_t child = fork();
        if (child == 0) {
            pid_t grandchild = fork();
            if (grandchild == 0) {
                (void)!open((mark + "-grandchild").c_str(), O_RDONLY);
                execl("/bin/true", "true", static_cast<char*>(nullptr));
                _exit(127);
            }
            (void)!open((mark + "-child").c_str(), O_RDONLY);
            int status = 0;
            waitpid(grandchild, &status, 0);
            _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
        }
        (void)!open((mark + "-parent").c_str(), O_RDONLY);
        int status = 0;
        waitpid(child, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    }
    if (what == "compat-int80" && argc == 3)
        return compat_int80(argv[2]);
    return usage();
}
