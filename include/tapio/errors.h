// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <stdexcept>
#include <string>

namespace tapio {

// The documented exit codes of tapio-trace; library errors carry one.
enum class ExitCode : int {
    ok = 0,
    runtime = 1,    // a failure while running
    usage = 2,      // bad flag or value
    privilege = 3,  // missing CAP_BPF / CAP_PERFMON (or root)
    kernel = 4,     // the kernel lacks something required
};

class Error : public std::runtime_error {
public:
    Error(ExitCode code, const std::string& what) : std::runtime_error(what), code_(code) {}
    ExitCode code() const { return code_; }

private:
    ExitCode code_;
};

}  // namespace tapio
