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

/* TT_SYS_AREA_* bits (bpf/events.h): the areas whose syscalls are handled. */
const volatile __u32 tt_sys_areas = 0;

/*
 * Whether any area on wants syscall nr: the first thing every syscall of
 * the host meets, so a few compares on the number and nothing else.
 * file_ops: whether file's opens and operations count (not at an entry
 * whose exit reads the arguments back, see file_sys_enter).
 */
static __always_inline bool tt_sys_handled(long nr, const bool file_ops)
{
	if (tt_sys_areas & TT_SYS_AREA_PROC_SUMMARY)
		return true;
	switch (nr) {
	case TT_NR_execve:
	case TT_NR_execveat:
	case TT_NR_kill:
	case TT_NR_tkill:
	case TT_NR_tgkill:
		return tt_sys_areas & TT_SYS_AREA_PROC;
#ifdef TT_NR_open
	case TT_NR_open:
	case TT_NR_creat:
	case TT_NR_unlink:
	case TT_NR_rmdir:
	case TT_NR_mkdir:
	case TT_NR_chmod:
	case TT_NR_rename:
#endif
	case TT_NR_openat:
	case TT_NR_openat2:
	case TT_NR_unlinkat:
	case TT_NR_mkdirat:
	case TT_NR_fchmodat:
	case TT_NR_fchmodat2:
	case TT_NR_fchmod:
	case TT_NR_truncate:
	case TT_NR_ftruncate:
	case TT_NR_renameat:
	case TT_NR_renameat2:
		return file_ops && (tt_sys_areas & TT_SYS_AREA_FILE);
	case TT_NR_read:
	case TT_NR_write:
	case TT_NR_pread64:
	case TT_NR_pwrite64:
	case TT_NR_readv:
	case TT_NR_writev:
	case TT_NR_fsync:
	case TT_NR_fdatasync:
		return (tt_sys_areas & TT_SYS_AREA_FILE) && file_io_on();
	case TT_NR_mmap:
	case TT_NR_munmap:
	case TT_NR_mremap:
	case TT_NR_brk:
		return tt_sys_areas & TT_SYS_AREA_MEM;
	case TT_NR_accept:
	case TT_NR_accept4:
		return tt_sys_areas & TT_SYS_AREA_NET;
	}
	return false;
}

/* src: pt_regs (TT_SYS_BTF, TT_SYS_RAW) or the tracepoint record (TT_SYS_TP). */
static __always_inline int tt_sys_enter(long nr, void *src, const int mode)
{
	struct tt_sys_args a;

	if (!tt_sys_handled(nr, mode == TT_SYS_TP) || tt_compat_syscall())
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
	if (tt_sys_areas & TT_SYS_AREA_PROC_SUMMARY)
		summary_enter(nr);
	if (tt_sys_areas & TT_SYS_AREA_PROC)
		proc_sys_enter(nr, &a);
	if (tt_sys_areas & TT_SYS_AREA_FILE)
		file_sys_enter(nr, &a, mode != TT_SYS_TP);
	if (tt_sys_areas & TT_SYS_AREA_MEM)
		mem_sys_enter(nr, &a);
	return 0;
}

/* regs: the saved registers, NULL in TT_SYS_TP mode. */
static __always_inline int tt_sys_exit(long nr, long ret, struct pt_regs *regs, const int mode)
{
	if (!tt_sys_handled(nr, true) || tt_compat_syscall())
		return 0;
	if (tt_sys_areas & TT_SYS_AREA_PROC_SUMMARY)
		summary_exit(nr, ret);
	if (tt_sys_areas & TT_SYS_AREA_PROC)
		proc_sys_exit(nr, ret);
	if (tt_sys_areas & TT_SYS_AREA_FILE) {
		struct tt_sys_args a;

		if (mode != TT_SYS_TP && file_wants_exit_args(nr)) {
			tt_args_from_regs(&a, regs, mode);
			file_sys_exit(nr, ret, &a);
		} else {
			file_sys_exit(nr, ret, NULL);
		}
	}
	if (tt_sys_areas & TT_SYS_AREA_MEM)
		mem_sys_exit(nr, ret);
	if (tt_sys_areas & TT_SYS_AREA_NET)
		net_sys_exit(nr, ret);
	return 0;
}

/*
 * The dispatcher, three ways, best first; user space loads one pair. A BTF
 * or raw tracepoint link detaches at once, where every perf-attached
 * tracepoint waits for an RCU grace period when it leaves.
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(tt_sys_enter_btf, struct pt_regs *regs, long id)
{
	return tt_sys_enter(id, regs, TT_SYS_BTF);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(tt_sys_exit_btf, struct pt_regs *regs, long ret)
{
	return tt_sys_exit(tt_nr_from_regs(regs, TT_SYS_BTF), ret, regs, TT_SYS_BTF);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(tt_sys_enter_raw, struct pt_regs *regs, long id)
{
	return tt_sys_enter(id, regs, TT_SYS_RAW);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(tt_sys_exit_raw, struct pt_regs *regs, long ret)
{
	return tt_sys_exit(tt_nr_from_regs(regs, TT_SYS_RAW), ret, regs, TT_SYS_RAW);
}

SEC("tracepoint/raw_syscalls/sys_enter")
int tt_sys_enter_tp(struct trace_event_raw_sys_enter *ctx)
{
	return tt_sys_enter(ctx->id, ctx, TT_SYS_TP);
}

SEC("tracepoint/raw_syscalls/sys_exit")
int tt_sys_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	return tt_sys_exit(ctx->id, ctx->ret, NULL, TT_SYS_TP);
}
