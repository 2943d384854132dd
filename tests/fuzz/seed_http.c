// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The seed corpus of fuzz_http (see its input layout): a TLS ClientHello with SNI and one
 * without, HTTP/1 requests, and HTTP/2 streams whose header blocks nghttp2's encoder wrote
 * (Huffman strings, the dynamic table, a CONTINUATION, padded DATA), as the unit tests build.
 * usage: seed_http DIR [KEYFILE] (KEYFILE is not used)
 */
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a header value, not a credential: the parsers under fuzz_http never match secrets */
#define TOKEN "seed-header-value-0123456789"

static const char *dir;

static int save(const char *name, unsigned char mode, const void *buf, size_t n)
{
	char path[4096];
	unsigned char head[2] = { mode, 255 };
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(head, 1, 2, f) != 2 || fwrite(buf, 1, n, f) != n) {
		perror(path);
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f) ? -1 : 0;
}

static void put16(unsigned char *p, size_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* A TLS 1.3 ClientHello record; sni NULL: no server_name extension. */
static size_t client_hello(unsigned char *out, const char *sni)
{
	static const unsigned char versions[] = { 0x00, 0x2b, 0, 3, 2, 0x03, 0x04 };
	size_t o = 0, rec, hs, ext, nl = sni ? strlen(sni) : 0;

	out[o++] = 0x16;
	out[o++] = 0x03;
	out[o++] = 0x01;
	rec = o;
	o += 2;
	hs = o;
	out[o++] = 0x01;
	o += 3;
	out[o++] = 0x03;
	out[o++] = 0x03;
	memset(out + o, 0xab, 32);
	o += 32;
	out[o++] = 0;	   /* session id */
	put16(out + o, 2); /* one cipher suite */
	out[o + 2] = 0x13;
	out[o + 3] = 0x01;
	o += 4;
	out[o++] = 1; /* compression: null */
	out[o++] = 0;
	ext = o;
	o += 2;
	memcpy(out + o, versions, sizeof(versions));
	o += sizeof(versions);
	if (sni) {
		put16(out + o, 0); /* server_name */
		put16(out + o + 2, nl + 5);
		put16(out + o + 4, nl + 3);
		out[o + 6] = 0; /* host_name */
		put16(out + o + 7, nl);
		memcpy(out + o + 9, sni, nl);
		o += 9 + nl;
	}
	put16(out + ext, o - ext - 2);
	out[hs + 1] = 0;
	put16(out + hs + 2, o - hs - 4);
	put16(out + rec, o - rec - 2);
	return o;
}

/* A frame header, prefixed with fuzz_http's piece byte: 0 (the rest in one piece). */
static size_t frame(unsigned char *p, size_t len, uint8_t type, uint8_t flags, uint32_t stream)
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

/* HEADERS (+ CONTINUATION when split) for stream with three headers, two of them indexed. */
static size_t headers(nghttp2_hd_deflater *d, unsigned char *out, uint32_t stream, int split)
{
	nghttp2_nv nv[] = {
		{ (uint8_t *)":method", (uint8_t *)"POST", 7, 4, 0 },
		{ (uint8_t *)":authority", (uint8_t *)"api.github.com", 10, 14, 0 },
		{ (uint8_t *)":path", (uint8_t *)"/user", 5, 5, 0 },
		{ (uint8_t *)"authorization", (uint8_t *)"Bearer " TOKEN, 13, 7 + strlen(TOKEN),
		  NGHTTP2_NV_FLAG_NO_INDEX },
		{ (uint8_t *)"x-trace", (uint8_t *)"abc", 7, 3, 0 },
	};
	unsigned char block[1024];
	ssize_t n = nghttp2_hd_deflate_hd(d, block, sizeof(block), nv, 5);
	size_t o = 0, first;

	if (n <= 0)
		exit(1);
	first = split ? (size_t)n / 2 : (size_t)n;
	o += frame(out + o, first, 0x1, split ? 0 : 0x4, stream);
	memcpy(out + o, block, first);
	o += first;
	if (split) {
		o += frame(out + o, (size_t)n - first, 0x9, 0x4, stream);
		memcpy(out + o, block + first, (size_t)n - first);
		o += (size_t)n - first;
	}
	return o;
}

static int h2_seeds(void)
{
	unsigned char buf[4096];
	nghttp2_hd_deflater *d;
	size_t o = 0;
	const char body[] = "{\"token\":\"" TOKEN "\"}";
	int ret;

	if (nghttp2_hd_deflate_new(&d, 4096))
		return -1;
	buf[o++] = 0;			   /* one piece */
	o += frame(buf + o, 6, 0x4, 0, 0); /* SETTINGS */
	memset(buf + o, 0, 6);
	buf[o + 1] = 1; /* HEADER_TABLE_SIZE */
	buf[o + 4] = 0x10;
	o += 6;
	o += headers(d, buf + o, 1, 0);
	o += frame(buf + o, sizeof(body) - 1 + 4, 0x0, 0x8 | 0x1, 1); /* DATA, PADDED */
	buf[o++] = 3;
	memcpy(buf + o, body, sizeof(body) - 1);
	o += sizeof(body) - 1;
	memset(buf + o, 0, 3);
	o += 3;
	o += headers(d, buf + o, 3, 1); /* the dynamic table, then a CONTINUATION */
	ret = save("h2-stream", 2, buf, o);
	nghttp2_hd_deflate_del(d);
	/* the same cut into 7-byte pieces, one after a gap */
	if (!ret) {
		unsigned char cut[8192];
		size_t c = 0;

		for (size_t i = 1; i < o; i += 7) {
			size_t len = o - i < 7 ? o - i : 7;

			cut[c++] = (unsigned char)(len | (i == 50 ? 0x80 : 0));
			memcpy(cut + c, buf + i, len);
			c += len;
		}
		ret = save("h2-pieces", 2, cut, c);
	}
	return ret;
}

int main(int argc, char **argv)
{
	static const char get[] = "GET /repos HTTP/1.1\r\nHost: API.GitHub.com:443\r\n"
				  "Authorization: token " TOKEN "\r\nUser-Agent: curl\r\n\r\n";
	static const char post[] = "POST /v1/x HTTP/1.0\r\nContent-Length: 3\r\nhost:example.com"
				   "\r\n\r\nabc";
	unsigned char hello[512];
	size_t n;

	if (argc < 2) {
		fprintf(stderr, "usage: seed_http DIR [KEYFILE]\n");
		return 2;
	}
	dir = argv[1];
	n = client_hello(hello, "Api.Example-1.com");
	if (save("tls-sni", 0, hello, n))
		return 1;
	n = client_hello(hello, NULL);
	if (save("tls-no-sni", 0, hello, n) || save("http1-get", 0, get, sizeof(get) - 1) ||
	    save("http1-host", 1, get, sizeof(get) - 1) ||
	    save("http1-post", 1, post, sizeof(post) - 1) ||
	    save("h2-preface", 0, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24) || h2_seeds())
		return 1;
	return 0;
}
