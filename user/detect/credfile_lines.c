// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Credential files of tokens and colon-separated lines: .netrc (as ftp(1), curl and Python's
 * netrc read it: tokens separated by any blanks or newlines, "quoted" values with \ escapes,
 * # comments, macdef bodies up to an empty line), .git-credentials (one URL a line,
 * percent-encoded user and password), .pgpass (host:port:db:user:password with \: and \\),
 * htpasswd (user:hash, Apache's and nginx's hash kinds) and shadow(5).
 */
#include <stdio.h>
#include <ctype.h>
#include <string.h>

#include "detect/credfile_int.h"

#define VALUE_MAX 1024 /* longest decoded value kept; longer ones are cut */

/* A netrc token: its written span, and its value with quotes and escapes undone. */
struct tok {
	size_t at, span;
	char v[VALUE_MAX];
	size_t n;
};

/*
 * The next token at or after *pos; false at the end. Where a keyword is expected (keyword),
 * a # comment runs to the end of the line; a value is read as it is, so a password may start
 * with '#' (Python's netrc reads it so).
 */
static bool netrc_token(const char *b, size_t len, size_t *pos, struct tok *t, bool keyword)
{
	size_t p = *pos;

	for (;;) {
		while (p < len && isspace((unsigned char)b[p]))
			p++;
		if (keyword && p < len && b[p] == '#') {
			while (p < len && b[p] != '\n')
				p++;
			continue;
		}
		break;
	}
	if (p >= len)
		return false;
	t->n = 0;
	if (b[p] == '"') {
		t->at = ++p;
		for (; p < len && b[p] != '"'; p++) {
			if (b[p] == '\\' && p + 1 < len)
				p++;
			if (t->n < VALUE_MAX)
				t->v[t->n++] = b[p];
		}
		t->span = p - t->at;
		p += p < len;
	} else {
		t->at = p;
		for (; p < len && !isspace((unsigned char)b[p]); p++)
			if (t->n < VALUE_MAX)
				t->v[t->n++] = b[p];
		t->span = p - t->at;
	}
	*pos = p;
	return true;
}

static bool tok_is(const struct tok *t, const char *w)
{
	return t->n == strlen(w) && !memcmp(t->v, w, t->n);
}

/* A macdef's body: the lines after its name, up to an empty line. */
static void skip_macdef(const char *b, size_t len, size_t *pos)
{
	const char *nl = memchr(b + *pos, '\n', len - *pos);

	*pos = nl ? (size_t)(nl - b) + 1 : len;
	while (*pos < len) {
		size_t a = *pos, e, l;

		if (!cf_next_line(b, len, pos, &a, &e))
			break;
		for (l = a; l < e && (b[l] == ' ' || b[l] == '\t'); l++)
			;
		if (l == e)
			break;
	}
}

int cf_scan_netrc(struct cf_scan *s)
{
	char host[256] = "";
	struct tok t, v;
	size_t pos = 0;
	bool in_entry = false;

	while (!s->stop && netrc_token(s->buf, s->len, &pos, &t, true)) {
		if (tok_is(&t, "default")) {
			in_entry = true;
			snprintf(host, sizeof(host), "default");
			continue;
		}
		if (tok_is(&t, "macdef")) {
			netrc_token(s->buf, s->len, &pos, &v, false);
			skip_macdef(s->buf, s->len, &pos);
			continue;
		}
		if (!tok_is(&t, "machine") && !tok_is(&t, "login") && !tok_is(&t, "password") &&
		    !tok_is(&t, "account"))
			continue; /* a value without its keyword: not a token netrc knows */
		if (!netrc_token(s->buf, s->len, &pos, &v, false))
			break;
		if (tok_is(&t, "machine")) {
			in_entry = true;
			snprintf(host, sizeof(host), "machine %.*s", (int)v.n, v.v);
		} else if (in_entry && !tok_is(&t, "login")) {
			cf_emit(s, CF_NETRC, v.at, v.span, v.v, v.n, CF_PASSWORDLIKE, "%s %s", host,
				t.v[0] == 'p' ? "password" : "account");
		}
	}
	explicit_bzero(&v, sizeof(v));
	explicit_bzero(&t, sizeof(t));
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode b[a, e) into out (VALUE_MAX); its length. */
static size_t pct_decode(const char *b, size_t a, size_t e, char *out)
{
	size_t n = 0;

	for (size_t i = a; i < e && n < VALUE_MAX; i++) {
		if (b[i] == '%' && i + 2 < e && hexval(b[i + 1]) >= 0 && hexval(b[i + 2]) >= 0) {
			out[n++] = (char)(hexval(b[i + 1]) * 16 + hexval(b[i + 2]));
			i += 2;
		} else {
			out[n++] = b[i];
		}
	}
	return n;
}

/* scheme://user:password@host[:port][/path], as git-credential-store writes it. */
int cf_scan_git_credentials(struct cf_scan *s)
{
	size_t pos = 0, a, e;
	char v[VALUE_MAX];

	while (!s->stop && cf_next_line(s->buf, s->len, &pos, &a, &e)) {
		const char *b = s->buf, *sep, *at, *colon, *end;
		size_t n;

		cf_trim(b, &a, &e);
		if (a == e || b[a] == '#' || !(sep = memmem(b + a, e - a, "://", 3)))
			continue;
		/* the userinfo ends at the last '@' before the path */
		end = memchr(sep + 3, '/', (size_t)(b + e - sep - 3));
		if (!end)
			end = b + e;
		at = memrchr(sep + 3, '@', (size_t)(end - sep - 3));
		if (!at)
			continue;
		colon = memchr(sep + 3, ':', (size_t)(at - sep - 3));
		if (!colon)
			continue;
		n = pct_decode(b, (size_t)(colon + 1 - b), (size_t)(at - b), v);
		cf_emit(s, CF_GIT_CREDENTIALS, (size_t)(colon + 1 - b), (size_t)(at - colon - 1), v,
			n, CF_PASSWORDLIKE | CF_ENC(CW_ENC_PERCENT), "%.*s%.*s password",
			(int)(sep + 3 - (b + a)), b + a, (int)(end - at - 1), at + 1);
	}
	explicit_bzero(v, sizeof(v));
	return 0;
}

/* One .pgpass field starting at *p: up to an unescaped ':' (consumed) or the line's end. */
static size_t pg_field(const char *b, size_t *p, size_t e, char *out, size_t cap)
{
	size_t n = 0;

	for (; *p < e && b[*p] != ':'; (*p)++) {
		if (b[*p] == '\\' && *p + 1 < e)
			(*p)++;
		if (n < cap)
			out[n++] = b[*p];
	}
	return n;
}

int cf_scan_pgpass(struct cf_scan *s)
{
	size_t pos = 0, a, e;
	char f[4][128], v[VALUE_MAX];

	while (!s->stop && cf_next_line(s->buf, s->len, &pos, &a, &e)) {
		size_t p = a, len[4], vat, n;
		int i;

		if (a == e || s->buf[a] == '#')
			continue;
		for (i = 0; i < 4 && p < e; i++) {
			len[i] = pg_field(s->buf, &p, e, f[i], sizeof(f[i]));
			if (p >= e)
				break;
			p++; /* the ':' */
		}
		if (i < 4)
			continue; /* fewer than five fields: libpq ignores the line */
		vat = p;
		n = pg_field(s->buf, &p, e, v, sizeof(v));
		cf_emit(s, CF_PGPASS, vat, p - vat, v, n, CF_PASSWORDLIKE,
			"%.*s:%.*s:%.*s password", (int)len[0], f[0], (int)len[1], f[1],
			(int)len[2], f[2]);
	}
	explicit_bzero(v, sizeof(v));
	return 0;
}

/* The algorithm of a crypt(3)-style or htpasswd hash; NULL when it is none. */
static const char *hash_kind(const char *h, size_t n)
{
	static const struct {
		const char *prefix, *name;
	} kinds[] = {
		{ "$2a$", "bcrypt" },	    { "$2b$", "bcrypt" },
		{ "$2y$", "bcrypt" },	    { "$2x$", "bcrypt" },
		{ "$apr1$", "apr1-md5" },   { "$1$", "md5-crypt" },
		{ "$5$", "sha256-crypt" },  { "$6$", "sha512-crypt" },
		{ "$y$", "yescrypt" },	    { "$gy$", "gost-yescrypt" },
		{ "$7$", "scrypt" },	    { "$argon2", "argon2" },
		{ "{SHA}", "sha1" },	    { "{SSHA}", "salted-sha1" },
		{ "$sha1$", "sha1-crypt" }, { "$md5", "sun-md5" },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (n > strlen(kinds[i].prefix) + 4 &&
		    !memcmp(h, kinds[i].prefix, strlen(kinds[i].prefix)))
			return kinds[i].name;
	if (n == 13) { /* traditional DES crypt: 13 of [./0-9A-Za-z] */
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '/')
				return NULL;
		return "des-crypt";
	}
	return NULL;
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (hexval(s[i]) < 0)
			return false;
	return true;
}

int cf_scan_htpasswd(struct cf_scan *s)
{
	size_t pos = 0, a, e;

	while (!s->stop && cf_next_line(s->buf, s->len, &pos, &a, &e)) {
		const char *b = s->buf, *c;
		const char *kind;
		size_t h, he;

		cf_trim(b, &a, &e);
		if (a == e || b[a] == '#' || !(c = memchr(b + a, ':', e - a)))
			continue;
		h = (size_t)(c - b) + 1;
		/* htdigest: user:realm:hash */
		he = e;
		if (memchr(b + h, ':', e - h))
			h = (size_t)((const char *)memrchr(b + h, ':', e - h) - b) + 1;
		kind = hash_kind(b + h, he - h);
		if (kind)
			cf_emit(s, CF_HTPASSWD, h, he - h, b + h, he - h, CF_STRUCTURED,
				"password hash (%s)", kind);
		else if (he - h > 7 && !memcmp(b + h, "{PLAIN}", 7))
			cf_emit(s, CF_HTPASSWD, h + 7, he - h - 7, b + h + 7, he - h - 7,
				CF_PASSWORDLIKE, "password (plain text)");
		else if (he - h == 32 && all_hex(b + h, 32))
			cf_emit(s, CF_HTPASSWD, h, he - h, b + h, he - h, CF_STRUCTURED,
				"password hash (htdigest md5)");
	}
	return 0;
}

int cf_scan_shadow(struct cf_scan *s)
{
	size_t pos = 0, a, e;

	while (!s->stop && cf_next_line(s->buf, s->len, &pos, &a, &e)) {
		const char *b = s->buf, *c1, *c2;
		const char *kind;
		size_t h, he;
		bool locked;

		if (a == e || b[a] == '#' || !(c1 = memchr(b + a, ':', e - a)))
			continue;
		h = (size_t)(c1 - b) + 1;
		c2 = memchr(b + h, ':', e - h);
		he = c2 ? (size_t)(c2 - b) : e;
		locked = h < he && b[h] == '!';
		if (locked)
			h++;
		kind = hash_kind(b + h, he - h);
		if (kind)
			cf_emit(s, CF_SHADOW, h, he - h, b + h, he - h, CF_STRUCTURED,
				"password hash (%s%s)", kind, locked ? ", account locked" : "");
	}
	return 0;
}
