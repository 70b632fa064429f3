/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Paths, one way for every area: a string read so that a long one keeps its
 * end (which names the file), a path resolved in the kernel by walking
 * dentries up to the root of the mount tree, the open file behind an fd, and
 * the --path prefixes every file record is matched against.
 *
 * No programs here, and no area's maps: tests/bpf/helpers_test.bpf.c
 * includes this header to run the real helpers with BPF_PROG_TEST_RUN.
 */
#ifndef TAPIO_PATH_BPF_H
#define TAPIO_PATH_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "compat.bpf.h"
#include "events.h"

#define TT_PATH_MAX 4096 /* PATH_MAX: the longest path a syscall takes, NUL included */

_Static_assert(TT_FILE_PATH_LEN == TT_PATH_LEN, "file's path fields are path fields");
_Static_assert(TT_FILE_USER_PATH_MAX == TT_PATH_MAX, "PATH_MAX");

/* ---- a string's end ---- */

/*
 * A string longer than a path field is read here whole, to find its end
 * (per CPU; the extra bytes let a read of PATH_MAX + 1 tell a string that
 * is too long from one that just fits).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[TT_PATH_MAX + 8]);
} tt_path_scratch SEC(".maps");

/* What tt_read_str_tail() found. */
enum tt_str_read {
	TT_STR_OK = 0,
	TT_STR_CUT = 1,        /* longer than the field: its last TT_PATH_LEN - 1 bytes were kept */
	TT_STR_TOO_LONG = 2,   /* longer than PATH_MAX: its end was never seen, dst is empty */
	TT_STR_UNREADABLE = 3, /* could not be read (a fault, a bad pointer): dst is empty */
};

/*
 * Reads the NUL-terminated string at src (user memory when user is set,
 * else kernel memory) into dst[TT_PATH_LEN]. The common case is one read,
 * straight into dst (a ring buffer record); only a string of 255 bytes or
 * more is read a second time, whole, to keep its end. *whole is then where
 * it was read (its start, for --path), else NULL.
 */
static __always_inline enum tt_str_read tt_read_str_tail(char *dst, const void *src, bool user, const char **whole)
{
	__u32 zero = 0;
	char *buf;
	long n;

	*whole = NULL;
	n = user ? bpf_probe_read_user_str(dst, TT_PATH_LEN, src) : bpf_probe_read_kernel_str(dst, TT_PATH_LEN, src);
	if (n < TT_PATH_LEN) {
		if (n > 0)
			return TT_STR_OK;
		dst[0] = '\0';
		return TT_STR_UNREADABLE;
	}
	buf = bpf_map_lookup_elem(&tt_path_scratch, &zero);
	if (!buf) {
		dst[0] = '\0';
		return TT_STR_UNREADABLE;
	}
	n = user ? bpf_probe_read_user_str(buf, TT_PATH_MAX + 1, src) : bpf_probe_read_kernel_str(buf, TT_PATH_MAX + 1, src);
	if (n <= TT_PATH_LEN)
		return TT_STR_OK; /* exactly 255 bytes: dst holds it all */
	*whole = buf;
	if (n > TT_PATH_MAX) {
		dst[0] = '\0';
		return TT_STR_TOO_LONG;
	}
	/* n counts the NUL: the tail is the last TT_PATH_LEN bytes of buf[0..n). */
	bpf_probe_read_kernel(dst, TT_PATH_LEN, &buf[(n - TT_PATH_LEN) & (TT_PATH_MAX - 1)]);
	return TT_STR_CUT;
}

/* ---- paths resolved in the kernel ---- */

enum tt_walk_result { TT_WALK_RUNNING, TT_WALK_COMPLETE, TT_WALK_CUT, TT_WALK_PSEUDO };

/*
 * Where a dentry walk is, and the path it builds, backwards: the caller
 * keeps it in map memory (a per-CPU scratch value), never on the stack
 * (see tt_walk_step).
 */
struct tt_walk {
	char buf[2 * TT_PATH_LEN];
	__u64 dentry;
	__u64 vfsmnt;
	__u64 mnt;
	__u32 off;
	__u32 result; /* enum tt_walk_result */
};

/*
 * Files of pseudo filesystems (pipes, sockets, anon inodes) have no place in
 * the tree: their dentry is its own parent. They are named after their
 * filesystem and inode, "pipefs:[1234]", "sockfs:[5678]", like the kernel's
 * "pipe:[1234]" in /proc/<pid>/fd.
 */
static __always_inline void tt_pseudo_name(char *dst, struct dentry *dentry)
{
	static const char fmt[] = "%s:[%lu]";
	struct inode *inode = BPF_CORE_READ(dentry, d_inode);
	__u64 args[2];

	args[0] = (__u64)BPF_CORE_READ(inode, i_sb, s_type, name);
	args[1] = BPF_CORE_READ(inode, i_ino);
	bpf_snprintf(dst, TT_PATH_LEN, fmt, args, sizeof(args));
}

/*
 * One step of a path walk: prepends the current dentry's name to w->buf, or
 * crosses to the mount below, or ends the walk. Returns 1 to stop.
 *
 * The walk's state lives in map memory, not on the stack: the verifier then
 * sees the same state on every step and checks this callback once, instead
 * of once per step of an unrolled loop. That is the difference between a
 * file area that loads in a few milliseconds and one that takes over a
 * second.
 */
static int tt_walk_step(__u32 i, struct tt_walk **ctx)
{
	struct tt_walk *w = *ctx;
	struct dentry *dentry = (struct dentry *)w->dentry;
	struct vfsmount *vfsmnt = (struct vfsmount *)w->vfsmnt;
	struct mount *mnt = (struct mount *)w->mnt;
	struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	const unsigned char *name;
	__u32 off = w->off, len;

	if (dentry == parent && dentry != mnt_root && off == TT_PATH_LEN - 1) {
		w->result = TT_WALK_PSEUDO; /* a pipe, socket, anon inode */
		return 1;
	}
	if (dentry == mnt_root || dentry == parent) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

		if (dentry != mnt_root || up == mnt) {
			w->result = TT_WALK_COMPLETE; /* the root of the mount tree */
			return 1;
		}
		w->dentry = (__u64)BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = (__u64)up;
		w->vfsmnt = (__u64)((void *)up + bpf_core_field_offset(struct mount, mnt));
		return 0;
	}
	name = BPF_CORE_READ(dentry, d_name.name);
	len = BPF_CORE_READ(dentry, d_name.len);
	if (len + 1 > off) {
		/* Does not fit: the end of this name fills what is left. */
		off &= TT_PATH_LEN - 1;
		if (off && off <= len)
			bpf_probe_read_kernel(&w->buf[0], off, name + len - off);
		w->off = 0;
		w->result = TT_WALK_CUT;
		return 1;
	}
	off -= len;
	off &= TT_PATH_LEN - 1;
	bpf_probe_read_kernel(&w->buf[off], len & (TT_PATH_LEN - 1), name);
	off -= 1;
	off &= TT_PATH_LEN - 1;
	w->buf[off] = '/';
	w->off = off;
	w->dentry = (__u64)parent;
	return 0;
}

/*
 * Writes the path of (dentry, vfsmnt) into dst (TT_PATH_LEN bytes), walking
 * d_parent and crossing mounts up to the root of the mount tree, at most
 * TT_FILE_WALK_DEPTH steps, with w as its scratch. The components are
 * written backwards into w->buf[0, TT_PATH_LEN), so the path ends at
 * buf[TT_PATH_LEN - 1] and every read stays inside the 2 * TT_PATH_LEN
 * buffer whatever the verifier assumes about the offset. Returns false when
 * the path was cut at the front: dst then holds its last TT_PATH_LEN - 1
 * bytes (fewer only if the walk ran out of steps first).
 */
static __always_inline bool tt_walk_path(char *dst, struct tt_walk *w, struct dentry *dentry, struct vfsmount *vfsmnt)
{
	__u32 off, n;

	w->dentry = (__u64)dentry;
	w->vfsmnt = (__u64)vfsmnt;
	w->mnt = (__u64)((void *)vfsmnt - bpf_core_field_offset(struct mount, mnt));
	w->off = TT_PATH_LEN - 1;
	w->result = TT_WALK_RUNNING;
	w->buf[TT_PATH_LEN - 1] = '\0';
	if (tt_have_bpf_loop()) {
		bpf_loop(TT_FILE_WALK_DEPTH, tt_walk_step, &w, 0);
	} else {
		for (__u32 i = 0; i < TT_FILE_WALK_DEPTH; i++)
			if (tt_walk_step(i, &w))
				break;
	}
	if (w->result == TT_WALK_PSEUDO) {
		tt_pseudo_name(dst, (struct dentry *)w->dentry);
		return true;
	}
	off = w->off & (TT_PATH_LEN - 1);
	if (off == TT_PATH_LEN - 1) {
		/* The root itself. */
		off -= 1;
		w->buf[off] = '/';
	}
	n = TT_PATH_LEN - off;
	if (n > TT_PATH_LEN)
		n = TT_PATH_LEN;
	bpf_probe_read_kernel(dst, n, &w->buf[off & (TT_PATH_LEN - 1)]);
	return w->result == TT_WALK_COMPLETE;
}

/* The path of an open file; false when it was cut (see tt_walk_path). */
static __always_inline bool tt_file_path(char *dst, struct tt_walk *w, struct file *file)
{
	return tt_walk_path(dst, w, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt));
}

/* The open file behind fd in the current task's table, or NULL. */
static __always_inline struct file *tt_fd_file(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *file = NULL;

	if (fd < 0 || !fdt || (unsigned long)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (!fds || bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]))
		return NULL;
	return file;
}

/* What resolving a directory or an fd gave. */
enum tt_resolve {
	TT_RESOLVE_NONE = 0,     /* nothing to resolve (no such fd, no fs): dst is empty */
	TT_RESOLVE_COMPLETE = 1,
	TT_RESOLVE_CUT = 2,      /* resolved, cut at the front */
};

/* The path of the file behind fd in the current task's table. */
static __always_inline enum tt_resolve tt_fd_path(char *dst, struct tt_walk *w, long fd)
{
	struct file *file = tt_fd_file(fd);

	if (!file) {
		dst[0] = '\0';
		return TT_RESOLVE_NONE;
	}
	return tt_file_path(dst, w, file) ? TT_RESOLVE_COMPLETE : TT_RESOLVE_CUT;
}

/* The current task's working directory. */
static __always_inline enum tt_resolve tt_cwd_path(char *dst, struct tt_walk *w)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fs_struct *fs = BPF_CORE_READ(task, fs);

	if (!fs) {
		dst[0] = '\0';
		return TT_RESOLVE_NONE;
	}
	if (tt_walk_path(dst, w, BPF_CORE_READ(fs, pwd.dentry), BPF_CORE_READ(fs, pwd.mnt)))
		return TT_RESOLVE_COMPLETE;
	return TT_RESOLVE_CUT;
}

/* ---- --path ---- */

/*
 * --path prefixes, set by user space before load (src/file_probes.cpp);
 * prefix_count 0 keeps all. Compared before anything is reserved.
 */
const volatile __u32 prefix_count = 0;
const volatile __u32 prefix_len[TT_FILE_MAX_PREFIXES] = {};
const volatile char prefixes[TT_FILE_MAX_PREFIXES][TT_FILE_PREFIX_LEN] = {};

/* Where a prefix comparison is (see tt_prefix_matches). */
struct tt_prefix_walk {
	const char *dir;
	const char *path;
	__u32 i;    /* the prefix */
	__u32 plen; /* its length */
	__u32 dlen; /* the resolved directory's, or 0 */
	bool joined; /* path is relative and follows dir */
	bool differ;
};

/* Counts the resolved directory's bytes (up to the prefix length); returns 1 at its end. */
static int tt_dir_byte(__u32 j, struct tt_prefix_walk *w)
{
	const char *dir = w->dir;

	if (dir[j & (TT_PATH_LEN - 1)] == '\0')
		return 1;
	w->dlen++;
	return 0;
}

/* One byte of the comparison; returns 1 to stop. */
static int tt_prefix_byte(__u32 j, struct tt_prefix_walk *w)
{
	const char *path = w->path;
	const char *dir = w->dir;
	char c;

	if (j >= w->plen)
		return 1;
	if (!w->joined)
		c = path[j & (TT_PATH_LEN - 1)];
	else if (j < w->dlen)
		c = dir[j & (TT_PATH_LEN - 1)];
	else if (j == w->dlen)
		c = '/';
	else
		c = path[(j - w->dlen - 1) & (TT_PATH_LEN - 1)];
	if (c != prefixes[w->i & (TT_FILE_MAX_PREFIXES - 1)][j & (TT_FILE_PREFIX_LEN - 1)]) {
		w->differ = true;
		return 1;
	}
	return 0;
}

/*
 * Whether dir + "/" + path (or path alone when absolute, or when dir was
 * not resolved) starts with prefix i. path is the start of the path: a cut
 * one's head. With bpf_loop the verifier checks one byte's comparison once,
 * however long the prefix; unrolled, a long prefix at every place a record
 * is built can exceed what it will check.
 */
static __always_inline bool tt_prefix_matches(__u32 i, const char *dir, const char *path, bool resolved)
{
	struct tt_prefix_walk w = {
		.dir = dir, .path = path, .i = i, .plen = prefix_len[i & (TT_FILE_MAX_PREFIXES - 1)],
	};

	/* The resolved directory first; "/" alone adds nothing before the '/'. */
	w.joined = path[0] != '/' && resolved;
	if (tt_have_bpf_loop()) {
		if (w.joined)
			bpf_loop(TT_FILE_PREFIX_LEN, tt_dir_byte, &w, 0);
		if (w.dlen == 1)
			w.dlen = 0;
		bpf_loop(TT_FILE_PREFIX_LEN, tt_prefix_byte, &w, 0);
	} else {
		for (__u32 j = 0; w.joined && j < TT_FILE_PREFIX_LEN; j++)
			if (tt_dir_byte(j, &w))
				break;
		if (w.dlen == 1)
			w.dlen = 0;
		for (__u32 j = 0; j < TT_FILE_PREFIX_LEN; j++)
			if (tt_prefix_byte(j, &w))
				break;
	}
	return !w.differ;
}

/* Whether a path passes --path: it starts with one of the prefixes. */
static __always_inline bool tt_path_wanted(const char *dir, const char *path, bool resolved)
{
	for (__u32 i = 0; i < TT_FILE_MAX_PREFIXES; i++) {
		if (i >= prefix_count)
			break;
		if (tt_prefix_matches(i, dir, path, resolved))
			return true;
	}
	return false;
}

#endif /* TAPIO_PATH_BPF_H */
