// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "core_btf.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/btf.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace tapio {

namespace {

template <typename T>
T load(const uint8_t* p)
{
    T v;
    std::memcpy(&v, p, sizeof(v));
    return v;
}

template <typename T>
void store(uint8_t* p, T v)
{
    std::memcpy(p, &v, sizeof(v));
}

// Bytes after a type's common part (struct btf_type), by kind; -1 for a
// kind this reader does not know.
int64_t extra_bytes(uint32_t kind, uint32_t vlen)
{
    switch (kind) {
        case BTF_KIND_INT: return sizeof(uint32_t);
        case BTF_KIND_PTR:
        case BTF_KIND_FWD:
        case BTF_KIND_TYPEDEF:
        case BTF_KIND_VOLATILE:
        case BTF_KIND_CONST:
        case BTF_KIND_RESTRICT:
        case BTF_KIND_FUNC:
        case BTF_KIND_FLOAT:
        case BTF_KIND_TYPE_TAG: return 0;
        case BTF_KIND_ARRAY: return sizeof(btf_array);
        case BTF_KIND_STRUCT:
        case BTF_KIND_UNION: return int64_t{vlen} * sizeof(btf_member);
        case BTF_KIND_ENUM: return int64_t{vlen} * sizeof(btf_enum);
        case BTF_KIND_FUNC_PROTO: return int64_t{vlen} * sizeof(btf_param);
        case BTF_KIND_VAR: return sizeof(btf_var);
        case BTF_KIND_DATASEC: return int64_t{vlen} * sizeof(btf_var_secinfo);
        case BTF_KIND_DECL_TAG: return sizeof(btf_decl_tag);
        case BTF_KIND_ENUM64: return int64_t{vlen} * sizeof(btf_enum64);
        default: return -1;
    }
}

// Kinds a CO-RE relocation may be rooted at (libbpf needs a named local
// type, and matches candidates of the same kind, any enum for an enum).
bool root_kind(uint32_t kind)
{
    switch (kind) {
        case BTF_KIND_STRUCT:
        case BTF_KIND_UNION:
        case BTF_KIND_ENUM:
        case BTF_KIND_ENUM64:
        case BTF_KIND_TYPEDEF:
        case BTF_KIND_FWD:
        case BTF_KIND_INT:
        case BTF_KIND_FLOAT: return true;
        default: return false;
    }
}

// A raw BTF blob, walked once: where each type starts. Every offset in it
// has been checked against the blob's size, and every name offset of a
// type's common part against the string section; those inside a type's
// members are checked by whoever reads them (name()).
class RawBtf {
public:
    // The header and the string section alone; with base, raw is split
    // BTF on it (a module's on the kernel's): name offsets past the base's
    // strings are in raw's.
    bool parse_header(std::span<const uint8_t> raw, std::string& why, const RawBtf* base = nullptr)
    {
        btf_header hdr;
        if (raw.size() < sizeof(hdr)) {
            why = "truncated header";
            return false;
        }
        std::memcpy(&hdr, raw.data(), sizeof(hdr));
        if (hdr.magic != BTF_MAGIC) {
            why = "not BTF of this byte order (bad magic)";
            return false;
        }
        if (hdr.version != BTF_VERSION) {
            why = fmt::format("BTF version {}", hdr.version);
            return false;
        }
        uint64_t size = raw.size();
        if (hdr.hdr_len < sizeof(hdr) || hdr.hdr_len > size) {
            why = "bad header length";
            return false;
        }
        uint64_t types_at = uint64_t{hdr.hdr_len} + hdr.type_off;
        uint64_t strs_at = uint64_t{hdr.hdr_len} + hdr.str_off;
        if (types_at + hdr.type_len > size || strs_at + hdr.str_len > size) {
            why = "truncated type or string section";
            return false;
        }
        types_ = raw.data() + types_at;
        types_len_ = hdr.type_len;
        strs_ = reinterpret_cast<const char*>(raw.data() + strs_at);
        strs_len_ = hdr.str_len;
        base_ = base;
        // libbpf's own rule: the string section ends with a NUL (so every
        // offset inside it names a terminated string) and, unless split,
        // starts with one.
        bool bad = base ? strs_len_ != 0 && strs_[strs_len_ - 1] != '\0'
                        : strs_len_ == 0 || strs_[0] != '\0' || strs_[strs_len_ - 1] != '\0';
        if (bad) {
            why = "bad string section";
            return false;
        }
        return true;
    }

    // Calls visit(id, type) for each type as it is checked (ids from 1,
    // split BTF's too).
    template <typename Visit>
    bool parse(std::span<const uint8_t> raw, std::string& why, Visit&& visit, const RawBtf* base = nullptr)
    {
        if (!parse_header(raw, why, base))
            return false;
        offsets_.clear();
        offsets_.reserve(types_len_ / 16 + 1);
        offsets_.push_back(0);  // id 0: void, no record
        uint64_t off = 0;
        while (off < types_len_) {
            if (off + sizeof(btf_type) > types_len_) {
                why = fmt::format("truncated type [{}]", offsets_.size());
                return false;
            }
            btf_type t = load<btf_type>(types_ + off);
            int64_t extra = extra_bytes(BTF_INFO_KIND(t.info), BTF_INFO_VLEN(t.info));
            if (extra < 0) {
                why = fmt::format("type [{}] of unknown kind {}", offsets_.size(), BTF_INFO_KIND(t.info));
                return false;
            }
            if (off + sizeof(btf_type) + extra > types_len_) {
                why = fmt::format("truncated type [{}]", offsets_.size());
                return false;
            }
            if (t.name_off >= all_strs_len()) {
                why = fmt::format("type [{}] has a name outside the string section", offsets_.size());
                return false;
            }
            visit(static_cast<uint32_t>(offsets_.size()), t);
            offsets_.push_back(static_cast<uint32_t>(off));
            off += sizeof(btf_type) + extra;
        }
        return true;
    }

    // Types, void included.
    uint32_t count() const { return static_cast<uint32_t>(offsets_.size()); }
    btf_type type(uint32_t id) const { return load<btf_type>(types_ + offsets_[id]); }
    // The record after the common part; of type(id)'s size by kind.
    const uint8_t* extra(uint32_t id) const { return types_ + offsets_[id] + sizeof(btf_type); }
    size_t record_size(uint32_t id) const
    {
        btf_type t = type(id);
        return sizeof(btf_type) + extra_bytes(BTF_INFO_KIND(t.info), BTF_INFO_VLEN(t.info));
    }
    // A name offset of a type's common part, checked by parse().
    std::string_view type_name(uint32_t off) const
    {
        uint64_t base_len = base_ ? base_->strs_len_ : 0;
        return std::string_view(off < base_len ? base_->strs_ + off : strs_ + (off - base_len));
    }
    std::optional<std::string_view> name(uint32_t off) const
    {
        if (off >= all_strs_len())
            return std::nullopt;
        return type_name(off);
    }

private:
    uint64_t all_strs_len() const { return (base_ ? base_->strs_len_ : 0) + strs_len_; }

    const RawBtf* base_ = nullptr;
    const uint8_t* types_ = nullptr;
    uint64_t types_len_ = 0;
    const char* strs_ = nullptr;
    uint64_t strs_len_ = 0;
    std::vector<uint32_t> offsets_;
};

// The string section being written: each name once. Keyed by the name's
// offset in the input, whose own strings are deduplicated (the kernel's
// are), which is cheaper than hashing the names.
class StringTable {
public:
    StringTable()
    {
        data_.push_back('\0');
        offsets_.reserve(1 << 14);
    }
    uint32_t add(uint32_t input_off, std::string_view s)
    {
        if (s.empty())
            return 0;
        auto [it, added] = offsets_.try_emplace(input_off, static_cast<uint32_t>(data_.size()));
        if (added) {
            data_.append(s);
            data_.push_back('\0');
        }
        return it->second;
    }
    const std::string& data() const { return data_; }

private:
    std::string data_;
    std::unordered_map<uint32_t, uint32_t> offsets_;
};

// A set of names, looked up for every named type of a 126,000-type BTF: open
// addressing, and a hash of the length and the first and last eight bytes.
class NameSet {
public:
    explicit NameSet(const std::vector<std::string>& names)
    {
        size_t size = 64;
        while (size < names.size() * 4)
            size *= 2;
        slots_.resize(size);
        for (const std::string& name : names)
            if (!contains(name))
                slots_[free_slot(name)] = name;
    }
    static constexpr size_t none = SIZE_MAX;
    // Where name is, or none.
    size_t find(std::string_view name) const
    {
        for (size_t i = hash(name) & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
            if (!slots_[i].data())
                return none;
            if (slots_[i] == name)
                return i;
        }
    }
    bool contains(std::string_view name) const { return find(name) != none; }
    size_t slots() const { return slots_.size(); }
    std::string_view at(size_t slot) const { return slots_[slot]; }

private:
    static uint64_t hash(std::string_view s)
    {
        uint64_t head = 0, tail = 0;
        size_t n = std::min<size_t>(s.size(), 8);
        std::memcpy(&head, s.data(), n);
        std::memcpy(&tail, s.data() + s.size() - n, n);
        uint64_t h = (head * 0x9E3779B97F4A7C15ULL) ^ (tail + s.size()) * 0xC2B2AE3D27D4EB4FULL;
        return h ^ (h >> 29);
    }
    size_t free_slot(std::string_view name) const
    {
        size_t i = hash(name) & (slots_.size() - 1);
        while (slots_[i].data())
            i = (i + 1) & (slots_.size() - 1);
        return i;
    }
    std::vector<std::string_view> slots_;  // views of the caller's names
};

// A file's bytes: mapped where the file allows it (the kernel's BTF in
// sysfs does from 6.16: no copy, and nothing to fault in), else read (a
// copy of 5 MB, about 6 ms here, most of it faulting in the buffer).
class FileBytes {
public:
    bool open(const char* path, std::string& why)
    {
        int fd = ::open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            why = fmt::format("cannot open {}: {}", path, strerror(errno));
            return false;
        }
        bool ok = load(fd, path, why);
        close(fd);
        return ok;
    }
    ~FileBytes()
    {
        if (mapped_)
            munmap(mapped_, size_);
    }
    std::span<const uint8_t> bytes() const
    {
        return mapped_ ? std::span(static_cast<const uint8_t*>(mapped_), size_) : std::span(copy_);
    }

private:
    bool load(int fd, const char* path, std::string& why)
    {
        struct stat st {};
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
            void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
            if (p != MAP_FAILED) {
                mapped_ = p;
                size_ = static_cast<size_t>(st.st_size);
                return true;
            }
        }
        // sysfs reports the BTF's size, but a short or long read is taken
        // as it comes.
        copy_.resize(st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1 : 1 << 20);
        size_t have = 0;
        for (;;) {
            if (have == copy_.size())
                copy_.resize(copy_.size() * 2);
            ssize_t n = read(fd, copy_.data() + have, copy_.size() - have);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                why = fmt::format("cannot read {}: {}", path, strerror(errno));
                return false;
            }
            if (n == 0)
                break;
            have += static_cast<size_t>(n);
        }
        copy_.resize(have);
        return true;
    }

    void* mapped_ = nullptr;
    size_t size_ = 0;
    std::vector<uint8_t> copy_;
};

bool write_all(int fd, const uint8_t* p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

}  // namespace

std::string_view btf_essential_name(std::string_view name)
{
    // libbpf's bpf_core_essential_name_len: the last "X___Y" (X and Y not
    // underscores) ends the essential name after X.
    if (name.find("___") == std::string_view::npos)
        return name;
    for (ptrdiff_t i = static_cast<ptrdiff_t>(name.size()) - 5; i >= 0; --i) {
        const char* s = name.data() + i;
        if (s[0] != '_' && s[1] == '_' && s[2] == '_' && s[3] == '_' && s[4] != '_')
            return name.substr(0, i + 1);
    }
    return name;
}

std::optional<std::span<const uint8_t>> elf_section(std::span<const uint8_t> elf, std::string_view name)
{
    Elf64_Ehdr eh;
    if (elf.size() < sizeof(eh))
        return std::nullopt;
    std::memcpy(&eh, elf.data(), sizeof(eh));
    if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 ||
        eh.e_shstrndx >= eh.e_shnum)
        return std::nullopt;
    uint64_t size = elf.size();
    if (eh.e_shoff > size || uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr) > size - eh.e_shoff)
        return std::nullopt;
    auto section = [&](uint32_t i) { return load<Elf64_Shdr>(elf.data() + eh.e_shoff + i * sizeof(Elf64_Shdr)); };
    auto contents = [&](const Elf64_Shdr& sh) -> std::optional<std::span<const uint8_t>> {
        if (sh.sh_type == SHT_NOBITS || sh.sh_offset > size || sh.sh_size > size - sh.sh_offset)
            return std::nullopt;
        return elf.subspan(sh.sh_offset, sh.sh_size);
    };
    auto names = contents(section(eh.e_shstrndx));
    if (!names)
        return std::nullopt;
    for (uint32_t i = 0; i < eh.e_shnum; ++i) {
        Elf64_Shdr sh = section(i);
        if (sh.sh_name >= names->size())
            continue;
        const char* s = reinterpret_cast<const char*>(names->data()) + sh.sh_name;
        size_t len = strnlen(s, names->size() - sh.sh_name);
        if (std::string_view(s, len) == name)
            return contents(sh);
    }
    return std::nullopt;
}

std::optional<std::vector<std::string>> btf_root_names(std::span<const uint8_t> btf, std::string& why)
{
    RawBtf raw;
    std::unordered_set<std::string_view> seen;
    std::vector<std::string> roots;
    bool parsed = raw.parse(btf, why, [&](uint32_t, const btf_type& t) {
        if (t.name_off == 0 || !root_kind(BTF_INFO_KIND(t.info)))
            return;
        std::string_view name = btf_essential_name(raw.type_name(t.name_off));
        if (!name.empty() && seen.insert(name).second)
            roots.emplace_back(name);
    });
    if (!parsed)
        return std::nullopt;
    return roots;
}

std::optional<BtfCut> cut_btf(std::span<const uint8_t> kernel, const std::vector<std::string>& roots, std::string& why,
                              const std::vector<std::string>& typedefs)
{
    // One pass: the types' offsets, the candidates among them, the typedefs.
    RawBtf raw;
    NameSet wanted(roots);
    std::vector<bool> matched(wanted.slots(), false);
    std::vector<uint32_t> candidates;
    std::vector<std::pair<std::string, uint32_t>> typedef_ids;
    for (const std::string& name : typedefs)
        typedef_ids.emplace_back(name, 0);
    bool parsed = raw.parse(kernel, why, [&](uint32_t id, const btf_type& t) {
        if (t.name_off == 0 || !root_kind(BTF_INFO_KIND(t.info)))
            return;
        if (BTF_INFO_KIND(t.info) == BTF_KIND_TYPEDEF && !typedef_ids.empty())
            for (auto& [name, found] : typedef_ids)
                if (found == 0 && raw.type_name(t.name_off) == name)
                    found = id;
        size_t slot = wanted.find(btf_essential_name(raw.type_name(t.name_off)));
        if (slot != NameSet::none) {
            candidates.push_back(id);
            matched[slot] = true;
        }
    });
    if (!parsed)
        return std::nullopt;
    BtfCut cut;
    cut.typedef_ids = std::move(typedef_ids);
    for (size_t slot = 0; slot < wanted.slots(); ++slot)
        if (wanted.at(slot).data() && !matched[slot])
            cut.unmatched.emplace_back(wanted.at(slot));

    // Old id -> new id (0: not kept); kept in the order found.
    std::vector<uint32_t> new_id(raw.count(), 0);
    std::vector<uint32_t> kept;
    auto keep = [&](uint32_t id) {
        if (id >= raw.count()) {
            why = fmt::format("a type refers to type [{}], past the last one", id);
            return false;
        }
        if (id != 0 && new_id[id] == 0) {
            kept.push_back(id);
            new_id[id] = static_cast<uint32_t>(kept.size());
        }
        return true;
    };
    for (uint32_t id : candidates)
        keep(id);
    // What they hold by value; kept grows as it is walked.
    for (size_t i = 0; i < kept.size(); ++i) {
        uint32_t id = kept[i];
        btf_type t = raw.type(id);
        uint32_t vlen = BTF_INFO_VLEN(t.info);
        const uint8_t* x = raw.extra(id);
        bool ok = true;
        switch (BTF_INFO_KIND(t.info)) {
            case BTF_KIND_INT:
            case BTF_KIND_FLOAT:
            case BTF_KIND_FWD:
            case BTF_KIND_ENUM:
            case BTF_KIND_ENUM64:
            case BTF_KIND_PTR: break;  // a pointer's target is not followed
            case BTF_KIND_TYPEDEF:
            case BTF_KIND_CONST:
            case BTF_KIND_VOLATILE:
            case BTF_KIND_RESTRICT:
            case BTF_KIND_TYPE_TAG: ok = keep(t.type); break;
            case BTF_KIND_ARRAY: {
                auto a = load<btf_array>(x);
                ok = keep(a.type) && keep(a.index_type);
                break;
            }
            case BTF_KIND_STRUCT:
            case BTF_KIND_UNION:
                for (uint32_t m = 0; m < vlen && ok; ++m)
                    ok = keep(load<btf_member>(x + m * sizeof(btf_member)).type);
                break;
            case BTF_KIND_FUNC_PROTO:  // only behind a typedef of a function type
                ok = keep(t.type);
                for (uint32_t p = 0; p < vlen && ok; ++p)
                    ok = keep(load<btf_param>(x + p * sizeof(btf_param)).type);
                break;
            default:
                // Functions, variables, sections and declaration tags are
                // never held by value.
                why = fmt::format("type [{}] of kind {} held by value", id, BTF_INFO_KIND(t.info));
                return std::nullopt;
        }
        if (!ok)
            return std::nullopt;
    }

    // The records, renumbered and renamed.
    StringTable strings;
    std::vector<uint8_t> types;
    auto rename = [&](uint8_t* at, uint32_t off) {
        auto name = raw.name(off);
        if (!name) {
            why = "a member or value has a name outside the string section";
            return false;
        }
        store<uint32_t>(at, strings.add(off, *name));
        return true;
    };
    // The n members, values or parameters after a type: each one's name
    // into the new string section, and its type, where it has one, renumbered.
    auto rename_each = [&]<typename T>(T, uint8_t* x, uint32_t n) {
        for (uint32_t i = 0; i < n; ++i) {
            uint8_t* at = x + i * sizeof(T);
            auto item = load<T>(at);
            if (!rename(at + offsetof(T, name_off), item.name_off))
                return false;
            if constexpr (requires { item.type; })
                store<uint32_t>(at + offsetof(T, type), new_id[item.type]);
        }
        return true;
    };
    for (uint32_t id : kept) {
        size_t start = types.size();
        size_t size = raw.record_size(id);
        types.insert(types.end(), raw.extra(id) - sizeof(btf_type), raw.extra(id) - sizeof(btf_type) + size);
        uint8_t* rec = types.data() + start;
        uint8_t* x = rec + sizeof(btf_type);
        btf_type t = raw.type(id);
        uint32_t vlen = BTF_INFO_VLEN(t.info);
        if (!rename(rec + offsetof(btf_type, name_off), t.name_off))
            return std::nullopt;
        switch (BTF_INFO_KIND(t.info)) {
            case BTF_KIND_PTR: store<uint32_t>(rec + offsetof(btf_type, type), 0); break;
            case BTF_KIND_TYPEDEF:
            case BTF_KIND_CONST:
            case BTF_KIND_VOLATILE:
            case BTF_KIND_RESTRICT:
            case BTF_KIND_TYPE_TAG:
            case BTF_KIND_FUNC_PROTO: store<uint32_t>(rec + offsetof(btf_type, type), new_id[t.type]); break;
            default: break;
        }
        switch (BTF_INFO_KIND(t.info)) {
            case BTF_KIND_ARRAY: {
                auto a = load<btf_array>(x);
                a.type = new_id[a.type];
                a.index_type = new_id[a.index_type];
                store(x, a);
                break;
            }
            case BTF_KIND_STRUCT:
            case BTF_KIND_UNION:
                if (!rename_each(btf_member{}, x, vlen))
                    return std::nullopt;
                break;
            case BTF_KIND_ENUM:
                if (!rename_each(btf_enum{}, x, vlen))
                    return std::nullopt;
                break;
            case BTF_KIND_ENUM64:
                if (!rename_each(btf_enum64{}, x, vlen))
                    return std::nullopt;
                break;
            case BTF_KIND_FUNC_PROTO:
                if (!rename_each(btf_param{}, x, vlen))
                    return std::nullopt;
                break;
            default: break;
        }
    }

    btf_header hdr{};
    hdr.magic = BTF_MAGIC;
    hdr.version = BTF_VERSION;
    hdr.hdr_len = sizeof(hdr);
    hdr.type_off = 0;
    hdr.type_len = static_cast<uint32_t>(types.size());
    hdr.str_off = hdr.type_len;
    hdr.str_len = static_cast<uint32_t>(strings.data().size());
    cut.types = static_cast<uint32_t>(kept.size());
    cut.bytes.resize(sizeof(hdr) + types.size() + strings.data().size());
    std::memcpy(cut.bytes.data(), &hdr, sizeof(hdr));
    std::memcpy(cut.bytes.data() + sizeof(hdr), types.data(), types.size());
    std::memcpy(cut.bytes.data() + sizeof(hdr) + types.size(), strings.data().data(), strings.data().size());
    return cut;
}

std::optional<std::string> split_btf_match(std::span<const uint8_t> base, std::span<const uint8_t> split,
                                           const std::vector<std::string>& names, std::string& why)
{
    RawBtf base_raw, split_raw;
    if (!base_raw.parse_header(base, why))
        return std::nullopt;
    NameSet wanted(names);
    std::string found;
    bool parsed = split_raw.parse(
        split, why,
        [&](uint32_t, const btf_type& t) {
            if (found.empty() && t.name_off != 0 && root_kind(BTF_INFO_KIND(t.info))) {
                std::string_view name = btf_essential_name(split_raw.type_name(t.name_off));
                if (wanted.contains(name))
                    found = name;
            }
        },
        &base_raw);
    if (!parsed)
        return std::nullopt;
    return found;
}

namespace {

// Where a module of the kernel's (its BTF a file next to the kernel's) has a
// type one of names would match: "module: name", or "" when none has.
// libbpf searches the modules' BTF for a relocation with no candidate in
// the kernel's, which a cut does not hold.
std::optional<std::string> module_match(const char* kernel_btf, std::span<const uint8_t> kernel,
                                        const std::vector<std::string>& names, std::string& why)
{
    std::string_view path(kernel_btf);
    size_t slash = path.rfind('/');
    std::string dir(slash == std::string_view::npos ? "." : path.substr(0, slash));
    std::string_view own = slash == std::string_view::npos ? path : path.substr(slash + 1);
    DIR* d = opendir(dir.c_str());
    if (!d)
        return "";  // no directory, no modules
    std::optional<std::string> found = "";
    while (dirent* e = readdir(d)) {
        std::string_view name = e->d_name;
        if (name == "." || name == ".." || name == own)
            continue;
        std::string module = dir + "/" + e->d_name;
        FileBytes bytes;
        std::optional<std::string> match;
        if (!bytes.open(module.c_str(), why) || !(match = split_btf_match(kernel, bytes.bytes(), names, why))) {
            why = fmt::format("{}: {}", module, why);
            found = std::nullopt;
            break;
        }
        if (!match->empty()) {
            found = fmt::format("{}: {}", e->d_name, *match);
            break;
        }
    }
    closedir(d);
    return found;
}

}  // namespace

CoreBtfFile::CoreBtfFile(std::span<const uint8_t> object_elf, const std::vector<std::string>& typedefs,
                         const char* kernel_btf)
{
    auto t0 = std::chrono::steady_clock::now();
    std::string why;
    std::optional<BtfCut> cut;
    std::optional<std::vector<std::string>> roots;
    FileBytes kernel;
    auto object_btf = elf_section(object_elf, ".BTF");
    if (!object_btf)
        why = "the BPF object has no readable .BTF section";
    else if (!(roots = btf_root_names(*object_btf, why)))
        why = "the BPF object's BTF: " + why;
    else if (kernel.open(kernel_btf, why) && !(cut = cut_btf(kernel.bytes(), *roots, why, typedefs)))
        why = fmt::format("{}: {}", kernel_btf, why);
    if (cut)
        typedef_ids_ = cut->typedef_ids;  // kept even when the cut is not used
    if (cut && !cut->unmatched.empty()) {
        auto in_module = module_match(kernel_btf, kernel.bytes(), cut->unmatched, why);
        if (!in_module || !in_module->empty()) {
            why = in_module ? fmt::format("the module type {} may be a relocation's", *in_module) : why;
            cut.reset();
        }
    }
    int fd = -1;
    if (cut && (fd = memfd_create("tapio-core-btf", MFD_CLOEXEC)) < 0) {
        why = fmt::format("memfd_create: {}", strerror(errno));
        cut.reset();
    }
    if (cut && !write_all(fd, cut->bytes.data(), cut->bytes.size())) {
        why = fmt::format("cannot write the cut: {}", strerror(errno));
        close(fd);
        cut.reset();
    }
    if (!cut) {
        summary_ = fmt::format("CO-RE against the kernel's whole BTF: {}", why);
        return;
    }
    fd_ = fd;
    path_ = fmt::format("/proc/self/fd/{}", fd);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    summary_ = fmt::format("CO-RE against a {}-type BTF cut from the kernel's ({:.1f} ms)", cut->types, ms);
}

uint32_t CoreBtfFile::typedef_id(std::string_view name) const
{
    for (const auto& [typedef_name, id] : typedef_ids_)
        if (typedef_name == name)
            return id;
    return 0;
}

CoreBtfFile::~CoreBtfFile()
{
    if (fd_ >= 0)
        close(fd_);
}

}  // namespace tapio
