// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Names of the net area's kernel numbers: TCP states, drop reasons, protocols.
#pragma once

#include <cstdint>
#include <string_view>

namespace tapio {

// "ESTABLISHED" for 1; empty when unknown.
std::string_view tcp_state_name(int state);
// The kernel's enum skb_drop_reason name without its SKB_DROP_REASON_ prefix
// ("NETFILTER_DROP"), read once from the running kernel's BTF; empty when
// unknown or when the kernel has no BTF.
std::string_view drop_reason_name(uint32_t reason);
// "tcp", "udp", "icmp", ...; empty when unknown.
std::string_view ip_protocol_name(uint16_t protocol);

}  // namespace tapio
