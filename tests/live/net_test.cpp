// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Live tests of the net area: real TCP connections on loopback and between
// network namespaces this test creates, traced by the real binary.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <string>

#include "harness.h"

using namespace live;

namespace {

constexpr size_t request_size = 12345;
constexpr size_t response_size = 54321;

bool is_type(const json& r, const char* type)
{
    return r.value("type", "") == type;
}

struct Endpoint {
    int family = AF_INET;
    std::string addr;  // numeric
    uint16_t port = 0;
};

socklen_t fill_sockaddr(const Endpoint& e, sockaddr_storage& ss)
{
    std::memset(&ss, 0, sizeof(ss));
    if (e.family == AF_INET6) {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(e.port);
        inet_pton(AF_INET6, e.addr.c_str(), &sin6->sin6_addr);
        return sizeof(*sin6);
    }
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(e.port);
    inet_pton(AF_INET, e.addr.c_str(), &sin->sin_addr);
    return sizeof(*sin);
}

uint16_t local_port(int fd)
{
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0);
    if (ss.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

// A bound socket on the endpoint's address with a kernel-chosen port; listening
// when listen_too, else just holding a port no one listens on.
int bound_socket(Endpoint& e, bool listen_too)
{
    int fd = socket(e.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_storage ss;
    socklen_t len = fill_sockaddr(e, ss);
    REQUIRE_MESSAGE(bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0, strerror(errno));
    if (listen_too)
        REQUIRE(listen(fd, 16) == 0);
    e.port = local_port(fd);
    return fd;
}

bool write_all(int fd, const char* data, size_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n <= 0)
            return false;
        data += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

size_t read_until_eof(int fd, size_t want)
{
    char buf[16384];
    size_t total = 0;
    while (total < want) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        total += static_cast<size_t>(n);
    }
    return total;
}

// A forked child that waits for go() before it runs its body; its exit code
// is the body's result. It can send one number back through report().
class Child {
public:
    explicit Child(std::function<int(int report_fd)> body)
    {
        int go[2], rep[2];
        REQUIRE(pipe(go) == 0);
        REQUIRE(pipe(rep) == 0);
        pid_ = fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            close(go[1]);
            close(rep[0]);
            char c;
            if (read(go[0], &c, 1) != 1)
                _exit(100);
            _exit(body(rep[1]));
        }
        close(go[0]);
        close(rep[1]);
        go_fd_ = go[1];
        report_fd_ = rep[0];
    }
    ~Child()
    {
        if (go_fd_ >= 0)
            close(go_fd_);
        close(report_fd_);
        if (!reaped_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    pid_t pid() const { return pid_; }
    void go()
    {
        REQUIRE(write(go_fd_, "g", 1) == 1);
        close(go_fd_);
        go_fd_ = -1;
    }
    // The number the child reported, or -1.
    long reported()
    {
        long value = -1;
        if (read(report_fd_, &value, sizeof(value)) != sizeof(value))
            return -1;
        return value;
    }
    int wait()
    {
        int status = 0;
        waitpid(pid_, &status, 0);
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

private:
    pid_t pid_ = -1;
    int go_fd_ = -1;
    int report_fd_ = -1;
    bool reaped_ = false;
};

void report(int fd, long value)
{
    (void)!write(fd, &value, sizeof(value));
}

// Server body: accept one connection, read the request, answer, close.
std::function<int(int)> server(int listen_fd)
{
    return [listen_fd](int) {
        int c = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0)
            return 1;
        if (read_until_eof(c, request_size) != request_size)
            return 2;
        std::string answer(response_size, 'b');
        if (!write_all(c, answer.data(), answer.size()))
            return 3;
        close(c);
        return 0;
    };
}

// Client body: connect, send the request, read the answer to EOF, close.
// Reports its local port, or -errno when connect fails.
std::function<int(int)> client(Endpoint to, int syn_retries = 0)
{
    return [to, syn_retries](int rep) {
        int fd = socket(to.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return 10;
        if (syn_retries > 0)
            setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &syn_retries, sizeof(syn_retries));
        sockaddr_storage ss;
        socklen_t len = fill_sockaddr(to, ss);
        if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
            report(rep, -errno);
            return 0;
        }
        report(rep, local_port(fd));
        std::string request(request_size, 'a');
        if (!write_all(fd, request.data(), request.size()))
            return 11;
        if (read_until_eof(fd, response_size + 1) != response_size)
            return 12;
        close(fd);
        return 0;
    };
}

void check_addrs(const json& r, const char* family, const std::string& saddr, long sport, const std::string& daddr,
                 long dport)
{
    CHECK(r["family"] == family);
    CHECK(r["saddr"] == saddr);
    CHECK(r["sport"] == sport);
    CHECK(r["daddr"] == daddr);
    CHECK(r["dport"] == dport);
}

// One full exchange on loopback, checked record by record.
void exchange_on_loopback(int family)
{
    const char* family_name = family == AF_INET6 ? "ipv6" : "ipv4";
    Endpoint ep{family, family == AF_INET6 ? "::1" : "127.0.0.1", 0};
    int lfd = bound_socket(ep, true);
    Child srv(server(lfd));
    close(lfd);
    Child cli(client(ep));

    Tracer t({"net", "--port", std::to_string(ep.port)});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    srv.go();
    cli.go();
    long cport = cli.reported();
    REQUIRE(cport > 0);
    CHECK(cli.wait() == 0);
    CHECK(srv.wait() == 0);

    auto connect = t.wait_for([&](const json& r) { return is_type(r, "net.connect") && r["pid"] == cli.pid(); });
    REQUIRE(connect);
    check_addrs(*connect, family_name, ep.addr, cport, ep.addr, ep.port);
    CHECK((*connect)["tid"] == cli.pid());
    CHECK((*connect)["ppid"] == getpid());
    CHECK((*connect)["latency_ns"].get<uint64_t>() > 0);
    CHECK_FALSE(connect->contains("error"));

    auto accept = t.wait_for([&](const json& r) { return is_type(r, "net.accept"); });
    REQUIRE(accept);
    CHECK((*accept)["pid"] == srv.pid());
    check_addrs(*accept, family_name, ep.addr, ep.port, ep.addr, cport);

    auto client_close = t.wait_for([&](const json& r) { return is_type(r, "net.close") && r["role"] == "client"; });
    auto server_close = t.wait_for([&](const json& r) { return is_type(r, "net.close") && r["role"] == "server"; });
    REQUIRE(client_close);
    REQUIRE(server_close);
    CHECK((*client_close)["pid"] == cli.pid());
    check_addrs(*client_close, family_name, ep.addr, cport, ep.addr, ep.port);
    CHECK((*client_close)["bytes_sent"] == request_size);
    CHECK((*client_close)["bytes_received"] == response_size);
    CHECK((*client_close)["retransmits"] == 0);
    CHECK((*client_close)["closed_by"] == "remote");
    CHECK((*client_close)["closer_pid"] == cli.pid());  // its close() after the server's FIN
    CHECK((*client_close)["duration_ns"].get<uint64_t>() > 0);

    CHECK((*server_close)["pid"] == srv.pid());
    check_addrs(*server_close, family_name, ep.addr, ep.port, ep.addr, cport);
    CHECK((*server_close)["bytes_sent"] == response_size);
    CHECK((*server_close)["bytes_received"] == request_size);
    CHECK((*server_close)["closed_by"] == "local");
    CHECK((*server_close)["closer_pid"] == srv.pid());
    t.stop();
    // Exactly one of each for this port.
    CHECK(t.all([](const json& r) { return is_type(r, "net.connect"); }).size() == 1);
    CHECK(t.all([](const json& r) { return is_type(r, "net.accept"); }).size() == 1);
    CHECK(t.all([](const json& r) { return is_type(r, "net.close"); }).size() == 2);
}

// A connect to a port nobody listens on.
void refused_on_loopback(int family)
{
    const char* family_name = family == AF_INET6 ? "ipv6" : "ipv4";
    Endpoint ep{family, family == AF_INET6 ? "::1" : "127.0.0.1", 0};
    int held = bound_socket(ep, false);  // keeps the port ours, closed
    Child cli(client(ep));

    Tracer t({"net", "--port", std::to_string(ep.port)});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    cli.go();
    long result = cli.reported();
    CHECK(result == -ECONNREFUSED);
    CHECK(cli.wait() == 0);

    auto connect = t.wait_for([&](const json& r) { return is_type(r, "net.connect"); });
    REQUIRE(connect);
    CHECK((*connect)["pid"] == cli.pid());
    CHECK((*connect)["error"] == "ECONNREFUSED");
    CHECK((*connect)["family"] == family_name);
    CHECK((*connect)["daddr"] == ep.addr);
    CHECK((*connect)["dport"] == ep.port);
    long cport = (*connect)["sport"].get<long>();
    CHECK(cport > 0);

    auto received = t.wait_for([](const json& r) { return is_type(r, "net.reset") && r["direction"] == "received"; });
    REQUIRE(received);
    CHECK((*received)["pid"] == cli.pid());
    CHECK((*received)["state"] == "SYN_SENT");
    check_addrs(*received, family_name, ep.addr, cport, ep.addr, ep.port);

    // The RST comes from the kernel for a port without a socket: no owner.
    auto sent = t.wait_for([](const json& r) { return is_type(r, "net.reset") && r["direction"] == "sent"; });
    REQUIRE(sent);
    CHECK((*sent)["pid"] == 0);
    check_addrs(*sent, family_name, ep.addr, ep.port, ep.addr, cport);
    t.stop();
    close(held);
}

// Two network namespaces joined by a veth pair, removed on destruction.
class NetnsPair {
public:
    NetnsPair()
    {
        std::string id = std::to_string(getpid() % 100000);
        a_ = "tt-net-a-" + id;
        b_ = "tt-net-b-" + id;
        subnet_ = "10.200." + std::to_string(getpid() % 250 + 1);
        std::string va = "tta" + id, vb = "ttb" + id;
        sh("ip netns add " + a_);
        sh("ip netns add " + b_);
        sh("ip link add " + va + " netns " + a_ + " type veth peer name " + vb + " netns " + b_);
        sh("ip -n " + a_ + " addr add " + addr_a() + "/24 dev " + va);
        sh("ip -n " + b_ + " addr add " + addr_b() + "/24 dev " + vb);
        sh("ip -n " + a_ + " link set " + va + " up");
        sh("ip -n " + b_ + " link set " + vb + " up");
        sh("ip -n " + a_ + " link set lo up");
        sh("ip -n " + b_ + " link set lo up");
    }
    ~NetnsPair()
    {
        run({"ip", "netns", "del", a_});
        run({"ip", "netns", "del", b_});
    }
    std::string addr_a() const { return subnet_ + ".1"; }
    std::string addr_b() const { return subnet_ + ".2"; }
    const std::string& a() const { return a_; }
    const std::string& b() const { return b_; }
    // Runs a shell command line; the test fails if it does.
    static void sh(const std::string& cmd)
    {
        Captured c = capture({"/bin/sh", "-c", cmd});
        REQUIRE_MESSAGE(c.exit.code == 0, std::string(cmd + ": " + c.err));
    }

private:
    std::string a_, b_, subnet_;
};

// Enters a named network namespace (in a child process).
bool enter_netns(const std::string& name)
{
    int fd = open(("/var/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = setns(fd, CLONE_NEWNET) == 0;
    close(fd);
    return ok;
}

}  // namespace

TEST_CASE("net: connect, accept and two closes with exact bytes over IPv4 loopback")
{
    exchange_on_loopback(AF_INET);
}

TEST_CASE("net: connect, accept and two closes with exact bytes over IPv6 loopback")
{
    exchange_on_loopback(AF_INET6);
}

TEST_CASE("net: a refused connect gives ECONNREFUSED and a received reset, IPv4")
{
    refused_on_loopback(AF_INET);
}

TEST_CASE("net: a refused connect gives ECONNREFUSED and a received reset, IPv6")
{
    refused_on_loopback(AF_INET6);
}

TEST_CASE("net: a filtered SYN is retransmitted, dropped with NETFILTER_DROP, and times out")
{
    NetnsPair ns;
    const uint16_t port = 7000 + getpid() % 1000;
    // Namespace b drops every packet to the port at its input hook.
    std::string nft = "ip netns exec " + ns.b() + " nft ";
    NetnsPair::sh(nft + "add table inet tapio_test");
    NetnsPair::sh(nft + "'add chain inet tapio_test input { type filter hook input priority 0; }'");
    NetnsPair::sh(nft + "add rule inet tapio_test input tcp dport " + std::to_string(port) + " drop");
    Endpoint to{AF_INET, ns.addr_b(), port};
    std::string netns_a = ns.a();
    auto connect_body = client(to, 1);  // one SYN retry: ETIMEDOUT after about 3 s
    Child cli([netns_a, connect_body](int rep) {
        if (!enter_netns(netns_a))
            return 20;
        return connect_body(rep);
    });

    Tracer t({"net", "--drops", "--port", std::to_string(port)});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    cli.go();
    long result = cli.reported();
    CHECK(result == -ETIMEDOUT);
    CHECK(cli.wait() == 0);

    auto connect = t.wait_for([](const json& r) { return is_type(r, "net.connect"); });
    REQUIRE(connect);
    CHECK((*connect)["pid"] == cli.pid());
    CHECK((*connect)["error"] == "ETIMEDOUT");
    long cport = (*connect)["sport"].get<long>();
    check_addrs(*connect, "ipv4", ns.addr_a(), cport, ns.addr_b(), port);

    auto retransmit = t.wait_for([](const json& r) { return is_type(r, "net.retransmit"); });
    REQUIRE(retransmit);
    CHECK((*retransmit)["pid"] == cli.pid());
    CHECK((*retransmit)["state"] == "SYN_SENT");
    check_addrs(*retransmit, "ipv4", ns.addr_a(), cport, ns.addr_b(), port);

    // Dropped on arrival in namespace b, before any socket: local side is b.
    auto drop = t.wait_for([](const json& r) { return is_type(r, "net.drop"); });
    REQUIRE(drop);
    CHECK((*drop)["reason"] == "NETFILTER_DROP");
    CHECK((*drop)["protocol"] == "tcp");
    CHECK((*drop)["direction"] == "in");
    check_addrs(*drop, "ipv4", ns.addr_b(), port, ns.addr_a(), cport);
    t.stop();
    // The SYN and its one retransmission, both dropped.
    // Every SYN is dropped: the first and each retransmission (how many the
    // kernel sends before ETIMEDOUT depends on its SYN timeout policy).
    size_t drops = t.all([](const json& r) { return is_type(r, "net.drop"); }).size();
    size_t retransmits = t.all([](const json& r) { return is_type(r, "net.retransmit"); }).size();
    CHECK(retransmits >= 1);
    CHECK(drops == retransmits + 1);
}

TEST_CASE("net: --port keeps only connections on that port")
{
    Endpoint wanted{AF_INET, "127.0.0.1", 0}, other{AF_INET, "127.0.0.1", 0};
    int lw = bound_socket(wanted, true);
    int lo = bound_socket(other, true);
    Child srv_w(server(lw)), srv_o(server(lo));
    close(lw);
    close(lo);
    Child cli_o(client(other)), cli_w(client(wanted));

    Tracer t({"net", "--port", std::to_string(wanted.port)});
    REQUIRE(t.ready());
    srv_o.go();
    cli_o.go();
    REQUIRE(cli_o.reported() > 0);
    CHECK(cli_o.wait() == 0);
    CHECK(srv_o.wait() == 0);
    srv_w.go();
    cli_w.go();
    REQUIRE(cli_w.reported() > 0);
    CHECK(cli_w.wait() == 0);
    CHECK(srv_w.wait() == 0);
    REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "net.close") && r["pid"] == srv_w.pid(); }));
    REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "net.close") && r["pid"] == cli_w.pid(); }));
    t.stop();
    auto records = t.all([](const json& r) { return r.value("type", "").rfind("net.", 0) == 0; });
    CHECK(records.size() == 4);  // connect, accept, two closes
    for (const auto& r : records)
        CHECK_MESSAGE((r["sport"] == wanted.port || r["dport"] == wanted.port), r.dump());
}

TEST_CASE("net: -p keeps only the records of that process")
{
    Endpoint ep{AF_INET, "127.0.0.1", 0};
    int lfd = bound_socket(ep, true);
    Child srv([lfd](int rep) {
        // Two connections, one after the other.
        int a = server(lfd)(rep);
        return a ? a : server(lfd)(rep);
    });
    close(lfd);
    Child first(client(ep)), second(client(ep));

    Tracer t({"net", "-p", std::to_string(second.pid()), "--port", std::to_string(ep.port)});
    REQUIRE(t.ready());
    srv.go();
    first.go();
    REQUIRE(first.reported() > 0);
    CHECK(first.wait() == 0);
    second.go();
    long cport = second.reported();
    REQUIRE(cport > 0);
    CHECK(second.wait() == 0);
    CHECK(srv.wait() == 0);
    auto close_rec = t.wait_for([&](const json& r) { return is_type(r, "net.close"); });
    REQUIRE(close_rec);
    CHECK((*close_rec)["sport"] == cport);
    auto connect = t.wait_for([&](const json& r) { return is_type(r, "net.connect"); });
    REQUIRE(connect);
    CHECK((*connect)["sport"] == cport);
    t.stop();
    auto records = t.all([](const json& r) { return r.value("type", "").rfind("net.", 0) == 0; });
    CHECK(records.size() == 2);  // its connect and its close: not the server's, not the first client's
    for (const auto& r : records)
        CHECK_MESSAGE(r["pid"] == second.pid(), r.dump());
}

TEST_CASE("net: -x keeps failed connects and drops successful ones")
{
    Endpoint ok{AF_INET, "127.0.0.1", 0}, closed{AF_INET, "127.0.0.1", 0};
    int lfd = bound_socket(ok, true);
    int held = bound_socket(closed, false);
    Child srv(server(lfd));
    close(lfd);
    Child good(client(ok)), bad(client(closed));

    Tracer t({"net", "-x"});
    REQUIRE(t.ready());
    srv.go();
    good.go();
    REQUIRE(good.reported() > 0);
    CHECK(good.wait() == 0);
    CHECK(srv.wait() == 0);
    bad.go();
    CHECK(bad.reported() == -ECONNREFUSED);
    CHECK(bad.wait() == 0);
    REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "net.connect") && r["pid"] == bad.pid(); }));
    t.stop();
    auto mine = [&](const json& r) {
        return r["pid"] == good.pid() || r["pid"] == srv.pid() || r["dport"] == ok.port || r["sport"] == ok.port;
    };
    CHECK(t.all([&](const json& r) { return is_type(r, "net.connect") && mine(r); }).empty());
    CHECK(t.all([&](const json& r) { return is_type(r, "net.accept") && mine(r); }).empty());
    CHECK(t.all([&](const json& r) { return is_type(r, "net.close"); }).empty());
    close(held);
}

TEST_CASE("net: --states reports every transition of a connection by name")
{
    Endpoint ep{AF_INET, "127.0.0.1", 0};
    int lfd = bound_socket(ep, true);
    Child srv(server(lfd));
    close(lfd);
    Child cli(client(ep));

    Tracer t({"net", "--states", "-p", std::to_string(cli.pid())});
    REQUIRE(t.ready());
    srv.go();
    cli.go();
    long cport = cli.reported();
    REQUIRE(cport > 0);
    CHECK(cli.wait() == 0);
    CHECK(srv.wait() == 0);
    REQUIRE(t.wait_for([](const json& r) { return is_type(r, "net.state") && r["new_state"] == "CLOSE"; }));
    t.stop();
    std::vector<std::pair<std::string, std::string>> seen;
    for (const auto& r : t.all([](const json& r) { return is_type(r, "net.state"); })) {
        CHECK(r["pid"] == cli.pid());
        seen.emplace_back(r["old_state"], r["new_state"]);
    }
    // The server closes first: the client goes through CLOSE_WAIT and LAST_ACK.
    std::vector<std::pair<std::string, std::string>> expected = {{"CLOSE", "SYN_SENT"},
                                                                 {"SYN_SENT", "ESTABLISHED"},
                                                                 {"ESTABLISHED", "CLOSE_WAIT"},
                                                                 {"CLOSE_WAIT", "LAST_ACK"},
                                                                 {"LAST_ACK", "CLOSE"}};
    CHECK(seen == expected);
}

TEST_CASE("net: -6 --rport keeps only IPv6 connections to that remote port")
{
    Endpoint e4{AF_INET, "127.0.0.1", 0}, e6{AF_INET6, "::1", 0}, e6_other{AF_INET6, "::1", 0};
    int held6 = bound_socket(e6, false);
    e4.port = e6.port;  // ::1 and 127.0.0.1 can hold the same port number
    int held4 = bound_socket(e4, false);
    int held6_other = bound_socket(e6_other, false);
    // IPv4 to the port asked for, IPv6 to another port, IPv6 to the port asked for.
    Child c4(client(e4)), c6_other(client(e6_other)), c6(client(e6));

    Tracer t({"net", "-6", "--rport", std::to_string(e6.port), "-p", std::to_string(c4.pid()), "-p",
              std::to_string(c6.pid()), "-p", std::to_string(c6_other.pid())});
    REQUIRE(t.ready());
    c4.go();
    CHECK(c4.reported() == -ECONNREFUSED);
    CHECK(c4.wait() == 0);
    c6_other.go();
    CHECK(c6_other.reported() == -ECONNREFUSED);
    CHECK(c6_other.wait() == 0);
    c6.go();
    CHECK(c6.reported() == -ECONNREFUSED);
    CHECK(c6.wait() == 0);
    REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "net.connect") && r["pid"] == c6.pid(); }));
    REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "net.reset") && r["pid"] == c6.pid(); }));
    t.stop();
    auto records = t.all([](const json& r) { return r.value("type", "").rfind("net.", 0) == 0; });
    CHECK(records.size() == 2);
    for (const auto& r : records) {
        CHECK_MESSAGE(r["pid"] == c6.pid(), r.dump());
        CHECK(r["family"] == "ipv6");
        CHECK(r["dport"] == e6.port);
    }
    close(held4);
    close(held6);
    close(held6_other);
}

TEST_CASE("net: the table shows a refused connect and both resets, then -n stops it")
{
    Endpoint ep{AF_INET, "127.0.0.1", 0};
    int held = bound_socket(ep, false);
    Child cli(client(ep));

    // Three records: the kernel's RST (sent), its arrival (received), the failed connect.
    Tracer t({"net", "--port", std::to_string(ep.port), "-n", "3"}, /*json=*/false);
    REQUIRE(t.ready());
    cli.go();
    CHECK(cli.reported() == -ECONNREFUSED);
    CHECK(cli.wait() == 0);
    CHECK(t.wait_exit().code == 0);
    close(held);

    auto lines = t.stdout_lines();
    REQUIRE(lines.size() == 4);
    CHECK(lines[0].rfind("TIME", 0) == 0);
    std::string port = std::to_string(ep.port);
    std::string pid = std::to_string(cli.pid());
    int sent = 0, received = 0, connects = 0;
    for (size_t i = 1; i < lines.size(); ++i) {
        const std::string& l = lines[i];
        if (l.find("net.reset") != std::string::npos && l.find("direction=sent") != std::string::npos) {
            ++sent;
            CHECK(l.find("saddr=127.0.0.1 sport=" + port + " ") != std::string::npos);
        } else if (l.find("net.reset") != std::string::npos && l.find("direction=received") != std::string::npos) {
            ++received;
            CHECK(l.find(" " + pid + " ") != std::string::npos);
            CHECK(l.find("state=SYN_SENT") != std::string::npos);
        } else if (l.find("net.connect") != std::string::npos) {
            ++connects;
            CHECK(l.find(" " + pid + " ") != std::string::npos);
            CHECK(l.find("daddr=127.0.0.1 dport=" + port + " ") != std::string::npos);
            CHECK(l.find("error=ECONNREFUSED") != std::string::npos);
        }
    }
    CHECK(sent == 1);
    CHECK(received == 1);
    CHECK(connects == 1);
}

TEST_CASE("net: a packet dropped on its way out belongs to the connecting process")
{
    std::string name = "tt-net-out-" + std::to_string(getpid());
    NetnsPair::sh("ip netns add " + name);
    struct Cleanup {
        std::string name;
        ~Cleanup() { run({"ip", "netns", "del", name}); }
    } cleanup{name};
    const uint16_t port = 9000 + getpid() % 1000;
    std::string in_ns = "ip netns exec " + name + " ";
    NetnsPair::sh("ip -n " + name + " link set lo up");
    NetnsPair::sh(in_ns + "nft add table inet tapio_test");
    NetnsPair::sh(in_ns + "nft 'add chain inet tapio_test output { type filter hook output priority 0; }'");
    NetnsPair::sh(in_ns + "nft add rule inet tapio_test output tcp dport " + std::to_string(port) + " drop");
    auto connect_body = client(Endpoint{AF_INET, "127.0.0.1", port}, 1);
    Child cli([name, connect_body](int rep) {
        if (!enter_netns(name))
            return 20;
        return connect_body(rep);
    });

    Tracer t({"net", "--drops", "--port", std::to_string(port), "-p", std::to_string(cli.pid())});
    REQUIRE(t.ready());
    cli.go();
    CHECK(cli.reported() == -ETIMEDOUT);
    CHECK(cli.wait() == 0);
    auto connect = t.wait_for([](const json& r) { return is_type(r, "net.connect"); });
    REQUIRE(connect);
    CHECK((*connect)["error"] == "ETIMEDOUT");
    long cport = (*connect)["sport"].get<long>();
    t.stop();
    auto drops = t.all([](const json& r) { return is_type(r, "net.drop"); });
    auto retransmits = t.all([](const json& r) { return is_type(r, "net.retransmit"); });
    CHECK(retransmits.size() >= 1);
    CHECK(drops.size() == retransmits.size() + 1);
    for (const auto& d : drops) {
        CHECK(d["pid"] == cli.pid());
        CHECK(d["direction"] == "out");
        CHECK(d["reason"] == "NETFILTER_DROP");
        check_addrs(d, "ipv4", "127.0.0.1", cport, "127.0.0.1", port);
    }
    for (const auto& r : retransmits) {
        CHECK(r["pid"] == cli.pid());
        CHECK(r["state"] == "SYN_SENT");
        CHECK(r["error"] == "EPERM");  // the output hook refused the segment
    }
}

TEST_CASE("net: --lport keeps the server's side, --rport the client's")
{
    for (const char* flag : {"--lport", "--rport"}) {
        CAPTURE(flag);
        Endpoint ep{AF_INET, "127.0.0.1", 0};
        int lfd = bound_socket(ep, true);
        Child srv(server(lfd));
        close(lfd);
        Child cli(client(ep));

        Tracer t({"net", flag, std::to_string(ep.port)});
        REQUIRE(t.ready());
        srv.go();
        cli.go();
        REQUIRE(cli.reported() > 0);
        CHECK(cli.wait() == 0);
        CHECK(srv.wait() == 0);
        bool local = std::string(flag) == "--lport";
        pid_t side = local ? srv.pid() : cli.pid();
        REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "net.close") && r["pid"] == side; }));
        t.stop();
        auto records = t.all([](const json& r) { return r.value("type", "").rfind("net.", 0) == 0; });
        CHECK(records.size() == 2);  // accept and close, or connect and close
        for (const auto& r : records) {
            CHECK_MESSAGE(r["pid"] == side, r.dump());
            CHECK(r[local ? "sport" : "dport"] == ep.port);
        }
        CHECK(t.all([&](const json& r) { return is_type(r, local ? "net.accept" : "net.connect"); }).size() == 1);
    }
}
