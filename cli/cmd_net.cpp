// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// tapio-trace net: TCP connects, accepts, closes, retransmits, resets, drops.
#include "cli.h"
#include "tapio/errors.h"

namespace tapio::cli {

void add_net_flags(CLI::App& sub, NetOptions& net)
{
    add_number(sub, "--port", net.port, 1, 65535, "Only connections with port N on either side",
               "give a port from 1 to 65535")
        ->type_name("PORT");
    add_number(sub, "--lport", net.lport, 1, 65535, "Only connections with local port N", "give a port from 1 to 65535")
        ->type_name("PORT");
    add_number(sub, "--rport", net.rport, 1, 65535, "Only connections with remote port N",
               "give a port from 1 to 65535")
        ->type_name("PORT");
    auto* v4 = sub.add_flag("-4,--ipv4", net.ipv4_only, "Only IPv4");
    auto* v6 = sub.add_flag("-6,--ipv6", net.ipv6_only, "Only IPv6");
    v4->excludes(v6);
    sub.add_flag("--drops", net.drops, "Report packets the kernel drops, with the reason (can be many)");
    sub.add_flag("--states", net.states, "Report every TCP state transition");
}

void register_net(CLI::App& app, Options& o)
{
    CLI::App* sub = app.add_subcommand("net", "TCP connects, accepts, closes, retransmits, resets and drops");
    add_net_flags(*sub, o.config.net);
    add_global_flags(*sub, o);
    sub->callback([&o] {
        o.command = Command::trace;
        o.subcommand = "net";
        o.config.areas = {Area::net};
    });
}

}  // namespace tapio::cli
