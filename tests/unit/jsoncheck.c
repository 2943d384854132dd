// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsoncheck.h"

#define JC_MAX_DEPTH 64

struct jp {
	const unsigned char *s;
	size_t n, i;
	int depth;
	char *err;
	size_t errlen;
	bool failed;
};

static bool jp_fail(struct jp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool jp_fail(struct jp *p, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (p->failed)
		return false;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "offset %zu: %s", p->i, msg);
	p->failed = true;
	return false;
}

/*
 * Length of the well-formed UTF-8 sequence at s, per the table of RFC 3629 section 4, or 0.
 * Written as byte ranges (not by decoding) to stay independent of the writer under test.
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

#define IN(b, lo, hi) ((b) >= (lo) && (b) <= (hi))
	if (c <= 0x7F)
		return 1;
	if (IN(c, 0xC2, 0xDF))
		return n >= 2 && IN(s[1], 0x80, 0xBF) ? 2 : 0;
	if (c == 0xE0)
		return n >= 3 && IN(s[1], 0xA0, 0xBF) && IN(s[2], 0x80, 0xBF) ? 3 : 0;
	if (IN(c, 0xE1, 0xEC) || c == 0xEE || c == 0xEF)
		return n >= 3 && IN(s[1], 0x80, 0xBF) && IN(s[2], 0x80, 0xBF) ? 3 : 0;
	if (c == 0xED)
		return n >= 3 && IN(s[1], 0x80, 0x9F) && IN(s[2], 0x80, 0xBF) ? 3 : 0;
	if (c == 0xF0)
		return n >= 4 && IN(s[1], 0x90, 0xBF) && IN(s[2], 0x80, 0xBF) &&
				       IN(s[3], 0x80, 0xBF)
			       ? 4
			       : 0;
	if (IN(c, 0xF1, 0xF3))
		return n >= 4 && IN(s[1], 0x80, 0xBF) && IN(s[2], 0x80, 0xBF) &&
				       IN(s[3], 0x80, 0xBF)
			       ? 4
			       : 0;
	if (c == 0xF4)
		return n >= 4 && IN(s[1], 0x80, 0x8F) && IN(s[2], 0x80, 0xBF) &&
				       IN(s[3], 0x80, 0xBF)
			       ? 4
			       : 0;
#undef IN
	return 0;
}

int jc_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, l;

	while (i < n) {
		l = utf8_len(s + i, n - i);
		if (!l)
			return 0;
		i += l;
	}
	return 1;
}

struct sbuf {
	char *b;
	size_t len, cap;
};

static bool sb_put(struct sbuf *sb, const void *d, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		size_t ncap = sb->cap ? sb->cap : 32;
		char *nb;

		while (ncap < sb->len + n + 1)
			ncap *= 2;
		nb = realloc(sb->b, ncap);
		if (!nb)
			return false;
		sb->b = nb;
		sb->cap = ncap;
	}
	memcpy(sb->b + sb->len, d, n);
	sb->len += n;
	sb->b[sb->len] = '\0';
	return true;
}

static void put_utf8(struct sbuf *sb, unsigned cp)
{
	unsigned char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xF0 | cp >> 18);
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	sb_put(sb, u, n);
}

static void skip_ws(struct jp *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
			       p->s[p->i] == '\r'))
		p->i++;
}

static int hex4(struct jp *p, unsigned *out)
{
	unsigned v = 0;

	if (p->n - p->i < 4)
		return jp_fail(p, "truncated \\u escape");
	for (int k = 0; k < 4; k++) {
		unsigned char c = p->s[p->i++];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return jp_fail(p, "bad hex digit in \\u escape");
	}
	*out = v;
	return true;
}

/* At the opening quote. */
static bool parse_string(struct jp *p, char **out, size_t *outlen)
{
	struct sbuf sb = { 0 };

	p->i++;
	sb_put(&sb, "", 0);
	for (;;) {
		unsigned char c;
		size_t l;

		if (p->i >= p->n) {
			free(sb.b);
			return jp_fail(p, "unterminated string");
		}
		c = p->s[p->i];
		if (c == '"') {
			p->i++;
			break;
		}
		if (c < 0x20) {
			free(sb.b);
			return jp_fail(p, "raw control byte 0x%02x in string", c);
		}
		if (c == '\\') {
			unsigned cp, lo;

			if (++p->i >= p->n) {
				free(sb.b);
				return jp_fail(p, "truncated escape");
			}
			c = p->s[p->i++];
			switch (c) {
			case '"': sb_put(&sb, "\"", 1); continue;
			case '\\': sb_put(&sb, "\\", 1); continue;
			case '/': sb_put(&sb, "/", 1); continue;
			case 'b': sb_put(&sb, "\b", 1); continue;
			case 'f': sb_put(&sb, "\f", 1); continue;
			case 'n': sb_put(&sb, "\n", 1); continue;
			case 'r': sb_put(&sb, "\r", 1); continue;
			case 't': sb_put(&sb, "\t", 1); continue;
			case 'u': break;
			default:
				free(sb.b);
				p->i--;
				return jp_fail(p, "bad escape \\%c", c);
			}
			if (!hex4(p, &cp)) {
				free(sb.b);
				return false;
			}
			if (cp >= 0xDC00 && cp <= 0xDFFF) {
				free(sb.b);
				return jp_fail(p, "lone low surrogate escape");
			}
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (p->n - p->i < 6 || p->s[p->i] != '\\' ||
				    p->s[p->i + 1] != 'u') {
					free(sb.b);
					return jp_fail(p, "lone high surrogate escape");
				}
				p->i += 2;
				if (!hex4(p, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
					free(sb.b);
					return jp_fail(p, "bad surrogate pair");
				}
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			}
			put_utf8(&sb, cp);
			continue;
		}
		l = utf8_len(p->s + p->i, p->n - p->i);
		if (!l) {
			free(sb.b);
			return jp_fail(p, "invalid UTF-8 byte 0x%02x in string", c);
		}
		sb_put(&sb, p->s + p->i, l);
		p->i += l;
	}
	*out = sb.b;
	*outlen = sb.len;
	return true;
}

static bool digits(struct jp *p)
{
	size_t start = p->i;

	while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
		p->i++;
	return p->i > start;
}

static bool parse_number(struct jp *p, struct jc_node *v)
{
	size_t start = p->i;

	if (p->s[p->i] == '-')
		p->i++;
	if (p->i < p->n && p->s[p->i] == '0')
		p->i++;
	else if (p->i >= p->n || p->s[p->i] < '1' || p->s[p->i] > '9' || !digits(p))
		return jp_fail(p, "bad number");
	if (p->i < p->n && p->s[p->i] == '.') {
		p->i++;
		if (!digits(p))
			return jp_fail(p, "bad fraction");
	}
	if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
		p->i++;
		if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
			p->i++;
		if (!digits(p))
			return jp_fail(p, "bad exponent");
	}
	v->type = JC_NUM;
	v->len = p->i - start;
	v->str = strndup((const char *)p->s + start, v->len);
	return v->str != NULL;
}

static bool parse_value(struct jp *p, struct jc_node *v);

static bool push_kid(struct jc_node *v, struct jc_node **kid)
{
	struct jc_node *nk = realloc(v->kids, (v->nkids + 1) * sizeof(*nk));

	if (!nk)
		return false;
	v->kids = nk;
	*kid = &v->kids[v->nkids++];
	memset(*kid, 0, sizeof(**kid));
	return true;
}

static bool parse_container(struct jp *p, struct jc_node *v, bool obj)
{
	char close = obj ? '}' : ']';
	struct jc_node *kid;

	if (++p->depth > JC_MAX_DEPTH)
		return jp_fail(p, "nested too deep");
	v->type = obj ? JC_OBJ : JC_ARR;
	p->i++;
	skip_ws(p);
	if (p->i < p->n && p->s[p->i] == close) {
		p->i++;
		p->depth--;
		return true;
	}
	for (;;) {
		if (!push_kid(v, &kid))
			return jp_fail(p, "out of memory");
		skip_ws(p);
		if (obj) {
			if (p->i >= p->n || p->s[p->i] != '"')
				return jp_fail(p, "expected a member name");
			if (!parse_string(p, &kid->key, &kid->key_len))
				return false;
			for (size_t k = 0; k + 1 < v->nkids; k++)
				if (v->kids[k].key_len == kid->key_len &&
				    !memcmp(v->kids[k].key, kid->key, kid->key_len))
					return jp_fail(p, "duplicate key \"%s\"", kid->key);
			skip_ws(p);
			if (p->i >= p->n || p->s[p->i] != ':')
				return jp_fail(p, "expected ':'");
			p->i++;
		}
		if (!parse_value(p, kid))
			return false;
		skip_ws(p);
		if (p->i < p->n && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->n && p->s[p->i] == close) {
			p->i++;
			p->depth--;
			return true;
		}
		return jp_fail(p, "expected ',' or '%c'", close);
	}
}

static bool literal(struct jp *p, const char *word)
{
	size_t n = strlen(word);

	if (p->n - p->i < n || memcmp(p->s + p->i, word, n))
		return jp_fail(p, "bad literal");
	p->i += n;
	return true;
}

static bool parse_value(struct jp *p, struct jc_node *v)
{
	skip_ws(p);
	if (p->i >= p->n)
		return jp_fail(p, "expected a value");
	switch (p->s[p->i]) {
	case '{': return parse_container(p, v, true);
	case '[': return parse_container(p, v, false);
	case '"': v->type = JC_STR; return parse_string(p, &v->str, &v->len);
	case 't':
		v->type = JC_BOOL;
		v->str = strdup("true");
		v->len = 4;
		return literal(p, "true");
	case 'f':
		v->type = JC_BOOL;
		v->str = strdup("false");
		v->len = 5;
		return literal(p, "false");
	case 'n': v->type = JC_NULL; return literal(p, "null");
	default:
		if (p->s[p->i] == '-' || (p->s[p->i] >= '0' && p->s[p->i] <= '9'))
			return parse_number(p, v);
		return jp_fail(p, "unexpected byte 0x%02x", p->s[p->i]);
	}
}

static void node_free(struct jc_node *v)
{
	for (size_t k = 0; k < v->nkids; k++)
		node_free(&v->kids[k]);
	free(v->kids);
	free(v->str);
	free(v->key);
}

void jc_free(struct jc_node *root)
{
	if (!root)
		return;
	node_free(root);
	free(root);
}

struct jc_node *jc_parse(const char *s, size_t n, char *err, size_t errlen)
{
	struct jp p = { .s = (const unsigned char *)s, .n = n, .err = err, .errlen = errlen };
	struct jc_node *root = calloc(1, sizeof(*root));

	if (!root) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (parse_value(&p, root)) {
		skip_ws(&p);
		if (p.i != p.n)
			jp_fail(&p, "trailing bytes after the value");
	}
	if (p.failed) {
		jc_free(root);
		return NULL;
	}
	return root;
}

const struct jc_node *jc_get(const struct jc_node *root, const char *path)
{
	const struct jc_node *v = root;
	const char *seg = path;

	while (v && *seg) {
		const char *dot = strchr(seg, '.');
		size_t n = dot ? (size_t)(dot - seg) : strlen(seg);
		const struct jc_node *found = NULL;

		if (v->type != JC_OBJ)
			return NULL;
		for (size_t k = 0; k < v->nkids; k++)
			if (v->kids[k].key_len == n && !memcmp(v->kids[k].key, seg, n))
				found = &v->kids[k];
		v = found;
		seg = dot ? dot + 1 : seg + n;
	}
	return v;
}

const char *jc_str(const struct jc_node *root, const char *path)
{
	const struct jc_node *v = jc_get(root, path);

	return v && v->type == JC_STR ? v->str : NULL;
}

const char *jc_num(const struct jc_node *root, const char *path)
{
	const struct jc_node *v = jc_get(root, path);

	return v && v->type == JC_NUM ? v->str : NULL;
}
