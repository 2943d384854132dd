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

/* Frames looked past, from a write's start, for an h2 HEADERS frame later in the write. */
#define CW_H2_WALK 8

/*
 * The 9-byte h2 frame header at b, of flen bytes, is a HEADERS frame that starts a request:
 * up to the default maximum frame size, HEADERS (1), only its flags (END_STREAM, END_HEADERS,
 * PADDED, PRIORITY), reserved bit clear, an odd stream (a server's push and its responses on
 * odd streams match too). A CONTINUATION frame is not taken: after a hole its header block's
 * start is gone.
 */
static __always_inline bool cw_h2_request_frame(const __u8 *b, __u32 flen)
{
	return b[3] == 1 && flen && flen <= 16384 && !(b[4] & ~0x2d) && !(b[5] & 0x80) &&
	       (b[8] & 1);
}

/*
 * How much of a write past the payload budget to copy because it holds a request's start;
 * 0 when the `avail` bytes at buf (the write, or its first non-empty iovec) hold none. A
 * request's headers can be longer than the CW_HEAD_CAPTURE head other writes get (a bearer
 * JWT alone is often 1–2 KiB), and a client that writes a request's headers with its body in
 * one large write (curl does with a `--data` body under 64 KiB) writes it right after the
 * previous request's large writes: it is not the middle of a bulk transfer.
 *
 * An HTTP/1 request line at the start ("PUT /x", "GET http://...", "CONNECT host:443": a known
 * method, a space and the start of a request target) gets CW_REQUEST_HEAD bytes. An h2 HEADERS
 * frame gets its whole frame: at the start, or after up to CW_H2_WALK other frames that start
 * the write (a stream's last DATA, WINDOW_UPDATE, a SETTINGS ack: an h2 client puts whatever
 * frames are ready into one write). Then the bytes from the write's start to the frame's end
 * are copied when that is at most CW_REQUEST_HEAD, else the frame alone: *skip is set to the
 * bytes before it, which are not copied.
 */
static __always_inline __u32 cw_request_head(__u64 buf, __u64 avail, __u64 *skip)
{
	__u8 b[16] = {};	/* 12 read; the rest so that any masked index is in bounds */
	__u64 off = 0;
	__u32 flen, m;

	if (!buf || avail < 9)
		return 0;
	/* a frame header alone can be an iovec of its own: 9 bytes are enough for h2 */
	if (bpf_probe_read_user(b, avail >= 12 ? 12 : 9, (const void *)buf))
		return 0;
	flen = (__u32)b[0] << 16 | (__u32)b[1] << 8 | b[2];
	if (cw_h2_request_frame(b, flen))
		return 9 + flen;
	m = cw_http_method(b);
	if (m) {
		if (avail < 12)
			return 0;
		m = cw_bound(m, 15);	/* b[m] in bounds for the verifier */
		if (m == 8 && b[0] == 'C')	/* CONNECT: an authority, host:port */
			return b[m] > ' ' && b[m] < 0x7f ? CW_REQUEST_HEAD : 0;
		return b[m] == '/' || b[m] == '*' || b[m] == 'h' ? CW_REQUEST_HEAD : 0;
	}
	for (int i = 0; i < CW_H2_WALK; i++) {
		/* a frame of a known type (DATA to CONTINUATION), reserved bit clear */
		if (b[3] > 9 || (b[5] & 0x80))
			return 0;
		off += 9 + flen;
		if (off + 9 > avail || bpf_probe_read_user(b, 9, (const void *)(buf + off)))
			return 0;
		flen = (__u32)b[0] << 16 | (__u32)b[1] << 8 | b[2];
		if (cw_h2_request_frame(b, flen)) {
			if (off + 9 + flen <= CW_REQUEST_HEAD)
				return (__u32)off + 9 + flen;
			*skip = off;
			return 9 + flen;
		}
	}
	return 0;
}

/*
 * Bytes to capture of a write of len bytes at buf, on a stream that has had `captured` so
 * far and whose previous write was last_len bytes long (updated here): from *skip bytes into
 * the write (0 but for an h2 HEADERS frame deep in a write past the budget, cw_request_head).
 * Past the budget: the head of a write (more when it holds a request's start), and nothing
 * of a large write that follows another large one unless it holds a request's start (else it
 * is the middle of a bulk transfer: a request starts after a short write, or starts the
 * stream).
 */
static __always_inline __u64 cw_capture_len(__u64 len, __u64 captured, __u32 *last_len,
					    __u64 buf, __u64 avail, __u64 *skip)
{
	__u64 cap = cw_payload_cap, prev = *last_len, head;

	*skip = 0;
	*last_len = len < 0xffffffffull ? (__u32)len : 0xffffffffu;
	if (cw_payload_budget && captured >= cw_payload_budget) {
		head = len > CW_HEAD_CAPTURE ? cw_request_head(buf, avail, skip) : 0;
		if (!head && len >= CW_BULK_WRITE && prev >= CW_BULK_WRITE)
			return 0;
		if (head < CW_HEAD_CAPTURE && !*skip)
			head = CW_HEAD_CAPTURE;
		if (cap > head)
			cap = head;
		if (*skip >= len)	/* cannot be: the frame is within the write */
			return 0;
		len -= *skip;
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
		/* the hole is before the first chunk sent, which may not start the write */
		s->ev.flags &= ~CW_DATA_GAP;
	}
	return (int)done;
}

/*
 * Holes in a stream. *gap is set when bytes of a write were not sent (the payload budget, a
 * full ring buffer, an unreadable buffer); the first chunk of the next data sent carries
 * CW_DATA_GAP so that the agent does not join what comes before and after the hole, and
 * clears the mark.
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
