// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// tapio-trace mem: OOM kills, reclaim stalls, memory pressure, large mappings.
#include <fmt/format.h>

#include "cli.h"
#include "parse.h"

namespace tapio::cli {

// Values are checked as they are parsed, so a bad one is a usage error
// naming its flag.
void add_mem_flags(CLI::App& sub, MemOptions& mem, bool with_min_latency)
{
    if (with_min_latency)
        add_min_latency_flag(
            sub, [&mem](std::chrono::nanoseconds d) { mem.min_latency = d; }, true,
            "Shortest direct reclaim stall reported (default 1ms)");
    add_value(
        sub, "--min-size", "SIZE", "Smallest mmap/munmap/brk/mremap reported (default 1M)",
        "give bytes or a binary unit, such as 4K, 1M, 64MiB", [&mem](const std::string& flag, const std::string& text) {
            auto s = parse_size(text);
            if (!s && too_large(text, parse_size))
                bad_value(flag, text, "is too large", "give at most 17179869183G (16 EiB), such as 4K, 1M, 64MiB");
            if (!s)
                bad_value(flag, text, "is not a size", "give bytes or a binary unit, such as 4K, 1M, 64MiB");
            mem.min_size = *s;
        });
    add_value(sub, "--pressure-threshold", "PCT",
              "A mem.pressure record at once when memory some avg10 crosses PCT (default off)",
              "give a percentage above 0 and at most 100, such as 10, 12.5, 20%",
              [&mem](const std::string& flag, const std::string& text) {
                  static const char* accepted = "give a percentage above 0 and at most 100, such as 10, 12.5, 20%";
                  auto p = parse_percent(text);
                  if (!p && too_large(text, parse_percent))
                      bad_value(flag, text, "is too large", accepted);
                  if (!p)
                      bad_value(flag, text, "is not a percentage", accepted);
                  if (*p == 0 || *p > 10000)
                      bad_value(flag, text, *p == 0 ? "is too small" : "is too large", accepted);
                  mem.pressure_threshold = *p;
              });
    sub.add_flag_callback(
        "--no-pressure", [&mem] { mem.pressure = false; }, "No mem.pressure records");
    sub.add_flag(
        "--file-mappings", mem.file_mappings,
        "mem.alloc and mem.unmap also for mappings of files (shared libraries, ...), not only anonymous memory");
}

void register_mem(CLI::App& app, Options& o)
{
    CLI::App* sub = app.add_subcommand("mem", "OOM kills, reclaim stalls, memory pressure and large mappings");
    add_mem_flags(*sub, o.config.mem);
    add_global_flags(*sub, o);
    sub->callback([&o] {
        o.command = Command::trace;
        o.subcommand = "mem";
        o.config.areas = {Area::mem};
    });
}

}  // namespace tapio::cli
