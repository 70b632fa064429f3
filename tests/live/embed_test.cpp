// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// examples/embed.cpp, built against the public headers alone, runs: the
// collector API is enough to trace, and its records are the CLI's records.
#include <doctest/doctest.h>

#include <sstream>

#include "harness.h"
#include "schema_check.h"

using namespace live;

TEST_CASE("embedding: the example program traces its child's exec and exit through the public API")
{
    Captured c = capture({TAPIO_EMBED_EXAMPLE});
    INFO(c.err);
    REQUIRE(c.exit.code == 0);
    CHECK(c.err.find("saw the exec of /bin/true: yes") != std::string::npos);
    CHECK(c.err.find("state stopped") != std::string::npos);
    auto problems = schema_check::text_problems(c.out);
    CHECK_MESSAGE(problems.empty(), (problems.empty() ? "" : problems.front()));
    std::istringstream lines(c.out);
    bool exec = false, exit = false;
    for (std::string line; std::getline(lines, line);) {
        json r = json::parse(line);
        exec |= r["type"] == "proc.exec" && r["filename"] == "/bin/true" && r["ret"] == 0;
        exit |= r["type"] == "proc.exit" && r["exit_code"] == 0 && r["scope"] == "process";
    }
    CHECK(exec);
    CHECK(exit);
}
