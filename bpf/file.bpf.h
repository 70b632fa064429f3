// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * file: opens, namespace changes (unlink, rename, mkdir, rmdir, truncate,
 * chmod), slow I/O calls and per-file I/O totals, from the syscall
 * dispatcher (tapio.bpf.c) on the raw syscall tracepoints.
 *
 * Opens are the hot path (hundreds of thousands a second), so an open costs
 * nothing at entry and, at exit, where its arguments are read back from the
 * saved registers, one ring buffer slot that the path is read straight into
 * (only the plain-tracepoint form, without registers, pairs entry and exit
 * through a small hash map). Every filter
 * runs before the slot is reserved. Relative paths are resolved in the
 * kernel against the cwd or the dirfd by walking dentries (bounded), and
 * only for relative paths: resolving later from /proc/<pid>/cwd would race
 * with the process and cost user space a syscall per event.
 *
 * Every path field holds at most TT_FILE_PATH_LEN - 1 bytes; a longer path
 * keeps its end (which names the file) and is flagged. Only a user path of
 * 255 bytes or more is read a second time, whole, to find its end.
 */
#include "common.bpf.h"
#include "path.bpf.h"

#define AT_FDCWD -100
#define AT_REMOVEDIR 0x200
#define O_WRONLY 01
#define O_CREAT 0100
#define O_TRUNC 01000

/* --min-latency in ns; 0: no file.slow. */
const volatile __u64 file_min_latency_ns = 0;
/* --top: aggregate I/O per process and file. */
const volatile bool io_top = false;
/*
 * file.slow for every kind of file (--slow-any). Off, only regular files
 * and block devices: a read that waits on a pipe, a socket or a terminal
 * waits for its peer, not for storage.
 */
const volatile bool slow_any_file = false;

/* A syscall in flight, by thread id: its arguments, read again at exit. */
struct file_call {
	struct tt_pending pending; /* first: see TT_PENDING_MAP */
	__u64 ts;
	const char *path;
	const char *new_path;
	__u64 length;
	__s32 dirfd; /* or the fd of fd-based calls */
	__s32 new_dirfd;
	__u32 kind; /* enum tt_kind, or TT_KIND_NONE for I/O calls */
	__u32 flags;
	__u32 mode;
	__u32 op; /* enum tt_file_io_op */
	__u32 by_fd;
	__u32 pad0;
};

TT_PENDING_MAP(file_calls, struct file_call, 16384);

/* Records are built here instead of in the ring when --path must see them first. */
struct file_scratch {
	struct tt_file_op op; /* the largest record; the others are built in its place */
	struct tt_walk walk;  /* a directory's or an fd's path, resolved (path.bpf.h) */
	/* The start of each (path, new_path) cut from a long one, for --path. */
	char head[2][TT_FILE_PATH_LEN];
	/*
	 * A call read back at exit. Built here, not on the stack: from map
	 * memory the verifier sees its fields as unknown, so it checks the
	 * record building once, not once per syscall that can reach it.
	 */
	struct file_call call;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct file_scratch);
} file_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct tt_file_io_key);
	__type(value, struct tt_file_io_stat);
} file_io SEC(".maps");

/* Zero value for new file_io entries: too large for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tt_file_io_stat);
} file_io_scratch SEC(".maps");

static __always_inline struct file_scratch *scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&file_scratch, &zero);
}

/* ---- paths ---- */

/* Path of an open file, walked in the scratch map; false when cut. */
static __always_inline bool file_path(char *dst, struct file *file)
{
	struct file_scratch *s = scratch();

	if (!s) {
		dst[0] = '\0';
		return false;
	}
	return tt_file_path(dst, &s->walk, file);
}

/* Path of the file behind fd into dst; 0 if none, else 1 plus truncation. */
static __always_inline int fd_path(char *dst, int fd, __u32 *path_flags, __u32 truncated_flag)
{
	struct file_scratch *s = scratch();
	enum tt_resolve r;

	if (!s)
		return 0;
	r = tt_fd_path(dst, &s->walk, fd);
	if (r == TT_RESOLVE_CUT)
		*path_flags |= truncated_flag;
	return r != TT_RESOLVE_NONE;
}

/*
 * The directory a relative path starts from: the cwd for AT_FDCWD, else the
 * dirfd's file. Sets resolved_flag on success.
 */
static __always_inline void resolve_dir(char *dst, int dirfd, __u32 *path_flags, __u32 resolved_flag,
					__u32 truncated_flag)
{
	struct file_scratch *s;
	enum tt_resolve r;

	dst[0] = '\0';
	s = scratch();
	if (!s)
		return;
	r = dirfd == AT_FDCWD ? tt_cwd_path(dst, &s->walk) : tt_fd_path(dst, &s->walk, dirfd);
	if (r == TT_RESOLVE_NONE)
		return;
	if (r == TT_RESOLVE_CUT)
		*path_flags |= truncated_flag;
	*path_flags |= resolved_flag;
}

/*
 * Reads a user path into path (TT_FILE_PATH_LEN bytes). A path that does not
 * fit keeps its last TT_FILE_PATH_LEN - 1 bytes and sets cut_flag; with
 * --path its first bytes go to head, where the prefixes are matched. One
 * longer than the kernel takes (PATH_MAX) is left empty, flagged: its end
 * was never seen. Returns the path's first byte.
 */
static __always_inline char read_user_path(char *path, char *head, const char *upath, __u32 *path_flags,
					   __u32 cut_flag)
{
	const char *whole;

	if (!upath) {
		path[0] = '\0';
		return '\0';
	}
	switch (tt_read_str_tail(path, upath, true, &whole)) {
	case TT_STR_OK:
	case TT_STR_UNREADABLE:
		return path[0];
	default: /* TT_STR_CUT, TT_STR_TOO_LONG */
		break;
	}
	*path_flags |= cut_flag;
	if (prefix_count && head)
		bpf_probe_read_kernel(head, TT_FILE_PATH_LEN, whole);
	return whole[0];
}

/* Reads a user path; relative ones get their directory resolved too. */
static __always_inline void read_path(char *dir, char *path, char *head, const char *upath, int dirfd,
				      __u32 *path_flags, __u32 resolved_flag, __u32 dir_cut_flag, __u32 cut_flag)
{
	dir[0] = '\0';
	if (read_user_path(path, head, upath, path_flags, cut_flag) != '/')
		resolve_dir(dir, dirfd, path_flags, resolved_flag, dir_cut_flag);
}

/* ---- entry: remember the arguments ---- */

/*
 * -x: a call failed when the process sees an error. The kernel-internal
 * restart codes are not that: the call is restarted (and traced again) or
 * the process sees EINTR.
 */
static __always_inline bool call_failed(long ret)
{
	if (ret >= 0)
		return false;
	/* ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK */
	return ret != -512 && ret != -513 && ret != -514 && ret != -516;
}

static __always_inline bool skip_for_failed_only(long ret)
{
	return tt_cfg.failed_only && !call_failed(ret);
}

/*
 * Remembers call for the current thread until the exit of syscall nr. A full
 * map is counted as a map_full drop of the record the call would have made.
 */
static __always_inline int call_enter(struct file_call *call, int nr)
{
	__u32 kind = call->kind;

	if (!tt_current_wanted())
		return 0;
	if (kind == TT_KIND_NONE) /* an I/O call: file.slow, or only file.io */
		kind = file_min_latency_ns ? TT_FILE_SLOW : TT_FILE_IO;
	if (!tt_pending_put(&file_calls, call, nr, kind) && kind == TT_FILE_SLOW && io_top)
		tt_count(TT_FILE_IO, TT_DROP_MAP_FULL);
	return 0;
}

/* ---- exit: build the record ---- */

static __always_inline void fill_open(struct tt_file_open *rec, char *head, const struct file_call *call, long ret)
{
	tt_fill_header_fast(&rec->h, TT_FILE_OPEN, sizeof(*rec));
	rec->ret = ret;
	rec->flags = call->flags;
	rec->mode = call->mode;
	rec->path_flags = 0;
	read_path(rec->dir, rec->path, head, call->path, call->dirfd, &rec->path_flags, TT_FILE_DIR_RESOLVED,
		  TT_FILE_DIR_TRUNCATED, TT_FILE_PATH_TRUNCATED);
}

/*
 * open_emit and op_emit are global functions: the verifier checks each once,
 * on its own, rather than at each of their calls (pairing and arguments
 * read back at exit) with each caller's state. That took the file exit
 * program from 7,734 processed instructions to 4,961, 18 to 13 ms of every
 * start on 6.18. Global functions return a scalar; they take the call from
 * the scratch map's call (file_sys_exit builds it there, pair_exit copies it
 * there), not as an argument, because only 5.12 and later take pointer
 * arguments to global functions, and tapio-trace runs from 5.8.
 */
__noinline int open_emit(long ret)
{
	struct file_scratch *s = scratch();
	const struct file_call *call;
	struct tt_file_open *rec;

	if (!s)
		return 0;
	call = &s->call;
	if (!prefix_count) {
		/* The common case: straight into the ring. */
		rec = tt_reserve(TT_FILE_OPEN, struct tt_file_open);
		if (rec) {
			fill_open(rec, NULL, call, ret);
			tt_submit(rec);
		}
		return 0;
	}
	rec = (struct tt_file_open *)&s->op;
	fill_open(rec, s->head[0], call, ret);
	if (!tt_path_wanted(rec->dir, rec->path_flags & TT_FILE_PATH_TRUNCATED ? s->head[0] : rec->path,
			 rec->path_flags & TT_FILE_DIR_RESOLVED))
		return 0;
	rec = tt_reserve(TT_FILE_OPEN, struct tt_file_open);
	if (rec) {
		bpf_probe_read_kernel(rec, sizeof(*rec), &s->op);
		tt_submit(rec);
	}
	return 0;
}

/* The arguments of an open (open, openat, openat2, creat) as a pending call. */
static __always_inline void open_call_from(struct file_call *call, long nr, const struct tt_sys_args *a)
{
	call->kind = TT_FILE_OPEN;
	switch (nr) {
#ifdef TT_NR_open
	case TT_NR_open: /* open(path, flags, mode) */
		call->dirfd = AT_FDCWD;
		call->path = (const char *)a->arg[0];
		call->flags = a->arg[1];
		call->mode = a->arg[2];
		break;
#endif
#ifdef TT_NR_creat
	case TT_NR_creat: /* creat(path, mode) */
		call->dirfd = AT_FDCWD;
		call->path = (const char *)a->arg[0];
		call->flags = O_CREAT | O_WRONLY | O_TRUNC;
		call->mode = a->arg[1];
		break;
#endif
	case TT_NR_openat2: { /* openat2(dirfd, path, how, size) */
		struct open_how how = {};

		bpf_probe_read_user(&how, sizeof(how), (void *)a->arg[2]);
		call->dirfd = a->arg[0];
		call->path = (const char *)a->arg[1];
		call->flags = how.flags;
		call->mode = how.mode;
		break;
	}
	default: /* openat(dirfd, path, flags, mode) */
		call->dirfd = a->arg[0];
		call->path = (const char *)a->arg[1];
		call->flags = a->arg[2];
		call->mode = a->arg[3];
		break;
	}
}

/*
 * The other operations are rare: always built in the scratch record, so
 * --path can look at them before anything is reserved.
 */
__noinline int op_emit(long ret)
{
	struct file_scratch *s = scratch();
	const struct file_call *call;
	struct tt_file_op *rec;
	__u32 kind;

	if (!s)
		return 0;
	call = &s->call;
	kind = call->kind;
	if ( kind < TT_FILE_UNLINK || kind > TT_FILE_CHMOD || skip_for_failed_only(ret))
		return 0;
	rec = &s->op;
	tt_fill_header(&rec->h, kind, sizeof(*rec));
	rec->ret = ret;
	rec->mode = call->mode;
	rec->flags = call->flags;
	rec->path_flags = 0;
	rec->length = call->length;
	rec->new_dir[0] = '\0';
	rec->new_path[0] = '\0';
	if (call->by_fd) {
		rec->dir[0] = '\0';
		rec->path[0] = '\0';
		if (fd_path(rec->path, call->dirfd, &rec->path_flags, TT_FILE_PATH_TRUNCATED))
			rec->path_flags |= TT_FILE_PATH_FROM_FD;
	} else {
		read_path(rec->dir, rec->path, s->head[0], call->path, call->dirfd, &rec->path_flags,
			  TT_FILE_DIR_RESOLVED, TT_FILE_DIR_TRUNCATED, TT_FILE_PATH_TRUNCATED);
	}
	if (kind == TT_FILE_RENAME)
		read_path(rec->new_dir, rec->new_path, s->head[1], call->new_path, call->new_dirfd,
			  &rec->path_flags, TT_FILE_NEW_DIR_RESOLVED, TT_FILE_NEW_DIR_TRUNCATED,
			  TT_FILE_NEW_PATH_TRUNCATED);
	if (prefix_count &&
	    !tt_path_wanted(rec->dir,
			 (rec->path_flags & (TT_FILE_PATH_TRUNCATED | TT_FILE_PATH_FROM_FD)) == TT_FILE_PATH_TRUNCATED ?
				 s->head[0] : rec->path,
			 rec->path_flags & TT_FILE_DIR_RESOLVED) &&
	    !(kind == TT_FILE_RENAME &&
	      tt_path_wanted(rec->new_dir, rec->path_flags & TT_FILE_NEW_PATH_TRUNCATED ? s->head[1] : rec->new_path,
			  rec->path_flags & TT_FILE_NEW_DIR_RESOLVED)))
		return 0;
	if (!tt_admit(kind))
		return 0;
	rec = tt_reserve_raw(kind, sizeof(*rec));
	if (rec) {
		bpf_probe_read_kernel(rec, sizeof(*rec), &s->op);
		tt_submit(rec);
	}
	return 0;
}

/* Portable pairing: the call (an open or another operation) saved at entry. */
static __always_inline int pair_exit(int nr, long ret)
{
	struct file_call *call = tt_pending_get(&file_calls, nr);
	struct file_scratch *s = scratch();

	if (!call)
		return 0;
	if (s) {
		/* Where open_emit and op_emit take it from. */
		__builtin_memcpy(&s->call, call, sizeof(*call));
		if (call->kind == TT_FILE_OPEN) {
			if (!skip_for_failed_only(ret))
				open_emit(ret);
		} else {
			op_emit(ret);
		}
	}
	tt_pending_forget(&file_calls);
	return 0;
}

/*
 * One program serves the exits of every operation above (unlink, unlinkat,
 * rmdir, mkdir, mkdirat, rename, renameat, renameat2, truncate, ftruncate,
 * chmod, fchmod, fchmodat, fchmodat2): op_exit only needs the call saved at
 * entry and the return value. The probe set attaches it to each exit
 * tracepoint, so the verifier checks it once rather than fourteen times.
 */

/* ---- I/O calls: file.slow and file.io ---- */

static __always_inline int io_enter(int nr, __u32 op, int fd)
{
	struct file_call call = { .dirfd = fd, .op = op };

	call.ts = bpf_ktime_get_ns();
	return call_enter(&call, nr);
}

/*
 * Adds one call to the (process, file) totals. A new entry gets the file's
 * path and the identity of the thread that made it, once.
 */
static __always_inline void io_account(struct file *file, __u32 op, long ret, __u64 latency)
{
	struct tt_file_io_key key = {};
	struct tt_file_io_stat *stat, *init;
	__u32 zero = 0;

	key.pid = bpf_get_current_pid_tgid() >> 32;
	key.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(file, f_inode, i_ino);
	stat = bpf_map_lookup_elem(&file_io, &key);
	if (!stat) {
		init = bpf_map_lookup_elem(&file_io_scratch, &zero);
		if (!init)
			return;
		__builtin_memset(init, 0, sizeof(*init) - TT_FILE_PATH_LEN);
		/* The same identity a record's header would carry. */
		tt_current_identity(&init->cgroup_id, &init->cgroup_v1_id, NULL, &init->tid, &init->ppid, &init->uid, init->comm, true);
		if (!file_path(init->path, file))
			init->path_flags |= TT_FILE_PATH_TRUNCATED;
		/* A cut path lost its start: it cannot match a prefix. */
		if (prefix_count && ((init->path_flags & TT_FILE_PATH_TRUNCATED) || !tt_path_wanted("", init->path, false)))
			init->flags |= TT_FILE_IO_IGNORED;
		stat = tt_summary_entry(&file_io, &key, init, TT_FILE_IO);
		if (!stat)
			return;
	}
	if (stat->flags & TT_FILE_IO_IGNORED)
		return;
	__sync_fetch_and_add(&stat->latency_ns, latency);
	if (op == TT_IO_READ || op == TT_IO_PREAD || op == TT_IO_READV) {
		__sync_fetch_and_add(&stat->reads, 1);
		if (ret > 0)
			__sync_fetch_and_add(&stat->bytes_read, ret);
	} else {
		/* Writes, and the syncs that push them out. */
		__sync_fetch_and_add(&stat->writes, 1);
		if (ret > 0 && op != TT_IO_FSYNC && op != TT_IO_FDATASYNC)
			__sync_fetch_and_add(&stat->bytes_written, ret);
	}
}

#define TT_S_IFMT 0170000
#define TT_S_IFREG 0100000
#define TT_S_IFBLK 0060000

static __always_inline void io_slow(struct file *file, struct file_call *call, long ret, __u64 latency)
{
	struct file_scratch *s = scratch();
	struct tt_file_slow *rec;

	if (!s || skip_for_failed_only(ret))
		return;
	if (file && !slow_any_file) {
		__u32 fmt = BPF_CORE_READ(file, f_inode, i_mode) & TT_S_IFMT;

		if (fmt != TT_S_IFREG && fmt != TT_S_IFBLK)
			return;
	}
	rec = (struct tt_file_slow *)&s->op;
	tt_fill_header(&rec->h, TT_FILE_SLOW, sizeof(*rec));
	rec->ret = ret;
	rec->latency_ns = latency;
	rec->op = call->op;
	rec->fd = call->dirfd;
	rec->path_flags = 0;
	rec->pad0 = 0;
	rec->path[0] = '\0';
	if (file && !file_path(rec->path, file))
		rec->path_flags |= TT_FILE_PATH_TRUNCATED;
	/* A cut path lost its start: it cannot match a prefix. */
	if (prefix_count && ((rec->path_flags & TT_FILE_PATH_TRUNCATED) || !tt_path_wanted("", rec->path, false)))
		return;
	rec = tt_reserve(TT_FILE_SLOW, struct tt_file_slow);
	if (rec) {
		bpf_probe_read_kernel(rec, sizeof(*rec), &s->op);
		tt_submit(rec);
	}
}

static __always_inline int io_exit(int nr, long ret)
{
	struct file_call *call = tt_pending_get(&file_calls, nr);
	struct file *file;
	__u64 latency;

	if (!call)
		return 0;
	if (call->kind != TT_KIND_NONE)
		goto done;
	latency = bpf_ktime_get_ns() - call->ts;
	if (!io_top && latency < file_min_latency_ns)
		goto done;
	file = tt_fd_file(call->dirfd);
	if (io_top && file)
		io_account(file, call->op, ret, latency);
	if (file_min_latency_ns && latency >= file_min_latency_ns)
		io_slow(file, call, ret, latency);
done:
	tt_pending_forget(&file_calls);
	return 0;
}

/* One program for every I/O exit (see handle_op_exit). */

/*
 * A thread that dies inside a traced call (or in one that never returns)
 * leaves its entry: drop it. A raw tracepoint, since it detaches without
 * waiting for an RCU grace period.
 */
SEC("raw_tp/sched_process_exit")
int handle_thread_exit(void *ctx)
{
	tt_pending_forget(&file_calls);
	return 0;
}

/* ---- the syscalls file handles, from the dispatcher (tapio.bpf.c) ---- */

/* Reads and writes are the busiest syscalls of all: only when asked (--min-latency, --top). */
static __always_inline bool file_io_on(void)
{
	return io_top || file_min_latency_ns;
}

/*
 * The file operation syscall nr makes with arguments a (an open, unlink,
 * rename, ...), as a pending call; false for any other syscall.
 */
static __always_inline bool file_call_from(struct file_call *call, long nr, const struct tt_sys_args *a)
{
	switch (nr) {
#ifdef TT_NR_open
	case TT_NR_open:
	case TT_NR_creat:
#endif
	case TT_NR_openat:
	case TT_NR_openat2:
		open_call_from(call, nr, a);
		return true;
#ifdef TT_NR_unlink
	case TT_NR_unlink:
		call->kind = TT_FILE_UNLINK;
		call->dirfd = AT_FDCWD;
		call->path = (const char *)a->arg[0];
		return true;
	case TT_NR_rmdir:
		call->kind = TT_FILE_RMDIR;
		call->dirfd = AT_FDCWD;
		call->path = (const char *)a->arg[0];
		return true;
	case TT_NR_mkdir:
		call->kind = TT_FILE_MKDIR;
		call->dirfd = AT_FDCWD;
		call->path = (const char *)a->arg[0];
		call->mode = a->arg[1];
		return true;
	case TT_NR_chmod:
		call->kind = TT_FILE_CHMOD;
		call->dirfd = AT_FDCWD;
		call->path = (const char *)a->arg[0];
		call->mode = a->arg[1];
		return true;
	case TT_NR_rename:
		call->kind = TT_FILE_RENAME;
		call->dirfd = AT_FDCWD;
		call->path = (const char *)a->arg[0];
		call->new_dirfd = AT_FDCWD;
		call->new_path = (const char *)a->arg[1];
		return true;
#endif
	case TT_NR_unlinkat:
		call->flags = a->arg[2];
		call->kind = call->flags & AT_REMOVEDIR ? TT_FILE_RMDIR : TT_FILE_UNLINK;
		call->dirfd = a->arg[0];
		call->path = (const char *)a->arg[1];
		return true;
	case TT_NR_mkdirat:
		call->kind = TT_FILE_MKDIR;
		call->dirfd = a->arg[0];
		call->path = (const char *)a->arg[1];
		call->mode = a->arg[2];
		return true;
	case TT_NR_fchmodat:
	case TT_NR_fchmodat2:
		call->kind = TT_FILE_CHMOD;
		call->dirfd = a->arg[0];
		call->path = (const char *)a->arg[1];
		call->mode = a->arg[2];
		if (nr == TT_NR_fchmodat2)
			call->flags = a->arg[3];
		return true;
	case TT_NR_fchmod:
		call->kind = TT_FILE_CHMOD;
		call->dirfd = a->arg[0];
		call->mode = a->arg[1];
		call->by_fd = 1;
		return true;
	case TT_NR_truncate:
		call->kind = TT_FILE_TRUNCATE;
		call->dirfd = AT_FDCWD;
		call->path = (const char *)a->arg[0];
		call->length = a->arg[1];
		return true;
	case TT_NR_ftruncate:
		call->kind = TT_FILE_TRUNCATE;
		call->dirfd = a->arg[0];
		call->length = a->arg[1];
		call->by_fd = 1;
		return true;
	case TT_NR_renameat:
	case TT_NR_renameat2:
		call->kind = TT_FILE_RENAME;
		call->dirfd = a->arg[0];
		call->path = (const char *)a->arg[1];
		call->new_dirfd = a->arg[2];
		call->new_path = (const char *)a->arg[3];
		if (nr == TT_NR_renameat2)
			call->flags = a->arg[4];
		return true;
	}
	return false;
}

static __always_inline bool file_io_nr(long nr, __u32 *op)
{
	switch (nr) {
	case TT_NR_read: *op = TT_IO_READ; return true;
	case TT_NR_write: *op = TT_IO_WRITE; return true;
	case TT_NR_pread64: *op = TT_IO_PREAD; return true;
	case TT_NR_pwrite64: *op = TT_IO_PWRITE; return true;
	case TT_NR_readv: *op = TT_IO_READV; return true;
	case TT_NR_writev: *op = TT_IO_WRITEV; return true;
	case TT_NR_fsync: *op = TT_IO_FSYNC; return true;
	case TT_NR_fdatasync: *op = TT_IO_FDATASYNC; return true;
	}
	return false;
}

/*
 * args_at_exit: the exit reads the arguments back from the saved registers
 * (a syscall's arguments are still there when it returns: x86_64 changes
 * only rax, rcx and r11; arm64 keeps the first in orig_x0), so opens and the
 * other operations need no entry work and no per-thread map at all; only
 * the I/O calls, timed from their entry, do. Otherwise everything pairs.
 */
static __always_inline void file_sys_enter(long nr, const struct tt_sys_args *a, bool args_at_exit)
{
	struct file_call call = {};
	__u32 op;

	if (file_io_nr(nr, &op)) {
		if (file_io_on())
			io_enter(nr, op, a->arg[0]);
		return;
	}
	if (!args_at_exit && file_call_from(&call, nr, a))
		call_enter(&call, nr);
}

/* An open or another file operation (file_call_from), not an I/O call. */
static __always_inline bool file_op_nr(long nr)
{
	switch (nr) {
#ifdef TT_NR_open
	case TT_NR_open:
	case TT_NR_creat:
	case TT_NR_unlink:
	case TT_NR_rmdir:
	case TT_NR_mkdir:
	case TT_NR_chmod:
	case TT_NR_rename:
#endif
	case TT_NR_openat:
	case TT_NR_openat2:
	case TT_NR_unlinkat:
	case TT_NR_mkdirat:
	case TT_NR_fchmodat:
	case TT_NR_fchmodat2:
	case TT_NR_fchmod:
	case TT_NR_truncate:
	case TT_NR_ftruncate:
	case TT_NR_renameat:
	case TT_NR_renameat2:
		return true;
	}
	return false;
}

/* The record kinds file operation nr can produce (file_op_nr()), for -e. */
static __always_inline __u64 file_nr_kinds(long nr)
{
	switch (nr) {
#ifdef TT_NR_open
	case TT_NR_open:
	case TT_NR_creat:
#endif
	case TT_NR_openat:
	case TT_NR_openat2:
		return TT_KIND_BIT(TT_FILE_OPEN);
#ifdef TT_NR_open
	case TT_NR_unlink:
		return TT_KIND_BIT(TT_FILE_UNLINK);
	case TT_NR_rmdir:
		return TT_KIND_BIT(TT_FILE_RMDIR);
	case TT_NR_mkdir:
		return TT_KIND_BIT(TT_FILE_MKDIR);
	case TT_NR_chmod:
		return TT_KIND_BIT(TT_FILE_CHMOD);
	case TT_NR_rename:
		return TT_KIND_BIT(TT_FILE_RENAME);
#endif
	case TT_NR_unlinkat: /* AT_REMOVEDIR makes it an rmdir */
		return TT_KIND_BIT(TT_FILE_UNLINK) | TT_KIND_BIT(TT_FILE_RMDIR);
	case TT_NR_mkdirat:
		return TT_KIND_BIT(TT_FILE_MKDIR);
	case TT_NR_fchmodat:
	case TT_NR_fchmodat2:
	case TT_NR_fchmod:
		return TT_KIND_BIT(TT_FILE_CHMOD);
	case TT_NR_truncate:
	case TT_NR_ftruncate:
		return TT_KIND_BIT(TT_FILE_TRUNCATE);
	case TT_NR_renameat:
	case TT_NR_renameat2:
		return TT_KIND_BIT(TT_FILE_RENAME);
	}
	return 0;
}

/* exit_args: the arguments read back at exit, or NULL when only pairing can tell them. */
static __always_inline void file_sys_exit(long nr, long ret, const struct tt_sys_args *exit_args)
{
	struct file_scratch *s;
	struct file_call *call;
	__u32 op;

	if (file_io_nr(nr, &op)) {
		if (file_io_on())
			io_exit(nr, ret);
		return;
	}
	if (!exit_args) {
		pair_exit(nr, ret);
		return;
	}
	if (skip_for_failed_only(ret) || !tt_current_wanted())
		return;
	s = scratch();
	if (!s)
		return;
	call = &s->call;
	__builtin_memset(call, 0, sizeof(*call));
	if (!file_call_from(call, nr, exit_args))
		return;
	if (call->kind == TT_FILE_OPEN)
		open_emit(ret);
	else
		op_emit(ret);
}
