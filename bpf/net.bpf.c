// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Network egress: remember which (process, fd) pairs are connected TCP sockets and where they
 * go, then capture what is written to them. Every write syscall of the host passes through
 * here, so the first thing each write probe does is the one map lookup that tells whether
 * the fd is tracked; untracked writes cost that lookup and nothing else.
 */
#include "budget.bpf.h"
#include "files.bpf.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define EINPROGRESS 115
#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* The filters in front of conns, files and tls_pending: declared in maps.bpf.h, defined here. */
__u32 cw_fd_marks[1u << CW_MARK_BITS];
__u32 cw_tid_marks[1u << CW_MARK_BITS];

struct sockaddr_hdr {
	__u16 family;
	__u16 port; /* network byte order */
};

static __always_inline bool is_loopback(const struct cw_conn *c)
{
	__u8 zero = 0;

	if (c->family == AF_INET)
		return c->daddr[0] == 127;
	/* ::1, or ::ffff:127.x.y.z */
	for (int i = 0; i < 10; i++)
		zero |= c->daddr[i];
	if (zero)
		return false;
	if (c->daddr[10] == 0xff && c->daddr[11] == 0xff)
		return c->daddr[12] == 127;
	return !(c->daddr[10] | c->daddr[11] | c->daddr[12] | c->daddr[13] | c->daddr[14]) &&
	       c->daddr[15] == 1;
}

SEC("tp/syscalls/sys_enter_connect")
int handle_connect_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct cw_connect_args p = {};
	struct sockaddr_hdr sa;
	const void *uaddr = (const void *)ctx->args[1];

	if (bpf_probe_read_user(&sa, sizeof(sa), uaddr))
		return 0;
	if (sa.family == AF_INET) {
		if (bpf_probe_read_user(p.entry.conn.daddr, 4, uaddr + 4))
			return 0;
	} else if (sa.family == AF_INET6) {
		if (bpf_probe_read_user(p.entry.conn.daddr, 16, uaddr + 8))
			return 0;
	} else {
		return 0;
	}
	p.fd = (__u32)ctx->args[0];
	p.entry.conn.family = sa.family;
	p.entry.conn.dport = __builtin_bswap16(sa.port);
	bpf_map_update_elem(&connecting, &tid, &p, BPF_ANY);
	return 0;
}

/* Is f a TCP socket? */
static __always_inline bool file_is_tcp(struct file *f)
{
	struct socket *sock;
	__u16 proto;

	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return false;
	sock = BPF_CORE_READ(f, private_data);
	proto = BPF_CORE_READ(sock, sk, sk_protocol);
	return proto == IPPROTO_TCP;
}

SEC("tp/syscalls/sys_exit_connect")
int handle_connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct cw_connect_args *p = bpf_map_lookup_elem(&connecting, &tid);
	struct cw_conn_key key;
	struct cw_conn_event *e;
	long ret = ctx->ret;
	struct file *f;

	if (!p)
		return 0;
	if (ret != 0 && ret != -EINPROGRESS)
		goto out;
	f = cw_fd_file(p->fd);
	if (!file_is_tcp(f))
		goto out;
	key.tgid = id >> 32;
	key.fd = p->fd;
	p->entry.conn.id = bpf_ktime_get_ns();
	p->entry.ident = cw_file_ident(f);
	if (is_loopback(&p->entry.conn)) {
		if (!cw_include_loopback)
			goto out;
		p->entry.conn.flags |= CW_CONN_LOOPBACK;
	}
	if (!bpf_map_update_elem(&conns, &key, &p->entry, BPF_ANY))
		cw_mark_raise(cw_fd_mark(key.tgid, key.fd));
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		cw_count_drop(CW_EV_CONN);
		goto out;
	}
	cw_fill_hdr(&e->hdr, CW_EV_CONN);
	e->pid = key.tgid;
	e->tid = tid;
	e->fd = key.fd;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->conn = p->entry.conn;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, cw_rb_flags());
out:
	bpf_map_delete_elem(&connecting, &tid);
	return 0;
}

/* The connection at key ended (its fd closed, or is another file now): tell the agent. */
static __always_inline void conn_gone(struct cw_conn_key *key, __u32 *mark, __u64 conn_id)
{
	struct cw_close_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	struct cw_conn_entry *c;

	if (e) {
		cw_fill_hdr(&e->hdr, CW_EV_CLOSE);
		e->pid = key->tgid;
		e->fd = key->fd;
		e->conn_id = conn_id;
		bpf_ringbuf_submit(e, cw_rb_flags());
	} else {
		cw_count_drop(CW_EV_CLOSE);
	}
	/*
	 * Only the entry that ended: another thread may have made a new connection at this fd
	 * since the caller looked it up (what is left of that race is the few instructions
	 * between this lookup and the delete).
	 */
	c = bpf_map_lookup_elem(&conns, key);
	if (c && c->conn.id == conn_id && !bpf_map_delete_elem(&conns, key))
		cw_mark_lower(mark);
}

SEC("tp/syscalls/sys_enter_close")
int handle_close(struct trace_event_raw_sys_enter *ctx)
{
	struct cw_conn_key key = { .tgid = bpf_get_current_pid_tgid() >> 32,
				   .fd = (__u32)ctx->args[0] };
	__u32 *mark = cw_fd_mark(key.tgid, key.fd);
	struct cw_conn_entry *c;

	if (!*mark)
		return 0;
	c = bpf_map_lookup_elem(&conns, &key);
	if (c)
		conn_gone(&key, mark, c->conn.id);
	/* a file tracked at this fd too, after the connection's socket went without a close() */
	cw_file_closed(key.tgid, key.fd);
	return 0;
}

/*
 * The tracked connection for fd, if its payload is wanted. The hot path: keep it short. An
 * entry whose fd is another file now (closed on exec, or by an exit the agent has not handled
 * yet before the pid was reused) is gone.
 */
static __always_inline struct cw_conn *tracked(__u32 fd)
{
	struct cw_conn_key key = { .tgid = bpf_get_current_pid_tgid() >> 32, .fd = fd };
	__u32 *mark = cw_fd_mark(key.tgid, fd);
	struct cw_conn_entry *c;

	if (!*mark)
		return NULL;
	c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		return NULL;
	if (c->ident != cw_file_ident(cw_fd_file(fd))) {
		conn_gone(&key, mark, c->conn.id);
		return NULL;
	}
	if (c->conn.flags & CW_CONN_NO_PAYLOAD)
		return NULL;
	return &c->conn;
}

/*
 * A TLS write in progress on this thread makes this socket write: tell the agent which fd
 * (and connection) the TLS session writes to.
 */
static __always_inline void tls_bind(__u32 fd)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, *tmark = cw_tid_mark(tid);
	struct cw_conn_key key = { .tgid = id >> 32, .fd = fd };
	struct cw_tls_pending *p;
	struct cw_conn_entry *c;
	struct cw_bind_event *e;
	struct file *f;

	if (!*tmark)
		return;
	p = bpf_map_lookup_elem(&tls_pending, &tid);
	if (!p)
		return;
	/* Only a TCP socket write binds: a log line the thread writes in between does not. */
	f = cw_fd_file(fd);
	if (!file_is_tcp(f))
		return;
	if (bpf_ktime_get_ns() - p->ktime_ns < CW_TLS_BIND_WINDOW_NS) {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (e) {
			cw_fill_hdr(&e->hdr, CW_EV_BIND);
			e->pid = key.tgid;
			e->tid = tid;
			e->fd = fd;
			e->source = p->source;
			e->pad = 0;
			e->key = p->key;
			/* the connection made on this socket, not a stale entry at its number */
			c = *cw_fd_mark(key.tgid, fd) ? bpf_map_lookup_elem(&conns, &key) : NULL;
			e->conn_id = c && c->ident == cw_file_ident(f) ? c->conn.id : 0;
			bpf_ringbuf_submit(e, cw_rb_flags());
			{
				struct cw_session_key sk = { .key = p->key, .tgid = key.tgid };
				__u64 now = bpf_ktime_get_ns();

				bpf_map_update_elem(&tls_bound, &sk, &now, BPF_ANY);
			}
		} else {
			cw_count_drop(CW_EV_BIND);
		}
	}
	if (!bpf_map_delete_elem(&tls_pending, &tid))
		cw_mark_lower(tmark);
}

/*
 * A connection on which a TLS ClientHello is written carries ciphertext after it: the
 * ClientHello is copied (the agent reads the server name in it), nothing after it. Usually
 * it is the first write; on a tunnel (an HTTP proxy's CONNECT, SOCKS, STARTTLS) it follows
 * plaintext. The first write needs only a handshake record's start; a later one a record
 * holding a ClientHello (handshake type 1), so that a plaintext body is not taken for one.
 * Decided at the write, copied or not (a ClientHello lost to a full ring buffer must not leave
 * the connection copied), so that no one else writes the entry. avail: the bytes at buf.
 */
static __always_inline void stop_if_tls(struct cw_conn *c, __u64 buf, __u64 avail)
{
	bool first = !c->budget.last_len;
	__u8 h[6] = {};

	if (avail < (first ? 3 : 6) || bpf_probe_read_user(h, first ? 3 : 6, (const void *)buf))
		return;
	if (h[0] == 0x16 && h[1] == 0x03 && h[2] <= 0x04 && (first || h[5] == 1))
		c->flags |= CW_CONN_NO_PAYLOAD;
}

static __always_inline int on_buf(__u32 fd, const char *buf, __u64 len)
{
	struct cw_conn *c;

	tls_bind(fd);
	c = tracked(fd);
	if (!c || !len)
		return 0;
	stop_if_tls(c, (__u64)buf, len);
	cw_capture_write(&c->budget, c->id, fd, CW_SRC_TCP, (__u64)buf, len);
	return 0;
}

SEC("tp/syscalls/sys_enter_write")
int handle_write(struct trace_event_raw_sys_enter *ctx)
{
	return on_buf((__u32)ctx->args[0], (const char *)ctx->args[1], ctx->args[2]);
}

SEC("tp/syscalls/sys_enter_sendto")
int handle_sendto(struct trace_event_raw_sys_enter *ctx)
{
	return on_buf((__u32)ctx->args[0], (const char *)ctx->args[1], ctx->args[2]);
}

/*
 * A writev/sendmsg's iovecs, read once, and what the copy needs to know of them. Per CPU, not
 * on the stack: the h2 frame follower's calls below iov_send leave little of the 512-byte
 * combined stack (kernels of the 6.1 line count it stricter still).
 */
struct iov_scratch {
	struct cw_iovec_user v[CW_IOV_MAX];
	__u64 iovcnt;  /* the call's */
	__u64 total;   /* bytes in the iovecs read */
	__u64 head;    /* the first non-empty iovec: where the write's bytes start */
	__u64 headlen; /* and its length */
	__u32 seen;    /* iovecs read */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct iov_scratch);
} iov_scratch SEC(".maps");

/*
 * Copy what is due of the iovecs in sc, written on fd whose tracked connection is c, on a
 * stream whose frames are not followed. Global: the verifier checks it once, not once for
 * every state the loop that read the iovecs ends in (those made writev and sendmsg near the
 * million instructions the verifier may process).
 */
__noinline int iov_send(struct cw_conn *c, struct iov_scratch *sc, __u32 fd)
{
	__u32 sent = 0;
	__u64 total, cap, head, headlen, skip, seen;

	if (!c || !sc)
		return 0;
	total = sc->total;
	head = sc->head;
	headlen = sc->headlen;
	seen = sc->seen;
	/* a request line or frame header is looked for in the first non-empty iovec */
	cap = cw_capture_len(total, c->budget.captured, &c->budget.last_len, head, headlen, &skip);
	/* iovecs not looked at (past CW_IOV_MAX, unreadable): count them as a hole, maybe empty */
	if (seen < sc->iovcnt)
		total++;
	if (skip) { /* an h2 HEADERS frame deep in the first iovec: that frame alone */
		c->budget.gap = 1;
		if (cap > headlen - skip)
			cap = headlen - skip;
		if (cw_data_start(c->id, fd, CW_SRC_TCP, CW_DATA_GAP))
			sent = (__u32)cw_emit_data(head + skip, cap, headlen, (__u32)skip);
		cw_gap_after(&c->budget.gap, sent, total - skip);
		c->budget.captured += sent;
		return 0;
	}
	/* Each iovec's chunks carry that iovec's length as their total. */
	if (!cap || !cw_data_start(c->id, fd, CW_SRC_TCP, cw_gap_flag(&c->budget.gap))) {
		cw_gap_after(&c->budget.gap, 0, total);
		return 0;
	}

	for (__u32 i = 0; i < CW_IOV_MAX; i++) {
		__u64 want, len;

		if (i >= seen || sent >= cap)
			break;
		len = sc->v[i].len;
		want = len < cap - sent ? len : cap - sent;
		if (want) {
			__u32 n = (__u32)cw_emit_data((__u64)sc->v[i].base, want, len, sent);

			sent += n;
			if (n < want)
				break; /* the rest would be joined across a hole */
		}
	}
	cw_gap_after(&c->budget.gap, sent, total);
	c->budget.captured += sent;
	return 0;
}

/* An iovec write on fd, whose tracked connection is c. */
static __always_inline int on_iov(__u32 fd, const struct cw_iovec_user *iov, __u64 iovcnt,
				  struct cw_conn *c)
{
	__u32 zero = 0;
	struct iov_scratch *sc = bpf_map_lookup_elem(&iov_scratch, &zero);
	struct cw_iovec_user *v;

	if (!sc)
		return 0;
	v = sc->v;
	sc->iovcnt = iovcnt;
	sc->total = sc->head = sc->headlen = 0;
	sc->seen = 0;
	/* The iovecs, read once: the write's length (for the budget), then what to copy. */
	for (__u32 i = 0; i < CW_IOV_MAX; i++) {
		if (i >= iovcnt || bpf_probe_read_user(&v[i], sizeof(v[i]), &iov[i]))
			break;
		sc->total += v[i].len;
		sc->seen++;
		/* where the write's bytes start: its first non-empty iovec */
		if (!sc->headlen && v[i].len) {
			sc->head = (__u64)v[i].base;
			sc->headlen = v[i].len;
		}
	}
	if (!sc->total) /* nothing to send: nothing changes */
		return 0;
	stop_if_tls(c, sc->head, sc->headlen);
	if (cw_h2_followed(&c->budget, sc->head, sc->headlen)) {
		/* frames are followed in one buffer: the write in a single iovec */
		if (sc->headlen == sc->total && sc->seen == iovcnt) {
			cw_h2_capture(&c->budget, c->id, fd, CW_SRC_TCP, sc->head, sc->total);
			return 0;
		}
		cw_h2_count(1);
		c->budget.h2 = CW_H2_LOST;
	}
	return iov_send(c, sc, fd);
}

SEC("tp/syscalls/sys_enter_writev")
int handle_writev(struct trace_event_raw_sys_enter *ctx)
{
	__u32 fd = (__u32)ctx->args[0];
	struct cw_conn *c;

	tls_bind(fd);
	c = tracked(fd);
	if (!c)
		return 0;
	return on_iov(fd, (const struct cw_iovec_user *)ctx->args[1], ctx->args[2], c);
}

SEC("tp/syscalls/sys_enter_sendmsg")
int handle_sendmsg(struct trace_event_raw_sys_enter *ctx)
{
	__u32 fd = (__u32)ctx->args[0];
	const struct user_msghdr *msg = (const struct user_msghdr *)ctx->args[1];
	const struct cw_iovec_user *iov;
	__u64 iovlen;
	struct cw_conn *c;

	tls_bind(fd);
	c = tracked(fd);
	/* the two fields, not the whole header: the stack is for the calls below */
	if (!c || bpf_probe_read_user(&iov, sizeof(iov), &msg->msg_iov) ||
	    bpf_probe_read_user(&iovlen, sizeof(iovlen), &msg->msg_iovlen))
		return 0;
	return on_iov(fd, iov, iovlen, c);
}
