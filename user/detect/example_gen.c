// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <ctype.h>
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

static const struct {
	const char *name;
	const char *chars;
} classes[] = {
	{ "alnum", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" },
	{ "upper", "ABCDEFGHIJKLMNOPQRSTUVWXYZ" },
	{ "lower", "abcdefghijklmnopqrstuvwxyz" },
	{ "digit", "0123456789" },
	{ "hex", "0123456789abcdef" },
	{ "HEX", "0123456789ABCDEF" },
	{ "upperdigit", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" },
	{ "lowerdigit", "abcdefghijklmnopqrstuvwxyz0123456789" },
	{ "base64", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" },
	{ "base64url", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" },
	{ "base32", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" },
};

static const char *class_chars(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (strlen(classes[i].name) == n && !strncmp(classes[i].name, name, n))
			return classes[i].chars;
	return NULL;
}

static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void rand_chars(char *out, size_t n, const char *chars)
{
	unsigned char rnd[256];
	size_t k = strlen(chars);

	while (n) {
		size_t m = n < sizeof(rnd) ? n : sizeof(rnd);

		if (getrandom(rnd, m, 0) != (ssize_t)m)
			memset(rnd, 7, m); /* examples only: never a real secret */
		for (size_t i = 0; i < m; i++)
			*out++ = chars[rnd[i] % k];
		n -= m;
	}
}

static size_t gen_jwt(char *out, long lifetime, bool k8s)
{
	static const char hdr[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	char payload[512], sub[17], sig[43];
	long now = (long)time(NULL);
	size_t o;

	rand_chars(sub, 16, alnum);
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
	rand_chars(sig, sizeof(sig), b64url);
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
		rand_chars(out + o, 30, alnum);
		cw_base62_encode(cw_crc32(out + o, 30), out + o + 30, 6);
		o += 36;
	} else if (!strcmp(name, "grafana")) {
		memcpy(out, "glsa_", 5);
		rand_chars(out + 5, 32, alnum);
		out[37] = '_';
		crc = __builtin_bswap32(cw_crc32(out, 37));
		snprintf(out + 38, 9, "%08x", crc);
		o = 46;
	} else if (!strcmp(name, "atlassian")) {
		if (!arg || strlen(arg) > 32)
			return 0;
		o = strlen(arg);
		memcpy(out, arg, o);
		rand_chars(out + o, 170, b64url);
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

char *cw_example_expand(const char *tmpl, char *err, size_t errlen)
{
	size_t cap = strlen(tmpl) + 1, len = 0;
	char *out = malloc(cap);
	const char *p = tmpl;

	if (!out) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	while (*p) {
		const char *colon, *close, *chars;
		unsigned char rnd[256];
		char *end;
		long n;

		if (p[0] != '%' || p[1] != '{') {
			out[len++] = *p++;
			continue;
		}
		colon = strchr(p + 2, ':');
		close = strchr(p + 2, '}');
		if (close && !strncmp(p + 2, "gen:", 4)) {
			char spec[128], *arg, gen[1024];
			size_t gl;
			char *no;

			snprintf(spec, sizeof(spec), "%.*s", (int)(close - p - 6), p + 6);
			arg = strchr(spec, ':');
			if (arg)
				*arg++ = '\0';
			gl = generate(spec, arg, gen);
			if (!gl) {
				snprintf(err, errlen, "bad template at '%.20s': unknown generator",
					 p);
				free(out);
				return NULL;
			}
			cap += gl;
			no = realloc(out, cap);
			if (!no) {
				free(out);
				snprintf(err, errlen, "out of memory");
				return NULL;
			}
			out = no;
			memcpy(out + len, gen, gl);
			len += gl;
			p = close + 1;
			continue;
		}
		if (!colon || !close || colon > close) {
			snprintf(err, errlen, "bad template at '%.20s': want %%{CLASS:N}", p);
			free(out);
			return NULL;
		}
		chars = class_chars(p + 2, (size_t)(colon - p - 2));
		n = strtol(colon + 1, &end, 10);
		if (!chars || end != close || n <= 0 || n > (long)sizeof(rnd)) {
			snprintf(err, errlen, "bad template at '%.20s': unknown class or count", p);
			free(out);
			return NULL;
		}
		/* The template text "%{c:N}" is at least 6 bytes; grow for the rest. */
		cap += (size_t)n;
		char *no = realloc(out, cap);

		if (!no) {
			free(out);
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		out = no;
		if (getrandom(rnd, (size_t)n, 0) != n) {
			snprintf(err, errlen, "getrandom failed");
			free(out);
			return NULL;
		}
		for (long i = 0; i < n; i++)
			out[len++] = chars[rnd[i] % strlen(chars)];
		p = close + 1;
	}
	out[len] = '\0';
	return out;
}
