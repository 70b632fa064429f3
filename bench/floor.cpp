// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The floor of the syscall hooks (bench/floor.bpf.c): attaches one kind of
// minimal program and stays until SIGINT, so the benches can measure what
// the kernel's machinery alone adds to a syscall, beside tapio-trace.
//
//   floor empty-exit     an empty program on raw_syscalls:sys_exit
//   floor empty-both     empty programs on raw_syscalls:sys_enter and sys_exit
//   floor open-record    at sys_exit, openat only: one ring record (time,
//                        thread, result, path), drained every 5 ms, counted
//   floor perf-openat    empty programs on syscalls:sys_{enter,exit}_openat
//
// Prints "floor: ready: MODE" on stderr once attached, and at the end
// "floor: N records, M lost".
#include <bpf/libbpf.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "floor.skel.h"

namespace {

volatile sig_atomic_t stop = 0;

void on_signal(int)
{
    stop = 1;
}

int count_record(void* ctx, void*, size_t)
{
    ++*static_cast<unsigned long long*>(ctx);
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    const std::string mode = argc == 2 ? argv[1] : "";
    if (mode != "empty-exit" && mode != "empty-both" && mode != "open-record" && mode != "perf-openat") {
        std::fprintf(stderr, "usage: floor empty-exit|empty-both|open-record|perf-openat\n");
        return 2;
    }
    floor_bpf* skel = floor_bpf::open();
    if (!skel) {
        std::fprintf(stderr, "floor: open: %s\n", std::strerror(errno));
        return 1;
    }
    std::vector<bpf_program*> on;
    if (mode == "empty-exit" || mode == "empty-both")
        on.push_back(skel->progs.empty_exit);
    if (mode == "empty-both")
        on.push_back(skel->progs.empty_enter);
    if (mode == "open-record")
        on.push_back(skel->progs.open_exit);
    if (mode == "perf-openat") {
        on.push_back(skel->progs.perf_enter_openat);
        on.push_back(skel->progs.perf_exit_openat);
    }
    bpf_program* prog;
    bpf_object__for_each_program(prog, skel->obj)
    {
        bool wanted = false;
        for (bpf_program* p : on)
            wanted = wanted || p == prog;
        bpf_program__set_autoload(prog, wanted);
    }
    if (floor_bpf::load(skel) != 0) {
        std::fprintf(stderr, "floor: load: %s\n", std::strerror(errno));
        floor_bpf::destroy(skel);
        return 1;
    }
    std::vector<bpf_link*> links;
    for (bpf_program* p : on) {
        bpf_link* link = bpf_program__attach(p);
        if (!link) {
            std::fprintf(stderr, "floor: attach %s: %s\n", bpf_program__name(p), std::strerror(errno));
            return 1;
        }
        links.push_back(link);
    }
    unsigned long long records = 0;
    ring_buffer* ring = ring_buffer__new(bpf_map__fd(skel->maps.floor_events), count_record, &records, nullptr);
    if (!ring) {
        std::fprintf(stderr, "floor: ring: %s\n", std::strerror(errno));
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    std::fprintf(stderr, "floor: ready: %s\n", mode.c_str());
    while (!stop) {
        ring_buffer__consume(ring);
        usleep(5000);
    }
    ring_buffer__consume(ring);
    for (bpf_link* link : links)
        bpf_link__destroy(link);
    std::fprintf(stderr, "floor: %llu records, %llu lost\n", records,
                 static_cast<unsigned long long>(skel->bss->floor_lost));
    ring_buffer__free(ring);
    floor_bpf::destroy(skel);
    return 0;
}
