// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The one BPF object: every area's programs and maps, and the syscall
 * dispatcher that serves them all from the two raw syscall tracepoints.
 *
 * One object means the kernel's BTF is parsed and CO-RE relocations are
 * done once per run, not once per area. User space turns on only the
 * programs of the areas that run (autoload), and the dispatcher's area
 * switches are read-only globals, so the verifier drops the branches of the
 * areas that are off: its work stays proportional to what was asked for.
 */
#include "common.bpf.h"
#include "sysargs.bpf.h"

#include "proc.bpf.h"
#include "net.bpf.h"
#include "file.bpf.h"
#include "mem.bpf.h"
#include "follow.bpf.h"

/* TT_SYS_AREA_* bits (bpf/events.h): the areas whose syscalls are handled. */
const volatile __u32 tt_sys_areas = 0;

/*
 * Whether area bit x is on. only: the areas a program is built for (0: any);
 * a program built for one area has no code of the others, which would cost
 * libbpf's CO-RE relocation and the verifier time at every start.
 */
#define TT_ON(only, x) (((only) == 0 || ((only) & (x))) && (tt_sys_areas & (x)))

/*
 * The area a syscall belongs to (each belongs to one at most), or 0 when no
 * record kind chosen with -e needs it (tt_cfg.kinds, read-only: one AND).
 * Dispatching on it, rather than offering the call to every area in turn,
 * also keeps the verifier from walking the other areas' handlers once per
 * path through the first one's.
 */
static __always_inline __u32 tt_nr_area_of(long nr)
{
	__u64 kinds;
	__u32 area, op;

#define TT_NR_CASE_OF(name, k, which) \
	case TT_NR_##name:            \
		area = which;         \
		kinds = (k);          \
		break;
#define TT_NR_PROC(name, k) TT_NR_CASE_OF(name, k, TT_SYS_AREA_PROC)
#define TT_NR_MEM(name, k) TT_NR_CASE_OF(name, k, TT_SYS_AREA_MEM)
#define TT_NR_NET(name, k) TT_NR_CASE_OF(name, k, TT_SYS_AREA_NET)
	switch (nr) {
	TT_PROC_SYSCALL_LIST(TT_NR_PROC)
	TT_MEM_SYSCALL_LIST(TT_NR_MEM)
	TT_NET_SYSCALL_LIST(TT_NR_NET)
	default:
		if (file_io_nr(nr, &op))
			kinds = TT_KIND_BIT(TT_FILE_SLOW) | TT_KIND_BIT(TT_FILE_IO);
		else if (file_op_nr(nr))
			kinds = file_nr_kinds(nr);
		else
			return 0;
		area = TT_SYS_AREA_FILE;
	}
#undef TT_NR_PROC
#undef TT_NR_MEM
#undef TT_NR_NET
#undef TT_NR_CASE_OF
	return (tt_cfg.kinds & kinds) ? area : 0;
}

/* One value per CPU that the dispatcher passes its route through (tt_opaque). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} tt_opaque_slot SEC(".maps");

/*
 * v, passed through memory the verifier does not follow: a value it knows
 * nothing of. The dispatcher's switch on the syscall number (tt_nr_area_of)
 * tells the verifier nr's exact value in each of its cases, and every path
 * after it would stay apart, the handlers checked once per syscall number
 * the switch names. With the route passed through here and nr read again
 * (tt_nr_again), those paths meet: all's exit program went from 8,047
 * processed instructions to 6,024. At run time: a per-CPU slot the
 * verifier inlines, a store and a load, where a global function (the same
 * effect) cost a call, 15 ns a syscall here. 0 if the slot cannot be had.
 */
static __always_inline __u32 tt_opaque(__u32 v)
{
	__u32 zero = 0;
	__u64 *slot = bpf_map_lookup_elem(&tt_opaque_slot, &zero);

	if (!slot)
		return 0;
	*slot = v;
	return (__u32) * (volatile __u64 *)slot;
}

/*
 * The syscall number again, from the registers: a fresh value the verifier
 * knows nothing of (see tt_opaque). The plain tracepoint form keeps its nr.
 */
static __always_inline long tt_nr_again(long nr, void *regs, const int mode)
{
#if defined(__TARGET_ARCH_x86)
	if (mode == TT_SYS_BTF)
		return *(volatile long *)&((struct pt_regs *)regs)->orig_ax;
#endif
	if (mode != TT_SYS_TP)
		return tt_nr_from_regs(regs, mode);
	return nr;
}

/*
 * Where syscall nr goes: its area's TT_SYS_AREA_* bit, with
 * TT_SYS_AREA_PROC_SUMMARY added when every syscall is counted; 0 when no
 * area on wants it. The first thing every syscall of the host meets, so a
 * few compares on the number and nothing else. file_ops: whether file's
 * opens and operations count (not at an entry whose exit reads the
 * arguments back, see file_sys_enter).
 */
static __always_inline __u32 tt_sys_route(long nr, const bool file_ops, const __u32 only)
{
	__u32 area = tt_nr_area_of(nr), op;

	/* Every syscall for --syscalls, but x32's, numbered apart like compat ones. */
	if (TT_ON(only, TT_SYS_AREA_PROC_SUMMARY))
#if defined(__TARGET_ARCH_x86)
		return (nr & TT_X32_SYSCALL_BIT) ? 0 : area | TT_SYS_AREA_PROC_SUMMARY;
#else
		return area | TT_SYS_AREA_PROC_SUMMARY;
#endif
	if (!area || !TT_ON(only, area))
		return 0;
	if (area == TT_SYS_AREA_FILE && !(file_io_nr(nr, &op) ? file_io_on() : file_ops))
		return 0;
	return area;
}

/* src: pt_regs (TT_SYS_BTF, TT_SYS_RAW) or the tracepoint record (TT_SYS_TP). */
static __always_inline int tt_sys_enter(long nr, void *src, const int mode, const __u32 only)
{
	struct tt_sys_args a;
	__u32 route = tt_sys_route(nr, mode == TT_SYS_TP, only);

	if (!route || tt_compat_syscall())
		return 0;
	if (mode == TT_SYS_TP) {
		struct trace_event_raw_sys_enter *ctx = src;

		a.arg[0] = ctx->args[0];
		a.arg[1] = ctx->args[1];
		a.arg[2] = ctx->args[2];
		a.arg[3] = ctx->args[3];
		a.arg[4] = ctx->args[4];
		a.arg[5] = ctx->args[5];
	} else {
		tt_args_from_regs(&a, src, mode);
	}
	if (TT_ON(only, TT_SYS_AREA_PROC_SUMMARY))
		summary_enter(nr);
	route = tt_opaque(route);
	nr = tt_nr_again(nr, src, mode);
	/* One area per syscall; each path ends in its own handler (see tt_nr_area_of). */
	switch (route & ~TT_SYS_AREA_PROC_SUMMARY) {
	case TT_SYS_AREA_PROC:
		if (TT_ON(only, TT_SYS_AREA_PROC))
			proc_sys_enter(nr, &a);
		break;
	case TT_SYS_AREA_FILE:
		if (TT_ON(only, TT_SYS_AREA_FILE))
			file_sys_enter(nr, &a, mode != TT_SYS_TP);
		break;
	case TT_SYS_AREA_MEM:
		if (TT_ON(only, TT_SYS_AREA_MEM))
			mem_sys_enter(nr, &a);
		break;
	}
	return 0;
}

/* regs: the saved registers, NULL in TT_SYS_TP mode. */
static __always_inline int tt_sys_exit(long nr, long ret, struct pt_regs *regs, const int mode, const __u32 only)
{
	__u32 route = tt_sys_route(nr, true, only);

	if (!route)
		return 0;
	if (tt_compat_syscall()) {
		/*
		 * A 64-bit execve of a 32-bit program leaves as a compat call
		 * (the new personality sets TS_COMPAT): what its entry left for
		 * the summary would wait for a later native execve's exit.
		 */
		if (TT_ON(only, TT_SYS_AREA_PROC_SUMMARY))
			tt_pending_forget(&syscall_start);
		return 0;
	}
	if (TT_ON(only, TT_SYS_AREA_PROC_SUMMARY))
		summary_exit(nr, ret);
	route = tt_opaque(route);
	nr = tt_nr_again(nr, regs, mode);
	switch (route & ~TT_SYS_AREA_PROC_SUMMARY) {
	case TT_SYS_AREA_PROC:
		if (TT_ON(only, TT_SYS_AREA_PROC))
			proc_sys_exit(nr, ret);
		break;
	case TT_SYS_AREA_FILE:
		if (TT_ON(only, TT_SYS_AREA_FILE)) {
			struct tt_sys_args a;

			if (mode != TT_SYS_TP && file_op_nr(nr)) {
				tt_args_from_regs(&a, regs, mode);
				file_sys_exit(nr, ret, &a);
			} else {
				file_sys_exit(nr, ret, NULL);
			}
		}
		break;
	case TT_SYS_AREA_MEM:
		if (TT_ON(only, TT_SYS_AREA_MEM))
			mem_sys_exit(nr, ret);
		break;
	case TT_SYS_AREA_NET:
		if (TT_ON(only, TT_SYS_AREA_NET))
			net_sys_exit(nr, ret);
		break;
	}
	return 0;
}

/*
 * The dispatcher, three ways, best first; user space loads one pair. A BTF
 * or raw tracepoint link detaches at once, where every perf-attached
 * tracepoint waits for an RCU grace period when it leaves. The BTF form also
 * comes built for each area alone, for runs of one area.
 *
 * "tt_btf/" is libbpf's "tp_btf/" under tapio-trace's own section handler
 * (src/probes.cpp): the same BTF-typed raw tracepoint program, whose attach
 * type id user space finds in its own scan of the kernel's BTF. libbpf's
 * handler would parse the whole 5.5 MB kernel BTF again at every start just
 * to find that id.
 */
#define TT_SYS_BTF_PAIR(suffix, only)                                                    \
	SEC("tt_btf/sys_enter")                                                          \
	int BPF_PROG(tt_sys_enter_btf##suffix, struct pt_regs *regs, long id)           \
	{                                                                                \
		return tt_sys_enter(id, regs, TT_SYS_BTF, only);                         \
	}                                                                                \
	SEC("tt_btf/sys_exit")                                                           \
	int BPF_PROG(tt_sys_exit_btf##suffix, struct pt_regs *regs, long ret)           \
	{                                                                                \
		return tt_sys_exit(tt_nr_from_regs(regs, TT_SYS_BTF), ret, regs, TT_SYS_BTF, only); \
	}

TT_SYS_BTF_PAIR(, 0)
TT_SYS_BTF_PAIR(_proc, TT_SYS_AREA_PROC | TT_SYS_AREA_PROC_SUMMARY)
TT_SYS_BTF_PAIR(_file, TT_SYS_AREA_FILE)
TT_SYS_BTF_PAIR(_mem, TT_SYS_AREA_MEM)
TT_SYS_BTF_PAIR(_net, TT_SYS_AREA_NET)

SEC("raw_tp/sys_enter")
int BPF_PROG(tt_sys_enter_raw, struct pt_regs *regs, long id)
{
	return tt_sys_enter(id, regs, TT_SYS_RAW, 0);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(tt_sys_exit_raw, struct pt_regs *regs, long ret)
{
	return tt_sys_exit(tt_nr_from_regs(regs, TT_SYS_RAW), ret, regs, TT_SYS_RAW, 0);
}

SEC("tracepoint/raw_syscalls/sys_enter")
int tt_sys_enter_tp(struct trace_event_raw_sys_enter *ctx)
{
	return tt_sys_enter(ctx->id, ctx, TT_SYS_TP, 0);
}

SEC("tracepoint/raw_syscalls/sys_exit")
int tt_sys_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	return tt_sys_exit(ctx->id, ctx->ret, NULL, TT_SYS_TP, 0);
}
