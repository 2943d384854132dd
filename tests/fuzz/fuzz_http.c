// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target: the first bytes a client sends on a connection, as an attacker writes
 * them. Byte 0 picks the parser, byte 1 the size of the name buffer (1..256 bytes, allocated
 * exactly so ASan sees a write past it), the rest is the stream:
 *   0: cw_proto_detect (TLS ClientHello/SNI, HTTP/1 request, HTTP/2 preface)
 *   1: cw_http_host (an HTTP/1 request head's Host)
 *   2: cw_h2_feed (HTTP/2 frames and HPACK): the stream is fed in pieces whose sizes come
 *      from its own bytes, with a lost-bytes gap where a piece says so; what comes out is read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events/http2.h"
#include "events/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned sink;

static int on_h2(const char *buf, size_t n, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < n; i++)
		sink += (uint8_t)buf[i];
	return 0;
}

/* The name is NUL-terminated within cap; read all of it. */
static void check_name(const char *name, size_t cap)
{
	size_t n = strnlen(name, cap);

	if (n == cap)
		abort();
	sink += (unsigned)n;
}

static void feed_h2(const uint8_t *p, size_t n, char *name, size_t cap)
{
	struct cw_h2 *h = cw_h2_new();
	size_t off = 0;

	if (!h)
		abort();
	name[0] = '\0';
	/* First the preface (a stream without it is refused at once: not interesting), then
	 * pieces: a length byte (bit 7: a gap first), then that many bytes (0: all the rest). */
	cw_h2_feed(h, CW_H2_PREFACE, CW_H2_PREFACE_LEN, on_h2, NULL, name, cap);
	while (off < n) {
		uint8_t c = p[off++];
		size_t len = c & 0x7f ? (size_t)(c & 0x7f) : n - off;

		if (len > n - off)
			len = n - off;
		if (c & 0x80)
			cw_h2_gap(h);
		if (cw_h2_feed(h, (const char *)p + off, len, on_h2, NULL, name, cap) < 0)
			break;
		off += len;
	}
	check_name(name, cap);
	cw_h2_free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 2;
	size_t n = size - 2, cap;
	char *name;

	if (size < 2)
		return 0;
	cap = (size_t)data[1] + 1;
	name = malloc(cap);
	if (!name)
		abort();
	switch (data[0] % 3) {
	case 0:
		if (cw_proto_detect(p, n, name, cap) > CW_PROTO_OTHER)
			abort();
		check_name(name, cap);
		break;
	case 1:
		if (cw_http_host(p, n, name, cap))
			check_name(name, cap);
		break;
	default: feed_h2(data + 2, n, name, cap); break;
	}
	free(name);
	return 0;
}
