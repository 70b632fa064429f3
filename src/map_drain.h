// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Periodic summaries aggregate in a BPF hash map; user space empties it
// every interval.
#pragma once

#include <bpf/bpf.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace tapio {

// Calls take(key, value) once for every key the hash map at fd held when the
// drain began, removing it. The keys are listed first and taken after: a
// walk that deleted as it went would restart from the first entry each time
// (the key it walks from is gone) and meet again an entry the kernel had
// meanwhile re-created, reporting one key twice in one interval. An entry
// re-created after its take lands in the next interval.
template <typename Key, typename Value, typename Take>
void drain_hash_map(int fd, Take&& take)
{
    std::vector<Key> keys;
    Key key{}, next{};
    bool first = true;
    // Bounded: a map the kernel keeps rewriting cannot hold the walk forever.
    for (size_t i = 0; i < (1u << 20) && bpf_map_get_next_key(fd, first ? nullptr : &key, &next) == 0; ++i) {
        first = false;
        key = next;
        keys.push_back(next);
    }
    auto less = [](const Key& a, const Key& b) { return std::memcmp(&a, &b, sizeof(Key)) < 0; };
    auto same = [](const Key& a, const Key& b) { return std::memcmp(&a, &b, sizeof(Key)) == 0; };
    std::sort(keys.begin(), keys.end(), less);
    keys.erase(std::unique(keys.begin(), keys.end(), same), keys.end());
    for (const Key& k : keys) {
        Value value{};
        if (bpf_map_lookup_and_delete_elem(fd, &k, &value) != 0) {
            // Kernels before 5.14 cannot look up and delete a hash entry at once.
            if (bpf_map_lookup_elem(fd, &k, &value) != 0)
                continue;
            bpf_map_delete_elem(fd, &k);
        }
        take(k, value);
    }
}

}  // namespace tapio
