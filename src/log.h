// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The library's messages go to Config::log, never to stderr. libbpf prints
// through one process-wide hook; a LibbpfLogRoute points it at a callback for
// as long as it lives.
#pragma once

#include <string_view>

#include "tapio/config.h"

namespace tapio {

// Passes a message to config.log, when there is one.
void log_message(const Config& config, LogLevel level, std::string_view origin, std::string_view text);

// While it lives, libbpf's warnings and informational messages go to
// callback (origin "libbpf"), and its debug messages nowhere; when the last
// route goes, the hook is what it was. The newest route alive wins; routes
// may go in any order.
class LibbpfLogRoute {
public:
    explicit LibbpfLogRoute(const LogCallback& callback);
    ~LibbpfLogRoute();
    LibbpfLogRoute(const LibbpfLogRoute&) = delete;
    LibbpfLogRoute& operator=(const LibbpfLogRoute&) = delete;

private:
    const LogCallback* callback_;
};

}  // namespace tapio
