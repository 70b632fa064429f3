// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "decode.h"

#include <fmt/format.h>

#include <array>

#include "cgroups.h"
#include "escape.h"
#include "names.h"

namespace tapio {

static_assert(sizeof(tt_header) == 64, "tt_header layout differs between BPF and C++");

const char* area_name(Area area)
{
#define TAPIO_AREA_NAME(name) #name,
    static constexpr const char* names[] = {TAPIO_AREAS(TAPIO_AREA_NAME)};
#undef TAPIO_AREA_NAME
    auto i = static_cast<size_t>(area);
    return i < std::size(names) ? names[i] : nullptr;
}

bool Config::has_area(Area a) const
{
    for (Area x : areas)
        if (x == a)
            return true;
    return false;
}

namespace {

struct KindTable {
    std::array<const RecordSpec*, TT_KIND_MAX> by_kind{};
    KindTable()
    {
        for (const RecordSpec* spec : all_records())
            if (spec->kind != 0 && spec->kind < TT_KIND_MAX)
                by_kind[spec->kind] = spec;
    }
};

const KindTable& kinds()
{
    static const KindTable table;
    return table;
}

}  // namespace

const RecordSpec* find_kind(uint16_t kind)
{
    return kind < TT_KIND_MAX ? kinds().by_kind[kind] : nullptr;
}

std::string_view kind_type(uint16_t kind)
{
    const RecordSpec* spec = find_kind(kind);
    return spec ? spec->type : std::string_view("unknown");
}

Common common_of(const tt_header& h)
{
    Common c;
    c.ts_boot_ns = h.ts_ns;
    c.pid = h.pid;
    c.tid = h.tid;
    c.ppid = h.ppid;
    c.uid = h.uid;
    c.cgroup_id = h.cgroup_id;
    c.cgroup_v1_id = h.cgroup_v1_id;
    c.comm = kernel_string(h.comm, sizeof(h.comm));
    return c;
}

bool decode_record(const void* data, size_t size, const DecodeOptions& options, RecordSink& sink)
{
    if (size < sizeof(tt_header))
        return false;
    const auto* header = static_cast<const tt_header*>(data);
    return decode_record(find_kind(header->kind), data, size, options, sink);
}

bool decode_record(const RecordSpec* spec, const void* data, size_t size, const DecodeOptions& options,
                   RecordSink& sink)
{
    const auto* header = static_cast<const tt_header*>(data);
    if (!spec || !spec->describe || size < spec->size || header->size != spec->size)
        return false;
    Common common = common_of(*header);
    if (options.workloads)
        common.workload = options.workloads->find(common.cgroup_id, common.cgroup_v1_id);
    sink.begin(spec->type, common);
    spec->describe(data, options, sink);
    sink.end();
    return true;
}

void error_field(RecordSink& sink, int64_t ret)
{
    if (ret >= 0)
        return;
    std::string_view name = errno_name(ret);
    if (name.empty())
        sink.str("error", fmt::format("E{}", 0 - static_cast<uint64_t>(ret)));  // always a string, even unnamed
    else
        sink.name("error", name);
}

void cut_path_field(RecordSink& sink, std::string_view key, std::string_view truncated_key, std::string_view value)
{
    bool cut = value.size() > path_field_max;
    if (cut)
        value.remove_prefix(value.size() - path_field_max);
    sink.str(key, value);
    sink.boolean(truncated_key, cut);
}

}  // namespace tapio
