// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// How many records a second the decode + JSON writer path formats on one
// core: hand-built proc.exec and proc.exit records, written to /dev/null.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cgroups.h"
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

double run(const void* rec, size_t size, long n, int fd, bool json, const Workloads* workloads = nullptr,
           const std::vector<std::pair<uint64_t, uint64_t>>* ids = nullptr)
{
    Output out(fd);
    WallClock clock(1764028800LL * 1000000000LL);
    JsonWriter jw(out, clock);
    TableWriter tw(out, clock);
    RecordSink& sink = json ? static_cast<RecordSink&>(jw) : static_cast<RecordSink&>(tw);
    DecodeOptions options;
    options.workloads = workloads;
    // Records from several cgroups in turn: the header's ids change.
    std::vector<uint8_t> copy(static_cast<const uint8_t*>(rec), static_cast<const uint8_t*>(rec) + size);
    auto* h = reinterpret_cast<tt_header*>(copy.data());
    auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) {
        if (ids) {
            const auto& [v2, v1] = (*ids)[static_cast<size_t>(i) % ids->size()];
            h->cgroup_id = v2;
            h->cgroup_v1_id = v1;
        }
        decode_record(copy.data(), size, options, sink);
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

    // Enrichment: 200 pods' container cgroups (a kubelet tree in /tmp, the
    // layout of the systemd driver and containerd), their records in turn.
    // As on a hybrid host, each record's v2 cgroup is the root, so the v1
    // cache is consulted too: the most a record costs.
    std::string root = "/tmp/tapio-bench-cgroups." + std::to_string(getpid());
    ContainerOptions copts;
    copts.pod_logs = root + "/logs/pods";
    std::vector<std::pair<uint64_t, uint64_t>> ids;
    std::string v2 = root + "/v2", v1 = root + "/v1";
    std::filesystem::create_directories(v2);
    for (int i = 0; i < 200; ++i) {
        char uid[40], cid[65];
        std::snprintf(uid, sizeof(uid), "%08x-1111-2222-3333-%012x", i, i);
        std::snprintf(cid, sizeof(cid), "%064x", i + 1);
        std::string u(uid), slice = u;
        for (char& c : slice)
            if (c == '-')
                c = '_';
        std::string dir = v1 + "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + slice +
                          ".slice/cri-containerd-" + cid + ".scope";
        std::filesystem::create_directories(dir);
        std::string pod = copts.pod_logs + "/shop_checkout-" + std::to_string(i) + "_" + u + "/app";
        std::filesystem::create_directories(pod);
        std::filesystem::create_directories(root + "/logs/containers");
        std::filesystem::create_symlink(pod, root + "/logs/containers/checkout-" + std::to_string(i) + "_shop_app-" +
                                                 cid + ".log");
        struct stat st {};
        stat(dir.c_str(), &st);
        ids.emplace_back(1, st.st_ino);
    }
    struct stat st {};
    stat(v2.c_str(), &st);
    for (auto& id : ids)
        id.first = st.st_ino;
    Workloads workloads(copts, v2, v1);
    size_t named = 0;
    for (const auto& [a, b] : ids)
        if (const Workload* w = workloads.resolve(a, b, 0); w && !w->pod_name.empty() && !w->container_name.empty())
            ++named;
    if (named != ids.size()) {
        std::fprintf(stderr, "json_bench: only %zu of %zu pods resolved\n", named, ids.size());
        return 1;
    }
    std::printf("%-22s %14.0f\n", "proc.exit json, pods", run(&exit, sizeof(exit), n, fd, true, &workloads, &ids));
    std::printf("%-22s %14.0f\n", "proc.exec json, pods", run(&exec, sizeof(exec), n, fd, true, &workloads, &ids));
    std::printf("%-22s %14.0f\n", "proc.exit table, pods", run(&exit, sizeof(exit), n, fd, false, &workloads, &ids));
    std::filesystem::remove_all(root);
    return 0;
}
