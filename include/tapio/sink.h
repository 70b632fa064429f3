// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The stream of decoded events: decoders and periodic summaries call a
// RecordSink, which a writer (JSON lines, table) or an embedding program
// implements. Nothing here allocates; strings are views into the record.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string_view>

namespace tapio {

// Where a task runs, when it is in a container or a Kubernetes pod, as
// resolved on the node from its cgroup path and kubelet's directories (no
// runtime socket, no API server). Each field is empty when unknown. Views
// into the collector's cache: valid during the record's begin() ... end().
struct Workload {
    std::string_view container_id;       // the runtime's full id (64 hex), or a machine name (nspawn, lxc)
    std::string_view container_runtime;  // docker, containerd, cri-o, podman, systemd-nspawn, lxc
    std::string_view container_name;     // the Kubernetes container's name
    std::string_view pod_namespace;
    std::string_view pod_name;
    std::string_view pod_uid;
    std::string_view pod_qos_class;  // Guaranteed, Burstable, BestEffort
    // The fields above as JSON members, escaped, each with its leading
    // comma (",\"container_id\":\"...\""), rendered once per cgroup for
    // writers of JSON; may be empty, then writers render the fields.
    std::string_view json_members;
};

// Fields every record carries.
struct Common {
    uint64_t ts_boot_ns = 0;  // CLOCK_BOOTTIME
    uint32_t pid = 0;
    uint32_t tid = 0;
    uint32_t ppid = 0;
    uint32_t uid = 0;
    uint64_t cgroup_id = 0;
    // The task's cgroup in the v1 hierarchy of the memory controller (on a
    // hybrid host; 0 elsewhere): where containers live there. Not written.
    uint64_t cgroup_v1_id = 0;
    std::string_view comm;  // raw kernel bytes: hostile
    // Its container and pod; null when not in one, unknown, or --no-enrich.
    const Workload* workload = nullptr;
};

class RecordSink {
public:
    virtual ~RecordSink() = default;

    virtual void begin(std::string_view type, const Common& common) = 0;
    virtual void i64(std::string_view key, int64_t value) = 0;
    virtual void u64(std::string_view key, uint64_t value) = 0;
    virtual void boolean(std::string_view key, bool value) = 0;
    virtual void null(std::string_view key) = 0;
    // Any bytes: writers escape them.
    virtual void str(std::string_view key, std::string_view value) = 0;
    // A value from a fixed vocabulary (errno names, states): never escaped.
    virtual void name(std::string_view key, std::string_view value) { str(key, value); }
    // A fixed-point number: scaled / 10^places, e.g. (1234, 2) is 12.34.
    // Writers print it as a number; this fallback prints it as text.
    virtual void decimal(std::string_view key, int64_t scaled, unsigned places)
    {
        char text[32];
        int n = format_decimal(text, sizeof(text), scaled, places);
        str(key, std::string_view(text, n > 0 ? static_cast<size_t>(n) : 0));
    }

    // "12.34" for (1234, 2) into buf; returns the length.
    static int format_decimal(char* buf, size_t size, int64_t scaled, unsigned places)
    {
        uint64_t scale = 1;
        for (unsigned i = 0; i < places && i < 18; ++i)
            scale *= 10;
        bool negative = scaled < 0;
        uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(scaled) : static_cast<uint64_t>(scaled);
        if (places == 0)
            return std::snprintf(buf, size, "%s%llu", negative ? "-" : "", (unsigned long long)magnitude);
        return std::snprintf(buf, size, "%s%llu.%0*llu", negative ? "-" : "", (unsigned long long)(magnitude / scale),
                             static_cast<int>(places), (unsigned long long)(magnitude % scale));
    }

    virtual void begin_array(std::string_view key) = 0;
    virtual void element(std::string_view value) = 0;
    virtual void end_array() = 0;
    virtual void begin_object(std::string_view key) = 0;
    virtual void end_object() = 0;

    virtual void end() = 0;
    // End of a drain: push buffered output out.
    virtual void flush() {}
};

}  // namespace tapio
