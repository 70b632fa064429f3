// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The collector: configuration in, a stream of decoded records out, health on
// the side. tapio-trace's command line is a thin front end over it; a program
// embeds it the same way (examples/embed.cpp):
//
//   tapio::Config config;
//   config.areas = {tapio::Area::proc};
//   tapio::Collector collector(config);
//   collector.start();                   // loads and attaches, or throws tapio::Error
//   collector.run(sink, limits);         // records into a tapio::RecordSink
//   collector.stop();                    // from another thread or a signal handler
//   tapio::Health h = collector.health();
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tapio/clock.h"
#include "tapio/config.h"
#include "tapio/errors.h"
#include "tapio/health.h"
#include "tapio/sink.h"

namespace tapio {

class HostFeatures;
class CollectorCore;

// When run() returns by itself.
struct RunLimits {
    std::optional<std::chrono::nanoseconds> duration;
    uint64_t max_events = 0;  // 0 = unlimited
};

enum class StopReason { requested, duration, count, output_closed };

class Collector {
public:
    explicit Collector(Config config);
    // features: what the host offers, replaced in tests; nullptr for the real host.
    Collector(Config config, HostFeatures* features);
    ~Collector();
    Collector(const Collector&) = delete;
    Collector& operator=(const Collector&) = delete;

    // Checks privileges and the kernel, mounts tracefs when nothing has,
    // loads and attaches. Throws Error (with its exit code) when nothing
    // could start. From here on until the collector goes, libbpf's messages
    // go to Config::log.
    void start();
    // Streams records into sink until a limit, stop(), or sink_closed()
    // returns true. Reports drops at most once a second as "tapio.dropped"
    // records, and once more at the end.
    StopReason run(RecordSink& sink, const RunLimits& limits, bool (*sink_closed)(void*) = nullptr,
                   void* closed_ctx = nullptr);
    // Safe from a signal handler and from another thread.
    void stop();

    Health health() const;
    const Config& config() const;
    // Turns the kernel's boot-time stamps into wall-clock time.
    const WallClock& clock() const;

private:
    std::unique_ptr<CollectorCore> core_;
};

// "not privileged enough: needs CAP_BPF and CAP_PERFMON, or root (missing
// ...)", or nullopt when this process may load and attach.
std::optional<std::string> missing_privileges();

}  // namespace tapio
