// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Before and after every live test: no tapio-trace process is left, and no
// BPF program or map of tapio-trace's (by the names its object gives them)
// is left in the kernel. A test that leaks fails the run, named.
#include <doctest/doctest.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <linux/types.h>

#include "events.h"
#include "tapio.skel.h"

namespace live {

bool resources_leaked = false;  // read by main()

namespace {

// The names the kernel shows for tapio-trace's programs and maps (cut to
// BPF_OBJ_NAME_LEN - 1), from the object itself: nothing is loaded.
struct OurNames {
    std::set<std::string> programs, maps;
    OurNames()
    {
        tapio_bpf* skel = tapio_bpf__open();
        if (!skel)
            return;
        bpf_program* prog;
        bpf_object__for_each_program(prog, skel->obj)
            programs.insert(std::string(bpf_program__name(prog)).substr(0, 15));
        bpf_map* map;
        bpf_object__for_each_map(map, skel->obj)
        {
            std::string name = bpf_map__name(map);
            if (name.find('.') == std::string::npos)  // not .rodata, .bss: their kernel names differ
                maps.insert(name.substr(0, 15));
        }
        tapio_bpf__destroy(skel);
    }
};

const OurNames& our_names()
{
    static const OurNames names;
    return names;
}

// What is left: "tapio-trace process 123", "program handle_exec", "map tt_events".
std::vector<std::string> left_over()
{
    std::vector<std::string> out;
    if (DIR* d = opendir("/proc")) {
        while (dirent* e = readdir(d)) {
            std::string pid = e->d_name;
            if (pid.find_first_not_of("0123456789") != std::string::npos)
                continue;
            std::ifstream comm("/proc/" + pid + "/comm");
            std::string name;
            if (std::getline(comm, name) && name == "tapio-trace")
                out.push_back("tapio-trace process " + pid);
        }
        closedir(d);
    }
    const OurNames& ours = our_names();
    for (__u32 id = 0; bpf_prog_get_next_id(id, &id) == 0;) {
        int fd = bpf_prog_get_fd_by_id(id);
        if (fd < 0)
            continue;
        bpf_prog_info info{};
        __u32 len = sizeof(info);
        if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && ours.programs.count(info.name))
            out.push_back(std::string("program ") + info.name);
        close(fd);
    }
    for (__u32 id = 0; bpf_map_get_next_id(id, &id) == 0;) {
        int fd = bpf_map_get_fd_by_id(id);
        if (fd < 0)
            continue;
        bpf_map_info info{};
        __u32 len = sizeof(info);
        if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && ours.maps.count(info.name))
            out.push_back(std::string("map ") + info.name);
        close(fd);
    }
    return out;
}

// The kernel frees a program after its last reference goes, through RCU:
// give it a moment.
std::vector<std::string> settled_left_over()
{
    std::vector<std::string> left;
    for (int i = 0; i < 150; ++i) {
        left = left_over();
        if (left.empty())
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return left;
}

struct ResourceCheck : doctest::IReporter {
    explicit ResourceCheck(const doctest::ContextOptions&) {}
    void check(const char* when, const doctest::TestCaseData& tc)
    {
        std::vector<std::string> left = settled_left_over();
        if (left.empty())
            return;
        resources_leaked = true;
        std::fprintf(stderr, "kernel resources %s test \"%s\":", when, tc.m_name);
        for (const std::string& l : left)
            std::fprintf(stderr, " %s;", l.c_str());
        std::fprintf(stderr, "\n");
    }
    void test_case_start(const doctest::TestCaseData& tc) override
    {
        current = &tc;
        check("left before", tc);
    }
    void test_case_end(const doctest::CurrentTestCaseStats&) override
    {
        if (current)
            check("left after", *current);
    }
    const doctest::TestCaseData* current = nullptr;
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_exception(const doctest::TestCaseException&) override {}
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData&) override {}
    void log_message(const doctest::MessageData&) override {}
    void test_case_skipped(const doctest::TestCaseData&) override {}
    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats&) override {}
};

}  // namespace
}  // namespace live

DOCTEST_REGISTER_LISTENER("kernel-resources", 1, live::ResourceCheck);
