// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Every flag the parser knows is documented: README, man page, and the
// bash, zsh and fish completions. Adding a flag without them fails here.
#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "cli.h"
#include "fixtures.h"

namespace {

std::string slurp(const std::string& rel)
{
    std::string text = fixtures::source_text(rel);
    // groff escapes dashes as \- ; compare the plain text.
    std::string plain;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '-')
            continue;
        plain += text[i];
    }
    return plain;
}

void collect(const CLI::App& app, std::set<std::string>& flags, std::set<std::string>& subcommands)
{
    for (const CLI::Option* opt : app.get_options()) {
        for (const auto& l : opt->get_lnames())
            flags.insert("--" + l);
        for (const auto& s : opt->get_snames())
            flags.insert("-" + s);
    }
    for (const CLI::App* sub : app.get_subcommands({})) {
        subcommands.insert(sub->get_name());
        collect(*sub, flags, subcommands);
    }
}

bool mentions(const std::string& text, const std::string& flag)
{
    // The flag as a whole word: "--port" must not be satisfied by "--ports".
    size_t pos = 0;
    while ((pos = text.find(flag, pos)) != std::string::npos) {
        size_t end = pos + flag.size();
        bool left_ok = pos == 0 || !(std::isalnum(static_cast<unsigned char>(text[pos - 1])) || text[pos - 1] == '-');
        bool right_ok = end >= text.size() ||
                        !(std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '-' || text[end] == '_');
        if (left_ok && right_ok)
            return true;
        pos = end;
    }
    return false;
}

}  // namespace

TEST_CASE("every flag and subcommand is in the README, the man page and the completions")
{
    tapio::cli::Options options;
    auto app = tapio::cli::build_app(options);
    std::set<std::string> flags, subcommands;
    collect(*app, flags, subcommands);
    REQUIRE(flags.count("--json"));
    REQUIRE(subcommands.count("proc"));

    const char* docs[] = {"README.md", "man/tapio-trace.8", "completions/tapio-trace.bash", "completions/_tapio-trace",
                          "completions/tapio-trace.fish"};
    for (const char* doc : docs) {
        std::string text = slurp(doc);
        for (const auto& flag : flags) {
            if (flag == "-h" || flag == "--help")
                continue;
            // fish lists short and long options without their dashes.
            bool found = mentions(text, flag);
            if (!found && std::string(doc).find(".fish") != std::string::npos) {
                std::string bare = flag.substr(flag[1] == '-' ? 2 : 1);
                found = mentions(text, (flag[1] == '-' ? "-l " : "-s ") + bare);
            }
            CHECK_MESSAGE(found, (std::string(doc) + " does not mention " + flag));
        }
        for (const auto& sub : subcommands)
            CHECK_MESSAGE(text.find(sub) != std::string::npos,
                          (std::string(doc) + " does not mention subcommand " + sub));
    }
}
