// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <malloc.h>

#include "cli.h"

int main(int argc, char** argv)
{
    // Start-up allocates and frees several large buffers (the kernel BTF's
    // cut, libbpf's copies of the programs): from the heap, kept for reuse,
    // rather than each from a fresh mapping that is faulted in, zeroed and
    // unmapped again (about 5 ms of a 50 ms start here).
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    return tapio::cli::run(argc, argv);
}
