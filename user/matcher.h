/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Find secrets in a buffer with the loaded rules. */
#ifndef CW_MATCHER_H
#define CW_MATCHER_H

#include <stddef.h>

#include "rules.h"

struct cw_match {
	const struct cw_rule *rule;
	size_t start;		/* the secret's offset in the scanned buffer */
	size_t len;
};

struct cw_matcher;

/* Compile every rule. A pattern that does not compile is an error naming its file:line. */
int cw_matcher_new(const struct cw_ruleset *rs, struct cw_matcher **out, char *err,
		   size_t errlen);
void cw_matcher_free(struct cw_matcher *m);

/*
 * Report each secret in buf once, in order of offset. Where rules overlap on the same bytes
 * the one with the higher priority (then the earlier rule) wins. The callback returns nonzero
 * to stop. Returns the number of matches reported or -errno.
 */
typedef int (*cw_match_cb)(const struct cw_match *m, void *arg);
int cw_matcher_scan(struct cw_matcher *m, const char *buf, size_t len, cw_match_cb cb, void *arg);

/* Shannon entropy of the bytes, in bits per byte. */
double cw_entropy(const char *s, size_t n);


/* Number of secrets rule number idx alone (entropy included, no overlap resolution) finds. */
int cw_matcher_count_rule(struct cw_matcher *m, size_t idx, const char *buf, size_t len);
#endif
