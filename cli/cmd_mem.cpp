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
    sub.add_option_function<std::string>(
           "--min-size",
           [&mem](const std::string& text) {
               auto s = parse_size(text);
               if (!s)
                   throw CLI::ValidationError("--min-size",
                                              fmt::format("'{}' is not a size (use 4K, 1M, 64MiB)", text));
               mem.min_size = *s;
           },
           "Smallest mmap/munmap/brk/mremap reported (default 1M)")
        ->type_name("SIZE");
    sub.add_option_function<std::string>(
           "--pressure-threshold",
           [&mem](const std::string& text) {
               auto p = parse_percent(text);
               if (!p || *p == 0 || *p > 10000)
                   throw CLI::ValidationError(
                       "--pressure-threshold",
                       fmt::format("'{}' is not a percentage above 0 and at most 100 (use 10, 12.5, 20%)", text));
               mem.pressure_threshold = *p;
           },
           "A mem.pressure record at once when memory some avg10 crosses PCT (default off)")
        ->type_name("PCT");
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
    sub->callback([&o] {
        o.command = Command::trace;
        o.subcommand = "mem";
        o.config.areas = {Area::mem};
    });
}

}  // namespace tapio::cli
