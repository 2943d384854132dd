// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * TLS plaintext: entry probes on the write functions of OpenSSL/BoringSSL, GnuTLS, NSS and Go
 * crypto/tls, attached by the agent to every library or binary that has them (found by ELF
 * symbol; no struct offsets anywhere). The plaintext is sent at entry, keyed by the session
 * object; the next write the same thread makes to a TCP socket binds that key to an fd
 * (net.bpf.c): inside the call for libraries that write as they go, right after it for those
 * that write through memory BIOs from an event loop (node). No return probes: they are
 * costly, and they corrupt Go stacks. (BPF_KPROBE reads the arguments of any pt_regs probe.)
 */
#include "budget.bpf.h"

/* The BPF_KPROBE wrappers hand every body a ctx it need not use. */
#pragma clang diagnostic ignored "-Wunused-parameter"

/*
 * Set only in the variant bench/tls_overhead builds beside the agent: the write probes return
 * at once, so that run measures what the probes cost before their programs do anything (the
 * trap, the syscall probes) and, by difference, what the programs cost.
 */
#ifndef CW_BENCH_EMPTY_TLS
#define CW_BENCH_EMPTY_TLS 0
#endif

static __always_inline int tls_write(__u64 key, const void *buf, __s64 len, __u16 source)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct cw_tls_pending p = { .key = key, .source = source };
	struct cw_session_key sk = { .key = key, .tgid = id >> 32 };
	struct cw_budget zero = {}, *b;

	if (CW_BENCH_EMPTY_TLS || len <= 0 || !buf)
		return 0;
	b = bpf_map_lookup_elem(&tls_captured, &sk);
	if (!b) {
		bpf_map_update_elem(&tls_captured, &sk, &zero, BPF_NOEXIST);
		b = bpf_map_lookup_elem(&tls_captured, &sk);
	}
	/* no entry (the map full of sessions this instant): this write alone */
	cw_capture_write(b ? b : &zero, key, (__u32)-1, source, (__u64)buf, (__u64)len);
	/* Recently bound: no socket write needs to tell which fd this is. */
	__u64 *bound = bpf_map_lookup_elem(&tls_bound, &sk);

	if (bound && bpf_ktime_get_ns() - *bound < CW_TLS_REBIND_NS)
		return 0;
	p.ktime_ns = bpf_ktime_get_ns();
	/*
	 * Raise the thread's slot only for a new entry. One already there raised it, and only a
	 * delete lowers it (an LRU eviction of it in between leaves it raised for this one).
	 */
	bool had = bpf_map_lookup_elem(&tls_pending, &tid);

	if (!bpf_map_update_elem(&tls_pending, &tid, &p, BPF_ANY) && !had)
		cw_mark_raise(cw_tid_mark(tid));
	return 0;
}

/* int SSL_write(SSL *ssl, const void *buf, int num); SSL_write_ex has the same first three. */
SEC("uprobe")
int BPF_KPROBE(openssl_write, void *ssl, const void *buf, int num)
{
	return tls_write((__u64)ssl, buf, num, CW_SRC_OPENSSL);
}

/* ssize_t gnutls_record_send(gnutls_session_t session, const void *data, size_t size); */
SEC("uprobe")
int BPF_KPROBE(gnutls_send, void *session, const void *data, __u64 size)
{
	return tls_write((__u64)session, data, (__s64)size, CW_SRC_GNUTLS);
}

/* PRInt32 PR_Write(PRFileDesc *fd, const void *buf, PRInt32 amount); PR_Send likewise. */
SEC("uprobe")
int BPF_KPROBE(nss_write, void *fd, const void *buf, int amount)
{
	return tls_write((__u64)fd, buf, amount, CW_SRC_NSS);
}

/*
 * func (c *Conn) Write(b []byte) (int, error), Go register ABI (1.17+) on x86_64: c in RAX,
 * b's pointer in RBX and its length in RCX.
 */
SEC("uprobe")
int go_tls_write(struct pt_regs *ctx)
{
	return tls_write(ctx->ax, (const void *)ctx->bx, (__s64)ctx->cx, CW_SRC_GO);
}

/*
 * Inbound plaintext (--capture-inbound): the buffer is filled by the time the read returns,
 * so the entry probe keeps its address (tls_reads) and the return probe copies what was read.
 * Libraries in C only: return probes corrupt Go stacks.
 */
static __always_inline int read_enter(__u64 key, __u64 buf, __u64 readbytes, __u16 source)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct cw_tls_read_args r = {
		.key = key, .buf = buf, .readbytes = readbytes, .source = source
	};

	if (!cw_capture_inbound || !buf)
		return 0;
	bpf_map_update_elem(&tls_reads, &tid, &r, BPF_ANY);
	return 0;
}

static __always_inline int read_return(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct cw_tls_read_args *r = bpf_map_lookup_elem(&tls_reads, &tid);
	__u64 n = 0, want;

	if (!r)
		return 0;
	if (r->readbytes) {
		if (ret == 1)
			bpf_probe_read_user(&n, sizeof(n), (const void *)r->readbytes);
	} else if (ret > 0) {
		n = (__u64)ret;
	}
	if (n && cw_data_start(r->key, (__u32)-1, r->source, CW_DATA_INBOUND)) {
		want = n < cw_payload_cap ? n : cw_payload_cap;
		cw_emit_data(r->buf, want, n, 0);
	}
	bpf_map_delete_elem(&tls_reads, &tid);
	return 0;
}

/* int SSL_read(SSL *ssl, void *buf, int num) */
SEC("uprobe")
int BPF_KPROBE(openssl_read, void *ssl, void *buf)
{
	return read_enter((__u64)ssl, (__u64)buf, 0, CW_SRC_OPENSSL);
}

/* int SSL_read_ex(SSL *ssl, void *buf, size_t num, size_t *readbytes) */
SEC("uprobe")
int BPF_KPROBE(openssl_read_ex, void *ssl, void *buf, __u64 num, __u64 *readbytes)
{
	return read_enter((__u64)ssl, (__u64)buf, (__u64)readbytes, CW_SRC_OPENSSL);
}

/* ssize_t gnutls_record_recv(gnutls_session_t session, void *data, size_t size) */
SEC("uprobe")
int BPF_KPROBE(gnutls_recv, void *session, void *data)
{
	return read_enter((__u64)session, (__u64)data, 0, CW_SRC_GNUTLS);
}

SEC("uretprobe")
int BPF_KRETPROBE(tls_read_ret, long ret)
{
	return read_return(ret);
}
