// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The registry's tables joined, and what is made of them: the JSON Schema,
// the README's record reference and the man page's RECORDS section.
#include "schema.h"

#include "doctor.h"

#include <nlohmann/json.hpp>

#include <array>
#include <string>
#include <vector>

namespace tapio {
namespace {

using enum JsonType;
using enum Presence;

constexpr std::string_view runtimes[] = {"docker", "containerd", "cri-o", "podman", "systemd-nspawn", "lxc"};
constexpr std::string_view qos_classes[] = {"Guaranteed", "Burstable", "BestEffort"};

constexpr Field common[] = {
    {"ts", string, always, {}, "when it happened: RFC 3339, UTC, nanoseconds"},
    {"type", string, always, {}, "the record type, such as proc.exec"},
    {"pid", integer, always, {}, "the process (thread group id), as the kernel saw it; 0 when no task"},
    {"tid", integer, always, {}, "the thread"},
    {"ppid", integer, always, {}, "the parent process"},
    {"uid", integer, always, {}, "the real user id"},
    {"comm", string, always, {}, "the task's command name (escaped like every kernel string)"},
    {"cgroup_id", integer, always, {}, "the task's cgroup v2 id (inode number of its cgroup directory)"},
    {"container_id",
     string,
     optional,
     {},
     "the task's container: the runtime's full id, or the machine's name (systemd-nspawn, lxc); only when in one "
     "(--no-enrich: never)"},
    {"container_runtime", string, optional, {}, "what runs the container, as its cgroup's layout tells", runtimes},
    {"container_name", string, optional, {}, "the Kubernetes container's name, from kubelet's log links (--pod-logs)"},
    {"pod_namespace",
     string,
     optional,
     {},
     "the pod's namespace, from kubelet's directories (--pod-logs, --kubelet-root)"},
    {"pod_name", string, optional, {}, "the pod's name, from kubelet's pod log directory (--pod-logs)"},
    {"pod_uid", string, optional, {}, "the pod's uid, from its cgroup path"},
    {"pod_qos_class", string, optional, {}, "the pod's QoS class, from its cgroup path", qos_classes},
};

struct Registry {
    std::vector<const RecordSpec*> records;
    Registry()
    {
#define TAPIO_AREA_RECORDS(name) name##_records(),
        for (auto area : {TAPIO_AREAS(TAPIO_AREA_RECORDS) meta_records()})
#undef TAPIO_AREA_RECORDS
            for (const RecordSpec& spec : area)
                records.push_back(&spec);
    }
};

const Registry& registry()
{
    static const Registry r;
    return r;
}

using ordered = nlohmann::ordered_json;

ordered field_schema(const Field& f);

ordered object_schema(std::span<const Field> fields, const RecordSpec* spec)
{
    ordered o;
    o["type"] = "object";
    ordered props = ordered::object();
    ordered required = ordered::array();
    if (spec) {
        for (const Field& c : common) {
            props[std::string(c.name)] = field_schema(c);
            required.push_back(std::string(c.name));
        }
        props["type"]["const"] = std::string(spec->type);
    }
    for (const Field& f : fields) {
        props[std::string(f.name)] = field_schema(f);
        if (!optional_field(f))
            required.push_back(std::string(f.name));
    }
    o["properties"] = props;
    o["required"] = required;
    o["additionalProperties"] = false;
    return o;
}

ordered field_schema(const Field& f)
{
    ordered o;
    if (!f.doc.empty())
        o["description"] = std::string(f.doc);
    if (!f.unit.empty())
        o["unit"] = std::string(f.unit);
    std::string type(json_type_name(f.type));
    if (nullable_field(f))
        o["type"] = ordered::array({type, "null"});
    else
        o["type"] = type;
    if (!f.values.empty()) {
        ordered values = ordered::array();
        for (std::string_view v : f.values)
            values.push_back(std::string(v));
        if (nullable_field(f))
            values.push_back(nullptr);
        o["enum"] = values;
    }
    if (f.type == array) {
        if (f.members.empty())
            o["items"]["type"] = std::string(json_type_name(f.item_type));
        else
            o["items"] = object_schema(f.members, nullptr);
    } else if (f.type == object) {
        if (f.members.empty()) {
            o["additionalProperties"]["type"] = std::string(json_type_name(f.item_type));
            if (!f.keyed_by.empty())
                o["propertyNames"]["description"] = std::string(f.keyed_by);
        } else {
            ordered inner = object_schema(f.members, nullptr);
            o["properties"] = inner["properties"];
            o["required"] = inner["required"];
            o["additionalProperties"] = false;
        }
    }
    return o;
}

// How a field's type reads in prose: "string or null, optional".
std::string type_text(const Field& f)
{
    std::string t(json_type_name(f.type));
    if (f.type == array)
        t = f.members.empty() ? "array of " + std::string(json_type_name(f.item_type)) : "array of objects";
    else if (f.type == object && f.members.empty())
        t = "object: " + std::string(f.keyed_by) + " to " + std::string(json_type_name(f.item_type));
    if (nullable_field(f))
        t += " or null";
    if (optional_field(f))
        t += ", optional";
    return t;
}

std::string meaning_text(const Field& f)
{
    std::string m(f.doc);
    if (!f.values.empty()) {
        m += " (one of: ";
        for (size_t i = 0; i < f.values.size(); ++i)
            m += (i ? ", " : "") + std::string(f.values[i]);
        m += ")";
    }
    return m;
}

// A doctor host check: its members are described once, not under every check.
bool is_check(const Field& f)
{
    return f.members.data() == doctor_check_fields().data();
}

constexpr std::string_view doctor_intro =
    "`tapio-trace doctor --json` writes one JSON object, not a stream of records; `tapio-trace schema` has its "
    "schema as `$defs/doctor`.";
constexpr std::string_view check_intro = "Every host check (`host.privileges`, `host.btf` and the others) has:";

std::string md_cell(std::string_view text)
{
    std::string out;
    for (char c : text) {
        if (c == '|')
            out += '\\';
        out += c;
    }
    return out;
}

void md_fields(std::string& out, std::span<const Field> fields, const std::string& prefix)
{
    for (const Field& f : fields) {
        out += "| `" + prefix + std::string(f.name) + "` | " + type_text(f) + " | " + std::string(f.unit) + " | " +
               md_cell(meaning_text(f)) + " |\n";
        if (!f.members.empty() && !is_check(f))
            md_fields(out, f.members, prefix + std::string(f.name) + (f.type == array ? "[]." : "."));
    }
}

constexpr std::string_view md_header = "| field | type | unit | meaning |\n|---|---|---|---|\n";

// Text for a roff line: backslashes escaped, dashes as \-, and a line never
// starts with a control character.
std::string roff(std::string_view text)
{
    std::string out;
    for (char c : text) {
        if (c == '\\')
            out += "\\e";
        else if (c == '-')
            out += "\\-";
        else
            out += c;
    }
    if (!out.empty() && (out[0] == '.' || out[0] == '\''))
        out.insert(0, "\\&");
    return out;
}

void man_fields(std::string& out, std::span<const Field> fields, const std::string& prefix)
{
    for (const Field& f : fields) {
        out += ".TP\n.B " + roff(prefix + std::string(f.name)) + "\n";
        std::string unit = f.unit.empty() ? "" : ", " + std::string(f.unit);
        out += roff(type_text(f) + unit + ": " + meaning_text(f)) + "\n";
        if (!f.members.empty() && !is_check(f))
            man_fields(out, f.members, prefix + std::string(f.name) + (f.type == array ? "[]." : "."));
    }
}

}  // namespace

bool optional_field(const Field& f)
{
    return f.presence == optional || f.presence == optional_nullable;
}

bool nullable_field(const Field& f)
{
    return f.presence == nullable || f.presence == optional_nullable;
}

std::string_view json_type_name(JsonType type)
{
    switch (type) {
        case integer: return "integer";
        case number: return "number";
        case string: return "string";
        case boolean: return "boolean";
        case array: return "array";
        case object: return "object";
    }
    return "?";
}

std::span<const Field> common_fields()
{
    return common;
}

std::span<const RecordSpec* const> all_records()
{
    return registry().records;
}

const RecordSpec* find_record(std::string_view type)
{
    for (const RecordSpec* spec : all_records())
        if (spec->type == type)
            return spec;
    return nullptr;
}

std::string json_schema()
{
    ordered s;
    s["$schema"] = "https://json-schema.org/draft/2020-12/schema";
    s["$id"] = "urn:tapio-trace:record:" + std::to_string(schema_version);
    s["title"] = "tapio-trace record";
    s["description"] =
        "One JSON line of tapio-trace --json: a record whose type property selects its fields. The document "
        "tapio-trace doctor --json writes is $defs/doctor.";
    s["schema_version"] = schema_version;
    s["type"] = "object";
    s["required"] = ordered::array({"type"});
    ordered one_of = ordered::array();
    ordered defs = ordered::object();
    for (const RecordSpec* spec : all_records()) {
        std::string type(spec->type);
        one_of.push_back({{"$ref", "#/$defs/" + type}});
        ordered def;
        def["description"] = std::string(spec->doc);
        def["x-area"] = std::string(spec->area);
        ordered body = object_schema(spec->fields, spec);
        for (auto& [k, v] : body.items())
            def[k] = v;
        defs[type] = def;
    }
    ordered doctor;
    doctor["description"] = "The one JSON document `tapio-trace doctor --json` writes (not a stream record).";
    ordered doctor_body = object_schema(doctor_fields(), nullptr);
    for (auto& [k, v] : doctor_body.items())
        doctor[k] = v;
    defs["doctor"] = doctor;
    s["oneOf"] = one_of;
    s["$defs"] = defs;
    return s.dump(2) + "\n";
}

std::string records_markdown()
{
    std::string out;
    out += "Every record starts with these fields:\n\n";
    out += md_header;
    md_fields(out, common, "");
    std::string_view area;
    for (const RecordSpec* spec : all_records()) {
        if (spec->area != area) {
            area = spec->area;
            out += "\n### " + std::string(area) + " records\n";
        }
        out += "\n#### `" + std::string(spec->type) + "`\n\n" + md_cell(spec->doc) + "\n\n";
        out += md_header;
        md_fields(out, spec->fields, "");
    }
    out += "\n### doctor document\n\n" + std::string(doctor_intro) + "\n\n" + std::string(md_header);
    md_fields(out, doctor_fields(), "");
    out += "\n" + std::string(check_intro) + "\n\n" + std::string(md_header);
    md_fields(out, doctor_check_fields(), "host.<check>.");
    return out;
}

std::string records_man()
{
    std::string out;
    out += ".SH RECORDS\nEvery record starts with these fields:\n";
    man_fields(out, common, "");
    for (const RecordSpec* spec : all_records()) {
        out += ".SS " + roff(spec->type) + "\n" + roff(spec->doc) + "\n";
        man_fields(out, spec->fields, "");
    }
    out += ".SS doctor document\n" + roff(doctor_intro) + "\n";
    man_fields(out, doctor_fields(), "");
    out += ".PP\n" + roff(check_intro) + "\n";
    man_fields(out, doctor_check_fields(), "host.<check>.");
    return out;
}

}  // namespace tapio
