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
