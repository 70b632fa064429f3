// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// tapio-trace all: every area in one stream.
#include "cli.h"

namespace tapio::cli {

void register_all(CLI::App& app, Options& o)
{
    CLI::App* sub = app.add_subcommand("all", "Every area at once, in one stream");
    sub->add_flag("--no-proc", o.no_proc, "Leave out the proc area");
    sub->add_flag("--no-net", o.no_net, "Leave out the net area");
    sub->add_flag("--no-file", o.no_file, "Leave out the file area");
    sub->add_flag("--no-mem", o.no_mem, "Leave out the mem area");
    add_proc_flags(*sub, o.config.proc);
    add_net_flags(*sub, o.config.net);
    add_mem_flags(*sub, o.config.mem);
    sub->callback([&o] {
        o.command = Command::trace;
        o.subcommand = "all";
    });
}

}  // namespace tapio::cli
