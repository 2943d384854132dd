// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Protocol detection: TLS ClientHello SNI and HTTP Host, with hostile lengths. */
#include <stdlib.h>

#include "events/protocol.h"
#include "test.h"

/* A minimal TLS 1.2 record holding a ClientHello with an SNI extension for name. */
static size_t client_hello(unsigned char *out, const char *name)
{
	size_t nl = strlen(name), o = 0, hs_len_at, ext_len_at, rec_len_at;
	unsigned ext_start, hs_start;

	out[o++] = 0x16;
	out[o++] = 0x03;
	out[o++] = 0x01;
	rec_len_at = o;
	o += 2;
	hs_start = (unsigned)o;
	out[o++] = 0x01; /* ClientHello */
	hs_len_at = o;
	o += 3;
	out[o++] = 0x03;
	out[o++] = 0x03;
	memset(out + o, 0xab, 32); /* random */
	o += 32;
	out[o++] = 0; /* session id */
	out[o++] = 0;
	out[o++] = 2; /* one cipher suite */
	out[o++] = 0x13;
	out[o++] = 0x01;
	out[o++] = 1; /* compression: null */
	out[o++] = 0;
	ext_len_at = o;
	o += 2;
	ext_start = (unsigned)o;
	/* an unrelated extension first (supported_versions) */
	out[o++] = 0x00;
	out[o++] = 0x2b;
	out[o++] = 0;
	out[o++] = 3;
	out[o++] = 2;
	out[o++] = 0x03;
	out[o++] = 0x04;
	/* server_name */
	out[o++] = 0;
	out[o++] = 0;
	out[o++] = (unsigned char)((nl + 5) >> 8);
	out[o++] = (unsigned char)(nl + 5);
	out[o++] = (unsigned char)((nl + 3) >> 8);
	out[o++] = (unsigned char)(nl + 3);
	out[o++] = 0; /* host_name */
	out[o++] = (unsigned char)(nl >> 8);
	out[o++] = (unsigned char)nl;
	memcpy(out + o, name, nl);
	o += nl;
	out[ext_len_at] = (unsigned char)((o - ext_start) >> 8);
	out[ext_len_at + 1] = (unsigned char)(o - ext_start);
	out[hs_len_at] = 0;
	out[hs_len_at + 1] = (unsigned char)((o - hs_start - 4) >> 8);
	out[hs_len_at + 2] = (unsigned char)(o - hs_start - 4);
	out[rec_len_at] = (unsigned char)((o - 5) >> 8);
	out[rec_len_at + 1] = (unsigned char)(o - 5);
	return o;
}

TEST(proto_tls_client_hello_sni)
{
	unsigned char buf[512];
	char name[256];
	size_t n = client_hello(buf, "API.GitHub.com");

	CHECK_EQ_INT(cw_proto_detect((char *)buf, n, name, sizeof(name)), CW_PROTO_TLS);
	CHECK_EQ_STR(name, "api.github.com");
	/* cut short anywhere: still TLS, and never a name read past the bytes there */
	for (size_t cut = 5; cut < n; cut++) {
		CHECK_EQ_INT(cw_proto_detect((char *)buf, cut, name, sizeof(name)), CW_PROTO_TLS);
		CHECK(strlen(name) <= 14);
	}
	CHECK_EQ_INT(cw_proto_detect((char *)buf, 4, name, sizeof(name)), CW_PROTO_UNKNOWN);
}

TEST(proto_tls_hostile_lengths_never_read_out_of_bounds)
{
	unsigned char buf[512];
	char name[256];
	size_t n = client_hello(buf, "a.example.org");

	/* Every single byte set to every value: the parser must stay in bounds (ASan checks). */
	for (size_t i = 5; i < n; i++) {
		unsigned char saved = buf[i];

		for (int v = 0; v < 256; v += 17) {
			unsigned char *copy = malloc(n);

			buf[i] = (unsigned char)v;
			memcpy(copy, buf, n);
			cw_proto_detect((char *)copy, n, name, sizeof(name));
			CHECK(strlen(name) < sizeof(name));
			free(copy);
		}
		buf[i] = saved;
	}
}

TEST(proto_http_host)
{
	char name[256];
	const char *req = "POST /x HTTP/1.1\r\nUser-Agent: a\r\nhost: Hooks.Slack.com:443\r\n\r\n";
	const char *v6 = "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n";
	const char *nohost = "GET / HTTP/1.1\r\nAccept: */*\r\n\r\nHost: body.test\r\n";

	CHECK_EQ_INT(cw_proto_detect(req, strlen(req), name, sizeof(name)), CW_PROTO_HTTP);
	CHECK_EQ_STR(name, "hooks.slack.com");
	CHECK_EQ_INT(cw_proto_detect(v6, strlen(v6), name, sizeof(name)), CW_PROTO_HTTP);
	CHECK_EQ_STR(name, "[::1]");
	CHECK_EQ_INT(cw_proto_detect(nohost, strlen(nohost), name, sizeof(name)), CW_PROTO_HTTP);
	CHECK_EQ_STR(name, ""); /* a Host line after the head is body, not a header */
	CHECK_EQ_INT(cw_proto_detect("GET /partial", 12, name, sizeof(name)), CW_PROTO_HTTP);
	CHECK_EQ_INT(cw_proto_detect("SSH-2.0-OpenSSH_9.2\r\n", 21, name, sizeof(name)),
		     CW_PROTO_OTHER);
	CHECK_EQ_INT(cw_proto_detect("GET / SMTP\r\n", 12, name, sizeof(name)), CW_PROTO_OTHER);
	/* a name with hostile bytes is cleaned, not copied through */
	const char *evil = "GET / HTTP/1.1\r\nHost: a\"b\x01<c>.test\r\n\r\n";

	cw_proto_detect(evil, strlen(evil), name, sizeof(name));
	CHECK_EQ_STR(name, "abc.test");
}

#include "judge/destinations.h"

TEST(destination_globs)
{
	char *d[] = { "github.com", "api.github.com", "*.githubusercontent.com" };
	struct cw_rule r = { .id = "x", .destinations = { d, 3 } };

	CHECK(cw_destination_allowed(&r, "api.github.com"));
	CHECK(cw_destination_allowed(&r, "API.GITHUB.COM"));
	CHECK(cw_destination_allowed(&r, "raw.githubusercontent.com"));
	CHECK(!cw_destination_allowed(&r, "githubusercontent.com"));
	CHECK(!cw_destination_allowed(&r, "api.github.com.attacker.test"));
	CHECK(!cw_destination_allowed(&r, "evilgithub.com"));
}
