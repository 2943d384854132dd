/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* What a found credential is: kind, provider, lifetime, and for JWTs what the token says. */
#ifndef CW_CLASSIFY_H
#define CW_CLASSIFY_H

#include <stdbool.h>

#include "util/json_writer.h"
#include "detect/jwt.h"
#include "detect/matcher.h"

#define CW_JWT_SHORT_MAX (24 * 3600) /* a JWT valid longer than this is long-lived */

struct cw_class {
	const char *kind;
	const char *provider; /* NULL when unknown */
	enum cw_lifetime lifetime;
	enum cw_checksum checksum;
	bool is_jwt;
	struct cw_jwt jwt;
	int64_t jwt_lifetime; /* seconds, -1 when the token does not say */
};

void cw_classify(const struct cw_match *m, struct cw_class *out);

/* The classification members of a "credential" object: kind, provider, lifetime, checksum,
 * jwt {issuer, subject, issued, expires, lifetime_seconds}. Never the secret itself. */
void cw_class_json(struct cw_json *j, const struct cw_class *c);

#endif
