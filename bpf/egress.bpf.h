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

/* The length of the HTTP/1 method (user/proto.c's set) the 8 bytes at b start with, space
 * included, or 0. */
static __always_inline __u32 cw_http_method(const __u8 *b)
{
	__u32 w = (__u32)b[0] | (__u32)b[1] << 8 | (__u32)b[2] << 16 | (__u32)b[3] << 24;

#define CW_W(s) ((__u32)(s)[0] | (__u32)(s)[1] << 8 | (__u32)(s)[2] << 16 | (__u32)(s)[3] << 24)
	if (w == CW_W("GET ") || w == CW_W("PUT "))
		return 4;
	if ((w == CW_W("POST") || w == CW_W("HEAD")) && b[4] == ' ')
		return 5;
	if ((w == CW_W("PATC") && b[4] == 'H' && b[5] == ' ') ||
	    (w == CW_W("TRAC") && b[4] == 'E' && b[5] == ' '))
		return 6;
	if (w == CW_W("DELE") && b[4] == 'T' && b[5] == 'E' && b[6] == ' ')
		return 7;
	if ((w == CW_W("OPTI") && b[4] == 'O' && b[5] == 'N' && b[6] == 'S' && b[7] == ' ') ||
	    (w == CW_W("CONN") && b[4] == 'E' && b[5] == 'C' && b[6] == 'T' && b[7] == ' '))
		return 8;
#undef CW_W
	return 0;
}

/*
 * How much of a write past the payload budget to copy when it starts a request: an HTTP/1
 * request line ("PUT /x", "GET http://...", "CONNECT host:443") gets CW_REQUEST_HEAD bytes, an
 * HTTP/2 HEADERS frame on a client stream its whole frame; 0 when the `avail` bytes at buf
 * (the write, or its first non-empty iovec) start with neither. A request's headers can be
 * longer than the CW_HEAD_CAPTURE head other writes get (a bearer JWT alone is often 1–2 KiB),
 * and a client that writes a request's headers with its body in one large write (curl does
 * with a `--data` body under 64 KiB) writes it right after the previous request's large
 * writes: it is not the middle of a bulk transfer. The HTTP/1 shape is a known method, a
 * space and the start of a request target; the h2 one a frame header with a HEADERS type,
 * its flags only and an odd stream (a server's push and its responses on odd streams match
 * too). A CONTINUATION frame is not taken: after a hole its header block's start is gone.
 */
static __always_inline __u32 cw_request_head(__u64 buf, __u64 avail)
{
	__u8 b[16] = {};	/* 12 read; the rest so that any masked index is in bounds */
	__u32 flen, m;

	if (!buf || avail < 9)
		return 0;
	/* a frame header alone can be an iovec of its own: 9 bytes are enough for h2 */
	if (bpf_probe_read_user(b, avail >= 12 ? 12 : 9, (const void *)buf))
		return 0;
	/* h2: 24-bit length up to the default maximum frame size, HEADERS (1), only its flags
	 * (END_STREAM, END_HEADERS, PADDED, PRIORITY), reserved bit clear, an odd stream */
	flen = (__u32)b[0] << 16 | (__u32)b[1] << 8 | b[2];
	if (b[3] == 1 && flen && flen <= 16384 && !(b[4] & ~0x2d) && !(b[5] & 0x80) && (b[8] & 1))
		return 9 + flen;
	m = cw_http_method(b);
	if (!m || avail < 12)
		return 0;
	m = cw_bound(m, 15);	/* b[m] in bounds for the verifier */
	if (m == 8 && b[0] == 'C')	/* CONNECT: an authority, host:port */
		return b[m] > ' ' && b[m] < 0x7f ? CW_REQUEST_HEAD : 0;
	return b[m] == '/' || b[m] == '*' || b[m] == 'h' ? CW_REQUEST_HEAD : 0;
}

/*
 * Bytes to capture of a write of len bytes at buf, on a stream that has had `captured` so
 * far and whose previous write was last_len bytes long (updated here). Past the budget: the
 * head of a write (longer when it starts a request: cw_request_head), and nothing of a large
 * write that follows another large one unless it starts a request (else it is the middle of
 * a bulk transfer: a request starts after a short write, or starts the stream).
 */
static __always_inline __u64 cw_capture_len(__u64 len, __u64 captured, __u32 *last_len,
					    __u64 buf, __u64 avail)
{
	__u64 cap = cw_payload_cap, prev = *last_len, head;

	*last_len = len < 0xffffffffull ? (__u32)len : 0xffffffffu;
	if (cw_payload_budget && captured >= cw_payload_budget) {
		head = len > CW_HEAD_CAPTURE ? cw_request_head(buf, avail) : 0;
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
