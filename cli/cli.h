// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The tapio-trace command line: parsing into an Invocation, then running it.
// One file per subcommand (cmd_*.cpp), the shared flags in flags.cpp.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <memory>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tapio/config.h"
#include "tapio/writer.h"

namespace tapio::cli {

enum class Command { none, trace, doctor, schema, help };

// Everything the command line says, before it is checked and turned into a
// tapio::Config.
struct Options {
    Command command = Command::none;
    std::string subcommand;  // "proc", "all", "doctor", ...

    std::string help_topic;  // help SUBCOMMAND

    bool json = false;
    std::string output;  // "" until -o is given: table, or json with --json
    std::vector<uint32_t> pids;
    bool children = false;            // --children
    std::vector<std::string> events;  // -e/--events, each a comma-separated list
    std::string comm;
    std::optional<uint32_t> uid;
    std::string cgroup;
    bool failed_only = false;
    std::optional<std::chrono::nanoseconds> duration;
    uint64_t count = 0;
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
// bad input; returns nullopt after printing --help, help [SUBCOMMAND] or
// --version output.
std::optional<Invocation> parse(int argc, const char* const* argv);
// The whole command line, every subcommand and flag, writing into o.
std::unique_ptr<CLI::App> build_app(Options& o);

int run(int argc, const char* const* argv);

// ---------------------------------------------------------------------------
// Adding a flag that takes a value (the pattern every flag follows)
//
// Every bad value is ONE line of our own, never CLI11's validator text:
//   tapio-trace: --FLAG: 'VALUE' <what is wrong>; <what is accepted>
// and exit 2. So a flag that takes a value is added through one of the
// helpers below, never with CLI11's check()/Range/IsMember or a numeric
// target: CLI11 hands over the text as typed, the helper parses it and
// throws through bad_value(). A missing value ("proc --pid") reports the
// same <what is accepted>, and parse() maps CLI11's remaining errors
// (unknown flag, flag of another area, unknown subcommand, -4 with -6) to
// one-liners too. For example:
//   add_choice(app, "--color", o.color, {"never", "auto", "always"}, "When to color the table");
//   add_number(sub, "--max-args", proc.max_args, 1, limits::exec_args, "Arguments kept per exec");
//   add_value(sub, "--path", "PREFIX", "Only paths starting with PREFIX", "give a path prefix such as /etc",
//             [&](const std::string& flag, const std::string& text) { ... bad_value(flag, text, ...); });
// Flags without a value (add_flag) need nothing of this. A flag for output
// (doctor uses it too) goes in add_output_flags, a tracing one in
// add_global_flags or the area's add_<area>_flags.

// Throws the usage error "FLAG: 'VALUE' WRONG; ACCEPTED".
[[noreturn]] void bad_value(const std::string& flag, const std::string& value, const std::string& wrong,
                            const std::string& accepted);
// What each flag accepts, by long name, for "--pid: needs a value; ...".
std::map<std::string, std::string>& accepted_by_flag();
// value as a message shows it: on one line, control characters escaped.
std::string shown(std::string_view value);
// Throws a usage error with this line.
[[noreturn]] void usage_error(const std::string& line);

// set(flag, text) is called once per value given (repeatable: every time
// the flag is given; otherwise the last one counts). flag is the long name,
// for messages. accepted also answers a missing value.
using ValueParser = std::function<void(const std::string& flag, const std::string& text)>;
CLI::Option* add_value(CLI::App& app, const std::string& names, const std::string& type, const std::string& help,
                       const std::string& accepted, ValueParser set, bool repeatable = false);
// A whole number from min to max; accepted defaults to "give a whole number
// from MIN to MAX" (or "MIN or more").
CLI::Option* add_number(CLI::App& app, const std::string& names, uint64_t& target, uint64_t min, uint64_t max,
                        const std::string& help, std::string accepted = "");
CLI::Option* add_number(CLI::App& app, const std::string& names, uint32_t& target, uint32_t min, uint32_t max,
                        const std::string& help, std::string accepted = "");
CLI::Option* add_number(CLI::App& app, const std::string& names, uint16_t& target, uint16_t min, uint16_t max,
                        const std::string& help, std::string accepted = "");
// One of choices; "'sometimes' is not a choice; use never, auto or always".
CLI::Option* add_choice(CLI::App& app, const std::string& names, std::string& target, std::vector<std::string> choices,
                        const std::string& help);

// Whether text failed parse only for its size: its leading digits, put as
// 1, parse ("99999999999999999999999", "9999999999h"). Such a value is "is
// too large", with the largest accepted, in every numeric flag.
template <typename Parse>
bool too_large(std::string_view text, Parse parse)
{
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
        ++digits;
    return digits > 0 && parse(std::string("1").append(text.substr(digits)));
}

// Value parsers, each throwing bad_value() for flag.
// "1234", "12,34": process ids above 0.
std::vector<uint32_t> parse_pid_list(const std::string& flag, const std::string& text);
// A user name (getpwnam) or a uid.
uint32_t parse_user(const std::string& flag, const std::string& text);
// The one duration rule: a whole number and a unit, ns, us, ms, s, m or h;
// a bare number is seconds. Zero is returned as such: each flag says what
// it means or refuses it.
std::chrono::nanoseconds parse_duration_value(const std::string& flag, const std::string& text);
inline constexpr const char* duration_accepted =
    "give a whole number and a unit, ns, us, ms, s, m or h, such as 500ms, 10s, 2m (a bare number is seconds)";

// The closest of candidates to word by edit distance, when close enough to
// be a typo; "" otherwise.
std::string closest(const std::string& word, const std::vector<std::string>& candidates);

// Builders, one per file.
// Output flags, for every subcommand that prints (doctor too): -j, -o, -v.
void add_output_flags(CLI::App& app, Options& options);
// Output flags and the tracing ones (filters, limits, buffering): on the
// top level and on every tracing subcommand, so `tapio-trace -p 1 net` and
// `tapio-trace net -p 1` both work and `net --help` lists them.
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

// After attach: drops every capability (all sets, the bounding set too;
// CAP_BPF stays on kernels before 6.5, whose map reads need it) and sets
// no_new_privs. "" on success, else what failed (a warning: the run goes on).
std::string drop_privileges(bool* kept_bpf);

}  // namespace tapio::cli
