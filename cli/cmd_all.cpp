// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// tapio-trace all: every area in one stream.
#include "cli.h"

namespace tapio::cli {

void register_all(CLI::App& app, Options& o)
{
    CLI::App* sub = app.add_subcommand("all", "Every area at once, in one stream");
    for (Area area : all_areas) {
        std::string name = area_name(area);
        sub->add_flag_callback(
            "--no-" + name, [&o, area] { o.left_out.push_back(area); }, "Leave out the " + name + " area");
    }
    add_proc_flags(*sub, o.config.proc);
    add_net_flags(*sub, o.config.net);
    add_file_flags(*sub, o.config.file, false);
    add_mem_flags(*sub, o.config.mem, false);
    // file and mem both take --min-latency; in all, one value serves both
    // (file.slow threshold, shortest reclaim stall), and 0 leaves file.slow off.
    add_min_latency_flag(
        *sub,
        [&o](std::chrono::nanoseconds d) {
            o.config.file.min_latency = d;
            o.config.mem.min_latency = d;
        },
        true,
        "file.slow threshold and shortest reclaim stall reported (file: off, mem: 1ms by default); 0: "
        "file.slow off, every stall");
    add_global_flags(*sub, o);
    sub->callback([&o] {
        o.command = Command::trace;
        o.subcommand = "all";
        check_file_options(o.config.file);
    });
}

}  // namespace tapio::cli
