// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "escape.h"

#include <cstdint>
#include <cstring>

namespace tapio {

size_t utf8_sequence(std::string_view s, size_t i, uint32_t& cp)
{
    auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
    uint8_t b0 = byte(i);
    size_t len;
    uint32_t min;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
        len = 2, cp = b0 & 0x1f, min = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
        len = 3, cp = b0 & 0x0f, min = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        len = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (i + len > s.size())
        return 0;
    for (size_t k = 1; k < len; ++k) {
        uint8_t b = byte(i + k);
        if ((b & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

inline bool plain_json(uint8_t c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

void append_u00(fmt::memory_buffer& out, uint8_t c)
{
    const char esc[6] = {'\\', 'u', '0', '0', hex_digits[c >> 4], hex_digits[c & 0xf]};
    out.append(esc, esc + 6);
}

}  // namespace

void append_json_escaped(fmt::memory_buffer& out, std::string_view s)
{
    size_t i = 0;
    while (i < s.size()) {
        // Copy the longest run that needs no escaping in one go.
        size_t run = i;
        while (run < s.size() && plain_json(static_cast<uint8_t>(s[run])))
            ++run;
        size_t n = out.size();
        out.resize(n + (run - i));
        std::memcpy(out.data() + n, s.data() + i, run - i);
        i = run;
        if (i >= s.size())
            break;
        uint8_t c = static_cast<uint8_t>(s[i]);
        if (c < 0x80) {
            switch (c) {
                case '"': out.append(std::string_view("\\\"")); break;
                case '\\': out.append(std::string_view("\\\\")); break;
                case '\n': out.append(std::string_view("\\n")); break;
                case '\t': out.append(std::string_view("\\t")); break;
                case '\r': out.append(std::string_view("\\r")); break;
                case '\b': out.append(std::string_view("\\b")); break;
                case '\f': out.append(std::string_view("\\f")); break;
                default: append_u00(out, c); break;  // other C0 controls and DEL
            }
            ++i;
            continue;
        }
        uint32_t cp = 0;
        size_t len = utf8_sequence(s, i, cp);
        if (len == 0) {
            out.append(std::string_view("\\ufffd"));
            ++i;
        } else if (cp < 0xa0) {
            append_u00(out, static_cast<uint8_t>(cp));  // C1 controls (0x9b is a CSI)
            i += len;
        } else {
            out.append(s.data() + i, s.data() + i + len);
            i += len;
        }
    }
}

void append_terminal_escaped(fmt::memory_buffer& out, std::string_view s, bool quote_spaces)
{
    bool quote = quote_spaces && (s.empty() || s.find(' ') != std::string_view::npos);
    if (quote)
        out.push_back('"');
    size_t i = 0;
    while (i < s.size()) {
        uint8_t c = static_cast<uint8_t>(s[i]);
        if (c >= 0x20 && c < 0x7f) {
            if (c == '\\' || (quote && c == '"'))
                out.push_back('\\');
            out.push_back(static_cast<char>(c));
            ++i;
            continue;
        }
        if (c < 0x80) {
            switch (c) {
                case '\n': out.append(std::string_view("\\n")); break;
                case '\t': out.append(std::string_view("\\t")); break;
                case '\r': out.append(std::string_view("\\r")); break;
                default: {
                    const char esc[4] = {'\\', 'x', hex_digits[c >> 4], hex_digits[c & 0xf]};
                    out.append(esc, esc + 4);
                }
            }
            ++i;
            continue;
        }
        uint32_t cp = 0;
        size_t len = utf8_sequence(s, i, cp);
        if (len == 0) {
            const char esc[4] = {'\\', 'x', hex_digits[c >> 4], hex_digits[c & 0xf]};
            out.append(esc, esc + 4);
            ++i;
        } else if (cp < 0xa0 || terminal_invisible(cp) || terminal_blank(cp)) {
            fmt::format_to(fmt::appender(out), "\\u{{{:02x}}}", cp);
            i += len;
        } else {
            out.append(s.data() + i, s.data() + i + len);
            i += len;
        }
    }
    if (quote)
        out.push_back('"');
}

void append_workload_json(fmt::memory_buffer& out, const Workload& w)
{
    auto field = [&out](std::string_view key, std::string_view value) {
        if (value.empty())
            return;
        out.append(std::string_view(",\""));
        out.append(key);
        out.append(std::string_view("\":\""));
        append_json_escaped(out, value);
        out.push_back('"');
    };
    field("container_id", w.container_id);
    field("container_runtime", w.container_runtime);
    field("container_name", w.container_name);
    field("pod_namespace", w.pod_namespace);
    field("pod_name", w.pod_name);
    field("pod_uid", w.pod_uid);
    field("pod_qos_class", w.pod_qos_class);
}

}  // namespace tapio
