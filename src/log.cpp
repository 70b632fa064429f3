// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "log.h"

#include <bpf/libbpf.h>

#include <algorithm>
#include <cstdarg>
#include <mutex>
#include <vector>
#include <cstdio>
#include <string>

namespace tapio {

namespace {

// The routes alive, oldest first: libbpf's messages go to the newest. A
// route may go in any order (two collectors of one program).
std::mutex routes_mu;
std::vector<const LogCallback*> routes;
libbpf_print_fn_t hook_before_routes = nullptr;

int forward_libbpf(enum libbpf_print_level level, const char* format, va_list args)
{
    if (level == LIBBPF_DEBUG)
        return 0;
    std::lock_guard<std::mutex> lock(routes_mu);
    if (routes.empty() || !*routes.back())
        return 0;
    const LogCallback* libbpf_callback = routes.back();
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

LibbpfLogRoute::LibbpfLogRoute(const LogCallback& callback) : callback_(&callback)
{
    std::lock_guard<std::mutex> lock(routes_mu);
    if (routes.empty())
        hook_before_routes = libbpf_set_print(forward_libbpf);
    routes.push_back(callback_);
}

LibbpfLogRoute::~LibbpfLogRoute()
{
    std::lock_guard<std::mutex> lock(routes_mu);
    auto it = std::find(routes.rbegin(), routes.rend(), callback_);
    if (it != routes.rend())
        routes.erase(std::next(it).base());
    if (routes.empty())
        libbpf_set_print(hook_before_routes);
}

}  // namespace tapio
