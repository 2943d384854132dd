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
#include "egress.bpf.h"

/* The BPF_KPROBE wrappers hand every body a ctx it need not use. */
#pragma clang diagnostic ignored "-Wunused-parameter"

/* Bytes captured per TLS session (process, session object), for the payload budget. */
struct session_key {
	__u64 key;
	__u32 tgid;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CW_SESSIONS_MAX);
	__type(key, struct session_key);
	__type(value, __u64);
} tls_captured SEC(".maps");

static __always_inline int tls_write(__u64 key, const void *buf, __s64 len, __u16 source)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct cw_tls_pending p = { .key = key, .source = source };
	struct session_key sk = { .key = key, .tgid = id >> 32 };
	__u64 want, zero = 0, *captured;

	if (len <= 0 || !buf || !cw_data_start(key, (__u32)-1, source))
		return 0;
	captured = bpf_map_lookup_elem(&tls_captured, &sk);
	if (!captured) {
		bpf_map_update_elem(&tls_captured, &sk, &zero, BPF_NOEXIST);
		captured = bpf_map_lookup_elem(&tls_captured, &sk);
	}
	want = cw_capture_len((__u64)len, captured ? *captured : 0);
	want = (__u64)cw_emit_data((__u64)buf, want, (__u64)len, 0);
	if (captured)
		*captured += want;
	p.ktime_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&tls_pending, &tid, &p, BPF_ANY);
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
