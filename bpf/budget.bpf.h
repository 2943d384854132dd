/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What of a write to a stream (a TCP connection, a TLS session) is copied: the payload cap,
 * and past the stream's payload budget the heads of writes and of requests; an HTTP/2 client
 * stream has its frames followed instead (h2.bpf.h). For net.bpf.c and tls.bpf.c.
 */
#ifndef CREDWATCH_BUDGET_BPF_H
#define CREDWATCH_BUDGET_BPF_H

#include "h2.bpf.h"

/* The length of the HTTP/1 method (user/events/protocol.c's set) the 8 bytes at b start with, space
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
	__u8 b[16] = {}; /* 12 read; the rest so that any masked index is in bounds */
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
		m = cw_bound(m, 15);	   /* b[m] in bounds for the verifier */
		if (m == 8 && b[0] == 'C') /* CONNECT: an authority, host:port */
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
static __always_inline __u64 cw_capture_len(__u64 len, __u64 captured, __u32 *last_len, __u64 buf,
					    __u64 avail, __u64 *skip)
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
		if (*skip >= len) /* cannot be: the frame is within the write */
			return 0;
		len -= *skip;
	}
	return len < cap ? len : cap;
}

/*
 * Copy what is due of a write of len bytes at buf (one buffer: write, sendto, a TLS write) on
 * the stream b, as conn_id/fd/source; returns the bytes sent.
 */
static __always_inline __u64 cw_capture_write(struct cw_budget *b, __u64 conn_id, __u32 fd,
					      __u16 source, __u64 buf, __u64 len)
{
	__u64 want, skip, sent = 0;

	if (cw_h2_followed(b, buf, len))
		return cw_h2_capture(b, conn_id, fd, source, buf, len);
	want = cw_capture_len(len, b->captured, &b->last_len, buf, len, &skip);
	if (skip) /* the bytes before an h2 HEADERS frame deep in the write */
		b->gap = 1;
	if (want && cw_data_start(conn_id, fd, source, cw_gap_flag(&b->gap)))
		sent = (__u64)cw_emit_data(buf + skip, want, len, (__u32)skip);
	cw_gap_after(&b->gap, sent, len - skip);
	b->captured += sent;
	return sent;
}

#endif /* CREDWATCH_BUDGET_BPF_H */
