// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "net_names.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <string>
#include <unordered_map>

namespace tapio {

std::string_view tcp_state_name(int state)
{
    // include/net/tcp_states.h
    static constexpr std::string_view names[] = {
        "",      "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",    "TIME_WAIT",
        "CLOSE", "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV", "BOUND_INACTIVE",
    };
    if (state <= 0 || state >= static_cast<int>(std::size(names)))
        return {};
    return names[state];
}

namespace {

// enum skb_drop_reason as this kernel defines it: the numbering changes
// between kernel versions, so it is read from BTF rather than compiled in.
struct DropReasons {
    std::unordered_map<uint32_t, std::string> names;
    DropReasons()
    {
        btf* vmlinux = btf__load_vmlinux_btf();
        if (!vmlinux || libbpf_get_error(vmlinux))
            return;
        int id = btf__find_by_name_kind(vmlinux, "skb_drop_reason", BTF_KIND_ENUM);
        if (id > 0) {
            const btf_type* t = btf__type_by_id(vmlinux, id);
            const struct btf_enum* e = btf_enum(t);
            constexpr std::string_view prefix = "SKB_DROP_REASON_";
            for (int i = 0; i < btf_vlen(t); ++i, ++e) {
                std::string_view name = btf__name_by_offset(vmlinux, e->name_off);
                if (name.substr(0, prefix.size()) == prefix)
                    name.remove_prefix(prefix.size());
                else if (name.substr(0, 4) == "SKB_")
                    name.remove_prefix(4);  // SKB_CONSUMED, SKB_NOT_DROPPED_YET
                names.emplace(static_cast<uint32_t>(e->val), std::string(name));
            }
        }
        btf__free(vmlinux);
    }
};

}  // namespace

std::string_view drop_reason_name(uint32_t reason)
{
    static const DropReasons table;
    auto it = table.names.find(reason);
    return it == table.names.end() ? std::string_view() : std::string_view(it->second);
}

std::string_view ip_protocol_name(uint16_t protocol)
{
    switch (protocol) {
        case 1: return "icmp";
        case 6: return "tcp";
        case 17: return "udp";
        case 58: return "icmpv6";
        case 132: return "sctp";
        default: return {};
    }
}

}  // namespace tapio
