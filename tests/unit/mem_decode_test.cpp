// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The mem area: decoding of hand-built records, PSI parsing, its flags.
#include <doctest/doctest.h>

#include "fixtures.h"
#include <nlohmann/json.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "cli.h"
#include "tapio/errors.h"
#include "mem_pressure.h"
#include "mem_decode.h"
#include "names.h"
#include "decode.h"
#include "tapio/writer.h"

using nlohmann::json;
using namespace tapio;

namespace {

template <typename T>
T make(uint16_t kind)
{
    return fixtures::make_record<T>(kind, 100, "hog");
}

template <typename T>
json decode(const T& rec)
{
    return fixtures::decode_json(rec);
}

auto parse(std::vector<std::string> args)
{
    return fixtures::parse_args(std::move(args));
}

std::string usage_error(std::vector<std::string> args)
{
    return fixtures::usage_message(std::move(args));
}

}  // namespace

TEST_CASE("mem.oom_kill: every field the kernel gave, and only those")
{
    auto rec = make<tt_mem_oom_kill>(TT_MEM_OOM_KILL);
    rec.victim_pid = 4242;
    rec.victim_uid = 1000;
    std::strcpy(rec.victim_comm, "victim\x1b");
    rec.total_vm_kb = 75160;
    rec.anon_rss_kb = 65280;
    rec.file_rss_kb = 6696;
    rec.shmem_rss_kb = 4;
    rec.pgtables_kb = 184;
    rec.oom_score_adj = -500;
    rec.present = TT_OOM_HAS_COMM | TT_OOM_HAS_UID | TT_OOM_HAS_TOTAL_VM | TT_OOM_HAS_ANON_RSS | TT_OOM_HAS_FILE_RSS |
                  TT_OOM_HAS_SHMEM_RSS | TT_OOM_HAS_PGTABLES | TT_OOM_HAS_SCORE_ADJ;
    json j = decode(rec);
    CHECK(j["type"] == "mem.oom_kill");
    CHECK(j["pid"] == 100);
    CHECK(j["comm"] == "hog");
    CHECK(j["victim_pid"] == 4242);
    CHECK(j["victim_comm"] == "victim\x1b");
    CHECK(j["victim_uid"] == 1000);
    CHECK(j["total_vm_kb"] == 75160);
    CHECK(j["anon_rss_kb"] == 65280);
    CHECK(j["file_rss_kb"] == 6696);
    CHECK(j["shmem_rss_kb"] == 4);
    CHECK(j["pgtables_kb"] == 184);
    CHECK(j["oom_score_adj"] == -500);
    CHECK_FALSE(j.contains("memcg_id"));

    // A kernel whose mark_victim has only the pid (before 6.2).
    rec.present = 0;
    json old = decode(rec);
    CHECK(old["victim_pid"] == 4242);
    for (const char* key : {"victim_comm", "victim_uid", "total_vm_kb", "anon_rss_kb", "file_rss_kb", "shmem_rss_kb",
                            "pgtables_kb", "oom_score_adj", "memcg_id", "memcg_path"})
        CHECK_MESSAGE(!old.contains(key), key);
}

TEST_CASE("mem.oom_kill: a memory cgroup id that no hierarchy has gives a null path")
{
    auto rec = make<tt_mem_oom_kill>(TT_MEM_OOM_KILL);
    rec.victim_pid = 7;
    rec.memcg_id = 0xfffffffffff0ULL;
    rec.present = TT_OOM_HAS_MEMCG;
    json j = decode(rec);
    CHECK(j["memcg_id"] == 0xfffffffffff0ULL);
    CHECK(j["memcg_path"].is_null());
    CHECK(j["memcg_path_truncated"] == false);
}

TEST_CASE("mem.reclaim: scope, duration, pages")
{
    auto rec = make<tt_mem_reclaim>(TT_MEM_RECLAIM);
    rec.scope = TT_RECLAIM_MEMCG;
    rec.duration_ns = 23136538;
    rec.nr_reclaimed = 271;
    rec.order = 0;
    json j = decode(rec);
    CHECK(j["type"] == "mem.reclaim");
    CHECK(j["scope"] == "memcg");
    CHECK(j["duration_ns"] == 23136538);
    CHECK(j["nr_reclaimed"] == 271);
    CHECK(j["order"] == 0);
    CHECK_FALSE(j.contains("memcg_id"));
    rec.scope = TT_RECLAIM_GLOBAL;
    rec.order = 3;
    json g = decode(rec);
    CHECK(g["scope"] == "global");
    CHECK(g["order"] == 3);
}

TEST_CASE("mem.alloc: mmap, a failed mmap, brk shrinking, mremap")
{
    auto rec = make<tt_mem_alloc>(TT_MEM_ALLOC);
    rec.op = TT_ALLOC_MMAP;
    rec.size = 64ULL << 20;
    rec.addr = 0x7f0000001000ULL;
    json j = decode(rec);
    CHECK(j["type"] == "mem.alloc");
    CHECK(j["op"] == "mmap");
    CHECK(j["size"] == 64ULL << 20);
    CHECK(j["addr"] == "0x7f0000001000");
    CHECK(j["error"].is_null());
    CHECK_FALSE(j.contains("old_size"));
    CHECK_FALSE(j.contains("shrink"));

    rec.ret = -12;
    CHECK(decode(rec)["error"] == "ENOMEM");

    rec.ret = 0;
    rec.op = TT_ALLOC_BRK;
    rec.flags = TT_ALLOC_SHRINK;
    json b = decode(rec);
    CHECK(b["op"] == "brk");
    CHECK(b["shrink"] == true);

    rec.flags = 0;
    rec.op = TT_ALLOC_MREMAP;
    rec.old_addr = 0x1000;
    rec.old_size = 4096;
    json m = decode(rec);
    CHECK(m["op"] == "mremap");
    CHECK(m["old_addr"] == "0x1000");
    CHECK(m["old_size"] == 4096);

    rec.op = TT_ALLOC_MUNMAP;
    CHECK(decode(rec)["op"] == "munmap");
}

TEST_CASE("mem.alloc: anonymous or a file's mapping; mem.unmap: size, address, error")
{
    auto rec = make<tt_mem_alloc>(TT_MEM_ALLOC);
    rec.op = TT_ALLOC_MMAP;
    rec.size = 2ULL << 20;
    CHECK(decode(rec)["anonymous"] == true);
    rec.flags = TT_ALLOC_FILE;
    CHECK(decode(rec)["anonymous"] == false);
    rec.op = TT_ALLOC_MREMAP;
    CHECK(decode(rec)["anonymous"] == false);
    rec.op = TT_ALLOC_BRK;
    rec.flags = 0;
    CHECK_FALSE(decode(rec).contains("anonymous"));

    auto un = make<tt_mem_alloc>(TT_MEM_UNMAP);
    un.op = TT_ALLOC_MUNMAP;
    un.size = 2ULL << 20;
    un.addr = 0x7f0000001000ULL;
    json u = decode(un);
    CHECK(u["type"] == "mem.unmap");
    CHECK(u["size"] == 2ULL << 20);
    CHECK(u["addr"] == "0x7f0000001000");
    CHECK(u["error"].is_null());
    CHECK(u["anonymous"] == true);
    CHECK_FALSE(u.contains("op"));
    un.flags = TT_ALLOC_FILE;
    CHECK(decode(un)["anonymous"] == false);
    un.flags = 0;
    un.ret = -22;
    CHECK(decode(un)["error"] == "EINVAL");
}

TEST_CASE("a return value of INT64_MIN is an unnamed error, not an overflow")
{
    // The fuzzer's find: -ret overflowed (UBSan) in errno_name and in
    // error_field's "E<n>".
    auto rec = make<tt_mem_alloc>(TT_MEM_ALLOC);
    rec.op = TT_ALLOC_MMAP;
    rec.size = 4096;
    rec.ret = INT64_MIN;
    CHECK(decode(rec)["error"] == "E9223372036854775808");
    CHECK(errno_name(INT64_MIN).empty());
    CHECK(errno_name(-2) == "ENOENT");
    CHECK(errno_name(-512) == "ERESTARTSYS");
}

TEST_CASE("PSI: the kernel's pressure file format")
{
    auto s = parse_psi(
        "some avg10=12.34 avg60=0.50 avg300=100.00 total=72458\n"
        "full avg10=0.01 avg60=0.00 avg300=0.00 total=7432\n");
    REQUIRE(s);
    CHECK(s->some.avg10 == 1234);
    CHECK(s->some.avg60 == 50);
    CHECK(s->some.avg300 == 10000);
    CHECK(s->some.total_us == 72458);
    CHECK(s->has_full);
    CHECK(s->full.avg10 == 1);
    CHECK(s->full.total_us == 7432);

    auto some_only = parse_psi("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
    REQUIRE(some_only);
    CHECK_FALSE(some_only->has_full);

    CHECK_FALSE(parse_psi(""));
    CHECK_FALSE(parse_psi("some avg10=x avg60=0.00 avg300=0.00 total=0\n"));
    CHECK_FALSE(parse_psi("some avg10=1.00 avg60=0.00 total=0\n"));
}

TEST_CASE("RecordSink::decimal: a JSON number with its places")
{
    Output out(-1);
    JsonWriter w(out, WallClock(0));
    w.begin("mem.pressure", Common{});
    w.decimal("a", 1234, 2);
    w.decimal("b", 5, 2);
    w.decimal("c", 0, 2);
    w.decimal("d", -150, 2);
    w.end();
    json j = json::parse(std::string(out.buffer().data(), out.buffer().size()));
    CHECK(j["a"].dump() == "12.34");
    CHECK(j["b"].dump() == "0.05");
    CHECK(j["c"].dump() == "0.0");
    CHECK(j["d"].dump() == "-1.5");
}

TEST_CASE("mem flags: values, defaults and clear errors")
{
    auto d = parse({"mem"});
    REQUIRE(d);
    CHECK(d->options.config.areas == std::vector<Area>{Area::mem});
    CHECK(d->options.config.mem.min_latency == std::chrono::milliseconds(1));
    CHECK(d->options.config.mem.min_size == 1u << 20);
    CHECK(d->options.config.mem.pressure_threshold == 0);
    CHECK(d->options.config.mem.pressure);

    auto a =
        parse({"mem", "--min-latency", "250us", "--min-size", "64M", "--pressure-threshold", "12.5%", "--no-pressure"});
    REQUIRE(a);
    CHECK(a->options.config.mem.min_latency == std::chrono::microseconds(250));
    CHECK(a->options.config.mem.min_size == 64u << 20);
    CHECK(a->options.config.mem.pressure_threshold == 1250);
    CHECK_FALSE(a->options.config.mem.pressure);

    auto zero = parse({"mem", "--min-latency", "0"});
    REQUIRE(zero);
    CHECK(zero->options.config.mem.min_latency.count() == 0);

    CHECK(usage_error({"mem", "--min-latency", "soon"}).find("--min-latency") != std::string::npos);
    CHECK(usage_error({"mem", "--min-size", "big"}).find("--min-size") != std::string::npos);
    CHECK(usage_error({"mem", "--pressure-threshold", "101"}).find("--pressure-threshold") != std::string::npos);
    CHECK(usage_error({"mem", "--pressure-threshold", "0"}).find("--pressure-threshold") != std::string::npos);
    CHECK(usage_error({"mem", "--pressure-threshold", "1.234"}).find("--pressure-threshold") != std::string::npos);
}

TEST_CASE("PSI: a missing pressure file says why, instead of records")
{
    PsiFile system("/nonexistent/pressure/memory", "system");
    CHECK(system.problem().find("CONFIG_PSI") != std::string::npos);
    CHECK_FALSE(system.read());
    PsiFile cgroup("/nonexistent/cgroup/memory.pressure", "cgroup");
    CHECK(cgroup.problem().find("not a cgroup v2 directory") != std::string::npos);
}
