// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The BTF cut for CO-RE (src/core_btf.h) on hand-built BTF, read back with
// libbpf's own parser.
#include <doctest/doctest.h>

#include <bpf/btf.h>
#include <elf.h>
#include <unistd.h>
#include <linux/btf.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core_btf.h"

using namespace tapio;

namespace {

struct BtfDeleter {
    void operator()(btf* b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<btf, BtfDeleter>;

std::vector<uint8_t> raw_of(const btf* b)
{
    uint32_t size = 0;
    const void* data = btf__raw_data(b, &size);
    REQUIRE(data != nullptr);
    const auto* p = static_cast<const uint8_t*>(data);
    return std::vector<uint8_t>(p, p + size);
}

// A "kernel": struct foo holds a pointer, an embedded struct, an array, a
// bitfield, an enum and a typedef chain; struct pointee is only behind the
// pointer, struct unrelated is named by nobody.
std::vector<uint8_t> kernel_btf()
{
    BtfPtr b(btf__new_empty());
    int int_id = btf__add_int(b.get(), "int", 4, BTF_INT_SIGNED);
    int uint_id = btf__add_int(b.get(), "unsigned int", 4, 0);
    int pointee = btf__add_struct(b.get(), "pointee", 4);
    btf__add_field(b.get(), "x", int_id, 0, 0);
    int ptr = btf__add_ptr(b.get(), pointee);
    int inner = btf__add_struct(b.get(), "inner", 8);
    btf__add_field(b.get(), "a", int_id, 0, 0);
    btf__add_field(b.get(), "b", uint_id, 32, 0);
    int arr = btf__add_array(b.get(), int_id, int_id, 4);
    int color = btf__add_enum(b.get(), "color", 4);
    btf__add_enum_value(b.get(), "RED", 1);
    btf__add_enum_value(b.get(), "BLUE", 7);
    int t1 = btf__add_typedef(b.get(), "myint_t", int_id);
    int t2 = btf__add_typedef(b.get(), "myint2_t", t1);
    int cst = btf__add_const(b.get(), t2);
    int foo = btf__add_struct(b.get(), "foo", 48);
    btf__add_field(b.get(), "p", ptr, 0, 0);
    btf__add_field(b.get(), "in", inner, 64, 0);
    btf__add_field(b.get(), "arr", arr, 128, 0);
    btf__add_field(b.get(), "bits", uint_id, 256, 3);
    btf__add_field(b.get(), "more", uint_id, 259, 5);
    btf__add_field(b.get(), "c", color, 288, 0);
    btf__add_field(b.get(), "t", cst, 320, 0);
    btf__add_struct(b.get(), "unrelated", 4);
    btf__add_field(b.get(), "z", int_id, 0, 0);
    // Kernel names are compared by their essential part too.
    int bar = btf__add_struct(b.get(), "bar___k", 4);
    btf__add_field(b.get(), "y", int_id, 0, 0);
    // Functions and variables are never needed.
    int proto = btf__add_func_proto(b.get(), int_id);
    btf__add_func_param(b.get(), "f", ptr);
    btf__add_func(b.get(), "foo", BTF_FUNC_GLOBAL, proto);
    REQUIRE(foo > 0);
    REQUIRE(bar > 0);
    return raw_of(b.get());
}

const btf_type* find(const btf* b, const char* name, uint32_t kind, int* id = nullptr)
{
    int found = btf__find_by_name_kind(b, name, kind);
    if (id)
        *id = found;
    return found > 0 ? btf__type_by_id(b, found) : nullptr;
}

std::string name_of(const btf* b, uint32_t off)
{
    return btf__name_by_offset(b, off);
}

}  // namespace

TEST_CASE("core btf: essential names are libbpf's")
{
    CHECK(btf_essential_name("task_struct___old") == "task_struct");
    CHECK(btf_essential_name("a___b___c") == "a___b");
    CHECK(btf_essential_name("____fput") == "____fput");
    CHECK(btf_essential_name("foo___") == "foo___");
    CHECK(btf_essential_name("foo____x") == "foo____x");
    CHECK(btf_essential_name("x") == "x");
    CHECK(btf_essential_name("") == "");
}

TEST_CASE("core btf: roots are the object's named types, flavours stripped")
{
    BtfPtr b(btf__new_empty());
    int int_id = btf__add_int(b.get(), "int", 4, BTF_INT_SIGNED);
    btf__add_struct(b.get(), "foo___v1", 4);
    btf__add_field(b.get(), "a", int_id, 0, 0);
    btf__add_struct(b.get(), "foo", 4);
    btf__add_field(b.get(), "a", int_id, 0, 0);
    btf__add_struct(b.get(), nullptr, 4);  // anonymous: no root
    btf__add_field(b.get(), "a", int_id, 0, 0);
    btf__add_var(b.get(), "v", BTF_VAR_GLOBAL_ALLOCATED, int_id);  // not a root kind
    std::string why;
    auto roots = btf_root_names(raw_of(b.get()), why);
    REQUIRE(roots);
    CHECK(*roots == std::vector<std::string>{"int", "foo"});
}

TEST_CASE("core btf: the cut holds what a root holds by value, pointers to void")
{
    std::vector<uint8_t> kernel = kernel_btf();
    std::string why;
    auto cut = cut_btf(kernel, {"foo", "bar"}, why);
    REQUIRE_MESSAGE(cut, why);
    BtfPtr b(btf__new(cut->bytes.data(), static_cast<uint32_t>(cut->bytes.size())));
    REQUIRE(b);
    CHECK(btf__type_cnt(b.get()) == cut->types + 1);

    const btf_type* foo = find(b.get(), "foo", BTF_KIND_STRUCT);
    REQUIRE(foo);
    CHECK(foo->size == 48);
    REQUIRE(btf_vlen(foo) == 7);
    const btf_member* m = btf_members(foo);
    CHECK(name_of(b.get(), m[0].name_off) == "p");
    const btf_type* p = btf__type_by_id(b.get(), m[0].type);
    REQUIRE(btf_is_ptr(p));
    CHECK(p->type == 0);

    CHECK(name_of(b.get(), m[1].name_off) == "in");
    const btf_type* in = btf__type_by_id(b.get(), m[1].type);
    REQUIRE(btf_is_struct(in));
    CHECK(name_of(b.get(), in->name_off) == "inner");
    CHECK(in->size == 8);
    CHECK(btf_vlen(in) == 2);
    CHECK(btf_member_bit_offset(in, 1) == 32);

    const btf_type* arr = btf__type_by_id(b.get(), m[2].type);
    REQUIRE(btf_is_array(arr));
    CHECK(btf_array(arr)->nelems == 4);
    CHECK(name_of(b.get(), btf__type_by_id(b.get(), btf_array(arr)->type)->name_off) == "int");

    CHECK(btf_kflag(foo));
    CHECK(btf_member_bit_offset(foo, 3) == 256);
    CHECK(btf_member_bitfield_size(foo, 3) == 3);
    CHECK(btf_member_bit_offset(foo, 4) == 259);
    CHECK(btf_member_bitfield_size(foo, 4) == 5);
    const btf_type* uint_t = btf__type_by_id(b.get(), m[3].type);
    REQUIRE(btf_is_int(uint_t));
    CHECK(uint_t->size == 4);
    CHECK(btf_int_encoding(uint_t) == 0);

    const btf_type* color = btf__type_by_id(b.get(), m[5].type);
    REQUIRE(btf_is_enum(color));
    REQUIRE(btf_vlen(color) == 2);
    CHECK(name_of(b.get(), btf_enum(color)[1].name_off) == "BLUE");
    CHECK(btf_enum(color)[1].val == 7);

    // const -> myint2_t -> myint_t -> int
    const btf_type* t = btf__type_by_id(b.get(), m[6].type);
    REQUIRE(btf_is_const(t));
    t = btf__type_by_id(b.get(), t->type);
    REQUIRE(btf_is_typedef(t));
    CHECK(name_of(b.get(), t->name_off) == "myint2_t");
    t = btf__type_by_id(b.get(), t->type);
    REQUIRE(btf_is_typedef(t));
    CHECK(name_of(b.get(), t->name_off) == "myint_t");
    t = btf__type_by_id(b.get(), t->type);
    REQUIRE(btf_is_int(t));
    CHECK(btf_int_encoding(t) == BTF_INT_SIGNED);

    CHECK(find(b.get(), "bar___k", BTF_KIND_STRUCT));
    CHECK_FALSE(find(b.get(), "pointee", BTF_KIND_STRUCT));
    CHECK_FALSE(find(b.get(), "unrelated", BTF_KIND_STRUCT));
    CHECK_FALSE(find(b.get(), "foo", BTF_KIND_FUNC));
    for (uint32_t id = 1; id < btf__type_cnt(b.get()); ++id) {
        uint32_t kind = btf_kind(btf__type_by_id(b.get(), id));
        CHECK(kind != BTF_KIND_FUNC_PROTO);
        CHECK(kind != BTF_KIND_FUNC);
    }
}

TEST_CASE("core btf: no root, no types; a valid empty BTF")
{
    std::vector<uint8_t> kernel = kernel_btf();
    std::string why;
    auto cut = cut_btf(kernel, {"nothing_of_that_name"}, why);
    REQUIRE(cut);
    CHECK(cut->types == 0);
    BtfPtr b(btf__new(cut->bytes.data(), static_cast<uint32_t>(cut->bytes.size())));
    CHECK(b);
}

TEST_CASE("core btf: truncated or garbled input fails cleanly")
{
    std::vector<uint8_t> kernel = kernel_btf();
    const std::vector<std::string> roots = {"foo", "bar", "inner", "int"};
    std::string why;
    // Every truncation: a clean failure (the string section's end is gone).
    for (size_t n = 0; n < kernel.size(); ++n) {
        std::vector<uint8_t> part(kernel.begin(), kernel.begin() + n);
        why.clear();
        CHECK_FALSE(cut_btf(part, roots, why));
        CHECK_FALSE(why.empty());
    }
    why.clear();
    CHECK_FALSE(cut_btf(std::vector<uint8_t>(100, 0xff), roots, why));
    CHECK(why.find("magic") != std::string::npos);

    // Flipped bytes past the header: either a clean failure or a BTF libbpf
    // reads (a changed size or name is still well-formed).
    std::mt19937 rng(42);
    for (int round = 0; round < 3000; ++round) {
        std::vector<uint8_t> bad = kernel;
        for (int flips = 1 + round % 4; flips > 0; --flips)
            bad[sizeof(btf_header) + rng() % (bad.size() - sizeof(btf_header))] = static_cast<uint8_t>(rng());
        if (round % 10 == 0)  // a header field
            bad[8 + rng() % (sizeof(btf_header) - 8)] = static_cast<uint8_t>(rng());
        why.clear();
        auto cut = cut_btf(bad, roots, why);
        if (!cut) {
            CHECK_FALSE(why.empty());
            continue;
        }
        btf* b = btf__new(cut->bytes.data(), static_cast<uint32_t>(cut->bytes.size()));
        CHECK_MESSAGE(b != nullptr, "round ", round);
        btf__free(b);
    }
}

TEST_CASE("core btf: a file from garbage is no file")
{
    std::vector<uint8_t> junk(4096, 0x7f);
    CHECK_FALSE(elf_section(junk, ".BTF"));
    CHECK_FALSE(elf_section({}, ".BTF"));
    CoreBtfFile none(junk);
    CHECK(none.path().empty());
    CHECK(none.summary().find("whole BTF") != std::string::npos);
}

namespace {

// A minimal ELF64 object: a null section, .shstrtab and .BTF.
std::vector<uint8_t> elf_with_btf(const std::vector<uint8_t>& btf_bytes)
{
    const char names[] = "\0.shstrtab\0.BTF";  // and a final NUL
    size_t names_at = sizeof(Elf64_Ehdr);
    size_t btf_at = names_at + sizeof(names);
    size_t sh_at = (btf_at + btf_bytes.size() + 7) / 8 * 8;
    std::vector<uint8_t> out(sh_at);
    std::memcpy(out.data() + names_at, names, sizeof(names));
    std::memcpy(out.data() + btf_at, btf_bytes.data(), btf_bytes.size());
    Elf64_Shdr sh[3]{};
    sh[1].sh_name = 1;
    sh[1].sh_type = SHT_STRTAB;
    sh[1].sh_offset = names_at;
    sh[1].sh_size = sizeof(names);
    sh[2].sh_name = 11;
    sh[2].sh_type = SHT_PROGBITS;
    sh[2].sh_offset = btf_at;
    sh[2].sh_size = btf_bytes.size();
    out.resize(sh_at + sizeof(sh));
    std::memcpy(out.data() + sh_at, sh, sizeof(sh));
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_REL;
    eh.e_machine = EM_BPF;
    eh.e_version = EV_CURRENT;
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_shoff = sh_at;
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = 3;
    eh.e_shstrndx = 1;
    std::memcpy(out.data(), &eh, sizeof(eh));
    return out;
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes)
{
    FILE* f = fopen(path.c_str(), "wb");
    REQUIRE(f);
    REQUIRE(fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size());
    fclose(f);
}

}  // namespace

TEST_CASE("core btf: a root no kernel type has is looked for in the modules' BTF")
{
    BtfPtr base(btf__new_empty());
    int int_id = btf__add_int(base.get(), "int", 4, BTF_INT_SIGNED);
    btf__add_struct(base.get(), "in_vmlinux", 4);
    btf__add_field(base.get(), "a", int_id, 0, 0);
    BtfPtr module(btf__new_empty_split(base.get()));
    btf__add_struct(module.get(), "in_module", 4);
    btf__add_field(module.get(), "b", int_id, 0, 0);
    std::vector<uint8_t> kernel = raw_of(base.get());
    std::vector<uint8_t> module_bytes = raw_of(module.get());

    std::string why;
    auto cut = cut_btf(kernel, {"in_vmlinux", "in_module", "nowhere"}, why);
    REQUIRE(cut);
    std::sort(cut->unmatched.begin(), cut->unmatched.end());
    CHECK(cut->unmatched == std::vector<std::string>{"in_module", "nowhere"});
    auto match = split_btf_match(kernel, module_bytes, {"nowhere", "in_module___flavour"}, why);
    REQUIRE(match);
    CHECK(*match == "");
    match = split_btf_match(kernel, module_bytes, cut->unmatched, why);
    REQUIRE(match);
    CHECK(*match == "in_module");
    for (size_t n = 0; n < module_bytes.size(); ++n)
        CHECK_FALSE(split_btf_match(kernel, std::span(module_bytes).first(n), {"in_module"}, why));

    // The object: a local in_vmlinux, and a flavour of in_module.
    BtfPtr local(btf__new_empty());
    int local_int = btf__add_int(local.get(), "int", 4, BTF_INT_SIGNED);
    btf__add_struct(local.get(), "in_vmlinux", 4);
    btf__add_field(local.get(), "a", local_int, 0, 0);
    std::vector<uint8_t> object = elf_with_btf(raw_of(local.get()));
    auto section = elf_section(object, ".BTF");
    REQUIRE(section);
    CHECK(section->size() == raw_of(local.get()).size());

    char dir_template[] = "/tmp/tt-core-btf-XXXXXX";
    REQUIRE(mkdtemp(dir_template));
    std::string dir = dir_template, vmlinux = dir + "/vmlinux", mod = dir + "/tt_mod";
    write_file(vmlinux, kernel);
    {
        CoreBtfFile file(object, {}, vmlinux.c_str());
        CHECK_MESSAGE(!file.path().empty(), file.summary());
        CHECK(file.summary().find("-type BTF cut from the kernel's") != std::string::npos);
        if (!file.path().empty()) {
            BtfPtr read(btf__parse(file.path().c_str(), nullptr));
            REQUIRE(read);
            CHECK(btf__find_by_name_kind(read.get(), "in_vmlinux", BTF_KIND_STRUCT) > 0);
        }
    }
    // A module that has no type of a root's name changes nothing.
    write_file(mod, module_bytes);
    {
        CoreBtfFile file(object, {}, vmlinux.c_str());
        CHECK(!file.path().empty());
    }
    // One that has: the kernel's whole BTF, as libbpf would look there.
    BtfPtr flavoured(btf__new_empty());
    local_int = btf__add_int(flavoured.get(), "int", 4, BTF_INT_SIGNED);
    btf__add_struct(flavoured.get(), "in_module___v2", 4);
    btf__add_field(flavoured.get(), "b", local_int, 0, 0);
    {
        CoreBtfFile file(elf_with_btf(raw_of(flavoured.get())), {}, vmlinux.c_str());
        CHECK(file.path().empty());
        CHECK(file.summary().find("tt_mod: in_module") != std::string::npos);
    }
    // A module file that is garbage: the whole BTF too.
    write_file(mod, std::vector<uint8_t>(64, 0xee));
    {
        CoreBtfFile file(elf_with_btf(raw_of(flavoured.get())), {}, vmlinux.c_str());
        CHECK(file.path().empty());
        CHECK(file.summary().find("bad magic") != std::string::npos);
    }
    // No kernel BTF at all.
    unlink(mod.c_str());
    unlink(vmlinux.c_str());
    {
        CoreBtfFile file(object, {}, vmlinux.c_str());
        CHECK(file.path().empty());
        CHECK(file.summary().find("cannot open") != std::string::npos);
    }
    rmdir(dir.c_str());
}

TEST_CASE("core btf: the attach typedefs asked for are found in the same pass, with the kernel's ids")
{
    BtfPtr kernel_btf(btf__new_empty());
    int int_id = btf__add_int(kernel_btf.get(), "int", 4, BTF_INT_SIGNED);
    btf__add_struct(kernel_btf.get(), "in_vmlinux", 4);
    btf__add_field(kernel_btf.get(), "a", int_id, 0, 0);
    int proto = btf__add_func_proto(kernel_btf.get(), 0);
    int ptr = btf__add_ptr(kernel_btf.get(), proto);
    int sys_exit = btf__add_typedef(kernel_btf.get(), "btf_trace_sys_exit", ptr);
    // A struct of the same name is no typedef.
    btf__add_struct(kernel_btf.get(), "btf_trace_sys_enter", 0);
    REQUIRE(sys_exit > 0);
    std::vector<uint8_t> kernel = raw_of(kernel_btf.get());

    std::string why;
    auto cut = cut_btf(kernel, {"in_vmlinux"}, why, {"btf_trace_sys_exit", "btf_trace_sys_enter"});
    REQUIRE(cut);
    using Ids = std::vector<std::pair<std::string, uint32_t>>;
    CHECK(cut->typedef_ids == Ids{{"btf_trace_sys_exit", static_cast<uint32_t>(sys_exit)}, {"btf_trace_sys_enter", 0}});

    BtfPtr local(btf__new_empty());
    int local_int = btf__add_int(local.get(), "int", 4, BTF_INT_SIGNED);
    btf__add_struct(local.get(), "in_vmlinux", 4);
    btf__add_field(local.get(), "a", local_int, 0, 0);
    char dir_template[] = "/tmp/tt-core-btf-XXXXXX";
    REQUIRE(mkdtemp(dir_template));
    std::string dir = dir_template, vmlinux = dir + "/vmlinux";
    write_file(vmlinux, kernel);
    {
        CoreBtfFile file(elf_with_btf(raw_of(local.get())), {"btf_trace_sys_exit", "btf_trace_sys_enter"},
                         vmlinux.c_str());
        CHECK(!file.path().empty());
        CHECK(file.typedef_id("btf_trace_sys_exit") == static_cast<uint32_t>(sys_exit));
        CHECK(file.typedef_id("btf_trace_sys_enter") == 0);
        CHECK(file.typedef_id("never_asked") == 0);
    }
    unlink(vmlinux.c_str());
    rmdir(dir.c_str());
}
