// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The library never prints: its warnings and libbpf's messages reach
// Config::log, and nothing of it reaches file descriptor 2.
#include <doctest/doctest.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tapio/config.h"
#include "log.h"
#include "mem_pressure.h"

using namespace tapio;

namespace {

// Points fd 2 at a temporary file until take().
class CapturedStderr {
public:
    CapturedStderr()
    {
        std::fflush(stderr);
        saved_ = dup(STDERR_FILENO);
        file_ = std::tmpfile();
        dup2(fileno(file_), STDERR_FILENO);
    }
    ~CapturedStderr() { take(); }
    std::string take()
    {
        if (!file_)
            return text_;
        std::fflush(stderr);
        dup2(saved_, STDERR_FILENO);
        close(saved_);
        std::rewind(file_);
        char buf[4096];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof(buf), file_)) > 0)
            text_.append(buf, n);
        std::fclose(file_);
        file_ = nullptr;
        return text_;
    }

private:
    int saved_ = -1;
    FILE* file_ = nullptr;
    std::string text_;
};

struct Logged {
    LogLevel level;
    std::string origin, text;
};

LogCallback collect(std::vector<Logged>& into)
{
    return [&into](const LogMessage& m) { into.push_back({m.level, std::string(m.origin), std::string(m.text)}); };
}

}  // namespace

TEST_CASE("an unreadable pressure file is a warning for Config::log, not a line on stderr")
{
    std::vector<Logged> logged;
    Config config;
    config.cgroup_path = "/nonexistent/tapio-cgroup/";
    config.log = collect(logged);
    CapturedStderr err;
    std::vector<PsiFile> files = open_pressure_files(config);
    CHECK(err.take().empty());
    REQUIRE(files.size() == 2);
    CHECK(files[1].path() == "/nonexistent/tapio-cgroup/memory.pressure");
    bool cgroup_warned = false;
    for (const Logged& l : logged) {
        CHECK(l.level == LogLevel::warning);
        CHECK(l.origin == "mem");
        cgroup_warned |= l.text.rfind("no memory pressure records for cgroup: ", 0) == 0 &&
                         l.text.find("not a cgroup v2 directory") != std::string::npos;
    }
    CHECK(cgroup_warned);

    // Without a callback the warning goes nowhere, still not to stderr.
    config.log = nullptr;
    CapturedStderr quiet;
    files = open_pressure_files(config);
    CHECK(quiet.take().empty());

    config.mem.pressure = false;
    CHECK(open_pressure_files(config).empty());
}

TEST_CASE("libbpf's messages go to the callback while a route lives, and back to libbpf's hook after")
{
    std::vector<Logged> logged;
    LogCallback callback = collect(logged);
    {
        LibbpfLogRoute route(callback);
        CapturedStderr err;
        // A warning libbpf prints without privileges: the object file is missing.
        bpf_object* obj = bpf_object__open_file("/nonexistent/tapio-test.bpf.o", nullptr);
        CHECK(libbpf_get_error(obj) != 0);
        CHECK(err.take().empty());
    }
    REQUIRE_FALSE(logged.empty());
    CHECK(logged[0].origin == "libbpf");
    CHECK(logged[0].level == LogLevel::warning);
    CHECK(logged[0].text.find("/nonexistent/tapio-test.bpf.o") != std::string::npos);
    CHECK(logged[0].text.back() != '\n');

    // The route is gone: libbpf prints with its own hook again.
    size_t before = logged.size();
    CapturedStderr err;
    bpf_object__open_file("/nonexistent/tapio-test.bpf.o", nullptr);
    CHECK(err.take().find("/nonexistent/tapio-test.bpf.o") != std::string::npos);
    CHECK(logged.size() == before);
}

TEST_CASE("routes nest: the inner one wins until it goes")
{
    std::vector<Logged> outer_logged, inner_logged;
    LogCallback outer = collect(outer_logged), inner = collect(inner_logged);
    LibbpfLogRoute outer_route(outer);
    {
        LibbpfLogRoute inner_route(inner);
        bpf_object__open_file("/nonexistent/inner.bpf.o", nullptr);
    }
    bpf_object__open_file("/nonexistent/outer.bpf.o", nullptr);
    REQUIRE_FALSE(inner_logged.empty());
    REQUIRE_FALSE(outer_logged.empty());
    for (const Logged& l : inner_logged)
        CHECK(l.text.find("inner") != std::string::npos);
    for (const Logged& l : outer_logged)
        CHECK(l.text.find("outer") != std::string::npos);
}

TEST_CASE("routes may go in creation order (two collectors): the one left keeps its messages, then libbpf's hook")
{
    std::vector<Logged> first_logged, second_logged;
    LogCallback first = collect(first_logged), second = collect(second_logged);
    auto first_route = std::make_unique<LibbpfLogRoute>(first);
    auto second_route = std::make_unique<LibbpfLogRoute>(second);
    first_route.reset();
    bpf_object__open_file("/nonexistent/second.bpf.o", nullptr);
    CHECK(first_logged.empty());
    REQUIRE_FALSE(second_logged.empty());
    CHECK(second_logged[0].text.find("second") != std::string::npos);

    second_route.reset();
    size_t before = second_logged.size();
    CapturedStderr err;
    bpf_object__open_file("/nonexistent/none.bpf.o", nullptr);
    CHECK(err.take().find("/nonexistent/none.bpf.o") != std::string::npos);
    CHECK(second_logged.size() == before);
}
