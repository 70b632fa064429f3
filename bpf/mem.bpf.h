// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * mem: OOM kills, direct reclaim stalls and large address-space changes, from
 * tracepoints only (oom, vmscan, and raw_syscalls through the dispatcher).
 * Memory pressure (PSI) is read in user space. Every size and latency
 * threshold is applied here, so a busy allocator costs a map lookup, not a
 * ring buffer record.
 */
#include "common.bpf.h"

/* Shortest reclaim stall reported (--min-latency). */
const volatile __u64 mem_min_latency_ns = 1000000;
/* Smallest mapping or break change reported (--min-size). */
const volatile __u64 mem_min_size = 1 << 20;
/*
 * Mappings of files too (--file-mappings). Off, only anonymous memory is
 * reported: every exec maps its shared libraries, megabytes each, and
 * those would bury the allocations that matter.
 */
const volatile bool mem_file_mappings = false;

#define TT_MAP_ANONYMOUS 0x20 /* the same on every architecture Linux has */

#define TT_MAX_ERRNO 4095

struct reclaim_call {
	struct tt_pending p;
	__u64 ts;
	__s32 order;
	__u32 pad;
};

/* Reclaim in progress, by thread id; the pending call id is the scope. */
TT_PENDING_MAP(reclaim_start, struct reclaim_call, 4096);

struct alloc_args {
	struct tt_pending p;
	__u64 size;
	__u64 addr;
	__u64 old_addr;
	__u64 old_size;
	__u32 op;
	__u32 flags;
};

/* Large mmap/munmap/brk/mremap calls in flight, by thread id. */
TT_PENDING_MAP(alloc_pending, struct alloc_args, 4096);

/* ---- OOM kills ---- */

/* The page size's log2, from user space (sysconf): a macro, not in BTF. */
const volatile __u32 mem_page_shift = 12;

/* What mark_victim knows of its victim, however it was read. */
struct oom_victim {
	__u32 pid;
	__u32 uid;
	__u32 present; /* TT_OOM_HAS_*, memcg aside */
	__s32 oom_score_adj;
	__u64 total_vm_kb;
	__u64 anon_rss_kb;
	__u64 file_rss_kb;
	__u64 shmem_rss_kb;
	__u64 pgtables_kb;
	char comm[TT_COMM_LEN];
};

static __always_inline int on_mark_victim(const struct oom_victim *v)
{
	struct tt_mem_oom_kill *rec;
	__u32 present = v->present;
	bool wanted;

	/*
	 * Wanted when either side matches: the victim (its identity is in the
	 * record) or the task that triggered the kill. The cgroup filter can
	 * only look at the current task, so it alone decides when set.
	 */
	wanted = tt_current_wanted();
	if (!wanted && !tt_cfg.filter_cgroup)
		wanted = tt_identity_wanted(v->pid, v->uid, v->comm);
	if (!wanted)
		return 0;
	/* An OOM kill is a failed allocation: -x keeps it. */
	/* Critical: never sampled or limited (unless --limit-critical). */
	rec = tt_reserve_current_critical(TT_MEM_OOM_KILL, struct tt_mem_oom_kill, true);
	if (!rec)
		return 0;
	rec->victim_pid = v->pid;
	rec->victim_uid = v->uid;
	__builtin_memcpy(rec->victim_comm, v->comm, sizeof(rec->victim_comm));
	rec->total_vm_kb = v->total_vm_kb;
	rec->anon_rss_kb = v->anon_rss_kb;
	rec->file_rss_kb = v->file_rss_kb;
	rec->shmem_rss_kb = v->shmem_rss_kb;
	rec->pgtables_kb = v->pgtables_kb;
	rec->oom_score_adj = v->oom_score_adj;
	rec->memcg_id = tt_current_memcg_id();
	if (rec->memcg_id)
		present |= TT_OOM_HAS_MEMCG;
	rec->present = present;
	tt_submit(rec);
	return 0;
}

/*
 * The victim as mark_victim's TP_fast_assign (include/trace/events/oom.h)
 * computes it from the task: sizes in KiB.
 */
static __always_inline void read_victim_task(struct oom_victim *v, struct task_struct *task)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	__u32 to_kb = mem_page_shift - 10;

	v->pid = BPF_CORE_READ(task, pid);
	if (bpf_core_read_str(v->comm, sizeof(v->comm), &task->comm) > 0)
		v->present |= TT_OOM_HAS_COMM;
	v->total_vm_kb = (__u64)BPF_CORE_READ(mm, total_vm) << to_kb;
	v->present |= TT_OOM_HAS_TOTAL_VM;
	/*
	 * MM_* is an anonymous enum, out of CO-RE's reach; its values have not
	 * moved since MM_SHMEMPAGES came (4.5), long before this prototype.
	 */
	v->anon_rss_kb = tt_mm_counter(mm, MM_ANONPAGES) << to_kb;
	v->file_rss_kb = tt_mm_counter(mm, MM_FILEPAGES) << to_kb;
	v->shmem_rss_kb = tt_mm_counter(mm, MM_SHMEMPAGES) << to_kb;
	v->present |= TT_OOM_HAS_ANON_RSS | TT_OOM_HAS_FILE_RSS | TT_OOM_HAS_SHMEM_RSS;
	if (tt_mm_pgtables_bytes(mm, &v->pgtables_kb)) {
		v->pgtables_kb >>= 10;
		v->present |= TT_OOM_HAS_PGTABLES;
	}
	v->oom_score_adj = BPF_CORE_READ(task, signal, oom_score_adj);
	v->present |= TT_OOM_HAS_SCORE_ADJ;
}

/*
 * The raw tracepoint is preferred: a perf-attached tracepoint costs an RCU
 * grace period at detach. Its arguments are (task, uid) where the record
 * has the victim's comm, sizes and uid; before, only the pid, which is all
 * this reports there (compat.bpf.h).
 */
SEC("raw_tp/mark_victim")
int BPF_PROG(handle_mark_victim_raw)
{
	struct oom_victim v = {};

	if (tt_mark_victim_gives_task()) {
		read_victim_task(&v, (struct task_struct *)ctx[0]);
		v.uid = (__u32)ctx[1];
		v.present |= TT_OOM_HAS_UID;
	} else {
		v.pid = (__u32)ctx[0];
	}
	return on_mark_victim(&v);
}

/*
 * The record's fields beyond the pid came with the change that
 * tt_mark_victim_gives_task() (compat.bpf.h) tells; each is read only where
 * the running kernel's record has it, so a kernel with some of them (a
 * backport, a later change) still gives those.
 */
SEC("tracepoint/oom/mark_victim")
int handle_mark_victim(struct trace_event_raw_mark_victim *ctx)
{
	struct oom_victim v = {};

	v.pid = BPF_CORE_READ(ctx, pid);
	if (bpf_core_field_exists(ctx->__data_loc_comm)) {
		__u32 off = BPF_CORE_READ(ctx, __data_loc_comm) & 0xFFFF;

		if (bpf_probe_read_kernel_str(v.comm, sizeof(v.comm), (void *)ctx + off) > 0)
			v.present |= TT_OOM_HAS_COMM;
	}
/* One of the record's optional fields into v.dst, and its TT_OOM_HAS_* bit. */
#define READ_VICTIM_FIELD(field, dst, has)                      \
	do {                                                    \
		if (bpf_core_field_exists(ctx->field)) {        \
			v.dst = BPF_CORE_READ(ctx, field);      \
			v.present |= has;                       \
		}                                               \
	} while (0)
	READ_VICTIM_FIELD(uid, uid, TT_OOM_HAS_UID);
	READ_VICTIM_FIELD(total_vm, total_vm_kb, TT_OOM_HAS_TOTAL_VM);
	READ_VICTIM_FIELD(anon_rss, anon_rss_kb, TT_OOM_HAS_ANON_RSS);
	READ_VICTIM_FIELD(file_rss, file_rss_kb, TT_OOM_HAS_FILE_RSS);
	READ_VICTIM_FIELD(shmem_rss, shmem_rss_kb, TT_OOM_HAS_SHMEM_RSS);
	READ_VICTIM_FIELD(pgtables, pgtables_kb, TT_OOM_HAS_PGTABLES);
	READ_VICTIM_FIELD(oom_score_adj, oom_score_adj, TT_OOM_HAS_SCORE_ADJ);
#undef READ_VICTIM_FIELD
	return on_mark_victim(&v);
}

/* ---- direct reclaim stalls ---- */

static __always_inline int reclaim_begin(__u32 scope, __s32 order)
{
	struct reclaim_call call = { .order = order };

	/* A stall is not a failed operation. */
	if (tt_cfg.failed_only || !tt_current_wanted())
		return 0;
	call.ts = bpf_ktime_get_boot_ns();
	tt_pending_put(&reclaim_start, &call, scope, TT_MEM_RECLAIM);
	return 0;
}

static __always_inline int reclaim_end(__u32 scope, __u64 nr_reclaimed)
{
	/* An end without its begin (attached mid-stall) finds nothing. */
	struct reclaim_call *call = tt_pending_get(&reclaim_start, scope);
	struct tt_mem_reclaim *rec;
	__u64 duration;
	__s32 order;

	if (!call)
		return 0;
	duration = bpf_ktime_get_boot_ns() - call->ts;
	order = call->order;
	tt_pending_forget(&reclaim_start);
	if (duration < mem_min_latency_ns)
		return 0;
	/* Critical (only stalls past the threshold get here): never sampled or limited. */
	rec = tt_reserve_current_critical(TT_MEM_RECLAIM, struct tt_mem_reclaim, true);
	if (!rec)
		return 0;
	rec->duration_ns = duration;
	rec->nr_reclaimed = nr_reclaimed;
	rec->memcg_id = tt_current_memcg_id();
	rec->scope = scope;
	rec->order = order;
	tt_submit(rec);
	return 0;
}

/* Raw tracepoints first: no RCU grace period to wait for at detach. */
SEC("raw_tp/mm_vmscan_direct_reclaim_begin")
int BPF_PROG(handle_direct_reclaim_begin_raw, int order)
{
	return reclaim_begin(TT_RECLAIM_GLOBAL, order);
}

SEC("raw_tp/mm_vmscan_direct_reclaim_end")
int BPF_PROG(handle_direct_reclaim_end_raw, unsigned long nr_reclaimed)
{
	return reclaim_end(TT_RECLAIM_GLOBAL, nr_reclaimed);
}

SEC("raw_tp/mm_vmscan_memcg_reclaim_begin")
int BPF_PROG(handle_memcg_reclaim_begin_raw, int order)
{
	return reclaim_begin(TT_RECLAIM_MEMCG, order);
}

SEC("raw_tp/mm_vmscan_memcg_reclaim_end")
int BPF_PROG(handle_memcg_reclaim_end_raw, unsigned long nr_reclaimed)
{
	return reclaim_end(TT_RECLAIM_MEMCG, nr_reclaimed);
}

SEC("tracepoint/vmscan/mm_vmscan_direct_reclaim_begin")
int handle_direct_reclaim_begin(struct trace_event_raw_mm_vmscan_direct_reclaim_begin_template *ctx)
{
	return reclaim_begin(TT_RECLAIM_GLOBAL, BPF_CORE_READ(ctx, order));
}

SEC("tracepoint/vmscan/mm_vmscan_direct_reclaim_end")
int handle_direct_reclaim_end(struct trace_event_raw_mm_vmscan_direct_reclaim_end_template *ctx)
{
	return reclaim_end(TT_RECLAIM_GLOBAL, BPF_CORE_READ(ctx, nr_reclaimed));
}

SEC("tracepoint/vmscan/mm_vmscan_memcg_reclaim_begin")
int handle_memcg_reclaim_begin(struct trace_event_raw_mm_vmscan_direct_reclaim_begin_template *ctx)
{
	return reclaim_begin(TT_RECLAIM_MEMCG, BPF_CORE_READ(ctx, order));
}

SEC("tracepoint/vmscan/mm_vmscan_memcg_reclaim_end")
int handle_memcg_reclaim_end(struct trace_event_raw_mm_vmscan_direct_reclaim_end_template *ctx)
{
	return reclaim_end(TT_RECLAIM_MEMCG, BPF_CORE_READ(ctx, nr_reclaimed));
}

/* ---- large mmap, munmap, brk, mremap ---- */

/*
 * bpf_find_vma()'s callback: whether the mapping maps a file. Anonymous
 * memory can have a file too: a shared anonymous mapping (MAP_SHARED |
 * MAP_ANONYMOUS) has shmem's "dev/zero" (shmem_zero_setup()), an anonymous
 * huge-page mapping (MAP_ANONYMOUS | MAP_HUGETLB) hugetlbfs's
 * "anon_hugepage" (ksys_mmap_pgoff()): anonymous memory, as its mmap said.
 */
static long vma_maps_file(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	static const char zero[] = "dev/zero";
	static const char huge[] = "anon_hugepage";
	struct file *file = BPF_CORE_READ(vma, vm_file);
	char name[sizeof(huge)] = {};
	__u8 not_zero = 0, not_huge = 0;

	*(bool *)data = false;
	if (!file)
		return 0;
	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(file, f_path.dentry, d_name.name));
	/* XOR and OR, not ==: no branch per byte for the verifier to follow. */
#pragma unroll
	for (int i = 0; i < sizeof(zero); i++)
		not_zero |= name[i] ^ zero[i];
#pragma unroll
	for (int i = 0; i < sizeof(huge); i++)
		not_huge |= name[i] ^ huge[i];
	*(bool *)data = not_zero && not_huge;
	return 0;
}

/*
 * Whether the current process's mapping at addr maps a file: munmap and
 * mremap name an address, not a kind of memory. Unknown (no mapping there,
 * the mm's lock taken, a kernel without bpf_find_vma) counts as anonymous,
 * so the call is reported. Only calls past --min-size get here.
 */
static __always_inline bool mapping_of_file(__u64 addr)
{
	bool file = false;

	if (tt_have_find_vma())
		bpf_find_vma(bpf_get_current_task_btf(), addr, vma_maps_file, &file, 0);
	return file;
}

/* munmap is mem.unmap; the calls that map or move memory are mem.alloc. */
static __always_inline __u32 alloc_kind(__u32 op)
{
	return op == TT_ALLOC_MUNMAP ? TT_MEM_UNMAP : TT_MEM_ALLOC;
}

static __always_inline int alloc_enter(__u32 nr, struct alloc_args *args)
{
	/* Size first: it rejects nearly every call before any other work. */
	if (args->size < mem_min_size && args->old_size < mem_min_size)
		return 0;
	if (!tt_current_wanted())
		return 0;
	/* A file's mapping: its size is the file's business, not memory's. */
	if ((args->op == TT_ALLOC_MUNMAP || args->op == TT_ALLOC_MREMAP) && mapping_of_file(args->addr))
		args->flags |= TT_ALLOC_FILE;
	if ((args->flags & TT_ALLOC_FILE) && !mem_file_mappings)
		return 0;
	tt_pending_put(&alloc_pending, args, nr, alloc_kind(args->op));
	return 0;
}

/* nr: the syscall, from the exit record. */
static __always_inline int alloc_exit(__u32 nr, long ret)
{
	struct alloc_args *args;
	struct tt_mem_alloc *rec;
	__u64 size, addr, old_addr, old_size;
	__u32 op, flags;
	bool failed;

	args = tt_pending_get(&alloc_pending, nr);
	if (!args)
		return 0;
	/* Copied out: the slot is freed before the record is built. */
	size = args->size;
	addr = args->addr;
	old_addr = args->old_addr;
	old_size = args->old_size;
	flags = args->flags;
	op = args->op;
	if (op == TT_ALLOC_BRK) {
		/* brk returns the break in effect: the old one when it failed. */
		__u64 wanted = flags & TT_ALLOC_SHRINK ? addr - size : addr + size;

		failed = (__u64)ret != wanted;
		ret = failed ? -12 /* ENOMEM */ : 0;
	} else {
		failed = ret < 0 && ret >= -TT_MAX_ERRNO;
	}
	tt_pending_forget(&alloc_pending);
	if (tt_cfg.failed_only && !failed)
		return 0;
	rec = tt_reserve_current(alloc_kind(op), struct tt_mem_alloc);
	if (!rec)
		return 0;
	rec->size = size;
	rec->addr = addr;
	if (!failed && (op == TT_ALLOC_MMAP || op == TT_ALLOC_MREMAP))
		rec->addr = (__u64)ret;
	rec->old_addr = old_addr;
	rec->old_size = old_size;
	rec->ret = ret;
	rec->op = op;
	rec->flags = flags;
	tt_submit(rec);
	return 0;
}

/* ---- thread exit: calls it never returned from leave nothing behind ---- */

SEC("raw_tp/sched_process_exit")
int handle_thread_exit_raw(void *ctx)
{
	tt_pending_forget(&reclaim_start);
	tt_pending_forget(&alloc_pending);
	return 0;
}

/* ---- the syscalls mem handles, from the dispatcher (tapio.bpf.c) ---- */

static __always_inline void mem_sys_enter(long nr, const struct tt_sys_args *a)
{
	struct alloc_args args = {};

	switch (nr) {
	case TT_NR_mmap:
		args.op = TT_ALLOC_MMAP;
		args.addr = a->arg[0];
		args.size = a->arg[1];
		if (!(a->arg[3] & TT_MAP_ANONYMOUS))
			args.flags = TT_ALLOC_FILE;
		break;
	case TT_NR_munmap:
		args.op = TT_ALLOC_MUNMAP;
		args.addr = a->arg[0];
		args.size = a->arg[1];
		break;
	case TT_NR_mremap:
		args.op = TT_ALLOC_MREMAP;
		args.old_addr = a->arg[0];
		args.addr = a->arg[0];
		args.old_size = a->arg[1];
		args.size = a->arg[2];
		break;
	case TT_NR_brk: {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		__u64 new_brk = a->arg[0];
		__u64 old_brk;

		/* brk(0) only asks where the break is. */
		if (new_brk == 0)
			return;
		old_brk = BPF_CORE_READ(task, mm, brk);
		args.op = TT_ALLOC_BRK;
		args.addr = old_brk;
		if (new_brk >= old_brk) {
			args.size = new_brk - old_brk;
		} else {
			args.size = old_brk - new_brk;
			args.flags = TT_ALLOC_SHRINK;
		}
		break;
	}
	default:
		return;
	}
	alloc_enter(nr, &args);
}

static __always_inline void mem_sys_exit(long nr, long ret)
{
	switch (nr) {
	case TT_NR_mmap:
	case TT_NR_munmap:
	case TT_NR_mremap:
	case TT_NR_brk:
		alloc_exit(nr, ret);
		break;
	}
}
