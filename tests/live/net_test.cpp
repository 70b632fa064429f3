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
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "harness.h"

using namespace live;

namespace {

constexpr size_t request_size = 12345;
constexpr size_t response_size = 54321;

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
        subnet6_ = "fd00:7474:" + std::to_string(getpid() % 10000);
        std::string va = "tta" + id, vb = "ttb" + id;
        sh("ip netns add " + a_);
        sh("ip netns add " + b_);
        sh("ip link add " + va + " netns " + a_ + " type veth peer name " + vb + " netns " + b_);
        sh("ip -n " + a_ + " addr add " + addr_a() + "/24 dev " + va);
        sh("ip -n " + b_ + " addr add " + addr_b() + "/24 dev " + vb);
        sh("ip -n " + a_ + " addr add " + addr6_a() + "/64 dev " + va + " nodad");
        sh("ip -n " + b_ + " addr add " + addr6_b() + "/64 dev " + vb + " nodad");
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
    std::string addr6_a() const { return subnet6_ + "::1"; }
    std::string addr6_b() const { return subnet6_ + "::2"; }
    const std::string& a() const { return a_; }
    const std::string& b() const { return b_; }
    // Runs a shell command line; the test fails if it does.
    static void sh(const std::string& cmd)
    {
        Captured c = capture({"/bin/sh", "-c", cmd});
        REQUIRE_MESSAGE(c.exit.code == 0, std::string(cmd + ": " + c.err));
    }

private:
    std::string a_, b_, subnet_, subnet6_;
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

// ---- The ground-truth TCP suite ----
//
// Workloads that know exactly what they did (bytes each way, who closed
// first, who sent a RST), run under one tracer, every record compared field
// by field. One scenario per (close order, address family, path).

constexpr size_t truth_request = 1024;   // client to server
constexpr size_t truth_response = 1000;  // server to client: different, so swaps show

enum class Order {
    client_first,   // client reads the response, closes; the server closes 200 ms later
    server_first,   // server answers and closes; the client closes 200 ms after EOF
    both,           // both close at the same moment
    client_abort,   // the client closes with SO_LINGER 0: a RST
    server_abort,   // the server closes with SO_LINGER 0: a RST
    client_unread,  // the client closes with the response unread: a RST
    half_close,     // the client shuts down its sending side, then the server answers
};

const char* order_name(Order o)
{
    switch (o) {
        case Order::client_first: return "client_first";
        case Order::server_first: return "server_first";
        case Order::both: return "both";
        case Order::client_abort: return "client_abort";
        case Order::server_abort: return "server_abort";
        case Order::client_unread: return "client_unread";
        case Order::half_close: return "half_close";
    }
    return "?";
}

enum class Family { ipv4, ipv6, mapped };  // mapped: AF_INET6 sockets on ::ffff:a.b.c.d

const char* family_label(Family f)
{
    return f == Family::ipv4 ? "ipv4" : f == Family::ipv6 ? "ipv6" : "mapped";
}

// Opens and closes a netns for the calling thread, for creating sockets in it.
class InNetns {
public:
    explicit InNetns(const std::string& name)
    {
        if (name.empty())
            return;
        self_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        REQUIRE(self_ >= 0);
        REQUIRE(enter_netns(name));
    }
    ~InNetns()
    {
        if (self_ >= 0) {
            setns(self_, CLONE_NEWNET);
            close(self_);
        }
    }

private:
    int self_ = -1;
};

struct SyncPipe {
    int r = -1, w = -1;
    SyncPipe()
    {
        int fds[2];
        REQUIRE(pipe(fds) == 0);
        r = fds[0];
        w = fds[1];
    }
    ~SyncPipe()
    {
        close(r);
        close(w);
    }
    void signal(size_t n = 1) const
    {
        for (size_t i = 0; i < n; ++i)
            (void)!write(w, "x", 1);
    }
    bool wait() const
    {
        char c;
        return read(r, &c, 1) == 1;
    }
};

size_t read_exact(int fd, size_t want)
{
    char buf[4096];
    size_t total = 0;
    while (total < want) {
        ssize_t n = read(fd, buf, std::min(sizeof(buf), want - total));
        if (n <= 0)
            break;
        total += static_cast<size_t>(n);
    }
    return total;
}

bool read_eof(int fd)
{
    char c;
    return read(fd, &c, 1) == 0;
}

bool read_reset(int fd)
{
    char c;
    return read(fd, &c, 1) < 0 && errno == ECONNRESET;
}

bool abort_close(int fd)
{
    linger l{1, 0};
    bool ok = setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) == 0;
    close(fd);
    return ok;
}

void pause_200ms()
{
    usleep(200 * 1000);
}

// The client's half of a scenario on an unconnected socket; exit code 0 when
// everything went as the scenario says.
int truth_client(Order order, int fd, const sockaddr_storage& to, socklen_t to_len, int rep, const SyncPipe& barrier,
                 const SyncPipe& c2s)
{
    if (connect(fd, reinterpret_cast<const sockaddr*>(&to), to_len) != 0)
        return 30;
    report(rep, local_port(fd));
    std::string request(truth_request, 'q');
    if (!write_all(fd, request.data(), request.size()))
        return 31;
    if (order == Order::half_close && shutdown(fd, SHUT_WR) != 0)
        return 32;
    if (order == Order::client_unread) {
        // Wait until the whole response is here, read none of it, close.
        std::string buf(truth_response, '\0');
        if (recv(fd, buf.data(), buf.size(), MSG_PEEK | MSG_WAITALL) != static_cast<ssize_t>(truth_response))
            return 33;
        close(fd);
        return 0;
    }
    if (read_exact(fd, truth_response) != truth_response)
        return 34;
    switch (order) {
        case Order::client_first: close(fd); return 0;
        case Order::server_first:
            if (!read_eof(fd))
                return 35;
            pause_200ms();
            close(fd);
            return 0;
        case Order::both:
            report(rep, 1);
            if (!barrier.wait())
                return 36;
            close(fd);
            return 0;
        case Order::client_abort: return abort_close(fd) ? 0 : 37;
        case Order::server_abort:
            c2s.signal();
            if (!read_reset(fd))
                return 38;
            close(fd);
            return 0;
        case Order::half_close:
            if (!read_eof(fd))
                return 39;
            close(fd);
            return 0;
        case Order::client_unread: break;
    }
    return 40;
}

int truth_server(Order order, int lfd, int rep, const SyncPipe& barrier, const SyncPipe& c2s)
{
    int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0)
        return 50;
    close(lfd);
    if (read_exact(fd, truth_request) != truth_request)
        return 51;
    if (order == Order::half_close && !read_eof(fd))
        return 52;
    std::string response(truth_response, 'r');
    if (!write_all(fd, response.data(), response.size()))
        return 53;
    switch (order) {
        case Order::client_first:
            if (!read_eof(fd))
                return 54;
            pause_200ms();
            close(fd);
            return 0;
        case Order::server_first:
        case Order::half_close: close(fd); return 0;
        case Order::both:
            report(rep, 1);
            if (!barrier.wait())
                return 55;
            close(fd);
            return 0;
        case Order::client_abort:
        case Order::client_unread:
            if (!read_reset(fd))
                return 56;
            close(fd);
            return 0;
        case Order::server_abort:
            if (!c2s.wait())
                return 57;
            return abort_close(fd) ? 0 : 58;
    }
    return 59;
}

// Where a scenario runs: loopback in this namespace, or a veth pair.
struct Path {
    std::string label;
    std::string client_ns, server_ns;  // empty: this namespace
    std::string client_v4, server_v4, client_v6, server_v6;
};

// What one scenario did, to be checked against the records.
struct Scenario {
    Order order;
    Family family;
    std::string path;
    pid_t client_pid = 0, server_pid = 0;
    long client_port = 0, server_port = 0;
    std::string client_addr, server_addr;  // as the records must show them
    const char* reported_family = "ipv4";
};

// Runs one scenario to completion; REQUIREs that the workload itself did
// what it says.
Scenario run_scenario(Order order, Family family, const Path& path)
{
    Scenario s{order, family, path.label};
    bool v6 = family != Family::ipv4;
    std::string server_ip = family == Family::ipv4   ? path.server_v4
                            : family == Family::ipv6 ? path.server_v6
                                                     : "::ffff:" + path.server_v4;
    int sock_family = v6 ? AF_INET6 : AF_INET;
    s.reported_family = family == Family::ipv6 ? "ipv6" : "ipv4";
    s.server_addr = family == Family::ipv6 ? path.server_v6 : path.server_v4;
    s.client_addr = family == Family::ipv6 ? path.client_v6 : path.client_v4;

    Endpoint ep{sock_family, server_ip, 0};
    int lfd, cfd;
    {
        InNetns in(path.server_ns);
        lfd = bound_socket(ep, true);
    }
    {
        InNetns in(path.client_ns);
        cfd = socket(sock_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(cfd >= 0);
    }
    sockaddr_storage to;
    socklen_t to_len = fill_sockaddr(ep, to);
    SyncPipe barrier, c2s;
    // Each child holds only its own socket: a copy left in the other would keep it open.
    Child srv([&](int rep) {
        close(cfd);
        return truth_server(order, lfd, rep, barrier, c2s);
    });
    Child cli([&](int rep) {
        close(lfd);
        return truth_client(order, cfd, to, to_len, rep, barrier, c2s);
    });
    close(lfd);
    close(cfd);
    srv.go();
    cli.go();
    s.client_port = cli.reported();
    REQUIRE(s.client_port > 0);
    s.server_port = ep.port;
    if (order == Order::both) {
        REQUIRE(cli.reported() == 1);
        REQUIRE(srv.reported() == 1);
        barrier.signal(2);
    }
    s.client_pid = cli.pid();
    s.server_pid = srv.pid();
    REQUIRE(cli.wait() == 0);
    REQUIRE(srv.wait() == 0);
    return s;
}

bool on_connection(const json& r, const Scenario& s)
{
    if (!r.contains("sport") || !r.contains("dport"))
        return false;
    long sp = r["sport"].get<long>(), dp = r["dport"].get<long>();
    return (sp == s.client_port && dp == s.server_port) || (sp == s.server_port && dp == s.client_port);
}

bool client_side(const json& r, const Scenario& s)
{
    return r["sport"] == s.client_port && r["dport"] == s.server_port;
}

void check_side(const json& r, const Scenario& s, bool client)
{
    CHECK(r["family"] == s.reported_family);
    CHECK(r["saddr"] == (client ? s.client_addr : s.server_addr));
    CHECK(r["daddr"] == (client ? s.server_addr : s.client_addr));
}

// Checks every record of one scenario. Call after the tracer stopped.
// all_types: the tracer wrote every net type; otherwise (-e net.close) only
// the closes, which must be just as right.
void check_scenario(const Tracer& t, const Scenario& s, bool all_types = true)
{
    INFO("scenario ", std::string(order_name(s.order)), " ", std::string(family_label(s.family)), " over ", s.path,
         ", client ", s.client_pid, ":", s.client_port, ", server ", s.server_pid, ":", s.server_port);
    auto recs = t.all([&](const json& r) { return on_connection(r, s); });
    std::string dump;
    for (const auto& r : recs)
        dump += r.dump() + "\n";
    INFO("records:\n", dump);

    auto of = [&](const char* type) {
        std::vector<json> v;
        for (const auto& r : recs)
            if (is_type(r, type))
                v.push_back(r);
        return v;
    };
    auto connects = of("net.connect"), accepts = of("net.accept"), closes = of("net.close"), resets = of("net.reset"),
         drops = of("net.drop");
    if (all_types) {
        REQUIRE(connects.size() == 1);
        CHECK(connects[0]["pid"] == s.client_pid);
        CHECK(client_side(connects[0], s));
        check_side(connects[0], s, true);
        REQUIRE(accepts.size() == 1);
        CHECK(accepts[0]["pid"] == s.server_pid);
        CHECK_FALSE(client_side(accepts[0], s));
        check_side(accepts[0], s, false);
    } else {
        CHECK(connects.empty());
        CHECK(accepts.empty());
    }
    // Orderly closes and aborts free nothing that was lost on the way.
    CHECK(drops.empty());

    REQUIRE(closes.size() == 2);
    const json& c = client_side(closes[0], s) ? closes[0] : closes[1];
    const json& v = client_side(closes[0], s) ? closes[1] : closes[0];
    REQUIRE(client_side(c, s));
    REQUIRE_FALSE(client_side(v, s));
    check_side(c, s, true);
    check_side(v, s, false);
    CHECK(c["role"] == "client");
    CHECK(v["role"] == "server");
    CHECK(c["pid"] == s.client_pid);
    CHECK(v["pid"] == s.server_pid);
    CHECK(c["bytes_sent"] == truth_request);
    CHECK(c["bytes_received"] == truth_response);
    CHECK(v["bytes_sent"] == truth_response);
    CHECK(v["bytes_received"] == truth_request);
    CHECK(c["retransmits"] == 0);
    CHECK(v["retransmits"] == 0);

    // Who closed, and which process closed each end (null: it never sent a FIN or RST).
    json client_closer = s.client_pid, server_closer = s.server_pid, none = nullptr;
    pid_t reset_from = 0, reset_to = 0;
    switch (s.order) {
        case Order::client_first:
        case Order::half_close:
            CHECK(c["closed_by"] == "local");
            CHECK(v["closed_by"] == "remote");
            break;
        case Order::server_first:
            CHECK(c["closed_by"] == "remote");
            CHECK(v["closed_by"] == "local");
            break;
        case Order::both:
            // Simultaneous: both local, or one FIN was in first.
            CHECK(c["closed_by"] != nullptr);
            CHECK(v["closed_by"] != nullptr);
            CHECK_FALSE((c["closed_by"] == "remote" && v["closed_by"] == "remote"));
            CHECK((c["closed_by"] == "local" || v["closed_by"] == "local"));
            break;
        case Order::client_abort:
        case Order::client_unread:
            CHECK(c["closed_by"] == "reset_sent");
            CHECK(v["closed_by"] == "reset_received");
            server_closer = none;
            reset_from = s.client_pid;
            reset_to = s.server_pid;
            break;
        case Order::server_abort:
            CHECK(c["closed_by"] == "reset_received");
            CHECK(v["closed_by"] == "reset_sent");
            client_closer = none;
            reset_from = s.server_pid;
            reset_to = s.client_pid;
            break;
    }
    CHECK(c["closer_pid"] == client_closer);
    CHECK(v["closer_pid"] == server_closer);

    if (!all_types) {
        CHECK(resets.empty());
        return;
    }
    if (!reset_from) {
        CHECK(resets.empty());
        return;
    }
    REQUIRE(resets.size() == 2);
    const json& sent = resets[0]["direction"] == "sent" ? resets[0] : resets[1];
    const json& received = resets[0]["direction"] == "sent" ? resets[1] : resets[0];
    REQUIRE(sent["direction"] == "sent");
    REQUIRE(received["direction"] == "received");
    bool client_sent = reset_from == s.client_pid;
    // The RST came from the process that closed: attributed to it.
    CHECK(sent["pid"] == reset_from);
    CHECK(sent["comm"] != "");
    CHECK(client_side(sent, s) == client_sent);
    check_side(sent, s, client_sent);
    CHECK(received["pid"] == reset_to);
    CHECK(client_side(received, s) == !client_sent);
    check_side(received, s, !client_sent);
    CHECK(received["state"] == "ESTABLISHED");
}

constexpr Order all_orders[] = {Order::client_first, Order::server_first,  Order::both,      Order::client_abort,
                                Order::server_abort, Order::client_unread, Order::half_close};
constexpr Family all_families[] = {Family::ipv4, Family::ipv6, Family::mapped};

// TT_NET_TRUTH_LOOPS=N runs the matrix N times (to hunt races); once by default.
int truth_loops()
{
    const char* v = getenv("TT_NET_TRUTH_LOOPS");
    int n = v ? atoi(v) : 1;
    return n > 0 ? n : 1;
}

// Every close order and family over one path, under one tracer, then every
// record checked.
// args: the tracer's command line; with -e net.close only the closes are
// written, and they must come out the same.
void run_truth_matrix(const Path& path, std::vector<std::string> args = {"net", "--drops"})
{
    bool all_types = std::find(args.begin(), args.end(), "-e") == args.end();
    Tracer t(args);
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    std::vector<Scenario> done;
    for (int loop = 0; loop < truth_loops(); ++loop) {
        for (Family f : all_families) {
            for (Order o : all_orders) {
                std::string scenario = std::string(order_name(o)) + " " + family_label(f);
                CAPTURE(scenario);
                done.push_back(run_scenario(o, f, path));
                const Scenario& s = done.back();
                // Both closes are in before the next scenario starts.
                for (bool client : {true, false}) {
                    bool seen =
                        t.wait_for([&](const json& r) {
                             return is_type(r, "net.close") && on_connection(r, s) && client_side(r, s) == client;
                         }).has_value();
                    if (!seen) {
                        std::string dump;
                        for (const auto& r :
                             t.all([&](const json& r) { return on_connection(r, s) || is_type(r, "tapio.dropped"); }))
                            dump += r.dump() + "\n";
                        FAIL("no net.close from the ", client ? "client" : "server", " (client ", s.client_pid, ":",
                             s.client_port, ", server ", s.server_pid, ":", s.server_port, "); records:\n", dump,
                             t.stderr_text());
                    }
                }
            }
        }
    }
    t.stop();
    for (const auto& s : done)
        check_scenario(t, s, all_types);
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
    // One area: EVENT is reset or connect; the peer first, "local" last.
    for (size_t i = 1; i < lines.size(); ++i) {
        const std::string& l = lines[i];
        if (l.find(" reset ") != std::string::npos && l.find(" RST sent ") != std::string::npos) {
            ++sent;
            CHECK(l.find(" local 127.0.0.1:" + port) != std::string::npos);
        } else if (l.find(" reset ") != std::string::npos && l.find(" RST received ") != std::string::npos) {
            ++received;
            CHECK(l.find(" " + pid + " ") != std::string::npos);
            CHECK(l.find(" SYN_SENT ") != std::string::npos);
        } else if (l.find(" connect ") != std::string::npos) {
            ++connects;
            CHECK(l.find(" " + pid + " ") != std::string::npos);
            CHECK(l.find(" 127.0.0.1:" + port + " ") != std::string::npos);
            CHECK(l.find(" ECONNREFUSED ") != std::string::npos);
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
    if (!connect) {
        t.stop();
        std::string seen;
        for (const auto& line : t.stdout_lines())
            seen += line + "\n";
        FAIL("no net.connect; stdout:\n", seen, "stderr:\n", t.stderr_text());
    }
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

TEST_CASE("net: ground truth over loopback: every close order, IPv4, IPv6 and IPv4-mapped, both ends exact")
{
    run_truth_matrix(Path{"loopback", "", "", "127.0.0.1", "127.0.0.1", "::1", "::1"});
}

TEST_CASE("net: -e net.close: the closes alone are as right as with every type (resets still end them)")
{
    run_truth_matrix(Path{"loopback", "", "", "127.0.0.1", "127.0.0.1", "::1", "::1"}, {"net", "-e", "net.close"});
}

TEST_CASE("net: ground truth across a veth pair: every close order, IPv4, IPv6 and IPv4-mapped, both ends exact")
{
    NetnsPair ns;
    run_truth_matrix(Path{"veth", ns.a(), ns.b(), ns.addr_a(), ns.addr_b(), ns.addr6_a(), ns.addr6_b()});
}

TEST_CASE("net: a full socket table counts map_full, keeps the connections it holds, and frees every entry at close")
{
    // 4 entries: the client and server ends of two loopback connections.
    setenv("TAPIO_MAP_ENTRIES", "4", 1);
    Tracer t({"net"});
    unsetenv("TAPIO_MAP_ENTRIES");
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());

    Endpoint ep{AF_INET, "127.0.0.1", 0};
    int lfd = bound_socket(ep, true);
    struct Conn {
        int client = -1, server = -1;
        long port = 0;
    };
    // Opens n connections one after the other, each accepted, each with
    // 100 + i bytes from client to server.
    auto open_conns = [&](size_t n) {
        std::vector<Conn> conns;
        for (size_t i = 0; i < n; ++i) {
            Conn c;
            c.client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            REQUIRE(c.client >= 0);
            sockaddr_storage ss;
            socklen_t len = fill_sockaddr(ep, ss);
            REQUIRE(connect(c.client, reinterpret_cast<sockaddr*>(&ss), len) == 0);
            c.server = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
            REQUIRE(c.server >= 0);
            c.port = local_port(c.client);
            std::string data(100 + i, 'm');
            REQUIRE(write_all(c.client, data.data(), data.size()));
            REQUIRE(read_exact(c.server, data.size()) == data.size());
            conns.push_back(c);
        }
        return conns;
    };
    // Client closes first; the server closes after reading EOF.
    auto close_conns = [&](std::vector<Conn>& conns) {
        for (auto& c : conns) {
            close(c.client);
            CHECK(read_eof(c.server));
            close(c.server);
        }
    };
    auto check_tracked = [&](const std::vector<Conn>& conns, size_t n) {
        for (size_t i = 0; i < n; ++i) {
            CAPTURE(i);
            long port = conns[i].port;
            auto client_close =
                t.wait_for([&](const json& r) { return is_type(r, "net.close") && r["sport"] == port; });
            auto server_close =
                t.wait_for([&](const json& r) { return is_type(r, "net.close") && r["dport"] == port; });
            REQUIRE(client_close);
            REQUIRE(server_close);
            CHECK((*client_close)["pid"] == getpid());
            CHECK((*client_close)["bytes_sent"] == 100 + i);
            CHECK((*client_close)["bytes_received"] == 0);
            CHECK((*client_close)["closed_by"] == "local");
            CHECK((*server_close)["pid"] == getpid());
            CHECK((*server_close)["bytes_received"] == 100 + i);
            CHECK((*server_close)["closed_by"] == "remote");
        }
    };

    // Six connections at once: the first two fill the table, the other four
    // are counted, not tracked.
    auto first = open_conns(6);
    auto dropped = t.wait_for(
        [](const json& r) { return is_type(r, "tapio.dropped") && r["map_full"].value("net.connect", 0) > 0; });
    REQUIRE(dropped);
    CHECK((*dropped)["map_full"]["net.connect"].get<long>() >= 4);
    CHECK((*dropped)["map_full"]["net.accept"].get<long>() >= 4);
    close_conns(first);
    check_tracked(first, 2);
    for (size_t i = 2; i < first.size(); ++i) {
        long port = first[i].port;
        CHECK(t.all([&](const json& r) { return r["sport"] == port || r["dport"] == port; }).empty());
    }

    // Two connections nobody accepts, then the listener goes: the kernel
    // resets them. Their entries must go too.
    {
        Endpoint ep2{AF_INET, "127.0.0.1", 0};
        int l2 = bound_socket(ep2, true);
        int a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), b = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_storage ss;
        socklen_t len = fill_sockaddr(ep2, ss);
        REQUIRE(connect(a, reinterpret_cast<sockaddr*>(&ss), len) == 0);
        REQUIRE(connect(b, reinterpret_cast<sockaddr*>(&ss), len) == 0);
        long pa = local_port(a);
        close(l2);
        CHECK(read_reset(a));
        CHECK(read_reset(b));
        close(a);
        close(b);
        auto reset = t.wait_for([&](const json& r) { return is_type(r, "net.close") && r["sport"] == pa; });
        REQUIRE(reset);
        CHECK((*reset)["closed_by"] == "reset_received");
    }

    // An abortive close (SO_LINGER 0) on a tracked connection.
    {
        auto aborted = open_conns(1);
        REQUIRE(abort_close(aborted[0].client));
        CHECK(read_reset(aborted[0].server));
        close(aborted[0].server);
        long port = aborted[0].port;
        auto c = t.wait_for([&](const json& r) { return is_type(r, "net.close") && r["sport"] == port; });
        REQUIRE(c);
        CHECK((*c)["closed_by"] == "reset_sent");
    }

    // Every entry was freed: two new connections are tracked again.
    auto second = open_conns(2);
    close_conns(second);
    check_tracked(second, 2);
    close(lfd);
    t.stop();
}
