// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Decoding of hand-built net records, and the net flags.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "cli.h"
#include "fixtures.h"
#include "tapio/errors.h"
#include "net_names.h"
#include "decode.h"
#include "tapio/writer.h"

using nlohmann::json;
using namespace tapio;

namespace {

template <typename T>
T make(uint16_t kind)
{
    return fixtures::make_record<T>(kind, 300, "curl");
}

using fixtures::v4;
using fixtures::v6;

template <typename T>
json decode(const T& rec)
{
    return fixtures::decode_json(rec);
}

template <typename T>
std::string table(const T& rec)
{
    return fixtures::decode_table(rec);
}

auto parse(std::vector<std::string> args)
{
    return fixtures::parse_args(std::move(args));
}
auto failure(std::vector<std::string> args)
{
    return fixtures::parse_failure(std::move(args));
}

}  // namespace

TEST_CASE("net.connect: success with latency, failure with the errno name")
{
    auto rec = make<tt_net_connect>(TT_NET_CONNECT);
    v4(rec.a, "10.0.0.1", 40000, "192.0.2.7", 443);
    rec.latency_ns = 1500;
    json j = decode(rec);
    CHECK(j["type"] == "net.connect");
    CHECK(j["pid"] == 300);
    CHECK(j["comm"] == "curl");
    CHECK(j["family"] == "ipv4");
    CHECK(j["saddr"] == "10.0.0.1");
    CHECK(j["sport"] == 40000);
    CHECK(j["daddr"] == "192.0.2.7");
    CHECK(j["dport"] == 443);
    CHECK(j["latency_ns"] == 1500);
    CHECK_FALSE(j.contains("error"));

    rec.error = -111;
    j = decode(rec);
    CHECK(j["error"] == "ECONNREFUSED");
    rec.error = -110;
    CHECK(decode(rec)["error"] == "ETIMEDOUT");
}

TEST_CASE("net.accept and net.close over IPv6")
{
    auto acc = make<tt_net_accept>(TT_NET_ACCEPT);
    v6(acc.a, "2001:db8::1", 8080, "2001:db8::2", 51000);
    acc.queue_ns = 77;
    json j = decode(acc);
    CHECK(j["type"] == "net.accept");
    CHECK(j["family"] == "ipv6");
    CHECK(j["saddr"] == "2001:db8::1");
    CHECK(j["sport"] == 8080);
    CHECK(j["daddr"] == "2001:db8::2");
    CHECK(j["dport"] == 51000);
    CHECK(j["queue_ns"] == 77);

    auto cl = make<tt_net_close>(TT_NET_CLOSE);
    v6(cl.a, "::1", 8080, "::ffff:127.0.0.1", 51000);
    cl.duration_ns = 123456789;
    cl.bytes_sent = 54321;
    cl.bytes_received = 12345;
    cl.retransmits = 2;
    cl.role = TT_NET_ROLE_SERVER;
    cl.closed_by = TT_NET_CLOSED_BY_LOCAL;
    j = decode(cl);
    CHECK(j["type"] == "net.close");
    CHECK(j["saddr"] == "::1");
    CHECK(j["daddr"] == "::ffff:127.0.0.1");
    CHECK(j["duration_ns"] == 123456789);
    CHECK(j["bytes_sent"] == 54321);
    CHECK(j["bytes_received"] == 12345);
    CHECK(j["retransmits"] == 2);
    CHECK(j["role"] == "server");
    CHECK(j["closed_by"] == "local");
    CHECK(j["closer_pid"].is_null());
    cl.closer_pid = 300;
    CHECK(decode(cl)["closer_pid"] == 300);

    cl.role = TT_NET_ROLE_CLIENT;
    cl.closed_by = TT_NET_CLOSED_BY_UNKNOWN;
    j = decode(cl);
    CHECK(j["role"] == "client");
    CHECK(j["closed_by"].is_null());
    cl.closed_by = TT_NET_CLOSED_BY_RESET_RECEIVED;
    CHECK(decode(cl)["closed_by"] == "reset_received");
    cl.closed_by = TT_NET_CLOSED_BY_REMOTE;
    CHECK(decode(cl)["closed_by"] == "remote");
}

TEST_CASE("net.retransmit, net.reset and net.state name TCP states")
{
    auto rt = make<tt_net_retransmit>(TT_NET_RETRANSMIT);
    v4(rt.a, "10.0.0.1", 40000, "10.0.0.2", 80);
    rt.state = 2;
    json j = decode(rt);
    CHECK(j["type"] == "net.retransmit");
    CHECK(j["state"] == "SYN_SENT");
    CHECK_FALSE(j.contains("error"));

    auto rs = make<tt_net_reset>(TT_NET_RESET);
    v4(rs.a, "10.0.0.1", 80, "10.0.0.2", 40000);
    rs.direction = TT_NET_RESET_SENT;
    rs.state = 0;
    j = decode(rs);
    CHECK(j["direction"] == "sent");
    CHECK(j["state"].is_null());
    rs.direction = TT_NET_RESET_RECEIVED;
    rs.state = 1;
    j = decode(rs);
    CHECK(j["direction"] == "received");
    CHECK(j["state"] == "ESTABLISHED");

    auto st = make<tt_net_state>(TT_NET_STATE);
    v4(st.a, "10.0.0.1", 80, "10.0.0.2", 40000);
    st.old_state = 4;
    st.new_state = 5;
    j = decode(st);
    CHECK(j["old_state"] == "FIN_WAIT1");
    CHECK(j["new_state"] == "FIN_WAIT2");
    st.new_state = 99;
    CHECK(decode(st)["new_state"].is_null());
    CHECK(tcp_state_name(12) == "NEW_SYN_RECV");
    CHECK(tcp_state_name(0).empty());
}

TEST_CASE("net.drop: the reason named from this kernel's BTF, the protocol by name")
{
    auto d = make<tt_net_drop>(TT_NET_DROP);
    v4(d.a, "10.200.1.2", 7000, "10.200.1.1", 41000);
    d.a.protocol = 17;
    d.ethertype = 0x0800;
    d.direction = TT_NET_DROP_INGRESS;
    // The number differs between kernels: look it up by name in this one.
    uint32_t netfilter_drop = 0;
    for (uint32_t i = 0; i < 1024; ++i)
        if (drop_reason_name(i) == "NETFILTER_DROP")
            netfilter_drop = i;
    REQUIRE(netfilter_drop > 2);
    d.reason = netfilter_drop;
    json j = decode(d);
    CHECK(j["type"] == "net.drop");
    CHECK(j["protocol"] == "udp");
    CHECK(j["reason"] == "NETFILTER_DROP");
    CHECK(j["reason_code"] == netfilter_drop);
    CHECK(j["direction"] == "in");
    CHECK(drop_reason_name(2) == "NOT_SPECIFIED");

    d.reason = 0x7fff0000;  // a subsystem reason this kernel does not name
    d.a.protocol = 47;
    d.direction = TT_NET_DROP_EGRESS;
    j = decode(d);
    CHECK(j["reason"].is_null());
    CHECK(j["reason_code"] == 0x7fff0000);
    CHECK(j["protocol"] == "47");
    CHECK(j["direction"] == "out");
}

TEST_CASE("net records in the table: the peer, latency, error, this end")
{
    auto rec = make<tt_net_connect>(TT_NET_CONNECT);
    v4(rec.a, "127.0.0.1", 40000, "127.0.0.1", 1);
    rec.latency_ns = 42;
    rec.error = -111;
    std::string line = table(rec);
    CHECK(line.find(" connect ") != std::string::npos);
    CHECK(line.find("curl") != std::string::npos);
    CHECK(line.find(" 127.0.0.1:1 42ns ECONNREFUSED local 127.0.0.1:40000\n") != std::string::npos);
}

TEST_CASE("net flags")
{
    auto a = parse({"net", "--port", "443", "--lport", "8080", "--rport", "53", "-4", "--drops", "--states", "-x"});
    REQUIRE(a);
    const NetOptions& n = a->options.config.net;
    CHECK(a->options.config.areas == std::vector<Area>{Area::net});
    CHECK(n.port == 443);
    CHECK(n.lport == 8080);
    CHECK(n.rport == 53);
    CHECK(n.ipv4_only);
    CHECK_FALSE(n.ipv6_only);
    CHECK(n.drops);
    CHECK(n.states);
    CHECK(a->options.config.failed_only);

    auto b = parse({"-p", "7", "net", "-6"});
    REQUIRE(b);
    CHECK(b->options.config.net.ipv6_only);
    CHECK(b->options.config.pids == std::vector<uint32_t>{7});
    CHECK_FALSE(b->options.config.net.drops);

    CHECK(failure({"net", "-4", "-6"}) == ExitCode::usage);
    CHECK(failure({"net", "--port", "0"}) == ExitCode::usage);
    CHECK(failure({"net", "--port", "65536"}) == ExitCode::usage);
    CHECK(failure({"net", "--lport", "http"}) == ExitCode::usage);
    CHECK(failure({"net", "--rport", "-1"}) == ExitCode::usage);
}
