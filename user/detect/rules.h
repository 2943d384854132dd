/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Detection rules: the format of rules/ in DESIGN.md, loaded from files or the binary. */
#ifndef CW_RULES_H
#define CW_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strv.h"

enum cw_lifetime {
	CW_LIFETIME_UNKNOWN = 0,
	CW_LIFETIME_LONG,
	CW_LIFETIME_SHORT,
};

struct cw_rule {
	char *id;
	char *name;
	char *pattern;		 /* PCRE2; group "secret", else group 1, else all is the secret */
	char *kind;		 /* credential kind; defaults to id */
	char *provider;		 /* optional */
	struct cw_strv keywords; /* literal prefilter: one must occur (case-insensitive) */
	double entropy;		 /* minimum Shannon entropy of the secret, bits/byte; 0 = none */
	int priority;		 /* overlapping findings: the higher wins (default 50) */
	enum cw_lifetime lifetime;
	int validate;	     /* enum cw_validator; 0 = none */
	bool demote_invalid; /* checksum failure: keep as low confidence instead of dropping */
	bool no_placeholder; /* skip the placeholder filter for this rule */
	/* names (of the pattern's group "key") whose values are no secret; see detect/context.h */
	struct cw_strv ignore_keys;
	struct cw_strv ignore_values; /* PCRE2: a secret matching one is no secret */
	struct cw_strv ignore_lines;  /* PCRE2: tried on the secret's line up to the secret */
	struct cw_strv destinations;
	struct cw_strv examples;
	struct cw_strv negative_examples;
	char *file; /* where it was defined, for messages */
	int line;
};

struct cw_ruleset {
	struct cw_rule *rules;
	size_t n, cap;
};

#define CW_RULE_DEFAULT_PRIORITY 50

/* All return 0 or -errno, with "FILE:LINE: problem" in err. They append to rs. */
int cw_rules_load_buf(struct cw_ruleset *rs, const char *file, const char *buf, size_t len,
		      char *err, size_t errlen);
int cw_rules_load_file(struct cw_ruleset *rs, const char *path, char *err, size_t errlen);
int cw_rules_load_dir(struct cw_ruleset *rs, const char *dir, char *err, size_t errlen);
int cw_rules_load_embedded(struct cw_ruleset *rs, char *err, size_t errlen);
/* --rules DIR when dir is set, else the embedded defaults. */
int cw_rules_load_default(struct cw_ruleset *rs, const char *dir, char *err, size_t errlen);
void cw_rules_free(struct cw_ruleset *rs);

const char *cw_lifetime_name(enum cw_lifetime l);

/* The rule files compiled into the binary (generated at build time from rules/). */
struct cw_embedded_file {
	const char *name;
	const char *data;
	size_t len;
};
extern const struct cw_embedded_file cw_embedded_rules[];
extern const size_t cw_embedded_rules_count;

#endif
