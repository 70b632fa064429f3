// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The record registry against everything made from it or checked by it: the
// decoders (every record they can make conforms, and every declared field is
// made), the generated documentation and the installed JSON Schema.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <vector>

#include "doc_sections.h"
#include "fixtures.h"
#include "decode.h"
#include "schema.h"
#include "schema_check.h"
#include "tapio/writer.h"

using namespace tapio;

namespace {

bool snake_case(std::string_view name)
{
    if (name.empty() || !std::islower(static_cast<unsigned char>(name[0])))
        return false;
    for (char c : name)
        if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
            return false;
    return true;
}

// Lines the JSON writer made for whatever the sink was given.
std::vector<std::string> lines_of(Output& out)
{
    std::vector<std::string> lines;
    std::string text(out.buffer().data(), out.buffer().size());
    out.buffer().clear();
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

// Bytes biased towards the values that pick branches: zero, small numbers,
// all ones.
uint8_t biased_byte(std::mt19937& rng)
{
    unsigned pick = rng() % 10;
    if (pick < 4)
        return 0;
    if (pick < 7)
        return static_cast<uint8_t>(pick - 3);  // 1, 2, 3
    if (pick == 7)
        return 0xff;
    return static_cast<uint8_t>(rng());
}

void record_fields(const nlohmann::json& r, std::set<std::string>& seen)
{
    for (auto it = r.begin(); it != r.end(); ++it)
        seen.insert(r["type"].get<std::string>() + "." + it.key());
}

}  // namespace

TEST_CASE("the registry: unique snake_case names, one entry per kind, sizes of bpf/events.h")
{
    std::set<std::string> types;
    std::set<uint16_t> kinds;
    for (const RecordSpec* spec : all_records()) {
        INFO(spec->type);
        CHECK(types.insert(std::string(spec->type)).second);
        CHECK(spec->type.substr(0, spec->area.size() + 1) == std::string(spec->area) + ".");
        CHECK(snake_case(spec->type.substr(spec->area.size() + 1)));
        CHECK_FALSE(spec->doc.empty());
        if (spec->kind) {
            CHECK(kinds.insert(spec->kind).second);
            CHECK(find_kind(spec->kind) == spec);
        }
        if (spec->describe)
            CHECK(spec->size >= sizeof(tt_header));
        std::set<std::string> names;
        for (const Field& c : common_fields())
            names.insert(std::string(c.name));
        for (const Field& f : spec->fields) {
            INFO(f.name);
            CHECK(snake_case(f.name));
            CHECK_FALSE(f.doc.empty());
            CHECK_MESSAGE(names.insert(std::string(f.name)).second, "declared twice or shadows a common field");
        }
    }
    // Every kind bpf/events.h names that user space decodes has an entry.
    for (uint16_t kind : {TT_PROC_EXEC,     TT_PROC_FORK,     TT_PROC_EXIT,   TT_PROC_SIGNAL,  TT_PROC_SETUID,
                          TT_PROC_SYSCALLS, TT_NET_CONNECT,   TT_NET_ACCEPT,  TT_NET_CLOSE,    TT_NET_RETRANSMIT,
                          TT_NET_RESET,     TT_NET_DROP,      TT_NET_STATE,   TT_MEM_OOM_KILL, TT_MEM_RECLAIM,
                          TT_MEM_ALLOC,     TT_FILE_OPEN,     TT_FILE_UNLINK, TT_FILE_RENAME,  TT_FILE_MKDIR,
                          TT_FILE_RMDIR,    TT_FILE_TRUNCATE, TT_FILE_CHMOD,  TT_FILE_SLOW,    TT_FILE_IO})
        CHECK_MESSAGE(find_kind(kind) != nullptr, "kind " << kind);
}

TEST_CASE("every ring-buffer record the decoders make conforms to the registry, and every declared field is made")
{
    Output out(-1);
    JsonWriter writer(out, WallClock(0));
    std::mt19937 rng(12345);
    std::set<std::string> seen;
    for (const RecordSpec* spec : all_records()) {
        if (!spec->describe)
            continue;
        INFO(spec->type);
        std::vector<uint8_t> bytes(spec->size);
        for (int round = 0; round < 4000; ++round) {
            for (uint8_t& b : bytes)
                b = biased_byte(rng);
            auto* h = reinterpret_cast<tt_header*>(bytes.data());
            h->kind = spec->kind;
            h->size = static_cast<uint16_t>(spec->size);
            DecodeOptions options;
            options.max_args = 1 + static_cast<uint32_t>(rng() % 64);
            REQUIRE(decode_record(bytes.data(), bytes.size(), options, writer));
            for (const std::string& line : lines_of(out)) {
                auto problems = schema_check::line_problems(line);
                CHECK_MESSAGE(problems.empty(), problems.front());
                if (!problems.empty())
                    return;
                record_fields(nlohmann::json::parse(line), seen);
            }
        }
        for (const Field& f : spec->fields)
            CHECK_MESSAGE(seen.count(std::string(spec->type) + "." + std::string(f.name)),
                          "the registry declares " << f.name << " but no decoded record had it");
    }
}

TEST_CASE("summaries and meta records conform to the registry")
{
    Output out(-1);
    JsonWriter writer(out, WallClock(0));
    Common c;
    c.pid = 7;
    c.comm = "x";

    SyscallCount rows[] = {{0, 10, 1, 500}, {9999, 2, 0, 10}};
    write_syscalls(writer, c, 1000, rows, 10);
    write_syscalls(writer, c, 1000, {}, 10);

    tt_file_io_key key{};
    tt_file_io_stat stat{};
    std::strcpy(stat.path, "/var/log/x");
    write_file_io(writer, c, 1000, FileIoRow{&key, &stat});

    PsiSample sample;
    sample.has_full = true;
    PressureReport with{"system", "/proc/pressure/memory", "above", &sample};
    with.threshold = 1000;
    write_pressure(writer, c, with);
    PressureReport without{"cgroup", "/sys/fs/cgroup/x/memory.pressure", "interval"};
    without.reason = "PSI is off";
    write_pressure(writer, c, without);

    DropTable drops{};
    drops[TT_PROC_EXEC][TT_DROP_LOST] = 3;
    drops[TT_FILE_IO][TT_DROP_MAP_FULL] = 1;
    write_dropped(writer, c, drops, true);

    std::set<std::string> types;
    for (const std::string& line : lines_of(out)) {
        auto problems = schema_check::line_problems(line);
        CHECK_MESSAGE(problems.empty(), (problems.empty() ? "" : problems.front()));
        types.insert(nlohmann::json::parse(line)["type"].get<std::string>());
    }
    CHECK(types == std::set<std::string>{"proc.syscalls", "file.io", "mem.pressure", "tapio.dropped"});
}

TEST_CASE("the checker catches what it is there for")
{
    auto line = [](const char* extra) {
        return std::string(
                   R"({"ts":"t","type":"proc.fork","pid":1,"tid":1,"ppid":0,"uid":0,"comm":"c","cgroup_id":1)") +
               extra + "}";
    };
    CHECK(schema_check::line_problems(line(R"(,"child_pid":5)")).empty());
    CHECK_FALSE(schema_check::line_problems(line("")).empty());                                 // required missing
    CHECK_FALSE(schema_check::line_problems(line(R"(,"child_pid":"5")")).empty());              // wrong type
    CHECK_FALSE(schema_check::line_problems(line(R"(,"child_pid":null)")).empty());             // null
    CHECK_FALSE(schema_check::line_problems(line(R"(,"child_pid":5,"extra":1)")).empty());      // undeclared
    CHECK_FALSE(schema_check::line_problems(line(R"(,"child_tid":6,"child_pid":5)")).empty());  // order
    CHECK_FALSE(schema_check::line_problems(line(R"(,"child_pid":5,"child_pid":6)")).empty());  // twice
    CHECK_FALSE(schema_check::line_problems(R"({"type":"proc.fork"})").empty());                // no common
    CHECK_FALSE(schema_check::line_problems(R"({"ts":"t","type":"proc.nope"})").empty());
}

TEST_CASE("the generated sections (README, man page, completions) are what the registry says (scripts/gen-docs.sh)")
{
    for (const DocSection& section : doc_sections()) {
        std::string text;
        REQUIRE_MESSAGE(section_text(fixtures::source_text(std::string(section.file)), section, text),
                        section.file << " lacks its " << section.begin << " markers");
        bool same = text == section.render();
        CHECK_MESSAGE(same, section.file << "'s generated section differs from the registry: run scripts/gen-docs.sh");
    }
}

TEST_CASE("schema/tapio-trace.schema.json is what `tapio-trace schema` prints (scripts/gen-docs.sh)")
{
    std::string schema = json_schema();
    bool same = fixtures::source_text("schema/tapio-trace.schema.json") == schema;
    CHECK_MESSAGE(same, "schema/tapio-trace.schema.json differs from the registry: run scripts/gen-docs.sh");
    auto parsed = nlohmann::json::parse(schema);
    CHECK(parsed["schema_version"] == schema_version);
    CHECK(parsed["oneOf"].size() == all_records().size());
    // A record's own fields and the common ones, nothing else.
    const auto& exec = parsed["$defs"]["proc.exec"];
    CHECK(exec["additionalProperties"] == false);
    CHECK(exec["properties"].size() == common_fields().size() + find_record("proc.exec")->fields.size());
    CHECK(exec["properties"]["interpreter"]["type"] == nlohmann::json::array({"string", "null"}));
}
