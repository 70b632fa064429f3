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

#define AT_FDCWD -100
#define AT_REMOVEDIR 0x200
#define O_WRONLY 01
#define O_CREAT 0100
#define O_TRUNC 01000

/* --path prefixes, compared before reserving; prefix_count 0 keeps all. */
const volatile __u32 prefix_count = 0;
const volatile __u32 prefix_len[TT_FILE_MAX_PREFIXES] = {};
const volatile char prefixes[TT_FILE_MAX_PREFIXES][TT_FILE_PREFIX_LEN] = {};
/* --min-latency in ns; 0: no file.slow. */
const volatile __u64 file_min_latency_ns = 0;
/* --top: aggregate I/O per process and file. */
const volatile bool io_top = false;

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
/* Where a dentry walk is: kept in the scratch map, not on the stack (see walk_path). */
struct walk_state {
	__u64 dentry;
	__u64 vfsmnt;
	__u64 mnt;
	__u32 off;
	__u32 result; /* enum walk_result */
};

enum walk_result { WALK_RUNNING, WALK_COMPLETE, WALK_CUT, WALK_PSEUDO };

struct file_scratch {
	struct tt_file_op op; /* the largest record; the others are built in its place */
	char walk[2 * TT_FILE_PATH_LEN];
	struct walk_state ws;
	/* A long user path, whole, and the start of each (path, new_path) for --path. */
	char user_path[TT_FILE_USER_PATH_MAX + 8];
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

/* ---- paths resolved in the kernel ---- */

/*
 * Files of pseudo filesystems (pipes, sockets, anon inodes) have no place in
 * the tree: their dentry is its own parent. They are named after their
 * filesystem and inode, "pipefs:[1234]", "sockfs:[5678]", like the kernel's
 * "pipe:[1234]" in /proc/<pid>/fd.
 */
static __always_inline bool pseudo_name(char *dst, struct dentry *dentry)
{
	static const char fmt[] = "%s:[%lu]";
	struct inode *inode = BPF_CORE_READ(dentry, d_inode);
	__u64 args[2];

	args[0] = (__u64)BPF_CORE_READ(inode, i_sb, s_type, name);
	args[1] = BPF_CORE_READ(inode, i_ino);
	bpf_snprintf(dst, TT_FILE_PATH_LEN, fmt, args, sizeof(args));
	return true;
}

/*
 * One step of a path walk: prepends the current dentry's name to s->walk, or
 * crosses to the mount below, or ends the walk. Returns 1 to stop.
 *
 * The walk's state lives in the scratch map value, not on the stack: the
 * verifier then sees the same state on every step and checks this callback
 * once, instead of once per step of an unrolled loop. That is the
 * difference between a file area that loads in a few milliseconds and one
 * that takes over a second.
 */
static int walk_step(__u32 i, struct file_scratch **ctx)
{
	struct file_scratch *s = *ctx;
	struct walk_state *ws = &s->ws;
	struct dentry *dentry = (struct dentry *)ws->dentry;
	struct vfsmount *vfsmnt = (struct vfsmount *)ws->vfsmnt;
	struct mount *mnt = (struct mount *)ws->mnt;
	struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	const unsigned char *name;
	__u32 off = ws->off, len;

	if (dentry == parent && dentry != mnt_root && off == TT_FILE_PATH_LEN - 1) {
		ws->result = WALK_PSEUDO; /* a pipe, socket, anon inode */
		return 1;
	}
	if (dentry == mnt_root || dentry == parent) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

		if (dentry != mnt_root || up == mnt) {
			ws->result = WALK_COMPLETE; /* the root of the mount tree */
			return 1;
		}
		ws->dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		ws->mnt = (__u64)up;
		ws->vfsmnt = (__u64)((void *)up + bpf_core_field_offset(struct mount, mnt));
		return 0;
	}
	name = BPF_CORE_READ(dentry, d_name.name);
	len = BPF_CORE_READ(dentry, d_name.len);
	if (len + 1 > off) {
		/* Does not fit: the end of this name fills what is left. */
		off &= TT_FILE_PATH_LEN - 1;
		if (off && off <= len)
			bpf_probe_read_kernel(&s->walk[0], off, name + len - off);
		ws->off = 0;
		ws->result = WALK_CUT;
		return 1;
	}
	off -= len;
	off &= TT_FILE_PATH_LEN - 1;
	bpf_probe_read_kernel(&s->walk[off], len & (TT_FILE_PATH_LEN - 1), name);
	off -= 1;
	off &= TT_FILE_PATH_LEN - 1;
	s->walk[off] = '/';
	ws->off = off;
	ws->dentry = (__u64)parent;
	return 0;
}

/*
 * Writes the path of (dentry, vfsmnt) into dst (TT_FILE_PATH_LEN bytes),
 * walking d_parent and crossing mounts up to the root of the mount tree, at
 * most TT_FILE_WALK_DEPTH steps. The components are written backwards into
 * s->walk[0, TT_FILE_PATH_LEN), so the path ends at walk[TT_FILE_PATH_LEN - 1]
 * and every read stays inside the 2 * TT_FILE_PATH_LEN buffer whatever the
 * verifier assumes about the offset. Returns false when the path was cut at
 * the front: dst then holds its last TT_FILE_PATH_LEN - 1 bytes (fewer only
 * if the walk ran out of steps first).
 */
static __always_inline bool walk_path(char *dst, struct dentry *dentry, struct vfsmount *vfsmnt)
{
	struct file_scratch *s = scratch();
	struct walk_state *ws;
	__u32 off, n;

	if (!s) {
		dst[0] = '\0';
		return false;
	}
	ws = &s->ws;
	ws->dentry = (__u64)dentry;
	ws->vfsmnt = (__u64)vfsmnt;
	ws->mnt = (__u64)((void *)vfsmnt - bpf_core_field_offset(struct mount, mnt));
	ws->off = TT_FILE_PATH_LEN - 1;
	ws->result = WALK_RUNNING;
	s->walk[TT_FILE_PATH_LEN - 1] = '\0';
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop)) {
		bpf_loop(TT_FILE_WALK_DEPTH, walk_step, &s, 0);
	} else {
		for (__u32 i = 0; i < TT_FILE_WALK_DEPTH; i++)
			if (walk_step(i, &s))
				break;
	}
	if (ws->result == WALK_PSEUDO)
		return pseudo_name(dst, (struct dentry *)ws->dentry);
	off = ws->off & (TT_FILE_PATH_LEN - 1);
	if (off == TT_FILE_PATH_LEN - 1) {
		/* The root itself. */
		off -= 1;
		s->walk[off] = '/';
	}
	n = TT_FILE_PATH_LEN - off;
	if (n > TT_FILE_PATH_LEN)
		n = TT_FILE_PATH_LEN;
	bpf_probe_read_kernel(dst, n, &s->walk[off & (TT_FILE_PATH_LEN - 1)]);
	return ws->result == WALK_COMPLETE;
}

/* The open file behind fd in the current task's table, or NULL. */
static __always_inline struct file *fd_file(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *file = NULL;

	if (fd < 0 || !fdt || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

/* Path of the file behind fd into dst; 0 if none, else 1 plus truncation. */
static __always_inline int fd_path(char *dst, int fd, __u32 *path_flags, __u32 truncated_flag)
{
	struct file *file = fd_file(fd);

	if (!file)
		return 0;
	if (!walk_path(dst, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt)))
		*path_flags |= truncated_flag;
	return 1;
}

/*
 * The directory a relative path starts from: the cwd for AT_FDCWD, else the
 * dirfd's file. Sets resolved_flag on success.
 */
static __always_inline void resolve_dir(char *dst, int dirfd, __u32 *path_flags, __u32 resolved_flag,
					__u32 truncated_flag)
{
	dst[0] = '\0';
	if (dirfd == AT_FDCWD) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		struct fs_struct *fs = BPF_CORE_READ(task, fs);

		if (!fs)
			return;
		if (!walk_path(dst, BPF_CORE_READ(fs, pwd.dentry), BPF_CORE_READ(fs, pwd.mnt)))
			*path_flags |= truncated_flag;
		*path_flags |= resolved_flag;
		return;
	}
	if (fd_path(dst, dirfd, path_flags, truncated_flag))
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
	struct file_scratch *s;
	long n;

	path[0] = '\0';
	if (!upath)
		return '\0';
	/* The common case: one read, straight into the record. */
	n = bpf_probe_read_user_str(path, TT_FILE_PATH_LEN, upath);
	if (n < TT_FILE_PATH_LEN) {
		if (n <= 0)
			path[0] = '\0';
		return path[0];
	}
	/* 255 bytes or more: read it whole to find its end. */
	s = scratch();
	if (!s) {
		*path_flags |= cut_flag;
		path[0] = '\0';
		return '\0';
	}
	n = bpf_probe_read_user_str(s->user_path, TT_FILE_USER_PATH_MAX + 1, upath);
	if (n <= TT_FILE_PATH_LEN)
		return path[0]; /* exactly 255 bytes: path holds it all */
	*path_flags |= cut_flag;
	if (prefix_count && head)
		bpf_probe_read_kernel(head, TT_FILE_PATH_LEN, s->user_path);
	if (n > TT_FILE_USER_PATH_MAX) {
		path[0] = '\0';
		return s->user_path[0];
	}
	bpf_probe_read_kernel(path, TT_FILE_PATH_LEN,
			      &s->user_path[(n - TT_FILE_PATH_LEN) & (TT_FILE_USER_PATH_MAX - 1)]);
	return s->user_path[0];
}

/* Reads a user path; relative ones get their directory resolved too. */
static __always_inline void read_path(char *dir, char *path, char *head, const char *upath, int dirfd,
				      __u32 *path_flags, __u32 resolved_flag, __u32 dir_cut_flag, __u32 cut_flag)
{
	dir[0] = '\0';
	if (read_user_path(path, head, upath, path_flags, cut_flag) != '/')
		resolve_dir(dir, dirfd, path_flags, resolved_flag, dir_cut_flag);
}

/* ---- --path ---- */

/* Where a prefix comparison is (see prefix_matches). */
struct prefix_walk {
	const char *dir;
	const char *path;
	__u32 i;    /* the prefix */
	__u32 plen; /* its length */
	__u32 dlen; /* the resolved directory's, or 0 */
	bool joined; /* path is relative and follows dir */
	bool differ;
};

/* Counts the resolved directory's bytes (up to the prefix length); returns 1 at its end. */
static int dir_byte(__u32 j, struct prefix_walk *w)
{
	const char *dir = w->dir;

	if (dir[j & (TT_FILE_PATH_LEN - 1)] == '\0')
		return 1;
	w->dlen++;
	return 0;
}

/* One byte of the comparison; returns 1 to stop. */
static int prefix_byte(__u32 j, struct prefix_walk *w)
{
	const char *path = w->path;
	const char *dir = w->dir;
	char c;

	if (j >= w->plen)
		return 1;
	if (!w->joined)
		c = path[j & (TT_FILE_PATH_LEN - 1)];
	else if (j < w->dlen)
		c = dir[j & (TT_FILE_PATH_LEN - 1)];
	else if (j == w->dlen)
		c = '/';
	else
		c = path[(j - w->dlen - 1) & (TT_FILE_PATH_LEN - 1)];
	if (c != prefixes[w->i & (TT_FILE_MAX_PREFIXES - 1)][j & (TT_FILE_PREFIX_LEN - 1)]) {
		w->differ = true;
		return 1;
	}
	return 0;
}

/*
 * Whether dir + "/" + path (or path alone when absolute) starts with prefix
 * i. path is the start of the path: a cut one's head. With bpf_loop (5.17+)
 * the verifier checks one byte's comparison once, however long the prefix;
 * unrolled, a long prefix at every place a record is built can exceed what
 * it will check.
 */
static __always_inline bool prefix_matches(__u32 i, const char *dir, const char *path, bool resolved)
{
	struct prefix_walk w = {
		.dir = dir, .path = path, .i = i, .plen = prefix_len[i & (TT_FILE_MAX_PREFIXES - 1)],
	};

	/* The resolved directory first; "/" alone adds nothing before the '/'. */
	w.joined = path[0] != '/' && resolved;
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop)) {
		if (w.joined)
			bpf_loop(TT_FILE_PREFIX_LEN, dir_byte, &w, 0);
		if (w.dlen == 1)
			w.dlen = 0;
		bpf_loop(TT_FILE_PREFIX_LEN, prefix_byte, &w, 0);
	} else {
		for (__u32 j = 0; w.joined && j < TT_FILE_PREFIX_LEN; j++)
			if (dir_byte(j, &w))
				break;
		if (w.dlen == 1)
			w.dlen = 0;
		for (__u32 j = 0; j < TT_FILE_PREFIX_LEN; j++)
			if (prefix_byte(j, &w))
				break;
	}
	return !w.differ;
}

static __always_inline bool path_wanted(const char *dir, const char *path, bool resolved)
{
	for (__u32 i = 0; i < TT_FILE_MAX_PREFIXES; i++) {
		if (i >= prefix_count)
			break;
		if (prefix_matches(i, dir, path, resolved))
			return true;
	}
	return false;
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

/*
 * tt_fill_header's fields, read through the BTF task pointer: plain loads
 * instead of five helper calls, which is measurable at an open's rate.
 */
static __always_inline void fill_header_fast(struct tt_header *h, __u32 kind, __u32 size)
{
	struct task_struct *task = bpf_get_current_task_btf();

	h->ts_ns = bpf_ktime_get_boot_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->pid = task->tgid;
	h->tid = task->pid;
	h->ppid = task->real_parent->tgid;
	h->uid = task->cred->uid.val;
	h->kind = kind;
	h->size = size;
	h->flags = 0;
	*(__u64 *)&h->comm[0] = *(__u64 *)&task->comm[0];
	*(__u64 *)&h->comm[8] = *(__u64 *)&task->comm[8];
}

static __always_inline void fill_open(struct tt_file_open *rec, char *head, const struct file_call *call, long ret)
{
	fill_header_fast(&rec->h, TT_FILE_OPEN, sizeof(*rec));
	rec->ret = ret;
	rec->flags = call->flags;
	rec->mode = call->mode;
	rec->path_flags = 0;
	read_path(rec->dir, rec->path, head, call->path, call->dirfd, &rec->path_flags, TT_FILE_DIR_RESOLVED,
		  TT_FILE_DIR_TRUNCATED, TT_FILE_PATH_TRUNCATED);
}

static __noinline void open_emit(const struct file_call *call, long ret)
{
	struct file_scratch *s;
	struct tt_file_open *rec;

	if (!prefix_count) {
		/* The common case: straight into the ring. */
		rec = tt_reserve(TT_FILE_OPEN, struct tt_file_open);
		if (rec) {
			fill_open(rec, NULL, call, ret);
			tt_submit(rec);
		}
		return;
	}
	s = scratch();
	if (!s)
		return;
	rec = (struct tt_file_open *)&s->op;
	fill_open(rec, s->head[0], call, ret);
	if (!path_wanted(rec->dir, rec->path_flags & TT_FILE_PATH_TRUNCATED ? s->head[0] : rec->path,
			 rec->path_flags & TT_FILE_DIR_RESOLVED))
		return;
	rec = tt_reserve(TT_FILE_OPEN, struct tt_file_open);
	if (rec) {
		bpf_probe_read_kernel(rec, sizeof(*rec), &s->op);
		tt_submit(rec);
	}
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
static __noinline void op_emit(const struct file_call *call, long ret)
{
	struct file_scratch *s = scratch();
	struct tt_file_op *rec;
	__u32 kind = call->kind;

	if (!s || kind < TT_FILE_UNLINK || kind > TT_FILE_CHMOD || skip_for_failed_only(ret))
		return;
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
	    !path_wanted(rec->dir,
			 (rec->path_flags & (TT_FILE_PATH_TRUNCATED | TT_FILE_PATH_FROM_FD)) == TT_FILE_PATH_TRUNCATED ?
				 s->head[0] : rec->path,
			 rec->path_flags & TT_FILE_DIR_RESOLVED) &&
	    !(kind == TT_FILE_RENAME &&
	      path_wanted(rec->new_dir, rec->path_flags & TT_FILE_NEW_PATH_TRUNCATED ? s->head[1] : rec->new_path,
			  rec->path_flags & TT_FILE_NEW_DIR_RESOLVED)))
		return;
	if (!tt_admit(kind))
		return;
	rec = tt_reserve_raw(kind, sizeof(*rec));
	if (rec) {
		bpf_probe_read_kernel(rec, sizeof(*rec), &s->op);
		tt_submit(rec);
	}
}

/* Portable pairing: the call (an open or another operation) saved at entry. */
static __always_inline int pair_exit(int nr, long ret)
{
	struct file_call *call = tt_pending_get(&file_calls, nr);

	if (!call)
		return 0;
	if (call->kind == TT_FILE_OPEN) {
		if (!skip_for_failed_only(ret))
			open_emit(call, ret);
	} else {
		op_emit(call, ret);
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
	struct tt_header *h;
	struct file_scratch *s;
	__u32 zero = 0;

	key.pid = bpf_get_current_pid_tgid() >> 32;
	key.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(file, f_inode, i_ino);
	stat = bpf_map_lookup_elem(&file_io, &key);
	if (!stat) {
		init = bpf_map_lookup_elem(&file_io_scratch, &zero);
		s = scratch();
		if (!init || !s)
			return;
		__builtin_memset(init, 0, sizeof(*init) - TT_FILE_PATH_LEN);
		/* The same identity a record's header would carry. */
		h = &s->op.h;
		fill_header_fast(h, TT_FILE_IO, 0);
		init->cgroup_id = h->cgroup_id;
		init->tid = h->tid;
		init->ppid = h->ppid;
		init->uid = h->uid;
		__builtin_memcpy(init->comm, h->comm, sizeof(init->comm));
		if (!walk_path(init->path, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt)))
			init->path_flags |= TT_FILE_PATH_TRUNCATED;
		/* A cut path lost its start: it cannot match a prefix. */
		if (prefix_count && ((init->path_flags & TT_FILE_PATH_TRUNCATED) || !path_wanted("", init->path, false)))
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

static __always_inline void io_slow(struct file *file, struct file_call *call, long ret, __u64 latency)
{
	struct file_scratch *s = scratch();
	struct tt_file_slow *rec;

	if (!s || skip_for_failed_only(ret))
		return;
	rec = (struct tt_file_slow *)&s->op;
	tt_fill_header(&rec->h, TT_FILE_SLOW, sizeof(*rec));
	rec->ret = ret;
	rec->latency_ns = latency;
	rec->op = call->op;
	rec->fd = call->dirfd;
	rec->path_flags = 0;
	rec->pad0 = 0;
	rec->path[0] = '\0';
	if (file && !walk_path(rec->path, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt)))
		rec->path_flags |= TT_FILE_PATH_TRUNCATED;
	/* A cut path lost its start: it cannot match a prefix. */
	if (prefix_count && ((rec->path_flags & TT_FILE_PATH_TRUNCATED) || !path_wanted("", rec->path, false)))
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
	file = fd_file(call->dirfd);
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
		open_emit(call, ret);
	else
		op_emit(call, ret);
}
