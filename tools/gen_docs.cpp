// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Writes what the record registry decides into the source tree: the README's
// record reference, the man page's RECORDS section and schema/ (the JSON
// Schema that `make install` copies). Run through scripts/gen-docs.sh; a unit
// test fails while any of them differs from the registry.
//
// Refuses to write a schema that changes or removes a field of the checked-in
// schema without a new schema_version (src/schema.h).
#include <nlohmann/json.hpp>

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

// Every field of the old schema, with its type and unit, must still be there.
bool compatible(const nlohmann::json& old_schema, const nlohmann::json& new_schema, std::string& why)
{
    const auto& old_defs = old_schema["$defs"];
    const auto& new_defs = new_schema["$defs"];
    for (auto it = old_defs.begin(); it != old_defs.end(); ++it) {
        if (!new_defs.contains(it.key())) {
            why = "record type " + it.key() + " was removed";
            return false;
        }
        const auto& old_props = it.value()["properties"];
        const auto& new_props = new_defs[it.key()]["properties"];
        for (auto p = old_props.begin(); p != old_props.end(); ++p) {
            std::string where = it.key() + "." + p.key();
            if (!new_props.contains(p.key())) {
                why = where + " was removed";
                return false;
            }
            for (const char* aspect : {"type", "unit", "const"}) {
                if (p.value().value(aspect, nlohmann::json()) != new_props[p.key()].value(aspect, nlohmann::json())) {
                    why = where + " changed its " + aspect;
                    return false;
                }
            }
        }
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
