// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A small stand-in for the kernel's BTF, for CO-RE only.
//
// libbpf 1.1 resolves each CO-RE relocation by scanning every type of the
// kernel's BTF for candidates (about 0.9 ms per local type against 126,000
// kernel types). Handed a BTF that holds only the kernel types the object's
// relocations can reach, it finds the same candidates with the same layouts
// in a fraction of that. What can be reached: a relocation's access spec
// never crosses a pointer (one relocation per hop, each rooted at a named
// type), and libbpf takes any two pointers for compatible whatever they
// point to. So the cut is every kernel type named like a named type of the
// object, and what those hold by value, with pointers pointing to void.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tapio {

// The part of a type name before a "___flavor" suffix ("task_struct" of
// "task_struct___old"), exactly as libbpf compares names.
std::string_view btf_essential_name(std::string_view name);

// The contents of the ELF64 section called name (".BTF"), or nullopt when
// elf is no well-formed little-endian ELF64 image or has no such section.
std::optional<std::span<const uint8_t>> elf_section(std::span<const uint8_t> elf, std::string_view name);

// The essential names of the named struct, union, enum, typedef, forward,
// int and float types of a raw BTF blob: every type a CO-RE relocation of
// that object can be rooted at. nullopt, with why, on malformed input.
std::optional<std::vector<std::string>> btf_root_names(std::span<const uint8_t> btf, std::string& why);

struct BtfCut {
    std::vector<uint8_t> bytes;  // raw BTF (header, types, strings)
    uint32_t types = 0;          // types in it, void not counted
    // Roots no kernel type is named like. libbpf looks for those in the
    // modules' BTF, which a cut does not hold.
    std::vector<std::string> unmatched;
    // The kernel's ids of the typedefs asked for (a BTF-typed tracepoint
    // program's attach target, "btf_trace_sys_exit"), each found or not.
    std::vector<std::pair<std::string, uint32_t>> typedef_ids;
};

// From a raw BTF blob (the kernel's): every type whose essential name is
// one of roots and whose kind can be a CO-RE candidate, and the closure of
// what they hold by value (members, array elements and indexes, typedef
// and modifier targets, prototypes' parameters); pointers are kept but
// point to void. Enum values, int encodings, bitfield offsets and array
// lengths are kept as they are. nullopt, with why, on malformed input:
// every offset and type id of kernel is checked.
std::optional<BtfCut> cut_btf(std::span<const uint8_t> kernel, const std::vector<std::string>& roots, std::string& why,
                              const std::vector<std::string>& typedefs = {});

// The first of names that split BTF (a module's, on the kernel's as base)
// names a type of a root kind with, or "" when none does; nullopt, with
// why, on malformed input.
std::optional<std::string> split_btf_match(std::span<const uint8_t> base, std::span<const uint8_t> split,
                                           const std::vector<std::string>& names, std::string& why);

// For one run: the cut for an object's relocations, in a memfd that lives
// as long as this does.
class CoreBtfFile {
public:
    // None: CO-RE against the kernel's whole BTF.
    CoreBtfFile() = default;
    // The cut for the BPF object object_elf from the kernel BTF at
    // kernel_btf; on any failure path() is empty and summary() says why.
    // typedefs: kernel typedefs whose ids to find in the same pass.
    CoreBtfFile(std::span<const uint8_t> object_elf, const std::vector<std::string>& typedefs = {},
                const char* kernel_btf = "/sys/kernel/btf/vmlinux");
    ~CoreBtfFile();
    CoreBtfFile(const CoreBtfFile&) = delete;
    CoreBtfFile& operator=(const CoreBtfFile&) = delete;

    // "/proc/self/fd/N" for bpf_object_open_opts::btf_custom_path, or empty.
    const std::string& path() const { return path_; }
    // For -v: how big the cut is and what it cost, or why there is none.
    const std::string& summary() const { return summary_; }
    // The kernel's id of a typedef asked for, found in the same scan
    // (whether or not the cut itself succeeded); 0 when not found.
    uint32_t typedef_id(std::string_view name) const;

private:
    int fd_ = -1;
    std::string path_;
    std::string summary_;
    std::vector<std::pair<std::string, uint32_t>> typedef_ids_;
};

}  // namespace tapio
