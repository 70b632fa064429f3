// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The BPF helpers, run alone: each program here calls one of the real
 * helpers of bpf/common.bpf.h and bpf/path.bpf.h (included, not copied) on
 * inputs user space puts in the object's globals, and leaves what it found
 * there. tests/live/bpf_helpers_test.cpp runs them with BPF_PROG_TEST_RUN
 * (raw tracepoint programs, run in the caller's own task, so the walks see
 * the test's cwd and fds) and checks the exact results.
 *
 * Read-only settings (tt_cfg, the --path prefixes) are the helpers' own
 * rodata: the test sets them before each load, as src/ does.
 */
#include "common.bpf.h"
#include "path.bpf.h"

/*
 * Events fed one after another in one run: to the rate limiter's step on a
 * made-up clock (rate_*), or to tt_admit(), sampling then the rate limit on
 * the real clock, as every record meets them (admit_kind).
 */
__u32 feed_events;
__u32 feed_passed;

__u64 rate_per_sec;
__u64 rate_burst;
__u64 rate_start_ns;
__u64 rate_step_ns;
/* The limiter's state (struct tt_rate_state), kept between runs; user space resets it. */
__u64 rate_tat;

__u32 admit_kind;
__u32 admit_critical; /* tt_admit_critical()'s second argument */

static int rate_event(__u32 i, void *ctx)
{
	struct tt_rate_state *state = (struct tt_rate_state *)&rate_tat;

	feed_passed += tt_rate_take(state, rate_start_ns + (__u64)i * rate_step_ns, rate_per_sec, rate_burst);
	return 0;
}

static int admit_event(__u32 i, void *ctx)
{
	feed_passed += tt_admit_critical(admit_kind, admit_critical);
	return 0;
}

SEC("raw_tp")
int test_rate_take(void *ctx)
{
	feed_passed = 0;
	bpf_loop(feed_events, rate_event, NULL, 0);
	return 0;
}

SEC("raw_tp")
int test_admit(void *ctx)
{
	feed_passed = 0;
	bpf_loop(feed_events, admit_event, NULL, 0);
	return 0;
}

/* ---- --path ---- */

char prefix_dir[TT_PATH_LEN];
char prefix_path[TT_PATH_LEN];
__u32 prefix_resolved;
__u32 prefix_wanted;

SEC("raw_tp")
int test_path_wanted(void *ctx)
{
	prefix_wanted = tt_path_wanted(prefix_dir, prefix_path, prefix_resolved);
	return 0;
}

/* ---- a string's end ---- */

__u64 str_src;   /* the string, in the calling task's memory */
__u32 str_read;  /* enum tt_str_read */
__u32 str_whole; /* whether it was read whole */
char str_dst[TT_PATH_LEN];

SEC("raw_tp")
int test_user_str_tail(void *ctx)
{
	const char *whole;

	str_read = tt_read_str_tail(str_dst, (const void *)str_src, true, &whole);
	str_whole = whole != NULL;
	return 0;
}

/* Kernel memory to read a string from: this object's own globals. */
char kernel_str[TT_PATH_MAX + 8];

SEC("raw_tp")
int test_kernel_str_tail(void *ctx)
{
	const char *whole;

	str_read = tt_read_str_tail(str_dst, kernel_str, false, &whole);
	str_whole = whole != NULL;
	return 0;
}

/* ---- dentry walks and fd lookups, in the calling task ---- */

/* The walk's scratch: map memory, as the areas' per-CPU scratch is. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tt_walk);
} test_walk SEC(".maps");

__s64 walk_fd;
__u32 walk_resolve; /* enum tt_resolve */
__u64 walk_ino;     /* the inode of the fd's file, 0 without one */
char walk_path[TT_PATH_LEN];

SEC("raw_tp")
int test_fd_path(void *ctx)
{
	struct file *file = tt_fd_file(walk_fd);
	__u32 zero = 0;
	struct tt_walk *w = bpf_map_lookup_elem(&test_walk, &zero);

	if (!w)
		return 1;
	walk_ino = file ? BPF_CORE_READ(file, f_inode, i_ino) : 0;
	walk_resolve = tt_fd_path(walk_path, w, walk_fd);
	return 0;
}

SEC("raw_tp")
int test_cwd_path(void *ctx)
{
	__u32 zero = 0;
	struct tt_walk *w = bpf_map_lookup_elem(&test_walk, &zero);

	if (!w)
		return 1;
	walk_resolve = tt_cwd_path(walk_path, w);
	return 0;
}
