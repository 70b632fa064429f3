/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What every area shares in the one BPF object (bpf/tapio.bpf.c): the ring
 * buffer, the drop counters, the filters, sampling, the rate limiter, the
 * reserve/submit pair that every record goes through and the enter/exit
 * pairing of syscalls. Beside it: compat.bpf.h (kernel-version shims),
 * task.bpf.h (the current task's fields), path.bpf.h (paths, dentry walks,
 * fd lookups, --path prefixes).
 *
 * Order of work for every event, cheapest first, and all of it before a ring
 * buffer slot is reserved: filter (pid, uid, comm, cgroup), sample, rate
 * limit. Each suppression is counted per kind in tt_stats. Critical records
 * (rare and worth more than any flood: an OOM kill, a failed connect, a
 * reset, a death by signal, a slow reclaim) skip sampling and the rate limit
 * unless --limit-critical; the caller says which, at the reserve.
 */
#ifndef TAPIO_COMMON_BPF_H
#define TAPIO_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "events.h"

/* Set by user space before load; read by every helper below (task.bpf.h too). */
const volatile struct tt_config tt_cfg = {};

#include "compat.bpf.h"
#include "task.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* One ring buffer for all areas; its size is set by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24);
} tt_events SEC(".maps");

/* Suppressed and lost records, per kind and reason (enum tt_drop_reason). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TT_STATS_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} tt_stats SEC(".maps");

/*
 * -p: thread group ids to keep. With --children the descendants forked
 * since the start join it (bpf/follow.bpf.h), each with its leader's start
 * time (the -p processes with 0); user space then sizes it for them
 * (limits::followed_pids).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} tt_pids SEC(".maps");

/* --cgroup: the cgroup v2 directory whose tasks (and descendants') to keep. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tt_cgroup SEC(".maps");

/*
 * --container, --pod, --namespace (and --cgroup with a v1 directory): the
 * cgroup ids chosen, v2 and v1 apart (ids of different hierarchies can be
 * equal). User space adds the ids of new cgroups that match as they appear.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} tt_cgroups_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} tt_cgroups_v1 SEC(".maps");

/* The cgroup filters (TT_FILTER_CGROUP_*) on the current task. */
static __always_inline bool tt_current_cgroup_wanted(void)
{
	const __u32 sets = TT_FILTER_CGROUP_V2_SET | TT_FILTER_CGROUP_V1_SET;

	if ((tt_cfg.filter_cgroup & TT_FILTER_CGROUP_UNDER) && bpf_current_task_under_cgroup(&tt_cgroup, 0) != 1)
		return false;
	if (!(tt_cfg.filter_cgroup & sets))
		return true;
	if (tt_cfg.filter_cgroup & TT_FILTER_CGROUP_V2_SET) {
		__u64 id = bpf_get_current_cgroup_id();

		if (bpf_map_lookup_elem(&tt_cgroups_v2, &id))
			return true;
	}
	if (tt_cfg.filter_cgroup & TT_FILTER_CGROUP_V1_SET) {
		__u64 id = tt_current_v1_cgroup_id(false);

		if (id && bpf_map_lookup_elem(&tt_cgroups_v1, &id))
			return true;
	}
	return false;
}

/* Per-CPU sampling counters, one per kind. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TT_KIND_MAX);
	__type(key, __u32);
	__type(value, __u64);
} tt_sample SEC(".maps");

/*
 * Rate limiter state: the theoretical arrival time of the next event (GCRA,
 * the token bucket expressed as a single timestamp), shared by all CPUs.
 * Tracing programs may not take bpf_spin_lock, so it is advanced with
 * compare-and-swap (BPF_CMPXCHG, Linux 5.12+).
 *
 * Entry kind is that kind's own share of --rate-limit; entry 0
 * (TT_KIND_NONE, never a record's kind) is the pool every kind draws on
 * once its share is spent. See tt_rate_allows().
 */
struct tt_rate_state {
	__u64 tat;
};

#define TT_RATE_POOL 0

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TT_KIND_MAX);
	__type(key, __u32);
	__type(value, struct tt_rate_state);
} tt_rate SEC(".maps");

static __always_inline void tt_count(__u32 kind, __u32 reason)
{
	__u32 key = kind * TT_DROP_REASONS + reason;
	__u64 *value = bpf_map_lookup_elem(&tt_stats, &key);

	/* Per-CPU, but a softirq program can interrupt one of the same kind. */
	if (value)
		__sync_fetch_and_add(value, 1);
}

static __always_inline bool tt_comm_equal(const char *a, const volatile char *b)
{
#pragma unroll
	for (int i = 0; i < TT_COMM_LEN; i++) {
		if (a[i] != b[i])
			return false;
		if (a[i] == '\0')
			return true;
	}
	return true;
}

/*
 * Filters on an explicit identity, for records attributed to a task other
 * than the current one (a socket's owner, an OOM victim). The cgroup filter
 * is applied only when check_current_cgroup is set, since it can only look
 * at the current task.
 */
static __always_inline bool tt_identity_wanted(__u32 tgid, __u32 uid, const char *comm)
{
	if (tgid == tt_cfg.self_tgid)
		return false;
	if (tt_cfg.filter_pids && !bpf_map_lookup_elem(&tt_pids, &tgid))
		return false;
	if (tt_cfg.filter_uid && uid != tt_cfg.uid)
		return false;
	if (tt_cfg.filter_comm && !tt_comm_equal(comm, tt_cfg.comm))
		return false;
	return true;
}

/*
 * Filters the current task on everything but its name: for a call that can
 * change the name (an exec is decided on the name it ends with).
 */
static __always_inline bool tt_current_wanted_any_comm(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	/* Our own reads, writes and mappings would feed back into the trace. */
	if (tgid == tt_cfg.self_tgid)
		return false;
	if (tt_cfg.filter_pids && !bpf_map_lookup_elem(&tt_pids, &tgid))
		return false;
	if (tt_cfg.filter_uid && (__u32)bpf_get_current_uid_gid() != tt_cfg.uid)
		return false;
	if (tt_cfg.filter_cgroup && !tt_current_cgroup_wanted())
		return false;
	return true;
}

/* Filters the current task: the common case, cheapest checks first. */
static __always_inline bool tt_current_wanted(void)
{
	if (!tt_current_wanted_any_comm())
		return false;
	if (tt_cfg.filter_comm) {
		char comm[TT_COMM_LEN];

		bpf_get_current_comm(comm, sizeof(comm));
		if (!tt_comm_equal(comm, tt_cfg.comm))
			return false;
	}
	return true;
}

/* The --comm filter on a name other than the current thread's. */
static __always_inline bool tt_comm_wanted(const char *comm)
{
	return !tt_cfg.filter_comm || tt_comm_equal(comm, tt_cfg.comm);
}

/* -e/--events: whether records of kind are wanted at all. */
static __always_inline bool tt_kind_chosen(__u32 kind)
{
	return kind < 64 && (tt_cfg.kinds & TT_KIND_BIT(kind));
}

/* --sample N: keep the first of every N events of a kind, per CPU. */
static __always_inline bool tt_sampled_in(__u32 kind)
{
	__u64 *counter;

	if (tt_cfg.sample_every <= 1)
		return true;
	counter = bpf_map_lookup_elem(&tt_sample, &kind);
	if (!counter)
		return true;
	return (*counter)++ % tt_cfg.sample_every == 0;
}

/*
 * One event at time now against the limiter's state: GCRA with emission
 * interval 1s/per_sec and a burst of burst events. Takes the time as an
 * argument, so a test can run it on a made-up clock (tests/bpf).
 */
static __always_inline bool tt_rate_take(struct tt_rate_state *state, __u64 now, __u64 per_sec, __u64 burst)
{
	__u64 interval = 1000000000ULL / per_sec;
	__u64 tolerance = interval * (burst > 0 ? burst - 1 : 0);

	/*
	 * Take one emission interval: move tat from what we read to
	 * max(tat, now) + interval, unless another CPU moved it first. A few
	 * tries; under that much contention the event counts as limited.
	 */
	for (int i = 0; i < 4; i++) {
		__u64 tat = state->tat;
		__u64 base = tat > now ? tat : now;

		if (base - now > tolerance)
			return false;
		if (__sync_val_compare_and_swap(&state->tat, tat, base + interval) == tat)
			return true;
	}
	return false;
}

/*
 * --rate-limit N, fair between kinds: a kind first takes from its own share
 * (rate_share_per_sec, the same for every kind chosen), and only once that
 * is spent from the pool (rate_per_sec) all kinds share. User space sizes
 * them so that the shares and the pool add up to at most N (src/probes.cpp),
 * so a flood of one kind leaves every other kind at least its share.
 */
static __always_inline bool tt_rate_allows(__u32 kind)
{
	__u32 key = TT_RATE_POOL;
	struct tt_rate_state *state;
	__u64 now;

	if (!tt_cfg.rate_per_sec)
		return true;
	now = bpf_ktime_get_boot_ns();
	if (tt_cfg.rate_share_per_sec && kind < TT_KIND_MAX) {
		state = bpf_map_lookup_elem(&tt_rate, &kind);
		if (state && tt_rate_take(state, now, tt_cfg.rate_share_per_sec, tt_cfg.rate_share_burst))
			return true;
	}
	state = bpf_map_lookup_elem(&tt_rate, &key);
	if (!state)
		return true;
	return tt_rate_take(state, now, tt_cfg.rate_per_sec, tt_cfg.rate_burst);
}

/*
 * Decide whether a record of this kind may be emitted, counting it if not.
 * Call after the filters, before reserving. A critical record (see the top
 * of this file) is only subject to -e, unless --limit-critical.
 */
static __always_inline bool tt_admit_critical(__u32 kind, bool critical)
{
	/*
	 * -e: a kind not chosen is not a loss, so not counted. Hooks and
	 * syscalls that serve only such kinds are not even attached; this
	 * catches the rest of a hook shared by several kinds.
	 */
	if (!tt_kind_chosen(kind))
		return false;
	if (critical && !tt_cfg.limit_critical)
		return true;
	if (!tt_sampled_in(kind)) {
		tt_count(kind, TT_DROP_SAMPLED_OUT);
		return false;
	}
	if (!tt_rate_allows(kind)) {
		tt_count(kind, TT_DROP_RATE_LIMITED);
		return false;
	}
	return true;
}

static __always_inline bool tt_admit(__u32 kind)
{
	return tt_admit_critical(kind, false);
}

/* Reserve a record, counting a loss when the ring buffer is full. */
static __always_inline void *tt_reserve_raw(__u32 kind, __u32 size)
{
	void *rec = bpf_ringbuf_reserve(&tt_events, size, 0);

	if (!rec)
		tt_count(kind, TT_DROP_LOST);
	return rec;
}

/* tt_admit then reserve: the usual way in. */
#define tt_reserve(kind, type) tt_reserve_critical(kind, type, false)
#define tt_reserve_critical(kind, type, critical) \
	((type *)(tt_admit_critical(kind, critical) ? tt_reserve_raw(kind, sizeof(type)) : NULL))

/*
 * tt_reserve with the header filled in: about the current thread, or about
 * the task id names (NULL: nobody, pid 0), id evaluated only once a slot is
 * reserved. For a record built in place. The _critical forms take whether
 * this record is critical (tt_admit_critical).
 */
#define tt_reserve_current(kind, type) tt_reserve_current_critical(kind, type, false)
#define tt_reserve_for(kind, type, id) tt_reserve_for_critical(kind, type, id, false)
#define tt_reserve_current_critical(kind, type, critical)              \
	({                                                               \
		type *__rec = tt_reserve_critical(kind, type, critical); \
		if (__rec)                                               \
			tt_fill_header(&__rec->h, kind, sizeof(type));   \
		__rec;                                                   \
	})
#define tt_reserve_for_critical(kind, type, id, critical)                       \
	({                                                                      \
		type *__rec = tt_reserve_critical(kind, type, critical);        \
		if (__rec)                                                      \
			tt_fill_header_for(&__rec->h, kind, sizeof(type), id);  \
		__rec;                                                          \
	})

/*
 * No wakeup per record: the reader drains on a short timer. Only once the
 * unread data passes a threshold is the reader woken, so a burst cannot
 * overrun the buffer while the reader sleeps.
 */
static __always_inline __u64 tt_wakeup_flags(void)
{
	if (bpf_ringbuf_query(&tt_events, BPF_RB_AVAIL_DATA) >= tt_cfg.wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void tt_submit(void *rec)
{
	bpf_ringbuf_submit(rec, tt_wakeup_flags());
}

/*
 * Enter/exit pairing. A syscall's arguments are known at entry, its result
 * at exit; what entry saw waits in a per-area hash map keyed by thread id.
 * Every such map follows these rules:
 * - bounded: a plain hash map; an insert that finds it full is counted as a
 *   TT_DROP_MAP_FULL drop of the record kind it would have produced (an LRU
 *   map would instead evict some other thread's entry without a trace);
 * - cleaned at thread exit: the area's sched_process_exit program calls
 *   tt_pending_forget() on each of its maps, so calls that never return
 *   (exit, exit_group, a thread killed in a syscall) leave nothing behind;
 * - checked: each value starts with struct tt_pending, naming the thread (its
 *   start time, unique with its tid) and the syscall entered. tt_pending_get()
 *   matches both against the exit, so a reused tid or a different syscall can
 *   never pick up a stale entry; the identity of a call at exit always comes
 *   from the exit record.
 */
struct tt_pending {
	__u64 task_start; /* task_struct.start_time of the thread that entered */
	__u32 nr;         /* syscall number (or the caller's own call id) */
	__u32 pad;
};

#define TT_PENDING_MAP(name, value_type, entries)     \
	struct {                                      \
		__uint(type, BPF_MAP_TYPE_HASH);      \
		__uint(max_entries, entries);         \
		__type(key, __u32);                   \
		__type(value, value_type);            \
	} name SEC(".maps")

/*
 * Stores value (which starts with struct tt_pending) for the current thread
 * and syscall nr. Returns false, counting a map_full drop of kind, when the
 * map has no room.
 */
static __always_inline bool tt_pending_put(void *map, void *value, __u32 nr, __u32 kind)
{
	struct tt_pending *p = value;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	p->task_start = tt_current_start();
	p->nr = nr;
	p->pad = 0;
	if (bpf_map_update_elem(map, &tid, value, BPF_ANY) == 0)
		return true;
	tt_count(kind, TT_DROP_MAP_FULL);
	return false;
}

/*
 * What thread tid stored on entering syscall nr, or NULL. An entry of
 * another syscall, or (same_thread) one left by an earlier thread that had
 * the same tid, is deleted. same_thread is false only where the current
 * thread took over tid from the thread that entered (an exec from a thread
 * other than the leader, see tt_pending_move()).
 */
static __always_inline void *tt_pending_get_of(void *map, __u32 tid, __u32 nr, bool same_thread)
{
	struct tt_pending *p = bpf_map_lookup_elem(map, &tid);

	if (!p)
		return NULL;
	if (p->nr != nr || (same_thread && p->task_start != tt_current_start())) {
		bpf_map_delete_elem(map, &tid);
		return NULL;
	}
	return p;
}

/* What this thread stored on entering syscall nr, or NULL. */
static __always_inline void *tt_pending_get(void *map, __u32 nr)
{
	return tt_pending_get_of(map, (__u32)bpf_get_current_pid_tgid(), nr, true);
}

/* The call is over: drop the current thread's entry. */
static __always_inline void tt_pending_forget(void *map)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_delete_elem(map, &tid);
}

/* Drops thread tid's entry (one the current thread took over). */
static __always_inline void tt_pending_forget_of(void *map, __u32 tid)
{
	bpf_map_delete_elem(map, &tid);
}

/*
 * After an exec from a thread other than the leader, the thread carries on
 * under the leader's tid (de_thread() gives it the leader's pid and start
 * time): its entry moves from old_tid to the current tid, with the start
 * time it has now. copy (size bytes, the map's value size) holds the entry
 * meanwhile: it is deleted before the move, so a full map still has room.
 */
static __always_inline void tt_pending_move(void *map, __u32 old_tid, void *copy, __u32 size, __u32 kind)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct tt_pending *old = bpf_map_lookup_elem(map, &old_tid);

	if (!old)
		return;
	__builtin_memcpy(copy, old, size);
	((struct tt_pending *)copy)->task_start = tt_current_start();
	bpf_map_delete_elem(map, &old_tid);
	if (bpf_map_update_elem(map, &tid, copy, BPF_ANY))
		tt_count(kind, TT_DROP_MAP_FULL);
}

/*
 * A summary (per-process aggregation) map entry: look it up, creating it
 * from init when missing. A full map is counted as a map_full drop of kind.
 */
static __always_inline void *tt_summary_entry(void *map, const void *key, const void *init, __u32 kind)
{
	void *value = bpf_map_lookup_elem(map, key);
	long err;

	if (value)
		return value;
	/*
	 * Another CPU may create it between the two calls (EEXIST); any other
	 * failure (E2BIG: full, ENOMEM, EBUSY) loses the row: count it.
	 */
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST */) {
		tt_count(kind, TT_DROP_MAP_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(map, key);
}

#endif /* TAPIO_COMMON_BPF_H */
