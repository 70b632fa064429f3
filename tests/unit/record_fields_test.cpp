// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// One test per record type, as falco's driver tests do it: a record built
// the way the BPF side lays it out, and every field the decoder writes after
// the common ones, in order, with its value: nothing missing, nothing extra.
// (The registry check in schema_test covers every variant; this pins values.)
#include <doctest/doctest.h>
#include <arpa/inet.h>

#include <cstring>
#include <set>
#include <string_view>

#include "fixtures.h"

using namespace tapio;
using ojson = nlohmann::ordered_json;

namespace {

// The decoded record without its common fields (ts ... cgroup_id).
template <typename T>
ojson body(const T& rec)
{
    Output out(-1);
    JsonWriter w(out, WallClock(0));
    REQUIRE(decode_record(&rec, sizeof(rec), DecodeOptions{}, w));
    std::string line(out.buffer().data(), out.buffer().size() - 1);
    auto problems = schema_check::line_problems(line);  // a key written twice, too
    CHECK_MESSAGE(problems.empty(), (problems.empty() ? "" : problems.front()));
    ojson all = ojson::parse(line);
    ojson rest = ojson::object();
    // Skips the common fields by name: the optional ones (a container's)
    // are absent here.
    std::set<std::string_view> common;
    for (const Field& f : common_fields())
        common.insert(f.name);
    for (auto it = all.begin(); it != all.end(); ++it)
        if (!common.count(it.key()))
            rest[it.key()] = it.value();
    return rest;
}

void expect(const ojson& got, const char* want)
{
    ojson w = ojson::parse(want);
    CHECK(got.dump() == w.dump());
    CHECK(got.size() == w.size());
}

}  // namespace

TEST_CASE("fields of proc.exec")
{
    auto r = fixtures::make_record<tt_proc_exec>(TT_PROC_EXEC);
    std::strcpy(r.filename, "./run.sh");
    std::strcpy(r.interp, "/bin/sh");
    const char argv[] = "./run.sh\0-x\0a b";
    std::memcpy(r.args, argv, sizeof(argv));
    r.args_size = sizeof(argv);
    r.args_flags = TT_EXEC_HAS_INTERP;
    r.ret = -2;
    expect(body(r), R"({"filename":"./run.sh","filename_truncated":false,"interpreter":"/bin/sh",
        "interpreter_truncated":false,"args":["./run.sh","-x","a b"],"args_truncated":false,
        "args_source":"caller","ret":-2,"error":"ENOENT"})");
}

TEST_CASE("fields of proc.fork")
{
    auto r = fixtures::make_record<tt_proc_fork>(TT_PROC_FORK);
    r.child_pid = 200;
    r.child_tid = 201;
    expect(body(r), R"({"child_pid":200,"child_tid":201})");
}

TEST_CASE("fields of proc.exit")
{
    auto r = fixtures::make_record<tt_proc_exit>(TT_PROC_EXIT);
    r.exit_code = (3 << 8) | 0x80 | 9;
    r.exit_flags = TT_EXIT_THREAD;
    r.duration_ns = 1500;
    expect(body(r), R"({"exit_code":3,"signal":"SIGKILL","core_dumped":true,"duration_ns":1500,"scope":"thread"})");
}

TEST_CASE("fields of proc.signal")
{
    auto r = fixtures::make_record<tt_proc_signal>(TT_PROC_SIGNAL);
    r.target_pid = 10;
    r.target_tid = 11;
    r.sig = 15;
    r.ret = -3;
    expect(body(r), R"({"target_pid":10,"target_tid":11,"signal":"SIGTERM","ret":-3,"error":"ESRCH"})");
}

TEST_CASE("fields of proc.setuid")
{
    auto r = fixtures::make_record<tt_proc_setuid>(TT_PROC_SETUID);
    r.call = TT_SETRESUID;
    r.ruid = 1000;
    r.euid = TT_UID_UNCHANGED;
    r.suid = 0;
    expect(body(r), R"({"call":"setresuid","ruid":1000,"euid":null,"suid":0,"ret":0})");
    r.call = TT_SETUID;
    r.ret = -1;
    expect(body(r), R"({"call":"setuid","target_uid":1000,"ret":-1,"error":"EPERM"})");
}

TEST_CASE("fields of net.connect")
{
    auto r = fixtures::make_record<tt_net_connect>(TT_NET_CONNECT);
    fixtures::v4(r.a, "10.0.0.1", 5000, "10.0.0.2", 80);
    r.latency_ns = 500;
    r.error = -111;
    expect(body(r), R"({"family":"ipv4","saddr":"10.0.0.1","sport":5000,"daddr":"10.0.0.2","dport":80,
        "latency_ns":500,"error":"ECONNREFUSED"})");
}

TEST_CASE("fields of net.accept")
{
    auto r = fixtures::make_record<tt_net_accept>(TT_NET_ACCEPT);
    r.a.family = TT_AF_INET6;
    inet_pton(AF_INET6, "::1", r.a.saddr);
    inet_pton(AF_INET6, "fe80::2", r.a.daddr);
    r.a.sport = 80;
    r.a.dport = 40000;
    r.queue_ns = 7;
    expect(body(r), R"({"family":"ipv6","saddr":"::1","sport":80,"daddr":"fe80::2","dport":40000,"queue_ns":7})");
}

TEST_CASE("fields of net.close")
{
    auto r = fixtures::make_record<tt_net_close>(TT_NET_CLOSE);
    fixtures::v4(r.a, "127.0.0.1", 41000, "127.0.0.1", 8080);
    r.duration_ns = 9000;
    r.bytes_sent = 12;
    r.bytes_received = 3400;
    r.retransmits = 2;
    r.role = TT_NET_ROLE_CLIENT;
    r.closed_by = TT_NET_CLOSED_BY_REMOTE;
    r.closer_pid = 0;
    expect(body(r), R"({"family":"ipv4","saddr":"127.0.0.1","sport":41000,"daddr":"127.0.0.1","dport":8080,
        "duration_ns":9000,"bytes_sent":12,"bytes_received":3400,"retransmits":2,"role":"client",
        "closed_by":"remote","closer_pid":null})");
}

TEST_CASE("fields of net.retransmit")
{
    auto r = fixtures::make_record<tt_net_retransmit>(TT_NET_RETRANSMIT);
    fixtures::v4(r.a, "10.0.0.1", 5000, "10.0.0.2", 80);
    r.state = 1;
    expect(body(r), R"({"family":"ipv4","saddr":"10.0.0.1","sport":5000,"daddr":"10.0.0.2","dport":80,
        "state":"ESTABLISHED"})");
}

TEST_CASE("fields of net.reset")
{
    auto r = fixtures::make_record<tt_net_reset>(TT_NET_RESET);
    fixtures::v4(r.a, "10.0.0.1", 5000, "10.0.0.2", 80);
    r.direction = TT_NET_RESET_SENT;
    r.state = 7;
    expect(body(r), R"({"family":"ipv4","saddr":"10.0.0.1","sport":5000,"daddr":"10.0.0.2","dport":80,
        "direction":"sent","state":"CLOSE"})");
}

TEST_CASE("fields of net.drop")
{
    auto r = fixtures::make_record<tt_net_drop>(TT_NET_DROP);
    fixtures::v4(r.a, "10.0.0.1", 5000, "10.0.0.2", 80);
    r.a.protocol = 17;
    r.reason = 0xfffff;  // no name on any kernel
    r.direction = TT_NET_DROP_EGRESS;
    expect(body(r), R"({"family":"ipv4","saddr":"10.0.0.1","sport":5000,"daddr":"10.0.0.2","dport":80,
        "protocol":"udp","reason":null,"reason_code":1048575,"direction":"out"})");
}

TEST_CASE("fields of net.state")
{
    auto r = fixtures::make_record<tt_net_state>(TT_NET_STATE);
    fixtures::v4(r.a, "10.0.0.1", 5000, "10.0.0.2", 80);
    r.old_state = 1;
    r.new_state = 4;
    expect(body(r), R"({"family":"ipv4","saddr":"10.0.0.1","sport":5000,"daddr":"10.0.0.2","dport":80,
        "old_state":"ESTABLISHED","new_state":"FIN_WAIT1"})");
}

TEST_CASE("fields of mem.oom_kill")
{
    auto r = fixtures::make_record<tt_mem_oom_kill>(TT_MEM_OOM_KILL);
    r.victim_pid = 321;
    r.victim_uid = 1000;
    r.total_vm_kb = 5;
    r.anon_rss_kb = 4;
    r.file_rss_kb = 3;
    r.shmem_rss_kb = 2;
    r.pgtables_kb = 1;
    r.oom_score_adj = -500;
    r.memcg_id = 77;
    std::strcpy(r.victim_comm, "hog");
    r.present = 0x1ff;
    // No collector here: the cgroup was never looked up, its path is null.
    expect(body(r), R"({"victim_pid":321,"victim_comm":"hog","victim_uid":1000,"total_vm_kb":5,"anon_rss_kb":4,
        "file_rss_kb":3,"shmem_rss_kb":2,"pgtables_kb":1,"oom_score_adj":-500,"memcg_id":77,"memcg_path":null,
        "memcg_path_truncated":false})");
}

TEST_CASE("fields of mem.reclaim")
{
    auto r = fixtures::make_record<tt_mem_reclaim>(TT_MEM_RECLAIM);
    r.scope = TT_RECLAIM_GLOBAL;
    r.duration_ns = 2000000;
    r.nr_reclaimed = 32;
    r.order = 2;
    expect(body(r), R"({"scope":"global","duration_ns":2000000,"nr_reclaimed":32,"order":2})");
}

TEST_CASE("fields of mem.alloc")
{
    auto r = fixtures::make_record<tt_mem_alloc>(TT_MEM_ALLOC);
    r.op = TT_ALLOC_MREMAP;
    r.size = 1 << 21;
    r.addr = 0x7f0000200000;
    r.old_addr = 0x7f0000000000;
    r.old_size = 1 << 20;
    r.ret = static_cast<int64_t>(r.addr);
    expect(body(r), R"({"op":"mremap","size":2097152,"addr":"0x7f0000200000","old_addr":"0x7f0000000000",
        "old_size":1048576,"anonymous":true,"error":null})");
}

TEST_CASE("fields of mem.unmap")
{
    auto r = fixtures::make_record<tt_mem_alloc>(TT_MEM_UNMAP);
    r.op = TT_ALLOC_MUNMAP;
    r.size = 1 << 21;
    r.addr = 0x7f0000200000;
    r.flags = TT_ALLOC_FILE;
    expect(body(r), R"({"size":2097152,"addr":"0x7f0000200000","anonymous":false,"error":null})");
}

TEST_CASE("fields of file.open")
{
    auto r = fixtures::make_record<tt_file_open>(TT_FILE_OPEN);
    std::strcpy(r.path, "conf/../app.log");
    std::strcpy(r.dir, "/srv");
    r.path_flags = TT_FILE_DIR_RESOLVED;
    r.flags = 01 | 0100 | 02000000;  // O_WRONLY|O_CREAT|O_CLOEXEC
    r.mode = 0640;
    r.ret = 5;
    expect(body(r), R"({"path":"conf/../app.log","path_truncated":false,"full_path":"/srv/app.log",
        "full_path_truncated":false,"flags":"O_WRONLY|O_CREAT|O_CLOEXEC","mode":"0640","fd":5})");
}

TEST_CASE("fields of file.unlink, file.rmdir, file.mkdir, file.chmod, file.truncate, file.rename")
{
    auto r = fixtures::make_record<tt_file_op>(TT_FILE_UNLINK);
    std::strcpy(r.path, "/tmp/x");
    r.ret = -2;
    const char* paths = R"("path":"/tmp/x","path_truncated":false,"full_path":"/tmp/x","full_path_truncated":false)";
    expect(body(r), (std::string("{") + paths + R"(,"error":"ENOENT"})").c_str());

    r.h.kind = TT_FILE_RMDIR;
    r.ret = 0;
    expect(body(r), (std::string("{") + paths + "}").c_str());

    r.h.kind = TT_FILE_MKDIR;
    r.mode = 0755;
    expect(body(r), (std::string("{") + paths + R"(,"mode":"0755"})").c_str());

    r.h.kind = TT_FILE_CHMOD;
    r.mode = 04711;
    expect(body(r), (std::string("{") + paths + R"(,"mode":"4711"})").c_str());

    // ftruncate: the path the kernel resolved from the fd.
    r.h.kind = TT_FILE_TRUNCATE;
    r.path_flags = TT_FILE_PATH_FROM_FD;
    r.length = 4096;
    expect(body(r), (std::string("{") + paths + R"(,"length":4096})").c_str());

    r.h.kind = TT_FILE_RENAME;
    r.path_flags = 0;
    std::strcpy(r.new_path, "/tmp/y");
    r.flags = 1;
    expect(body(r), (std::string("{") + paths +
                     R"(,"new_path":"/tmp/y","new_path_truncated":false,"new_full_path":"/tmp/y",
                     "new_full_path_truncated":false,"flags":"RENAME_NOREPLACE"})")
                        .c_str());
}

TEST_CASE("fields of file.slow")
{
    auto r = fixtures::make_record<tt_file_slow>(TT_FILE_SLOW);
    r.op = TT_IO_WRITE;
    r.fd = 4;
    std::strcpy(r.path, "/var/log/app.log");
    r.ret = 100;
    r.latency_ns = 25000000;
    expect(body(r), R"({"op":"write","fd":4,"path":"/var/log/app.log","path_truncated":false,"bytes":100,
        "latency_ns":25000000})");
}
