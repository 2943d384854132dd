// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Classification of a match (see classify.h) and its members in a finding's JSON. */
#include <string.h>

#include "detect/classify.h"
#include "detect/validate.h"

void cw_classify(const struct cw_match *m, struct cw_class *out)
{
	const struct cw_rule *r = m->rule;

	memset(out, 0, sizeof(*out));
	out->kind = r->kind;
	out->provider = r->provider;
	out->lifetime = r->lifetime;
	out->checksum = m->checksum;
	out->jwt_lifetime = -1;
	/* Any secret shaped like a JWT says its own lifetime, whichever rule found it. */
	if (m->len > 20 && !memcmp(m->secret, "eyJ", 3) &&
	    cw_jwt_parse(m->secret, m->len, &out->jwt) == 0) {
		out->is_jwt = true;
		out->jwt_lifetime = cw_jwt_lifetime(&out->jwt);
		if (!out->jwt.has_exp)
			out->lifetime = CW_LIFETIME_LONG; /* never expires */
		else if (out->jwt_lifetime >= 0)
			out->lifetime = out->jwt_lifetime > CW_JWT_SHORT_MAX ? CW_LIFETIME_LONG
									     : CW_LIFETIME_SHORT;
		if (out->jwt.kubernetes) {
			out->kind = "kubernetes-service-account-token";
			out->provider = "kubernetes";
		}
	}
}

void cw_class_json(struct cw_json *j, const struct cw_class *c)
{
	char ts[32];

	cw_json_kstr(j, "kind", c->kind);
	if (c->provider)
		cw_json_kstr(j, "provider", c->provider);
	cw_json_kstr(j, "lifetime", cw_lifetime_name(c->lifetime));
	if (c->checksum != CW_CHECKSUM_NONE)
		cw_json_kstr(j, "checksum", c->checksum == CW_CHECKSUM_VALID ? "valid" : "invalid");
	if (!c->is_jwt)
		return;
	cw_json_kobj(j, "jwt");
	if (c->jwt.alg[0])
		cw_json_kstr(j, "algorithm", c->jwt.alg);
	if (c->jwt.iss[0])
		cw_json_kstr(j, "issuer", c->jwt.iss);
	if (c->jwt.sub[0])
		cw_json_kstr(j, "subject", c->jwt.sub);
	if (c->jwt.has_iat) {
		cw_json_timestamp(ts, c->jwt.iat * 1000000000LL);
		cw_json_kstr(j, "issued", ts);
	}
	if (c->jwt.has_exp) {
		cw_json_timestamp(ts, c->jwt.exp * 1000000000LL);
		cw_json_kstr(j, "expires", ts);
	}
	if (c->jwt_lifetime >= 0)
		cw_json_kint(j, "lifetime_seconds", c->jwt_lifetime);
	cw_json_obj_end(j);
}
