// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Flags that take a value: CLI11 hands over the text as typed and these
// parse it, so every bad value is one line of ours naming the flag, the value
// and what is accepted (see cli.h).
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cctype>
#include <limits>
#include <map>
#include <string_view>

#include <fmt/format.h>

#include "cli.h"
#include "escape.h"
#include "parse.h"
#include "tapio/errors.h"

namespace tapio::cli {

void usage_error(const std::string& line)
{
    throw Error(ExitCode::usage, line);
}

std::string shown(std::string_view value)
{
    // A value may come from $(...): one line, and nothing the terminal would
    // act on.
    return terminal_escaped(value);
}

void bad_value(const std::string& flag, const std::string& value, const std::string& wrong, const std::string& accepted)
{
    usage_error(fmt::format("{}: '{}' {}; {}", flag, shown(value), wrong, accepted));
}

namespace {

// "-p,--pid" -> "--pid"; "-4" alone -> "-4".
std::string long_name(const std::string& names)
{
    std::string best;
    size_t start = 0;
    while (start <= names.size()) {
        size_t comma = names.find(',', start);
        std::string name = names.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (best.empty() || name.rfind("--", 0) == 0)
            best = name;
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return best;
}

// Why text is no whole number: "is negative", "is not a whole number"
// (1.5, 1k, +5, 0x10), "is not a number". Digits alone that do not fit
// are "is too large" (too_large()).
std::string not_a_number(std::string_view text)
{
    if (!text.empty() && text[0] == '-')
        return "is negative";
    if (text.find_first_of("0123456789") != std::string_view::npos)
        return "is not a whole number";
    return text.empty() ? "is empty" : "is not a number";
}

template <typename T>
CLI::Option* add_number_impl(CLI::App& app, const std::string& names, T& target, uint64_t min, uint64_t max,
                             const std::string& help, std::string accepted)
{
    if (accepted.empty())
        accepted = max == std::numeric_limits<T>::max() ? fmt::format("give a whole number, {} or more", min)
                                                        : fmt::format("give a whole number from {} to {}", min, max);
    // Above max, the message names max even when accepted says "or more".
    std::string above = accepted.find(std::to_string(max)) != std::string::npos
                            ? accepted
                            : fmt::format("{}, at most {}", accepted, max);
    return add_value(app, names, "N", help, accepted,
                     [&target, min, max, accepted, above](const std::string& flag, const std::string& text) {
                         auto n = parse_uint(text);
                         if (!n && too_large(text, parse_uint))
                             bad_value(flag, text, "is too large", above);
                         if (!n)
                             bad_value(flag, text, not_a_number(text), accepted);
                         if (*n > max)
                             bad_value(flag, text, "is too large", above);
                         if (*n < min)
                             bad_value(flag, text, "is too small", accepted);
                         target = static_cast<T>(*n);
                     });
}

}  // namespace

// What a flag accepts, for "--pid: needs a value; ..." when the value is
// missing. Keyed by the long name; a flag on several subcommands accepts
// the same everywhere.
std::map<std::string, std::string>& accepted_by_flag()
{
    static std::map<std::string, std::string> accepted;
    return accepted;
}

CLI::Option* add_value(CLI::App& app, const std::string& names, const std::string& type, const std::string& help,
                       const std::string& accepted, ValueParser set, bool repeatable)
{
    std::string flag = long_name(names);
    accepted_by_flag()[flag] = accepted;
    CLI::Option* opt;
    if (repeatable) {
        opt = app.add_option_function<std::vector<std::string>>(
            names,
            [flag, set = std::move(set)](const std::vector<std::string>& texts) {
                for (const auto& text : texts)
                    set(flag, text);
            },
            help);
    } else {
        opt = app.add_option_function<std::string>(
            names, [flag, set = std::move(set)](const std::string& text) { set(flag, text); }, help);
        opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
    return opt->type_name(type);
}

CLI::Option* add_number(CLI::App& app, const std::string& names, uint64_t& target, uint64_t min, uint64_t max,
                        const std::string& help, std::string accepted)
{
    return add_number_impl(app, names, target, min, max, help, std::move(accepted));
}
CLI::Option* add_number(CLI::App& app, const std::string& names, uint32_t& target, uint32_t min, uint32_t max,
                        const std::string& help, std::string accepted)
{
    return add_number_impl(app, names, target, min, max, help, std::move(accepted));
}
CLI::Option* add_number(CLI::App& app, const std::string& names, uint16_t& target, uint16_t min, uint16_t max,
                        const std::string& help, std::string accepted)
{
    return add_number_impl(app, names, target, min, max, help, std::move(accepted));
}

CLI::Option* add_choice(CLI::App& app, const std::string& names, std::string& target, std::vector<std::string> choices,
                        const std::string& help)
{
    std::string accepted = "use ";
    for (size_t i = 0; i < choices.size(); ++i)
        accepted += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
    std::string type;
    for (const auto& c : choices)
        type += (type.empty() ? "" : "|") + c;
    return add_value(app, names, type, help, accepted,
                     [&target, choices, accepted](const std::string& flag, const std::string& text) {
                         if (std::find(choices.begin(), choices.end(), text) == choices.end())
                             bad_value(flag, text, "is not a choice", accepted);
                         target = text;
                     });
}

namespace {

// /proc/sys/kernel/pid_max; 0 when it cannot be read.
uint64_t pid_max()
{
    FILE* f = fopen("/proc/sys/kernel/pid_max", "re");
    if (!f)
        return 0;
    unsigned long long n = 0;
    if (fscanf(f, "%llu", &n) != 1)
        n = 0;
    fclose(f);
    return n;
}

}  // namespace

std::vector<uint32_t> parse_pid_list(const std::string& flag, const std::string& text)
{
    static const std::string accepted = "give process ids such as 1234 or 12,34";
    // Commas, and the spaces and newlines $(pgrep NAME) puts between pids.
    static const char* separators = ", \t\n";
    if (text.find_first_not_of(separators) == std::string::npos)
        bad_value(flag, text, "is empty (pgrep found nothing?)", accepted);
    std::vector<uint32_t> pids;
    const uint64_t limit = pid_max();
    size_t start = text.find_first_not_of(separators);
    while (start != std::string::npos) {
        size_t end = text.find_first_of(separators, start);
        std::string_view item = std::string_view(text).substr(start, end == std::string::npos ? end : end - start);
        auto n = parse_uint(item);
        // Process ids are below kernel.pid_max: a larger one (or digits too
        // many for a number) could only trace nothing.
        bool digits = item.find_first_not_of("0123456789") == std::string_view::npos;
        if (limit != 0 && digits && (!n || *n >= limit)) {
            bool whole = item.size() == text.size();
            std::string wrong = fmt::format("{} above the largest process id, {} (/proc/sys/kernel/pid_max is {})",
                                            whole ? "is" : fmt::format("has '{}',", shown(item)), limit - 1, limit);
            bad_value(flag, text, wrong, accepted);
        }
        if (!n || *n == 0 || *n > INT32_MAX) {
            bool whole = item.size() == text.size();
            std::string wrong = whole ? "is not a process id" : fmt::format("has '{}', not a process id", shown(item));
            bool name = std::any_of(item.begin(), item.end(), [](char ch) { return std::isalpha(uint8_t(ch)); });
            if (name && whole)
                bad_value(flag, text, wrong, fmt::format("{} (by name: --comm {})", accepted, shown(text)));
            bad_value(flag, text, wrong, accepted);
        }
        pids.push_back(static_cast<uint32_t>(*n));
        start = end == std::string::npos ? end : text.find_first_not_of(separators, end);
    }
    return pids;
}

uint32_t parse_user(const std::string& flag, const std::string& text)
{
    static const std::string accepted = "give a user name from the password database or a uid such as 1000";
    if (text.empty())
        bad_value(flag, text, "is empty", accepted);
    if (text.find_first_not_of("0123456789") == std::string::npos) {
        auto n = parse_uint(text);
        if (!n || *n >= UINT32_MAX)
            bad_value(flag, text, "is not a uid", accepted);
        return static_cast<uint32_t>(*n);
    }
    long size = sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buf(size > 0 ? static_cast<size_t>(size) : 16384);
    struct passwd pw {};
    struct passwd* found = nullptr;
    int err;
    while ((err = getpwnam_r(text.c_str(), &pw, buf.data(), buf.size(), &found)) == ERANGE && buf.size() < (1u << 20))
        buf.resize(buf.size() * 2);
    if (!found)
        bad_value(flag, text, "is not a user on this host", accepted);
    return pw.pw_uid;
}

std::chrono::nanoseconds parse_duration_value(const std::string& flag, const std::string& text)
{
    auto d = parse_duration(text);
    if (!d && too_large(text, parse_duration))
        bad_value(flag, text, "is too large",
                  fmt::format("give at most {}h (292 years), such as 500ms, 10s, 2m", INT64_MAX / 3600000000000LL));
    if (!d)
        bad_value(flag, text, "is not a duration", duration_accepted);
    return *d;
}

std::string closest(const std::string& word, const std::vector<std::string>& candidates)
{
    // Optimal string alignment distance: insertions, deletions,
    // substitutions and swaps of neighbours ("prco") each cost 1.
    auto distance = [](const std::string& a, const std::string& b) {
        std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
        for (size_t i = 0; i <= a.size(); ++i)
            d[i][0] = i;
        for (size_t j = 0; j <= b.size(); ++j)
            d[0][j] = j;
        for (size_t i = 1; i <= a.size(); ++i)
            for (size_t j = 1; j <= b.size(); ++j) {
                size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        return d[a.size()][b.size()];
    };
    std::string best;
    size_t best_distance = SIZE_MAX;
    for (const auto& c : candidates) {
        size_t dist = distance(word, c);
        if (dist < best_distance) {
            best_distance = dist;
            best = c;
        }
    }
    // A typo, not another word: at most 2 edits, and fewer than half of
    // the word's letters.
    if (best.empty() || best_distance > 2 || best_distance * 2 >= std::max<size_t>(word.size(), 2))
        return "";
    return best;
}

}  // namespace tapio::cli
