/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A strict JSON (RFC 8259) checker for the tests: jansson parses (strict UTF-8, no raw control
 * bytes in strings, no duplicate object keys, exactly one value), independently of
 * user/util/json_writer, so that it can judge that writer's output. The result is a small
 * tree tests look fields up in by dotted path ("credwatch.credential.redacted").
 */
#ifndef CW_JSONCHECK_H
#define CW_JSONCHECK_H

#include <stddef.h>

enum jc_type { JC_NULL, JC_BOOL, JC_NUM, JC_STR, JC_ARR, JC_OBJ };

struct jc_node {
	enum jc_type type;
	char *str;  /* STR: decoded UTF-8; NUM: the number as text (integers exactly, other
		     * numbers as %.17g); BOOL: true/false */
	size_t len; /* bytes in str (a decoded string may hold NULs) */
	char *key;  /* member name when the parent is an object (decoded) */
	size_t key_len;
	struct jc_node *kids; /* ARR, OBJ: elements / members in order */
	size_t nkids;
};

/* Parse exactly one JSON value from s[0..n). NULL with a reason (and offset) in err. */
struct jc_node *jc_parse(const char *s, size_t n, char *err, size_t errlen);
void jc_free(struct jc_node *root);

/* The node at a dotted path of object keys, or NULL. */
const struct jc_node *jc_get(const struct jc_node *root, const char *path);
/* The decoded string at path, or NULL when absent or not a string. */
const char *jc_str(const struct jc_node *root, const char *path);
/* The text of the number at path, or NULL when absent or not a number. */
const char *jc_num(const struct jc_node *root, const char *path);

/* Whether s[0..n) is strictly valid UTF-8 (RFC 3629), as jansson judges it. */
int jc_utf8_valid(const char *s, size_t n);

#endif
