// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Prometheus text exposition (see prom_text.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/prom_text.h"
#include "util/utf8.h"

void cw_prom_init(struct cw_prom *p)
{
	memset(p, 0, sizeof(*p));
}

void cw_prom_reset(struct cw_prom *p)
{
	p->len = 0;
	p->oom = false;
	if (p->buf)
		p->buf[0] = '\0';
}

void cw_prom_free(struct cw_prom *p)
{
	free(p->buf);
	cw_prom_init(p);
}

static bool reserve(struct cw_prom *p, size_t more)
{
	size_t cap = p->cap ? p->cap : 4096;
	char *nb;

	if (p->oom)
		return false;
	if (p->len + more + 1 <= p->cap)
		return true;
	while (cap < p->len + more + 1)
		cap *= 2;
	nb = realloc(p->buf, cap);
	if (!nb) {
		p->oom = true;
		return false;
	}
	p->buf = nb;
	p->cap = cap;
	return true;
}

static void put(struct cw_prom *p, const char *s, size_t n)
{
	if (!reserve(p, n))
		return;
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	p->buf[p->len] = '\0';
}

static void putf(struct cw_prom *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct cw_prom *p, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(p, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* s escaped: backslash and newline always, the double quote in label values. */
static void put_escaped(struct cw_prom *p, const char *s, bool quote)
{
	size_t n = strlen(s), i = 0;

	while (i < n) {
		size_t k = cw_utf8_decode((const unsigned char *)s + i, n - i, NULL);

		if (!k) {
			put(p, "?", 1);
			i++;
		} else if (s[i] == '\\') {
			put(p, "\\\\", 2);
			i++;
		} else if (s[i] == '\n') {
			put(p, "\\n", 2);
			i++;
		} else if (s[i] == '"' && quote) {
			put(p, "\\\"", 2);
			i++;
		} else {
			put(p, s + i, k);
			i += k;
		}
	}
}

void cw_prom_family(struct cw_prom *p, const char *name, const char *type, const char *help)
{
	putf(p, "# HELP %s ", name);
	put_escaped(p, help, false);
	putf(p, "\n# TYPE %s %s\n", name, type);
}

static void put_series(struct cw_prom *p, const char *name, const struct cw_prom_label *labels,
		       size_t nlabels)
{
	put(p, name, strlen(name));
	if (!nlabels)
		return;
	put(p, "{", 1);
	for (size_t i = 0; i < nlabels; i++) {
		putf(p, "%s%s=\"", i ? "," : "", labels[i].name);
		put_escaped(p, labels[i].value ? labels[i].value : "", true);
		put(p, "\"", 1);
	}
	put(p, "}", 1);
}

void cw_prom_u64(struct cw_prom *p, const char *name, const struct cw_prom_label *labels,
		 size_t nlabels, uint64_t v)
{
	put_series(p, name, labels, nlabels);
	putf(p, " %" PRIu64 "\n", v);
}

void cw_prom_double(struct cw_prom *p, const char *name, const struct cw_prom_label *labels,
		    size_t nlabels, double v)
{
	put_series(p, name, labels, nlabels);
	putf(p, " %.15g\n", v);
}

void cw_prom_one(struct cw_prom *p, const char *name, const char *type, const char *help, double v)
{
	cw_prom_family(p, name, type, help);
	cw_prom_double(p, name, NULL, 0, v);
}
