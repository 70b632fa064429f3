// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Decoders of the net area's records.
#include <arpa/inet.h>

#include <array>

#include "names.h"
#include "net_names.h"
#include "records.h"

namespace tapio {
namespace {

// family, saddr, sport, daddr, dport: local side first. No heap: addresses
// are formatted into stack buffers.
void addrs_fields(RecordSink& sink, const tt_net_addrs& a)
{
    char saddr[INET6_ADDRSTRLEN] = "", daddr[INET6_ADDRSTRLEN] = "";
    if (a.family == TT_AF_INET6) {
        sink.name("family", "ipv6");
        inet_ntop(AF_INET6, a.saddr, saddr, sizeof(saddr));
        inet_ntop(AF_INET6, a.daddr, daddr, sizeof(daddr));
    } else {
        sink.name("family", "ipv4");
        inet_ntop(AF_INET, a.saddr, saddr, sizeof(saddr));
        inet_ntop(AF_INET, a.daddr, daddr, sizeof(daddr));
    }
    sink.str("saddr", saddr);
    sink.u64("sport", a.sport);
    sink.str("daddr", daddr);
    sink.u64("dport", a.dport);
}

void state_field(RecordSink& sink, std::string_view key, int state)
{
    std::string_view name = tcp_state_name(state);
    if (name.empty())
        sink.null(key);
    else
        sink.name(key, name);
}

std::string_view role_name(uint16_t role)
{
    switch (role) {
        case TT_NET_ROLE_CLIENT: return "client";
        case TT_NET_ROLE_SERVER: return "server";
        default: return {};
    }
}

std::string_view closed_by_name(uint16_t closed_by)
{
    switch (closed_by) {
        case TT_NET_CLOSED_BY_LOCAL: return "local";
        case TT_NET_CLOSED_BY_REMOTE: return "remote";
        case TT_NET_CLOSED_BY_RESET_RECEIVED: return "reset_received";
        case TT_NET_CLOSED_BY_RESET_SENT: return "reset_sent";
        default: return {};
    }
}

void optional_name(RecordSink& sink, std::string_view key, std::string_view value)
{
    if (value.empty())
        sink.null(key);
    else
        sink.name(key, value);
}

void describe_connect(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_net_connect*>(data);
    addrs_fields(sink, r.a);
    sink.u64("latency_ns", r.latency_ns);
    error_field(sink, r.error);
}

void describe_accept(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_net_accept*>(data);
    addrs_fields(sink, r.a);
    sink.u64("queue_ns", r.queue_ns);
}

void describe_close(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_net_close*>(data);
    addrs_fields(sink, r.a);
    sink.u64("duration_ns", r.duration_ns);
    sink.u64("bytes_sent", r.bytes_sent);
    sink.u64("bytes_received", r.bytes_received);
    sink.u64("retransmits", r.retransmits);
    optional_name(sink, "role", role_name(r.role));
    optional_name(sink, "closed_by", closed_by_name(r.closed_by));
    if (r.closer_pid)
        sink.u64("closer_pid", r.closer_pid);
    else
        sink.null("closer_pid");
}

void describe_retransmit(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_net_retransmit*>(data);
    addrs_fields(sink, r.a);
    state_field(sink, "state", r.state);
    error_field(sink, r.error);
}

void describe_reset(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_net_reset*>(data);
    addrs_fields(sink, r.a);
    sink.name("direction", r.direction == TT_NET_RESET_SENT ? "sent" : "received");
    state_field(sink, "state", r.state);
}

void describe_drop(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_net_drop*>(data);
    addrs_fields(sink, r.a);
    std::string_view proto = ip_protocol_name(r.a.protocol);
    if (proto.empty())
        sink.u64("protocol", r.a.protocol);
    else
        sink.name("protocol", proto);
    optional_name(sink, "reason", drop_reason_name(r.reason));
    sink.u64("reason_code", r.reason);
    sink.name("direction", r.direction == TT_NET_DROP_EGRESS ? "out" : "in");
}

void describe_state(const void* data, const DecodeOptions&, RecordSink& sink)
{
    const auto& r = *static_cast<const tt_net_state*>(data);
    addrs_fields(sink, r.a);
    state_field(sink, "old_state", r.old_state);
    state_field(sink, "new_state", r.new_state);
}

constexpr std::array<KindInfo, 7> table = {{
    {TT_NET_CONNECT, "net.connect", Area::net, sizeof(tt_net_connect), describe_connect},
    {TT_NET_ACCEPT, "net.accept", Area::net, sizeof(tt_net_accept), describe_accept},
    {TT_NET_CLOSE, "net.close", Area::net, sizeof(tt_net_close), describe_close},
    {TT_NET_RETRANSMIT, "net.retransmit", Area::net, sizeof(tt_net_retransmit), describe_retransmit},
    {TT_NET_RESET, "net.reset", Area::net, sizeof(tt_net_reset), describe_reset},
    {TT_NET_DROP, "net.drop", Area::net, sizeof(tt_net_drop), describe_drop},
    {TT_NET_STATE, "net.state", Area::net, sizeof(tt_net_state), describe_state},
}};

}  // namespace

std::span<const KindInfo> net_kinds()
{
    return table;
}

}  // namespace tapio
