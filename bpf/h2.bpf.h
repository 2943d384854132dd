/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * HTTP/2 client streams, followed frame by frame. A stream whose first write starts with the
 * client preface has its frames followed from write to write (where the next frame header
 * starts, in cw_budget.h2_next), so that past the payload budget every header block frame
 * (HEADERS, CONTINUATION) is copied wherever it is in a write, with the first CW_HEAD_CAPTURE
 * bytes after a HEADERS frame (the start of a request's body), and nothing else. Clients batch
 * frames and cut their writes anywhere (a 4 KiB or 32 KiB buffer flushed when full), so a
 * request's HEADERS frame is often neither at a write's start nor in one write. Each copied
 * region starts at a frame; the first chunk after a hole carries CW_DATA_GAP and the agent's
 * decoder expects a frame there. A frame header cut by a write's end is kept (h2_part) and
 * completed by the next write; more than CW_H2_FOLLOW_MAX frames in one write, or a frame
 * header a client may not send (cw_h2_client_frame), lose the boundaries: the stream is
 * CW_H2_LOST and is handled like any other (cw_capture_len). Past the payload cap within a
 * write, header block frames are copied the same way.
 */
#ifndef CREDWATCH_H2_BPF_H
#define CREDWATCH_H2_BPF_H

#include "capture.bpf.h"

#define CW_H2_PREFACE_BYTES 24 /* "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" */
#define CW_H2_FOLLOW_MAX 512

static __always_inline void cw_h2_count(__u32 which)
{
	__u64 *n = bpf_map_lookup_elem(&h2_streams, &which);

	if (n)
		*n += 1;
}

/* One write of an h2 client stream being copied. */
struct cw_h2_write {
	__u64 buf, len;
	__u64 off;	 /* the next frame header, from buf */
	__u64 from;	 /* bytes before this are copied already */
	__u64 rs, re;	 /* a region to copy, [rs, re); re == 0: none */
	__u64 contig;	 /* the stream is copied without a hole up to here; ~0: not */
	__u64 copy_next; /* bytes of a header block frame (or the body after a HEADERS
			  * frame's end) that start the next write */
	__u64 sent;
	__u64 conn_id;
	__u32 fd;
	__u16 source;
	__u8 started;
	__u8 lost;
	__u8 part[8];	   /* a frame header's first bytes, from the write before */
	__u8 next_part[8]; /* the first bytes of one this write ends in */
	__u8 part_len, next_part_len;
	__u8 gap_before; /* the write before was not copied to its end */
	__u8 pad[5];
};

/*
 * The write being followed, per CPU, not on the stack: the programs that follow h2 frames
 * call six frames deep (program > cw_h2_follow > cw_h2_step under bpf_loop > cw_h2_frame >
 * cw_h2_copy > cw_emit_data), and kernels of the 6.1 line count each frame rounded up to 32
 * bytes against the 512 the chain may use (with this on the stack, a TLS write program's
 * chain was at 512 there). Only one write is followed at a time on a CPU: tracing programs do
 * not nest.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cw_h2_write);
} h2_write SEC(".maps") __weak;

/* The scratch data event, its identity filled at the write's first copy; NULL: none. */
static __always_inline struct cw_data_scratch *cw_h2_scratch(struct cw_h2_write *w)
{
	__u32 zero = 0;

	if (!w->started) {
		if (!cw_data_start(w->conn_id, w->fd, w->source, 0))
			return NULL;
		w->started = 1;
	}
	return bpf_map_lookup_elem(&data_scratch, &zero);
}

/*
 * Send bytes [rs, re) of the write (at most CW_PAYLOAD_CAP_MAX: a header block frame is sent
 * whole, even past the payload cap), after a hole unless they follow what was sent last; rs is
 * a frame's start unless it follows. Global, as the step below: the verifier checks each once,
 * not once per state of every field of the write.
 */
__weak __noinline int cw_h2_copy(struct cw_h2_write *w, __u64 rs, __u64 re)
{
	struct cw_data_scratch *s;
	__u64 n;

	if (!w)
		return 0;
	if (re > w->len)
		re = w->len;
	if (re > rs + CW_PAYLOAD_CAP_MAX)
		re = rs + CW_PAYLOAD_CAP_MAX;
	if (re <= rs)
		return 0;
	s = cw_h2_scratch(w);
	if (!s) {
		w->contig = ~0ull;
		return 0;
	}
	if (rs == w->contig)
		s->ev.flags &= ~CW_DATA_GAP;
	else
		s->ev.flags |= CW_DATA_GAP;
	n = (__u64)cw_emit_data(w->buf + rs, re - rs, w->len, (__u32)rs);
	w->sent += n;
	w->contig = n == re - rs ? re : ~0ull;
	return 0;
}

/*
 * Send the first bytes of a frame header, which the write before ended in and which were not
 * sent with it (kept in w->part): after a hole, and what the write has of the frame follows
 * them. Once: w->gap_before is cleared when they are sent (left set when they could not be).
 */
__weak __noinline int cw_h2_copy_part(struct cw_h2_write *w)
{
	struct cw_data_scratch *s;
	__u32 n;

	if (!w)
		return 0;
	n = w->part_len;
	if (!w->gap_before || !n) /* sent with the write before, or nothing */
		return 0;
	s = cw_h2_scratch(w);
	if (!s)
		return 0;
	n = cw_bound(n - 1, 7) + 1;
	for (int j = 0; j < 8; j++)
		s->data[j] = w->part[j];
	cw_fill_hdr(&s->ev.hdr, s->ev.hdr.type);
	s->ev.flags |= CW_DATA_GAP;
	s->ev.len = n;
	s->ev.offset = 0;
	s->ev.total = w->len;
	if (bpf_ringbuf_output(&events, s, sizeof(s->ev) + n, cw_rb_flags())) {
		cw_count_drop(s->ev.hdr.type);
		return 0;
	}
	s->ev.flags &= ~CW_DATA_GAP;
	w->sent += n;
	w->contig = 0;
	w->gap_before = 0; /* sent: what follows it in this write is joined to it */
	return 0;
}

/*
 * Whether the 9 bytes at h, of a frame of flen bytes, can be the header of a frame an HTTP/2
 * client sends (RFC 9113 section 6: each type's streams, lengths and flags). Every frame of a
 * stream followed from its preface passes; bytes taken for a frame header after the position
 * was lost (a write the kernel saw but the socket did not take whole, a TLS write retried)
 * seldom do, and the stream then stops being followed rather than reading on out of step.
 * Extension frames are taken as they come. A frame may be as long as its 24-bit length says
 * (a server may allow 16 MiB).
 */
static __always_inline bool cw_h2_client_frame(const __u8 *h, __u64 flen)
{
	__u32 sid = ((__u32)h[5] & 0x7f) << 24 | (__u32)h[6] << 16 | (__u32)h[7] << 8 | h[8];
	__u8 f = h[4];

	if (h[5] & 0x80)
		return false;
	switch (h[3]) {
	case 0: /* DATA: END_STREAM, PADDED */ return (sid & 1) && !(f & ~0x09);
	case 1: /* HEADERS: END_STREAM, END_HEADERS, PADDED, PRIORITY */
		return (sid & 1) && !(f & ~0x2d);
	case 2: /* PRIORITY */ return sid && flen == 5;
	case 3: /* RST_STREAM */ return sid && flen == 4;
	case 4: /* SETTINGS, or its ACK */ return !sid && !(f & ~1) && (f ? !flen : flen % 6 == 0);
	case 5: /* PUSH_PROMISE: servers only */ return false;
	case 6: /* PING */ return !sid && flen == 8 && !(f & ~1);
	case 7: /* GOAWAY */ return !sid && flen >= 8;
	case 8: /* WINDOW_UPDATE */ return flen == 4;
	case 9: /* CONTINUATION: END_HEADERS */ return (sid & 1) && !(f & ~0x04);
	default: /* extension frames, on any stream (RFC 9113 section 5.5) */ return true;
	}
}

/*
 * For a stream whose frames are not followed, past its budget (cw_request_head, budget.bpf.h):
 * the 9-byte h2 frame header at b, of flen bytes, is a HEADERS frame that starts a request:
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

/* One frame of the write: a header block frame is added to the region. 1: the last. */
__weak __noinline int cw_h2_frame(struct cw_h2_write *w)
{
	__u64 flen, end, rs, re, pl, start;
	__u8 h[9], t[16] = {};

	if (!w)
		return 1;
	pl = w->part_len;
	if (pl) { /* the frame header started in the write before: its rest starts this one */
		__u64 need = 8 - cw_bound((__u32)pl - 1, 7); /* 9 - pl, pl in [1, 8] */

		if (need > w->len) { /* and goes on into the next: keep what this one has */
			if (bpf_probe_read_user(t, cw_bound((__u32)w->len - 1, 7) + 1,
						(const void *)w->buf)) {
				w->lost = 1;
				return 1;
			}
			for (int j = 0; j < 8; j++)
				w->next_part[j] = (__u64)j < pl ? w->part[j] : t[(j - pl) & 15];
			w->next_part_len = (__u8)(pl + w->len);
			w->off = w->len;
			return 1;
		}
		if (bpf_probe_read_user(t, cw_bound((__u32)need - 1, 7) + 1,
					(const void *)w->buf)) {
			w->lost = 1;
			return 1;
		}
		for (int j = 0; j < 9; j++)
			h[j] = (__u64)j < pl ? w->part[j & 7] : t[(j - pl) & 15];
		end = need;
	} else {
		if (w->off >= w->len)
			return 1;
		if (w->off + 9 > w->len) { /* a header the next write completes */
			__u32 n = (__u32)(w->len - w->off);

			if (bpf_probe_read_user(w->next_part, cw_bound(n - 1, 7) + 1,
						(const void *)(w->buf + w->off))) {
				w->lost = 1;
				return 1;
			}
			w->next_part_len = (__u8)n;
			w->off = w->len;
			return 1;
		}
		if (bpf_probe_read_user(h, sizeof(h), (const void *)(w->buf + w->off))) {
			w->lost = 1;
			return 1;
		}
		end = w->off + 9;
	}
	flen = (__u64)h[0] << 16 | (__u64)h[1] << 8 | h[2];
	if (!cw_h2_client_frame(h, flen)) {
		w->lost = 1;
		return 1;
	}
	start = w->off;
	end += flen;
	w->off = end;
	if (h[3] != 1 && h[3] != 9) {
		w->part_len = 0;
		return 0;
	}
	/* a header block frame: its header's first bytes first when they are still to send */
	if (pl) {
		cw_h2_copy_part(w);
		w->part_len = 0;
		if (w->gap_before) /* could not be sent: the rest alone is no frame */
			return 0;
	}
	/* from its start, or where the head copied so far ends if that was sent */
	rs = start < w->from && w->contig == w->from ? w->from : start;
	re = h[3] == 1 ? end + CW_HEAD_CAPTURE : end;
	/* its rest, or the start of the body after it, starts the next write */
	if (re > w->len)
		w->copy_next = re - w->len < CW_PAYLOAD_CAP_MAX ? re - w->len : CW_PAYLOAD_CAP_MAX;
	if (w->re && rs <= w->re && re <= w->rs + CW_PAYLOAD_CAP_MAX) {
		if (re > w->re)
			w->re = re;
	} else if (re > rs) {
		if (w->re) {
			if (w->re > rs) /* the region before ends where this frame starts */
				w->re = rs;
			cw_h2_copy(w, w->rs, w->re);
		}
		w->rs = rs;
		w->re = re;
	}
	return 0;
}

/* bpf_loop's callback: the next frame of the write in h2_write. */
static long cw_h2_step(__u64 i __attribute__((unused)), void *ctx __attribute__((unused)))
{
	__u32 zero = 0;
	struct cw_h2_write *w = bpf_map_lookup_elem(&h2_write, &zero);

	return !w || cw_h2_frame(w) ? 1 : 0;
}

/*
 * Whether the stream is an h2 client stream whose frames are followed: decided at its first
 * write, by the preface.
 */
static __always_inline bool cw_h2_followed(struct cw_budget *b, __u64 buf, __u64 avail)
{
	__u64 w;

	if (!b->last_len && !b->h2 && avail >= 8 &&
	    !bpf_probe_read_user(&w, 8, (const void *)buf) &&
	    w == 0x5448202a20495250ull) { /* "PRI * HT", little-endian */
		b->h2 = CW_H2_FOLLOWED;
		b->h2_next = CW_H2_PREFACE_BYTES;
		cw_h2_count(0);
	}
	return b->h2 == CW_H2_FOLLOWED;
}

/*
 * Copy what is due of the write w (its buf, len and identity filled) on a followed h2 stream
 * b (cw_h2_followed): within the budget the write's first cw_payload_cap bytes, and past them
 * or past the budget its header block frames. Returns the bytes sent. Global: verified once,
 * not once for every state its callers reach it in (writev and sendmsg reach it after a loop
 * over iovecs).
 */
__weak __noinline int cw_h2_follow(struct cw_budget *b, struct cw_h2_write *w)
{
	__u64 hs = 0, he = 0, len;

	if (!b || !w)
		return 0;
	len = w->len;
	w->off = b->h2_next;
	w->contig = b->gap ? ~0ull : 0;
	w->gap_before = b->gap ? 1 : 0;
	w->copy_next = !b->gap && b->h2_copy > len ? b->h2_copy - len : 0;
	w->part_len = b->h2_part_len;
	__builtin_memcpy(w->part, b->h2_part, sizeof(w->part));
	if (!cw_payload_budget || b->captured < cw_payload_budget)
		he = len < cw_payload_cap ? len : cw_payload_cap;
	/* the rest of a header block frame whose start the write before sent */
	if (!b->gap && b->h2_copy > he)
		he = b->h2_copy < len ? b->h2_copy : len;
	if (b->gap && he) { /* after a hole the copy starts at a frame */
		if (b->h2_part_len) {
			cw_h2_copy_part(w);
			if (w->gap_before)
				he = 0;
		} else {
			hs = b->h2_next;
		}
	}
	if (he > hs) {
		cw_h2_copy(w, hs, he);
		w->from = he;
		/* not sent whole: a cut header's kept bytes go again, before its frame's rest */
		if (w->contig != he)
			w->gap_before = 1;
	}
	bpf_loop(CW_H2_FOLLOW_MAX, cw_h2_step, NULL, 0);
	if (w->re)
		cw_h2_copy(w, w->rs, w->re);
	if (w->off < len) /* more frames than followed in one write */
		w->lost = 1;
	if (w->contig != len) /* a frame's rest is worth sending only after its start */
		w->copy_next = 0;
	if (w->lost) {
		cw_h2_count(1);
		b->h2 = CW_H2_LOST;
		b->h2_next = 0;
		b->h2_copy = 0;
		b->h2_part_len = 0;
	} else {
		b->h2_next = (__u32)(w->off - len);
		b->h2_copy = (__u32)w->copy_next;
		b->h2_part_len = w->next_part_len;
		__builtin_memcpy(b->h2_part, w->next_part, sizeof(b->h2_part));
	}
	b->last_len = len < 0xffffffffull ? (__u32)len : 0xffffffffu;
	b->gap = w->contig != len;
	b->captured += w->sent;
	return (int)w->sent;
}

/* cw_h2_follow of a write of len bytes at buf, as conn_id/fd/source. */
static __always_inline __u64 cw_h2_capture(struct cw_budget *b, __u64 conn_id, __u32 fd,
					   __u16 source, __u64 buf, __u64 len)
{
	__u32 zero = 0;
	struct cw_h2_write *w = bpf_map_lookup_elem(&h2_write, &zero);

	if (!w) /* cannot be: an array's one entry */
		return 0;
	__builtin_memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->len = len;
	w->conn_id = conn_id;
	w->fd = fd;
	w->source = source;
	return (__u64)cw_h2_follow(b, w);
}

#endif /* CREDWATCH_H2_BPF_H */
