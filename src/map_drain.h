// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Periodic summaries aggregate in a BPF hash map; user space empties it
// every interval. Entries are taken with lookup-and-delete, so an update the
// kernel makes meanwhile lands in a fresh entry for the next interval.
#pragma once

#include <bpf/bpf.h>

namespace tapio {

// Calls take(key, value) for every entry of the hash map at fd, removing it.
template <typename Key, typename Value, typename Take>
void drain_hash_map(int fd, Take&& take)
{
    Key key{}, next{};
    bool first = true;
    while (bpf_map_get_next_key(fd, first ? nullptr : &key, &next) == 0) {
        first = false;
        key = next;
        Value value{};
        if (bpf_map_lookup_and_delete_elem(fd, &next, &value) != 0) {
            // Kernels before 5.14 cannot look up and delete a hash entry at once.
            if (bpf_map_lookup_elem(fd, &next, &value) != 0)
                continue;
            bpf_map_delete_elem(fd, &next);
        }
        // The key we walk from is gone either way; a hash map then restarts
        // from its first entry, which ends once the map is empty.
        take(next, value);
    }
}

}  // namespace tapio
