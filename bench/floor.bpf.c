// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor of the syscall hooks, for bench/floor.cpp: what the kernel's
 * machinery costs with programs that do nothing, and what the least an open
 * record can be costs on top. Not tapio-trace's code: a yardstick for it.
 *
 * - empty_enter / empty_exit: BTF raw tracepoints on raw_syscalls that
 *   return at once (what every syscall of the host pays once tapio-trace
 *   hooks its exit, or its entry and exit, before any of its own code);
 * - open_exit: at every syscall's exit, for openat only, one ring buffer
 *   record with the time, the thread, the result and the path read from
 *   user memory; no filter, no cgroup, no name, no flags, no wakeup;
 * - perf_enter_openat / perf_exit_openat: empty programs on the per-syscall
 *   tracepoints that tapio-trace attached before its dispatcher.
 */
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define FLOOR_PATH_LEN 256

/* openat's number and its path argument at exit, per architecture. */
#if defined(__TARGET_ARCH_x86)
#define FLOOR_NR_OPENAT 257
#define FLOOR_NR(regs) ((regs)->orig_ax)
#define FLOOR_PATH_ARG(regs) ((regs)->si)
#elif defined(__TARGET_ARCH_arm64)
#define FLOOR_NR_OPENAT 56
#define FLOOR_NR(regs) ((regs)->syscallno)
#define FLOOR_PATH_ARG(regs) ((regs)->regs[1])
#else
#error "bench/floor.bpf.c knows x86 and arm64 only"
#endif

struct floor_open {
	__u64 ts_ns;
	__u64 pid_tgid;
	__s64 ret;
	char path[FLOOR_PATH_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} floor_events SEC(".maps");

/* Records the ring had no room for. */
__u64 floor_lost = 0;

SEC("tp_btf/sys_enter")
int BPF_PROG(empty_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(empty_exit, struct pt_regs *regs, long ret)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(open_exit, struct pt_regs *regs, long ret)
{
	struct floor_open *rec;

	if (FLOOR_NR(regs) != FLOOR_NR_OPENAT)
		return 0;
	rec = bpf_ringbuf_reserve(&floor_events, sizeof(*rec), 0);
	if (!rec) {
		__sync_fetch_and_add(&floor_lost, 1);
		return 0;
	}
	rec->ts_ns = bpf_ktime_get_boot_ns();
	rec->pid_tgid = bpf_get_current_pid_tgid();
	rec->ret = ret;
	bpf_probe_read_user_str(rec->path, sizeof(rec->path), (const char *)FLOOR_PATH_ARG(regs));
	bpf_ringbuf_submit(rec, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int perf_enter_openat(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int perf_exit_openat(void *ctx)
{
	return 0;
}
