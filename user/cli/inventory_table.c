// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The inventory as a table for a person (see inventory.h): one row per credential, columns cut
 * to a width with an ellipsis, and what came from watched processes (paths, names) made safe
 * for a terminal.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/inventory.h"
#include "util/utf8.h"

#define CELL_MAX 16384 /* a cell before it is cut: 16 uses of two 320-byte strings fit */
#define NCOLS 7

static const char *const col_name[NCOLS] = {
	"FINGERPRINT", "KIND", "LIFETIME", "AGE", "LOADED BY", "SOURCES", "USED BY",
};
/*
 * Widest each column may get, in columns; with two spaces between columns a full line is
 * 147 + 12 = 159 wide (CW_INV_MAX_LINE).
 */
static const int col_max[NCOLS] = { 16, 22, 11, 6, 28, 28, 36 };

_Static_assert(16 + 22 + 11 + 6 + 28 + 28 + 36 + 2 * (NCOLS - 1) <= CW_INV_MAX_LINE,
	       "inventory table wider than CW_INV_MAX_LINE");

struct sb {
	char buf[CELL_MAX];
	size_t len;
};

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->len >= sizeof(b->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->len, sizeof(b->buf) - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n < sizeof(b->buf) - b->len ? (size_t)n
							      : sizeof(b->buf) - 1 - b->len;
}

/* ", " between items. */
static void sb_sep(struct sb *b)
{
	if (b->len)
		sb_printf(b, ", ");
}

/*
 * in, made safe for a terminal and cut to at most maxw columns with an ellipsis (util/utf8.h),
 * into a new string; *width receives its width. Paths and variable names come from watched
 * processes: an escape sequence or a bidi override in them could rewrite what the reader sees.
 */
static char *fit(const char *in, int maxw, int *width)
{
	size_t cap = strlen(in) + 6;
	char *out = malloc(cap);

	if (out)
		*width = cw_utf8_term_fit(out, cap, in, maxw);
	return out;
}

struct row {
	char *cell[NCOLS];
	int w[NCOLS];
};

/* LOADED BY: each workload that loaded it, once. */
static void loaded_by(struct sb *b, const struct cw_prov_cred *c)
{
	for (size_t i = 0; i < c->norigins; i++) {
		if (!cw_prov_first_of_workload(c, i, NULL))
			continue;
		sb_sep(b);
		sb_printf(b, "%s", c->origins[i].workload[0] ? c->origins[i].workload : "?");
	}
}

/* SOURCES: one entry per place, however many workloads loaded it there. */
static void sources(struct sb *b, const struct cw_prov_cred *c)
{
	for (size_t i = 0; i < c->norigins; i++) {
		const struct cw_prov_origin *o = &c->origins[i];
		size_t k;

		for (k = 0; k < i; k++)
			if (c->origins[k].source == o->source &&
			    !strcmp(c->origins[k].detail, o->detail))
				break;
		if (k < i)
			continue;
		sb_sep(b);
		sb_printf(b, "%s%s%s", cw_prov_source_name(o->source), o->detail[0] ? ":" : "",
			  o->detail);
	}
	if (c->origins_dropped)
		sb_printf(b, " (+%llu more)", (unsigned long long)c->origins_dropped);
}

/* USED BY: WORKLOAD->DESTINATION xCOUNT. */
static void used_by(struct sb *b, const struct cw_prov_cred *c)
{
	for (size_t i = 0; i < c->nuses; i++) {
		const struct cw_prov_use *u = &c->uses[i];

		sb_sep(b);
		sb_printf(b, "%s->%s", u->workload[0] ? u->workload : "?",
			  u->destination[0] ? u->destination : "?");
		if (u->count > 1)
			sb_printf(b, " x%llu", (unsigned long long)u->count);
	}
	if (c->uses_dropped)
		sb_printf(b, " (+%llu more)", (unsigned long long)c->uses_dropped);
}

static int fill_row(struct row *r, const struct cw_prov_cred *c, int64_t now)
{
	struct sb b;

	for (int col = 0; col < NCOLS; col++) {
		b.len = 0;
		b.buf[0] = '\0';
		switch (col) {
		case 0: sb_printf(&b, "%.16s", c->fingerprint); break;
		case 1: sb_printf(&b, "%s", c->kind[0] ? c->kind : c->rule); break;
		case 2: sb_printf(&b, "%s", c->lifetime); break;
		case 3: sb_printf(&b, "%lldd", (long long)cw_inventory_age_days(c, now)); break;
		case 4: loaded_by(&b, c); break;
		case 5: sources(&b, c); break;
		case 6: used_by(&b, c); break;
		}
		r->cell[col] = fit(b.len ? b.buf : "-", col_max[col], &r->w[col]);
		if (!r->cell[col])
			return -ENOMEM;
	}
	return 0;
}

static void print_row(FILE *out, const struct row *r, const int *width)
{
	for (int col = 0; col < NCOLS; col++) {
		fputs(r->cell[col], out);
		if (col < NCOLS - 1)
			fprintf(out, "%*s", width[col] - r->w[col] + 2, "");
	}
	fputc('\n', out);
}

int cw_inventory_table(FILE *out, const struct cw_prov_cred *const *v, size_t n, int64_t now)
{
	struct row head = { 0 }, *rows = calloc(n ? n : 1, sizeof(*rows));
	int width[NCOLS], ret = 0;
	size_t i;

	if (!rows)
		return -ENOMEM;
	for (int col = 0; col < NCOLS; col++) {
		head.cell[col] = (char *)col_name[col];
		head.w[col] = width[col] = (int)strlen(col_name[col]);
	}
	for (i = 0; i < n && !ret; i++) {
		ret = fill_row(&rows[i], v[i], now);
		for (int col = 0; col < NCOLS && !ret; col++)
			if (rows[i].w[col] > width[col])
				width[col] = rows[i].w[col];
	}
	if (!ret) {
		print_row(out, &head, width);
		for (i = 0; i < n; i++)
			print_row(out, &rows[i], width);
	}
	for (i = 0; i < n; i++)
		for (int col = 0; col < NCOLS; col++)
			free(rows[i].cell[col]);
	free(rows);
	return ret;
}
