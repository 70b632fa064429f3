// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "schema_check.h"

#include <mutex>
#include <set>

#include "schema.h"

namespace schema_check {
namespace {

using tapio::Field;
using tapio::JsonType;
using tapio::Presence;
using ojson = nlohmann::ordered_json;

std::mutex seen_mu;
std::set<std::string> seen;  // "type" and "type.field"
size_t records_checked = 0;

bool has_type(const ojson& v, JsonType t)
{
    switch (t) {
        case JsonType::integer: return v.is_number_integer();
        case JsonType::number: return v.is_number();
        case JsonType::string: return v.is_string();
        case JsonType::boolean: return v.is_boolean();
        case JsonType::array: return v.is_array();
        case JsonType::object: return v.is_object();
    }
    return false;
}

void check_fields(const ojson& obj, std::span<const Field> fields, size_t skip, const std::string& where,
                  std::vector<std::string>& out, std::set<std::string>* seen_fields);

void check_value(const ojson& v, const Field& f, const std::string& where, std::vector<std::string>& out,
                 std::set<std::string>* seen_fields)
{
    if (v.is_null()) {
        if (!tapio::nullable_field(f))
            out.push_back(where + " is null, which the registry does not allow");
        return;
    }
    if (!has_type(v, f.type)) {
        out.push_back(where + " is " + v.type_name() + ", declared " + std::string(tapio::json_type_name(f.type)));
        return;
    }
    if (!f.values.empty()) {
        bool known = false;
        for (std::string_view allowed : f.values)
            known |= v.get<std::string>() == allowed;
        if (!known)
            out.push_back(where + " is " + v.dump() + ", not one of its declared values");
    }
    if (f.type == JsonType::array) {
        for (size_t i = 0; i < v.size(); ++i) {
            std::string at = where + "[" + std::to_string(i) + "]";
            if (f.members.empty()) {
                if (!has_type(v[i], f.item_type))
                    out.push_back(at + " is " + v[i].type_name() + ", declared " +
                                  std::string(tapio::json_type_name(f.item_type)));
            } else if (!v[i].is_object()) {
                out.push_back(at + " is not an object");
            } else {
                check_fields(v[i], f.members, 0, at, out, nullptr);
            }
        }
    } else if (f.type == JsonType::object) {
        if (!f.members.empty()) {
            check_fields(v, f.members, 0, where, out, nullptr);
            return;
        }
        for (auto it = v.begin(); it != v.end(); ++it) {
            if (!has_type(it.value(), f.item_type))
                out.push_back(where + "." + it.key() + " is " + it.value().type_name() + ", declared " +
                              std::string(tapio::json_type_name(f.item_type)));
            if (f.keyed_by == "record type" && !tapio::find_record(it.key()) && it.key() != "unknown")
                out.push_back(where + " has key " + it.key() + ", which is no record type");
        }
    }
}

// obj's members from index skip on must be fields, in order.
void check_fields(const ojson& obj, std::span<const Field> fields, size_t skip, const std::string& where,
                  std::vector<std::string>& out, std::set<std::string>* seen_fields)
{
    size_t next = 0;  // fields before this one may not come any more
    size_t index = 0;
    std::set<std::string> present;
    for (auto it = obj.begin(); it != obj.end(); ++it, ++index) {
        if (index < skip)
            continue;
        const std::string& key = it.key();
        size_t pos = 0;
        while (pos < fields.size() && fields[pos].name != key)
            ++pos;
        if (pos == fields.size()) {
            out.push_back(where + "." + key + " is not declared");
            continue;
        }
        if (pos < next)
            out.push_back(where + "." + key + " comes after a field the registry declares after it");
        next = pos + 1;
        present.insert(key);
        if (seen_fields)
            seen_fields->insert(key);
        check_value(it.value(), fields[pos], where + "." + key, out, nullptr);
    }
    for (const Field& f : fields)
        if (!tapio::optional_field(f) && !present.count(std::string(f.name)))
            out.push_back(where + "." + std::string(f.name) + " is missing");
}

}  // namespace

std::vector<std::string> fields_problems(const ojson& object, std::span<const tapio::Field> fields,
                                         const std::string& where)
{
    if (!object.is_object())
        return {where + " is not an object"};
    std::vector<std::string> out;
    check_fields(object, fields, 0, where, out, nullptr);
    return out;
}

std::vector<std::string> problems(const ojson& record)
{
    std::vector<std::string> out;
    if (!record.is_object() || !record.contains("type") || !record["type"].is_string())
        return {"not an object with a string type"};
    std::string type = record["type"].get<std::string>();
    const tapio::RecordSpec* spec = tapio::find_record(type);
    if (!spec)
        return {"type " + type + " is not in the registry"};

    // The common fields, first and in order; the optional ones (a
    // container's) may be missing.
    auto common = tapio::common_fields();
    size_t i = 0, consumed = 0;
    auto it = record.begin();
    for (; i < common.size(); ++i) {
        bool optional =
            common[i].presence == tapio::Presence::optional || common[i].presence == tapio::Presence::optional_nullable;
        if (it == record.end() || it.key() != common[i].name) {
            if (optional)
                continue;
            out.push_back(type + ": member " + std::to_string(consumed) + " is " +
                          (it == record.end() ? std::string("missing") : it.key()) + ", expected common field " +
                          std::string(common[i].name));
            return out;
        }
        check_value(it.value(), common[i], type + "." + it.key(), out, nullptr);
        ++it;
        ++consumed;
    }
    std::set<std::string> fields;
    check_fields(record, spec->fields, consumed, type, out, &fields);
    std::lock_guard<std::mutex> lock(seen_mu);
    ++records_checked;
    seen.insert(type);
    for (const std::string& f : fields)
        seen.insert(type + "." + f);
    return out;
}

std::vector<std::string> text_problems(const std::string& text)
{
    std::vector<std::string> out;
    size_t start = 0;
    while (start < text.size()) {
        size_t nl = text.find('\n', start);
        if (nl == std::string::npos)
            nl = text.size();
        std::string line = text.substr(start, nl - start);
        start = nl + 1;
        if (!line.empty() && line[0] == '{')
            for (std::string& p : line_problems(line))
                out.push_back(std::move(p));
    }
    return out;
}

std::vector<std::string> line_problems(const std::string& line)
{
    // A key written twice would be merged by the parser: catch it here.
    std::vector<std::set<std::string>> keys;
    std::vector<std::string> out;
    auto watch = [&](int, ojson::parse_event_t event, ojson& parsed) {
        if (event == ojson::parse_event_t::object_start)
            keys.emplace_back();
        else if (event == ojson::parse_event_t::object_end && !keys.empty())
            keys.pop_back();
        else if (event == ojson::parse_event_t::key && !keys.empty() &&
                 !keys.back().insert(parsed.get<std::string>()).second)
            out.push_back("key " + parsed.get<std::string>() + " is written twice");
        return true;
    };
    ojson record = ojson::parse(line, watch, false);
    if (record.is_discarded())
        return {"not JSON: " + line.substr(0, 200)};
    for (std::string& p : problems(record))
        out.push_back(std::move(p));
    for (std::string& p : out)
        p += "\n    in: " + line.substr(0, 400);
    return out;
}

Coverage coverage()
{
    Coverage c;
    std::lock_guard<std::mutex> lock(seen_mu);
    c.records = records_checked;
    for (const tapio::RecordSpec* spec : tapio::all_records()) {
        std::string type(spec->type);
        if (!seen.count(type)) {
            c.types_unseen.push_back(type);
            continue;
        }
        for (const Field& f : spec->fields)
            if (!seen.count(type + "." + std::string(f.name)))
                c.fields_unseen.push_back(type + "." + std::string(f.name));
    }
    return c;
}

}  // namespace schema_check
