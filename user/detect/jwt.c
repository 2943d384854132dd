// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * JWT classification (see jwt.h): header and payload are base64url (util/codec) JSON objects,
 * read with jansson; only the claims that classify a token are kept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "detect/jwt.h"
#include "util/codec.h"

#define JWT_PART_MAX 8192 /* longer headers or payloads are not classified */

/*
 * One part, base64url-decoded into buf (JWT_PART_MAX bytes) and parsed: a JSON object, or NULL.
 * Numbers are read as doubles, whatever their form (an "exp" of 1.7e9 is a time too).
 */
static json_t *decode_part(const char *s, size_t n, unsigned char *buf)
{
	long len = cw_base64_decode(s, n, buf, JWT_PART_MAX);
	json_t *v;

	if (len <= 0)
		return NULL;
	v = json_loadb((const char *)buf, (size_t)len, JSON_DECODE_INT_AS_REAL, NULL);
	if (v && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

/* A string claim into out (cut to cap); left as it is when absent or not a string. */
static void string_claim(const json_t *obj, const char *key, char *out, size_t cap)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (s)
		snprintf(out, cap, "%s", s);
}

/* A time claim (seconds), when it is a number. */
static bool time_claim(const json_t *obj, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);
	double d;

	if (!json_is_number(v))
		return false;
	d = json_number_value(v);
	if (d >= 0x1p63)
		*out = INT64_MAX;
	else if (d < -0x1p63)
		*out = INT64_MIN;
	else
		*out = (int64_t)d;
	return true;
}

static void read_claims(const json_t *payload, struct cw_jwt *out)
{
	string_claim(payload, "iss", out->iss, sizeof(out->iss));
	string_claim(payload, "sub", out->sub, sizeof(out->sub));
	out->has_exp = time_claim(payload, "exp", &out->exp);
	out->has_iat = time_claim(payload, "iat", &out->iat);
	out->has_nbf = time_claim(payload, "nbf", &out->nbf);
	out->kubernetes = json_object_get(payload, "kubernetes.io") ||
			  !strcmp(out->iss, "kubernetes/serviceaccount") ||
			  !strncmp(out->sub, "system:serviceaccount:", 22);
}

int cw_jwt_parse(const char *s, size_t n, struct cw_jwt *out)
{
	const char *d1 = memchr(s, '.', n), *d2;
	json_t *header = NULL, *payload = NULL;
	unsigned char *buf;
	int ret = -EINVAL;

	memset(out, 0, sizeof(*out));
	if (!d1)
		return -EINVAL;
	d2 = memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - s));
	if (!d2 || memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - s)))
		return -EINVAL;
	if ((size_t)(d1 - s) > JWT_PART_MAX || (size_t)(d2 - d1 - 1) > JWT_PART_MAX)
		return -EINVAL;
	buf = malloc(JWT_PART_MAX);
	if (!buf)
		return -ENOMEM;
	header = decode_part(s, (size_t)(d1 - s), buf);
	if (header)
		string_claim(header, "alg", out->alg, sizeof(out->alg));
	if (!out->alg[0])
		goto out;
	payload = decode_part(d1 + 1, (size_t)(d2 - d1 - 1), buf);
	if (!payload)
		goto out;
	read_claims(payload, out);
	ret = 0;
out:
	json_decref(header);
	json_decref(payload);
	free(buf);
	return ret;
}

int64_t cw_jwt_lifetime(const struct cw_jwt *j)
{
	if (j->has_exp && j->has_iat)
		return j->exp - j->iat;
	if (j->has_exp && j->has_nbf)
		return j->exp - j->nbf;
	return -1;
}
