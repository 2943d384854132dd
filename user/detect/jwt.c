// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "detect/jwt.h"
#include "util/codec.h"

#define JWT_PART_MAX 8192 /* longer headers or payloads are not classified */

/* A tiny reader for one flat JSON object: the fields we want, everything else skipped. */
struct jr {
	const char *p, *end;
};

static void ws(struct jr *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

/* Read a string into out (escapes other than \" \\ \/ kept as is); -1 if malformed. */
static int str(struct jr *r, char *out, size_t cap)
{
	size_t o = 0;

	if (r->p >= r->end || *r->p != '"')
		return -1;
	r->p++;
	while (r->p < r->end && *r->p != '"') {
		char c = *r->p++;

		if (c == '\\') {
			if (r->p >= r->end)
				return -1;
			c = *r->p++;
			if (c != '"' && c != '\\' && c != '/' && out && o + 1 < cap)
				out[o++] = '\\';
		}
		if (out && o + 1 < cap)
			out[o++] = c;
	}
	if (r->p >= r->end)
		return -1;
	r->p++;
	if (out)
		out[o] = '\0';
	return 0;
}

static int skip_value(struct jr *r, int depth);

static int skip_container(struct jr *r, char close, int depth)
{
	r->p++;
	ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (str(r, NULL, 0))
				return -1;
			ws(r);
			if (r->p >= r->end || *r->p++ != ':')
				return -1;
		}
		if (skip_value(r, depth + 1))
			return -1;
		ws(r);
		if (r->p >= r->end)
			return -1;
		if (*r->p == close) {
			r->p++;
			return 0;
		}
		if (*r->p++ != ',')
			return -1;
		ws(r);
	}
}

static int skip_value(struct jr *r, int depth)
{
	ws(r);
	if (r->p >= r->end || depth > 32)
		return -1;
	switch (*r->p) {
	case '"': return str(r, NULL, 0);
	case '{': return skip_container(r, '}', depth);
	case '[': return skip_container(r, ']', depth);
	default:
		if (!strchr("-0123456789tfn", *r->p))
			return -1;
		while (r->p < r->end && strchr("-+.eE0123456789truefalsn", *r->p))
			r->p++;
		return 0;
	}
}

static int number(struct jr *r, int64_t *out)
{
	char buf[32], *e;
	size_t n = 0;

	ws(r);
	while (r->p + n < r->end && n < sizeof(buf) - 1 && strchr("-+.eE0123456789", r->p[n]))
		n++;
	if (!n)
		return skip_value(r, 0) ? -1 : 1; /* not a number: ignore it */
	memcpy(buf, r->p, n);
	buf[n] = '\0';
	*out = (int64_t)strtod(buf, &e);
	r->p += n;
	return 0;
}

struct fields {
	char *alg;
	struct cw_jwt *j;
};

static int object(const unsigned char *buf, size_t n, struct fields *f)
{
	struct jr r = { (const char *)buf, (const char *)buf + n };
	char key[64];

	ws(&r);
	if (r.p >= r.end || *r.p != '{')
		return -1;
	r.p++;
	ws(&r);
	if (r.p < r.end && *r.p == '}')
		return 0;
	for (;;) {
		if (str(&r, key, sizeof(key)))
			return -1;
		ws(&r);
		if (r.p >= r.end || *r.p++ != ':')
			return -1;
		ws(&r);
		if (f->alg && !strcmp(key, "alg") && r.p < r.end && *r.p == '"') {
			if (str(&r, f->alg, sizeof(f->j->alg)))
				return -1;
		} else if (f->j && !strcmp(key, "iss") && r.p < r.end && *r.p == '"') {
			if (str(&r, f->j->iss, sizeof(f->j->iss)))
				return -1;
		} else if (f->j && !strcmp(key, "sub") && r.p < r.end && *r.p == '"') {
			if (str(&r, f->j->sub, sizeof(f->j->sub)))
				return -1;
		} else if (f->j &&
			   (!strcmp(key, "exp") || !strcmp(key, "iat") || !strcmp(key, "nbf"))) {
			int64_t v;
			int ret = number(&r, &v);

			if (ret < 0)
				return -1;
			if (ret == 0 && key[0] == 'e') {
				f->j->exp = v;
				f->j->has_exp = true;
			} else if (ret == 0 && key[0] == 'i') {
				f->j->iat = v;
				f->j->has_iat = true;
			} else if (ret == 0) {
				f->j->nbf = v;
				f->j->has_nbf = true;
			}
		} else {
			if (f->j && !strcmp(key, "kubernetes.io"))
				f->j->kubernetes = true;
			if (skip_value(&r, 0))
				return -1;
		}
		ws(&r);
		if (r.p >= r.end)
			return -1;
		if (*r.p == '}')
			break;
		if (*r.p++ != ',')
			return -1;
		ws(&r);
	}
	r.p++;
	ws(&r);
	return r.p == r.end ? 0 : -1;
}

int cw_jwt_parse(const char *s, size_t n, struct cw_jwt *out)
{
	const char *d1 = memchr(s, '.', n), *d2;
	unsigned char *buf;
	struct fields f = { 0 };
	long len;
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
	len = cw_base64_decode(s, (size_t)(d1 - s), buf, JWT_PART_MAX);
	f.alg = out->alg;
	if (len <= 0 || object(buf, (size_t)len, &f) || !out->alg[0])
		goto out;
	len = cw_base64_decode(d1 + 1, (size_t)(d2 - d1 - 1), buf, JWT_PART_MAX);
	f.alg = NULL;
	f.j = out;
	if (len <= 0 || object(buf, (size_t)len, &f))
		goto out;
	if (!strcmp(out->iss, "kubernetes/serviceaccount") ||
	    !strncmp(out->sub, "system:serviceaccount:", 22))
		out->kubernetes = true;
	ret = 0;
out:
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
