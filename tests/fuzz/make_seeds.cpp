// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Writes the seed corpus of fuzz_decode (tests/fuzz/corpus/decode/): for
// every record kind a decoder knows, a zeroed record with a plausible header
// (as tests/unit/fixtures.h builds them) and one whose body is filled with
// text, plus an exec with a real argv, a file.open with a relative path and
// a TCP connect. Run by hand when bpf/events.h changes:
//   build-fuzz/tests/fuzz/make_seeds tests/fuzz/corpus/decode
#include <arpa/inet.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "decode.h"
#include "events.h"

namespace {

std::string dir;

void write_seed(const std::string& name, uint8_t mode, const void* rec, size_t size)
{
    std::string path = dir + "/" + name;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) {
        std::perror(path.c_str());
        std::exit(1);
    }
    const uint8_t options[4] = {mode, 0, 20, 0};
    std::fwrite(options, 1, 4, f);
    std::fwrite(rec, 1, size, f);
    std::fclose(f);
}

void header(tt_header& h, uint16_t kind, size_t size)
{
    h.kind = kind;
    h.size = static_cast<uint16_t>(size);
    h.ts_ns = 5123456789;
    h.pid = 100;
    h.tid = 101;
    h.ppid = 1;
    h.uid = 1000;
    h.cgroup_id = 9;
    std::strncpy(h.comm, "worker", sizeof(h.comm) - 1);
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_seeds DIR\n");
        return 2;
    }
    dir = argv[1];
    for (uint16_t kind = 1; kind < TT_KIND_MAX; ++kind) {
        const tapio::RecordSpec* spec = tapio::find_kind(kind);
        if (!spec || !spec->describe || spec->size < sizeof(tt_header))
            continue;
        std::vector<uint64_t> buf(spec->size / 8 + 1);
        auto* bytes = reinterpret_cast<char*>(buf.data());
        header(*reinterpret_cast<tt_header*>(bytes), kind, spec->size);
        std::string name(spec->type);
        write_seed(name + ".zero", 0, bytes, spec->size);
        const char text[] = "/tmp/a b\033[31m\xe2\x80\xae.txt";
        for (size_t i = sizeof(tt_header); i < spec->size; ++i)
            bytes[i] = text[(i - sizeof(tt_header)) % (sizeof(text) - 1)];
        write_seed(name + ".text", 0x4d, bytes, spec->size);
    }

    tt_proc_exec exec{};
    header(exec.h, TT_PROC_EXEC, sizeof(exec));
    std::strcpy(exec.filename, "/usr/bin/ls");
    const char args[] = "ls\0-la\0/tmp dir\0";
    std::memcpy(exec.args, args, sizeof(args) - 1);
    exec.args_size = sizeof(args) - 1;
    write_seed("proc.exec.argv", 0x01, &exec, sizeof(exec));

    tt_file_open open{};
    header(open.h, TT_FILE_OPEN, sizeof(open));
    open.ret = 3;
    open.flags = 0101;
    open.mode = 0644;
    open.path_flags = TT_FILE_DIR_RESOLVED;
    std::strcpy(open.dir, "/home/user");
    std::strcpy(open.path, "../x/./y.txt");
    write_seed("file.open.relative", 0x03, &open, sizeof(open));

    tt_net_connect connect{};
    header(connect.h, TT_NET_CONNECT, sizeof(connect));
    connect.a.family = TT_AF_INET;
    connect.a.protocol = 6;
    inet_pton(AF_INET, "10.0.0.1", connect.a.saddr);
    inet_pton(AF_INET, "10.0.0.2", connect.a.daddr);
    connect.a.sport = 40000;
    connect.a.dport = 443;
    connect.latency_ns = 1500000;
    connect.error = -111;
    write_seed("net.connect.refused", 0x02, &connect, sizeof(connect));
    return 0;
}
