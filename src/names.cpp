// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "names.h"

#include <signal.h>
#include <string.h>

#include <array>
#include <string>

namespace tapio {

std::string_view errno_name(int64_t value)
{
    // The magnitude in unsigned: -INT64_MIN overflows.
    uint64_t err = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
    if (err == 0 || err > 4095)
        return {};
    // Kernel-internal codes (include/linux/errno.h): a syscall interrupted by
    // a signal exits with one of these at its tracepoint, and the kernel then
    // restarts it or turns it into EINTR before user space sees it.
    switch (err) {
        case 512: return "ERESTARTSYS";
        case 513: return "ERESTARTNOINTR";
        case 514: return "ERESTARTNOHAND";
        case 515: return "ENOIOCTLCMD";
        case 516: return "ERESTART_RESTARTBLOCK";
        case 517: return "EPROBE_DEFER";
        case 518: return "EOPENSTALLED";
        case 519: return "ENOPARAM";
        case 521: return "EBADHANDLE";
        case 522: return "ENOTSYNC";
        case 523: return "EBADCOOKIE";
        case 524: return "ENOTSUPP";
        case 525: return "ETOOSMALL";
        case 526: return "ESERVERFAULT";
        case 527: return "EBADTYPE";
        case 528: return "EJUKEBOX";
        case 529: return "EIOCBQUEUED";
        case 530: return "ERECALLCONFLICT";
        case 531: return "ENOGRACE";
        default: break;
    }
    const char* name = strerrorname_np(static_cast<int>(err));  // glibc >= 2.32
    return name ? std::string_view(name) : std::string_view();
}

namespace {

struct SignalNames {
    std::array<std::string, 65> names;
    SignalNames()
    {
        for (int sig = 1; sig < 65; ++sig) {
            if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
                names[sig] = sig == SIGRTMIN ? "SIGRTMIN" : "SIGRTMIN+" + std::to_string(sig - SIGRTMIN);
            } else if (const char* abbrev = sigabbrev_np(sig)) {
                names[sig] = std::string("SIG") + abbrev;
            }
        }
        // glibc reserves the first real-time signals for itself; the kernel
        // numbers them 32 and 33.
        if (names[32].empty())
            names[32] = "SIG32";
        if (names[33].empty())
            names[33] = "SIG33";
    }
};

struct SyscallNames {
    std::array<std::string_view, 1024> names{};
    SyscallNames()
    {
        static constexpr struct {
            uint32_t nr;
            const char* name;
        } table[] = {
#include "syscall_names.inc"
        };
        for (const auto& e : table)
            if (e.nr < names.size())
                names[e.nr] = e.name;
    }
};

}  // namespace

std::string_view signal_name(int sig)
{
    static const SignalNames table;
    if (sig <= 0 || sig >= 65)
        return {};
    return table.names[sig];
}

std::string_view syscall_name(uint32_t nr)
{
    static const SyscallNames table;
    return nr < table.names.size() ? table.names[nr] : std::string_view();
}

}  // namespace tapio
