// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "parse.h"

#include <charconv>

namespace tapio {

std::optional<uint64_t> parse_uint(std::string_view text)
{
    uint64_t value = 0;
    if (text.empty())
        return std::nullopt;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

namespace {

// Splits "123abc" into 123 and "abc"; nullopt when there are no digits or
// the number overflows.
std::optional<std::pair<uint64_t, std::string_view>> number_and_unit(std::string_view text)
{
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
        ++digits;
    if (digits == 0)
        return std::nullopt;
    auto value = parse_uint(text.substr(0, digits));
    if (!value)
        return std::nullopt;
    return std::make_pair(*value, text.substr(digits));
}

bool mul_overflows(uint64_t a, uint64_t b, uint64_t& out)
{
    return __builtin_mul_overflow(a, b, &out);
}

}  // namespace

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text)
{
    auto parsed = number_and_unit(text);
    if (!parsed)
        return std::nullopt;
    auto [value, unit] = *parsed;
    uint64_t scale;
    if (unit == "ns")
        scale = 1;
    else if (unit == "us" || unit == "µs")
        scale = 1000;
    else if (unit == "ms")
        scale = 1000000;
    else if (unit.empty() || unit == "s")
        scale = 1000000000ULL;
    else if (unit == "m")
        scale = 60ULL * 1000000000ULL;
    else if (unit == "h")
        scale = 3600ULL * 1000000000ULL;
    else
        return std::nullopt;
    uint64_t ns;
    if (mul_overflows(value, scale, ns) || ns > static_cast<uint64_t>(INT64_MAX))
        return std::nullopt;
    return std::chrono::nanoseconds(static_cast<int64_t>(ns));
}

std::optional<uint64_t> parse_size(std::string_view text)
{
    auto parsed = number_and_unit(text);
    if (!parsed)
        return std::nullopt;
    auto [value, unit] = *parsed;
    uint64_t scale;
    if (unit.empty() || unit == "B")
        scale = 1;
    else if (unit == "K" || unit == "k" || unit == "KiB" || unit == "KB")
        scale = 1ULL << 10;
    else if (unit == "M" || unit == "MiB" || unit == "MB")
        scale = 1ULL << 20;
    else if (unit == "G" || unit == "GiB" || unit == "GB")
        scale = 1ULL << 30;
    else
        return std::nullopt;
    uint64_t bytes;
    if (mul_overflows(value, scale, bytes))
        return std::nullopt;
    return bytes;
}

std::optional<uint32_t> parse_percent(std::string_view text)
{
    if (!text.empty() && text.back() == '%')
        text.remove_suffix(1);
    size_t dot = text.find('.');
    std::string_view whole_text = text.substr(0, dot);
    std::string_view frac_text = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
    if (whole_text.empty() || (dot != std::string_view::npos && (frac_text.empty() || frac_text.size() > 2)))
        return std::nullopt;
    auto whole = parse_uint(whole_text);
    uint64_t frac = 0;
    if (!frac_text.empty()) {
        auto digits = parse_uint(frac_text);
        if (!digits)
            return std::nullopt;
        frac = frac_text.size() == 1 ? *digits * 10 : *digits;
    }
    if (!whole || *whole > UINT32_MAX / 100 || *whole * 100 + frac > UINT32_MAX)
        return std::nullopt;
    return static_cast<uint32_t>(*whole * 100 + frac);
}

}  // namespace tapio
