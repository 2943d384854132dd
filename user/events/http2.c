// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
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
static int inflate_block(struct cw_h2 *h, cw_h2_out out, void *arg, char *authority, size_t cap)
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
			if (authority && !authority[0] && nv.namelen == 10 &&
			    !memcmp(nv.name, ":authority", 10))
				snprintf(authority, cap, "%.*s", (int)nv.valuelen, nv.value);
			n = snprintf(line, sizeof(line), "%.*s: %.*s\r\n", (int)nv.namelen, nv.name,
				     (int)nv.valuelen, nv.value);
			if (n > 0 &&
			    (ret = out(line,
				       (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1,
				       arg)))
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
static int frame_done(struct cw_h2 *h, cw_h2_out out, void *arg, char *authority, size_t cap)
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
	return h->flags & F_END_HEADERS ? inflate_block(h, out, arg, authority, cap) : 0;
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

int cw_h2_feed(struct cw_h2 *h, const char *buf, size_t n, cw_h2_out out, void *arg,
	       char *authority, size_t cap)
{
	const unsigned char *p = (const unsigned char *)buf;
	int ret;

	if (h->broken)
		return -EPROTO;
	while (n) {
		if (h->preface < CW_H2_PREFACE_LEN) {
			size_t take = CW_H2_PREFACE_LEN - h->preface < n
					      ? CW_H2_PREFACE_LEN - h->preface
					      : n;

			if (memcmp(p, CW_H2_PREFACE + h->preface, take))
				goto broken;
			h->preface += take;
			p += take;
			n -= take;
			continue;
		}
		if (h->remaining == 0 && h->hdr_len < 9) {
			h->hdr[h->hdr_len++] = *p++;
			n--;
			if (h->hdr_len < 9)
				continue;
			h->remaining = (uint32_t)h->hdr[0] << 16 | h->hdr[1] << 8 | h->hdr[2];
			h->type = h->hdr[3];
			h->flags = h->hdr[4];
			h->plen = 0;
			h->data_pad = 0;
			h->pad_pending =
				h->type == H2_DATA && (h->flags & F_PADDED) && h->remaining;
			if ((h->type == H2_HEADERS || h->type == H2_CONTINUATION) &&
			    h->remaining > CW_H2_BLOCK_MAX)
				goto broken;
			if (h->remaining == 0) {
				h->hdr_len = 0;
				if ((h->type == H2_HEADERS || h->type == H2_CONTINUATION) &&
				    (ret = frame_done(h, out, arg, authority, cap)))
					goto fail;
			}
			continue;
		}
		size_t take = h->remaining < n ? h->remaining : n;

		if (h->pad_pending) { /* a padded DATA frame: its pad length, not data */
			h->data_pad = *p++;
			n--;
			h->pad_pending = false;
			if (h->data_pad > --h->remaining)
				goto broken;
			if (h->remaining == 0)
				h->hdr_len = 0;
			continue;
		}
		if (h->type == H2_HEADERS || h->type == H2_CONTINUATION) {
			memcpy(h->payload + h->plen, p, take);
			h->plen += take;
		} else if (h->type == H2_DATA) {
			/* the data, not the padding after it: a secret can go on in the next frame
			 */
			size_t data = h->remaining > h->data_pad ? h->remaining - h->data_pad : 0;

			if (data && (ret = out((const char *)p, take < data ? take : data, arg)))
				return ret;
		}
		p += take;
		n -= take;
		h->remaining -= (uint32_t)take;
		if (h->remaining == 0) {
			h->hdr_len = 0;
			if ((h->type == H2_HEADERS || h->type == H2_CONTINUATION) &&
			    (ret = frame_done(h, out, arg, authority, cap)))
				goto fail;
		}
	}
	return 0;
fail:
	if (ret != -EPROTO)
		return ret;
broken:
	h->broken = true;
	return -EPROTO;
}
