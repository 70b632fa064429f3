// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// How many records a second the decode + JSON writer path formats on one
// core: hand-built proc.exec and proc.exit records, written to /dev/null.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "decode.h"
#include "tapio/writer.h"

using namespace tapio;

namespace {

template <typename T>
T make(uint16_t kind)
{
    T rec;
    std::memset(&rec, 0, sizeof(rec));
    rec.h.kind = kind;
    rec.h.size = sizeof(T);
    rec.h.ts_ns = 123456789012;
    rec.h.pid = 4242;
    rec.h.tid = 4242;
    rec.h.ppid = 1;
    rec.h.uid = 1000;
    rec.h.cgroup_id = 7777;
    std::strcpy(rec.h.comm, "nginx: worker");
    return rec;
}

double run(const void* rec, size_t size, long n, int fd, bool json)
{
    Output out(fd);
    WallClock clock(1764028800LL * 1000000000LL);
    JsonWriter jw(out, clock);
    TableWriter tw(out, clock);
    RecordSink& sink = json ? static_cast<RecordSink&>(jw) : static_cast<RecordSink&>(tw);
    DecodeOptions options;
    auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) {
        decode_record(rec, size, options, sink);
        if ((i & 255) == 255)
            out.flush();
    }
    out.flush();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return n / s;
}

}  // namespace

int main(int argc, char** argv)
{
    long n = argc > 1 ? std::atol(argv[1]) : 3000000;
    int fd = open("/dev/null", O_WRONLY);
    auto exec = make<tt_proc_exec>(TT_PROC_EXEC);
    std::strcpy(exec.filename, "/usr/bin/curl");
    const char args[] = "curl\0-sS\0--max-time\0005\0https://example.invalid/health";
    std::memcpy(exec.args, args, sizeof(args));
    exec.args_size = sizeof(args);
    auto exit = make<tt_proc_exit>(TT_PROC_EXIT);
    exit.exit_code = 7 << 8;
    exit.duration_ns = 123456789;
    auto sig = make<tt_proc_signal>(TT_PROC_SIGNAL);
    sig.target_pid = 99;
    sig.sig = 15;

    std::printf("%-22s %14s\n", "record", "records/s");
    std::printf("%-22s %14.0f\n", "proc.exit json", run(&exit, sizeof(exit), n, fd, true));
    std::printf("%-22s %14.0f\n", "proc.signal json", run(&sig, sizeof(sig), n, fd, true));
    std::printf("%-22s %14.0f\n", "proc.exec json", run(&exec, sizeof(exec), n, fd, true));
    std::printf("%-22s %14.0f\n", "proc.exit table", run(&exit, sizeof(exit), n, fd, false));
    return 0;
}
