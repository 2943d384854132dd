/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* What the capture probes share: payload capture into data events (network and watched
 * files), and pending TLS writes. */
#ifndef CREDWATCH_EGRESS_BPF_H
#define CREDWATCH_EGRESS_BPF_H

#include "common.bpf.h"

/*
 * When each TLS session was last bound to its socket. A bound session skips the bind work
 * on its following writes for CW_TLS_REBIND_NS: the socket a session writes to does not change
 * within a connection, and the bind work on every TLS write (a connection lookup and a walk
 * task->files->socket) cost as much as the capture. Short, because a freed session object's
 * address is soon reused by the next session, which must bind again: the agent also forgets
 * a session's entry when its socket closes, and a bind to another fd re-targets the session.
 */
#define CW_TLS_REBIND_NS (100ull * 1000 * 1000)

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CW_SESSIONS_MAX);
	__type(key, struct cw_session_key);
	__type(value, __u64);
} tls_bound SEC(".maps") __weak;

/* Set by the agent before load. */
const volatile __u32 cw_payload_cap __weak = CW_PAYLOAD_CAP_DEFAULT;
const volatile __u64 cw_payload_budget __weak = CW_PAYLOAD_BUDGET_DEFAULT;	/* 0: none */

/*
 * How much of a write past the payload budget to copy when it starts a request: an HTTP/1
 * request line ("PUT /x", "CONNECT host:443") gets CW_REQUEST_HEAD bytes, an HTTP/2 HEADERS or
 * CONTINUATION frame on a client stream its whole frame; 0 when the write at buf (more than
 * CW_HEAD_CAPTURE bytes) starts with neither. A request's headers can be longer than the
 * CW_HEAD_CAPTURE head other writes get (a bearer JWT alone is often 1–2 KiB), and a client
 * that writes a request's headers with its body in one large write (Python's http.client
 * does with a bytes body) writes it right after the previous request's large writes: it is
 * not the middle of a bulk transfer. Both shapes are unlikely by chance in the middle of
 * one (about 1 in 10^6 for random bytes).
 */
static __always_inline __u32 cw_request_head(__u64 buf)
{
	__u8 b[12];
	__u32 flen;

	if (!buf || bpf_probe_read_user(b, sizeof(b), (const void *)buf))
		return 0;
	/* h2: 24-bit length up to the default maximum frame size, type HEADERS (1) or
	 * CONTINUATION (9), only their flags (END_STREAM, END_HEADERS, PADDED, PRIORITY),
	 * reserved bit clear, an odd (client) stream */
	flen = (__u32)b[0] << 16 | (__u32)b[1] << 8 | b[2];
	if ((b[3] == 1 || b[3] == 9) && flen && flen <= 16384 && !(b[4] & ~0x2d) &&
	    !(b[5] & 0x80) && (b[8] & 1))
		return 9 + flen;
	/* HTTP/1: a method of 3 to 7 capital letters, one space, then a visible character */
	for (int i = 0; i < 9; i++) {
		if (b[i] == ' ')
			return i >= 3 && b[i + 1] > ' ' && b[i + 1] < 0x7f ? CW_REQUEST_HEAD : 0;
		if (b[i] < 'A' || b[i] > 'Z')
			return 0;
	}
	return 0;
}

/*
 * Bytes to capture of a write of len bytes at buf, on a stream that has had `captured` so
 * far and whose previous write was last_len bytes long (updated here). Past the budget: the
 * head of a write (longer when it starts a request: cw_request_head), and nothing of a large
 * write that follows another large one unless it starts a request (else it is the middle of
 * a bulk transfer: a request starts after a short write, or starts the stream).
 */
static __always_inline __u64 cw_capture_len(__u64 len, __u64 captured, __u32 *last_len,
					    __u64 buf)
{
	__u64 cap = cw_payload_cap, prev = *last_len, head;

	*last_len = len < 0xffffffffull ? (__u32)len : 0xffffffffu;
	if (cw_payload_budget && captured >= cw_payload_budget) {
		head = len > CW_HEAD_CAPTURE ? cw_request_head(buf) : 0;
		if (!head && len >= CW_BULK_WRITE && prev >= CW_BULK_WRITE)
			return 0;
		if (head < CW_HEAD_CAPTURE)
			head = CW_HEAD_CAPTURE;
		if (cap > head)
			cap = head;
	}
	return len < cap ? len : cap;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cw_data_scratch);
} data_scratch SEC(".maps") __weak;

/* TLS writes waiting for their socket write, by thread (see tls.bpf.c). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct cw_tls_pending);
} tls_pending SEC(".maps") __weak;

/*
 * Send up to `want` bytes of buf as data events of at most CW_CHUNK_MAX each; `offset` is
 * where buf starts within the write. The caller has filled the scratch event's identity
 * (cw_data_start). Returns the bytes sent. A global function: the verifier checks it once,
 * not once per call site and loop iteration of its callers.
 */
__weak __noinline int cw_emit_data(__u64 buf, __u64 want, __u64 total, __u32 offset)
{
	__u32 zero = 0, done = 0;
	struct cw_data_scratch *s = bpf_map_lookup_elem(&data_scratch, &zero);

	if (!s)
		return 0;
	for (int i = 0; i < CW_CHUNKS_PER_WRITE; i++) {
		__u32 n;

		if (done >= want)
			break;
		n = want - done > CW_CHUNK_MAX ? CW_CHUNK_MAX : (__u32)(want - done);
		/* n in [1, CW_CHUNK_MAX], in a form the verifier can bound */
		n = cw_bound(n - 1, CW_CHUNK_MAX - 1) + 1;
		if (bpf_probe_read_user(s->data, n, (const void *)(buf + done)))
			break;
		/* the type cw_data_start chose: network or file data */
		cw_fill_hdr(&s->ev.hdr, s->ev.hdr.type);
		s->ev.len = n;
		s->ev.offset = offset + done;
		s->ev.total = total;
		if (bpf_ringbuf_output(&events, s, sizeof(s->ev) + n, cw_rb_flags())) {
			cw_count_drop(s->ev.hdr.type);
			break;
		}
		done += n;
	}
	return (int)done;
}

/*
 * Holes in a stream. *gap is set when bytes of a write were not sent (the payload budget, a
 * full ring buffer, an unreadable buffer); the next data sent carries CW_DATA_GAP so that the
 * agent does not join what comes before and after the hole, and clears the mark.
 */
static __always_inline __u16 cw_gap_flag(const __u32 *gap)
{
	return *gap ? CW_DATA_GAP : 0;
}

/* After a write of len bytes of which sent went out (its first chunk carried the flag). */
static __always_inline void cw_gap_after(__u32 *gap, __u64 sent, __u64 len)
{
	if (sent)
		*gap = 0;
	if (sent < len)
		*gap = 1;
}

/* Fill the identity of the data events about to be sent; false when there is no scratch. */
static __always_inline bool cw_data_start(__u64 conn_id, __u32 fd, __u16 source, __u16 flags)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 zero = 0;
	struct cw_data_scratch *s = bpf_map_lookup_elem(&data_scratch, &zero);

	if (!s)
		return false;
	s->ev.hdr.type = source == CW_SRC_FILE ? CW_EV_FILE_DATA : CW_EV_DATA;
	s->ev.pid = id >> 32;
	s->ev.tid = (__u32)id;
	s->ev.fd = fd;
	s->ev.uid = (__u32)bpf_get_current_uid_gid();
	s->ev.cgroup_id = bpf_get_current_cgroup_id();
	s->ev.conn_id = conn_id;
	s->ev.source = source;
	s->ev.flags = flags;
	s->ev.pad = 0;
	bpf_get_current_comm(s->ev.comm, sizeof(s->ev.comm));
	return true;
}

#endif /* CREDWATCH_EGRESS_BPF_H */
