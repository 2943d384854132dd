// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Decoding layers (decode.h). Each carrier kind finds its region from the hit's end and
 * decodes it whole; a region is decoded only when it is complete (else -EAGAIN: a stream waits
 * for more data), so a value split across two writes is decoded once both have come.
 */
#include <errno.h>
#include <string.h>

#include "detect/decode.h"
#include "util/codec.h"
#include "util/grow.h"
#include "util/utf8.h"

const char *const cw_carrier_pattern[CW_CAR_N] = {
	/* The value's first 8 characters: the region starts 8 before the hit's end. */
	[CW_CAR_BASIC] = "(?i)\\bbasic[ \\t]+[A-Za-z0-9+/]{8}",
	/*
	 * A value that can be base64 of text where formats keep one: in a Kubernetes Secret's
	 * data block (YAML or JSON: every key there), or after a key that names a credential
	 * (docker's "auth", .npmrc's _auth, kubeconfig's *-data, secret, password, credential,
	 * .env and .json files kept as values). Any key would do for the decoder, but a carrier
	 * after every ':' costs a third of the throughput (bench/RESULTS.md). The hit ends 16
	 * characters into the value: in each group of 4, the first character holds the top 6
	 * bits of an ASCII byte from tab up (C-Z, a-f) and the second the top 4 bits of the next
	 * (2-7, or 0 for a line end), which hex digests and words rarely pass.
	 */
	[CW_CAR_B64] =
		"(?:(?i:auth|secret|passw\\w*|cred\\w*|-data|\\.env|\\.json)[\"']?[ \\t]*[:=]"
		"|\\bdata:[ \\t]*\\r?\\n(?:[ \\t]+[\\w.-]+:[ \\t]*[\"']?[A-Za-z0-9+/=]*[\"']?[ "
		"\\t]*\\r?\\n)*"
		"[ \\t]+[\\w.-]+:"
		"|\"data\"[ \\t]*:[ \\t]*\\{(?:\\s*\"[^\"\\n]*\"[ \\t]*:[ "
		"\\t]*\"[A-Za-z0-9+/=]*\"[ \\t]*,)*"
		"\\s*\"[^\"\\n]*\"[ \\t]*:)"
		"[ \\t]*[\"']?(?:[C-Za-f][ACDEFGHQSTUVWXgijklmnwyz0123][A-Za-z0-9+/]{2}){4}",
	[CW_CAR_PERCENT] = "%(?:2[0-9A-Fa-f]|3[A-Fa-f]|40|5[B-Fb-f]|7[B-Eb-e])",
	[CW_CAR_JSON] = "\\\\(?:u[0-9A-Fa-f]{4}|/)",
	[CW_CAR_USERINFO] = "://[^\\s/?#@]*%[0-9A-Fa-f]{2}[^\\s/?#@]*@",
};

static const char *const enc_names[] = {
	[CW_ENC_NONE] = "none",
	[CW_ENC_BASE64] = "base64",
	[CW_ENC_BASIC_AUTH] = "basic-auth",
	[CW_ENC_PERCENT] = "percent",
	[CW_ENC_JSON_ESCAPE] = "json-escape",
	[CW_ENC_USERINFO] = "userinfo",
};

const char *cw_enc_name(unsigned step)
{
	return step < sizeof(enc_names) / sizeof(enc_names[0]) ? enc_names[step] : "unknown";
}

uint32_t cw_enc_join(uint32_t outer, uint32_t inner)
{
	unsigned n = 0;

	while (n < CW_ENC_STEPS && cw_enc_step(outer, n))
		n++;
	for (unsigned i = 0; n < CW_ENC_STEPS && cw_enc_step(inner, i); i++, n++)
		outer |= (uint32_t)cw_enc_step(inner, i) << (8 * n);
	return outer;
}

void cw_decoded_free(struct cw_decoded *d)
{
	if (d->buf)
		explicit_bzero(d->buf, d->cap);
	free(d->buf);
	free(d->map);
	memset(d, 0, sizeof(*d));
}

void cw_decoded_span(const struct cw_decoded *d, size_t ds, size_t de, size_t *os, size_t *oe)
{
	if (!d->exact || ds >= d->len || de > d->len || de <= ds) {
		*os = d->rs;
		*oe = d->re;
		return;
	}
	*os = d->map[ds];
	*oe = d->map[de];
	if (*oe <= *os) /* the end inside the sequence the start came from */
		*oe = d->map[ds] + 1;
}

/* Room for n decoded bytes (and the map's end entry). */
static int reserve(struct cw_decoded *d, size_t n)
{
	size_t cap = d->cap;

	if (n + 1 <= d->cap)
		return 0;
	if (cw_grow((void **)&d->buf, &cap, n + 1, 1))
		return -ENOMEM;
	cap = d->cap;
	if (cw_grow((void **)&d->map, &cap, n + 1, sizeof(*d->map)))
		return -ENOMEM;
	d->cap = cap;
	return 0;
}

static void put(struct cw_decoded *d, char c, size_t from)
{
	d->buf[d->len] = c;
	d->map[d->len++] = (uint32_t)from;
}

static bool is_b64(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Text a person or a program wrote: printable ASCII, tabs and line ends, valid UTF-8. Base64
 * of random bytes passes this for 12 bytes once in ~150000 values.
 */
static bool is_text(const unsigned char *s, size_t n, bool lines)
{
	for (size_t i = 0; i < n;) {
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			i++;
		} else if (lines && (s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) {
			i++;
		} else if (s[i] >= 0x80) {
			size_t k = cw_utf8_decode(s + i, n - i, NULL);

			if (!k)
				return false;
			i += k;
		} else {
			return false;
		}
	}
	return true;
}

/*
 * The base64 run starting at vs: its end (padding included) in *ve. -EAGAIN when it runs to
 * the end of the data that is not the end; 0 when it is too long or not std base64 (a '-',
 * '_' or '.' goes on: base64url, a JWT, a name), else 1.
 */
static int b64_run(const char *buf, size_t len, size_t vs, bool eof, size_t *ve)
{
	size_t e = vs;

	while (e < len && is_b64((unsigned char)buf[e]) && e - vs <= CW_DECODE_SPAN_MAX)
		e++;
	for (int pad = 0; pad < 2 && e < len && buf[e] == '='; pad++)
		e++;
	if (e - vs > CW_DECODE_SPAN_MAX)
		return 0;
	if (e == len && !eof)
		return -EAGAIN;
	*ve = e;
	if (e < len && (buf[e] == '-' || buf[e] == '_' || buf[e] == '.' || buf[e] == '='))
		return 0;
	return (e - vs) % 4 == 0;
}

/* base64 of [vs, ve) into d as text; false when it is not text. */
static int b64_text(const char *buf, size_t vs, size_t ve, bool lines, struct cw_decoded *d)
{
	long n;

	if (reserve(d, (ve - vs) / 4 * 3 + 3))
		return -ENOMEM;
	n = cw_base64_decode(buf + vs, ve - vs, (unsigned char *)d->buf, d->cap);
	if (n < 8 || !is_text((const unsigned char *)d->buf, (size_t)n, lines))
		return 0;
	d->len = (size_t)n;
	d->rs = vs;
	d->re = ve;
	d->exact = false;
	return 1;
}

/* Basic <base64(user:password)>: the user and the password on lines of their own. */
static int decode_basic(const char *buf, size_t len, size_t from, size_t end, bool eof,
			struct cw_decoded *d)
{
	size_t vs = end - 8, ve;
	char *colon;
	int ret;

	if (vs < from)
		return 0;
	ret = b64_run(buf, len, vs, eof, &ve);
	if (ret <= 0)
		return ret;
	ret = b64_text(buf, vs, ve, false, d);
	if (ret <= 0)
		return ret;
	colon = memchr(d->buf, ':', d->len);
	if (!colon)
		return 0;
	*colon = '\n';
	d->path = CW_ENC_BASE64 | CW_ENC_BASIC_AUTH << 8;
	return 1;
}

/* A value after ':' or '=' that is base64 of text: where it ends, something else begins. */
static int decode_b64(const char *buf, size_t len, size_t from, size_t end, bool eof,
		      struct cw_decoded *d)
{
	size_t vs = end - 16, ve;
	int ret;

	if (vs < from)
		return 0;
	ret = b64_run(buf, len, vs, eof, &ve);
	if (ret <= 0)
		return ret;
	if (ve < len && !strchr("\"',;}] \t\r\n", buf[ve]))
		return 0;
	ret = b64_text(buf, vs, ve, true, d);
	if (ret > 0)
		d->path = CW_ENC_BASE64;
	return ret;
}

/* A byte of a URL, a query or a form body (RFC 3986 characters, '%' and '\' included). */
static bool is_url(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\'' && c != '<' && c != '>' && c != '`';
}

/* Percent-decode [s, e) into d (appending), mapping each byte to its input offset. */
static void pct_into(const char *buf, size_t s, size_t e, struct cw_decoded *d)
{
	for (size_t i = s; i < e; i++) {
		int hi, lo;

		if (buf[i] == '%' && i + 2 < e && (hi = hexval((unsigned char)buf[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)buf[i + 2])) >= 0) {
			put(d, (char)(hi << 4 | lo), i);
			i += 2;
		} else {
			put(d, buf[i], i);
		}
	}
}

/* The run of URL bytes around the escape that ends at `end`: the key before it included. */
static int decode_percent(const char *buf, size_t len, size_t from, size_t end, bool eof,
			  struct cw_decoded *d)
{
	size_t rs = end - 3, re = end;

	while (rs > from && end - 3 - rs < CW_DECODE_BACK && is_url((unsigned char)buf[rs - 1]))
		rs--;
	while (re < len && re - rs < CW_DECODE_SPAN_MAX && is_url((unsigned char)buf[re]))
		re++;
	if (re == len && !eof && re - rs < CW_DECODE_SPAN_MAX)
		return -EAGAIN;
	if (reserve(d, re - rs))
		return -ENOMEM;
	d->len = 0;
	pct_into(buf, rs, re, d);
	d->map[d->len] = (uint32_t)re;
	d->rs = rs;
	d->re = re;
	d->exact = true;
	d->path = CW_ENC_PERCENT;
	return 1;
}

/* The 4 hex digits at s as a code unit, or -1. */
static long hex4(const char *s)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int h = hexval((unsigned char)s[i]);

		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

static void put_utf8(struct cw_decoded *d, uint32_t cp, size_t from)
{
	if (cp < 0x80) {
		put(d, (char)cp, from);
	} else if (cp < 0x800) {
		put(d, (char)(0xc0 | cp >> 6), from);
		put(d, (char)(0x80 | (cp & 0x3f)), from);
	} else if (cp < 0x10000) {
		put(d, (char)(0xe0 | cp >> 12), from);
		put(d, (char)(0x80 | ((cp >> 6) & 0x3f)), from);
		put(d, (char)(0x80 | (cp & 0x3f)), from);
	} else {
		put(d, (char)(0xf0 | cp >> 18), from);
		put(d, (char)(0x80 | ((cp >> 12) & 0x3f)), from);
		put(d, (char)(0x80 | ((cp >> 6) & 0x3f)), from);
		put(d, (char)(0x80 | (cp & 0x3f)), from);
	}
}

/*
 * One JSON escape at buf[i] ('\\'): decoded into d when it is \/ or a \u that stands for a
 * character of its own (not '"', '\' or a control character: decoding those would end the
 * string for the rules); the input bytes it took.
 */
static size_t json_escape(const char *buf, size_t i, size_t e, struct cw_decoded *d)
{
	long u, lo;
	uint32_t cp;

	if (i + 1 < e && buf[i + 1] == '/') {
		put(d, '/', i);
		return 2;
	}
	if (i + 1 < e && buf[i + 1] == '\\') {
		put(d, '\\', i);
		put(d, '\\', i + 1);
		return 2;
	}
	if (i + 6 > e || buf[i + 1] != 'u' || (u = hex4(buf + i + 2)) < 0 || u < 0x20 || u == '"' ||
	    u == '\\' || (u >= 0xdc00 && u <= 0xdfff)) {
		put(d, '\\', i);
		return 1;
	}
	cp = (uint32_t)u;
	if (u >= 0xd800 && u <= 0xdbff) {
		if (i + 12 > e || buf[i + 6] != '\\' || buf[i + 7] != 'u' ||
		    (lo = hex4(buf + i + 8)) < 0xdc00 || lo > 0xdfff) {
			put(d, '\\', i);
			return 1;
		}
		put_utf8(d, 0x10000 + (((uint32_t)u - 0xd800) << 10) + ((uint32_t)lo - 0xdc00), i);
		return 12;
	}
	put_utf8(d, cp, i);
	return 6;
}

/* The line around the escape that ends at `end` (keys and all), escapes decoded. */
static int decode_json(const char *buf, size_t len, size_t from, size_t end, bool eof,
		       struct cw_decoded *d)
{
	size_t esc = buf[end - 1] == '/' ? end - 2 : end - 6, rs = esc, re = end;

	while (rs > from && esc - rs < CW_DECODE_BACK && buf[rs - 1] != '\n')
		rs--;
	while (re < len && re - rs < CW_DECODE_SPAN_MAX && buf[re] != '\n')
		re++;
	if (re == len && !eof && re - rs < CW_DECODE_SPAN_MAX)
		return -EAGAIN;
	if (reserve(d, re - rs))
		return -ENOMEM;
	d->len = 0;
	for (size_t i = rs; i < re;)
		i += buf[i] == '\\' ? json_escape(buf, i, re, d) : (put(d, buf[i], i), 1);
	d->map[d->len] = (uint32_t)re;
	d->rs = rs;
	d->re = re;
	d->exact = true;
	d->path = CW_ENC_JSON_ESCAPE;
	return 1;
}

/* scheme://user:password@ (the hit ends after '@'): user and password decoded, a line each. */
static int decode_userinfo(const char *buf, size_t len, size_t from, size_t end,
			   struct cw_decoded *d)
{
	size_t at = end - 1, us = at, colon;

	(void)len;
	while (us > from && at - us < CW_DECODE_BACK && !strchr(" \t\r\n/?#@", buf[us - 1]))
		us--;
	if (us < from + 3 || memcmp(buf + us - 3, "://", 3) || us == at)
		return 0;
	if (reserve(d, at - us))
		return -ENOMEM;
	for (colon = us; colon < at && buf[colon] != ':'; colon++)
		;
	d->len = 0;
	pct_into(buf, us, colon, d);
	if (colon < at) {
		put(d, '\n', colon);
		pct_into(buf, colon + 1, at, d);
	}
	d->map[d->len] = (uint32_t)at;
	d->rs = us;
	d->re = at;
	d->exact = true;
	d->path = CW_ENC_USERINFO | CW_ENC_PERCENT << 8;
	return 1;
}

int cw_decode_carrier(enum cw_carrier k, const char *buf, size_t len, size_t from, size_t end,
		      bool eof, struct cw_decoded *out)
{
	out->len = 0;
	out->path = 0;
	switch (k) {
	case CW_CAR_BASIC: return end >= 8 ? decode_basic(buf, len, from, end, eof, out) : 0;
	case CW_CAR_B64: return end >= 16 ? decode_b64(buf, len, from, end, eof, out) : 0;
	case CW_CAR_PERCENT: return end >= 3 ? decode_percent(buf, len, from, end, eof, out) : 0;
	case CW_CAR_JSON: return end >= 2 ? decode_json(buf, len, from, end, eof, out) : 0;
	case CW_CAR_USERINFO: return end >= 4 ? decode_userinfo(buf, len, from, end, out) : 0;
	default: return 0;
	}
}
