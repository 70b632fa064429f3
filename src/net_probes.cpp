// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The net area's probe set: TCP state machine, accept, retransmits, resets, drops.
#include <bpf/libbpf.h>

#include "area_probes.h"
#include "events.h"
#include "net_names.h"
#include "select.h"

namespace tapio {
namespace {

class NetProbes final : public SkeletonProbes {
public:
    explicit NetProbes(tapio_bpf* skel) : SkeletonProbes(Area::net, skel) {}

    void configure(const Config& config) override
    {
        const NetOptions& net = config.net;
        auto* ro = skel()->rodata;
        ro->filter_port = net.port;
        ro->filter_lport = net.lport;
        ro->filter_rport = net.rport;
        ro->filter_family = net.ipv4_only ? TT_AF_INET : net.ipv6_only ? TT_AF_INET6 : 0;
        ro->trace_states = net.states;
        // Read the drop reason names from kernel BTF now, not on the first drop.
        if (net.drops)
            drop_reason_name(0);
    }

    std::vector<HookSpec> hooks(const Config& config) const override
    {
        // The state machine keeps every connection's identity and owner
        // (and tcp_destroy_sock lets go of it): every net record names a
        // socket's owner, so both run whenever net does. The resets also
        // end net.close (closed_by, closer_pid; an abortive close waits for
        // its RST), so they serve it too.
        return {
            {"sock:inet_sock_set_state", {"handle_set_state_raw", "handle_set_state"}},
            {"tcp:tcp_retransmit_skb", {"handle_retransmit_raw", "handle_retransmit"}, true, {"net.retransmit"}},
            {"tcp:tcp_send_reset", {"handle_send_reset_raw", "handle_send_reset"}, true, {"net.reset", "net.close"}},
            {"tcp:tcp_receive_reset",
             {"handle_receive_reset_raw", "handle_receive_reset"},
             true,
             {"net.reset", "net.close"}},
            {"tcp:tcp_destroy_sock", {"handle_destroy_sock_raw", "handle_destroy_sock"}},
            {"skb:kfree_skb", {"handle_kfree_skb_raw", "handle_kfree_skb"}, config.net.drops, {"net.drop"}},
        };
    }

    // accept() hands out a passive socket: its exit names the owner.
    Syscalls syscalls(const Config& config) const override
    {
        uint64_t kinds = config.all_hooks ? ~0ULL : chosen_kinds(config);
        return {TT_SYS_AREA_NET, false, false, syscalls_for({TT_NET_SYSCALL_LIST(TT_SYSCALL_ENTRY)}, kinds)};
    }
};

}  // namespace

std::unique_ptr<AreaProbes> make_net_probes(tapio_bpf* skel)
{
    return std::make_unique<NetProbes>(skel);
}

}  // namespace tapio
