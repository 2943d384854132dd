// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The HTTP/2 client-stream decoder (see http2.h): frames are followed byte by byte, so a
 * frame may be split anywhere across writes; HPACK is nghttp2's inflater.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "events/http2.h"

enum { H2_DATA = 0, H2_HEADERS = 1, H2_CONTINUATION = 9 };
enum { F_END_HEADERS = 0x4, F_PADDED = 0x8, F_PRIORITY = 0x20 };

struct cw_h2 {
	nghttp2_hd_inflater *inf;
	size_t preface;	      /* preface bytes seen */
	unsigned char hdr[9]; /* the frame header being read */
	size_t hdr_len;
	uint32_t remaining; /* payload bytes of the current frame still to come */
	uint8_t type, flags;
	unsigned char *payload; /* HEADERS/CONTINUATION payload being gathered */
	size_t plen;
	unsigned char *block; /* the header block across CONTINUATIONs */
	size_t blen;
	bool in_block;	  /* a HEADERS frame began a block not yet ended */
	bool pad_pending; /* a padded DATA frame's pad length byte is next */
	uint8_t data_pad; /* padding bytes that end the current DATA frame */
	bool broken;
};

/* Where decoded bytes go, and where the first :authority is kept (authority may be NULL). */
struct sink {
	cw_h2_out out;
	void *arg;
	char *authority;
	size_t cap;
};

struct cw_h2 *cw_h2_new(void)
{
	struct cw_h2 *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->payload = malloc(CW_H2_BLOCK_MAX);
	h->block = malloc(CW_H2_BLOCK_MAX);
	if (!h->payload || !h->block || nghttp2_hd_inflate_new(&h->inf)) {
		cw_h2_free(h);
		return NULL;
	}
	return h;
}

void cw_h2_free(struct cw_h2 *h)
{
	if (!h)
		return;
	if (h->inf)
		nghttp2_hd_inflate_del(h->inf);
	free(h->payload);
	free(h->block);
	free(h);
}

/* Decode a complete header block into "name: value\r\n" lines. */
static int inflate_block(struct cw_h2 *h, const struct sink *sk)
{
	const unsigned char *in = h->block;
	size_t left = h->blen;
	char line[8192];

	for (;;) {
		nghttp2_nv nv;
		int flags = 0, n, ret;
		ssize_t used = nghttp2_hd_inflate_hd2(h->inf, &nv, &flags, (uint8_t *)in, left, 1);

		if (used < 0)
			return -EPROTO;
		in += used;
		left -= (size_t)used;
		if (flags & NGHTTP2_HD_INFLATE_EMIT) {
			if (sk->authority && !sk->authority[0] && nv.namelen == 10 &&
			    !memcmp(nv.name, ":authority", 10))
				snprintf(sk->authority, sk->cap, "%.*s", (int)nv.valuelen,
					 nv.value);
			n = snprintf(line, sizeof(line), "%.*s: %.*s\r\n", (int)nv.namelen, nv.name,
				     (int)nv.valuelen, nv.value);
			if (n > 0 &&
			    (ret = sk->out(line,
					   (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1,
					   sk->arg)))
				return ret;
		}
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(h->inf);
			return 0;
		}
		if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && left == 0)
			return 0;
	}
}

/* A whole HEADERS or CONTINUATION payload has arrived. */
static int frame_done(struct cw_h2 *h, const struct sink *sk)
{
	const unsigned char *p = h->payload;
	size_t n = h->plen, pad = 0;

	if (h->type == H2_HEADERS) {
		if (h->flags & F_PADDED) {
			if (n < 1)
				return -EPROTO;
			pad = p[0];
			p++;
			n--;
		}
		if (h->flags & F_PRIORITY) {
			if (n < 5)
				return -EPROTO;
			p += 5;
			n -= 5;
		}
		if (pad > n)
			return -EPROTO;
		n -= pad;
		h->blen = 0;
		h->in_block = true;
	} else if (!h->in_block) {
		return 0; /* a CONTINUATION whose HEADERS was lost to a hole: no block to add to */
	}
	if (h->flags & F_END_HEADERS)
		h->in_block = false;
	if (h->blen + n > CW_H2_BLOCK_MAX)
		return -EPROTO;
	memcpy(h->block + h->blen, p, n);
	h->blen += n;
	return h->flags & F_END_HEADERS ? inflate_block(h, sk) : 0;
}

void cw_h2_gap(struct cw_h2 *h)
{
	h->hdr_len = 0;
	h->remaining = 0;
	h->plen = 0;
	h->blen = 0;
	h->in_block = false;
	h->pad_pending = false;
	h->data_pad = 0;
}

static bool is_header_block(uint8_t type)
{
	return type == H2_HEADERS || type == H2_CONTINUATION;
}

/* The stream stops making sense: everything after is ignored. */
static int broken(struct cw_h2 *h)
{
	h->broken = true;
	return -EPROTO;
}

/* The current frame's payload has all come: the next byte starts a frame header. */
static int frame_end(struct cw_h2 *h, const struct sink *sk)
{
	int ret;

	h->hdr_len = 0;
	if (!is_header_block(h->type))
		return 0;
	ret = frame_done(h, sk);
	return ret == -EPROTO ? broken(h) : ret;
}

static int feed_preface(struct cw_h2 *h, const unsigned char **p, size_t *n)
{
	size_t take = CW_H2_PREFACE_LEN - h->preface < *n ? CW_H2_PREFACE_LEN - h->preface : *n;

	if (memcmp(*p, CW_H2_PREFACE + h->preface, take))
		return broken(h);
	h->preface += take;
	*p += take;
	*n -= take;
	return 0;
}

/* One byte of a frame header; its ninth starts the frame. */
static int feed_frame_header(struct cw_h2 *h, const unsigned char **p, size_t *n,
			     const struct sink *sk)
{
	h->hdr[h->hdr_len++] = *(*p)++;
	(*n)--;
	if (h->hdr_len < 9)
		return 0;
	h->remaining = (uint32_t)h->hdr[0] << 16 | h->hdr[1] << 8 | h->hdr[2];
	h->type = h->hdr[3];
	h->flags = h->hdr[4];
	h->plen = 0;
	h->data_pad = 0;
	h->pad_pending = h->type == H2_DATA && (h->flags & F_PADDED) && h->remaining;
	if (is_header_block(h->type) && h->remaining > CW_H2_BLOCK_MAX)
		return broken(h);
	return h->remaining ? 0 : frame_end(h, sk);
}

/* A padded DATA frame's first byte: its pad length, not data. */
static int feed_pad_length(struct cw_h2 *h, const unsigned char **p, size_t *n,
			   const struct sink *sk)
{
	h->data_pad = *(*p)++;
	(*n)--;
	h->pad_pending = false;
	if (h->data_pad > --h->remaining)
		return broken(h);
	return h->remaining ? 0 : frame_end(h, sk);
}

/*
 * Payload bytes: a header block's are gathered; a DATA frame's go out as they come, but not
 * its padding (a secret can go on in the next frame). What out returns is returned as it is.
 */
static int feed_payload(struct cw_h2 *h, const unsigned char **p, size_t *n, const struct sink *sk)
{
	size_t take = h->remaining < *n ? h->remaining : *n;
	int ret;

	if (is_header_block(h->type)) {
		memcpy(h->payload + h->plen, *p, take);
		h->plen += take;
	} else if (h->type == H2_DATA) {
		size_t data = h->remaining > h->data_pad ? h->remaining - h->data_pad : 0;

		if (data && (ret = sk->out((const char *)*p, take < data ? take : data, sk->arg)))
			return ret;
	}
	*p += take;
	*n -= take;
	h->remaining -= (uint32_t)take;
	return h->remaining ? 0 : frame_end(h, sk);
}

int cw_h2_feed(struct cw_h2 *h, const char *buf, size_t n, cw_h2_out out, void *arg,
	       char *authority, size_t cap)
{
	const struct sink sk = { out, arg, authority, cap };
	const unsigned char *p = (const unsigned char *)buf;
	int ret = 0;

	if (h->broken)
		return -EPROTO;
	while (n && !ret) {
		if (h->preface < CW_H2_PREFACE_LEN)
			ret = feed_preface(h, &p, &n);
		else if (h->remaining == 0 && h->hdr_len < 9)
			ret = feed_frame_header(h, &p, &n, &sk);
		else if (h->pad_pending)
			ret = feed_pad_length(h, &p, &n, &sk);
		else
			ret = feed_payload(h, &p, &n, &sk);
	}
	return ret;
}
