// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "log.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <string>

namespace tapio {

namespace {

// The callback libbpf's messages go to; null: nowhere.
const LogCallback* libbpf_callback = nullptr;

int forward_libbpf(enum libbpf_print_level level, const char* format, va_list args)
{
    if (level == LIBBPF_DEBUG || !libbpf_callback || !*libbpf_callback)
        return 0;
    va_list again;
    va_copy(again, args);
    int n = std::vsnprintf(nullptr, 0, format, args);
    std::string text(n > 0 ? static_cast<size_t>(n) : 0, '\0');
    if (n > 0)
        std::vsnprintf(text.data(), text.size() + 1, format, again);
    va_end(again);
    while (!text.empty() && text.back() == '\n')
        text.pop_back();
    LogMessage m;
    m.level = level == LIBBPF_WARN ? LogLevel::warning : LogLevel::info;
    m.origin = "libbpf";
    m.text = text;
    (*libbpf_callback)(m);
    return n;
}

}  // namespace

void log_message(const Config& config, LogLevel level, std::string_view origin, std::string_view text)
{
    if (!config.log)
        return;
    LogMessage m;
    m.level = level;
    m.origin = origin;
    m.text = text;
    config.log(m);
}

LibbpfLogRoute::LibbpfLogRoute(const LogCallback& callback) : previous_callback_(libbpf_callback)
{
    libbpf_callback = &callback;
    previous_hook_ = reinterpret_cast<void*>(libbpf_set_print(forward_libbpf));
}

LibbpfLogRoute::~LibbpfLogRoute()
{
    libbpf_callback = previous_callback_;
    libbpf_set_print(reinterpret_cast<libbpf_print_fn_t>(previous_hook_));
}

}  // namespace tapio
