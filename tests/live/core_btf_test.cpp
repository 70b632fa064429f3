// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// CO-RE against the BTF cut from the kernel's (src/core_btf.h) relocates
// every program exactly as against the kernel's whole BTF: the programs a
// run loads are the same instructions, byte for byte, either way
// (TAPIO_CORE_BTF=kernel), for every area alone and all together, and for
// the raw tracepoint fallbacks.
#include <doctest/doctest.h>
#include <bpf/bpf.h>
#include <dirent.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "harness.h"

using namespace live;

namespace {

// The ids of the BPF programs process pid holds open.
std::vector<uint32_t> prog_ids_of(pid_t pid)
{
    std::vector<uint32_t> ids;
    std::string dir = "/proc/" + std::to_string(pid) + "/fdinfo";
    DIR* d = opendir(dir.c_str());
    REQUIRE(d != nullptr);
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        std::ifstream in(dir + "/" + e->d_name);
        std::string line;
        while (std::getline(in, line))
            if (line.rfind("prog_id:", 0) == 0)
                ids.push_back(static_cast<uint32_t>(std::stoul(line.substr(8))));
    }
    closedir(d);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

// A program's translated instructions, the kernel's pointers and map ids
// (which differ from load to load) masked.
std::vector<bpf_insn> xlated(uint32_t id, std::string& name)
{
    int fd = bpf_prog_get_fd_by_id(id);
    REQUIRE(fd >= 0);
    bpf_prog_info info{};
    uint32_t len = sizeof(info);
    REQUIRE(bpf_obj_get_info_by_fd(fd, &info, &len) == 0);
    name = info.name;
    std::vector<bpf_insn> insns(info.xlated_prog_len / sizeof(bpf_insn));
    uint32_t xlated_len = info.xlated_prog_len;
    info = {};
    info.xlated_prog_len = xlated_len;
    info.xlated_prog_insns = reinterpret_cast<uint64_t>(insns.data());
    len = sizeof(info);
    REQUIRE(bpf_obj_get_info_by_fd(fd, &info, &len) == 0);
    close(fd);
    for (size_t i = 0; i + 1 < insns.size(); ++i)
        if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW)) {
            if (insns[i].src_reg != 0) {
                insns[i].imm = 0;
                insns[i + 1].imm = 0;
            }
            ++i;
        }
    return insns;
}

// Name -> instructions of every program a tracer with these arguments
// loads; its -v output in log.
std::multimap<std::string, std::vector<bpf_insn>> programs(const std::vector<std::string>& args,
                                                           const std::vector<std::string>& env, std::string& log)
{
    std::multimap<std::string, std::vector<bpf_insn>> out;
    Tracer t(args, true, env);
    REQUIRE(t.ready());
    for (uint32_t id : prog_ids_of(t.pid())) {
        std::string name;
        std::vector<bpf_insn> insns = xlated(id, name);
        out.emplace(name, std::move(insns));
    }
    t.stop();
    log = t.stderr_text();
    return out;
}

bool same(const std::vector<bpf_insn>& a, const std::vector<bpf_insn>& b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(bpf_insn)) == 0;
}

}  // namespace

TEST_CASE("core btf: every program is relocated the same against the cut as against the kernel's BTF")
{
    struct Run {
        std::vector<std::string> args;
        const char* fake_host;
    };
    const Run runs[] = {
        {{"all", "--syscalls"}, ""},
        {{"all", "--syscalls"}, "no-tp_btf"},
        {{"proc", "--syscalls"}, ""},
        {{"net"}, ""},
        {{"file"}, ""},
        {{"mem"}, ""},
        {{"file"}, "no-tp_btf,no-raw_tp"},
    };
    for (const Run& run : runs) {
        std::string what = run.args.front() + " " + run.fake_host;
        CAPTURE(what);
        std::vector<std::string> env = {std::string("TAPIO_FAKE_HOST=") + run.fake_host};
        std::string cut_log, kernel_log;
        auto with_cut = programs(run.args, env, cut_log);
        env.push_back("TAPIO_CORE_BTF=kernel");
        auto with_kernel = programs(run.args, env, kernel_log);

        CHECK(cut_log.find("CO-RE against a ") != std::string::npos);
        CHECK(cut_log.find("-type BTF cut from the kernel's") != std::string::npos);
        CHECK(kernel_log.find("CO-RE against the kernel's whole BTF (TAPIO_CORE_BTF=kernel)") != std::string::npos);
        REQUIRE(!with_cut.empty());
        REQUIRE(with_cut.size() == with_kernel.size());
        auto a = with_cut.begin();
        auto b = with_kernel.begin();
        for (; a != with_cut.end(); ++a, ++b) {
            CAPTURE(a->first);
            REQUIRE(a->first == b->first);
            CHECK(a->second.size() == b->second.size());
            CHECK(same(a->second, b->second));
        }
    }
}
