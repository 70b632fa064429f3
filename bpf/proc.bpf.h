// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * proc: exec, fork, exit, signals and per-process syscall summaries, from
 * tracepoints only (sched, and raw_syscalls through the dispatcher in
 * tapio.bpf.c), so it runs on kernels without kprobes or fentry.
 */
#include "common.bpf.h"
#include "path.bpf.h"

const volatile __u32 max_args = 20;
const volatile bool trace_threads = false;

/* Argument strings longer than this are cut; the record says so. */
#define TT_ARG_MAX 256

/* execve/execveat in flight, by thread id: the caller's filename and argv. */
struct exec_call {
	struct tt_pending p;
	struct tt_proc_exec rec;
};

TT_PENDING_MAP(exec_pending, struct exec_call, 4096);

/* The pending exec is too large for the BPF stack: build it here. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_call);
} exec_scratch SEC(".maps");

/*
 * A proc call whose record is made at its exit from what its entry saw: up
 * to three integer arguments (signals: target pid, target tid, signal). A
 * thread is in one syscall at a time, so one map serves every such call;
 * the exit's syscall number says which it was.
 */
struct proc_call {
	struct tt_pending p;
	__u32 arg[3];
	__u32 pad;
};

TT_PENDING_MAP(proc_calls, struct proc_call, 4096);

struct syscall_call {
	struct tt_pending p; /* p.nr: the syscall's family, see syscall_family() */
	__u64 ts;
	__u32 nr;            /* the syscall entered */
	__u32 pad;
};

TT_PENDING_MAP(syscall_start, struct syscall_call, 16384);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct tt_syscall_key);
	__type(value, struct tt_syscall_stat);
} syscall_stats SEC(".maps");

/*
 * filename and interpreter are path fields: at most TT_PATH_LEN - 1 bytes,
 * a longer one keeps its end (which names the file) and is flagged
 * (tt_read_str_tail(), path.bpf.h); one whose end was never seen (longer
 * than PATH_MAX: the exec fails) is empty and flagged.
 */
static __always_inline bool read_exec_path(char *dst, const void *src, bool user, bool *unreadable)
{
	const char *whole;

	switch (tt_read_str_tail(dst, src, user, &whole)) {
	case TT_STR_CUT:
	case TT_STR_TOO_LONG:
		return false;
	case TT_STR_UNREADABLE:
		*unreadable = true;
		return true;
	default:
		return true;
	}
}

/*
 * A successful execveat() leaves the kernel as an execve(): x86's
 * set_personality_64bit() rewrites orig_ax, so the exit record names execve.
 * Entry and exit are paired by family; what is counted is what was entered.
 */
static __always_inline __u32 syscall_family(__u32 nr)
{
	return nr == TT_NR_execveat ? TT_NR_execve : nr;
}

/* Processes whose end was reported, where the kernel does not say which thread is last. */
struct exit_key {
	__u32 tgid;
	__u32 pad;
	__u64 start; /* the leader's start_time: a reused pid is another process */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct exit_key);
	__type(value, __u8);
} exits_reported SEC(".maps");

/* ---- exec ---- */

/* The new image's argv, from its argument area: only when the caller's is unknown. */
static __always_inline void read_image_args(struct tt_proc_exec *rec, struct task_struct *task)
{
	unsigned long arg_start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long arg_end = BPF_CORE_READ(task, mm, arg_end);
	unsigned long len = arg_end > arg_start ? arg_end - arg_start : 0;

	rec->args_flags |= TT_EXEC_ARGS_FROM_IMAGE;
	if (len > TT_ARGS_LEN - 1) {
		len = TT_ARGS_LEN - 1;
		rec->args_flags |= TT_EXEC_ARGS_TRUNCATED;
	}
	len &= TT_ARGS_LEN - 1;
	if (len == 0 || bpf_probe_read_user(rec->args, len, (const void *)arg_start) != 0)
		len = 0;
	rec->args_size = len;
}

/*
 * A successful exec. The caller's argv waits in exec_pending under the tid
 * that called execve: old_pid, which differs from the current tid when a
 * thread other than the leader exec'd (de_thread() hands it the leader's
 * pid and start time, so only the syscall is checked then). An entry that
 * is not this exec's is never used.
 */
static __always_inline int exec_done(const char *filename, const char *interp, __u32 old_pid)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct exec_call *call = tt_pending_get_of(&exec_pending, old_pid, TT_NR_execve, old_pid == tid);
	struct tt_proc_exec *rec;
	bool unreadable = false; /* the kernel's strings: an empty one says enough */

	/* The execve itself, for --syscalls, moves along to the tid the thread has now. */
	if (old_pid != tid) {
		struct syscall_call moved;

		tt_pending_move(&syscall_start, old_pid, &moved, sizeof(moved), TT_PROC_SYSCALLS);
	}
	/* Decided on the name the exec gave: --comm echo shows execs of echo. */
	if (tt_cfg.failed_only || !tt_current_wanted())
		goto out;
	rec = tt_reserve(TT_PROC_EXEC, struct tt_proc_exec);
	if (!rec)
		goto out;
	/*
	 * The caller's filename and argv as read at entry (what strace shows);
	 * without a whole one, the kernel's: its name for the file (/dev/fd/N/...
	 * after execveat with a directory fd) and the argv it copied.
	 */
	if (call && !(call->rec.args_flags & TT_EXEC_ENTRY_UNREADABLE)) {
		bpf_probe_read_kernel(rec, sizeof(*rec), &call->rec);
		rec->args_flags &= TT_EXEC_ARGS_TRUNCATED | TT_EXEC_FILENAME_TRUNCATED;
	} else {
		rec->args_flags = 0;
		read_image_args(rec, task);
		if (!read_exec_path(rec->filename, filename, false, &unreadable))
			rec->args_flags |= TT_EXEC_FILENAME_TRUNCATED;
	}
	tt_fill_header(&rec->h, TT_PROC_EXEC, sizeof(*rec));
	rec->ret = 0;
	rec->pad0 = 0;
	rec->interp[0] = '\0';
	if (interp && interp != filename) {
		rec->args_flags |= TT_EXEC_HAS_INTERP;
		if (!read_exec_path(rec->interp, interp, false, &unreadable))
			rec->args_flags |= TT_EXEC_INTERP_TRUNCATED;
	}
	tt_submit(rec);
out:
	/* Reported here: the syscall's exit finds nothing to report. */
	tt_pending_forget_of(&exec_pending, old_pid);
	return 0;
}

/* The raw tracepoint hands over the binprm: the file named and the interpreter run. */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(handle_exec_raw, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return exec_done(BPF_CORE_READ(bprm, filename), BPF_CORE_READ(bprm, interp), old_pid);
}

SEC("tracepoint/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	unsigned int filename_off = BPF_CORE_READ(ctx, __data_loc_filename) & 0xFFFF;

	return exec_done((void *)ctx + filename_off, NULL, ctx->old_pid);
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

	if (bpf_probe_read_user(&arg, sizeof(arg), &w->argv[i])) {
		e->args_flags |= TT_EXEC_ENTRY_UNREADABLE;
		return 1;
	}
	if (!arg)
		return 1;
	if (i >= max_args || off > TT_ARGS_LEN - TT_ARG_MAX) {
		/* There is at least one more argument than we keep. */
		e->args_flags |= TT_EXEC_ARGS_TRUNCATED;
		return 1;
	}
	n = bpf_probe_read_user_str(&e->args[off], TT_ARG_MAX, arg);
	if (n <= 0) {
		e->args_flags |= TT_EXEC_ENTRY_UNREADABLE;
		return 1;
	}
	if (n == TT_ARG_MAX)
		e->args_flags |= TT_EXEC_ARGS_TRUNCATED;
	e->args_size = off + n;
	return 0;
}

static __always_inline int exec_enter(__u32 nr, const char *filename, const char *const *argv)
{
	__u32 zero = 0;
	struct argv_walk walk;
	struct exec_call *call;
	struct tt_proc_exec *e;
	bool unreadable = false;

	/*
	 * Not on the name: the exec is reported (exec_done) or not under the
	 * name it ends with, and a failed one (exec_exit) under the caller's.
	 */
	if (!tt_current_wanted_any_comm())
		return 0;
	call = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!call)
		return 0;
	e = &call->rec;
	e->args_flags = 0;
	e->args_size = 0;
	if (!read_exec_path(e->filename, filename, true, &unreadable))
		e->args_flags |= TT_EXEC_FILENAME_TRUNCATED;
	if (unreadable)
		e->args_flags |= TT_EXEC_ENTRY_UNREADABLE;

	walk.argv = argv;
	walk.e = e;
	/*
	 * bpf_loop (5.17+) lets the verifier check the body once instead of once
	 * per iteration. Older kernels take the bounded loop; the verifier never
	 * walks the branch the CO-RE check rules out.
	 */
	if (tt_have_bpf_loop()) {
		bpf_loop(max_args + 1, read_one_arg, &walk, 0);
	} else {
		for (__u32 i = 0; i <= TT_MAX_ARGS; i++)
			if (i > max_args || read_one_arg(i, &walk))
				break;
	}
	tt_pending_put(&exec_pending, call, syscall_family(nr), TT_PROC_EXEC);
	return 0;
}

/* A failed exec; successful ones were reported from sched_process_exec. */
static __always_inline int exec_exit(__u32 nr, long ret)
{
	struct exec_call *call = tt_pending_get(&exec_pending, syscall_family(nr));
	struct tt_proc_exec *rec;

	if (!call)
		return 0;
	if (ret < 0 && tt_current_wanted() && tt_admit(TT_PROC_EXEC)) {
		rec = tt_reserve_raw(TT_PROC_EXEC, sizeof(*rec));
		if (rec) {
			bpf_probe_read_kernel(rec, sizeof(*rec), &call->rec);
			tt_fill_header(&rec->h, TT_PROC_EXEC, sizeof(*rec));
			rec->ret = ret;
			rec->interp[0] = '\0';
			/* Nothing else holds the argv of a failed exec: what could not be read is cut. */
			if (rec->args_flags & TT_EXEC_ENTRY_UNREADABLE)
				rec->args_flags |= TT_EXEC_ARGS_TRUNCATED;
			rec->args_flags &= TT_EXEC_ARGS_TRUNCATED | TT_EXEC_FILENAME_TRUNCATED;
			tt_submit(rec);
		}
	}
	tt_pending_forget(&exec_pending);
	return 0;
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
	rec = tt_reserve_current(TT_PROC_FORK, struct tt_proc_fork);
	if (!rec)
		return 0;
	rec->child_pid = child_pid;
	rec->child_tid = child_tid;
	tt_submit(rec);
	return 0;
}

/* ---- exit ---- */

#define TT_SIGNAL_GROUP_EXIT 0x00000004 /* include/linux/sched/signal.h */

/*
 * Whether the exiting thread is the last of its process. The tracepoint
 * says so itself since Linux 6.16 (group_dead; known is false before);
 * before, the count of live threads has already dropped for this one when
 * the tracepoint fires.
 */
static __always_inline bool exit_group_dead(bool known, bool group_dead, struct task_struct *task, bool *counted)
{
	if (known)
		return group_dead;
	/*
	 * Two threads leaving at once can both see the count at zero: the
	 * caller then reports only the first (first_exit_of()).
	 */
	*counted = true;
	return BPF_CORE_READ(task, signal, live.counter) == 0;
}

/* Whether this is the first report of the process's end (kernels before 6.16). */
static __always_inline bool first_exit_of(struct task_struct *task, struct task_struct *leader)
{
	struct exit_key key = {
		.tgid = BPF_CORE_READ(task, tgid),
		.start = BPF_CORE_READ(leader, start_time),
	};
	__u8 one = 1;

	return bpf_map_update_elem(&exits_reported, &key, &one, BPF_NOEXIST) == 0;
}

/*
 * The status the parent's wait() gets (wait_task_zombie()): the group exit
 * code once the process is flagged as exiting as a whole (exit_group, a
 * fatal signal, or the last thread's exit, see synchronize_group_exit()),
 * else the leader's own code.
 */
static __always_inline __s32 process_status(struct task_struct *task)
{
	if (BPF_CORE_READ(task, signal, flags) & TT_SIGNAL_GROUP_EXIT)
		return BPF_CORE_READ(task, signal, group_exit_code);
	return BPF_CORE_READ(task, group_leader, exit_code);
}

/* A thread is leaving: group_dead as the kernel said, where it does (known). */
static __always_inline int thread_exit(bool known, bool group_dead_arg)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct task_struct *leader;
	struct tt_proc_exit *rec;
	char comm[TT_COMM_LEN];
	bool group_dead, counted = false;
	__s32 status;

	/* Calls this thread never returns from (exit, a fatal signal) end here. */
	tt_pending_forget(&exec_pending);
	tt_pending_forget(&proc_calls);
	tt_pending_forget(&syscall_start);

	group_dead = exit_group_dead(known, group_dead_arg, task, &counted);
	if (!group_dead && !trace_threads)
		return 0;
	status = group_dead ? process_status(task) : BPF_CORE_READ(task, exit_code);
	if (tt_cfg.failed_only && status == 0)
		return 0;
	/* A process is named, and filtered, as its leader is; a thread as itself. */
	leader = BPF_CORE_READ(task, group_leader);
	if (group_dead)
		BPF_CORE_READ_INTO(&comm, leader, comm);
	else
		bpf_get_current_comm(comm, sizeof(comm));
	if (!tt_current_wanted_any_comm() || !tt_comm_wanted(comm))
		return 0;
	if (group_dead && counted && !first_exit_of(task, leader))
		return 0;
	/*
	 * A death by a signal (the low 7 bits of the wait status; a core dump
	 * sets 0x80 beside them) is critical: never sampled or limited.
	 */
	rec = tt_reserve_current_critical(TT_PROC_EXIT, struct tt_proc_exit, (status & 0x7f) != 0);
	if (!rec)
		return 0;
	rec->exit_code = status;
	if (group_dead) {
		/* The process lived as long as its leader. */
		__builtin_memcpy(rec->h.comm, comm, sizeof(rec->h.comm));
		rec->exit_flags = 0;
		rec->duration_ns = rec->h.ts_ns - BPF_CORE_READ(leader, start_boottime);
	} else {
		rec->exit_flags = TT_EXIT_THREAD;
		rec->duration_ns = rec->h.ts_ns - BPF_CORE_READ(task, start_boottime);
	}
	tt_submit(rec);
	return 0;
}

/*
 * The raw tracepoint first: a perf-attached tracepoint program is skipped
 * while any other such BPF program runs on the CPU (even one preempted
 * there), and an exit missed is a process that never ends in the stream.
 */
SEC("raw_tp/sched_process_exit")
int handle_exit_raw(__u64 *ctx)
{
	bool known = tt_exit_has_group_dead();

	/* TP_PROTO(struct task_struct *p, bool group_dead) where known. */
	return thread_exit(known, known && (bool)ctx[1]);
}

SEC("tracepoint/sched/sched_process_exit")
int handle_exit(void *ctx)
{
	struct trace_event_raw_sched_process_exit *tp = ctx;
	bool known = tt_exit_has_group_dead();

	return thread_exit(known, known && BPF_CORE_READ(tp, group_dead));
}

/* ---- signals sent with kill, tkill, tgkill ---- */

static __always_inline int signal_enter(__u32 nr, __s32 target_pid, __s32 target_tid, __s32 sig)
{
	struct proc_call call = { .arg = { target_pid, target_tid, sig } };

	if (!tt_current_wanted())
		return 0;
	tt_pending_put(&proc_calls, &call, nr, TT_PROC_SIGNAL);
	return 0;
}

static __always_inline int signal_exit(__u32 nr, long ret)
{
	struct proc_call *call = tt_pending_get(&proc_calls, nr);
	struct tt_proc_signal *rec;

	if (!call)
		return 0;
	if (!tt_cfg.failed_only || ret < 0) {
		rec = tt_reserve(TT_PROC_SIGNAL, struct tt_proc_signal);
		if (rec) {
			tt_fill_header(&rec->h, TT_PROC_SIGNAL, sizeof(*rec));
			rec->target_pid = call->arg[0];
			rec->target_tid = call->arg[1];
			rec->sig = call->arg[2];
			rec->ret = ret;
			tt_submit(rec);
		}
	}
	tt_pending_forget(&proc_calls);
	return 0;
}

/* ---- setuid, setreuid, setresuid ---- */

static __always_inline int setuid_enter(__u32 nr, __u32 ruid, __u32 euid, __u32 suid)
{
	struct proc_call c = { .arg = { ruid, euid, suid } };

	if (!tt_current_wanted())
		return 0;
	tt_pending_put(&proc_calls, &c, nr, TT_PROC_SETUID);
	return 0;
}

static __always_inline int setuid_exit(__u32 nr, long ret)
{
	struct proc_call *c = tt_pending_get(&proc_calls, nr);
	struct tt_proc_setuid *rec;

	if (!c)
		return 0;
	if (!tt_cfg.failed_only || ret < 0) {
		rec = tt_reserve(TT_PROC_SETUID, struct tt_proc_setuid);
		if (rec) {
			tt_fill_header(&rec->h, TT_PROC_SETUID, sizeof(*rec));
			rec->call = nr == TT_NR_setuid ? TT_SETUID : nr == TT_NR_setreuid ? TT_SETREUID : TT_SETRESUID;
			rec->ruid = c->arg[0];
			rec->euid = c->arg[1];
			rec->suid = c->arg[2];
			rec->ret = ret;
			rec->pad = 0;
			tt_submit(rec);
		}
	}
	tt_pending_forget(&proc_calls);
	return 0;
}

/* ---- per-process syscall summary (--syscalls), drained by user space ---- */

/* Not inlined: the verifier checks it once, whatever the dispatcher does next. */
static __noinline int summary_enter(long nr)
{
	struct syscall_call call;

	if (!tt_current_wanted())
		return 0;
	call.ts = bpf_ktime_get_boot_ns();
	call.nr = (__u32)nr;
	call.pad = 0;
	tt_pending_put(&syscall_start, &call, syscall_family(call.nr), TT_PROC_SYSCALLS);
	return 0;
}

/*
 * Syscalls that never return (exit, exit_group) are not counted: their
 * entries are dropped when the thread exits.
 */
static __noinline int summary_exit(long nr, long ret)
{
	struct syscall_call *call;
	struct tt_syscall_stat *stat;
	struct tt_syscall_key key;
	__u64 pid_tgid, elapsed;

	call = tt_pending_get(&syscall_start, syscall_family((__u32)nr));
	if (!call)
		return 0;
	elapsed = bpf_ktime_get_boot_ns() - call->ts;
	key.nr = call->nr;
	tt_pending_forget(&syscall_start);

	pid_tgid = bpf_get_current_pid_tgid();
	key.pid = pid_tgid >> 32;
	stat = bpf_map_lookup_elem(&syscall_stats, &key);
	if (!stat) {
		/* The first call of this syscall in the interval names the process. */
		struct tt_syscall_stat fresh = {};

		tt_current_identity(&fresh.cgroup_id, &fresh.cgroup_v1_id, NULL, &fresh.tid, &fresh.ppid, &fresh.uid, fresh.comm, false);
		stat = tt_summary_entry(&syscall_stats, &key, &fresh, TT_PROC_SYSCALLS);
		if (!stat)
			return 0;
	}
	__sync_fetch_and_add(&stat->count, 1);
	__sync_fetch_and_add(&stat->total_ns, elapsed);
	if (ret < 0 && ret > -4096)
		__sync_fetch_and_add(&stat->errors, 1);
	return 0;
}

/* ---- the syscalls proc handles, from the dispatcher (tapio.bpf.c) ---- */

static __always_inline void proc_sys_enter(long nr, const struct tt_sys_args *a)
{
	switch (nr) {
	case TT_NR_execve:
		exec_enter(nr, (const char *)a->arg[0], (const char *const *)a->arg[1]);
		break;
	case TT_NR_execveat:
		exec_enter(nr, (const char *)a->arg[1], (const char *const *)a->arg[2]);
		break;
	case TT_NR_kill:
		signal_enter(nr, (__s32)a->arg[0], 0, (__s32)a->arg[1]);
		break;
	case TT_NR_tkill:
		signal_enter(nr, 0, (__s32)a->arg[0], (__s32)a->arg[1]);
		break;
	case TT_NR_tgkill:
		signal_enter(nr, (__s32)a->arg[0], (__s32)a->arg[1], (__s32)a->arg[2]);
		break;
	case TT_NR_setuid:
		setuid_enter(nr, a->arg[0], TT_UID_UNCHANGED, TT_UID_UNCHANGED);
		break;
	case TT_NR_setreuid:
		setuid_enter(nr, a->arg[0], a->arg[1], TT_UID_UNCHANGED);
		break;
	case TT_NR_setresuid:
		setuid_enter(nr, a->arg[0], a->arg[1], a->arg[2]);
		break;
	}
}

/* The syscall's identity comes from the exit, never from what entry stored. */
static __always_inline void proc_sys_exit(long nr, long ret)
{
	switch (nr) {
	case TT_NR_execve:
	case TT_NR_execveat:
		exec_exit(nr, ret);
		break;
	case TT_NR_kill:
	case TT_NR_tkill:
	case TT_NR_tgkill:
		signal_exit(nr, ret);
		break;
	case TT_NR_setuid:
	case TT_NR_setreuid:
	case TT_NR_setresuid:
		setuid_exit(nr, ret);
		break;
	}
}
