// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// -e/--events, --children and the quiet defaults of mem.alloc: what the
// kernel is asked for, seen from the records and from -v.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "harness.h"

using namespace live;

namespace {

bool has_line(const std::string& text, const std::string& part)
{
    return text.find(part) != std::string::npos;
}

std::string line_with(const std::string& text, const std::string& part)
{
    size_t at = text.find(part);
    if (at == std::string::npos)
        return "";
    size_t begin = text.rfind('\n', at);
    size_t end = text.find('\n', at);
    return text.substr(
        begin == std::string::npos ? 0 : begin + 1,
        end == std::string::npos ? std::string::npos : end - (begin == std::string::npos ? 0 : begin + 1));
}

bool is_meta(const json& r)
{
    return r.value("type", "").rfind("tapio.", 0) == 0;
}

}  // namespace

TEST_CASE("-e proc.exec: only proc.exec records; the fork and signal work is not attached")
{
    Tracer t({"proc", "-e", "proc.exec"});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    // A fork, an exec, a signal (kill(pid, 0)) and two exits.
    pid_t p = spawn({TAPIO_WORKLOAD, "spawn", "3"});
    CHECK(wait_pid(p).code == 3);
    pid_t s = spawn({TAPIO_WORKLOAD, "signal-self", "tkill"});
    CHECK(wait_pid(s).code == 0);
    REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "proc.exec") && r["ppid"] == p; }));
    t.stop();
    for (const json& r : t.all([](const json&) { return true; }))
        CHECK_MESSAGE((is_type(r, "proc.exec") || is_meta(r)), r.dump());

    std::string err = t.stderr_text();
    INFO(err);
    CHECK(has_line(err, "proc: sched:sched_process_exec attached"));
    CHECK(has_line(err, "proc: sched:sched_process_fork disabled: not needed"));
    // The exit hook stays: it empties the exec entry of a thread that dies
    // inside execve (and writes no proc.exit: checked above).
    CHECK(has_line(err, "proc: sched:sched_process_exit attached"));
    // The dispatcher routes the exec calls only: no kill, no setuid.
    std::string exits = line_with(err, "proc: raw_syscalls:sys_exit attached");
    CHECK(has_line(exits, "for execve execveat"));
    CHECK_FALSE(has_line(exits, "kill"));
    CHECK_FALSE(has_line(exits, "setuid"));
}

TEST_CASE("-e proc.fork: no type keeps pending entries, so neither the exit hook nor the dispatcher is attached")
{
    Tracer t({"proc", "-e", "proc.fork"});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    pid_t p = spawn({TAPIO_WORKLOAD, "spawn", "0"});
    CHECK(wait_pid(p).code == 0);
    REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "proc.fork") && r["pid"] == p; }));
    t.stop();
    for (const json& r : t.all([](const json&) { return true; }))
        CHECK_MESSAGE((is_type(r, "proc.fork") || is_meta(r)), r.dump());
    std::string err = t.stderr_text();
    INFO(err);
    CHECK(has_line(err, "proc: sched:sched_process_fork attached"));
    CHECK(has_line(err, "proc: sched:sched_process_exit disabled: not needed"));
    CHECK(has_line(err, "proc: sched:sched_process_exec disabled: not needed"));
}

TEST_CASE("-e with all: a glob chooses file records, and only the file area runs")
{
    TempDir dir("tt-select");
    Tracer t({"all", "-e", "file.*"});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    std::string path = dir / "f";
    pid_t p = spawn({TAPIO_WORKLOAD, "io", "fchmod", path});
    CHECK(wait_pid(p).code == 0);
    REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "file.chmod") && r["pid"] == p; }));
    t.stop();
    for (const json& r : t.all([](const json&) { return true; }))
        CHECK_MESSAGE((r.value("type", "").rfind("file.", 0) == 0 || is_meta(r)), r.dump());
    std::string err = t.stderr_text();
    INFO(err);
    CHECK(has_line(err, "tapio-trace: file: "));
    for (const char* other : {"tapio-trace: proc: ", "tapio-trace: net: ", "tapio-trace: mem: "})
        CHECK_FALSE(has_line(err, other));
}

TEST_CASE("-e net.close with all runs net alone; a mistyped type or one of another area is one line, exit 2")
{
    Tracer t({"all", "-e", "net.close"});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    t.stop();
    std::string err = t.stderr_text();
    INFO(err);
    CHECK(has_line(err, "tapio-trace: net: tcp:tcp_retransmit_skb disabled: not needed"));
    CHECK_FALSE(has_line(err, "tapio-trace: proc: "));

    Captured typo = capture({binary(), "proc", "-e", "proc.exce"});
    CHECK(typo.exit.code == 2);
    CHECK(typo.out.empty());
    CHECK(typo.err ==
          "tapio-trace: --events: 'proc.exce' is not a record type; did you mean proc.exec? (tapio-trace schema "
          "lists the types; globs such as file.* work)\n");
    Captured glob = capture({binary(), "file", "-e", "nope.*"});
    CHECK(glob.exit.code == 2);
    CHECK(std::count(glob.err.begin(), glob.err.end(), '\n') == 1);
    CHECK(has_line(glob.err, "'nope.*' matches no record type"));
    Captured other = capture({binary(), "proc", "-e", "net.close"});
    CHECK(other.exit.code == 2);
    CHECK(std::count(other.err.begin(), other.err.end(), '\n') == 1);
    CHECK(has_line(other.err, "--events: 'net.close' is not a record of proc"));
}

TEST_CASE("--children: a child and a grandchild forked after the start are traced; without it they are not")
{
    TempDir dir("tt-children");
    std::string go = dir / "go", mark = dir / "mark";
    pid_t p = spawn({TAPIO_WORKLOAD, "descendants", go, mark});
    std::string pid = std::to_string(p);
    Tracer with({"file", "-p", pid, "--children"});
    Tracer without({"file", "-p", pid});
    Tracer procs({"proc", "-p", pid, "--children"});
    REQUIRE_MESSAGE(with.ready(), with.stderr_text());
    REQUIRE_MESSAGE(without.ready(), without.stderr_text());
    REQUIRE_MESSAGE(procs.ready(), procs.stderr_text());
    CHECK(has_line(with.stderr_text(), "children: sched:sched_process_fork attached"));
    {
        std::ofstream(go.c_str()) << "go";
    }
    CHECK(wait_pid(p).code == 0);

    auto opened = [&](const std::string& path) {
        return [path](const json& r) { return is_type(r, "file.open") && r["path"] == path; };
    };
    auto grandchild = with.wait_for(opened(mark + "-grandchild"));
    REQUIRE(grandchild);
    REQUIRE(with.wait_for(opened(mark + "-child")));
    REQUIRE(without.wait_for(opened(mark + "-parent")));
    auto exec = procs.wait_for([&](const json& r) { return is_type(r, "proc.exec") && r["filename"] == "/bin/true"; });
    REQUIRE(exec);
    CHECK((*exec)["pid"] == (*grandchild)["pid"]);
    with.stop();
    without.stop();
    procs.stop();
    CHECK((*grandchild)["pid"] != p);
    CHECK(without.all(opened(mark + "-child")).empty());
    CHECK(without.all(opened(mark + "-grandchild")).empty());
    // The forks that made them, the child's from the child.
    auto forks = procs.all([](const json& r) { return is_type(r, "proc.fork"); });
    REQUIRE(forks.size() == 2);
    CHECK(forks[0]["pid"] == p);
    CHECK(forks[1]["child_pid"] == (*grandchild)["pid"]);

    Captured alone = capture({binary(), "proc", "--children"});
    CHECK(alone.exit.code == 2);
    CHECK(has_line(alone.err, "--children: needs -p PID"));
}

TEST_CASE("mem.alloc: an exec's shared-library mappings only with --file-mappings; anonymous memory always")
{
    Tracer quiet({"mem", "--no-pressure"});
    Tracer files({"mem", "--no-pressure", "--file-mappings"});
    REQUIRE_MESSAGE(quiet.ready(), quiet.stderr_text());
    REQUIRE_MESSAGE(files.ready(), files.stderr_text());
    // ld.so maps libc (about 2 MB) from its file at every exec.
    pid_t p = spawn({TAPIO_WORKLOAD, "getppid", "1"});
    CHECK(wait_pid(p).code == 0);
    const size_t size = 2u << 20;
    // A file's mapping and its munmap: the tracer's own binary, far past 2 MiB.
    int fd = open(binary().c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    void* mapped = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    REQUIRE(mapped != MAP_FAILED);
    REQUIRE(munmap(mapped, size) == 0);
    close(fd);
    // Anonymous memory, private and shared (whose pages shmem keeps in a file of its own).
    void* shared = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(shared != MAP_FAILED);
    REQUIRE(munmap(shared, size) == 0);
    void* anon = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(anon != MAP_FAILED);
    REQUIRE(munmap(anon, size) == 0);
    char text[24];
    std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(anon)));
    std::string last = text;
    auto unmapped = [&](const json& r) { return is_type(r, "mem.unmap") && r["pid"] == getpid() && r["addr"] == last; };
    REQUIRE(quiet.wait_for(unmapped));
    REQUIRE(files.wait_for(unmapped));
    quiet.stop();
    files.stop();

    auto of_file = [&](const Tracer& t, const char* type) {
        return t.all([&](const json& r) {
            return is_type(r, type) && r["pid"] == getpid() && r["size"] == size && r["anonymous"] == false;
        });
    };
    CHECK(of_file(quiet, "mem.alloc").empty());
    CHECK(of_file(quiet, "mem.unmap").empty());
    CHECK(of_file(files, "mem.alloc").size() == 1);
    CHECK(of_file(files, "mem.unmap").size() == 1);

    auto file_maps = [&](const Tracer& t) {
        return t.all(
            [&](const json& r) { return is_type(r, "mem.alloc") && r["pid"] == p && r["anonymous"] == false; });
    };
    CHECK(file_maps(quiet).empty());
    CHECK_FALSE(file_maps(files).empty());
    for (const Tracer* t : {&quiet, &files}) {
        auto anonymous = t->all([&](const json& r) {
            return is_type(r, "mem.alloc") && r["pid"] == getpid() && r["size"] == size && r["anonymous"] == true;
        });
        CHECK(anonymous.size() == 2);  // the shared and the private one
        auto given_back = t->all([&](const json& r) {
            return is_type(r, "mem.unmap") && r["pid"] == getpid() && r["size"] == size && r["anonymous"] == true;
        });
        CHECK(given_back.size() == 2);
        // A munmap is mem.unmap, never mem.alloc.
        CHECK(t->all([](const json& r) { return is_type(r, "mem.alloc") && r["op"] == "munmap"; }).empty());
    }
}

TEST_CASE("--children: a child that finds the followed set full is counted as a map_full drop of proc.fork")
{
    TempDir dir("tt-children");
    std::string go = dir / "go", mark = dir / "mark";
    pid_t p = spawn({TAPIO_WORKLOAD, "descendants", go, mark});
    // Room for the -p process and its child: the grandchild does not fit.
    Tracer t({"file", "-p", std::to_string(p), "--children"}, true, {"TAPIO_MAP_ENTRIES=tt_pids=2"});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    {
        std::ofstream(go.c_str()) << "go";
    }
    CHECK(wait_pid(p).code == 0);
    REQUIRE(t.wait_for([&](const json& r) { return is_type(r, "file.open") && r["path"] == mark + "-child"; }));
    std::this_thread::sleep_for(1200ms);  // a drop report comes at most once a second
    t.stop();
    CHECK(t.all([&](const json& r) { return is_type(r, "file.open") && r["path"] == mark + "-grandchild"; }).empty());
    CHECK(dropped(t, "map_full", "proc.fork") == 1);
}

namespace {

// Reserves n huge pages for the test's life, then gives back what was there.
class HugePages {
public:
    explicit HugePages(unsigned n)
    {
        std::ifstream("/proc/sys/vm/nr_hugepages") >> before_;
        std::ofstream("/proc/sys/vm/nr_hugepages") << n;
        std::ifstream("/proc/sys/vm/nr_hugepages") >> now_;
    }
    ~HugePages() { std::ofstream("/proc/sys/vm/nr_hugepages") << before_; }
    HugePages(const HugePages&) = delete;
    HugePages& operator=(const HugePages&) = delete;
    unsigned reserved() const { return now_; }

private:
    unsigned before_ = 0, now_ = 0;
};

}  // namespace

TEST_CASE("mem.unmap: anonymous huge-page memory (hugetlbfs's anon_hugepage file) is anonymous, reported by default")
{
    const size_t size = 4u << 20;
    HugePages pages(4);
    REQUIRE_MESSAGE(pages.reserved() >= 2, "the kernel could not reserve 2 huge pages (/proc/sys/vm/nr_hugepages)");
    Tracer t({"mem", "--no-pressure", "-e", "mem.alloc,mem.unmap", "-p", std::to_string(getpid())});
    REQUIRE_MESSAGE(t.ready(), t.stderr_text());
    void* huge = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    REQUIRE(huge != MAP_FAILED);
    static_cast<char*>(huge)[0] = 1;
    REQUIRE(munmap(huge, size) == 0);
    char text[24];
    std::snprintf(text, sizeof(text), "0x%llx", static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(huge)));
    std::string addr = text;
    auto unmap = t.wait_for([&](const json& r) { return is_type(r, "mem.unmap") && r["addr"] == addr; });
    t.stop();
    REQUIRE(unmap);
    CHECK((*unmap)["anonymous"] == true);
    CHECK((*unmap)["size"] == size);
    CHECK(t.all([&](const json& r) { return is_type(r, "mem.alloc") && r["addr"] == addr; }).size() == 1);
}
