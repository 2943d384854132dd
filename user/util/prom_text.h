/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Prometheus text exposition format (version 0.0.4) into a growing buffer: a family's HELP
 * and TYPE lines, then its samples with labels. Label values and HELP text are escaped as the
 * format says (backslash, double quote in labels, newline), and a byte that is not valid
 * UTF-8 becomes '?', so no value can break a line or the scraper's parser.
 */
#ifndef CW_UTIL_PROM_TEXT_H
#define CW_UTIL_PROM_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cw_prom {
	char *buf;
	size_t len, cap;
	bool oom; /* an allocation failed: the buffer is incomplete */
};

/* A label: name (a valid label name, from the code) and value (any bytes, escaped). */
struct cw_prom_label {
	const char *name;
	const char *value;
};

void cw_prom_init(struct cw_prom *p);
void cw_prom_reset(struct cw_prom *p);
void cw_prom_free(struct cw_prom *p);

/* "# HELP name help" and "# TYPE name type" (counter, gauge, info as gauge, ...). */
void cw_prom_family(struct cw_prom *p, const char *name, const char *type, const char *help);
/* One sample: name{labels} value. nlabels may be 0 (labels NULL). */
void cw_prom_u64(struct cw_prom *p, const char *name, const struct cw_prom_label *labels,
		 size_t nlabels, uint64_t v);
void cw_prom_double(struct cw_prom *p, const char *name, const struct cw_prom_label *labels,
		    size_t nlabels, double v);
/* A family with one unlabelled sample. */
void cw_prom_one(struct cw_prom *p, const char *name, const char *type, const char *help, double v);

#endif
