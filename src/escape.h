// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Kernel strings are hostile: control bytes, quotes, invalid UTF-8 and
// terminal escape sequences all arrive in comm, paths and arguments.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "tapio/sink.h"

namespace tapio {

// Appends s as the inside of a JSON string: quotes, backslashes and control
// characters (C0, DEL, C1) escaped, invalid UTF-8 replaced by U+FFFD.
void append_json_escaped(fmt::memory_buffer& out, std::string_view s);
// A record's container and pod fields as JSON members, each escaped, with
// its leading comma; only the fields known.
void append_workload_json(fmt::memory_buffer& out, const Workload& w);

// Appends s for a terminal: printable UTF-8 as is; control characters, DEL,
// C1 controls and invalid bytes as \n, \t, \xNN or \u{NN}, invisible and blank
// code points (terminal_invisible, terminal_blank) as \u{...}; backslash doubled.
// With quote_spaces, a value containing a space or nothing at all is quoted.
void append_terminal_escaped(fmt::memory_buffer& out, std::string_view s, bool quote_spaces = false);

// The same as a string, for messages (a user's value, a pattern): one line,
// nothing the terminal would act on. Not for the per-record path.
inline std::string terminal_escaped(std::string_view s)
{
    fmt::memory_buffer out;
    append_terminal_escaped(out, s);
    return fmt::to_string(out);
}

// Length of a valid multi-byte UTF-8 sequence starting at s[i], its code
// point in cp; 0 for ASCII and for anything invalid (overlong forms,
// surrogates, values past U+10FFFF, a cut sequence).
size_t utf8_sequence(std::string_view s, size_t i, uint32_t& cp);

// Code points a terminal draws as nothing or uses to reorder what follows
// (bidi controls, zero-width and other format characters, line and
// paragraph separators): `invoice\u{202e}fdp.exe` must not show as
// `invoiceexe.pdf`. The terminal escapers write them as \u{...}.
inline bool terminal_invisible(uint32_t cp)
{
    return cp == 0x061c || cp == 0x180e || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
           (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb);
}

// Code points a terminal draws as blank space, though they are not a space
// (no-break, en, em, ideographic spaces, Hangul fillers, the braille
// blank): `x\u{a0}file.open\u{a0}1` must not pass for columns of the table.
// The terminal escaper writes them as \u{...}.
inline bool terminal_blank(uint32_t cp)
{
    return cp == 0xa0 || cp == 0x115f || cp == 0x1160 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
           cp == 0x202f || cp == 0x205f || cp == 0x2800 || cp == 0x3000 || cp == 0x3164 || cp == 0xffa0;
}

// Length of the string in a fixed-size kernel char array (up to the first NUL).
inline std::string_view kernel_string(const char* data, size_t capacity)
{
    size_t n = 0;
    while (n < capacity && data[n] != '\0')
        ++n;
    return {data, n};
}

}  // namespace tapio
