// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * net: TCP connects, accepts, closes, retransmits, resets, state changes and
 * packet drops, from tracepoints only (sock, tcp, skb, raw_syscalls), so it runs
 * on kernels without kprobes or fentry.
 *
 * Most TCP state changes happen in softirq context, where the current task
 * is whoever the interrupt landed on. So every socket is remembered (by its
 * kernel address) with the task that owns it: the connecting task when the
 * socket enters SYN_SENT (always in process context, inside connect()), the
 * accepting task when accept() hands the socket out. Records about a socket
 * carry that owner; records about sockets opened before tracing started have
 * no owner (pid 0).
 */
#include "common.bpf.h"
#include "path.bpf.h"
#include <bpf/bpf_endian.h>

/* Values from include/net/tcp_states.h and uapi headers: macros, not in BTF. */
#define TT_TCP_ESTABLISHED 1
#define TT_TCP_SYN_SENT 2
#define TT_TCP_SYN_RECV 3
#define TT_TCP_FIN_WAIT1 4
#define TT_TCP_FIN_WAIT2 5
#define TT_TCP_CLOSE 7
#define TT_TCP_CLOSE_WAIT 8
#define TT_TCP_LAST_ACK 9
#define TT_TCP_CLOSING 11
#define TT_IPPROTO_TCP 6
#define TT_IPPROTO_UDP 17
#define TT_IPPROTO_SCTP 132
#define TT_ETH_P_IP 0x0800
#define TT_ETH_P_IPV6 0x86DD

/* Filters, set by user space before load. 0 means "any". */
const volatile __u16 filter_port = 0;  /* either side */
const volatile __u16 filter_lport = 0; /* local side */
const volatile __u16 filter_rport = 0; /* remote side */
const volatile __u16 filter_family = 0; /* TT_AF_INET or TT_AF_INET6 */
const volatile bool trace_states = false;

struct sock_info {
	struct tt_task_id owner;
	struct tt_net_addrs addrs;
	__u64 syn_ns;         /* entered SYN_SENT (client) */
	__u64 established_ns; /* entered ESTABLISHED */
	/* The socket's counters as it entered CLOSE, for a net.close sent later. */
	__u64 closed_ns;
	__u64 bytes_sent;
	__u64 bytes_received;
	__u32 retransmits;
	__u16 role;           /* TT_NET_ROLE_* */
	__u16 closed_by;      /* TT_NET_CLOSED_BY_* */
	__u8 owned;           /* owner is known */
	__u8 wanted;          /* owner passed the task filters when it was captured */
	__u8 close_pending;   /* in CLOSE, its net.close waits for the RST that follows */
	__u8 pad;
	__u32 closer_pid;     /* the process that sent this end's FIN or RST */
};

/*
 * Every TCP socket seen opening, by its struct sock address, until it
 * reaches CLOSE (or, for one whose RST is still to come, until that RST or
 * the socket's destruction). A plain hash: when full, a new connection is
 * counted as a map_full drop of net.connect or net.accept instead of pushing
 * out another one unseen.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct sock_info);
} socks SEC(".maps");

/* ---- helpers ---- */

static __always_inline bool task_filters_set(void)
{
	return tt_cfg.filter_pids || tt_cfg.filter_uid || tt_cfg.filter_comm || tt_cfg.filter_cgroup;
}

/*
 * Whether a record about this socket passes the task filters. A socket with
 * no known owner passes only when no task filter is set.
 */
static __always_inline bool info_wanted(const struct sock_info *info)
{
	if (info && info->owned)
		return info->wanted;
	return !task_filters_set();
}

/* Family and port filters, on a record's addresses (local side first). */
static __always_inline bool addrs_wanted(const struct tt_net_addrs *a)
{
	if (filter_family && a->family != filter_family)
		return false;
	if (filter_lport && a->sport != filter_lport)
		return false;
	if (filter_rport && a->dport != filter_rport)
		return false;
	if (filter_port && a->sport != filter_port && a->dport != filter_port)
		return false;
	return true;
}

/*
 * An IPv4 connection on an AF_INET6 socket has IPv4-mapped addresses
 * (::ffff:a.b.c.d). It is reported as what is on the wire, ipv4, so both ends
 * of a connection agree whatever their socket family, and -4 keeps it. The
 * local address may still be :: while connect() picks it.
 */
static __always_inline bool v4_mapped(const __u8 *addr)
{
	for (int i = 0; i < 10; i++)
		if (addr[i])
			return false;
	return addr[10] == 0xff && addr[11] == 0xff;
}

static __always_inline bool v6_any(const __u8 *addr)
{
	for (int i = 0; i < 16; i++)
		if (addr[i])
			return false;
	return true;
}

static __always_inline void unmap_v4(struct tt_net_addrs *a)
{
	if (a->family != TT_AF_INET6 || !v4_mapped(a->daddr) ||
	    !(v4_mapped(a->saddr) || v6_any(a->saddr)))
		return;
	a->family = TT_AF_INET;
	__builtin_memcpy(a->saddr, a->saddr + 12, 4);
	__builtin_memcpy(a->daddr, a->daddr + 12, 4);
	__builtin_memset(a->saddr + 4, 0, 12);
	__builtin_memset(a->daddr + 4, 0, 12);
}

static __always_inline void capture_owner(struct sock_info *info)
{
	tt_current_task_id(&info->owner);
	info->owned = 1;
	info->wanted = tt_current_wanted();
}

/* Whom a record about a socket is about: its owner, or nobody (NULL: pid 0). */
static __always_inline const struct tt_task_id *sock_owner(const struct sock_info *info)
{
	return info && info->owned ? &info->owner : NULL;
}

/*
 * The sock, tcp_retransmit_skb and tcp_receive_reset tracepoints share this
 * address layout: family, host-order ports, IPv4 and IPv6 addresses, local
 * side first. Fields are read with bpf_probe_read_kernel because several sit
 * at offsets the tracepoint context may not be loaded from directly.
 */
#define READ_TP_ADDRS(a, ctx)                                                            \
	do {                                                                             \
		(a)->family = (ctx)->family;                                             \
		(a)->sport = (ctx)->sport;                                               \
		(a)->dport = (ctx)->dport;                                               \
		(a)->protocol = TT_IPPROTO_TCP;                                          \
		__builtin_memset((a)->saddr, 0, sizeof((a)->saddr));                     \
		__builtin_memset((a)->daddr, 0, sizeof((a)->daddr));                     \
		if ((a)->family == TT_AF_INET6) {                                        \
			bpf_probe_read_kernel((a)->saddr, 16, &(ctx)->saddr_v6);         \
			bpf_probe_read_kernel((a)->daddr, 16, &(ctx)->daddr_v6);         \
			unmap_v4(a);                                                     \
		} else {                                                                 \
			bpf_probe_read_kernel((a)->saddr, 4, &(ctx)->saddr);             \
			bpf_probe_read_kernel((a)->daddr, 4, &(ctx)->daddr);             \
		}                                                                        \
	} while (0)

/*
 * A socket's addresses as the tcp_event_sk(_skb) tracepoints store them,
 * local side first, IPv4-mapped addresses left as they are.
 */
static __always_inline void read_sock_tuple(struct tt_net_addrs *a, struct sock *sk)
{
	struct inet_sock *inet = (struct inet_sock *)sk;

	a->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	a->sport = bpf_ntohs(BPF_CORE_READ(inet, inet_sport));
	a->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	a->protocol = TT_IPPROTO_TCP;
	__builtin_memset(a->saddr, 0, sizeof(a->saddr));
	__builtin_memset(a->daddr, 0, sizeof(a->daddr));
	if (a->family == TT_AF_INET6) {
		bpf_core_read(a->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(a->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	} else {
		BPF_CORE_READ_INTO((__u32 *)a->saddr, inet, inet_saddr);
		BPF_CORE_READ_INTO((__u32 *)a->daddr, sk, __sk_common.skc_daddr);
	}
}

/* A socket's addresses as the sock tracepoints store them, local side first. */
static __always_inline void read_sock_addrs(struct tt_net_addrs *a, struct sock *sk)
{
	read_sock_tuple(a, sk);
	unmap_v4(a);
}

static __always_inline void emit_connect(struct sock_info *info, __s32 error)
{
	struct tt_net_connect *rec;

	if ((tt_cfg.failed_only && !error) || !info_wanted(info) || !addrs_wanted(&info->addrs))
		return;
	/* A failed connect is critical; a connect that worked is not. */
	rec = tt_reserve_for_critical(TT_NET_CONNECT, struct tt_net_connect, sock_owner(info), error != 0);
	if (!rec)
		return;
	rec->a = info->addrs;
	rec->latency_ns = rec->h.ts_ns - info->syn_ns;
	rec->error = error;
	rec->pad0 = 0;
	tt_submit(rec);
}

/*
 * Whether tcp_fin() ran on this socket: it sets SOCK_DONE (with
 * RCV_SHUTDOWN, which close() and shutdown() also set, so that bit proves
 * nothing). Only then did rcv_nxt, and with it bytes_received, step over the
 * peer's FIN. A FIN that reaches the timewait socket after the full socket
 * handed over to it is neither counted nor marked.
 */
static __always_inline bool fin_consumed(struct sock *sk)
{
	unsigned long flags = BPF_CORE_READ(sk, __sk_common.skc_flags);

	return flags & (1UL << bpf_core_enum_value(enum sock_flags, SOCK_DONE));
}

/* Keeps the socket's counters as it enters CLOSE; tcp_disconnect() zeroes them after. */
static __always_inline void stash_close(struct sock_info *info, struct sock *sk)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	__u64 received = BPF_CORE_READ(tp, bytes_received);

	info->closed_ns = bpf_ktime_get_boot_ns();
	/* Payload only, retransmissions not counted twice; SYN and FIN carry none. */
	info->bytes_sent = BPF_CORE_READ(tp, bytes_sent) - BPF_CORE_READ(tp, bytes_retrans);
	if (received && fin_consumed(sk))
		received--;
	info->bytes_received = received;
	info->retransmits = BPF_CORE_READ(tp, total_retrans);
}

static __always_inline void emit_close(struct sock_info *info)
{
	struct tt_net_close *rec;

	if (tt_cfg.failed_only || !info_wanted(info) || !addrs_wanted(&info->addrs))
		return;
	rec = tt_reserve_for(TT_NET_CLOSE, struct tt_net_close, sock_owner(info));
	if (!rec)
		return;
	rec->a = info->addrs;
	rec->duration_ns = info->closed_ns - info->established_ns;
	rec->bytes_sent = info->bytes_sent;
	rec->bytes_received = info->bytes_received;
	rec->retransmits = info->retransmits;
	rec->role = info->role;
	rec->closed_by = info->closed_by;
	rec->closer_pid = info->closer_pid;
	rec->pad0 = 0;
	tt_submit(rec);
}

static __always_inline void emit_state(const struct tt_net_addrs *a, const struct sock_info *info,
				       int oldstate, int newstate)
{
	struct tt_net_state *rec;

	if (tt_cfg.failed_only || !info_wanted(info))
		return;
	if (!addrs_wanted(a))
		return;
	rec = tt_reserve_for(TT_NET_STATE, struct tt_net_state, sock_owner(info));
	if (!rec)
		return;
	rec->a = *a;
	rec->old_state = oldstate;
	rec->new_state = newstate;
	tt_submit(rec);
}

/* ---- the TCP state machine ---- */

/*
 * An abortive close moves the socket to CLOSE first and sends its RST after:
 * tcp_disconnect() (close() with SO_LINGER 0, connect(AF_UNSPEC), a
 * listener's unaccepted children), and tcp_close() with unread data. Its
 * net.close waits for that RST to say reset_sent. It is recognised as a
 * CLOSE this end did not start with a FIN or a RST (no closer yet), that no
 * RST from the peer caused and no error ended (tcp_done_with_error() stores
 * the error before the move; tcp_disconnect() after), from a state where
 * those functions send a RST. If the RST never comes, the socket's
 * destruction sends the record (handle_destroy_sock).
 */
static __always_inline bool rst_follows(const struct sock_info *info, struct sock *sk, int oldstate)
{
	if (info->closer_pid || info->closed_by == TT_NET_CLOSED_BY_RESET_RECEIVED ||
	    info->closed_by == TT_NET_CLOSED_BY_RESET_SENT || !info->established_ns)
		return false;
	if (oldstate != TT_TCP_ESTABLISHED && oldstate != TT_TCP_SYN_RECV && oldstate != TT_TCP_CLOSE_WAIT)
		return false;
	return BPF_CORE_READ(sk, sk_err) == 0;
}

/* One TCP state change of sk, whose addresses the caller read into a. */
static __always_inline int on_set_state(struct sock *sk, int oldstate, int newstate,
					const struct tt_net_addrs *a)
{
	__u64 key = (__u64)sk;
	struct sock_info *info = bpf_map_lookup_elem(&socks, &key);

	if (newstate == TT_TCP_SYN_SENT) {
		/* Inside connect(): the current task is the one connecting. */
		struct sock_info fresh = {};

		capture_owner(&fresh);
		fresh.addrs = *a;
		fresh.syn_ns = bpf_ktime_get_boot_ns();
		fresh.role = TT_NET_ROLE_CLIENT;
		if (bpf_map_update_elem(&socks, &key, &fresh, BPF_ANY))
			tt_count(TT_NET_CONNECT, TT_DROP_MAP_FULL);
		if (trace_states)
			emit_state(a, &fresh, oldstate, newstate);
		return 0;
	}
	if (newstate == TT_TCP_ESTABLISHED && oldstate == TT_TCP_SYN_RECV &&
	    !(info && info->role == TT_NET_ROLE_CLIENT && !info->established_ns)) {
		/*
		 * A passive open's child socket; accept() will name its owner.
		 * (A client still opening gets here too, after a simultaneous
		 * open; an entry of a closed socket at this address is stale.)
		 */
		struct sock_info fresh = {};

		fresh.addrs = *a;
		fresh.established_ns = bpf_ktime_get_boot_ns();
		fresh.role = TT_NET_ROLE_SERVER;
		if (bpf_map_update_elem(&socks, &key, &fresh, BPF_ANY))
			tt_count(TT_NET_ACCEPT, TT_DROP_MAP_FULL);
		if (trace_states)
			emit_state(a, &fresh, oldstate, newstate);
		return 0;
	}
	if (trace_states)
		emit_state(a, info, oldstate, newstate);
	if (!info)
		return 0; /* opened before tracing started */

	/* The source port is chosen after SYN_SENT is entered: refresh. */
	info->addrs = *a;
	if (info->role == TT_NET_ROLE_CLIENT && !info->established_ns) {
		/* Still opening: SYN_SENT, or SYN_RECV after a simultaneous open. */
		if (newstate == TT_TCP_ESTABLISHED) {
			info->established_ns = bpf_ktime_get_boot_ns();
			emit_connect(info, 0);
		} else if (newstate == TT_TCP_CLOSE) {
			/*
			 * tcp_done_with_error() stores the error before moving
			 * to CLOSE; none means connect() was abandoned locally.
			 */
			int err = BPF_CORE_READ(sk, sk_err);

			emit_connect(info, err ? -err : -103 /* ECONNABORTED */);
			bpf_map_delete_elem(&socks, &key);
		}
		return 0;
	}
	if (newstate == TT_TCP_FIN_WAIT1 && !info->closed_by)
		info->closed_by = TT_NET_CLOSED_BY_LOCAL;
	else if (newstate == TT_TCP_CLOSE_WAIT && !info->closed_by)
		info->closed_by = TT_NET_CLOSED_BY_REMOTE;
	/*
	 * Our FIN goes out (FIN_WAIT1, LAST_ACK) only from close() or
	 * shutdown(): process context, so the current task is the closer.
	 */
	if ((newstate == TT_TCP_FIN_WAIT1 || newstate == TT_TCP_LAST_ACK) && !info->closer_pid)
		info->closer_pid = bpf_get_current_pid_tgid() >> 32;
	if (newstate == TT_TCP_CLOSE) {
		stash_close(info, sk);
		if (rst_follows(info, sk, oldstate)) {
			info->close_pending = 1;
			return 0;
		}
		if (info->established_ns)
			emit_close(info);
		bpf_map_delete_elem(&socks, &key);
	}
	return 0;
}

/*
 * The raw tracepoint is preferred: a perf-attached tracepoint program is
 * skipped, silently, whenever it fires while any other kprobe or tracepoint
 * BPF program runs on that CPU (the kernel's per-CPU bpf_prog_active), which
 * happens to state changes in softirq context: an ACK processed when an
 * interrupt ends during someone else's syscall tracepoint program lost the
 * CLOSE, its net.close and its table entry. A raw tracepoint program is only
 * kept from nesting in itself.
 */
SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(handle_set_state_raw, struct sock *sk, int oldstate, int newstate)
{
	struct tt_net_addrs a;

	if (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != TT_IPPROTO_TCP)
		return 0;
	read_sock_addrs(&a, sk);
	return on_set_state(sk, oldstate, newstate, &a);
}

SEC("tracepoint/sock/inet_sock_set_state")
int handle_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct tt_net_addrs a;

	if (ctx->protocol != TT_IPPROTO_TCP)
		return 0;
	READ_TP_ADDRS(&a, ctx);
	return on_set_state((struct sock *)ctx->skaddr, ctx->oldstate, ctx->newstate, &a);
}

/* ---- accept: the task that takes a passive socket owns it ---- */

static __always_inline int on_accept_exit(long ret)
{
	struct file *file = tt_fd_file(ret); /* the accepted socket's */
	struct socket *sock;
	struct sock_info *info;
	struct tt_net_accept *rec;
	__u64 key;

	if (!file)
		return 0;
	/* Only sockets we saw established are in the map: other files miss. */
	sock = BPF_CORE_READ(file, private_data);
	if (!sock)
		return 0;
	key = (__u64)BPF_CORE_READ(sock, sk);
	info = bpf_map_lookup_elem(&socks, &key);
	if (!info || info->role != TT_NET_ROLE_SERVER || info->owned)
		return 0;
	capture_owner(info);

	if (tt_cfg.failed_only || !info->wanted || !addrs_wanted(&info->addrs))
		return 0;
	rec = tt_reserve_for(TT_NET_ACCEPT, struct tt_net_accept, sock_owner(info));
	if (!rec)
		return 0;
	rec->a = info->addrs;
	rec->queue_ns = rec->h.ts_ns - info->established_ns;
	tt_submit(rec);
	return 0;
}

/* From the dispatcher (tapio.bpf.c): the only syscalls net needs. */
static __always_inline void net_sys_exit(long nr, long ret)
{
	if (nr == TT_NR_accept || nr == TT_NR_accept4)
		on_accept_exit(ret);
}

/* ---- retransmits and resets ---- */

static __always_inline int on_retransmit(struct sock *sk, const struct tt_net_addrs *a, int state, int err)
{
	__u64 key = (__u64)sk;
	struct sock_info *info = bpf_map_lookup_elem(&socks, &key);
	struct tt_net_retransmit *rec;

	if (!info_wanted(info))
		return 0;
	if (!addrs_wanted(a))
		return 0;
	rec = tt_reserve_for(TT_NET_RETRANSMIT, struct tt_net_retransmit, sock_owner(info));
	if (!rec)
		return 0;
	rec->a = *a;
	rec->state = state;
	rec->error = err;
	tt_submit(rec);
	return 0;
}

/*
 * Raw tracepoints first: a perf-attached tracepoint costs an RCU grace
 * period at detach (and see handle_set_state_raw). The record's fields are
 * what the kernel's TP_fast_assign computes from sk.
 */
SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(handle_retransmit_raw, struct sock *sk)
{
	struct tt_net_addrs a;
	int err = 0;

	/* The err argument came with the record's err field (compat.bpf.h). */
	if (tt_retransmit_has_err())
		err = (int)ctx[2];
	read_sock_addrs(&a, sk);
	return on_retransmit(sk, &a, BPF_CORE_READ(sk, __sk_common.skc_state), err);
}

SEC("tracepoint/tcp/tcp_retransmit_skb")
int handle_retransmit(struct trace_event_raw_tcp_retransmit_skb *ctx)
{
	struct tt_net_addrs a;

	READ_TP_ADDRS(&a, ctx);
	return on_retransmit((struct sock *)ctx->skaddr, &a, ctx->state,
			     tt_retransmit_has_err() ? BPF_CORE_READ(ctx, err) : 0);
}

/*
 * tcp_send_reset stores the two ends as struct sockaddr_in/_in6 (28 bytes),
 * the RST's sender (the local side) first, whether or not a socket exists.
 */
static __always_inline void read_sockaddr(__u8 *addr, __u16 *port, __u16 *family, const void *src)
{
	struct sockaddr_in6 sa = {};

	bpf_probe_read_kernel(&sa, sizeof(sa), src);
	*family = sa.sin6_family;
	*port = bpf_ntohs(sa.sin6_port);
	if (sa.sin6_family == TT_AF_INET6)
		__builtin_memcpy(addr, &sa.sin6_addr, 16);
	else if (sa.sin6_family == TT_AF_INET)
		/* struct sockaddr_in: the address follows the port. */
		__builtin_memcpy(addr, &sa.sin6_flowinfo, 4);
}

/*
 * Whether this RST is an active reset (tcp_send_active_reset(): no packet
 * it answers, the socket's own) sent by the task that holds the socket's
 * lock. While a task owns the lock, softirqs and timers leave the socket to
 * it (packets wait in the backlog, timers are deferred), so the current task
 * is the one that closed or aborted. Timers (keepalive, orphan limits) and
 * a listener dropping its unaccepted children send theirs without it.
 * Before 6.10 the tracepoint saw only RSTs answering a packet.
 */
static __always_inline bool rst_from_process(struct sock *sk, const void *skb, bool new_layout)
{
	if (!new_layout || skb || !sk)
		return false;
	return BPF_CORE_READ(sk, sk_lock.owned) != 0;
}

/*
 * The socket's entry learns who reset it; returns it (NULL when the socket
 * is unknown) and in *wanted whether the RST's record passes the filters.
 */
static __always_inline struct sock_info *on_send_reset(__u64 key, bool by_process, bool *wanted)
{
	struct sock_info *info = key ? bpf_map_lookup_elem(&socks, &key) : NULL;

	if (info) {
		if (!info->closed_by)
			info->closed_by = TT_NET_CLOSED_BY_RESET_SENT;
		if (by_process && !info->closer_pid)
			info->closer_pid = bpf_get_current_pid_tgid() >> 32;
	}
	/* A known socket's owner; else the task that sent it, if one did. */
	if (info && info->owned)
		*wanted = info->wanted;
	else if (by_process)
		*wanted = tt_current_wanted();
	else
		*wanted = !task_filters_set();
	return info;
}

static __always_inline void emit_sent_reset(const struct tt_net_addrs *a, int state,
					    const struct sock_info *info, bool by_process)
{
	struct tt_net_reset *rec;

	if (!addrs_wanted(a))
		return;
	/* A reset is critical: never sampled or limited (unless --limit-critical). */
	rec = tt_reserve_critical(TT_NET_RESET, struct tt_net_reset, true);
	if (!rec)
		return;
	/* The socket's owner; else the process that sent it, if one did; else nobody. */
	if (info && info->owned)
		tt_fill_header_for(&rec->h, TT_NET_RESET, sizeof(*rec), &info->owner);
	else if (by_process)
		tt_fill_header(&rec->h, TT_NET_RESET, sizeof(*rec));
	else
		tt_fill_header_for(&rec->h, TT_NET_RESET, sizeof(*rec), NULL);
	rec->a = *a;
	rec->direction = TT_NET_RESET_SENT;
	rec->state = state;
	tt_submit(rec);
}

/* After the RST: a net.close that waited for it goes out. */
static __always_inline void sent_reset_done(__u64 key, struct sock_info *info)
{
	if (info && info->close_pending) {
		emit_close(info);
		bpf_map_delete_elem(&socks, &key);
	}
}

#define TT_TCP_TIME_WAIT 6
#define TT_TCP_NEW_SYN_RECV 12

/*
 * The two ends of an RST as tcp_send_reset's TP_fast_assign (6.10+) stores
 * them, sender first: from a full socket (TP_STORE_ADDR_PORTS), else from
 * the packet it answers, reversed (TP_STORE_ADDR_PORTS_SKB with the ends
 * swapped: the packet's destination sends the RST), else nothing.
 */
static __always_inline void read_reset_ends(struct tt_net_addrs *a, struct sock *sk, struct sk_buff *skb)
{
	int state = sk ? BPF_CORE_READ(sk, __sk_common.skc_state) : 0;

	__builtin_memset(a, 0, sizeof(*a));
	a->protocol = TT_IPPROTO_TCP;
	/* sk_fullsock(): neither a timewait nor a request socket. */
	if (sk && state != TT_TCP_TIME_WAIT && state != TT_TCP_NEW_SYN_RECV) {
		struct inet_sock *inet = (struct inet_sock *)sk;

		a->sport = bpf_ntohs(BPF_CORE_READ(inet, inet_sport));
		a->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (BPF_CORE_READ(sk, __sk_common.skc_family) == TT_AF_INET6) {
			/* inet6_sk(sk)->saddr, not skc_v6_rcv_saddr */
			struct ipv6_pinfo *np = BPF_CORE_READ(inet, pinet6);

			a->family = TT_AF_INET6;
			bpf_core_read(a->saddr, 16, &np->saddr);
			bpf_core_read(a->daddr, 16, &sk->__sk_common.skc_v6_daddr);
		} else {
			a->family = TT_AF_INET;
			BPF_CORE_READ_INTO((__u32 *)a->saddr, inet, inet_saddr);
			BPF_CORE_READ_INTO((__u32 *)a->daddr, sk, __sk_common.skc_daddr);
		}
	} else if (skb) {
		/* ip_hdr(skb) for the addresses, skb->data for the TCP header. */
		unsigned char *head = BPF_CORE_READ(skb, head);
		unsigned char *ip = head + BPF_CORE_READ(skb, network_header);
		__be16 ports[2] = {};
		__u8 version = 0;

		bpf_probe_read_kernel(&version, 1, ip);
		bpf_probe_read_kernel(ports, sizeof(ports), BPF_CORE_READ(skb, data));
		a->sport = bpf_ntohs(ports[1]);
		a->dport = bpf_ntohs(ports[0]);
		if (version >> 4 == 6) {
			a->family = TT_AF_INET6;
			bpf_probe_read_kernel(a->saddr, 16, ip + offsetof(struct ipv6hdr, daddr));
			bpf_probe_read_kernel(a->daddr, 16, ip + offsetof(struct ipv6hdr, saddr));
		} else {
			a->family = TT_AF_INET;
			bpf_probe_read_kernel(a->saddr, 4, ip + offsetof(struct iphdr, daddr));
			bpf_probe_read_kernel(a->daddr, 4, ip + offsetof(struct iphdr, saddr));
		}
	} else {
		return;
	}
	unmap_v4(a);
}

/*
 * Raw tracepoint first (no RCU grace period at detach): the record's
 * fields are read from sk and skb as the kernel's TP_fast_assign reads
 * them. sk may be NULL from 6.10 (an RST answering a packet no socket
 * took), skb is NULL for an active reset.
 */
SEC("raw_tp/tcp_send_reset")
int BPF_PROG(handle_send_reset_raw, struct sock *sk, struct sk_buff *skb)
{
	bool new_layout = tt_send_reset_has_own_record();
	bool by_process = rst_from_process(sk, skb, new_layout);
	__u64 key = (__u64)sk;
	struct sock_info *info;
	struct tt_net_addrs a;
	bool wanted;

	info = on_send_reset(key, by_process, &wanted);
	if (wanted) {
		if (new_layout)
			read_reset_ends(&a, sk, skb);
		else
			read_sock_tuple(&a, sk);
		emit_sent_reset(&a, sk ? BPF_CORE_READ(sk, __sk_common.skc_state) : 0, info, by_process);
	}
	sent_reset_done(key, info);
	return 0;
}

SEC("tracepoint/tcp/tcp_send_reset")
int handle_send_reset(struct trace_event_raw_tcp_send_reset *ctx)
{
	struct trace_event_raw_tcp_event_sk_skb___old *old = (void *)ctx;
	bool new_layout = tt_send_reset_has_own_record();
	/* The old layout is read with probe reads, never merged with ctx loads. */
	__u64 key = new_layout ? (__u64)ctx->skaddr : (__u64)BPF_CORE_READ(old, skaddr);
	bool by_process = new_layout && rst_from_process((struct sock *)ctx->skaddr, ctx->skbaddr, true);
	struct sock_info *info;
	struct tt_net_addrs a = {};
	__u16 family2;
	bool wanted;

	info = on_send_reset(key, by_process, &wanted);
	if (wanted) {
		if (new_layout) {
			read_sockaddr(a.saddr, &a.sport, &a.family, &ctx->saddr);
			read_sockaddr(a.daddr, &a.dport, &family2, &ctx->daddr);
			a.protocol = TT_IPPROTO_TCP;
			unmap_v4(&a);
		} else {
			a.family = BPF_CORE_READ(old, family);
			a.sport = BPF_CORE_READ(old, sport);
			a.dport = BPF_CORE_READ(old, dport);
			a.protocol = TT_IPPROTO_TCP;
			if (a.family == TT_AF_INET6) {
				bpf_probe_read_kernel(a.saddr, 16, &old->saddr_v6);
				bpf_probe_read_kernel(a.daddr, 16, &old->daddr_v6);
			} else {
				bpf_probe_read_kernel(a.saddr, 4, &old->saddr);
				bpf_probe_read_kernel(a.daddr, 4, &old->daddr);
			}
		}
		emit_sent_reset(&a, new_layout ? ctx->state : BPF_CORE_READ(old, state), info, by_process);
	}
	sent_reset_done(key, info);
	return 0;
}

static __always_inline int on_receive_reset(struct sock *sk, const struct tt_net_addrs *a)
{
	__u64 key = (__u64)sk;
	struct sock_info *info = bpf_map_lookup_elem(&socks, &key);
	struct tt_net_reset *rec;

	if (info && !info->closed_by)
		info->closed_by = TT_NET_CLOSED_BY_RESET_RECEIVED;
	if (!info_wanted(info))
		return 0;
	if (!addrs_wanted(a))
		return 0;
	rec = tt_reserve_for_critical(TT_NET_RESET, struct tt_net_reset, sock_owner(info), true);
	if (!rec)
		return 0;
	rec->a = *a;
	rec->direction = TT_NET_RESET_RECEIVED;
	rec->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	tt_submit(rec);
	return 0;
}

/* Raw tracepoints first, for the reason given at handle_set_state_raw. */
SEC("raw_tp/tcp_receive_reset")
int BPF_PROG(handle_receive_reset_raw, struct sock *sk)
{
	struct tt_net_addrs a;

	read_sock_addrs(&a, sk);
	return on_receive_reset(sk, &a);
}

SEC("tracepoint/tcp/tcp_receive_reset")
int handle_receive_reset(struct trace_event_raw_tcp_event_sk *ctx)
{
	struct tt_net_addrs a;

	READ_TP_ADDRS(&a, ctx);
	return on_receive_reset((struct sock *)ctx->skaddr, &a);
}

/*
 * The last word on a socket: the kernel frees it. A net.close still waiting
 * for its RST goes out now, without one; any other entry left (a path that
 * skipped the CLOSE transition) is dropped, so the table never fills with
 * the dead.
 */
static __always_inline int on_destroy_sock(__u64 key)
{
	struct sock_info *info = bpf_map_lookup_elem(&socks, &key);

	if (!info)
		return 0;
	if (info->close_pending)
		emit_close(info);
	bpf_map_delete_elem(&socks, &key);
	return 0;
}

SEC("raw_tp/tcp_destroy_sock")
int BPF_PROG(handle_destroy_sock_raw, struct sock *sk)
{
	return on_destroy_sock((__u64)sk);
}

SEC("tracepoint/tcp/tcp_destroy_sock")
int handle_destroy_sock(struct trace_event_raw_tcp_event_sk *ctx)
{
	return on_destroy_sock((__u64)ctx->skaddr);
}

/* ---- drops ---- */

/*
 * Reads the IP and transport headers of a dropped packet into a (packet
 * source first). Returns false when there is no IP header to read.
 */
static __always_inline bool read_packet(struct sk_buff *skb, __u16 ethertype, struct tt_net_addrs *a)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u32 thoff;
	__u8 proto;
	__be16 ports[2];

	if (nh == (__u16)~0U || !head)
		return false;
	if (ethertype == TT_ETH_P_IP) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return false;
		a->family = TT_AF_INET;
		__builtin_memcpy(a->saddr, &ip.saddr, 4);
		__builtin_memcpy(a->daddr, &ip.daddr, 4);
		proto = ip.protocol;
		thoff = nh + ip.ihl * 4;
		/* Only the first fragment has the ports. */
		if (ip.frag_off & bpf_htons(0x1fff))
			proto = 0;
	} else {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return false;
		a->family = TT_AF_INET6;
		__builtin_memcpy(a->saddr, &ip6.saddr, 16);
		__builtin_memcpy(a->daddr, &ip6.daddr, 16);
		proto = ip6.nexthdr; /* extension headers are not followed */
		thoff = nh + sizeof(ip6);
	}
	a->protocol = proto;
	if ((proto == TT_IPPROTO_TCP || proto == TT_IPPROTO_UDP || proto == TT_IPPROTO_SCTP) &&
	    !bpf_probe_read_kernel(ports, sizeof(ports), head + thoff)) {
		a->sport = bpf_ntohs(ports[0]);
		a->dport = bpf_ntohs(ports[1]);
	}
	return true;
}

static __always_inline void swap_sides(struct tt_net_addrs *a)
{
	__u8 tmp[16];
	__u16 port = a->sport;

	__builtin_memcpy(tmp, a->saddr, 16);
	__builtin_memcpy(a->saddr, a->daddr, 16);
	__builtin_memcpy(a->daddr, tmp, 16);
	a->sport = a->dport;
	a->dport = port;
}

/*
 * Whether a freed packet may be a drop worth a record: a reason other than
 * the normal frees (SKB_CONSUMED, and NOT_SPECIFIED as every plain
 * kfree_skb() says), on IPv4 or IPv6. Nearly every kfree_skb stops here.
 */
static __always_inline bool drop_candidate(__u32 reason, __u16 ethertype)
{
	if (reason <= bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NOT_SPECIFIED))
		return false;
	return ethertype == TT_ETH_P_IP || ethertype == TT_ETH_P_IPV6;
}

/* rx_sk: the receiving socket when the kernel gives one (6.12+), else NULL. */
static __always_inline int on_kfree_skb(struct sk_buff *skb, __u32 reason, __u16 ethertype, struct sock *rx_sk)
{
	struct sock_info *info = NULL;
	struct tt_net_drop *rec;
	struct tt_net_addrs a = {};
	struct sock *sk;
	__u16 direction = TT_NET_DROP_INGRESS;
	__u64 key;

	if (!read_packet(skb, ethertype, &a))
		return 0;

	/*
	 * Which end is local: a packet owned by a socket whose local port is
	 * the packet's source is on its way out; anything else is taken as
	 * arriving, with its destination as the local side.
	 */
	sk = BPF_CORE_READ(skb, sk);
	/*
	 * A TCP segment that its socket received, freed with that socket's
	 * receive queue (sk_stream_kill_queues() when it is destroyed, as when
	 * an orphan takes the peer's FIN into TIME_WAIT; tcp_disconnect()) is
	 * QUEUE_PURGE, but it was delivered: nothing was lost on the way.
	 * Received means it came from the socket's peer; the local port is no
	 * help here, as a closed socket has already given it back (inet_num 0).
	 */
	if (sk && a.protocol == TT_IPPROTO_TCP && tt_is_queue_purge(reason) &&
	    bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport)) == a.sport)
		return 0;
	if (!sk)
		sk = rx_sk;
	if (sk) {
		key = (__u64)sk;
		info = bpf_map_lookup_elem(&socks, &key);
		if (BPF_CORE_READ(sk, __sk_common.skc_num) == a.sport && BPF_CORE_READ(skb, sk))
			direction = TT_NET_DROP_EGRESS;
	}
	if (direction == TT_NET_DROP_INGRESS)
		swap_sides(&a);
	if (!info_wanted(info) || !addrs_wanted(&a))
		return 0;
	rec = tt_reserve_for(TT_NET_DROP, struct tt_net_drop, sock_owner(info));
	if (!rec)
		return 0;
	rec->a = a;
	rec->reason = reason;
	rec->ethertype = ethertype;
	rec->direction = direction;
	tt_submit(rec);
	return 0;
}

/*
 * Raw tracepoint first: no RCU grace period at detach, and see
 * handle_set_state_raw. Its reason and rx_sk arguments came with the
 * record's fields of the same names (5.17, 6.12).
 */
SEC("raw_tp/kfree_skb")
int BPF_PROG(handle_kfree_skb_raw, struct sk_buff *skb)
{
	__u32 reason;
	__u16 ethertype;

	/* Without the reason nothing tells a drop from a free (compat.bpf.h). */
	if (!tt_kfree_skb_has_reason())
		return 0;
	reason = (__u32)ctx[2];
	/* Reason first: it is in ctx, the protocol needs a read. */
	if (reason <= bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NOT_SPECIFIED))
		return 0;
	/* The record's protocol: ntohs(skb->protocol). */
	ethertype = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	if (!drop_candidate(reason, ethertype))
		return 0;
	return on_kfree_skb(skb, reason, ethertype,
			    tt_kfree_skb_has_rx_sk() ? (void *)ctx[3] : NULL);
}

SEC("tracepoint/skb/kfree_skb")
int handle_kfree_skb(struct trace_event_raw_kfree_skb *ctx)
{
	__u16 ethertype = ctx->protocol; /* already host order */
	__u32 reason;

	if (!tt_kfree_skb_has_reason())
		return 0;
	reason = ctx->reason;
	if (!drop_candidate(reason, ethertype))
		return 0;
	return on_kfree_skb((struct sk_buff *)ctx->skbaddr, reason, ethertype,
			    tt_kfree_skb_has_rx_sk() ? (struct sock *)BPF_CORE_READ(ctx, rx_sk) : NULL);
}
