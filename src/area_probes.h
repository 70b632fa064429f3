// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The skeleton-owning base every area's probe set derives from.
#pragma once

#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

#include <fmt/format.h>

#include "errors.h"
#include "probes.h"

namespace tapio {

template <typename Skel>
class SkeletonProbes : public AreaProbes {
public:
    using Destroy = void (*)(Skel*);

    SkeletonProbes(Area area, Skel* skel, Destroy destroy, const char* what)
        : area_(area), skel_(skel), destroy_(destroy)
    {
        if (!skel_)
            throw Error(ExitCode::runtime, fmt::format("cannot open the {} BPF object: {}", what, strerror(errno)));
    }
    ~SkeletonProbes() override { destroy_(skel_); }
    SkeletonProbes(const SkeletonProbes&) = delete;
    SkeletonProbes& operator=(const SkeletonProbes&) = delete;

    Area area() const override { return area_; }
    bpf_object* object() override { return skel_->obj; }

protected:
    Skel* skel() const { return skel_; }

private:
    Area area_;
    Skel* skel_;
    Destroy destroy_;
};

// Each area's factory, defined in its <area>_probes.cpp.
std::unique_ptr<AreaProbes> make_proc_probes();
std::unique_ptr<AreaProbes> make_net_probes();
std::unique_ptr<AreaProbes> make_mem_probes();
std::unique_ptr<AreaProbes> make_file_probes();

}  // namespace tapio
