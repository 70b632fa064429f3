// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Once every hook is attached, tapio-trace needs no privilege: it reads the
// ring buffer and its maps through file descriptors it holds, and the
// cgroup and kubelet directories as any process of its uid may. It keeps
// none while it decodes what the kernel hands it (paths, argv, comms: input
// an attacker on the host chooses).
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "cli.h"

namespace tapio::cli {
namespace {

// Before 6.5 every bpf() command, a map lookup included, needed CAP_BPF
// when unprivileged BPF is disabled (the kernel's default since 5.13);
// 6.5 moved that check into map and program creation (commit c8644cd0efe7).
bool bpf_needs_cap_after_load()
{
    utsname u{};
    unsigned major = 0, minor = 0;
    if (uname(&u) != 0 || std::sscanf(u.release, "%u.%u", &major, &minor) != 2)
        return true;
    return major < 6 || (major == 6 && minor < 5);
}

int last_cap()
{
    std::ifstream in("/proc/sys/kernel/cap_last_cap");
    int n = 0;
    return in >> n && n > 0 && n < 64 ? n : 40;
}

}  // namespace

std::string drop_privileges(bool* kept_bpf)
{
    const bool keep = bpf_needs_cap_after_load();
    *kept_bpf = keep;
    // No exec of ours may gain privileges again (setuid binaries, file caps).
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return fmt::format("no_new_privs: {}", std::strerror(errno));
    // The bounding set first: that takes CAP_SETPCAP, which goes next.
    for (int cap = 0; cap <= last_cap(); ++cap)
        if (!(cap == CAP_BPF && keep))
            prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);  // EINVAL for caps this kernel lacks
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (keep)
        data[CAP_BPF / 32].effective = data[CAP_BPF / 32].permitted = 1u << (CAP_BPF % 32);
    if (syscall(SYS_capset, &header, data) != 0)
        return fmt::format("capset: {}", std::strerror(errno));
    return {};
}

}  // namespace tapio::cli
