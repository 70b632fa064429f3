// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * proc: exec, fork, exit, signals and per-process syscall summaries, from
 * tracepoints only (sched, syscalls, raw_syscalls), so it runs on kernels
 * without kprobes or fentry.
 */
#include "common.bpf.h"

const volatile __u32 max_args = 20;
const volatile bool trace_threads = false;

/* Argument strings longer than this are cut; the record says so. */
#define TT_ARG_MAX 256

/* execve/execveat in flight, by thread id, so a failure can be reported at exit. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct tt_proc_exec);
} exec_pending SEC(".maps");

/* The exec record is too large for the BPF stack: build it here. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tt_proc_exec);
} exec_scratch SEC(".maps");

struct signal_args {
	__s32 target_pid;
	__s32 target_tid;
	__s32 sig;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct signal_args);
} signal_pending SEC(".maps");

struct syscall_start {
	__u64 ts;
	__u64 nr;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct syscall_start);
} syscall_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct tt_syscall_key);
	__type(value, struct tt_syscall_stat);
} syscall_stats SEC(".maps");

/* ---- exec ---- */

SEC("tracepoint/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct tt_proc_exec *rec;
	unsigned long arg_start, arg_end, len;
	unsigned int filename_off;

	if (tt_cfg.failed_only || !tt_current_wanted())
		return 0;
	rec = tt_reserve(TT_PROC_EXEC, struct tt_proc_exec);
	if (!rec)
		return 0;
	tt_fill_header(&rec->h, TT_PROC_EXEC, sizeof(*rec));
	rec->ret = 0;
	rec->args_flags = 0;
	rec->pad0 = 0;

	filename_off = BPF_CORE_READ(ctx, __data_loc_filename) & 0xFFFF;
	bpf_probe_read_kernel_str(rec->filename, sizeof(rec->filename), (void *)ctx + filename_off);

	/* The new image's argv is already in place in its argument area. */
	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	len = arg_end > arg_start ? arg_end - arg_start : 0;
	if (len > TT_ARGS_LEN - 1) {
		len = TT_ARGS_LEN - 1;
		rec->args_flags |= TT_EXEC_ARGS_TRUNCATED;
	}
	len &= TT_ARGS_LEN - 1;
	if (len == 0 || bpf_probe_read_user(rec->args, len, (const void *)arg_start) != 0)
		len = 0;
	rec->args_size = len;
	tt_submit(rec);
	return 0;
}

struct argv_walk {
	const char *const *argv;
	struct tt_proc_exec *e;
};

/*
 * Reads argv[i] into e->args; returns 1 to stop the walk. The running
 * offset lives in the map value (e->args_size), not on the stack: the
 * verifier then sees the same state on every iteration and checks the
 * callback once, which keeps program load, and so start-up, fast.
 */
static int read_one_arg(__u32 i, struct argv_walk *w)
{
	const char *arg = NULL;
	struct tt_proc_exec *e = w->e;
	__u32 off = e->args_size;
	long n;

	if (bpf_probe_read_user(&arg, sizeof(arg), &w->argv[i]) || !arg)
		return 1;
	if (i >= max_args || off > TT_ARGS_LEN - TT_ARG_MAX) {
		/* There is at least one more argument than we keep. */
		e->args_flags |= TT_EXEC_ARGS_TRUNCATED;
		return 1;
	}
	n = bpf_probe_read_user_str(&e->args[off], TT_ARG_MAX, arg);
	if (n <= 0)
		return 1;
	if (n == TT_ARG_MAX)
		e->args_flags |= TT_EXEC_ARGS_TRUNCATED;
	e->args_size = off + n;
	return 0;
}

static __always_inline int exec_enter(const char *filename, const char *const *argv)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u32 zero = 0;
	struct argv_walk walk;
	struct tt_proc_exec *e;

	if (!tt_current_wanted())
		return 0;
	e = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!e)
		return 0;
	e->args_flags = 0;
	e->args_size = 0;
	bpf_probe_read_user_str(e->filename, sizeof(e->filename), filename);

	walk.argv = argv;
	walk.e = e;
	/*
	 * bpf_loop (5.17+) lets the verifier check the body once instead of once
	 * per iteration. Older kernels take the bounded loop; the verifier never
	 * walks the branch the CO-RE check rules out.
	 */
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop)) {
		bpf_loop(max_args + 1, read_one_arg, &walk, 0);
	} else {
		for (__u32 i = 0; i <= TT_MAX_ARGS; i++)
			if (i > max_args || read_one_arg(i, &walk))
				break;
	}
	bpf_map_update_elem(&exec_pending, &tid, e, BPF_ANY);
	return 0;
}

static __always_inline int exec_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct tt_proc_exec *pending, *rec;

	pending = bpf_map_lookup_elem(&exec_pending, &tid);
	if (!pending)
		return 0;
	/* Successful execs were reported from sched_process_exec. */
	if (ret < 0 && tt_admit(TT_PROC_EXEC)) {
		rec = tt_reserve_raw(TT_PROC_EXEC, sizeof(*rec));
		if (rec) {
			bpf_probe_read_kernel(rec, sizeof(*rec), pending);
			tt_fill_header(&rec->h, TT_PROC_EXEC, sizeof(*rec));
			rec->ret = ret;
			tt_submit(rec);
		}
	}
	bpf_map_delete_elem(&exec_pending, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int handle_execve_enter(struct trace_event_raw_sys_enter *ctx)
{
	return exec_enter((const char *)ctx->args[0], (const char *const *)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int handle_execveat_enter(struct trace_event_raw_sys_enter *ctx)
{
	return exec_enter((const char *)ctx->args[1], (const char *const *)ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int handle_execve_exit(struct trace_event_raw_sys_exit *ctx)
{
	return exec_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int handle_execveat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return exec_exit(ctx->ret);
}

/* ---- fork ---- */

/*
 * The plain sched_process_fork tracepoint only carries pids, which cannot
 * tell a new process from a new thread; the raw tracepoint hands us the
 * child's task_struct. (A tp_btf variant would read it the same way but
 * would make start-up parse the kernel's BTF once more to pick it.)
 */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(handle_fork_raw, struct task_struct *parent, struct task_struct *child)
{
	struct tt_proc_fork *rec;
	__u32 child_pid = BPF_CORE_READ(child, tgid);
	__u32 child_tid = BPF_CORE_READ(child, pid);

	if (child_pid != child_tid && !trace_threads)
		return 0;
	if (tt_cfg.failed_only || !tt_current_wanted())
		return 0;
	rec = tt_reserve(TT_PROC_FORK, struct tt_proc_fork);
	if (!rec)
		return 0;
	tt_fill_header(&rec->h, TT_PROC_FORK, sizeof(*rec));
	rec->child_pid = child_pid;
	rec->child_tid = child_tid;
	tt_submit(rec);
	return 0;
}

/* ---- exit ---- */

SEC("tracepoint/sched/sched_process_exit")
int handle_exit(struct trace_event_raw_sched_process_template *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct tt_proc_exit *rec;
	__s32 exit_code;

	if (!trace_threads && (__u32)pid_tgid != pid_tgid >> 32)
		return 0;
	exit_code = BPF_CORE_READ(task, exit_code);
	if (tt_cfg.failed_only && exit_code == 0)
		return 0;
	if (!tt_current_wanted())
		return 0;
	rec = tt_reserve(TT_PROC_EXIT, struct tt_proc_exit);
	if (!rec)
		return 0;
	tt_fill_header(&rec->h, TT_PROC_EXIT, sizeof(*rec));
	rec->exit_code = exit_code;
	rec->pad0 = 0;
	rec->duration_ns = rec->h.ts_ns - BPF_CORE_READ(task, start_boottime);
	tt_submit(rec);
	return 0;
}

/* ---- signals sent with kill, tkill, tgkill ---- */

static __always_inline int signal_enter(__s32 target_pid, __s32 target_tid, __s32 sig)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct signal_args args = { .target_pid = target_pid, .target_tid = target_tid, .sig = sig };

	if (!tt_current_wanted())
		return 0;
	bpf_map_update_elem(&signal_pending, &tid, &args, BPF_ANY);
	return 0;
}

static __always_inline int signal_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct signal_args *args;
	struct tt_proc_signal *rec;

	args = bpf_map_lookup_elem(&signal_pending, &tid);
	if (!args)
		return 0;
	if (!tt_cfg.failed_only || ret < 0) {
		rec = tt_reserve(TT_PROC_SIGNAL, struct tt_proc_signal);
		if (rec) {
			tt_fill_header(&rec->h, TT_PROC_SIGNAL, sizeof(*rec));
			rec->target_pid = args->target_pid;
			rec->target_tid = args->target_tid;
			rec->sig = args->sig;
			rec->ret = ret;
			tt_submit(rec);
		}
	}
	bpf_map_delete_elem(&signal_pending, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_kill")
int handle_kill_enter(struct trace_event_raw_sys_enter *ctx)
{
	return signal_enter((__s32)ctx->args[0], 0, (__s32)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_kill")
int handle_kill_exit(struct trace_event_raw_sys_exit *ctx)
{
	return signal_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_tkill")
int handle_tkill_enter(struct trace_event_raw_sys_enter *ctx)
{
	return signal_enter(0, (__s32)ctx->args[0], (__s32)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_tkill")
int handle_tkill_exit(struct trace_event_raw_sys_exit *ctx)
{
	return signal_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_tgkill")
int handle_tgkill_enter(struct trace_event_raw_sys_enter *ctx)
{
	return signal_enter((__s32)ctx->args[0], (__s32)ctx->args[1], (__s32)ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_tgkill")
int handle_tgkill_exit(struct trace_event_raw_sys_exit *ctx)
{
	return signal_exit(ctx->ret);
}

/* ---- per-process syscall summary (--syscalls), drained by user space ---- */

SEC("tracepoint/raw_syscalls/sys_enter")
int handle_sys_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct syscall_start start;

	if (!tt_current_wanted())
		return 0;
	start.ts = bpf_ktime_get_boot_ns();
	start.nr = ctx->id;
	bpf_map_update_elem(&syscall_start, &tid, &start, BPF_ANY);
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_exit")
int handle_sys_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct syscall_start *start;
	struct tt_syscall_stat *stat;
	struct tt_syscall_key key;
	__u64 elapsed;
	long ret = ctx->ret;

	start = bpf_map_lookup_elem(&syscall_start, &tid);
	if (!start)
		return 0;
	key.pid = pid_tgid >> 32;
	key.nr = start->nr;
	elapsed = bpf_ktime_get_boot_ns() - start->ts;
	bpf_map_delete_elem(&syscall_start, &tid);

	stat = bpf_map_lookup_elem(&syscall_stats, &key);
	if (!stat) {
		struct tt_syscall_stat fresh = {};

		bpf_get_current_comm(fresh.comm, sizeof(fresh.comm));
		bpf_map_update_elem(&syscall_stats, &key, &fresh, BPF_NOEXIST);
		stat = bpf_map_lookup_elem(&syscall_stats, &key);
		if (!stat)
			return 0;
	}
	__sync_fetch_and_add(&stat->count, 1);
	__sync_fetch_and_add(&stat->total_ns, elapsed);
	if (ret < 0 && ret > -4096)
		__sync_fetch_and_add(&stat->errors, 1);
	return 0;
}
