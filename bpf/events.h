/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one contract between the BPF programs and user space.
 *
 * Fixed-size types only, every record starts with struct tt_header, and every
 * name carries a tt_ prefix so nothing clashes with vmlinux.h. Included from
 * BPF C (after vmlinux.h) and from C++ (after <linux/types.h>).
 *
 * Layout rules: each struct is 8-byte aligned and has no implicit padding, so
 * clang -target bpf and g++ agree on it; the static asserts at the bottom and
 * in src/decode.cpp check that.
 */
#ifndef TAPIO_BPF_EVENTS_H
#define TAPIO_BPF_EVENTS_H

#ifdef __cplusplus
#include <linux/types.h>
#endif

#define TT_COMM_LEN 16
#define TT_PATH_LEN 256
#define TT_ARGS_LEN 2048
#define TT_MAX_ARGS 64

/*
 * Record kinds. Each area owns a range so areas can grow independently:
 * proc 1-15, net 16-31, file 32-47, mem 48-63. TT_KIND_MAX bounds every
 * per-kind table (drop counters, sampling counters, decoders).
 */
enum tt_kind {
	TT_KIND_NONE = 0,

	TT_PROC_EXEC = 1,
	TT_PROC_FORK = 2,
	TT_PROC_EXIT = 3,
	TT_PROC_SIGNAL = 4,
	TT_PROC_SYSCALLS = 5, /* summary (--syscalls): drop accounting only */
	TT_PROC_SETUID = 6,

	TT_NET_CONNECT = 16,
	TT_NET_ACCEPT = 17,
	TT_NET_CLOSE = 18,
	TT_NET_RETRANSMIT = 19,
	TT_NET_RESET = 20,
	TT_NET_DROP = 21,
	TT_NET_STATE = 22,
	TT_MEM_OOM_KILL = 48,
	TT_MEM_RECLAIM = 49,
	TT_MEM_ALLOC = 50,
	TT_MEM_UNMAP = 51,
	TT_FILE_OPEN = 32,
	TT_FILE_UNLINK = 33,
	TT_FILE_RENAME = 34,
	TT_FILE_MKDIR = 35,
	TT_FILE_RMDIR = 36,
	TT_FILE_TRUNCATE = 37,
	TT_FILE_CHMOD = 38,
	TT_FILE_SLOW = 39,
	TT_FILE_IO = 40, /* summary (--top): drop accounting only */

	TT_KIND_MAX = 64,
};

/* Why a record did not reach user space; index into tt_stats. */
enum tt_drop_reason {
	TT_DROP_LOST = 0,         /* ring buffer full */
	TT_DROP_RATE_LIMITED = 1, /* --rate-limit */
	TT_DROP_SAMPLED_OUT = 2,  /* --sample */
	TT_DROP_MAP_FULL = 3,     /* a pending or summary map in the kernel was full */
	TT_DROP_REASONS = 4,
};

#define TT_STATS_ENTRIES (TT_KIND_MAX * TT_DROP_REASONS)

/*
 * A kind's bit in tt_config.kinds (-e/--events): every kind is below 64,
 * so one 64-bit mask names any set of them.
 */
#define TT_KIND_BIT(kind) (1ULL << (kind))

struct tt_header {
	__u64 ts_ns;     /* CLOCK_BOOTTIME */
	__u64 cgroup_id; /* cgroup v2 id of the task the record is about */
	/*
	 * Its cgroup id in the v1 hierarchy of controller tt_config.v1_ssid - 1
	 * (memory, on a hybrid host), which names containers there; 0 when off.
	 */
	__u64 cgroup_v1_id;
	__u32 pid; /* thread group id */
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u16 kind; /* enum tt_kind */
	__u16 size; /* whole record, header included */
	__u32 flags;
	char comm[TT_COMM_LEN];
};

/*
 * Settings every BPF object shares, as one read-only global (tt_cfg) so user
 * space can fill it the same way in every skeleton before load.
 */
/*
 * Which areas the syscall dispatcher serves (tapio.bpf.c's tt_sys_areas, set
 * before load): the verifier drops the handlers of the areas that are off.
 */
#define TT_SYS_AREA_PROC 0x1
#define TT_SYS_AREA_PROC_SUMMARY 0x2 /* proc --syscalls: every syscall */
#define TT_SYS_AREA_FILE 0x4
#define TT_SYS_AREA_MEM 0x8
#define TT_SYS_AREA_NET 0x10

/*
 * The syscalls the proc, mem and net areas handle, each listed once: the
 * dispatcher's switch (tapio.bpf.c) and the names user space reports (-v,
 * doctor) are both made from these lists. X(name) for TT_NR_<name> of
 * bpf/syscall_nr.h, kinds the TT_KIND_BIT()s of the records the syscall
 * serves: with -e, a syscall no chosen kind needs is not handled at all.
 * (file's are decided by file_io_nr(), file_op_nr() and file_nr_kinds().)
 */
#define TT_PROC_SYSCALL_LIST(X)                                                                         \
	X(execve, TT_KIND_BIT(TT_PROC_EXEC)) X(execveat, TT_KIND_BIT(TT_PROC_EXEC))                       \
	X(kill, TT_KIND_BIT(TT_PROC_SIGNAL)) X(tkill, TT_KIND_BIT(TT_PROC_SIGNAL))                        \
	X(tgkill, TT_KIND_BIT(TT_PROC_SIGNAL)) X(setuid, TT_KIND_BIT(TT_PROC_SETUID))                     \
	X(setreuid, TT_KIND_BIT(TT_PROC_SETUID)) X(setresuid, TT_KIND_BIT(TT_PROC_SETUID))
#define TT_MEM_SYSCALL_LIST(X)                                                                          \
	X(mmap, TT_KIND_BIT(TT_MEM_ALLOC)) X(munmap, TT_KIND_BIT(TT_MEM_UNMAP))                           \
	X(brk, TT_KIND_BIT(TT_MEM_ALLOC)) X(mremap, TT_KIND_BIT(TT_MEM_ALLOC))
/* accept() names the owner of a passive socket: every net record may need it. */
#define TT_NET_SOCKET_KINDS                                                                             \
	(TT_KIND_BIT(TT_NET_CONNECT) | TT_KIND_BIT(TT_NET_ACCEPT) | TT_KIND_BIT(TT_NET_CLOSE) |           \
	 TT_KIND_BIT(TT_NET_RETRANSMIT) | TT_KIND_BIT(TT_NET_RESET) | TT_KIND_BIT(TT_NET_DROP) |           \
	 TT_KIND_BIT(TT_NET_STATE))
#define TT_NET_SYSCALL_LIST(X) X(accept, TT_NET_SOCKET_KINDS) X(accept4, TT_NET_SOCKET_KINDS)

/*
 * The cgroup filters (tt_config.filter_cgroup). A task passes when it is
 * under tt_cgroup[0] (--cgroup, a v2 directory), if that is on, and when its
 * v2 id or its v1 id is in the corresponding set, if either is on (the ids
 * of the containers and pods chosen, or of a v1 directory and those below;
 * user space adds new ones as they appear).
 */
#define TT_FILTER_CGROUP_UNDER 0x1
#define TT_FILTER_CGROUP_V2_SET 0x2
#define TT_FILTER_CGROUP_V1_SET 0x4

struct tt_config {
	__u32 filter_pids;   /* only tgids present in tt_pids */
	__u32 filter_uid;    /* only uid == uid */
	__u32 uid;
	__u32 filter_comm;   /* only comm == comm */
	char comm[TT_COMM_LEN];
	__u32 filter_cgroup; /* TT_FILTER_CGROUP_*: which cgroup filters are on */
	__u32 v1_ssid;       /* 1 + the cgroup v1 controller of cgroup_v1_id; 0: v1 ids off */
	__u32 failed_only;   /* -x: only failed operations */
	__u32 sample_every;  /* keep 1 in N; 0 or 1 keeps all */
	__u32 self_tgid;     /* tapio-trace itself: never traced */
	/*
	 * --rate-limit, split (common.bpf.h, tt_rate_allows): each kind's own
	 * share, then a pool all kinds draw on. The shares and the pool add up
	 * to at most --rate-limit. rate_per_sec 0: no limit at all.
	 */
	__u64 rate_per_sec;       /* the pool's refill; 0 = off */
	__u64 rate_burst;         /* the pool's depth */
	__u64 rate_share_per_sec; /* each kind's own refill; 0 = no shares */
	__u64 rate_share_burst;   /* each kind's own depth */
	__u64 wakeup_bytes;       /* force a reader wakeup past this much unread data */
	__u64 kinds;              /* TT_KIND_BIT()s of the kinds chosen (-e); all when no choice */
	__u32 limit_critical;     /* --limit-critical: critical records are sampled and limited too */
	__u32 pad0;
};

/*
 * proc.exec: filled from sched_process_exec (success) or execve exit
 * (failure). args is the argv the caller passed, read at syscall entry; only
 * when that entry is missing (the exec began before tracing did) or could
 * not be read whole (strings on pages the caller never touched, which a
 * tracer may not fault in) is it the new image's argv, which the kernel
 * copied and which for a script starts with the interpreter.
 */
#define TT_EXEC_ARGS_TRUNCATED 0x1
#define TT_EXEC_FILENAME_TRUNCATED 0x2 /* filename lost leading bytes */
#define TT_EXEC_HAS_INTERP 0x4         /* interp holds the program the kernel ran instead (#!, binfmt_misc) */
#define TT_EXEC_INTERP_TRUNCATED 0x8
#define TT_EXEC_ARGS_FROM_IMAGE 0x10   /* args is the new image's argv, not the caller's */
#define TT_EXEC_ENTRY_UNREADABLE 0x20  /* at entry, part of argv or the filename could not be read */
struct tt_proc_exec {
	struct tt_header h;
	__s32 ret;
	__u32 args_size; /* bytes used in args: NUL-separated argv */
	__u32 args_flags;
	__u32 pad0;
	char filename[TT_PATH_LEN];
	char interp[TT_PATH_LEN];
	char args[TT_ARGS_LEN];
};

struct tt_proc_fork {
	struct tt_header h;
	__u32 child_pid;
	__u32 child_tid;
};

/*
 * proc.exit: the process ended (its last thread left), with the wait status
 * its parent sees; with --threads also each thread that leaves before.
 */
#define TT_EXIT_THREAD 0x1 /* a thread left; the process lives on */
struct tt_proc_exit {
	struct tt_header h;
	__s32 exit_code; /* raw wait status: (code << 8) | signal */
	__u32 exit_flags; /* TT_EXIT_* */
	__u64 duration_ns;
};

struct tt_proc_signal {
	struct tt_header h;
	__s32 target_pid;
	__s32 target_tid; /* tkill/tgkill target thread, else 0 */
	__s32 sig;
	__s32 ret;
};

/* setuid, setreuid, setresuid: the ids asked for, as passed. */
enum tt_setuid_call {
	TT_SETUID = 0,
	TT_SETREUID = 1,
	TT_SETRESUID = 2,
};

#define TT_UID_UNCHANGED 0xffffffffu /* (uid_t)-1: leave this id as it is */

struct tt_proc_setuid {
	struct tt_header h;
	__u32 call; /* enum tt_setuid_call */
	__u32 ruid; /* setuid's one argument is here */
	__u32 euid;
	__u32 suid;
	__s32 ret;
	__u32 pad;
};

/* Key and value of the per-process syscall summary map (--syscalls). */
struct tt_syscall_key {
	__u32 pid;
	__u32 nr;
};

/* The identity fields are those of the thread that created the entry. */
struct tt_syscall_stat {
	__u64 count;
	__u64 errors;
	__u64 total_ns;
	__u64 cgroup_id;
	__u64 cgroup_v1_id;
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u32 pad0;
	char comm[TT_COMM_LEN];
};

/*
 * net: every record carries the connection's addresses, local side first.
 * IPv4 addresses use the first 4 bytes of the 16-byte arrays. Ports are in
 * host byte order.
 */
#define TT_AF_INET 2
#define TT_AF_INET6 10

struct tt_net_addrs {
	__u8 saddr[16]; /* local */
	__u8 daddr[16]; /* remote */
	__u16 sport;
	__u16 dport;
	__u16 family; /* TT_AF_INET or TT_AF_INET6 */
	__u16 protocol; /* IPPROTO_*: 6 for every TCP record */
};

/* Which end of a TCP connection opened it. */
#define TT_NET_ROLE_CLIENT 1 /* active open: connect() */
#define TT_NET_ROLE_SERVER 2 /* passive open: accept() */

/* net.connect: SYN sent to established (error 0), or the failed attempt. */
struct tt_net_connect {
	struct tt_header h;
	struct tt_net_addrs a;
	__u64 latency_ns;
	__s32 error; /* -errno, 0 on success */
	__u32 pad0;
};

/* net.accept: a passive open, from the accept()ing task. */
struct tt_net_accept {
	struct tt_header h;
	struct tt_net_addrs a;
	__u64 queue_ns; /* established to accept() */
};

#define TT_NET_CLOSED_BY_UNKNOWN 0
#define TT_NET_CLOSED_BY_LOCAL 1  /* we sent the first FIN */
#define TT_NET_CLOSED_BY_REMOTE 2 /* the peer sent the first FIN */
#define TT_NET_CLOSED_BY_RESET_RECEIVED 3
#define TT_NET_CLOSED_BY_RESET_SENT 4

/* net.close: the end of an established connection's life. */
struct tt_net_close {
	struct tt_header h;
	struct tt_net_addrs a;
	__u64 duration_ns; /* established to closed */
	__u64 bytes_sent;  /* acknowledged by the peer */
	__u64 bytes_received;
	__u32 retransmits;
	__u16 role;      /* TT_NET_ROLE_* */
	__u16 closed_by; /* TT_NET_CLOSED_BY_* */
	__u32 closer_pid; /* tgid that called close()/shutdown() first, 0 if unknown */
	__u32 pad0;
};

/* net.retransmit: one retransmitted segment. */
struct tt_net_retransmit {
	struct tt_header h;
	struct tt_net_addrs a;
	__s32 state; /* TCP state number */
	__s32 error; /* the transmit's result, 0 or -errno */
};

#define TT_NET_RESET_SENT 1
#define TT_NET_RESET_RECEIVED 2

struct tt_net_reset {
	struct tt_header h;
	struct tt_net_addrs a;
	__u32 direction; /* TT_NET_RESET_* */
	__s32 state;     /* TCP state of the socket, 0 when there is none */
};

/* net.drop: a packet the kernel freed as dropped. */
struct tt_net_drop {
	struct tt_header h;
	struct tt_net_addrs a;
	__u32 reason;     /* enum skb_drop_reason, named by user space from BTF */
	__u16 ethertype;  /* skb->protocol, host order */
	__u16 direction;  /* TT_NET_DROP_* */
};

#define TT_NET_DROP_UNKNOWN 0
#define TT_NET_DROP_INGRESS 1 /* local side is the packet's destination */
#define TT_NET_DROP_EGRESS 2  /* local side is the packet's source */

/* net.state: one TCP state transition (--states). */
struct tt_net_state {
	struct tt_header h;
	struct tt_net_addrs a;
	__s32 old_state;
	__s32 new_state;
};

/*
 * mem.oom_kill, from oom:mark_victim. The tracepoint gained its fields over
 * kernel versions (pid only before 6.2, then comm and sizes, then uid,
 * pgtables, oom_score_adj); each one is read only where the running kernel
 * has it, and its bit in present says so. Sizes are in kB, as the kernel
 * reports them.
 */
#define TT_OOM_HAS_COMM 0x001
#define TT_OOM_HAS_TOTAL_VM 0x002
#define TT_OOM_HAS_ANON_RSS 0x004
#define TT_OOM_HAS_FILE_RSS 0x008
#define TT_OOM_HAS_SHMEM_RSS 0x010
#define TT_OOM_HAS_UID 0x020
#define TT_OOM_HAS_PGTABLES 0x040
#define TT_OOM_HAS_SCORE_ADJ 0x080
#define TT_OOM_HAS_MEMCG 0x100
struct tt_mem_oom_kill {
	struct tt_header h;  /* the task whose allocation triggered the kill */
	__u32 victim_pid;
	__u32 victim_uid;
	__u64 total_vm_kb;
	__u64 anon_rss_kb;
	__u64 file_rss_kb;
	__u64 shmem_rss_kb;
	__u64 pgtables_kb;
	__s32 oom_score_adj;
	__u32 present;       /* TT_OOM_HAS_* */
	__u64 memcg_id;      /* memory cgroup of the triggering task (its hierarchy's id) */
	char victim_comm[TT_COMM_LEN];
};

/* mem.reclaim: one direct reclaim stall of the current task. */
enum tt_reclaim_scope {
	TT_RECLAIM_GLOBAL = 0, /* vmscan:mm_vmscan_direct_reclaim_* */
	TT_RECLAIM_MEMCG = 1,  /* vmscan:mm_vmscan_memcg_reclaim_* */
};

struct tt_mem_reclaim {
	struct tt_header h;
	__u64 duration_ns;
	__u64 nr_reclaimed; /* pages */
	__u64 memcg_id;     /* memory cgroup of the task, 0 if unknown */
	__u32 scope;        /* enum tt_reclaim_scope */
	__s32 order;        /* allocation order that stalled */
};

/* mem.alloc: a large mmap, brk or mremap; mem.unmap: a large munmap. */
enum tt_alloc_op {
	TT_ALLOC_MMAP = 0,
	TT_ALLOC_MUNMAP = 1,
	TT_ALLOC_BRK = 2,
	TT_ALLOC_MREMAP = 3,
};

#define TT_ALLOC_SHRINK 0x1 /* brk moved down: memory given back */
#define TT_ALLOC_FILE 0x2   /* a file's mapping (mmap without MAP_ANONYMOUS; munmap, mremap of one): --file-mappings */
struct tt_mem_alloc {
	struct tt_header h;
	__u64 size;     /* bytes: length, new length (mremap), |brk change| */
	__u64 addr;     /* result (mmap, mremap), range (munmap), old break (brk) */
	__u64 old_addr; /* mremap */
	__u64 old_size; /* mremap */
	__s64 ret;      /* syscall return; for brk 0 or -ENOMEM */
	__u32 op;       /* enum tt_alloc_op */
	__u32 flags;    /* TT_ALLOC_* */
};

/*
 * file: paths are kept in 256-byte fields (255 bytes and a NUL), which covers
 * nearly every real path while keeping an open record under 600 bytes. A
 * path that does not fit keeps its last 255 bytes (the end names the file)
 * and is flagged; a flagged path field that is empty is one whose end was
 * never seen (longer than PATH_MAX). User paths are read whole into a
 * PATH_MAX scratch buffer to find their end; a path resolved in the kernel
 * (a relative path's directory, the file behind an fd) is walked up its
 * dentries for at most TT_FILE_WALK_DEPTH steps, enough to fill the field
 * with one-byte names.
 */
#define TT_FILE_PATH_LEN 256
#define TT_FILE_USER_PATH_MAX 4096 /* PATH_MAX: the longest path a syscall takes, NUL included */
#define TT_FILE_WALK_DEPTH 160
#define TT_FILE_MAX_PREFIXES 4
#define TT_FILE_PREFIX_LEN 64

/* path_flags of file records. */
#define TT_FILE_DIR_RESOLVED 0x1      /* dir holds the directory a relative path starts from */
#define TT_FILE_DIR_TRUNCATED 0x2     /* dir lost leading components */
#define TT_FILE_NEW_DIR_RESOLVED 0x4  /* the same for new_dir (rename) */
#define TT_FILE_NEW_DIR_TRUNCATED 0x8
#define TT_FILE_PATH_FROM_FD 0x10     /* path was resolved from an fd (ftruncate, fchmod) */
#define TT_FILE_PATH_TRUNCATED 0x20   /* path lost leading bytes */
#define TT_FILE_NEW_PATH_TRUNCATED 0x40 /* the same for new_path (rename) */

/* file.open: open, openat, openat2, creat. */
struct tt_file_open {
	struct tt_header h;
	__s32 ret;   /* fd, or -errno */
	__u32 flags; /* open flags (creat: O_CREAT|O_WRONLY|O_TRUNC) */
	__u32 mode;
	__u32 path_flags;
	char dir[TT_FILE_PATH_LEN];  /* when TT_FILE_DIR_RESOLVED */
	char path[TT_FILE_PATH_LEN]; /* as the process passed it */
};

/* file.unlink, rename, mkdir, rmdir, truncate, chmod. */
struct tt_file_op {
	struct tt_header h;
	__s32 ret;
	__u32 mode;  /* mkdir, chmod */
	__u32 flags; /* unlinkat, renameat2, fchmodat2 flags */
	__u32 path_flags;
	__u64 length; /* truncate */
	char dir[TT_FILE_PATH_LEN];
	char path[TT_FILE_PATH_LEN];
	char new_dir[TT_FILE_PATH_LEN];
	char new_path[TT_FILE_PATH_LEN]; /* rename */
};

/* The I/O calls file.slow and file.io watch. */
enum tt_file_io_op {
	TT_IO_READ = 0,
	TT_IO_WRITE = 1,
	TT_IO_PREAD = 2,
	TT_IO_PWRITE = 3,
	TT_IO_READV = 4,
	TT_IO_WRITEV = 5,
	TT_IO_FSYNC = 6,
	TT_IO_FDATASYNC = 7,
	TT_IO_OPS = 8,
};

/* file.slow: one I/O call slower than --min-latency. */
struct tt_file_slow {
	struct tt_header h;
	__s64 ret; /* bytes, or -errno */
	__u64 latency_ns;
	__u32 op;  /* enum tt_file_io_op */
	__s32 fd;
	__u32 path_flags;
	__u32 pad0;
	char path[TT_FILE_PATH_LEN]; /* the file behind fd, resolved in the kernel */
};

/* Key and value of the per-process, per-file I/O summary map (--top). */
struct tt_file_io_key {
	__u32 pid;
	__u32 dev;
	__u64 ino;
};

#define TT_FILE_IO_IGNORED 0x1 /* the file does not match --path: counted nowhere */
struct tt_file_io_stat {
	__u64 reads;
	__u64 writes;
	__u64 bytes_read;
	__u64 bytes_written;
	__u64 latency_ns;
	/* The thread whose call created the entry, as it was then. */
	__u64 cgroup_id;
	__u64 cgroup_v1_id;
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u32 flags;
	__u32 path_flags;
	__u32 pad0;
	char comm[TT_COMM_LEN];
	char path[TT_FILE_PATH_LEN];
};

#ifdef __cplusplus
#define TT_ASSERT_SIZE(type, size) static_assert(sizeof(type) == (size), #type " layout changed")
#else
#define TT_ASSERT_SIZE(type, size) _Static_assert(sizeof(type) == (size), #type " layout changed")
#endif
TT_ASSERT_SIZE(struct tt_header, 64);
TT_ASSERT_SIZE(struct tt_config, 112);
TT_ASSERT_SIZE(struct tt_proc_exec, 64 + 16 + 2 * TT_PATH_LEN + TT_ARGS_LEN);
TT_ASSERT_SIZE(struct tt_proc_fork, 72);
TT_ASSERT_SIZE(struct tt_proc_exit, 80);
TT_ASSERT_SIZE(struct tt_proc_signal, 80);
TT_ASSERT_SIZE(struct tt_proc_setuid, 88);
TT_ASSERT_SIZE(struct tt_syscall_key, 8);
TT_ASSERT_SIZE(struct tt_syscall_stat, 56 + TT_COMM_LEN);
TT_ASSERT_SIZE(struct tt_net_addrs, 40);
TT_ASSERT_SIZE(struct tt_net_connect, 120);
TT_ASSERT_SIZE(struct tt_net_accept, 112);
TT_ASSERT_SIZE(struct tt_net_close, 144);
TT_ASSERT_SIZE(struct tt_net_retransmit, 112);
TT_ASSERT_SIZE(struct tt_net_reset, 112);
TT_ASSERT_SIZE(struct tt_net_drop, 112);
TT_ASSERT_SIZE(struct tt_net_state, 112);
TT_ASSERT_SIZE(struct tt_mem_oom_kill, 64 + 80);
TT_ASSERT_SIZE(struct tt_mem_reclaim, 64 + 32);
TT_ASSERT_SIZE(struct tt_mem_alloc, 64 + 48);
TT_ASSERT_SIZE(struct tt_file_open, 64 + 16 + 2 * TT_FILE_PATH_LEN);
TT_ASSERT_SIZE(struct tt_file_op, 64 + 24 + 4 * TT_FILE_PATH_LEN);
TT_ASSERT_SIZE(struct tt_file_slow, 64 + 32 + TT_FILE_PATH_LEN);
TT_ASSERT_SIZE(struct tt_file_io_key, 16);
TT_ASSERT_SIZE(struct tt_file_io_stat, 48 + 32 + TT_COMM_LEN + TT_FILE_PATH_LEN);

#endif /* TAPIO_BPF_EVENTS_H */
