// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Writes what the record registry decides into the source tree: the README's
// record reference, the man page's RECORDS section and schema/ (the JSON
// Schema that `make install` copies). Run through scripts/gen-docs.sh; a unit
// test fails while any of them differs from the registry.
//
// Refuses to write a schema that changes or removes a field of the checked-in
// schema without a new schema_version (src/schema.h).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "doc_sections.h"
#include "schema.h"

namespace {

std::string slurp(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool write(const std::string& path, const std::string& text)
{
    std::ofstream out(path, std::ios::trunc);
    out << text;
    return out.good();
}

// What a consumer of the old schema relied on about one value, still true:
// its type, unit, constant and vocabulary; each of its members (object
// properties, array items), recursively; and that a required member stays
// required.
bool same_meaning(const nlohmann::json& old_node, const nlohmann::json& new_node, const std::string& where,
                  std::string& why)
{
    for (const char* aspect : {"type", "unit", "const", "enum"}) {
        if (old_node.value(aspect, nlohmann::json()) != new_node.value(aspect, nlohmann::json())) {
            why = where + " changed its " + aspect;
            return false;
        }
    }
    if (old_node.contains("properties")) {
        const auto& new_props = new_node.value("properties", nlohmann::json::object());
        for (auto p = old_node["properties"].begin(); p != old_node["properties"].end(); ++p) {
            if (!new_props.contains(p.key())) {
                why = where + "." + p.key() + " was removed";
                return false;
            }
            if (!same_meaning(p.value(), new_props[p.key()], where + "." + p.key(), why))
                return false;
        }
        auto required = new_node.value("required", nlohmann::json::array());
        for (const auto& r : old_node.value("required", nlohmann::json::array())) {
            if (std::find(required.begin(), required.end(), r) == required.end()) {
                why = where + "." + r.get<std::string>() + " is no longer always there";
                return false;
            }
        }
    }
    if (old_node.contains("items"))
        return same_meaning(old_node["items"], new_node.value("items", nlohmann::json::object()), where + "[]", why);
    return true;
}

// Every record type of the old schema, with the same meaning.
bool compatible(const nlohmann::json& old_schema, const nlohmann::json& new_schema, std::string& why)
{
    const auto& new_defs = new_schema["$defs"];
    for (auto it = old_schema["$defs"].begin(); it != old_schema["$defs"].end(); ++it) {
        if (!new_defs.contains(it.key())) {
            why = "record type " + it.key() + " was removed";
            return false;
        }
        if (!same_meaning(it.value(), new_defs[it.key()], it.key(), why))
            return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::cerr << "usage: gen_docs SOURCE_DIR\n";
        return 2;
    }
    std::string root = argv[1];
    std::string schema_path = root + "/schema/tapio-trace.schema.json";
    std::string schema = tapio::json_schema();

    std::string old_text = slurp(schema_path);
    if (!old_text.empty()) {
        auto old_schema = nlohmann::json::parse(old_text, nullptr, false);
        auto new_schema = nlohmann::json::parse(schema);
        std::string why;
        if (!old_schema.is_discarded() && old_schema.value("schema_version", 0) == tapio::schema_version &&
            !compatible(old_schema, new_schema, why)) {
            std::cerr << "gen_docs: " << why << " at schema_version " << tapio::schema_version
                      << ": bump schema_version in src/schema.h (consumers rely on what a version means)\n";
            return 1;
        }
    }

    int status = 0;
    for (const tapio::DocSection& section : tapio::doc_sections()) {
        std::string path = root + "/" + std::string(section.file);
        std::string text = slurp(path);
        std::string updated;
        if (!tapio::replace_section(text, section, updated)) {
            std::cerr << "gen_docs: " << path << " has no " << section.begin << " ... " << section.end << " markers\n";
            status = 1;
            continue;
        }
        if (updated != text && !write(path, updated)) {
            std::cerr << "gen_docs: cannot write " << path << "\n";
            status = 1;
        }
    }
    if (!write(schema_path, schema)) {
        std::cerr << "gen_docs: cannot write " << schema_path << "\n";
        status = 1;
    }
    return status;
}
