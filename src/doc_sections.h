// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The generated parts of the documentation: where each sits (between two
// marker lines of a file) and what the registry says it holds. Shared by the
// generator (tools/gen_docs.cpp) and the test that keeps the files in step.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace tapio {

struct DocSection {
    std::string_view file;   // relative to the source tree
    std::string_view begin;  // marker lines, kept
    std::string_view end;
    std::string (*render)();
};

std::span<const DocSection> doc_sections();

// The text between the markers of section in text; false without markers.
bool section_text(const std::string& text, const DocSection& section, std::string& out);
// text with the section's body replaced by what render() makes.
bool replace_section(const std::string& text, const DocSection& section, std::string& out);

}  // namespace tapio
