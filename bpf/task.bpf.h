/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The current task's fields, read one way for every area: its identity (as
 * every record header and summary row carries it), its start time (which
 * tells a thread from a later one with the same tid) and its memory cgroup.
 *
 * The identity comes two ways from one reader: through helper calls, or
 * (fast) with plain loads through the BTF task pointer where the kernel has
 * bpf_get_current_task_btf() (5.11+, see compat.bpf.h). The loads are
 * cheaper to run, measurably at an open's rate; but each inlined copy of
 * them is eight CO-RE relocations more, which libbpf 1.1 resolves at every
 * start (about 30 ms for `all` when every record header took them), so
 * only the hottest path (file's opens) asks for them.
 */
#ifndef TAPIO_TASK_BPF_H
#define TAPIO_TASK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "compat.bpf.h"
#include "events.h"

/* A task's identity, kept for records made later about it (a socket's owner). */
struct tt_task_id {
	__u64 cgroup_id;
	__u64 cgroup_v1_id;
	__u32 tgid;
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	char comm[TT_COMM_LEN];
};

/*
 * The current task's cgroup id in the v1 hierarchy of the controller tt_cfg
 * names (the kernfs id: its directory's inode number); 0 when v1 ids are off.
 * Its argument state would be unknown in a global function (below), so each
 * reads the controller from tt_cfg itself (read-only: a constant the
 * verifier sees).
 */
static __always_inline __u32 tt_v1_ssid(void)
{
	return tt_cfg.v1_ssid ? tt_cfg.v1_ssid - 1 : CGROUP_SUBSYS_COUNT;
}

/*
 * Through four probe reads (about 100 ns more than plain loads): for every
 * record but the hottest. A global function, verified once per program.
 */
__noinline __u64 tt_task_v1_cgroup_id(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 ssid = tt_v1_ssid();

	if (ssid >= CGROUP_SUBSYS_COUNT)
		return 0;
	return BPF_CORE_READ(task, cgroups, subsys[ssid], cgroup, kn, id);
}

/*
 * Through plain loads on the BTF task pointer where the kernel has it: for
 * file's opens only (tt_fill_header_fast). Global, and called from that path
 * alone, because of what it costs the verifier: at each pointer loaded
 * through a trusted one (the task, its css_set) the 6.18 verifier searches
 * the kernel's BTF names linearly (btf_nested_type_is_trusted). Inlined at
 * every record header this walk cost `all` 29 ms of verification; in every
 * program, once, still 20 ms.
 */
__noinline __u64 tt_task_v1_cgroup_id_btf(void)
{
	__u32 ssid = tt_v1_ssid();

	if (ssid >= CGROUP_SUBSYS_COUNT)
		return 0;
	if (tt_have_task_btf())
		return bpf_get_current_task_btf()->cgroups->subsys[ssid]->cgroup->kn->id;
	return tt_task_v1_cgroup_id();
}

/* The same, without a call when v1 ids are off. fast: see above. */
static __always_inline __u64 tt_current_v1_cgroup_id(const bool fast)
{
	if (!tt_cfg.v1_ssid)
		return 0;
	return fast ? tt_task_v1_cgroup_id_btf() : tt_task_v1_cgroup_id();
}

/*
 * The current thread's identity into the fields given; tgid may be NULL for
 * a destination that keeps it elsewhere (a summary row keyed by it). comm
 * must be 8-byte aligned, as it is in every record and row. fast: see above.
 */
static __always_inline void tt_current_identity(__u64 *cgroup_id, __u64 *cgroup_v1_id, __u32 *tgid, __u32 *tid,
						__u32 *ppid, __u32 *uid, char *comm, const bool fast)
{
	*cgroup_id = bpf_get_current_cgroup_id();
	*cgroup_v1_id = tt_current_v1_cgroup_id(fast);
	if (fast && tt_have_task_btf()) {
		struct task_struct *task = bpf_get_current_task_btf();

		if (tgid)
			*tgid = task->tgid;
		*tid = task->pid;
		*ppid = task->real_parent->tgid;
		*uid = task->cred->uid.val;
		*(__u64 *)&comm[0] = *(__u64 *)&task->comm[0];
		*(__u64 *)&comm[8] = *(__u64 *)&task->comm[8];
	} else {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		__u64 pid_tgid = bpf_get_current_pid_tgid();

		if (tgid)
			*tgid = pid_tgid >> 32;
		*tid = (__u32)pid_tgid;
		*ppid = BPF_CORE_READ(task, real_parent, tgid);
		*uid = (__u32)bpf_get_current_uid_gid();
		bpf_get_current_comm(comm, TT_COMM_LEN);
	}
}

static __always_inline void tt_current_task_id(struct tt_task_id *id)
{
	tt_current_identity(&id->cgroup_id, &id->cgroup_v1_id, &id->tgid, &id->tid, &id->ppid, &id->uid, id->comm, false);
}

static __always_inline void tt_fill_header_how(struct tt_header *h, __u32 kind, __u32 size, const bool fast)
{
	h->ts_ns = bpf_ktime_get_boot_ns();
	h->kind = kind;
	h->size = size;
	h->flags = 0;
	tt_current_identity(&h->cgroup_id, &h->cgroup_v1_id, &h->pid, &h->tid, &h->ppid, &h->uid, h->comm, fast);
}

/* A record's common header, about the current thread. */
static __always_inline void tt_fill_header(struct tt_header *h, __u32 kind, __u32 size)
{
	tt_fill_header_how(h, kind, size, false);
}

/* The same, with plain loads where the kernel allows: for the hottest path only (see above). */
static __always_inline void tt_fill_header_fast(struct tt_header *h, __u32 kind, __u32 size)
{
	tt_fill_header_how(h, kind, size, true);
}

/* A record's common header, about the task id names, or about nobody (NULL: pid 0). */
static __always_inline void tt_fill_header_for(struct tt_header *h, __u32 kind, __u32 size,
					       const struct tt_task_id *id)
{
	h->ts_ns = bpf_ktime_get_boot_ns();
	h->kind = kind;
	h->size = size;
	h->flags = 0;
	if (id) {
		h->cgroup_id = id->cgroup_id;
		h->cgroup_v1_id = id->cgroup_v1_id;
		h->pid = id->tgid;
		h->tid = id->tid;
		h->ppid = id->ppid;
		h->uid = id->uid;
		__builtin_memcpy(h->comm, id->comm, sizeof(h->comm));
	} else {
		h->cgroup_id = 0;
		h->cgroup_v1_id = 0;
		h->pid = 0;
		h->tid = 0;
		h->ppid = 0;
		h->uid = 0;
		__builtin_memset(h->comm, 0, sizeof(h->comm));
	}
}

/*
 * The current thread's start time, at every syscall entry and exit that is
 * paired: a plain load through the BTF task pointer where the kernel has it,
 * a probe read before.
 */
static __always_inline __u64 tt_current_start(void)
{
	struct task_struct *task;

	if (tt_have_task_btf())
		return bpf_get_current_task_btf()->start_time;
	task = (struct task_struct *)bpf_get_current_task();
	return BPF_CORE_READ(task, start_time);
}

/*
 * The id of the current task's memory cgroup in the hierarchy that holds the
 * memory controller (v1 or v2): the kernfs id, which is the inode number of
 * its directory, so user space can find the path. 0 without memcg (a
 * kernel built without CONFIG_MEMCG has no memory_cgrp_id).
 */
static __always_inline __u64 tt_current_memcg_id(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	int id;

	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		return 0;
	id = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	if (id < 0 || id >= CGROUP_SUBSYS_COUNT)
		return 0;
	return BPF_CORE_READ(task, cgroups, subsys[id], cgroup, kn, id);
}

#endif /* TAPIO_TASK_BPF_H */
