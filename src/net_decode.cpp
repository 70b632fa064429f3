// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Decoders of the net area's records.
#include <arpa/inet.h>

#include <array>
#include <cstdio>

#include "names.h"
#include "net_names.h"
#include "decode.h"

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
    if (proto.empty()) {
        char text[8];
        int n = std::snprintf(text, sizeof(text), "%u", r.a.protocol);
        sink.name("protocol", std::string_view(text, n > 0 ? static_cast<size_t>(n) : 0));
    } else
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

using enum JsonType;
using enum Presence;

constexpr std::string_view families[] = {"ipv4", "ipv6"};
constexpr std::string_view roles[] = {"client", "server"};
constexpr std::string_view closers[] = {"local", "remote", "reset_sent", "reset_received"};
constexpr std::string_view reset_directions[] = {"sent", "received"};
constexpr std::string_view drop_directions[] = {"in", "out"};

#define TT_ADDR_FIELDS                                                                                           \
    {"family", string, always, {}, "ipv4 or ipv6, as on the wire: an IPv4-mapped connection is ipv4", families}, \
        {"saddr", string, always, {}, "the local address"}, {"sport", integer, always, {}, "the local port"},    \
        {"daddr", string, always, {}, "the remote address"},                                                     \
    {                                                                                                            \
        "dport", integer, always, {}, "the remote port"                                                          \
    }

constexpr Field connect_fields[] = {
    TT_ADDR_FIELDS,
    {"latency_ns", integer, always, "ns", "SYN sent to established, or to the failure"},
    {"error", string, optional, {}, "why it failed (ECONNREFUSED, ETIMEDOUT, ...)"},
};

constexpr Field accept_fields[] = {
    TT_ADDR_FIELDS,
    {"queue_ns", integer, always, "ns", "established to accept()"},
};

constexpr Field close_fields[] = {
    TT_ADDR_FIELDS,
    {"duration_ns", integer, always, "ns", "established to close"},
    {"bytes_sent", integer, always, "bytes",
     "payload bytes this end sent, each byte once however often retransmitted; SYN and FIN not counted"},
    {"bytes_received", integer, always, "bytes",
     "payload bytes received, accepted in sequence by the kernel, whether or not the application read them"},
    {"retransmits", integer, always, {}, "segments retransmitted"},
    {"role", string, nullable, {}, "client (connected) or server (accepted)", roles},
    {"closed_by",
     string,
     nullable,
     {},
     "what ended the connection first, seen from this end: local (this end sent the first FIN), remote (the peer's "
     "FIN came first), reset_sent (this end aborted with a RST), reset_received (the peer's RST), or null (ended "
     "by an error such as a retransmission timeout); both ends closing at once can both say local",
     closers},
    {"closer_pid",
     integer,
     nullable,
     {},
     "the process whose close() or shutdown() sent this end's FIN, or whose close() sent its RST; null when no "
     "process did (reset by the peer, timed out, aborted by the kernel)"},
};

constexpr Field retransmit_fields[] = {
    TT_ADDR_FIELDS,
    {"state", string, nullable, {}, "the TCP state"},
    {"error", string, optional, {}, "when the retransmit itself failed"},
};

constexpr Field reset_fields[] = {
    TT_ADDR_FIELDS,
    {"direction", string, always, {}, "sent or received", reset_directions},
    {"state",
     string,
     nullable,
     {},
     "the socket's state when the tracepoint fired: CLOSE for an abortive close, which moves the socket to CLOSE "
     "before sending"},
};

constexpr Field drop_fields[] = {
    TT_ADDR_FIELDS,
    {"protocol", string, always, {}, "the IP protocol's name (its number, as a string, when it has none)"},
    {"reason", string, nullable, {}, "the kernel's drop reason, read from its BTF"},
    {"reason_code", integer, always, {}, "the drop reason's number"},
    {"direction", string, always, {}, "in or out", drop_directions},
};

constexpr Field state_fields[] = {
    TT_ADDR_FIELDS,
    {"old_state", string, nullable, {}, "the TCP state before"},
    {"new_state", string, nullable, {}, "the TCP state after"},
};

#undef TT_ADDR_FIELDS

constexpr std::array<RecordSpec, 7> table = {{
    {"net.connect", "net", "A TCP connect() ended: established, or failed.", connect_fields, TT_NET_CONNECT,
     sizeof(tt_net_connect), describe_connect},
    {"net.accept", "net", "A TCP connection was accepted; attributed to the accepting thread.", accept_fields,
     TT_NET_ACCEPT, sizeof(tt_net_accept), describe_accept},
    {"net.close", "net",
     "One per end of an established connection, when the kernel is done with that end (it enters CLOSE, or hands "
     "over to TIME_WAIT). Byte counts are exact in every close order, including an end that closed first and moved "
     "to TIME_WAIT before the peer's FIN arrived. closer_pid can differ from pid when another process shares the "
     "socket.",
     close_fields, TT_NET_CLOSE, sizeof(tt_net_close), describe_close},
    {"net.retransmit", "net", "A TCP segment was retransmitted.", retransmit_fields, TT_NET_RETRANSMIT,
     sizeof(tt_net_retransmit), describe_retransmit},
    {"net.reset", "net",
     "A TCP RST was sent or received. A RST a process sends (an abortive close) belongs to that socket's owner, or "
     "to the sending process when the socket is not known; the kernel's own RSTs (closed port, TIME_WAIT, timers) "
     "have pid 0.",
     reset_fields, TT_NET_RESET, sizeof(tt_net_reset), describe_reset},
    {"net.drop", "net",
     "With --drops: a packet the kernel dropped. Normal frees are not reported, nor are TCP segments a socket had "
     "received and that are freed with its receive queue when it closes (QUEUE_PURGE from sk_stream_kill_queues() "
     "or tcp_disconnect()): they were delivered, not lost. Other QUEUE_PURGE frees are reported.",
     drop_fields, TT_NET_DROP, sizeof(tt_net_drop), describe_drop},
    {"net.state", "net", "With --states: a TCP state change.", state_fields, TT_NET_STATE, sizeof(tt_net_state),
     describe_state},
}};
}  // namespace

std::span<const RecordSpec> net_records()
{
    return table;
}

}  // namespace tapio
