// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Embedding tapio-trace's collector: only the public headers (include/tapio/),
// nothing of the BPF side. It traces the proc area, starts /bin/true, writes
// every record of that child as a JSON line, and stops.
//
//   sudo build/examples/tapio_embed
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string_view>
#include <thread>

#include "tapio/collector.h"
#include "tapio/writer.h"

extern char** environ;

namespace {

// Passes the child's records to a JSON writer and notes its exec.
class ChildRecords final : public tapio::RecordSink {
public:
    ChildRecords(tapio::RecordSink& out, std::atomic<pid_t>& child) : out_(out), child_(child) {}

    bool saw_exec() const { return saw_exec_; }

    void begin(std::string_view type, const tapio::Common& common) override
    {
        // The child's own records, and what the collector says about itself.
        // The child's: by its pid, or as a child of ours before its pid was known here.
        bool child = (child_ != 0 && common.pid == static_cast<uint32_t>(child_.load())) ||
                     (common.ppid == parent_ && common.pid != parent_);
        mine_ = child || type.rfind("tapio.", 0) == 0;
        exec_ = mine_ && type == "proc.exec";
        if (mine_)
            out_.begin(type, common);
    }
    void str(std::string_view key, std::string_view value) override
    {
        if (exec_ && key == "filename" && value == "/bin/true")
            saw_exec_ = true;
        if (mine_)
            out_.str(key, value);
    }
    void i64(std::string_view key, int64_t value) override
    {
        if (mine_)
            out_.i64(key, value);
    }
    void u64(std::string_view key, uint64_t value) override
    {
        if (mine_)
            out_.u64(key, value);
    }
    void boolean(std::string_view key, bool value) override
    {
        if (mine_)
            out_.boolean(key, value);
    }
    void null(std::string_view key) override
    {
        if (mine_)
            out_.null(key);
    }
    void name(std::string_view key, std::string_view value) override
    {
        if (mine_)
            out_.name(key, value);
    }
    void decimal(std::string_view key, int64_t scaled, unsigned places) override
    {
        if (mine_)
            out_.decimal(key, scaled, places);
    }
    void begin_array(std::string_view key) override
    {
        if (mine_)
            out_.begin_array(key);
    }
    void element(std::string_view value) override
    {
        if (mine_)
            out_.element(value);
    }
    void end_array() override
    {
        if (mine_)
            out_.end_array();
    }
    void begin_object(std::string_view key) override
    {
        if (mine_)
            out_.begin_object(key);
    }
    void end_object() override
    {
        if (mine_)
            out_.end_object();
    }
    void end() override
    {
        if (mine_)
            out_.end();
    }
    void flush() override { out_.flush(); }

private:
    tapio::RecordSink& out_;
    std::atomic<pid_t>& child_;
    const uint32_t parent_ = static_cast<uint32_t>(getpid());
    bool mine_ = false, exec_ = false, saw_exec_ = false;
};

}  // namespace

int main()
{
    tapio::Config config;
    config.areas = {tapio::Area::proc};
    config.log = [](const tapio::LogMessage& m) {
        if (m.level == tapio::LogLevel::warning)
            std::fprintf(stderr, "warning: %.*s: %.*s\n", static_cast<int>(m.origin.size()), m.origin.data(),
                         static_cast<int>(m.text.size()), m.text.data());
    };
    tapio::Collector collector(config);
    try {
        collector.start();
    } catch (const tapio::Error& e) {
        std::fprintf(stderr, "cannot start: %s\n", e.what());
        return static_cast<int>(e.code());
    }

    tapio::Output out(STDOUT_FILENO);
    tapio::JsonWriter json(out, collector.clock());
    std::atomic<pid_t> child{0};
    ChildRecords sink(json, child);

    // The workload, once tracing runs: one child, then stop.
    std::thread workload([&] {
        pid_t pid = 0;
        char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
        // posix_spawn returns once the child exists; its pid is set first.
        if (posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ) == 0) {
            child = pid;
            waitpid(pid, nullptr, 0);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        collector.stop();
    });

    tapio::RunLimits limits;
    limits.duration = std::chrono::seconds(10);
    collector.run(sink, limits);
    workload.join();

    tapio::Health h = collector.health();
    size_t attached = 0;
    for (const tapio::HookStatus& hook : h.hooks)
        attached += hook.state == tapio::HookState::attached;
    std::fprintf(stderr, "state %s, %zu hooks attached, %llu records, %llu dropped, saw the exec of /bin/true: %s\n",
                 tapio::state_name(h.state), attached, static_cast<unsigned long long>(h.events),
                 static_cast<unsigned long long>(h.dropped().total()), sink.saw_exec() ? "yes" : "no");
    return sink.saw_exec() ? 0 : 1;
}
