// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "doc_sections.h"

#include <array>

#include "schema.h"

namespace tapio {
namespace {

constexpr std::array<DocSection, 2> sections = {{
    {"README.md", "<!-- records:begin (generated from the record registry by scripts/gen-docs.sh) -->",
     "<!-- records:end -->", records_markdown},
    {"man/tapio-trace.8", ".\\\" records:begin (generated from the record registry by scripts/gen-docs.sh)",
     ".\\\" records:end", records_man},
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
