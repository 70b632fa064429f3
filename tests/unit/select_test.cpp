// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// -e/--events resolved against the registry: the kernel's kind mask and
// what the rest of the configuration becomes.
#include <doctest/doctest.h>

#include <linux/types.h>

#include "events.h"
#include "select.h"
#include "tapio/errors.h"

using namespace tapio;

TEST_CASE("chosen_kinds: every kind without -e; the chosen ones' bits with it")
{
    Config c;
    CHECK(chosen_kinds(c) == ~0ULL);
    c.events = {"proc.exec", "mem.*"};
    uint64_t want = TT_KIND_BIT(TT_PROC_EXEC) | TT_KIND_BIT(TT_MEM_OOM_KILL) | TT_KIND_BIT(TT_MEM_RECLAIM) |
                    TT_KIND_BIT(TT_MEM_ALLOC) | TT_KIND_BIT(TT_MEM_UNMAP);
    CHECK(chosen_kinds(c) == want);
    c.events = {"proc.exce"};
    CHECK_THROWS_AS(chosen_kinds(c), Error);
}

TEST_CASE("rate_split: half of --rate-limit shared out between the running areas' chosen types, the rest pooled")
{
    Config c;
    CHECK(rate_split(c).pool_per_sec == 0);  // off
    c.rate_limit = 2600;
    c.areas = {Area::proc, Area::file};
    // proc.exec, fork, exit, signal, setuid; file.open, unlink, rename,
    // mkdir, rmdir, truncate, chmod, slow (summaries have no share).
    RateSplit s = rate_split(c);
    CHECK(s.types == 13);
    CHECK(s.share_per_sec == 100);
    CHECK(s.pool_per_sec == 1300);
    c.events = {"proc.exec"};
    s = rate_split(c);
    CHECK(s.types == 1);
    CHECK(s.share_per_sec == 1300);
    CHECK(s.pool_per_sec == 1300);
    // mem.oom_kill and mem.reclaim are always critical: no share, unless --limit-critical.
    c.events = {"mem.*"};
    c.areas = {Area::mem};
    CHECK(rate_split(c).types == 2);
    c.limit_critical = true;
    CHECK(rate_split(c).types == 4);
    c.limit_critical = false;
    c.areas = {Area::proc, Area::file};
    // Too little to share out: all of it is the pool.
    c.events.clear();
    c.rate_limit = 20;
    s = rate_split(c);
    CHECK(s.share_per_sec == 0);
    CHECK(s.types == 0);
    CHECK(s.pool_per_sec == 20);
    // Never more than the limit in all.
    for (uint64_t limit : {1ULL, 27ULL, 99ULL, 10000ULL, 1000000000ULL}) {
        c.rate_limit = limit;
        s = rate_split(c);
        CHECK(s.pool_per_sec + s.share_per_sec * s.types <= limit);
        CHECK(s.pool_per_sec >= limit / 2);
    }
}

TEST_CASE("apply_selection: areas without a chosen type leave; options of unchosen records go off")
{
    Config c;
    c.areas = {Area::proc, Area::net, Area::file, Area::mem};
    c.proc.syscalls = true;
    c.file.top = 5;
    c.file.min_latency = std::chrono::milliseconds(10);
    c.events = {"net.close", "file.slow"};
    apply_selection(c);
    CHECK(c.areas == std::vector<Area>{Area::net, Area::file});
    CHECK_FALSE(c.proc.syscalls);
    CHECK(c.file.top == 0);
    CHECK(c.file.min_latency == std::chrono::milliseconds(10));
    CHECK_FALSE(c.mem.pressure);

    Config none;
    none.areas = {Area::proc};
    none.events = {"net.close"};
    CHECK_THROWS_AS(apply_selection(none), Error);

    Config all;
    all.areas = {Area::mem};
    apply_selection(all);  // no -e: nothing changes
    CHECK(all.mem.pressure);
    CHECK(all.areas == std::vector<Area>{Area::mem});
}

TEST_CASE("the closest type for a typo; meta records are not choosable")
{
    CHECK(closest_record_type("proc.exce") == "proc.exec");
    CHECK(closest_record_type("net.closed") == "net.close");
    CHECK(records_matching("tapio.*").empty());
    CHECK(records_matching("*").size() == selectable_records().size());
    CHECK(records_matching("file.*").size() == 9);
}
