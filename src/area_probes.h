// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The base every area's probe set derives from: a view onto the one BPF
// object (bpf/tapio.bpf.c) that the ProbeManager owns.
#pragma once

#include <bpf/libbpf.h>

#include "probes.h"
#include "tapio.skel.h"

namespace tapio {

class SkeletonProbes : public AreaProbes {
public:
    SkeletonProbes(Area area, tapio_bpf* skel) : area_(area), skel_(skel) {}

    Area area() const override { return area_; }

protected:
    tapio_bpf* skel() const { return skel_; }

private:
    Area area_;
    tapio_bpf* skel_;
};

// {{"execve", kinds}, ...} from a syscall list of bpf/events.h.
#define TT_SYSCALL_ENTRY(name, kinds) {#name, kinds},
struct SyscallEntry {
    const char* name;
    uint64_t kinds;  // TT_KIND_BIT()s of the records it serves
};
// The names of the syscalls some kind in kinds needs (-e).
std::vector<std::string> syscalls_for(std::initializer_list<SyscallEntry> list, uint64_t kinds);

// Each area's factory, defined in its <area>_probes.cpp.
#define TAPIO_AREA_FACTORY(name) std::unique_ptr<AreaProbes> make_##name##_probes(tapio_bpf* skel);
TAPIO_AREAS(TAPIO_AREA_FACTORY)
#undef TAPIO_AREA_FACTORY

}  // namespace tapio
