// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Live tests of the mem area: real OOM kills and reclaim in a small memory
// cgroup, real mappings, and the kernel's pressure files.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "harness.h"

using namespace live;

namespace {

bool write_file(const std::string& path, const std::string& text)
{
    int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    close(fd);
    return ok;
}

std::string read_text(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A memory cgroup with a limit, v1 where the host mounts the v1 memory
// controller (this machine), v2 otherwise; removed in every path.
class MemCgroup {
public:
    MemCgroup(const std::string& name, uint64_t limit)
    {
        bool v1 = access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0;
        root_ = v1 ? "/sys/fs/cgroup/memory" : "/sys/fs/cgroup";
        path_ = root_ + "/" + name;
        REQUIRE_MESSAGE(mkdir(path_.c_str(), 0755) == 0, path_, ": ", strerror(errno));
        REQUIRE(write_file(path_ + (v1 ? "/memory.limit_in_bytes" : "/memory.max"), std::to_string(limit)));
        if (!v1)
            write_file(path_ + "/memory.swap.max", "0");
    }
    ~MemCgroup()
    {
        // A killed member can take a moment to leave.
        for (int i = 0; i < 100 && rmdir(path_.c_str()) != 0 && errno == EBUSY; ++i)
            usleep(50000);
    }
    MemCgroup(const MemCgroup&) = delete;
    MemCgroup& operator=(const MemCgroup&) = delete;

    // The path as /proc/<pid>/cgroup shows it.
    std::string relative() const { return path_.substr(root_.size()); }
    // In a forked child: move the calling process in.
    bool enter() const { return write_file(path_ + "/cgroup.procs", std::to_string(getpid())); }

private:
    std::string root_;
    std::string path_;
};

// A cgroup v2 directory (no controller needed: PSI is per cgroup).
class V2Dir {
public:
    explicit V2Dir(const std::string& name)
    {
        for (const char* root : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
            if (access((std::string(root) + "/cgroup.procs").c_str(), F_OK) == 0 &&
                access((std::string(root) + "/cgroup.controllers").c_str(), F_OK) == 0) {
                path_ = std::string(root) + "/" + name;
                break;
            }
        }
        REQUIRE(!path_.empty());
        REQUIRE_MESSAGE(mkdir(path_.c_str(), 0755) == 0, path_, ": ", strerror(errno));
    }
    ~V2Dir() { rmdir(path_.c_str()); }
    V2Dir(const V2Dir&) = delete;
    V2Dir& operator=(const V2Dir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

uint64_t psi_some_total()
{
    std::string text = read_text("/proc/pressure/memory");
    size_t at = text.find("total=");
    REQUIRE(at != std::string::npos);
    return std::stoull(text.substr(at + 6));
}

// Writes size bytes through the page cache to a new file, then removes it.
void write_through_page_cache(const std::string& path, size_t size)
{
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        _exit(3);
    static char block[1 << 20];
    std::memset(block, 'x', sizeof(block));
    for (size_t done = 0; done < size; done += sizeof(block))
        if (write(fd, block, sizeof(block)) != static_cast<ssize_t>(sizeof(block)))
            _exit(4);
    close(fd);
    unlink(path.c_str());
}

// RssAnon of this process, from /proc/self/status.
uint64_t rss_anon_kb()
{
    std::ifstream status("/proc/self/status");
    std::string key;
    uint64_t kb = 0;
    while (status >> key) {
        if (key == "RssAnon:" && status >> kb)
            return kb;
        status.ignore(1 << 10, '\n');
    }
    return 0;
}

}  // namespace

namespace {

// In a child in a memory cgroup: touch every page until the kernel kills it.
[[noreturn]] void touch_until_killed()
{
    for (;;) {
        char* p =
            static_cast<char*>(mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        if (p == MAP_FAILED)
            _exit(5);
        std::memset(p, 1, 1 << 20);
    }
}

}  // namespace

TEST_CASE("mem.oom_kill: a child over its memory cgroup's limit, exactly once")
{
    MemCgroup cg(unique("tt-test-oom"), 32ULL << 20);
    Tracer t({"mem", "--no-pressure"});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    std::string comm = "ttoom" + std::to_string(getpid() % 100000);
    // The child's RSS also counts the anonymous pages it shares with this
    // process after fork() (charged to this process's cgroup, not the limit):
    // this test process holds every record of the run so far.
    uint64_t inherited_kb = rss_anon_kb();
    pid_t child = fork();
    if (child == 0) {
        prctl(PR_SET_NAME, comm.c_str());
        if (!cg.enter())
            _exit(2);
        touch_until_killed();
    }
    Exit e = wait_pid(child);
    CHECK(e.signal == SIGKILL);
    auto r = t.wait_for([&](const json& r) { return is_type(r, "mem.oom_kill") && r["victim_pid"] == child; });
    REQUIRE(r);
    t.stop();
    CHECK(t.all([&](const json& r) { return is_type(r, "mem.oom_kill") && r["victim_pid"] == child; }).size() == 1);
    CHECK((*r)["victim_comm"] == comm);
    CHECK((*r)["victim_uid"] == 0);
    // The task that triggered it: the child itself, allocating.
    CHECK((*r)["pid"] == child);
    CHECK((*r)["comm"] == comm);
    CHECK((*r)["memcg_path"] == cg.relative());
    CHECK((*r)["memcg_id"].get<uint64_t>() > 1);
    // Sizes as the kernel reports them: around the 32 MiB limit, plus the
    // pages inherited from the parent.
    CHECK((*r)["anon_rss_kb"].get<uint64_t>() > 16 * 1024);
    CHECK((*r)["anon_rss_kb"].get<uint64_t>() <= 48 * 1024 + inherited_kb);
    CHECK((*r)["total_vm_kb"].get<uint64_t>() >= (*r)["anon_rss_kb"].get<uint64_t>());
    CHECK((*r)["oom_score_adj"] == 0);
    CHECK(r->contains("file_rss_kb"));
    CHECK(r->contains("shmem_rss_kb"));
    CHECK(r->contains("pgtables_kb"));
}

namespace {

// A child that enters cg on CPU cpu and touches memory until the OOM killer
// takes it; returns its pid once it is dead.
pid_t oom_killed_child(const MemCgroup& cg, int cpu)
{
    pid_t child = fork();
    if (child == 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        if (sched_setaffinity(0, sizeof(one), &one) != 0 || !cg.enter())
            _exit(2);
        touch_until_killed();
    }
    Exit e = wait_pid(child);
    CHECK(e.signal == SIGKILL);
    return child;
}

}  // namespace

TEST_CASE("mem.oom_kill is critical: --sample 1000 keeps both of two OOM kills, unless --limit-critical")
{
    // Both kills on one CPU: sampling counts per CPU, so on main's binary the
    // second is the 2nd of 1000 there and is sampled out.
    MemCgroup cg(unique("tt-test-oom2"), 32ULL << 20);
    const int cpu = sched_getcpu();
    SUBCASE("by default: both reported, none sampled out")
    {
        Tracer t({"mem", "--no-pressure", "--sample", "1000"});
        REQUIRE_MESSAGE(t.ready(), t.stderr_text());
        pid_t first = oom_killed_child(cg, cpu);
        pid_t second = oom_killed_child(cg, cpu);
        auto victim = [](pid_t pid) {
            return [pid](const json& r) { return is_type(r, "mem.oom_kill") && r["victim_pid"] == pid; };
        };
        CHECK(t.wait_for(victim(first)));
        CHECK(t.wait_for(victim(second)));
        t.stop();
        CHECK(dropped(t, "sampled_out", "mem.oom_kill") == 0);
    }
    SUBCASE("--limit-critical: the second is sampled out, and counted")
    {
        Tracer t({"mem", "--no-pressure", "--sample", "1000", "--limit-critical"});
        REQUIRE_MESSAGE(t.ready(), t.stderr_text());
        pid_t first = oom_killed_child(cg, cpu);
        pid_t second = oom_killed_child(cg, cpu);
        CHECK(t.wait_for([&](const json& r) { return is_type(r, "mem.oom_kill") && r["victim_pid"] == first; }));
        std::this_thread::sleep_for(300ms);
        t.stop();
        CHECK(t.all([&](const json& r) { return is_type(r, "mem.oom_kill") && r["victim_pid"] == second; }).empty());
        CHECK(dropped(t, "sampled_out", "mem.oom_kill") == 1);
    }
}

TEST_CASE("mem.alloc: 64 MiB mmap and mremap are reported, munmap as mem.unmap, 4 KiB is not")
{
    Tracer t({"mem", "--no-pressure"});
    REQUIRE(t.ready());
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const size_t big = 64ULL << 20;
    pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        void* small = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        munmap(small, 4096);
        void* p = mmap(nullptr, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        void* q = mremap(p, big, 2 * big, MREMAP_MAYMOVE);
        munmap(q, 2 * big);
        uint64_t addrs[3] = {reinterpret_cast<uint64_t>(small), reinterpret_cast<uint64_t>(p),
                             reinterpret_cast<uint64_t>(q)};
        if (write(fds[1], addrs, sizeof(addrs)) != sizeof(addrs))
            _exit(1);
        _exit(0);
    }
    close(fds[1]);
    uint64_t addrs[3] = {};
    REQUIRE(read(fds[0], addrs, sizeof(addrs)) == sizeof(addrs));
    close(fds[0]);
    wait_pid(child);
    auto hex = [](uint64_t a) {
        char text[24];
        std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(a));
        return std::string(text);
    };
    auto of = [&](const char* op) {
        return [&, op](const json& r) { return is_type(r, "mem.alloc") && r["pid"] == child && r["op"] == op; };
    };
    auto unmapped = t.wait_for([&](const json& r) { return is_type(r, "mem.unmap") && r["pid"] == child; });
    REQUIRE(unmapped);
    // A munmap is not typed alloc.
    CHECK(t.all(of("munmap")).empty());
    t.stop();
    auto mapped = t.all(of("mmap"));
    REQUIRE(mapped.size() == 1);
    CHECK(mapped[0]["size"] == big);
    CHECK(mapped[0]["addr"] == hex(addrs[1]));
    CHECK(mapped[0]["error"].is_null());
    CHECK(mapped[0]["tid"] == child);
    CHECK(mapped[0]["anonymous"] == true);
    auto moved = t.all(of("mremap"));
    REQUIRE(moved.size() == 1);
    CHECK(moved[0]["size"] == 2 * big);
    CHECK(moved[0]["old_size"] == big);
    CHECK(moved[0]["old_addr"] == hex(addrs[1]));
    CHECK(moved[0]["addr"] == hex(addrs[2]));
    CHECK((*unmapped)["size"] == 2 * big);
    CHECK((*unmapped)["addr"] == hex(addrs[2]));
    // Nothing small from the child: the 4 KiB map and unmap stayed in the kernel.
    for (const json& r : t.all([&](const json& r) { return is_type(r, "mem.alloc") && r["pid"] == child; }))
        CHECK(r["size"].get<uint64_t>() >= big);
    CHECK(t.all([&](const json& r) {
               return (is_type(r, "mem.alloc") || is_type(r, "mem.unmap")) && r["addr"] == hex(addrs[0]);
           }).empty());
}

TEST_CASE("mem.alloc: calls that find the pending map full are counted as map_full, each call exactly once")
{
    // 8 mmaps of 256 MiB with MAP_POPULATE at once: each stays in the kernel
    // while it faults its pages in; the pending map holds 2.
    const int threads = 8;
    Tracer t({"mem", "--comm", "tt_workload", "--no-pressure"}, true, {"TAPIO_MAP_ENTRIES=alloc_pending=2"});
    REQUIRE(t.ready());
    pid_t child = spawn({TAPIO_WORKLOAD, "populate", std::to_string(threads), "256"});
    REQUIRE(wait_pid(child).code == 0);
    std::this_thread::sleep_for(1200ms);  // a drop report comes at most once a second
    t.stop();
    auto mapped = t.all([&](const json& r) {
        return is_type(r, "mem.alloc") && r["pid"] == child && r["op"] == "mmap" && r["size"] == 256u << 20;
    });
    uint64_t full = dropped(t, "map_full", "mem.alloc");
    CHECK(full >= 1);
    // Every 256 MiB mmap is either reported or counted. (The thread stacks'
    // mmaps, also large, come one at a time before the threads are released.)
    CHECK(mapped.size() + full == static_cast<size_t>(threads));
}

TEST_CASE("mem.alloc: brk growth and shrink; -x keeps only the failed mmap")
{
    Tracer t({"mem", "--no-pressure"});
    Tracer failed({"mem", "--no-pressure", "-x"});
    REQUIRE(t.ready());
    REQUIRE(failed.ready());
    const uint64_t step = 2ULL << 20;
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        uint64_t old_brk = static_cast<uint64_t>(syscall(SYS_brk, 0));
        syscall(SYS_brk, old_brk + step);
        syscall(SYS_brk, old_brk);
        // EINVAL: neither MAP_PRIVATE nor MAP_SHARED.
        mmap(nullptr, 64ULL << 20, PROT_READ, MAP_ANONYMOUS, -1, 0);
        void* ok = mmap(nullptr, 8ULL << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        munmap(ok, 8ULL << 20);
        if (write(fds[1], &old_brk, sizeof(old_brk)) != sizeof(old_brk))
            _exit(1);
        _exit(0);
    }
    close(fds[1]);
    uint64_t old_brk = 0;
    REQUIRE(read(fds[0], &old_brk, sizeof(old_brk)) == sizeof(old_brk));
    close(fds[0]);
    wait_pid(child);
    auto mine = [&](const json& r) { return is_type(r, "mem.alloc") && r["pid"] == child; };
    REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "mem.unmap") && r["pid"] == child; }));
    REQUIRE(failed.wait_for([&](const json& r) { return mine(r) && r["op"] == "mmap"; }));
    t.stop();
    failed.stop();

    auto brks = t.all([&](const json& r) { return mine(r) && r["op"] == "brk"; });
    REQUIRE(brks.size() == 2);
    char text[24];
    std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(old_brk));
    CHECK(brks[0]["size"] == step);
    CHECK(brks[0]["addr"] == text);
    CHECK(brks[0]["shrink"] == false);
    CHECK(brks[0]["error"].is_null());
    CHECK(brks[1]["size"] == step);
    CHECK(brks[1]["shrink"] == true);

    auto f = failed.all(mine);
    REQUIRE(f.size() == 1);
    CHECK(f[0]["op"] == "mmap");
    CHECK(f[0]["size"] == 64ULL << 20);
    CHECK(f[0]["error"] == "EINVAL");
}

TEST_CASE("mem.reclaim: a child squeezed in a small memory cgroup stalls in memcg reclaim")
{
    MemCgroup cg(unique("tt-test-reclaim"), 64ULL << 20);
    Tracer t({"mem", "--no-pressure", "--min-latency", "0"});
    Tracer strict({"mem", "--no-pressure", "--min-latency", "1h"});
    REQUIRE(t.ready());
    REQUIRE(strict.ready());
    std::string file = "/var/tmp/" + unique("tt-test-reclaim");
    pid_t child = fork();
    if (child == 0) {
        if (!cg.enter())
            _exit(2);
        // 200 MB through the page cache against a 64 MB limit.
        write_through_page_cache(file, 200ULL << 20);
        _exit(0);
    }
    Exit e = wait_pid(child);
    unlink(file.c_str());
    CHECK(e.code == 0);
    auto mine = [&](const json& r) { return is_type(r, "mem.reclaim") && r["pid"] == child; };
    REQUIRE(t.wait_for(mine));
    t.stop();
    strict.stop();
    auto stalls = t.all(mine);
    uint64_t reclaimed = 0;
    for (const json& r : stalls) {
        CHECK(r["scope"] == "memcg");
        CHECK(r["tid"] == child);
        CHECK(r["memcg_path"] == cg.relative());
        CHECK(r["duration_ns"].is_number_unsigned());
        reclaimed += r["nr_reclaimed"].get<uint64_t>();
    }
    CHECK(reclaimed > 0);
    // --min-latency is applied in the kernel: no stall lasts an hour.
    CHECK(strict.all([](const json& r) { return is_type(r, "mem.reclaim"); }).empty());
}

TEST_CASE("mem.pressure: records at the interval with the kernel's values, system and cgroup")
{
    V2Dir dir(unique("tt-test-psi"));
    struct stat st {};
    REQUIRE(stat(dir.path().c_str(), &st) == 0);
    uint64_t before = psi_some_total();
    Tracer t({"mem", "--sampling-interval", "200ms", "--cgroup", dir.path(), "--min-size", "1G"});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    auto system = [](const json& r) {
        return is_type(r, "mem.pressure") && r["source"] == "system" && r["trigger"] == "interval";
    };
    // Four ticks (each record is looked at once per wait_for).
    size_t ticks = 0;
    REQUIRE(t.wait_for([&](const json& r) { return system(r) && ++ticks >= 4; }, 10000ms));
    REQUIRE(t.wait_for([](const json& r) { return is_type(r, "mem.pressure") && r["source"] == "cgroup"; }));
    t.stop();
    uint64_t after = psi_some_total();

    auto records = t.all(system);
    REQUIRE(records.size() >= 4);
    uint64_t last = before;
    for (const json& r : records) {
        CHECK(r["path"] == "/proc/pressure/memory");
        CHECK(r["available"] == true);
        CHECK(r["pid"] == 0);
        uint64_t total = r["some_total_us"].get<uint64_t>();
        // Read between the two reads of the file: within them, never backwards.
        CHECK(total >= last);
        CHECK(total <= after);
        last = total;
        CHECK(r["full_total_us"].get<uint64_t>() <= total);
        for (const char* key : {"some_avg10", "some_avg60", "some_avg300", "full_avg10", "full_avg60", "full_avg300"}) {
            REQUIRE_MESSAGE(r[key].is_number(), key);
            CHECK(r[key].get<double>() >= 0.0);
            CHECK(r[key].get<double>() <= 100.0);
        }
    }
    auto cgroup = t.all([](const json& r) { return is_type(r, "mem.pressure") && r["source"] == "cgroup"; });
    REQUIRE(!cgroup.empty());
    CHECK(cgroup[0]["path"] == dir.path() + "/memory.pressure");
    CHECK(cgroup[0]["cgroup_id"] == st.st_ino);
    // Nothing ever ran in the new cgroup: no stall at all.
    CHECK(cgroup[0]["some_total_us"] == 0);
    CHECK(cgroup[0]["some_avg10"] == 0);
}

TEST_CASE("mem.pressure: a record at once when some avg10 crosses --pressure-threshold")
{
    MemCgroup cg(unique("tt-test-squeeze"), 16ULL << 20);
    Tracer t({"mem", "--pressure-threshold", "0.01", "--sampling-interval", "1h", "--min-size", "1G"});
    REQUIRE(t.ready());
    std::string file = "/var/tmp/" + unique("tt-test-squeeze");
    auto above = [](const json& r) { return is_type(r, "mem.pressure") && r["trigger"] == "above"; };
    // Reclaim stalls until the 10 s average shows them (it is updated every 2 s).
    for (int round = 0; round < 20 && t.all(above).empty(); ++round) {
        pid_t child = fork();
        if (child == 0) {
            if (!cg.enter())
                _exit(2);
            write_through_page_cache(file, 100ULL << 20);
            _exit(0);
        }
        wait_pid(child);
        unlink(file.c_str());
        t.wait_for(above, 500ms);
    }
    auto r = t.wait_for(above, 5000ms);
    REQUIRE(r);
    t.stop();
    CHECK((*r)["source"] == "system");
    CHECK((*r)["threshold"].get<double>() == doctest::Approx(0.01));
    CHECK((*r)["some_avg10"].get<double>() >= 0.01);
    // The interval is an hour: this record came from the threshold check alone.
    CHECK(t.all([](const json& r) { return is_type(r, "mem.pressure") && r["trigger"] == "interval"; }).empty());
}
