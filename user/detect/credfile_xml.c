// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * FileZilla's sitemanager.xml and recentservers.xml: each <Server> has a <Host> and, when the
 * password is saved, a <Pass> (base64 with encoding="base64" since 3.26, plain text before;
 * encoding="crypt" when a master password protects it, which is no plain credential).
 */
#include <stdio.h>
#include <string.h>

#include "detect/credfile_int.h"
#include "util/codec.h"

#define PASS_MAX 1024

/* The text of the last <Host> element in b[from, to). */
static void host_before(const char *b, size_t from, size_t to, char *out, size_t cap)
{
	const char *h = NULL, *p = b + from, *end;

	out[0] = '\0';
	while ((p = memmem(p, (size_t)(b + to - p), "<Host>", 6)))
		h = p++ + 6;
	if (h && (end = memmem(h, (size_t)(b + to - h), "</Host>", 7)))
		snprintf(out, cap, "%.*s", (int)(end - h), h);
}

int cf_scan_xml(struct cf_scan *s)
{
	const char *b = s->buf, *p = b, *server = b;
	unsigned char dec[PASS_MAX];
	char host[256];

	while (!s->stop && (p = memmem(p, s->len - (size_t)(p - b), "<Pass", 5))) {
		const char *gt = memchr(p, '>', s->len - (size_t)(p - b)), *end, *sv;
		size_t va, ve;
		long n;

		if (!gt)
			break;
		va = (size_t)(gt - b) + 1;
		end = memmem(gt, s->len - va + 1, "</Pass>", 7);
		if (!end)
			break;
		ve = (size_t)(end - b);
		for (sv = p; sv > b && (sv + 7 > b + s->len || memcmp(sv, "<Server", 7)); sv--)
			;
		server = sv;
		host_before(b, (size_t)(server - b), va, host, sizeof(host));
		if (memmem(p, (size_t)(gt - p), "crypt", 5)) {
			/* protected by FileZilla's master password */
		} else if (memmem(p, (size_t)(gt - p), "base64", 6) &&
			   (n = cw_base64_decode(b + va, ve - va, dec, sizeof(dec))) > 0) {
			cf_emit(s, CF_FILEZILLA, va, ve - va, (const char *)dec, (size_t)n,
				CF_PASSWORDLIKE | CF_ENC_B64, "Server %s Pass (base64)", host);
		} else {
			cf_emit(s, CF_FILEZILLA, va, ve - va, b + va, ve - va, CF_PASSWORDLIKE,
				"Server %s Pass", host);
		}
		p = end + 7;
	}
	explicit_bzero(dec, sizeof(dec));
	return 0;
}
