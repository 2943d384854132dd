// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The HTTP/2 client-stream decoder: HPACK headers out as lines, and resuming after a hole. */
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "events/http2.h"
#include "test.h"
#include "testutil.h"

struct sink {
	char buf[16384];
	size_t n;
};

static int collect(const char *buf, size_t n, void *arg)
{
	struct sink *s = arg;

	if (s->n + n < sizeof(s->buf)) {
		memcpy(s->buf + s->n, buf, n);
		s->n += n;
		s->buf[s->n] = '\0';
	}
	return 0;
}

static size_t frame_header(unsigned char *p, size_t len, uint8_t type, uint8_t flags,
			   uint32_t stream)
{
	p[0] = (unsigned char)(len >> 16);
	p[1] = (unsigned char)(len >> 8);
	p[2] = (unsigned char)len;
	p[3] = type;
	p[4] = flags;
	p[5] = (unsigned char)(stream >> 24);
	p[6] = (unsigned char)(stream >> 16);
	p[7] = (unsigned char)(stream >> 8);
	p[8] = (unsigned char)stream;
	return 9;
}

/* A HEADERS frame (END_HEADERS) for stream with an HPACK block, Huffman-coded by nghttp2. */
static size_t headers_frame(nghttp2_hd_deflater *d, unsigned char *out, size_t cap, uint32_t stream,
			    const char *token)
{
	char auth[128];
	nghttp2_nv nv[] = {
		{ (uint8_t *)":method", (uint8_t *)"GET", 7, 3, 0 },
		{ (uint8_t *)":path", (uint8_t *)"/", 5, 1, 0 },
		{ (uint8_t *)"authorization", (uint8_t *)auth, 13, 0, NGHTTP2_NV_FLAG_NO_INDEX },
	};
	ssize_t n;

	snprintf(auth, sizeof(auth), "Bearer %s", token);
	nv[2].valuelen = strlen(auth);
	n = nghttp2_hd_deflate_hd(d, out + 9, cap - 9, nv, 3);
	if (n <= 0)
		return 0;
	frame_header(out, (size_t)n, 0x1, 0x4, stream);
	return 9 + (size_t)n;
}

static void run(bool with_gap, struct sink *s, const char *first, const char *second)
{
	char want[160];
	struct cw_h2 *h = cw_h2_new();
	nghttp2_hd_deflater *d = NULL;
	unsigned char buf[4096], data[1000];
	char authority[64] = "";
	size_t n;

	REQUIRE(h);
	REQUIRE(nghttp2_hd_deflate_new(&d, 4096) == 0);
	CHECK_EQ_INT(cw_h2_feed(h, CW_H2_PREFACE, CW_H2_PREFACE_LEN, collect, s, authority,
				sizeof(authority)),
		     0);
	n = headers_frame(d, buf, sizeof(buf), 1, first);
	REQUIRE(n);
	CHECK_EQ_INT(cw_h2_feed(h, (char *)buf, n, collect, s, authority, sizeof(authority)), 0);
	/* a 16 KiB DATA frame of which only the first 1000 bytes were captured */
	memset(data, 'x', sizeof(data));
	n = frame_header(buf, 16384, 0x0, 0x0, 1);
	memcpy(buf + n, data, sizeof(data));
	CHECK_EQ_INT(cw_h2_feed(h, (char *)buf, n + sizeof(data), collect, s, authority,
				sizeof(authority)),
		     0);
	if (with_gap)
		cw_h2_gap(h);
	n = headers_frame(d, buf, sizeof(buf), 3, second);
	REQUIRE(n);
	cw_h2_feed(h, (char *)buf, n, collect, s, authority, sizeof(authority));
	snprintf(want, sizeof(want), "authorization: Bearer %s\r\n", first);
	CHECK(strstr(s->buf, want));
	nghttp2_hd_deflate_del(d);
	cw_h2_free(h);
}

TEST(h2_headers_after_a_hole_are_decoded_once_the_gap_is_known)
{
	struct sink *with = calloc(1, sizeof(*with)), *without = calloc(1, sizeof(*without));
	char *first = tu_secret("%{alnum:32}"), *second = tu_secret("%{alnum:32}"), want[160];

	REQUIRE(with && without && first && second);
	run(true, with, first, second);
	run(false, without, first, second);
	snprintf(want, sizeof(want), "authorization: Bearer %s\r\n", second);
	/* told of the hole: the next HEADERS frame is decoded, Huffman and all */
	CHECK(strstr(with->buf, want));
	/* not told: its bytes are taken for the rest of the DATA frame */
	CHECK(!strstr(without->buf, want));
	free(first);
	free(second);
	free(with);
	free(without);
}

TEST(h2_continuation_whose_headers_was_lost_to_a_hole_is_skipped)
{
	struct sink *s = calloc(1, sizeof(*s));
	char *token = tu_secret("%{alnum:32}"), want[160], authority[64] = "";
	struct cw_h2 *h = cw_h2_new();
	nghttp2_hd_deflater *d = NULL;
	/* an HPACK fragment from a block's middle: an index far past any table */
	const unsigned char fragment[] = { 0xff, 0xff, 0xff, 0x0f };
	unsigned char buf[4096];
	size_t n;

	REQUIRE(s && token && h);
	REQUIRE(nghttp2_hd_deflate_new(&d, 4096) == 0);
	CHECK_EQ_INT(cw_h2_feed(h, CW_H2_PREFACE, CW_H2_PREFACE_LEN, collect, s, authority,
				sizeof(authority)),
		     0);
	cw_h2_gap(h);
	n = frame_header(buf, sizeof(fragment), 0x9, 0x4, 1);
	memcpy(buf + n, fragment, sizeof(fragment));
	/* not inflated: the decoder does not give up on the connection */
	CHECK_EQ_INT(cw_h2_feed(h, (char *)buf, n + sizeof(fragment), collect, s, authority,
				sizeof(authority)),
		     0);
	n = headers_frame(d, buf, sizeof(buf), 3, token);
	REQUIRE(n);
	CHECK_EQ_INT(cw_h2_feed(h, (char *)buf, n, collect, s, authority, sizeof(authority)), 0);
	snprintf(want, sizeof(want), "authorization: Bearer %s\r\n", token);
	CHECK(strstr(s->buf, want));
	nghttp2_hd_deflate_del(d);
	cw_h2_free(h);
	free(token);
	free(s);
}

TEST(h2_data_padding_is_not_fed_to_the_matcher)
{
	struct sink *s = calloc(1, sizeof(*s));
	char *token = tu_secret("%{alnum:32}"), authority[64] = "";
	struct cw_h2 *h = cw_h2_new();
	unsigned char buf[256];
	size_t n, half = 16;

	REQUIRE(s && token && h);
	CHECK_EQ_INT(cw_h2_feed(h, CW_H2_PREFACE, CW_H2_PREFACE_LEN, collect, s, authority,
				sizeof(authority)),
		     0);
	/* the token's first half in a padded DATA frame (pad length 10), the rest in the next */
	n = frame_header(buf, 1 + half + 10, 0x0, 0x8, 1);
	buf[n++] = 10;
	memcpy(buf + n, token, half);
	n += half;
	memset(buf + n, 0, 10);
	n += 10;
	n += frame_header(buf + n, strlen(token) - half, 0x0, 0x1, 1);
	memcpy(buf + n, token + half, strlen(token) - half);
	n += strlen(token) - half;
	/* fed a byte at a time: the pad length and the padding may come in any piece */
	for (size_t i = 0; i < n; i++)
		CHECK_EQ_INT(
			cw_h2_feed(h, (char *)buf + i, 1, collect, s, authority, sizeof(authority)),
			0);
	CHECK_EQ_INT((long)s->n, (long)strlen(token));
	CHECK(!strcmp(s->buf, token));
	cw_h2_free(h);
	free(token);
	free(s);
}
