/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Credential files read as their tools read them. Text rules see `password pass123` in a
 * .netrc as a weak value that looks like a placeholder and drop it; the tool that reads the
 * file sees a password. So a file whose kind is known (by its name, or for keys and
 * service-account JSON by its first bytes) is also parsed: each credential is a match of the
 * rule rules/credfiles.yaml (or another rule file) gives its field, with the field it came
 * from (`machine example.com password`) and, for passwords, a strength class instead of the
 * placeholder filter. Templates (`${DB_PASSWORD}`, `<password>`) are never findings; in an
 * example file (`.env.example`, `wp-config-sample.php`) neither are weak or made-up values.
 *
 * Callers run the parser beside the text matcher on the same bytes and report a text match
 * that a file finding covers (overlapping bytes, or the same rule) once, as the file finding:
 * see cw_credfile_covers().
 */
#ifndef CW_CREDFILE_H
#define CW_CREDFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "detect/matcher.h"
#include "detect/rules.h"

enum cw_credfile_kind {
	CW_CF_NONE,
	CW_CF_NETRC,
	CW_CF_GIT_CREDENTIALS,
	CW_CF_PGPASS,
	CW_CF_MYSQL,  /* option files: my.cnf, .my.cnf, debian.cnf */
	CW_CF_DOCKER, /* ~/.docker/config.json, containers' auth.json */
	CW_CF_KUBECONFIG,
	CW_CF_PYPIRC,
	CW_CF_NPMRC,
	CW_CF_AWS,    /* ~/.aws/credentials and ~/.aws/config */
	CW_CF_GCLOUD, /* application_default_credentials.json, service-account keys */
	CW_CF_S3CFG,
	CW_CF_HTPASSWD,
	CW_CF_SHADOW,
	CW_CF_KEY,	 /* PEM and OpenSSH private keys, PuTTY .ppk */
	CW_CF_PKCS12,	 /* .p12 / .pfx */
	CW_CF_DJANGO,	 /* settings.py */
	CW_CF_RAILS,	 /* config/secrets.yml */
	CW_CF_RAILS_KEY, /* config/master.key, config/credentials/NAME.key */
	CW_CF_WORDPRESS, /* wp-config.php */
	CW_CF_DOTENV,	 /* .env files (Laravel's APP_KEY, *_PASSWORD) */
	CW_CF_FILEZILLA, /* sitemanager.xml, recentservers.xml */
	CW_CF_WINSCP,	 /* WinSCP.ini */
	CW_CF_SFTP_JSON, /* VS Code sftp.json, Sublime sftp-config.json */
	CW_CF_DBEAVER,	 /* data-sources.json, credentials-config.json */
	CW_CF_PGADMIN,	 /* servers.json */
	CW_CF_COUNT,
};

/* The rules file findings are reported under, looked up by id in a rule set. */
struct cw_credfiles;

/*
 * Look the credential-file rules up in rs (which must outlive the result). A rule rs lacks
 * (a --rules DIR without credfiles.yaml) leaves its fields unreported; when rs has none of
 * them *out is NULL and cw_credfile_scan finds nothing.
 */
int cw_credfiles_new(const struct cw_ruleset *rs, struct cw_credfiles **out);
/* The same from the rules a matcher was compiled from (the agent's handlers have no set). */
int cw_credfiles_for(const struct cw_matcher *m, struct cw_credfiles **out);
void cw_credfiles_free(struct cw_credfiles *cf);

/* The kind of the file at path, by its name alone. */
enum cw_credfile_kind cw_credfile_kind(const char *path);
/*
 * The kind by name, else by the file's first bytes (head, hlen): private keys in any file,
 * kubeconfigs in any YAML-named file, Google service-account keys and registry credentials
 * ("auths") in any .json file.
 */
enum cw_credfile_kind cw_credfile_sniff(const char *path, const char *head, size_t hlen);
const char *cw_credfile_kind_name(enum cw_credfile_kind k);

struct cw_credfile_seen;

/*
 * Parse buf as a file of kind k found at path and report each credential with its rule,
 * field and strength: start is the offset in buf where its value is written, secret and len
 * its bytes (decoded where the format encodes them: docker's auth, a kubeconfig's
 * client-key-data, FileZilla's base64 passwords). When seen is given, each finding's written
 * span and rule are added to it. With a matcher m (not in use by the caller meanwhile), a
 * value a provider's rule matches whole is reported under that rule (a GitHub token as a
 * .git-credentials password is a GitHub token, with GitHub's destinations). Returns the number
 * reported or -errno; the callback returns nonzero to stop.
 */
int cw_credfile_scan(const struct cw_credfiles *cf, struct cw_matcher *m, enum cw_credfile_kind k,
		     const char *buf, size_t len, const char *path, struct cw_credfile_seen *seen,
		     cw_match_cb cb, void *arg);

/* How guessable a password is: common and short ones are weak, long mixed ones strong. */
enum cw_strength cw_password_strength(const char *s, size_t n);
const char *cw_strength_name(enum cw_strength s);

/* What a file's parser found, for dropping the text matches it covers: spans and rules. */
struct cw_credfile_span {
	unsigned long long start, end;
	const struct cw_rule *rule;
};
struct cw_credfile_seen {
	struct cw_credfile_span *v;
	size_t n, cap;
	bool parsed; /* a parser read the file: it owns the format's password fields */
};
/*
 * Is text match m the same credential as a file finding (its bytes overlap one, or its rule
 * is one's), or a generic guess (a rule of kind password or generic-secret without a
 * provider) in a file the parser read, which knows where that format keeps its secrets?
 */
bool cw_credfile_covers(const struct cw_credfile_seen *s, const struct cw_match *m);
void cw_credfile_seen_free(struct cw_credfile_seen *s);

#endif
