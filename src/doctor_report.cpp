// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The doctor report as a person reads it (a table of host facts, areas,
// hooks not attached and a verdict) and as one JSON document. Every string
// in either may come from the kernel or a file and is escaped.
#include <fmt/format.h>

#include "doctor.h"
#include "escape.h"

namespace tapio {

namespace {

using enum JsonType;
using enum Presence;

// ---- the document's declaration ----

constexpr std::string_view check_statuses[] = {"ok", "limited", "missing", "unknown"};
constexpr std::string_view verdicts[] = {"ok", "degraded", "cannot_run", "unknown"};
constexpr std::string_view hows[] = {"tp_btf", "raw_tracepoint", "tracepoint", "fentry", "none"};
constexpr std::string_view hook_states[] = {"attached", "disabled", "unavailable", "failed"};

constexpr Field check_fields[] = {
    {"status",
     string,
     always,
     {},
     "ok; limited: usable with less; missing; unknown: could not be checked",
     check_statuses},
    {"value", string, always, {}, "what was found, or unknown"},
    {"detail", string, optional, {}, "why it is unknown, or what it means"},
    {"affects", string, always, {}, "what tapio-trace uses it for"},
};

#define TT_CHECK(key, what)                             \
    {                                                   \
        key, object, always, {}, what, {}, check_fields \
    }

constexpr Field host_fields[] = {
    {"kernel", string, always, {}, "the kernel release"},
    {"machine", string, always, {}, "the architecture"},
    TT_CHECK("privileges", "root, or CAP_BPF and CAP_PERFMON"),
    TT_CHECK("btf", "the kernel's BTF (/sys/kernel/btf/vmlinux)"),
    TT_CHECK("ring_buffer", "BPF ring buffers load"),
    TT_CHECK("tracefs", "where tracefs is mounted, and whether it is readable"),
    TT_CHECK("fentry", "fentry programs load (loads or refused)"),
    TT_CHECK("psi", "pressure stall information (/proc/pressure/memory; off, absent)"),
    TT_CHECK("cgroup", "cgroup mode: v2 (unified), v1 (legacy) or hybrid"),
    TT_CHECK("lockdown", "kernel lockdown: none, integrity or confidentiality"),
    TT_CHECK("unprivileged_bpf", "kernel.unprivileged_bpf_disabled: 0, 1 or 2"),
};

#undef TT_CHECK

constexpr Field hook_fields[] = {
    {"hook", string, always, {}, "the kernel hook, such as sched:sched_process_exec (* for the whole area)"},
    {"program", string, always, {}, "the BPF program used, or the best candidate"},
    {"how", string, always, {}, "how it attaches", hows},
    {"state", string, always, {}, "attached, or why not", hook_states},
    {"reason", string, optional, {}, "why it did not attach"},
    {"consequence", string, optional, {}, "what the area loses without it"},
    {"syscalls",
     array,
     optional,
     {},
     "raw_syscalls hooks: the syscalls the dispatcher serves this area (* for every syscall)"},
};

constexpr Field area_fields[] = {
    {"area", string, always, {}, "the area"},
    {"verdict", string, always, {}, "ok, degraded (runs with less), cannot_run, unknown (not checked)", verdicts},
    {"hooks_attached", integer, always, {}, "hooks that attached"},
    {"hooks_total", integer, always, {}, "hooks tried"},
    {"error", string, optional, {}, "why it cannot run, or why it was not checked"},
    {"limits", array, always, {}, "features a host fact takes away (feature: why -> consequence)"},
    {"hooks", array, always, {}, "every hook tried", {}, hook_fields},
};

constexpr Field document_fields[] = {
    {"schema_version", integer, always, {}, "the schema version, as `tapio-trace schema` states it"},
    {"verdict",
     string,
     always,
     {},
     "ok: every area with every hook; degraded: every area can run, some with less; "
     "cannot_run: some area cannot; unknown: not checked (no privileges)",
     verdicts},
    {"exit_code", integer, always, {}, "doctor's exit code: 0, 3 (privileges) or 4 (kernel)"},
    {"summary", string, always, {}, "the verdict in words"},
    {"host", object, always, {}, "host facts", {}, host_fields},
    {"areas", array, always, {}, "every area this build has", {}, area_fields},
};

// ---- JSON ----

class Json {
public:
    std::string text() const { return std::string(out_.data(), out_.size()); }
    void open(char b)
    {
        out_.push_back(b);
        first_ = true;
    }
    void close(char b)
    {
        out_.push_back(b);
        first_ = false;
    }
    void key(std::string_view k)
    {
        sep();
        out_.push_back('"');
        out_.append(k);
        out_.append(std::string_view("\":"));
        first_ = true;
    }
    void str(std::string_view v)
    {
        sep();
        out_.push_back('"');
        append_json_escaped(out_, v);
        out_.push_back('"');
    }
    void num(int64_t v)
    {
        sep();
        fmt::format_to(std::back_inserter(out_), "{}", v);
    }
    void field(std::string_view k, std::string_view v)
    {
        key(k);
        str(v);
    }
    void field(std::string_view k, int64_t v)
    {
        key(k);
        num(v);
    }
    void open_field(std::string_view k, char b)
    {
        key(k);
        open_element(b);
    }
    void open_element(char b)
    {
        sep();
        open(b);
    }

private:
    // A value after a key needs no comma; one after another value does.
    void sep()
    {
        if (!first_)
            out_.push_back(',');
        first_ = false;
    }
    fmt::memory_buffer out_;
    bool first_ = true;
};

void json_check(Json& j, std::string_view key, const HostCheck& c)
{
    j.open_field(key, '{');
    j.field("status", check_status_name(c.status));
    j.field("value", c.value);
    if (!c.detail.empty())
        j.field("detail", c.detail);
    j.field("affects", c.affects);
    j.close('}');
}

// ---- table ----

constexpr size_t width = 80;

// Columns a terminal gives the escaped text: one per character.
size_t columns(std::string_view s)
{
    size_t n = 0;
    for (char c : s)
        n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    return n;
}

std::string term(std::string_view s)
{
    fmt::memory_buffer b;
    append_terminal_escaped(b, s);
    return std::string(b.data(), b.size());
}

// text escaped and wrapped at spaces to width, every line indented; a word
// longer than a line stands alone on its line.
void wrapped(std::string& out, std::string_view text, size_t indent)
{
    std::string escaped = term(text);
    std::string pad(indent, ' ');
    std::string line;
    size_t used = 0;
    size_t pos = 0;
    while (pos <= escaped.size()) {
        size_t end = escaped.find(' ', pos);
        if (end == std::string::npos)
            end = escaped.size();
        std::string_view word(escaped.data() + pos, end - pos);
        size_t w = columns(word);
        if (!line.empty() && indent + used + 1 + w > width) {
            out += pad + line + "\n";
            line.clear();
            used = 0;
        }
        if (!line.empty()) {
            line += ' ';
            ++used;
        }
        line += word;
        used += w;
        pos = end + 1;
    }
    if (!line.empty())
        out += pad + line + "\n";
}

// "  label        value                                   status"
void fact_line(std::string& out, std::string_view label, std::string_view value, std::string_view status)
{
    std::string v = term(value);
    std::string line = fmt::format("  {:<12} {}", label, v);
    size_t used = 2 + 12 + 1 + columns(v);
    size_t status_col = width - 10;  // statuses are at most 9 wide
    line += used < status_col ? std::string(status_col - used, ' ') : " ";
    line += status;
    out += line + "\n";
}

std::string how_text(const HookStatus& h)
{
    return h.how.empty() ? "none" : h.how;
}

}  // namespace

std::span<const Field> doctor_fields()
{
    return document_fields;
}

std::span<const Field> doctor_check_fields()
{
    return check_fields;
}

std::string doctor_json(const DoctorReport& r)
{
    Json j;
    j.open('{');
    j.field("schema_version", schema_version);
    j.field("verdict", area_verdict_name(r.verdict()));
    j.field("exit_code", static_cast<int64_t>(r.exit_code));
    j.field("summary", r.verdict_text());
    j.open_field("host", '{');
    j.field("kernel", r.host.kernel);
    j.field("machine", r.host.machine);
    for (const DoctorHost::Named& n : r.host.checks())
        json_check(j, n.key, *n.check);
    j.close('}');
    j.open_field("areas", '[');
    for (const DoctorArea& a : r.areas) {
        j.open_element('{');
        j.field("area", area_name(a.area));
        j.field("verdict", area_verdict_name(a.verdict));
        j.field("hooks_attached", static_cast<int64_t>(a.attached()));
        j.field("hooks_total", static_cast<int64_t>(a.hooks.size()));
        if (!a.error.empty())
            j.field("error", a.error);
        j.open_field("limits", '[');
        for (const std::string& l : a.limits)
            j.str(l);
        j.close(']');
        j.open_field("hooks", '[');
        for (const DoctorHook& dh : a.hooks) {
            const HookStatus& h = dh.status;
            j.open_element('{');
            j.field("hook", h.hook);
            j.field("program", h.program);
            j.field("how", how_text(h));
            j.field("state", hook_state_name(h.state));
            if (!h.reason.empty())
                j.field("reason", h.reason);
            if (!dh.consequence.empty())
                j.field("consequence", dh.consequence);
            if (!h.syscalls.empty()) {
                j.open_field("syscalls", '[');
                for (const std::string& s : h.syscalls)
                    j.str(s);
                j.close(']');
            }
            j.close('}');
        }
        j.close(']');
        j.close('}');
    }
    j.close(']');
    j.close('}');
    return j.text() + "\n";
}

std::string doctor_table(const DoctorReport& r, bool verbose)
{
    std::string out = "tapio-trace doctor: host\n";
    fact_line(out, "kernel", r.host.kernel + " " + r.host.machine, "ok");
    for (const DoctorHost::Named& n : r.host.checks()) {
        const HostCheck& c = *n.check;
        fact_line(out, n.label, c.value, check_status_name(c.status));
        bool show = verbose || c.status != CheckStatus::ok;
        if (show && !c.detail.empty())
            wrapped(out, c.detail, 15);
        if (show && c.status != CheckStatus::ok && !c.affects.empty())
            wrapped(out, "matters for: " + c.affects, 15);
    }

    out += "areas\n";
    for (const DoctorArea& a : r.areas) {
        std::string head = fmt::format("  {:<5} {:<11}", area_name(a.area), area_verdict_name(a.verdict));
        if (a.verdict == AreaVerdict::unknown)
            out += head + "not checked\n";
        else if (a.hooks.empty())
            out += head + "\n";
        else
            out += head + fmt::format("{} of {} hooks attached\n", a.attached(), a.hooks.size());
        if (!a.error.empty() && a.verdict != AreaVerdict::unknown)
            wrapped(out, a.error, 20);
        for (const std::string& l : a.limits)
            wrapped(out, l, 20);
    }

    size_t total = 0, shown = 0;
    std::string hooks;
    for (const DoctorArea& a : r.areas) {
        for (const DoctorHook& dh : a.hooks) {
            const HookStatus& h = dh.status;
            ++total;
            bool attached = h.state == HookState::attached;
            if (attached && !verbose)
                continue;
            ++shown;
            std::string line = fmt::format("  {:<5} {}", area_name(a.area), term(h.hook));
            std::string state = attached ? how_text(h) : hook_state_name(h.state);
            size_t used = columns(line);
            // The longest state is raw_tracepoint: it ends before column 80.
            constexpr size_t state_col = width - 15;
            line += used + 2 <= state_col ? std::string(state_col - used, ' ') : "  ";
            hooks += line + state + "\n";
            if (!h.reason.empty())
                wrapped(hooks, h.reason, 8);
            if (!attached && !dh.consequence.empty())
                wrapped(hooks, "-> " + dh.consequence, 8);
            if (verbose && !h.syscalls.empty()) {
                std::string list;
                for (const std::string& s : h.syscalls)
                    list += (list.empty() ? "" : " ") + s;
                wrapped(hooks, "syscalls: " + list, 8);
            }
        }
    }
    if (verbose && shown)
        out += "hooks\n" + hooks;
    else if (shown)
        out += "hooks degraded or missing\n" + hooks;
    else if (total)
        out += fmt::format("hooks: all {} attached (-v lists them)\n", total);

    wrapped(out, fmt::format("verdict: {} (exit {})", r.verdict_text(), static_cast<int>(r.exit_code)), 0);
    return out;
}

}  // namespace tapio
