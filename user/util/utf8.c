// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* UTF-8 decoding (see utf8.h). */
#include <string.h>

#include "util/utf8.h"

size_t cw_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	uint32_t v;
	size_t len, i;

	if (c < 0x80) {
		if (cp)
			*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		v = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		v = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) || v > 0x10FFFF ||
	    (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	if (cp)
		*cp = v;
	return len;
}

size_t cw_utf8_fit(const char *s, size_t max)
{
	size_t n = 0, l;

	while (s[n]) {
		l = cw_utf8_decode((const unsigned char *)s + n, strnlen(s + n, 4), NULL);
		if (!l)
			l = 1;
		if (n + l > max)
			break;
		n += l;
	}
	return n;
}

static int term_unsafe(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x200B && cp <= 0x200F) ||
	       (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

int cw_utf8_term_fit(char *out, size_t cap, const char *in, int maxw)
{
	size_t n = strlen(in), i = 0, o = 0, cut = 0;
	int w = 0;

	if (!cap)
		return 0;
	while (i < n && o + 5 < cap) {
		uint32_t cp = 0;
		size_t l = cw_utf8_decode((const unsigned char *)in + i, n - i, &cp);

		if (w == maxw - 1)
			cut = o; /* where the ellipsis goes if the text is too wide */
		if (w == maxw) {
			memcpy(out + cut, "\xe2\x80\xa6", 3); /* U+2026 */
			out[cut + 3] = '\0';
			return maxw;
		}
		if (!l || term_unsafe(cp)) {
			out[o++] = '?';
			i += l ? l : 1;
		} else {
			memcpy(out + o, in + i, l);
			o += l;
			i += l;
		}
		w++;
	}
	out[o] = '\0';
	return w;
}
