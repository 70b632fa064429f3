// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The tapio-trace command line: parsing into an Invocation, then running it.
// One file per subcommand (cmd_*.cpp), the shared flags in flags.cpp.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <memory>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tapio/config.h"
#include "tapio/writer.h"

namespace tapio::cli {

enum class Command { none, trace, doctor, schema };

// Everything the command line says, before it is checked and turned into a
// tapio::Config.
struct Options {
    Command command = Command::none;
    std::string subcommand;  // "proc", "all", "doctor", ...

    bool json = false;
    std::string output = "table";
    std::vector<uint32_t> pids;
    bool children = false;            // --children
    std::vector<std::string> events;  // -e/--events, each a comma-separated list
    std::string comm;
    std::optional<uint32_t> uid;
    std::string cgroup;
    bool failed_only = false;
    std::string duration;
    uint64_t count = 0;
    uint64_t rate_limit = 0;
    uint32_t sample = 0;
    std::string sampling_interval = "1s";
    std::string ring_buffer_size = "16M";
    bool verbose = false;
    std::string color = "auto";  // --color: never, auto, always
    std::string time = "local";  // --time: local, utc, rfc3339, relative

    // all: areas turned off.
    std::vector<Area> left_out;  // all --no-<area>

    Config config;  // area options are parsed straight into it
};

// What a successful parse yields: a checked configuration and limits.
struct Invocation {
    Options options;
    std::optional<std::chrono::nanoseconds> duration;
    // --time; run_trace settles width and colour (--color) for its stdout.
    TableOptions table;
};

// Parses argv. Throws tapio::Error(ExitCode::usage) with one clear line for
// bad input; returns nullopt after printing --help or --version output.
std::optional<Invocation> parse(int argc, const char* const* argv);
// The whole command line, every subcommand and flag, writing into o.
std::unique_ptr<CLI::App> build_app(Options& o);

int run(int argc, const char* const* argv);

// Builders, one per file.
void add_global_flags(CLI::App& app, Options& options);
void register_proc(CLI::App& app, Options& options);
void add_proc_flags(CLI::App& sub, ProcOptions& proc);
void register_net(CLI::App& app, Options& options);
void add_net_flags(CLI::App& sub, NetOptions& net);
void register_mem(CLI::App& app, Options& options);
void add_mem_flags(CLI::App& sub, MemOptions& mem, bool with_min_latency = true);
void register_file(CLI::App& app, Options& options);
void add_file_flags(CLI::App& sub, FileOptions& file, bool with_min_latency = true);
// Checks --path; throws usage errors.
void check_file_options(const FileOptions& file);
void register_all(CLI::App& app, Options& options);
void register_doctor(CLI::App& app, Options& options);
void register_schema(CLI::App& app, Options& options);

// --min-latency DUR, parsed in one place with one message for file, mem and
// all; set receives the value. zero_allowed: whether 0 is a value (mem: every
// stall; all: file.slow off) or a usage error (file alone, where it would
// turn off the one thing the flag asks for).
void add_min_latency_flag(CLI::App& sub, std::function<void(std::chrono::nanoseconds)> set, bool zero_allowed,
                          const std::string& help);

// Turns parsed options into the library's configuration; throws usage errors.
Invocation finish(Options options);

// Config::log for the command line: the library's warnings always, with -v
// its other messages and libbpf's, on stderr.
LogCallback stderr_log(bool verbose);

int run_trace(const Invocation& invocation);
int run_doctor(const Invocation& invocation);
int run_schema(const Invocation& invocation);

}  // namespace tapio::cli
