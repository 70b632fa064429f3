// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// libFuzzer target: the command-line parser. The input split on NUL bytes is
// argv after "tapio-trace", parsed into an Invocation (nothing is run).
// tapio::Error is the parser's answer to bad input (a usage error); any
// other exception, a crash or undefined behaviour is a finding.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"
#include "tapio/errors.h"

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    // --help and --version print to stdout: away with it.
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0)
        dup2(devnull, STDOUT_FILENO);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::vector<std::string> args{"tapio-trace"};
    std::string_view in(reinterpret_cast<const char*>(data), size);
    while (!in.empty() && args.size() < 64) {
        size_t end = in.find('\0');
        args.emplace_back(in.substr(0, end));
        in = end == std::string_view::npos ? std::string_view() : in.substr(end + 1);
    }
    std::vector<const char*> argv;
    for (auto& a : args)
        argv.push_back(a.c_str());
    argv.push_back(nullptr);
    try {
        tapio::cli::parse(static_cast<int>(args.size()), argv.data());
    } catch (const tapio::Error& e) {
        if (e.code() != tapio::ExitCode::usage) {
            std::fprintf(stderr, "fuzz finding: a parse error that is no usage error: %s\n", e.what());
            std::abort();
        }
    }
    return 0;
}
