// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "exgen.h"

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
		if (!colon || !close || colon > close) {
			snprintf(err, errlen, "bad template at '%.20s': want %%{CLASS:N}", p);
			free(out);
			return NULL;
		}
		chars = class_chars(p + 2, (size_t)(colon - p - 2));
		n = strtol(colon + 1, &end, 10);
		if (!chars || end != close || n <= 0 || n > (long)sizeof(rnd)) {
			snprintf(err, errlen, "bad template at '%.20s': unknown class or count",
				 p);
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
