/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a syscall handler gets from the dispatcher (see tapio.bpf.c): the
 * native syscall number, its arguments, its result. The dispatcher runs in
 * one of three modes, best first, and each reads these its own way:
 * - TT_SYS_BTF: tp_btf on raw_syscalls:sys_enter/sys_exit; pt_regs is a
 *   BTF pointer, read with plain loads;
 * - TT_SYS_RAW: raw_tp on the same tracepoints; pt_regs read with probe reads;
 * - TT_SYS_TP: the perf-attached raw_syscalls tracepoints, whose records
 *   carry the number and the six arguments at entry, the number and the
 *   result at exit (no registers: what an exit needs is paired from entry).
 */
#ifndef TAPIO_SYSARGS_BPF_H
#define TAPIO_SYSARGS_BPF_H

#include "syscall_nr.h"

#define TT_SYS_BTF 0
#define TT_SYS_RAW 1
#define TT_SYS_TP 2

struct tt_sys_args {
	unsigned long arg[6];
};

#if defined(__TARGET_ARCH_arm64)
/* arm64's pt_regs (arch/arm64/include/asm/ptrace.h): x0 holds the result at exit, orig_x0 the first argument. */
struct pt_regs___tt_arm64 {
	__u64 regs[31];
	__u64 orig_x0;
	__s32 syscallno;
} __attribute__((preserve_access_index));
#endif

/* The arguments of the current syscall from its saved registers (entry or exit). */
static __always_inline void tt_args_from_regs(struct tt_sys_args *a, struct pt_regs *regs, const int mode)
{
#if defined(__TARGET_ARCH_x86)
	if (mode == TT_SYS_BTF) {
		a->arg[0] = regs->di;
		a->arg[1] = regs->si;
		a->arg[2] = regs->dx;
		a->arg[3] = regs->r10;
		a->arg[4] = regs->r8;
		a->arg[5] = regs->r9;
	} else {
		a->arg[0] = BPF_CORE_READ(regs, di);
		a->arg[1] = BPF_CORE_READ(regs, si);
		a->arg[2] = BPF_CORE_READ(regs, dx);
		a->arg[3] = BPF_CORE_READ(regs, r10);
		a->arg[4] = BPF_CORE_READ(regs, r8);
		a->arg[5] = BPF_CORE_READ(regs, r9);
	}
#elif defined(__TARGET_ARCH_arm64)
	struct pt_regs___tt_arm64 *r = (void *)regs;

	a->arg[0] = BPF_CORE_READ(r, orig_x0);
	a->arg[1] = BPF_CORE_READ(r, regs[1]);
	a->arg[2] = BPF_CORE_READ(r, regs[2]);
	a->arg[3] = BPF_CORE_READ(r, regs[3]);
	a->arg[4] = BPF_CORE_READ(r, regs[4]);
	a->arg[5] = BPF_CORE_READ(r, regs[5]);
#endif
}

/* The syscall number at exit, from the saved registers. */
static __always_inline long tt_nr_from_regs(struct pt_regs *regs, const int mode)
{
#if defined(__TARGET_ARCH_x86)
	if (mode == TT_SYS_BTF)
		return regs->orig_ax;
	return BPF_CORE_READ(regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
	return BPF_CORE_READ((struct pt_regs___tt_arm64 *)regs, syscallno);
#endif
}

/*
 * Whether the current syscall is a 32-bit one (a compat task, or int 0x80
 * from a 64-bit one). Those come through the raw tracepoints with their own
 * numbers (i386 83 is symlink where x86_64 83 is mkdir); perf's per-syscall
 * tracepoints never showed them, and neither does tapio-trace: they are
 * left out, consistently, before any handler runs.
 */
#define TT_TS_COMPAT 0x0002 /* arch/x86/include/asm/thread_info.h */
#define TT_X32_SYSCALL_BIT 0x40000000 /* x32 calls: their own numbers, no TS_COMPAT */
#define TT_TIF_32BIT 22     /* arch/arm64/include/asm/thread_info.h */

static __always_inline bool tt_compat_syscall(void)
{
#if defined(__TARGET_ARCH_x86)
	struct task_struct *task;

	if (tt_have_task_btf())
		return bpf_get_current_task_btf()->thread_info.status & TT_TS_COMPAT;
	task = (struct task_struct *)bpf_get_current_task();
	return BPF_CORE_READ(task, thread_info.status) & TT_TS_COMPAT;
#elif defined(__TARGET_ARCH_arm64)
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return (BPF_CORE_READ(task, thread_info.flags) >> TT_TIF_32BIT) & 1;
#endif
}

#endif /* TAPIO_SYSARGS_BPF_H */
