/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Kernel-version shims, in one place: each says which kernel change made it
 * necessary (commit, and the release it first appeared in). Everything here
 * is decided by CO-RE at load time (bpf_core_*_exists() become constants),
 * so the verifier never walks the branch a kernel does not take and a shim
 * costs nothing at run time. Release numbers are a guide only: several of
 * these changes were backported to stable series, which is why the checks
 * look at the kernel's BTF, never at its version.
 *
 * A struct flavour (name___old) describes a layout the running kernel may
 * no longer have; CO-RE matches it to the kernel's type of the same name
 * without the suffix.
 */
#ifndef TAPIO_COMPAT_BPF_H
#define TAPIO_COMPAT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

/* ---- helpers ---- */

/*
 * bpf_get_current_task_btf(): commit 3ca1032ab7ab ("bpf: Implement
 * get_current_task_btf and RET_PTR_TO_BTF_ID"), 5.11. Without it the task
 * is read with probe reads.
 */
static __always_inline bool tt_have_task_btf(void)
{
	return bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_get_current_task_btf);
}

/*
 * bpf_find_vma(): commit 7c7e3d31e785 ("bpf: Introduce helper
 * bpf_find_vma"), 5.17. Without it a munmap or mremap cannot tell a file's
 * mapping from anonymous memory, and is reported.
 */
static __always_inline bool tt_have_find_vma(void)
{
	return tt_have_task_btf() && bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_find_vma);
}

/*
 * bpf_loop(): commit e6f2dd0f8067 ("bpf: Add bpf_loop helper"), 5.17. With
 * it the verifier checks a loop body once, however many times it runs;
 * without it the loops are bounded and unrolled.
 */
static __always_inline bool tt_have_bpf_loop(void)
{
	return bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop);
}

/* ---- sched ---- */

/*
 * sched_process_exit says whether the exiting thread is the last of its
 * process (TP_PROTO(struct task_struct *p, bool group_dead), a group_dead
 * field in the record) since 6.16; before, the count of live threads tells.
 */
static __always_inline bool tt_exit_has_group_dead(void)
{
	return bpf_core_type_exists(struct trace_event_raw_sched_process_exit) &&
	       bpf_core_field_exists(struct trace_event_raw_sched_process_exit, group_dead);
}

/* ---- mm ---- */

/*
 * commit f1a7941243c1 ("mm: convert mm's rss stats into percpu_counter"),
 * 6.2: mm->rss_stat became an array of percpu_counter; before, one struct
 * of atomics.
 */
struct mm_rss_stat___old {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___old {
	struct mm_rss_stat___old rss_stat;
} __attribute__((preserve_access_index));

/*
 * get_mm_counter(): pages of one kind (enum MM_*) mapped by mm, never
 * negative (percpu_counter_read_positive(), and the clamp of the split
 * counters before).
 */
static __always_inline __u64 tt_mm_counter(struct mm_struct *mm, int member)
{
	struct mm_struct___old *old = (void *)mm;
	void *addr;
	long val = 0;

	if (bpf_core_field_exists(mm->rss_stat)) {
		/* One percpu_counter per kind: its count, not the per-CPU parts. */
		addr = (void *)mm + bpf_core_field_offset(mm->rss_stat) +
		       member * bpf_core_type_size(struct percpu_counter) +
		       bpf_core_field_offset(struct percpu_counter, count);
	} else if (bpf_core_field_exists(old->rss_stat)) {
		addr = (void *)&old->rss_stat.count[0] + member * sizeof(atomic_long_t);
	} else {
		return 0;
	}
	if (bpf_probe_read_kernel(&val, sizeof(val), addr) || val < 0)
		return 0;
	return val;
}

/*
 * mm_pgtables_bytes(): mm->pgtables_bytes since 4.15 ("mm: consolidate page
 * table accounting"), and only with CONFIG_MMU. Returns false without it.
 */
static __always_inline bool tt_mm_pgtables_bytes(struct mm_struct *mm, __u64 *bytes)
{
	if (!bpf_core_field_exists(mm->pgtables_bytes))
		return false;
	*bytes = BPF_CORE_READ(mm, pgtables_bytes.counter);
	return true;
}

/* ---- oom ---- */

/*
 * "mm: update mark_victim tracepoints fields" (6.9, and in several stable
 * series since): oom:mark_victim's record gained the victim's comm, sizes,
 * uid, page tables and oom_score_adj, and its arguments became
 * (struct task_struct *task, uid_t uid); before, (int pid) and a record with
 * the pid alone. The uid field tells the two apart. (The plain tracepoint's
 * fields are each read only where the running kernel's record has them.)
 */
static __always_inline bool tt_mark_victim_gives_task(void)
{
	return bpf_core_field_exists(struct trace_event_raw_mark_victim, uid);
}

/* ---- net ---- */

/*
 * commit c504e5c2f964 ("net: skb: introduce kfree_skb_reason()"), 5.17:
 * skb:kfree_skb gained its reason (the raw tracepoint's third argument).
 * Before, nothing tells a drop from a normal free.
 */
static __always_inline bool tt_kfree_skb_has_reason(void)
{
	return bpf_core_field_exists(struct trace_event_raw_kfree_skb, reason);
}

/*
 * commit c53795d48ee8 ("net: add rx_sk to trace_kfree_skb"), 6.12: the
 * receiving socket, when there is one (the raw tracepoint's fourth argument).
 */
static __always_inline bool tt_kfree_skb_has_rx_sk(void)
{
	return bpf_core_field_exists(struct trace_event_raw_kfree_skb, rx_sk);
}

/*
 * SKB_DROP_REASON_QUEUE_PURGE came with skb_queue_purge_reason() (6.7):
 * before it, a purged queue's packets were freed without a reason.
 */
static __always_inline bool tt_is_queue_purge(__u32 reason)
{
	return bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_QUEUE_PURGE) &&
	       reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_QUEUE_PURGE);
}

/*
 * commit ad892e912b84 ("tcp: trace retransmit failures in
 * tcp_retransmit_skb"), 6.17: tcp:tcp_retransmit_skb gained the
 * retransmission's error (the raw tracepoint's third argument); older
 * kernels report 0.
 */
static __always_inline bool tt_retransmit_has_err(void)
{
	return bpf_core_field_exists(struct trace_event_raw_tcp_retransmit_skb, err);
}

/*
 * commit 19822a980e19 ("trace: tcp: fully support trace_tcp_send_reset"),
 * 6.10: tcp:tcp_send_reset got a record of its own (struct
 * trace_event_raw_tcp_send_reset: both ends as sockaddrs, a socket that may
 * be NULL, the skb the RST answers, NULL for an active reset). Before, it
 * shared tcp_event_sk_skb's layout, below, and always had a socket.
 */
struct trace_event_raw_tcp_event_sk_skb___old {
	struct trace_entry ent;
	const void *skaddr;
	int state;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u8 saddr[4];
	__u8 daddr[4];
	__u8 saddr_v6[16];
	__u8 daddr_v6[16];
} __attribute__((preserve_access_index));

static __always_inline bool tt_send_reset_has_own_record(void)
{
	return bpf_core_type_exists(struct trace_event_raw_tcp_send_reset);
}

#endif /* TAPIO_COMPAT_BPF_H */
