// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// What the fuzz targets assert about the text they make: any breach aborts,
// which libFuzzer reports as a finding with the input that caused it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "escape.h"

namespace fuzz {

[[noreturn]] inline void fail(const char* what, std::string_view text)
{
    std::fprintf(stderr, "fuzz finding: %s in %zu bytes: %.*s\n", what, text.size(), static_cast<int>(text.size()),
                 text.data());
    std::abort();
}

// A "\x1b[...m" colour sequence at s[i], its length; 0 if none.
inline size_t sgr_at(std::string_view s, size_t i)
{
    if (s[i] != '\x1b' || i + 1 >= s.size() || s[i + 1] != '[')
        return 0;
    for (size_t k = i + 2; k < s.size(); ++k) {
        char c = s[k];
        if (c == 'm')
            return k + 1 - i;
        if (!((c >= '0' && c <= '9') || c == ';'))
            return 0;
    }
    return 0;
}

// Safe for a terminal: no C0 control, DEL, C1 control (as UTF-8), invalid
// UTF-8 or invisible/reordering code point; colour sequences when allowed.
inline void check_terminal_text(std::string_view s, bool colour, std::string_view whole)
{
    size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<uint8_t>(s[i]);
        if (colour && c == 0x1b) {
            size_t n = sgr_at(s, i);
            if (!n)
                fail("ESC that is no colour sequence", whole);
            i += n;
            continue;
        }
        if (c < 0x20 || c == 0x7f)
            fail("control byte in terminal text", whole);
        if (c < 0x80) {
            ++i;
            continue;
        }
        uint32_t cp = 0;
        size_t len = tapio::utf8_sequence(s, i, cp);
        if (len == 0)
            fail("invalid UTF-8 in terminal text", whole);
        if (cp < 0xa0 || tapio::terminal_invisible(cp))
            fail("C1 control or invisible code point in terminal text", whole);
        i += len;
    }
}

}  // namespace fuzz
