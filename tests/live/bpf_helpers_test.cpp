// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The BPF helpers alone, with BPF_PROG_TEST_RUN: tests/bpf/helpers_test.bpf.c
// calls the real helpers of bpf/common.bpf.h and bpf/path.bpf.h on inputs
// set in its globals, in this test's own task, and these tests check the
// exact results: the rate limiter on a made-up clock, sampling and the rate
// limit as every record meets them, the --path prefixes, a long string's
// end, and the dentry walk and fd lookup on this process's cwd and files.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "events.h"
#include "harness.h"
#include "helpers_test.skel.h"

// bpf/path.bpf.h's enum tt_str_read and enum tt_resolve (BPF-only types).
enum { TT_STR_OK = 0, TT_STR_CUT = 1, TT_STR_TOO_LONG = 2, TT_STR_UNREADABLE = 3 };
enum { TT_RESOLVE_NONE = 0, TT_RESOLVE_COMPLETE = 1, TT_RESOLVE_CUT = 2 };
constexpr size_t TT_PATH_MAX = 4096;

namespace {

// The test object, its read-only data set by configure() before load.
class HelpersObject {
public:
    explicit HelpersObject(const std::function<void(helpers_test_bpf&)>& configure = {})
    {
        skel_ = helpers_test_bpf__open();
        REQUIRE_MESSAGE(skel_ != nullptr, "cannot open the helpers' test object: ", std::strerror(errno));
        // The ring buffer is never written here: its smallest size.
        bpf_map__set_max_entries(skel_->maps.tt_events, static_cast<__u32>(sysconf(_SC_PAGESIZE)));
        // Every kind chosen, as without -e.
        const_cast<tt_config&>(skel_->rodata->tt_cfg).kinds = ~0ULL;
        if (configure)
            configure(*skel_);
        int err = helpers_test_bpf__load(skel_);
        REQUIRE_MESSAGE(err == 0, "cannot load the helpers' test object: ", std::strerror(-err));
    }
    ~HelpersObject() { helpers_test_bpf__destroy(skel_); }
    HelpersObject(const HelpersObject&) = delete;
    HelpersObject& operator=(const HelpersObject&) = delete;

    helpers_test_bpf* operator->() const { return skel_; }

    // One BPF_PROG_TEST_RUN of prog, in this thread.
    void run(bpf_program* prog) const
    {
        LIBBPF_OPTS(bpf_test_run_opts, opts);
        int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
        REQUIRE_MESSAGE(err == 0, "BPF_PROG_TEST_RUN of ", bpf_program__name(prog), ": ", std::strerror(errno));
        REQUIRE(opts.retval == 0);
    }

    // tt_stats[kind][reason], summed over the CPUs.
    uint64_t dropped(uint32_t kind, uint32_t reason) const
    {
        int ncpu = libbpf_num_possible_cpus();
        REQUIRE(ncpu > 0);
        std::vector<uint64_t> values(static_cast<size_t>(ncpu));
        uint32_t key = kind * TT_DROP_REASONS + reason;
        REQUIRE(bpf_map__lookup_elem(skel_->maps.tt_stats, &key, sizeof(key), values.data(),
                                     values.size() * sizeof(uint64_t), 0) == 0);
        uint64_t sum = 0;
        for (uint64_t v : values)
            sum += v;
        return sum;
    }

private:
    helpers_test_bpf* skel_ = nullptr;
};

// Keeps this thread on the CPU it is on, for per-CPU state across runs.
class PinnedToOneCpu {
public:
    PinnedToOneCpu()
    {
        REQUIRE(sched_getaffinity(0, sizeof(old_), &old_) == 0);
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(sched_getcpu(), &one);
        REQUIRE(sched_setaffinity(0, sizeof(one), &one) == 0);
    }
    ~PinnedToOneCpu() { sched_setaffinity(0, sizeof(old_), &old_); }
    PinnedToOneCpu(const PinnedToOneCpu&) = delete;
    PinnedToOneCpu& operator=(const PinnedToOneCpu&) = delete;

private:
    cpu_set_t old_;
};

constexpr uint64_t kSecond = 1000000000ULL;
constexpr uint64_t kStart = 1000 * kSecond;  // any boot time; the state starts at 0

// Runs tt_rate_take() on events step_ns apart from start, the state as left by the last run.
uint32_t rate_events(const HelpersObject& obj, uint64_t per_sec, uint64_t burst, uint32_t events, uint64_t start,
                     uint64_t step_ns)
{
    obj->bss->rate_per_sec = per_sec;
    obj->bss->rate_burst = burst;
    obj->bss->feed_events = events;
    obj->bss->rate_start_ns = start;
    obj->bss->rate_step_ns = step_ns;
    obj.run(obj->progs.test_rate_take);
    return obj->bss->feed_passed;
}

}  // namespace

TEST_CASE("bpf helpers: the rate limiter lets exactly the burst, then one event per interval through")
{
    HelpersObject obj;
    auto fresh = [&] { obj->bss->rate_tat = 0; };

    SUBCASE("a burst at one instant: exactly the burst passes")
    {
        fresh();
        CHECK(rate_events(obj, 10, 10, 100, kStart, 0) == 10);
        // The same instant again: nothing left.
        CHECK(rate_events(obj, 10, 10, 5, kStart, 0) == 0);
        // One interval (100 ms) later, one more; a second later, the whole burst again.
        CHECK(rate_events(obj, 10, 10, 5, kStart + kSecond / 10, 0) == 1);
        CHECK(rate_events(obj, 10, 10, 50, kStart + 10 * kSecond, 0) == 10);
    }
    SUBCASE("1000 events a second against 10 a second for 2 s: the burst, then one per 100 ms")
    {
        fresh();
        // Events at 0, 1, ..., 2000 ms: 10 at once, then at 100, 200, ..., 2000 ms (the
        // boundary included) one each.
        CHECK(rate_events(obj, 10, 10, 2001, kStart, kSecond / 1000) == 30);
    }
    SUBCASE("events exactly at the rate all pass")
    {
        fresh();
        CHECK(rate_events(obj, 10, 10, 50, kStart, kSecond / 10) == 50);
        CHECK(rate_events(obj, 1000, 1, 1000, kStart + 100 * kSecond, kSecond / 1000) == 1000);
    }
    SUBCASE("a burst of 1 (or 0, the same): twice the rate gives every other event")
    {
        fresh();
        CHECK(rate_events(obj, 1000, 1, 100, kStart, kSecond / 2000) == 50);
        fresh();
        CHECK(rate_events(obj, 1000, 0, 100, kStart, kSecond / 2000) == 50);
        fresh();
        CHECK(rate_events(obj, 1000, 0, 7, kStart, 0) == 1);
    }
}

TEST_CASE("bpf helpers: --rate-limit and --sample as every record meets them, each suppression counted")
{
    SUBCASE("--rate-limit 5: of 50 records at once, 5 pass and 45 are counted rate_limited")
    {
        HelpersObject obj([](helpers_test_bpf& skel) {
            auto& cfg = const_cast<tt_config&>(skel.rodata->tt_cfg);
            cfg.rate_per_sec = 5;
            cfg.rate_burst = 5;
        });
        obj->bss->admit_kind = TT_FILE_OPEN;
        obj->bss->feed_events = 50;
        obj.run(obj->progs.test_admit);
        CHECK(obj->bss->feed_passed == 5);
        CHECK(obj.dropped(TT_FILE_OPEN, TT_DROP_RATE_LIMITED) == 45);
        CHECK(obj.dropped(TT_FILE_OPEN, TT_DROP_SAMPLED_OUT) == 0);
    }
    SUBCASE("--sample 4: of 10 records, the 1st, 5th and 9th pass, 7 are counted sampled_out")
    {
        HelpersObject obj([](helpers_test_bpf& skel) { const_cast<tt_config&>(skel.rodata->tt_cfg).sample_every = 4; });
        // The counters are per CPU: every run on this one.
        PinnedToOneCpu pin;
        obj->bss->admit_kind = TT_PROC_EXEC;
        auto admit = [&](uint32_t calls) {
            obj->bss->feed_events = calls;
            obj.run(obj->progs.test_admit);
            return obj->bss->feed_passed;
        };
        CHECK(admit(1) == 1);  // the first of every 4
        CHECK(admit(3) == 0);
        CHECK(admit(6) == 2);  // the 5th and the 9th
        CHECK(obj.dropped(TT_PROC_EXEC, TT_DROP_SAMPLED_OUT) == 7);
        CHECK(obj.dropped(TT_PROC_EXEC, TT_DROP_RATE_LIMITED) == 0);
    }
    SUBCASE("-e: a kind not chosen never passes, and is no drop")
    {
        HelpersObject obj([](helpers_test_bpf& skel) {
            const_cast<tt_config&>(skel.rodata->tt_cfg).kinds = TT_KIND_BIT(TT_PROC_EXIT);
        });
        obj->bss->admit_kind = TT_PROC_EXEC;
        obj->bss->feed_events = 10;
        obj.run(obj->progs.test_admit);
        CHECK(obj->bss->feed_passed == 0);
        obj->bss->admit_kind = TT_PROC_EXIT;
        obj.run(obj->progs.test_admit);
        CHECK(obj->bss->feed_passed == 10);
        for (uint32_t reason = 0; reason < TT_DROP_REASONS; ++reason)
            CHECK(obj.dropped(TT_PROC_EXEC, reason) == 0);
    }
    SUBCASE("--rate-limit with shares: a flood of one kind takes its share and the pool; another kind keeps its share")
    {
        HelpersObject obj([](helpers_test_bpf& skel) {
            auto& cfg = const_cast<tt_config&>(skel.rodata->tt_cfg);
            cfg.rate_per_sec = 5;  // the pool
            cfg.rate_burst = 5;
            cfg.rate_share_per_sec = 3;  // each kind's own
            cfg.rate_share_burst = 3;
        });
        obj->bss->admit_kind = TT_FILE_OPEN;
        obj->bss->feed_events = 50;
        obj.run(obj->progs.test_admit);
        CHECK(obj->bss->feed_passed == 3 + 5);
        CHECK(obj.dropped(TT_FILE_OPEN, TT_DROP_RATE_LIMITED) == 50 - 8);
        // The pool is spent, not proc.exec's share.
        obj->bss->admit_kind = TT_PROC_EXEC;
        obj->bss->feed_events = 10;
        obj.run(obj->progs.test_admit);
        CHECK(obj->bss->feed_passed == 3);
        CHECK(obj.dropped(TT_PROC_EXEC, TT_DROP_RATE_LIMITED) == 7);
    }
    SUBCASE("a critical record skips sampling and the rate limit, and is never counted")
    {
        HelpersObject obj([](helpers_test_bpf& skel) {
            auto& cfg = const_cast<tt_config&>(skel.rodata->tt_cfg);
            cfg.sample_every = 1000;
            cfg.rate_per_sec = 1;
            cfg.rate_burst = 1;
        });
        obj->bss->admit_kind = TT_MEM_OOM_KILL;
        obj->bss->admit_critical = 1;
        obj->bss->feed_events = 20;
        obj.run(obj->progs.test_admit);
        CHECK(obj->bss->feed_passed == 20);
        for (uint32_t reason = 0; reason < TT_DROP_REASONS; ++reason)
            CHECK(obj.dropped(TT_MEM_OOM_KILL, reason) == 0);
    }
    SUBCASE("--limit-critical: a critical record is sampled like any other")
    {
        HelpersObject obj([](helpers_test_bpf& skel) {
            auto& cfg = const_cast<tt_config&>(skel.rodata->tt_cfg);
            cfg.sample_every = 1000;
            cfg.limit_critical = 1;
        });
        PinnedToOneCpu pin;
        obj->bss->admit_kind = TT_MEM_OOM_KILL;
        obj->bss->admit_critical = 1;
        obj->bss->feed_events = 2;
        obj.run(obj->progs.test_admit);
        CHECK(obj->bss->feed_passed == 1);
        CHECK(obj.dropped(TT_MEM_OOM_KILL, TT_DROP_SAMPLED_OUT) == 1);
    }
    SUBCASE("neither: every record passes")
    {
        HelpersObject obj;
        obj->bss->admit_kind = TT_NET_CONNECT;
        obj->bss->feed_events = 1000;
        obj.run(obj->progs.test_admit);
        CHECK(obj->bss->feed_passed == 1000);
    }
}

namespace {

void set_prefixes(helpers_test_bpf& skel, const std::vector<std::string>& prefixes)
{
    auto* ro = skel.rodata;
    const_cast<__u32&>(ro->prefix_count) = static_cast<__u32>(prefixes.size());
    for (size_t i = 0; i < prefixes.size(); ++i) {
        REQUIRE(prefixes[i].size() <= TT_FILE_PREFIX_LEN);
        const_cast<__u32&>(ro->prefix_len[i]) = static_cast<__u32>(prefixes[i].size());
        std::memcpy(const_cast<char*>(ro->prefixes[i]), prefixes[i].data(), prefixes[i].size());
    }
}

bool path_wanted(const HelpersObject& obj, const std::string& dir, const std::string& path, bool resolved)
{
    REQUIRE(dir.size() < TT_PATH_LEN);
    REQUIRE(path.size() < TT_PATH_LEN);
    std::memset(obj->bss->prefix_dir, 0, sizeof(obj->bss->prefix_dir));
    std::memset(obj->bss->prefix_path, 0, sizeof(obj->bss->prefix_path));
    std::memcpy(obj->bss->prefix_dir, dir.data(), dir.size());
    std::memcpy(obj->bss->prefix_path, path.data(), path.size());
    obj->bss->prefix_resolved = resolved;
    obj.run(obj->progs.test_path_wanted);
    return obj->bss->prefix_wanted != 0;
}

}  // namespace

TEST_CASE("bpf helpers: --path prefixes match absolute paths, and relative ones on their directory")
{
    const std::string p64 = "/" + std::string(62, 'q') + "/";  // 64 bytes, the longest prefix
    REQUIRE(p64.size() == TT_FILE_PREFIX_LEN);
    HelpersObject obj([&](helpers_test_bpf& skel) { set_prefixes(skel, {"/etc", "/var/lib/app", p64}); });

    struct Case {
        const char* what;
        std::string dir, path;
        bool resolved, wanted;
    };
    const Case cases[] = {
        {"absolute, under a prefix", "", "/etc/passwd", false, true},
        {"the prefix itself", "", "/etc", false, true},
        {"a plain string prefix: /etcetera starts with /etc", "", "/etcetera", false, true},
        {"shorter than the prefix", "", "/et", false, false},
        {"elsewhere", "", "/usr/etc/passwd", false, false},
        {"the second prefix", "", "/var/lib/app/db", false, true},
        {"one byte short of the second", "", "/var/lib/ap", false, false},
        {"relative, its directory resolved under the prefix", "/etc", "passwd", true, true},
        {"relative, the directory and the path make the prefix", "/var", "lib/app/x", true, true},
        {"relative, the directory is /: no double slash", "/", "etc/passwd", true, true},
        {"relative, the joining slash counts", "/e", "tc/passwd", true, false},
        {"relative, its directory not resolved: the path alone", "/etc", "passwd", false, false},
        {"relative, elsewhere", "/usr", "etc/passwd", true, false},
        {"an absolute path ignores the directory", "/etc", "/usr/x", true, false},
        {"64-byte prefix, whole", "", p64 + "file", false, true},
        {"64-byte prefix, last byte differs", "", p64.substr(0, 63) + "x/file", false, false},
        {"64-byte prefix ending at the joining slash", p64.substr(0, 63), "file", true, true},
        {"64-byte prefix, the directory ends one byte early", p64.substr(0, 62), "file", true, false},
        {"a directory longer than the prefix", p64 + "deeper/still", "f", true, true},
    };
    for (const Case& c : cases) {
        const std::string what = c.what;
        CAPTURE(what);
        CAPTURE(c.dir);
        CAPTURE(c.path);
        CHECK(path_wanted(obj, c.dir, c.path, c.resolved) == c.wanted);
    }

    SUBCASE("no prefixes: nothing is wanted (the caller skips the check)")
    {
        HelpersObject none;
        CHECK_FALSE(path_wanted(none, "", "/etc/passwd", false));
    }
}

namespace {

struct StrResult {
    uint32_t read;  // enum tt_str_read
    bool whole;
    std::string dst;
};

StrResult user_str_tail(const HelpersObject& obj, const char* s)
{
    std::memset(obj->bss->str_dst, 'X', sizeof(obj->bss->str_dst));
    obj->bss->str_src = reinterpret_cast<uintptr_t>(s);
    obj.run(obj->progs.test_user_str_tail);
    const char* dst = obj->bss->str_dst;
    return {obj->bss->str_read, obj->bss->str_whole != 0, std::string(dst, strnlen(dst, TT_PATH_LEN))};
}

StrResult kernel_str_tail(const HelpersObject& obj, const std::string& s)
{
    REQUIRE(s.size() < sizeof(obj->bss->kernel_str));
    std::memset(obj->bss->kernel_str, 0, sizeof(obj->bss->kernel_str));
    std::memcpy(obj->bss->kernel_str, s.data(), s.size());
    std::memset(obj->bss->str_dst, 'X', sizeof(obj->bss->str_dst));
    obj.run(obj->progs.test_kernel_str_tail);
    const char* dst = obj->bss->str_dst;
    return {obj->bss->str_read, obj->bss->str_whole != 0, std::string(dst, strnlen(dst, TT_PATH_LEN))};
}

}  // namespace

TEST_CASE("bpf helpers: a string longer than a path field keeps its last 255 bytes, one beyond PATH_MAX none")
{
    HelpersObject obj;
    // Each byte says where it is, so a tail that starts one byte off differs.
    auto text = [](size_t n) {
        std::string s(n, ' ');
        for (size_t i = 0; i < n; ++i)
            s[i] = static_cast<char>('a' + (i * 7 + i / 26) % 26);
        return s;
    };
    for (size_t n : {size_t(0), size_t(1), size_t(254), size_t(255), size_t(256), size_t(300), size_t(4095),
                     size_t(4096), size_t(5000)}) {
        CAPTURE(n);
        const std::string s = text(n);
        for (bool user : {true, false}) {
            CAPTURE(user);
            if (!user && n >= sizeof(obj->bss->kernel_str))
                continue;
            StrResult r = user ? user_str_tail(obj, s.c_str()) : kernel_str_tail(obj, s);
            if (n < TT_PATH_LEN) {
                CHECK(r.read == TT_STR_OK);
                CHECK_FALSE(r.whole);
                CHECK(r.dst == s);
            } else if (n < TT_PATH_MAX) {
                CHECK(r.read == TT_STR_CUT);
                CHECK(r.whole);
                CHECK(r.dst == s.substr(n - (TT_PATH_LEN - 1)));
            } else {
                CHECK(r.read == TT_STR_TOO_LONG);
                CHECK(r.whole);
                CHECK(r.dst.empty());
            }
        }
    }
    SUBCASE("an unmapped user address: unreadable, empty")
    {
        StrResult r = user_str_tail(obj, reinterpret_cast<const char*>(8));
        CHECK(r.read == TT_STR_UNREADABLE);
        CHECK(r.dst.empty());
    }
}

namespace {

struct Resolved {
    uint32_t resolve;  // enum tt_resolve
    std::string path;
    uint64_t ino;
};

Resolved fd_path(const HelpersObject& obj, long fd)
{
    std::memset(obj->bss->walk_path, 'X', sizeof(obj->bss->walk_path));
    obj->bss->walk_fd = fd;
    obj.run(obj->progs.test_fd_path);
    const char* p = obj->bss->walk_path;
    return {obj->bss->walk_resolve, std::string(p, strnlen(p, TT_PATH_LEN)), obj->bss->walk_ino};
}

Resolved cwd_path(const HelpersObject& obj)
{
    std::memset(obj->bss->walk_path, 'X', sizeof(obj->bss->walk_path));
    obj.run(obj->progs.test_cwd_path);
    const char* p = obj->bss->walk_path;
    return {obj->bss->walk_resolve, std::string(p, strnlen(p, TT_PATH_LEN)), 0};
}

std::string real_path(const std::string& p)
{
    char buf[PATH_MAX];
    REQUIRE(realpath(p.c_str(), buf) != nullptr);
    return buf;
}

// Restores the working directory at scope exit.
class Cwd {
public:
    Cwd() { REQUIRE(getcwd(old_, sizeof(old_)) != nullptr); }
    ~Cwd() { (void)chdir(old_); }

private:
    char old_[PATH_MAX];
};

}  // namespace

TEST_CASE("bpf helpers: the dentry walk names this process's cwd and open files as the kernel does")
{
    HelpersObject obj;
    live::TempDir tmp("tt-walk");
    const std::string base = real_path(tmp.path());
    Cwd restore;

    SUBCASE("a directory, as cwd and as an fd, and a file in it")
    {
        const std::string dir = base + "/a/b/c";
        REQUIRE(mkdir((base + "/a").c_str(), 0755) == 0);
        REQUIRE(mkdir((base + "/a/b").c_str(), 0755) == 0);
        REQUIRE(mkdir(dir.c_str(), 0755) == 0);
        REQUIRE(chdir(dir.c_str()) == 0);
        Resolved cwd = cwd_path(obj);
        CHECK(cwd.resolve == TT_RESOLVE_COMPLETE);
        CHECK(cwd.path == dir);

        int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int fd = open((dir + "/file").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        REQUIRE(dfd >= 0);
        REQUIRE(fd >= 0);
        struct stat st {};
        REQUIRE(fstat(fd, &st) == 0);
        Resolved d = fd_path(obj, dfd);
        CHECK(d.resolve == TT_RESOLVE_COMPLETE);
        CHECK(d.path == dir);
        Resolved f = fd_path(obj, fd);
        CHECK(f.resolve == TT_RESOLVE_COMPLETE);
        CHECK(f.path == dir + "/file");
        CHECK(f.ino == st.st_ino);
        close(fd);
        close(dfd);
    }
    SUBCASE("the root")
    {
        REQUIRE(chdir("/") == 0);
        Resolved r = cwd_path(obj);
        CHECK(r.resolve == TT_RESOLVE_COMPLETE);
        CHECK(r.path == "/");
    }
    SUBCASE("mounts crossed on the way up: /proc/<pid>, /dev/null")
    {
        const std::string proc = "/proc/" + std::to_string(getpid());
        REQUIRE(chdir(proc.c_str()) == 0);
        Resolved r = cwd_path(obj);
        CHECK(r.resolve == TT_RESOLVE_COMPLETE);
        CHECK(r.path == proc);
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        Resolved n = fd_path(obj, fd);
        CHECK(n.resolve == TT_RESOLVE_COMPLETE);
        CHECK(n.path == "/dev/null");
        close(fd);
    }
    SUBCASE("a pipe, which has no place in the tree: pipefs:[inode]")
    {
        int p[2];
        REQUIRE(pipe2(p, O_CLOEXEC) == 0);
        struct stat st {};
        REQUIRE(fstat(p[0], &st) == 0);
        Resolved r = fd_path(obj, p[0]);
        CHECK(r.resolve == TT_RESOLVE_COMPLETE);
        CHECK(r.path == "pipefs:[" + std::to_string(st.st_ino) + "]");
        CHECK(r.ino == st.st_ino);
        close(p[0]);
        close(p[1]);
    }
    SUBCASE("a path longer than the field keeps its last 255 bytes, cut")
    {
        std::string dir = base;
        const std::string name(40, 'd');
        for (int i = 0; i < 8; ++i) {
            dir += "/" + name + std::to_string(i);
            REQUIRE(mkdir(dir.c_str(), 0755) == 0);
        }
        REQUIRE(dir.size() > TT_PATH_LEN);
        REQUIRE(chdir(dir.c_str()) == 0);
        Resolved r = cwd_path(obj);
        CHECK(r.resolve == TT_RESOLVE_CUT);
        CHECK(r.path == dir.substr(dir.size() - (TT_PATH_LEN - 1)));
        int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        Resolved f = fd_path(obj, fd);
        CHECK(f.resolve == TT_RESOLVE_CUT);
        CHECK(f.path == r.path);
        close(fd);
    }
    SUBCASE("paths of 253 to 258 bytes: whole up to 255, then the last 255 bytes, cut")
    {
        for (size_t total = 253; total <= 258; ++total) {
            CAPTURE(total);
            REQUIRE(chdir("/") == 0);
            // base/ then one name that brings the path to exactly total bytes.
            const size_t name_len = total - base.size() - 1;
            REQUIRE(name_len > 0);
            REQUIRE(name_len < NAME_MAX);
            const std::string dir = base + "/" + std::string(name_len, static_cast<char>('a' + total % 26));
            REQUIRE(dir.size() == total);
            REQUIRE(mkdir(dir.c_str(), 0755) == 0);
            REQUIRE(chdir(dir.c_str()) == 0);
            Resolved r = cwd_path(obj);
            if (total < TT_PATH_LEN) {
                CHECK(r.resolve == TT_RESOLVE_COMPLETE);
                CHECK(r.path == dir);
            } else {
                CHECK(r.resolve == TT_RESOLVE_CUT);
                CHECK(r.path == dir.substr(total - (TT_PATH_LEN - 1)));
            }
        }
    }
    SUBCASE("fds with no file: closed, negative, beyond the table")
    {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        close(fd);
        for (long bad : {long(fd), -1L, -100L, 1L << 20, 1L << 40}) {
            CAPTURE(bad);
            Resolved r = fd_path(obj, bad);
            CHECK(r.resolve == TT_RESOLVE_NONE);
            CHECK(r.path.empty());
            CHECK(r.ino == 0);
        }
    }
}
