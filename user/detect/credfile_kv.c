// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Credential files of key = value lines: INI files (MySQL option files, .pypirc, .npmrc, AWS
 * credentials and config, .s3cfg, WinSCP.ini), .env files, and the settings files of web
 * frameworks where a secret is a literal (Django's settings.py, Rails' secrets.yml,
 * WordPress's wp-config.php defines). Each line gives a key and, when it is written as a
 * literal, a value; the section ([client], [profile dev]) names the field.
 */
#include <stdio.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "detect/credfile_int.h"
#include "util/codec.h"

#define VALUE_MAX 1024

struct kv {
	size_t ka, ke;	   /* the key */
	size_t va, ve;	   /* the value as written (inside its quotes) */
	char v[VALUE_MAX]; /* the value, escapes undone */
	size_t n;
};

/* How a kind writes its lines. */
enum sep {
	SEP_EQ,	      /* key = value (MySQL, npm, AWS, s3cmd, WinSCP) */
	SEP_EQ_COLON, /* key = value or key: value (Python's configparser: .pypirc) */
	SEP_ENV,      /* [export] KEY=value # comment (.env) */
	SEP_CODE,     /* NAME = 'literal', 'NAME': 'literal', define('NAME', 'literal') */
	SEP_YAML,     /* key: value # comment (Rails' secrets.yml) */
};

/* A quoted literal from b[p] (the quote): its span and decoded value; false if unclosed. */
static bool literal(const char *b, size_t p, size_t e, struct kv *kv)
{
	char q = b[p++];

	kv->va = p;
	kv->n = 0;
	for (; p < e && b[p] != q; p++) {
		if (b[p] == '\\' && p + 1 < e)
			p++;
		if (kv->n < VALUE_MAX)
			kv->v[kv->n++] = b[p];
	}
	kv->ve = p;
	return p < e;
}

/* A bare value b[a, e): trimmed, one pair of quotes off, a " #" comment off where allowed. */
static void bare(const char *b, size_t a, size_t e, bool comments, struct kv *kv)
{
	if (comments && a < e && b[a] != '"' && b[a] != '\'')
		for (size_t i = a + 1; i < e; i++)
			if (b[i] == '#' && (b[i - 1] == ' ' || b[i - 1] == '\t')) {
				e = i;
				break;
			}
	cf_trim(b, &a, &e);
	if (e > a && (b[a] == '"' || b[a] == '\'') && literal(b, a, e, kv))
		return;
	kv->va = a;
	kv->ve = e;
	kv->n = e - a < VALUE_MAX ? e - a : VALUE_MAX;
	memcpy(kv->v, b + a, kv->n);
}

/*
 * A code value: a literal, or a lookup with a literal default (os.environ.get('K', 'dflt'),
 * env('K', default='dflt'), ENV.fetch('K') { 'dflt' }): the default is what runs when the
 * variable is unset. A lookup without one, or any other expression, has no value here.
 */
static bool code_value(const char *b, size_t p, size_t e, struct kv *kv)
{
	const char *comma;

	while (p < e && (b[p] == ' ' || b[p] == '\t'))
		p++;
	if (p < e && (b[p] == '\'' || b[p] == '"'))
		return literal(b, p, e, kv);
	if (!memmem(b + p, e - p, "env", 3) && !memmem(b + p, e - p, "ENV", 3))
		return false;
	comma = memchr(b + p, ',', e - p);
	if (!comma)
		comma = memchr(b + p, '{', e - p);
	if (!comma)
		return false;
	p = (size_t)(comma - b) + 1;
	while (p < e && (b[p] == ' ' || b[p] == '\t'))
		p++;
	if (e - p > 8 && !strncmp(b + p, "default=", 8))
		p += 8;
	return p < e && (b[p] == '\'' || b[p] == '"') && literal(b, p, e, kv);
}

/* Split the line b[a, e) into key and value as the kind writes them. */
static bool split(const char *b, size_t a, size_t e, enum sep sep, struct kv *kv)
{
	size_t p;

	cf_trim(b, &a, &e);
	if (a == e || b[a] == '#' || b[a] == ';' || b[a] == '[')
		return false;
	if (sep == SEP_ENV && e - a > 7 && !strncmp(b + a, "export ", 7))
		a += 7;
	if (sep == SEP_CODE && e - a > 6 && !strncmp(b + a, "define", 6)) {
		/* define( 'NAME', 'value' ) */
		for (p = a + 6; p < e && b[p] != '\'' && b[p] != '"'; p++)
			;
		if (p >= e || !literal(b, p, e, kv))
			return false;
		kv->ka = kv->va;
		kv->ke = kv->ve;
		for (p = kv->ve + 1; p < e && b[p] != ','; p++)
			;
		return p < e && code_value(b, p + 1, e, kv);
	}
	for (p = a; p < e; p++)
		if ((b[p] == '=' && sep != SEP_YAML) ||
		    (b[p] == ':' && (sep == SEP_EQ_COLON || sep == SEP_CODE || sep == SEP_YAML)))
			break;
	if (p >= e)
		return false;
	kv->ka = a;
	kv->ke = p;
	cf_trim(b, &kv->ka, &kv->ke);
	cf_unquote(b, &kv->ka, &kv->ke);
	if (sep == SEP_CODE) {
		p += p + 1 < e && b[p + 1] == '>'; /* Ruby's => */
		return code_value(b, p + 1, e, kv);
	}
	bare(b, p + 1, e, sep == SEP_ENV || sep == SEP_YAML, kv);
	return true;
}

static bool key_is(const char *b, const struct kv *kv, const char *name)
{
	return cf_eq(b, kv->ka, kv->ke, name);
}

/* Does the key end with suffix (case-insensitive)? */
static bool key_ends(const char *b, const struct kv *kv, const char *suffix)
{
	size_t sl = strlen(suffix);

	return kv->ke - kv->ka >= sl && !strncasecmp(b + kv->ke - sl, suffix, sl);
}

static bool password_key(const char *b, const struct kv *kv)
{
	return key_ends(b, kv, "password") || key_ends(b, kv, "passwd") ||
	       key_ends(b, kv, "_pass") || key_ends(b, kv, "_pwd") || key_is(b, kv, "pass");
}

static void emit(struct cf_scan *s, enum cf_rule r, const struct kv *kv, int flags,
		 const char *section, size_t slen)
{
	cf_emit(s, r, kv->va, kv->ve - kv->va, kv->v, kv->n, flags, "%s%s%.*s", section,
		*section ? " " : "", (int)(kv->ke - kv->ka), s->buf + kv->ka);
	(void)slen;
}

/* npm's _auth is base64(user:password), _password base64(password). */
static void npm_basic(struct cf_scan *s, struct kv *kv, bool with_user, const char *section)
{
	unsigned char dec[VALUE_MAX];
	long n = cw_base64_decode(kv->v, kv->n, dec, sizeof(dec));
	const unsigned char *c;
	size_t off = 0;

	if (n <= 0) { /* not base64: the value itself */
		emit(s, CF_NPM_BASIC, kv, CF_SECRET, section, 0);
		return;
	}
	if (with_user && (c = memchr(dec, ':', (size_t)n)))
		off = (size_t)(c - dec) + 1;
	s->within = (const char *)dec;
	s->within_len = (size_t)n;
	cf_emit(s, CF_NPM_BASIC, kv->va, kv->ve - kv->va, (const char *)dec + off, (size_t)n - off,
		CF_PASSWORDLIKE | (with_user ? CF_ENC_B64_USERPASS : CF_ENC_B64), "%.*s (base64)",
		(int)(kv->ke - kv->ka), s->buf + kv->ka);
	s->within = NULL;
	explicit_bzero(dec, sizeof(dec));
}

/*
 * credential_process names a command that prints the credentials as JSON; a command that is
 * an echo of that JSON holds them: {"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ...}.
 */
static void process_json(struct cf_scan *s, const struct kv *kv, const char *sec)
{
	static const struct {
		const char *key;
		enum cf_rule rule;
	} fields[] = { { "\"SecretAccessKey\"", CF_AWS_SECRET },
		       { "\"SessionToken\"", CF_AWS_SESSION },
		       { "\"AccessKeyId\"", CF_AWS_KEY_ID } };
	const char *b = s->buf;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *k =
			memmem(b + kv->va, kv->ve - kv->va, fields[i].key, strlen(fields[i].key));
		const char *end = b + kv->ve, *v, *q;

		if (!k)
			continue;
		for (v = k + strlen(fields[i].key); v < end && (*v == ' ' || *v == ':'); v++)
			;
		if (v >= end || *v != '"' || !(q = memchr(v + 1, '"', (size_t)(end - v - 1))))
			continue;
		v++;
		cf_emit(s,
			fields[i].rule == CF_AWS_KEY_ID && q - v > 4 && !memcmp(v, "ASIA", 4)
				? CF_AWS_TEMP_KEY_ID
				: fields[i].rule,
			(size_t)(v - b), (size_t)(q - v), v, (size_t)(q - v), CF_SECRET,
			"%s%scredential_process %.*s", sec, *sec ? " " : "",
			(int)strlen(fields[i].key) - 2, fields[i].key + 1);
	}
}

static const char *const wp_salts[] = { "AUTH_KEY",	  "SECURE_AUTH_KEY", "LOGGED_IN_KEY",
					"NONCE_KEY",	  "AUTH_SALT",	     "SECURE_AUTH_SALT",
					"LOGGED_IN_SALT", "NONCE_SALT" };

/* The option groups MySQL's and MariaDB's client programs read (not the server's). */
static bool mysql_client(const char *sec)
{
	static const char *const groups[] = {
		"[client]",	    "[mysql]",		"[mysqldump]",	   "[mysqladmin]",
		"[mysqlimport]",    "[mysqlshow]",	"[mysqlcheck]",	   "[mysqlslap]",
		"[mysqlbinlog]",    "[mysqlpump]",	"[mysql_upgrade]", "[client-server]",
		"[mariadb-client]", "[client-mariadb]", "[mariadb-dump]",  "[mariadb-upgrade]",
	};

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (!strcasecmp(sec, groups[i]))
			return true;
	return false;
}

/* What one key holds in a file of kind k, reported. */
static void one(struct cf_scan *s, enum cw_credfile_kind k, struct kv *kv, const char *sec)
{
	const char *b = s->buf;

	switch (k) {
	case CW_CF_MYSQL:
		if (key_is(b, kv, "password") && mysql_client(sec))
			emit(s, CF_MYSQL, kv, CF_PASSWORDLIKE, sec, 0);
		break;
	case CW_CF_PYPIRC:
		if (key_is(b, kv, "password"))
			emit(s, CF_PYPIRC, kv, CF_PASSWORDLIKE, sec, 0);
		break;
	case CW_CF_NPMRC:
		if (key_ends(b, kv, "_authToken"))
			emit(s, CF_NPM_TOKEN, kv, CF_SECRET, sec, 0);
		else if (key_ends(b, kv, "_auth") && !cf_template(kv->v, kv->n))
			npm_basic(s, kv, true, sec);
		else if (key_ends(b, kv, "_password") && !cf_template(kv->v, kv->n))
			npm_basic(s, kv, false, sec);
		break;
	case CW_CF_AWS:
	case CW_CF_S3CFG:
		if (key_is(b, kv, "aws_access_key_id") || key_is(b, kv, "access_key"))
			emit(s,
			     kv->n > 4 && !memcmp(kv->v, "ASIA", 4) ? CF_AWS_TEMP_KEY_ID
								    : CF_AWS_KEY_ID,
			     kv, CF_SECRET, sec, 0);
		else if (key_is(b, kv, "aws_secret_access_key"))
			emit(s, CF_AWS_SECRET, kv, CF_SECRET, sec, 0);
		else if (key_is(b, kv, "secret_key"))
			emit(s, CF_S3CFG, kv, CF_SECRET, sec, 0);
		else if (key_is(b, kv, "aws_session_token") ||
			 key_is(b, kv, "aws_security_token") || key_is(b, kv, "access_token"))
			emit(s, CF_AWS_SESSION, kv, CF_SECRET, sec, 0);
		else if (key_is(b, kv, "proxy_password") || key_is(b, kv, "gpg_passphrase"))
			emit(s, CF_PASSWORD, kv, CF_PASSWORDLIKE, sec, 0);
		else if (key_is(b, kv, "credential_process"))
			process_json(s, kv, sec);
		break;
	case CW_CF_WINSCP:
		if (key_ends(b, kv, "password") && kv->n)
			emit(s, CF_WINSCP, kv, CF_STRUCTURED, sec, 0);
		break;
	case CW_CF_DOTENV:
		if (key_is(b, kv, "APP_KEY"))
			emit(s, CF_LARAVEL, kv, CF_SECRET, sec, 0);
		else if (key_is(b, kv, "SECRET_KEY_BASE"))
			emit(s, CF_RAILS_SKB, kv, CF_SECRET, sec, 0);
		else if (key_is(b, kv, "RAILS_MASTER_KEY"))
			emit(s, CF_RAILS_MASTER, kv, CF_SECRET, sec, 0);
		else if (key_is(b, kv, "SECRET_KEY") || key_is(b, kv, "DJANGO_SECRET_KEY"))
			emit(s, CF_DJANGO, kv, CF_SECRET, sec, 0);
		else if (password_key(b, kv))
			emit(s, CF_PASSWORD, kv, CF_PASSWORDLIKE, sec, 0);
		break;
	case CW_CF_DJANGO:
		if (key_is(b, kv, "SECRET_KEY"))
			emit(s, CF_DJANGO, kv, CF_SECRET, sec, 0);
		else if (password_key(b, kv))
			emit(s, CF_PASSWORD, kv, CF_PASSWORDLIKE, sec, 0);
		break;
	case CW_CF_RAILS:
		if (key_is(b, kv, "secret_key_base"))
			emit(s, CF_RAILS_SKB, kv, CF_SECRET, sec, 0);
		break;
	case CW_CF_WORDPRESS:
		if (key_is(b, kv, "DB_PASSWORD"))
			emit(s, CF_WP_DB, kv, CF_PASSWORDLIKE, sec, 0);
		for (size_t i = 0; i < sizeof(wp_salts) / sizeof(wp_salts[0]); i++)
			if (key_is(b, kv, wp_salts[i]))
				emit(s, CF_WP_SALT, kv, CF_STRUCTURED, sec, 0);
		break;
	default: break;
	}
}

static enum sep sep_of(enum cw_credfile_kind k)
{
	switch (k) {
	case CW_CF_PYPIRC: return SEP_EQ_COLON;
	case CW_CF_DOTENV: return SEP_ENV;
	case CW_CF_RAILS: return SEP_YAML;
	case CW_CF_DJANGO:
	case CW_CF_WORDPRESS: return SEP_CODE;
	default: return SEP_EQ;
	}
}

int cf_scan_kv(struct cf_scan *s, enum cw_credfile_kind k)
{
	size_t pos = 0, a, e;
	enum sep sep = sep_of(k);
	char section[128] = "";
	struct kv kv;

	while (!s->stop && cf_next_line(s->buf, s->len, &pos, &a, &e)) {
		cf_trim(s->buf, &a, &e);
		if (sep != SEP_CODE && a < e && s->buf[a] == '[') {
			const char *c = memchr(s->buf + a, ']', e - a);

			if (c)
				snprintf(section, sizeof(section), "%.*s",
					 (int)(c - s->buf - a + 1), s->buf + a);
			continue;
		}
		if (split(s->buf, a, e, sep, &kv))
			one(s, k, &kv, section);
	}
	explicit_bzero(&kv, sizeof(kv));
	return 0;
}
