// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "doc_sections.h"

#include <array>
#include <string>
#include <vector>

#include "schema.h"
#include "tapio/config.h"

namespace tapio {
namespace {

// What -e/--events completes: each traced area's glob (proc.*) and record
// types; the tapio.* records are not the areas' to select.
struct EventChoice {
    std::string name;
    std::string doc;  // its first sentence
};

// A record's doc cut to fit a completion menu: its first sentence, up to a
// "; " outside parentheses, and when still longer than 80 characters, up to
// the last ", " outside parentheses before that.
std::string brief(std::string_view doc)
{
    constexpr size_t limit = 80;
    size_t end = doc.size(), last_comma = std::string_view::npos;
    int depth = 0;
    for (size_t i = 0; i < doc.size(); ++i) {
        char c = doc[i];
        depth += c == '(' ? 1 : c == ')' ? -1 : 0;
        bool next_blank = i + 1 == doc.size() || doc[i + 1] == ' ';
        if (depth == 0 && next_blank && (c == '.' || c == ';')) {
            end = i;
            break;
        }
        if (depth == 0 && next_blank && c == ',' && i < limit)
            last_comma = i;
    }
    if (end > limit && last_comma != std::string_view::npos)
        end = last_comma;
    return std::string(doc.substr(0, end));
}

std::vector<EventChoice> event_choices()
{
    std::vector<EventChoice> out;
    for (Area area : all_areas) {
        std::string_view name = area_name(area);
        out.push_back({std::string(name) + ".*", "every " + std::string(name) + " record"});
        for (const RecordSpec* spec : all_records()) {
            if (spec->area != name)
                continue;
            out.push_back({std::string(spec->type), brief(spec->doc)});
        }
    }
    return out;
}

// Inside '...': zsh ends the quote, writes a quoted ', and reopens it; fish
// escapes ' and \.
std::string zsh_quoted(std::string_view s)
{
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string fish_quoted(std::string_view s)
{
    std::string out = "'";
    for (char c : s) {
        if (c == '\'' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "'";
}

std::string events_bash()
{
    std::string out = "    local events=\"";
    bool first = true;
    for (const EventChoice& e : event_choices()) {
        out += (first ? "" : " ") + e.name;
        first = false;
    }
    return out + "\"\n";
}

std::string events_zsh()
{
    std::string out = "local -a events\nevents=(\n";
    for (const EventChoice& e : event_choices())
        out += "  " + zsh_quoted(e.name + ":" + e.doc) + "\n";
    return out + ")\n";
}

std::string events_fish()
{
    std::string out = "function __tapio_trace_record_types\n    printf '%s\\t%s\\n' \\\n";
    std::vector<EventChoice> choices = event_choices();
    for (size_t i = 0; i < choices.size(); ++i)
        out += "        " + fish_quoted(choices[i].name) + " " + fish_quoted(choices[i].doc) +
               (i + 1 < choices.size() ? " \\\n" : "\n");
    return out + "end\n";
}

constexpr std::array<DocSection, 5> sections = {{
    {"README.md", "<!-- records:begin (generated from the record registry by scripts/gen-docs.sh) -->",
     "<!-- records:end -->", records_markdown},
    {"man/tapio-trace.8", ".\\\" records:begin (generated from the record registry by scripts/gen-docs.sh)",
     ".\\\" records:end", records_man},
    {"completions/tapio-trace.bash", "    # events:begin (generated from the record registry by scripts/gen-docs.sh)",
     "    # events:end", events_bash},
    {"completions/_tapio-trace", "# events:begin (generated from the record registry by scripts/gen-docs.sh)",
     "# events:end", events_zsh},
    {"completions/tapio-trace.fish", "# events:begin (generated from the record registry by scripts/gen-docs.sh)",
     "# events:end", events_fish},
}};

bool bounds(const std::string& text, const DocSection& s, size_t& from, size_t& to)
{
    size_t b = text.find(s.begin);
    if (b == std::string::npos)
        return false;
    size_t line_end = text.find('\n', b);
    if (line_end == std::string::npos)
        return false;
    size_t e = text.find(s.end, line_end);
    if (e == std::string::npos)
        return false;
    from = line_end + 1;
    to = e;
    return true;
}

}  // namespace

std::span<const DocSection> doc_sections()
{
    return sections;
}

bool section_text(const std::string& text, const DocSection& section, std::string& out)
{
    size_t from = 0, to = 0;
    if (!bounds(text, section, from, to))
        return false;
    out = text.substr(from, to - from);
    return true;
}

bool replace_section(const std::string& text, const DocSection& section, std::string& out)
{
    size_t from = 0, to = 0;
    if (!bounds(text, section, from, to))
        return false;
    out = text.substr(0, from) + section.render() + text.substr(to);
    return true;
}

}  // namespace tapio
