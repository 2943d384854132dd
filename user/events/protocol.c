// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Every length in a ClientHello comes from the sender: each one is checked against the bytes
 * actually there before it is used.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "events/http2.h"
#include "events/protocol.h"

const char *cw_proto_name(enum cw_proto p)
{
	switch (p) {
	case CW_PROTO_TLS: return "tls";
	case CW_PROTO_HTTP: return "http";
	case CW_PROTO_HTTP2: return "http2";
	case CW_PROTO_OTHER: return "other";
	default: return "unknown";
	}
}

static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void copy_name(char *out, size_t cap, const unsigned char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < cap; i++)
		/* a server name is a DNS name: anything else is not copied through */
		if (isalnum(s[i]) || s[i] == '-' || s[i] == '.' || s[i] == '_')
			out[o++] = (char)tolower(s[i]);
	out[o] = '\0';
}

/* SNI from a ClientHello starting at p (the handshake header), n bytes available. */
static void client_hello_sni(const unsigned char *p, size_t n, char *name, size_t cap)
{
	size_t off = 4 + 2 + 32, len;

	if (n < 4 || p[0] != 0x01)
		return;
	if (off + 1 > n)
		return;
	off += 1 + p[off]; /* session id */
	if (off + 2 > n)
		return;
	off += 2 + be16(p + off); /* cipher suites */
	if (off + 1 > n)
		return;
	off += 1 + p[off]; /* compression methods */
	if (off + 2 > n)
		return;
	len = be16(p + off); /* extensions */
	off += 2;
	if (off + len < n)
		n = off + len;
	while (off + 4 <= n) {
		unsigned type = be16(p + off), elen = be16(p + off + 2);

		off += 4;
		if (off + elen > n)
			return;
		if (type == 0 && elen >= 5) { /* server_name: list len, type 0, name len */
			unsigned nlen = be16(p + off + 3);

			if (p[off + 2] == 0 && 5 + nlen <= elen)
				copy_name(name, cap, p + off + 5, nlen);
			return;
		}
		off += elen;
	}
}

int cw_http_host(const char *buf, size_t n, char *name, size_t cap)
{
	const char *end = memmem(buf, n, "\r\n\r\n", 4);
	const char *p = buf;

	if (end)
		n = (size_t)(end - buf) + 2;
	while ((p = memchr(p, '\n', n - (size_t)(p - buf)))) {
		const char *v, *e;

		p++;
		if ((size_t)(buf + n - p) < 5 || strncasecmp(p, "host:", 5))
			continue;
		v = p + 5;
		while (v < buf + n && (*v == ' ' || *v == '\t'))
			v++;
		e = v;
		while (e < buf + n && *e != '\r' && *e != '\n')
			e++;
		if (v < e && *v == '[') { /* [v6]:port */
			const char *rb = memchr(v, ']', (size_t)(e - v));

			if (rb)
				e = rb + 1;
		} else {
			const char *colon = memchr(v, ':', (size_t)(e - v));

			if (colon)
				e = colon;
		}
		if (v < e && *v == '[') {
			size_t l = (size_t)(e - v) < cap ? (size_t)(e - v) : cap - 1;

			memcpy(name, v, l);
			name[l] = '\0';
		} else {
			copy_name(name, cap, (const unsigned char *)v, (size_t)(e - v));
		}
		return 1;
	}
	return 0;
}

static int is_http_request(const char *buf, size_t n)
{
	static const char *const methods[] = { "GET ",	"POST ",    "PUT ",	"PATCH ", "DELETE ",
					       "HEAD ", "OPTIONS ", "CONNECT ", "TRACE " };
	const char *eol;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t l = strlen(methods[i]);

		if (n < l || memcmp(buf, methods[i], l))
			continue;
		eol = memchr(buf, '\n', n);
		/* The request line ends in HTTP/1.x; if it has not ended yet, trust the method. */
		return !eol || memmem(buf, (size_t)(eol - buf), " HTTP/1.", 8) != NULL;
	}
	return 0;
}

enum cw_proto cw_proto_detect(const char *buf, size_t n, char *name, size_t cap)
{
	const unsigned char *u = (const unsigned char *)buf;

	name[0] = '\0';
	if (!memcmp(buf, CW_H2_PREFACE, n < CW_H2_PREFACE_LEN ? n : CW_H2_PREFACE_LEN))
		return n < CW_H2_PREFACE_LEN ? CW_PROTO_UNKNOWN : CW_PROTO_HTTP2;
	if (n < 5)
		return CW_PROTO_UNKNOWN;
	/* TLS record: handshake (22), version 3.x, then a ClientHello. */
	if (u[0] == 0x16 && u[1] == 0x03 && u[2] <= 0x04) {
		size_t rec = be16(u + 3);

		client_hello_sni(u + 5, n - 5 < rec ? n - 5 : rec, name, cap);
		return CW_PROTO_TLS;
	}
	if (is_http_request(buf, n)) {
		cw_http_host(buf, n, name, cap);
		return CW_PROTO_HTTP;
	}
	return CW_PROTO_OTHER;
}
