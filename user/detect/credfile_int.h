/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Shared by the credential-file parsers (credfile_*.c): the rules they report and emitting. */
#ifndef CW_CREDFILE_INT_H
#define CW_CREDFILE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "detect/credfile.h"
#include "detect/decode.h"

/* The rules findings are reported under; ids in credfile.c. */
enum cf_rule {
	CF_NETRC,
	CF_GIT_CREDENTIALS,
	CF_PGPASS,
	CF_MYSQL,
	CF_PASSWORD, /* a password in a connection file with no rule of its own */
	CF_DOCKER,
	CF_KUBE_TOKEN,
	CF_KUBE_KEY,
	CF_PYPIRC,
	CF_NPM_TOKEN,
	CF_NPM_BASIC,
	CF_AWS_KEY_ID,
	CF_AWS_TEMP_KEY_ID,
	CF_AWS_SECRET,
	CF_AWS_SESSION,
	CF_GCP_SA,
	CF_GOOGLE_REFRESH,
	CF_S3CFG,
	CF_HTPASSWD,
	CF_SHADOW,
	CF_PRIVATE_KEY,
	CF_PUTTY,
	CF_PKCS12,
	CF_DJANGO,
	CF_RAILS_SKB,
	CF_RAILS_MASTER,
	CF_WP_DB,
	CF_WP_SALT,
	CF_LARAVEL,
	CF_FILEZILLA,
	CF_WINSCP,
	CF_DBEAVER,
	CF_RULE_COUNT,
};

struct cw_credfiles {
	const struct cw_rule *rule[CF_RULE_COUNT];
};

/* One parse: where findings go. */
struct cf_scan {
	const struct cw_credfiles *cf;
	struct cw_matcher *m; /* to tell a provider's token in a field; may be NULL */
	const char *buf;
	size_t len;
	/* the decoded text a value was cut from (user:password), while a parser emits it */
	const char *within;
	size_t within_len;
	bool example; /* .example, -sample, .dist...: weak and made-up values are no finding */
	struct cw_credfile_seen *seen;
	cw_match_cb cb;
	void *arg;
	int n;	  /* reported */
	int stop; /* the callback's nonzero, or -errno */
};

enum {
	CF_SECRET = 0,
	CF_PASSWORDLIKE = 1, /* a password a person chose: strength, not the placeholder filter */
	/* a hash, key or blob whose format is checked already: runs of one byte and sequences
	 * occur in it (AAAA in a key's base64) and mean nothing */
	CF_STRUCTURED = 2,
};

/*
 * The decoding a format defines, in flags above CF_ENC_SHIFT: a detect/decode.h path,
 * outermost step in the low byte, for the finding's credential.encoding.
 */
#define CF_ENC_SHIFT 8
#define CF_ENC(path) ((int)((path) << CF_ENC_SHIFT))
#define CF_ENC_B64 CF_ENC(CW_ENC_BASE64)
/* base64 of user:password, the password reported */
#define CF_ENC_B64_USERPASS CF_ENC(CW_ENC_BASE64 | CW_ENC_BASIC_AUTH << 8)

/*
 * Report one credential: its value is written at buf[at, at + span); secret/slen are its
 * bytes (the same, or decoded). The field is printf-formatted and never holds a value.
 * Returns s->stop (nonzero: stop parsing).
 */
int cf_emit(struct cf_scan *s, enum cf_rule r, size_t at, size_t span, const char *secret,
	    size_t slen, int flags, const char *fmt, ...) __attribute__((format(printf, 8, 9)));
/* The same where the value is written as it is. */
static inline int cf_emit_raw(struct cf_scan *s, enum cf_rule r, size_t at, size_t span, int flags,
			      const char *field)
{
	return cf_emit(s, r, at, span, s->buf + at, span, flags, "%s", field);
}

/* A value that stands for one: ${VAR}, $VAR, {{ x }}, <password>, %(x)s, ****, your_password. */
bool cf_template(const char *v, size_t n);

/* Lines: [*pos, end of line) without its \r\n; false at the end of the buffer. */
bool cf_next_line(const char *buf, size_t len, size_t *pos, size_t *start, size_t *end);
/* Trim blanks (spaces and tabs) off both ends of [*a, *b). */
void cf_trim(const char *buf, size_t *a, size_t *b);
/* Strip one pair of matching quotes around [*a, *b). */
void cf_unquote(const char *buf, size_t *a, size_t *b);
/* Case-insensitive comparison of buf[a, b) with a string. */
bool cf_eq(const char *buf, size_t a, size_t b, const char *s);

/* The parsers, one per family. */
int cf_scan_netrc(struct cf_scan *s);
int cf_scan_git_credentials(struct cf_scan *s);
int cf_scan_pgpass(struct cf_scan *s);
int cf_scan_htpasswd(struct cf_scan *s);
int cf_scan_shadow(struct cf_scan *s);
int cf_scan_kv(struct cf_scan *s, enum cw_credfile_kind k);
int cf_scan_kubeconfig(struct cf_scan *s);
int cf_scan_json(struct cf_scan *s, enum cw_credfile_kind k);
int cf_scan_xml(struct cf_scan *s);
int cf_scan_keys(struct cf_scan *s, enum cw_credfile_kind k);

#endif
