// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Runs the declarative cases of tests/live/cases/*.case (the format is at the
// top of each file): covering one more syscall variant is a few lines there.
#include <doctest/doctest.h>

#include <dirent.h>

#include <fstream>
#include <sstream>

#include "harness.h"

using namespace live;

namespace {

struct Case {
    std::string file, name, trace, setup, run;
    std::vector<std::string> expect;
    int line = 0;
};

std::vector<std::string> words(const std::string& text)
{
    std::istringstream in(text);
    std::vector<std::string> out;
    for (std::string w; in >> w;)
        out.push_back(w);
    return out;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to)
{
    for (size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size())
        text.replace(pos, from.size(), to);
    return text;
}

std::vector<Case> load_cases()
{
    std::string dir = std::string(TAPIO_SOURCE_DIR) + "/tests/live/cases";
    std::vector<std::string> files;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            std::string n = e->d_name;
            if (n.size() > 5 && n.substr(n.size() - 5) == ".case")
                files.push_back(dir + "/" + n);
        }
        closedir(d);
    }
    std::vector<Case> cases;
    for (const std::string& path : files) {
        std::ifstream in(path);
        std::string line;
        int number = 0;
        while (std::getline(in, line)) {
            ++number;
            if (line.empty() || line[0] == '#')
                continue;
            size_t sp = line.find_first_of(" \t");
            std::string key = line.substr(0, sp);
            std::string value = sp == std::string::npos ? "" : line.substr(line.find_first_not_of(" \t", sp));
            if (key == "NAME") {
                cases.push_back({path, value});
                cases.back().line = number;
            } else if (cases.empty()) {
                FAIL(path << ":" << number << ": " << key << " before NAME");
            } else if (key == "TRACE") {
                cases.back().trace = value;
            } else if (key == "SETUP") {
                cases.back().setup = value;
            } else if (key == "RUN") {
                cases.back().run = value;
            } else if (key == "EXPECT") {
                cases.back().expect.push_back(value);
            } else {
                FAIL(path << ":" << number << ": unknown key " << key);
            }
        }
    }
    return cases;
}

// Whether record r has every key of want with the same value.
bool matches(const json& r, const json& want)
{
    for (auto it = want.begin(); it != want.end(); ++it)
        if (!r.contains(it.key()) || r[it.key()] != it.value())
            return false;
    return true;
}

std::vector<std::string> workload_argv(const std::string& line, const std::string& dir)
{
    std::vector<std::string> argv = {TAPIO_WORKLOAD};
    for (const std::string& w : words(replace_all(line, "{dir}", dir)))
        argv.push_back(w);
    return argv;
}

}  // namespace

TEST_CASE("declarative cases: every syscall variant gives the record it should")
{
    std::vector<Case> cases = load_cases();
    REQUIRE(cases.size() >= 10);
    for (const Case& c : cases) {
        INFO(c.file << ":" << c.line << ": " << c.name);
        REQUIRE_FALSE(c.run.empty());
        REQUIRE_FALSE(c.expect.empty());
        TempDir dir("tt-case");
        if (!c.setup.empty())
            REQUIRE(run(workload_argv(c.setup, dir.path())).code == 0);
        Tracer t(words(c.trace));
        REQUIRE_MESSAGE(t.ready(), t.stderr_text());
        pid_t pid = spawn(workload_argv(c.run, dir.path()));
        REQUIRE(wait_pid(pid).code == 0);
        std::vector<json> wants;
        for (const std::string& e : c.expect) {
            std::string text = replace_all(replace_all(e, "{dir}", dir.path()), "{pid}", std::to_string(pid));
            wants.push_back(json::parse(text));
        }
        const json& last = wants.back();
        t.wait_for([&](const json& r) { return r["pid"] == pid && matches(r, last); });
        t.stop();
        // The expected records, in order, among the process's own.
        auto mine = t.all([&](const json& r) { return r["pid"] == pid; });
        size_t next = 0;
        for (const json& r : mine)
            if (next < wants.size() && matches(r, wants[next]))
                ++next;
        std::string seen;
        for (const json& r : mine)
            seen += "\n  " + r.dump();
        CHECK_MESSAGE(next == wants.size(), "expected " << wants[next < wants.size() ? next : 0].dump()
                                                        << "; the process's records:" << seen);
    }
}
