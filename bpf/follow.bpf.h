/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --children: with -p, every process forked from a followed one is followed
 * too, decided in the kernel. The child's thread group id joins tt_pids at
 * sched_process_fork, before the child first runs (the tracepoint fires
 * before wake_up_new_task()), so nothing of its life is missed; threads are
 * already followed through their tgid. A process leaves the set when its
 * task is freed, after every record about its end was made (sched_process_exit
 * programs run earlier and still find it), so the map holds the living and
 * the not yet reaped only. The value is the process's start time: its pid
 * is free again before its task is (an RCU grace period later), and a new
 * process that took it over meanwhile must not be taken out with the old.
 *
 * User space attaches these for any area (they are not proc's), only with
 * --children.
 */
#ifndef TAPIO_FOLLOW_BPF_H
#define TAPIO_FOLLOW_BPF_H

#include "common.bpf.h"

SEC("raw_tp/sched_process_fork")
int BPF_PROG(tt_follow_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 parent_tgid = bpf_get_current_pid_tgid() >> 32;
	__u32 child_tgid = BPF_CORE_READ(child, tgid);
	__u64 start = BPF_CORE_READ(child, start_time);
	long err;

	/* A new thread: its process is followed, or not, already. */
	if (child_tgid == parent_tgid)
		return 0;
	if (!bpf_map_lookup_elem(&tt_pids, &parent_tgid))
		return 0;
	/* BPF_ANY: a pid reused before its old owner's task was freed. */
	err = bpf_map_update_elem(&tt_pids, &child_tgid, &start, BPF_ANY);
	/* No room (or no memory): this child goes untraced, never silently. */
	if (err)
		tt_count(TT_PROC_FORK, TT_DROP_MAP_FULL);
	return 0;
}

SEC("raw_tp/sched_process_free")
int BPF_PROG(tt_follow_free, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	__u64 *start;

	/*
	 * The leader's task goes last (a process's leader is reaped after its
	 * other threads); after an exec from another thread the old leader
	 * leaves with that thread's tid, so pid == tgid only for the real end.
	 */
	if (BPF_CORE_READ(p, pid) != tgid)
		return 0;
	start = bpf_map_lookup_elem(&tt_pids, &tgid);
	/* Not followed, or the pid is another process's by now. */
	if (!start || (*start && *start != BPF_CORE_READ(p, start_time)))
		return 0;
	bpf_map_delete_elem(&tt_pids, &tgid);
	return 0;
}

#endif /* TAPIO_FOLLOW_BPF_H */
