// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * JSON credential files: docker's config.json (auths.REGISTRY.auth is base64 user:password,
 * identitytoken an OAuth refresh token), gcloud's application_default_credentials.json and
 * service-account keys (private_key, refresh_token), VS Code's sftp.json, DBeaver's
 * data-sources.json and pgAdmin's servers.json (password, passphrase). A small tokenizer
 * walks the document keeping each string's key path and written span (a JSON library gives
 * values, not where they are written, and a finding needs its line and column).
 */
#include <stdio.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/credfile_int.h"
#include "util/codec.h"

#define DEPTH_MAX 16
#define KEY_MAX 128
#define VALUE_MAX 16384 /* a service-account key's PEM is ~1.7 KB */

struct walk {
	struct cf_scan *s;
	enum cw_credfile_kind k;
	char key[DEPTH_MAX + 1][KEY_MAX]; /* key of each open level (1..DEPTH_MAX); "" in arrays */
	int depth;
	char *v; /* the current string, escapes undone */
	size_t n;
};

/* A string at b[*p] (the quote): decoded into w->v; *p past its closing quote. */
static bool string(struct walk *w, size_t *p, size_t *va, size_t *ve)
{
	const char *b = w->s->buf;
	size_t len = w->s->len, i = *p + 1;

	w->n = 0;
	*va = i;
	for (; i < len && b[i] != '"'; i++) {
		char c = b[i];

		if (c == '\\' && i + 1 < len) {
			c = b[++i];
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c == 'r')
				c = '\r';
			else if (c == 'u' &&
				 i + 4 < len) { /* kept as written: ASCII is enough here */
				unsigned long u = strtoul(
					(char[5]){ b[i + 1], b[i + 2], b[i + 3], b[i + 4], 0 },
					NULL, 16);

				c = u < 0x80 ? (char)u : '?';
				i += 4;
			}
		}
		if (w->n < VALUE_MAX)
			w->v[w->n++] = c;
	}
	*ve = i;
	*p = i + (i < len);
	return i < len;
}

static const char *parent(const struct walk *w, int up)
{
	return w->depth - up >= 0 ? w->key[w->depth - up] : "";
}

/* docker: auths.REGISTRY.auth = base64(user:password) */
static void docker_auth(struct walk *w, size_t va, size_t ve)
{
	unsigned char dec[1024];
	long n = cw_base64_decode(w->v, w->n, dec, sizeof(dec));
	const unsigned char *c = n > 0 ? memchr(dec, ':', (size_t)n) : NULL;

	w->s->within = (const char *)dec;
	w->s->within_len = n > 0 ? (size_t)n : 0;
	if (c)
		cf_emit(w->s, CF_DOCKER, va, ve - va, (const char *)c + 1,
			(size_t)(dec + n - c - 1), CF_PASSWORDLIKE | CF_ENC_B64_USERPASS,
			"auths[%s] auth (base64)", parent(w, 1));
	else if (n <= 0)
		cf_emit(w->s, CF_DOCKER, va, ve - va, w->v, w->n, CF_SECRET, "auths[%s] auth",
			parent(w, 1));
	w->s->within = NULL;
	explicit_bzero(dec, sizeof(dec));
}

/* One string value whose key is key. */
static void value(struct walk *w, const char *key, size_t va, size_t ve)
{
	struct cf_scan *s = w->s;

	switch (w->k) {
	case CW_CF_DOCKER:
		if (!strcmp(key, "auth") && !strcmp(parent(w, 2), "auths"))
			docker_auth(w, va, ve);
		else if (!strcasecmp(key, "identitytoken") || !strcasecmp(key, "registrytoken"))
			cf_emit(s, CF_DOCKER, va, ve - va, w->v, w->n, CF_SECRET, "auths[%s] %s",
				parent(w, 1), key);
		break;
	case CW_CF_GCLOUD:
		if (!strcmp(key, "private_key"))
			cf_emit(s, CF_GCP_SA, va, ve - va, w->v, w->n, CF_STRUCTURED,
				"private_key");
		else if (!strcmp(key, "refresh_token"))
			cf_emit(s, CF_GOOGLE_REFRESH, va, ve - va, w->v, w->n, CF_SECRET,
				"refresh_token");
		break;
	default: /* connection files: sftp.json, DBeaver, pgAdmin */
		if (!strcasecmp(key, "password") || !strcasecmp(key, "passphrase") ||
		    !strcasecmp(key, "proxyPassword"))
			cf_emit(s, CF_PASSWORD, va, ve - va, w->v, w->n, CF_PASSWORDLIKE, "%s%s%s",
				w->depth > 1 ? parent(w, 1) : "", w->depth > 1 ? " " : "", key);
		break;
	}
}

/* Walk the document: objects push their key, strings after a key are values. */
static void walk(struct walk *w)
{
	const char *b = w->s->buf;
	size_t p = 0, len = w->s->len, va, ve;

	w->depth = 0;
	while (p < len && !w->s->stop) {
		char c = b[p];

		if (c == '{' || c == '[') {
			if (w->depth < DEPTH_MAX)
				w->depth++;
			if (c == '[')
				w->key[w->depth][0] = '\0';
			p++;
		} else if (c == '}' || c == ']') {
			if (w->depth > 0)
				w->depth--;
			p++;
		} else if (c == '"') {
			if (!string(w, &p, &va, &ve))
				break;
			while (p < len && isspace((unsigned char)b[p]))
				p++;
			if (p < len && b[p] == ':' && w->depth > 0) {
				/* a key: the next value's name, and its object's name below it */
				snprintf(w->key[w->depth], KEY_MAX, "%.*s", (int)w->n, w->v);
				p++;
			} else if (w->depth > 0 && w->key[w->depth][0]) {
				value(w, w->key[w->depth], va, ve);
			}
		} else {
			p++;
		}
	}
}

int cf_scan_json(struct cf_scan *s, enum cw_credfile_kind k)
{
	struct walk w = { .s = s, .k = k };
	size_t p = 0;

	while (p < s->len && isspace((unsigned char)s->buf[p]))
		p++;
	if (k == CW_CF_DBEAVER && p < s->len && s->buf[p] != '{') {
		/* credentials-config.json: AES with the key DBeaver publishes: as good as plain */
		return cf_emit_raw(s, CF_DBEAVER, 0, s->len, CF_STRUCTURED,
				   "saved credentials (encrypted with DBeaver's default key)"),
		       0;
	}
	if (!(w.v = malloc(VALUE_MAX)))
		return -ENOMEM;
	walk(&w);
	explicit_bzero(w.v, VALUE_MAX);
	free(w.v);
	return 0;
}
