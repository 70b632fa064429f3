// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Shared by the unit tests: hand-built records as the BPF side lays them
// out, decoding them to JSON or a table line, and parsing command lines.
#pragma once

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <optional>
#include <string>
#include <vector>

#include "cli.h"
#include "tapio/errors.h"
#include "decode.h"
#include "schema_check.h"
#include "tapio/writer.h"

namespace fixtures {

using nlohmann::json;

// A zeroed record of this kind with a plausible header: pid, tid = pid + 1.
template <typename T>
T make_record(uint16_t kind, uint32_t pid = 100, const char* comm = "worker")
{
    T rec;
    std::memset(&rec, 0, sizeof(rec));
    rec.h.kind = kind;
    rec.h.size = sizeof(T);
    rec.h.ts_ns = 5;
    rec.h.pid = pid;
    rec.h.tid = pid + 1;
    rec.h.ppid = 1;
    rec.h.cgroup_id = 9;
    std::strncpy(rec.h.comm, comm, sizeof(rec.h.comm) - 1);
    return rec;
}

// A TCP connection's addresses: the local side s:sport, the peer d:dport.
inline void tcp_addrs(tt_net_addrs& a, int af, const char* s, uint16_t sport, const char* d, uint16_t dport)
{
    a.family = af == AF_INET6 ? TT_AF_INET6 : TT_AF_INET;
    a.protocol = 6;
    inet_pton(af, s, a.saddr);
    inet_pton(af, d, a.daddr);
    a.sport = sport;
    a.dport = dport;
}
inline void v4(tt_net_addrs& a, const char* s, uint16_t sport, const char* d, uint16_t dport)
{
    tcp_addrs(a, AF_INET, s, sport, d, dport);
}
inline void v6(tt_net_addrs& a, const char* s, uint16_t sport, const char* d, uint16_t dport)
{
    tcp_addrs(a, AF_INET6, s, sport, d, dport);
}

// A file of the source tree, whole.
inline std::string source_text(const std::string& rel)
{
    std::ifstream in(std::string(TAPIO_SOURCE_DIR) + "/" + rel);
    REQUIRE_MESSAGE(in.good(), rel);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

template <typename T>
json decode_json(const T& rec, tapio::DecodeOptions options = {})
{
    tapio::Output out(-1);
    tapio::JsonWriter w(out, tapio::WallClock(0));
    REQUIRE(tapio::decode_record(&rec, sizeof(rec), options, w));
    std::string line(out.buffer().data(), out.buffer().size() - 1);
    // Every hand-built record is also checked against the registry.
    auto problems = schema_check::line_problems(line);
    CHECK_MESSAGE(problems.empty(), (problems.empty() ? "" : problems.front()));
    return json::parse(line);
}

template <typename T>
std::string decode_table(const T& rec)
{
    tapio::Output out(-1);
    tapio::TableWriter w(out, tapio::WallClock(0));
    REQUIRE(tapio::decode_record(&rec, sizeof(rec), tapio::DecodeOptions{}, w));
    return std::string(out.buffer().data(), out.buffer().size());
}

inline std::optional<tapio::cli::Invocation> parse_args(std::vector<std::string> args)
{
    args.insert(args.begin(), "tapio-trace");
    std::vector<const char*> argv;
    for (auto& a : args)
        argv.push_back(a.c_str());
    return tapio::cli::parse(static_cast<int>(argv.size()), argv.data());
}

// The exit code a command line fails with, or ok when it parses.
inline tapio::ExitCode parse_failure(std::vector<std::string> args)
{
    try {
        parse_args(std::move(args));
    } catch (const tapio::Error& e) {
        return e.code();
    }
    return tapio::ExitCode::ok;
}

// The message of the usage error a command line fails with, or "" when it
// parses.
inline std::string usage_message(std::vector<std::string> args)
{
    try {
        parse_args(std::move(args));
    } catch (const tapio::Error& e) {
        CHECK(e.code() == tapio::ExitCode::usage);
        return e.what();
    }
    return "";
}

}  // namespace fixtures
