// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Rule example templates expanded (see example_gen.h): character classes and generators. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "detect/example_gen.h"
#include "detect/validate.h"
#include "util/codec.h"
#include "util/grow.h"

#define CLASS_COUNT_MAX 256 /* random characters one %{CLASS:N} may ask for */

static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static const struct {
	const char *name;
	const char *chars;
} classes[] = {
	{ "alnum", alnum },
	{ "upper", "ABCDEFGHIJKLMNOPQRSTUVWXYZ" },
	{ "lower", "abcdefghijklmnopqrstuvwxyz" },
	{ "digit", "0123456789" },
	{ "hex", "0123456789abcdef" },
	{ "HEX", "0123456789ABCDEF" },
	{ "upperdigit", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" },
	{ "lowerdigit", "abcdefghijklmnopqrstuvwxyz0123456789" },
	{ "base64", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" },
	{ "base64url", b64url },
	{ "base32", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" },
};

static const char *class_chars(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strlen(classes[i].name) == n && !strncmp(classes[i].name, name, n))
			return classes[i].chars;
	return NULL;
}

/*
 * n random characters of chars into out. False when the system gave no randomness: out then
 * holds a fixed filler (examples only, never a real secret).
 */
static bool fill_random(char *out, size_t n, const char *chars)
{
	unsigned char rnd[256];
	size_t k = strlen(chars);
	bool ok = true;

	while (n) {
		size_t m = n < sizeof(rnd) ? n : sizeof(rnd);

		if (getrandom(rnd, m, 0) != (ssize_t)m) {
			memset(rnd, 7, m);
			ok = false;
		}
		for (size_t i = 0; i < m; i++)
			*out++ = chars[rnd[i] % k];
		n -= m;
	}
	return ok;
}

static size_t gen_jwt(char *out, long lifetime, bool k8s)
{
	static const char hdr[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	char payload[512], sub[17], sig[43];
	long now = (long)time(NULL);
	size_t o;

	fill_random(sub, 16, alnum);
	sub[16] = '\0';
	if (k8s)
		snprintf(payload, sizeof(payload),
			 "{\"aud\":[\"https://kubernetes.default.svc\"],\"exp\":%ld,\"iat\":%ld,"
			 "\"iss\":\"https://"
			 "kubernetes.default.svc.cluster.local\",\"kubernetes.io\":"
			 "{\"namespace\":\"default\",\"serviceaccount\":{\"name\":\"app-%s\"}},"
			 "\"sub\":\"system:serviceaccount:default:app-%s\"}",
			 now + lifetime, now, sub, sub);
	else
		snprintf(payload, sizeof(payload),
			 "{\"iss\":\"https://auth.acme.test\",\"sub\":\"user-%s\",\"iat\":%ld,"
			 "\"exp\":%ld}",
			 sub, now, now + lifetime);
	o = cw_base64url_encode((const unsigned char *)hdr, strlen(hdr), out);
	out[o++] = '.';
	o += cw_base64url_encode((const unsigned char *)payload, strlen(payload), out + o);
	out[o++] = '.';
	fill_random(sig, sizeof(sig), b64url);
	memcpy(out + o, sig, sizeof(sig));
	o += sizeof(sig);
	out[o] = '\0';
	return o;
}

/*
 * %{gen:NAME[:ARG]}: a whole token with a valid checksum, into out (at least 1024 bytes).
 * Returns its length, or 0 for an unknown generator.
 */
static size_t generate(const char *name, const char *arg, char *out)
{
	size_t o = 0;
	uint32_t crc;

	if (!strcmp(name, "github") || !strcmp(name, "npm")) {
		const char *prefix = !strcmp(name, "npm") ? "npm_" : arg;

		if (!prefix || strlen(prefix) > 16)
			return 0;
		o = strlen(prefix);
		memcpy(out, prefix, o);
		fill_random(out + o, 30, alnum);
		cw_base62_encode(cw_crc32(out + o, 30), out + o + 30, 6);
		o += 36;
	} else if (!strcmp(name, "grafana")) {
		memcpy(out, "glsa_", 5);
		fill_random(out + 5, 32, alnum);
		out[37] = '_';
		crc = __builtin_bswap32(cw_crc32(out, 37));
		snprintf(out + 38, 9, "%08x", crc);
		o = 46;
	} else if (!strcmp(name, "atlassian")) {
		if (!arg || strlen(arg) > 32)
			return 0;
		o = strlen(arg);
		memcpy(out, arg, o);
		fill_random(out + o, 170, b64url);
		o += 170;
		out[o++] = '=';
		snprintf(out + o, 9, "%08X", cw_crc32(out, o));
		o += 8;
	} else if (!strcmp(name, "age")) {
		static const char hrp[] = "AGE-SECRET-KEY-1";
		unsigned char rnd[52];
		uint8_t data[58];

		memcpy(out, hrp, 16);
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			memset(rnd, 3, sizeof(rnd));
		for (int i = 0; i < 52; i++)
			data[i] = rnd[i] & 31;
		cw_bech32_checksum("age-secret-key-", data, 52, data + 52);
		for (int i = 0; i < 58; i++)
			out[16 + i] = (char)toupper((unsigned char)cw_bech32_charset[data[i]]);
		o = 74;
	} else if (!strcmp(name, "jwt") || !strcmp(name, "k8s-jwt")) {
		long life = arg ? strtol(arg, NULL, 10) : 3600;

		o = gen_jwt(out, life > 0 ? life : 3600, name[0] == 'k');
	}
	out[o] = '\0';
	return o;
}

/* The expansion being built. */
struct out {
	char *p;
	size_t len, cap;
};

static int reserve(struct out *o, size_t more)
{
	return cw_grow((void **)&o->p, &o->cap, o->len + more + 1, 1);
}

/* %{gen:NAME[:ARG]} at p, ending at close. */
static int expand_generator(struct out *o, const char *p, const char *close, char *err,
			    size_t errlen)
{
	char spec[128], *arg, gen[1024];
	size_t gl;

	snprintf(spec, sizeof(spec), "%.*s", (int)(close - p - 6), p + 6);
	arg = strchr(spec, ':');
	if (arg)
		*arg++ = '\0';
	gl = generate(spec, arg, gen);
	if (!gl) {
		snprintf(err, errlen, "bad template at '%.20s': unknown generator", p);
		return -EINVAL;
	}
	if (reserve(o, gl)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(o->p + o->len, gen, gl);
	o->len += gl;
	return 0;
}

/* %{CLASS:N} at p, ending at close (its colon at colon): N random characters of CLASS. */
static int expand_class(struct out *o, const char *p, const char *colon, const char *close,
			char *err, size_t errlen)
{
	const char *chars;
	char *end;
	long n;

	if (!colon || !close || colon > close) {
		snprintf(err, errlen, "bad template at '%.20s': want %%{CLASS:N}", p);
		return -EINVAL;
	}
	chars = class_chars(p + 2, (size_t)(colon - p - 2));
	n = strtol(colon + 1, &end, 10);
	if (!chars || end != close || n <= 0 || n > CLASS_COUNT_MAX) {
		snprintf(err, errlen, "bad template at '%.20s': unknown class or count", p);
		return -EINVAL;
	}
	if (reserve(o, (size_t)n)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (!fill_random(o->p + o->len, (size_t)n, chars)) {
		snprintf(err, errlen, "getrandom failed");
		return -EIO;
	}
	o->len += (size_t)n;
	return 0;
}

/* A byte of the template as it is. */
static int append_literal(struct out *o, char c, char *err, size_t errlen)
{
	if (reserve(o, 1)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	o->p[o->len++] = c;
	return 0;
}

char *cw_example_expand(const char *tmpl, char *err, size_t errlen)
{
	struct out o = { 0 };
	const char *p = tmpl;
	int ret = 0;

	if (reserve(&o, strlen(tmpl))) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	while (*p && !ret) {
		const char *colon, *close;

		if (p[0] != '%' || p[1] != '{') {
			ret = append_literal(&o, *p++, err, errlen);
			continue;
		}
		colon = strchr(p + 2, ':');
		close = strchr(p + 2, '}');
		if (close && !strncmp(p + 2, "gen:", 4))
			ret = expand_generator(&o, p, close, err, errlen);
		else
			ret = expand_class(&o, p, colon, close, err, errlen);
		if (!ret)
			p = close + 1;
	}
	if (ret) {
		free(o.p);
		return NULL;
	}
	o.p[o.len] = '\0';
	return o.p;
}
