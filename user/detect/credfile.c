// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Credential files (credfile.h): which file is which, the rules findings go under, the filters
 * every parser's values go through (templates, example files, strength), and the text
 * helpers the line-oriented parsers share. The parsers are credfile_{lines,ini,code,json,xml,
 * keys}.c.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/credfile.h"
#include "detect/context.h"
#include "detect/credfile_int.h"
#include "detect/decode.h"
#include "detect/placeholder.h"
#include "util/grow.h"
#include "util/str.h"

/* enum cf_rule -> rule id. Rules of other files are reused where they name the same thing. */
static const char *const rule_ids[CF_RULE_COUNT] = {
	[CF_NETRC] = "netrc-password",
	[CF_GIT_CREDENTIALS] = "git-credentials-password",
	[CF_PGPASS] = "pgpass-password",
	[CF_MYSQL] = "mysql-option-file-password",
	[CF_PASSWORD] = "connection-file-password",
	[CF_DOCKER] = "docker-config-auth",
	[CF_KUBE_TOKEN] = "kubeconfig-user-token",
	[CF_KUBE_KEY] = "kubeconfig-client-key-data",
	[CF_PYPIRC] = "pypirc-password",
	[CF_NPM_TOKEN] = "npmrc-auth-token",
	[CF_NPM_BASIC] = "npmrc-basic-auth",
	[CF_AWS_KEY_ID] = "aws-access-key-id",
	[CF_AWS_TEMP_KEY_ID] = "aws-temporary-access-key-id",
	[CF_AWS_SECRET] = "aws-secret-access-key",
	[CF_AWS_SESSION] = "aws-session-token",
	[CF_GCP_SA] = "gcp-service-account-key",
	[CF_GOOGLE_REFRESH] = "google-oauth-refresh-token",
	[CF_S3CFG] = "s3cfg-secret-key",
	[CF_HTPASSWD] = "htpasswd-hash",
	[CF_SHADOW] = "shadow-password-hash",
	[CF_PRIVATE_KEY] = "private-key",
	[CF_PUTTY] = "putty-private-key",
	[CF_PKCS12] = "pkcs12-bundle",
	[CF_DJANGO] = "django-secret-key",
	[CF_RAILS_SKB] = "rails-secret-key-base",
	[CF_RAILS_MASTER] = "rails-master-key",
	[CF_WP_DB] = "wordpress-db-password",
	[CF_WP_SALT] = "wordpress-auth-salt",
	[CF_LARAVEL] = "laravel-app-key",
	[CF_FILEZILLA] = "filezilla-password",
	[CF_WINSCP] = "winscp-password",
	[CF_DBEAVER] = "dbeaver-credentials",
};

static const char *const kind_names[CW_CF_COUNT] = {
	[CW_CF_NONE] = "none",
	[CW_CF_NETRC] = "netrc",
	[CW_CF_GIT_CREDENTIALS] = "git-credentials",
	[CW_CF_PGPASS] = "pgpass",
	[CW_CF_MYSQL] = "mysql",
	[CW_CF_DOCKER] = "docker",
	[CW_CF_KUBECONFIG] = "kubeconfig",
	[CW_CF_PYPIRC] = "pypirc",
	[CW_CF_NPMRC] = "npmrc",
	[CW_CF_AWS] = "aws",
	[CW_CF_GCLOUD] = "gcloud",
	[CW_CF_S3CFG] = "s3cfg",
	[CW_CF_HTPASSWD] = "htpasswd",
	[CW_CF_SHADOW] = "shadow",
	[CW_CF_KEY] = "key",
	[CW_CF_PKCS12] = "pkcs12",
	[CW_CF_DJANGO] = "django",
	[CW_CF_RAILS] = "rails",
	[CW_CF_RAILS_KEY] = "rails-key",
	[CW_CF_WORDPRESS] = "wordpress",
	[CW_CF_DOTENV] = "dotenv",
	[CW_CF_FILEZILLA] = "filezilla",
	[CW_CF_WINSCP] = "winscp",
	[CW_CF_SFTP_JSON] = "sftp-json",
	[CW_CF_DBEAVER] = "dbeaver",
	[CW_CF_PGADMIN] = "pgadmin",
};

const char *cw_credfile_kind_name(enum cw_credfile_kind k)
{
	return k < CW_CF_COUNT ? kind_names[k] : "none";
}

int cw_credfiles_new(const struct cw_ruleset *rs, struct cw_credfiles **out)
{
	struct cw_credfiles *cf = calloc(1, sizeof(*cf));
	bool any = false;

	*out = NULL;
	if (!cf)
		return -ENOMEM;
	for (size_t r = 0; r < CF_RULE_COUNT; r++)
		for (size_t i = 0; i < rs->n && !cf->rule[r]; i++)
			if (!strcmp(rs->rules[i].id, rule_ids[r]))
				any = (cf->rule[r] = &rs->rules[i]) != NULL;
	if (!any) {
		free(cf);
		return 0;
	}
	*out = cf;
	return 0;
}

int cw_credfiles_for(const struct cw_matcher *m, struct cw_credfiles **out)
{
	struct cw_ruleset rs = { 0 };

	rs.rules = (struct cw_rule *)cw_matcher_rules(m, &rs.n);
	return cw_credfiles_new(&rs, out);
}

void cw_credfiles_free(struct cw_credfiles *cf)
{
	free(cf);
}

/* Does path end with "/suffix" (or is it suffix)? */
static bool path_is(const char *path, size_t n, const char *suffix)
{
	size_t sl = strlen(suffix);

	return cw_ends_with(path, n, suffix) && (n == sl || path[n - sl - 1] == '/');
}

/* By basename, exactly. */
static const struct {
	const char *name;
	enum cw_credfile_kind kind;
} names[] = {
	{ ".netrc", CW_CF_NETRC },
	{ "_netrc", CW_CF_NETRC },
	{ ".git-credentials", CW_CF_GIT_CREDENTIALS },
	{ ".pgpass", CW_CF_PGPASS },
	{ "pgpass.conf", CW_CF_PGPASS },
	{ ".my.cnf", CW_CF_MYSQL },
	{ "my.cnf", CW_CF_MYSQL },
	{ "debian.cnf", CW_CF_MYSQL },
	{ "client.cnf", CW_CF_MYSQL },
	{ "kubeconfig", CW_CF_KUBECONFIG },
	{ ".pypirc", CW_CF_PYPIRC },
	{ ".npmrc", CW_CF_NPMRC },
	{ "application_default_credentials.json", CW_CF_GCLOUD },
	{ "adc.json", CW_CF_GCLOUD },
	{ ".s3cfg", CW_CF_S3CFG },
	{ ".htpasswd", CW_CF_HTPASSWD },
	{ "htpasswd", CW_CF_HTPASSWD },
	{ "shadow", CW_CF_SHADOW },
	{ "shadow-", CW_CF_SHADOW },
	{ "gshadow", CW_CF_SHADOW },
	{ "master.passwd", CW_CF_SHADOW },
	{ "wp-config.php", CW_CF_WORDPRESS },
	{ "wp-config-sample.php", CW_CF_WORDPRESS },
	{ "settings.py", CW_CF_DJANGO },
	{ "local_settings.py", CW_CF_DJANGO },
	{ "sitemanager.xml", CW_CF_FILEZILLA },
	{ "recentservers.xml", CW_CF_FILEZILLA },
	{ "filezilla.xml", CW_CF_FILEZILLA },
	{ "winscp.ini", CW_CF_WINSCP },
	{ "sftp.json", CW_CF_SFTP_JSON },
	{ "sftp-config.json", CW_CF_SFTP_JSON },
	{ "data-sources.json", CW_CF_DBEAVER },
	{ "credentials-config.json", CW_CF_DBEAVER },
	{ "servers.json", CW_CF_PGADMIN },
	{ ".env", CW_CF_DOTENV },
};

/* By the end of the path (directories included). */
static const struct {
	const char *suffix;
	enum cw_credfile_kind kind;
} suffixes[] = {
	{ "git/credentials", CW_CF_GIT_CREDENTIALS },
	{ ".docker/config.json", CW_CF_DOCKER },
	{ "containers/auth.json", CW_CF_DOCKER },
	{ ".kube/config", CW_CF_KUBECONFIG },
	{ "kubernetes/admin.conf", CW_CF_KUBECONFIG },
	{ "kubernetes/kubelet.conf", CW_CF_KUBECONFIG },
	{ ".aws/credentials", CW_CF_AWS },
	{ ".aws/config", CW_CF_AWS },
	{ "config/secrets.yml", CW_CF_RAILS },
	{ "config/master.key", CW_CF_RAILS_KEY },
};

/* By extension, where nothing else is called so. */
static enum cw_credfile_kind by_extension(const char *path, size_t n, const char *base)
{
	if (cw_ends_with(path, n, ".ppk") || cw_ends_with(path, n, ".pem") ||
	    cw_ends_with(path, n, ".key") || !strncmp(base, "id_", 3))
		return strstr(path, "config/credentials/") && cw_ends_with(path, n, ".key")
			       ? CW_CF_RAILS_KEY
			       : CW_CF_KEY;
	if (cw_ends_with(path, n, ".p12") || cw_ends_with(path, n, ".pfx"))
		return CW_CF_PKCS12;
	if (cw_ends_with(path, n, ".kubeconfig"))
		return CW_CF_KUBECONFIG;
	if (cw_ends_with(path, n, ".htpasswd"))
		return CW_CF_HTPASSWD;
	if (!strncmp(base, ".env.", 5) || cw_ends_with(path, n, ".env"))
		return CW_CF_DOTENV;
	if (cw_ends_with(path, n, ".py") && strstr(path, "/settings/"))
		return CW_CF_DJANGO;
	if (cw_ends_with(path, n, ".cnf") && strstr(path, "mysql/"))
		return CW_CF_MYSQL;
	return CW_CF_NONE;
}

enum cw_credfile_kind cw_credfile_kind(const char *path)
{
	size_t n = strlen(path);
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (path_is(path, n, suffixes[i].suffix))
			return suffixes[i].kind;
	/* every file of a tree comes here: a first letter rules most names out */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (tolower((unsigned char)base[0]) == names[i].name[0] &&
		    !strcasecmp(base, names[i].name))
			return names[i].kind;
	/* ~/.kube/ holds other names too (config-prod); mysql's are *.cnf */
	if (!strchr(base, '.') && strstr(path, "/.kube/"))
		return CW_CF_KUBECONFIG;
	return by_extension(path, n, base);
}

static bool has(const char *h, size_t n, const char *needle)
{
	return memmem(h, n, needle, strlen(needle)) != NULL;
}

/* A name a YAML file may have: .yaml, .yml, .conf, or no extension at all. */
static bool yaml_like(const char *path, size_t n)
{
	const char *base = strrchr(path, '/'), *dot;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	return !dot || dot == base || cw_ends_with(path, n, ".yaml") ||
	       cw_ends_with(path, n, ".yml") || cw_ends_with(path, n, ".conf");
}

enum cw_credfile_kind cw_credfile_sniff(const char *path, const char *head, size_t hlen)
{
	enum cw_credfile_kind k = cw_credfile_kind(path);
	size_t n = strlen(path);

	if (k != CW_CF_NONE)
		return k;
	/* before the PEM test: a service-account key holds one */
	if (cw_ends_with(path, n, ".json") && has(head, hlen, "\"service_account\"") &&
	    has(head, hlen, "\"private_key\""))
		return CW_CF_GCLOUD;
	/* registry credentials under other names: skopeo's auth.json, a .dockerconfigjson */
	if ((cw_ends_with(path, n, ".json") || cw_ends_with(path, n, ".dockerconfigjson")) &&
	    has(head, hlen, "\"auths\""))
		return CW_CF_DOCKER;
	/* a kubeconfig under any name: kubectl --kubeconfig prod.yaml (YAML, or no extension) */
	if (yaml_like(path, n) && has(head, hlen, "kind: Config") && has(head, hlen, "users:") &&
	    has(head, hlen, "clusters:"))
		return CW_CF_KUBECONFIG;
	/* one look for most files: PuTTY keys go by their .ppk */
	if (has(head, hlen, "PRIVATE KEY-----") && has(head, hlen, "-----BEGIN "))
		return CW_CF_KEY;
	return CW_CF_NONE;
}

/* Example, sample and template files: what they hold stands for a value. */
static bool example_file(const char *path)
{
	const char *base = strrchr(path, '/');
	static const char *const words[] = { "example", "sample", "template", ".dist",
					     ".tmpl",	".tpl",	  ".orig" };

	base = base ? base + 1 : path;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(base, words[i]))
			return true;
	return false;
}

/*
 * How a template starts: the whole value is one (${DB_PASSWORD}, {{ db_pass }}, %(pw)s,
 * $(cat f), #{ENV["X"]}, <%= ENV["X"] %>). Inside a value these bytes are as likely as any
 * others: WordPress's salts and random passwords hold "${" and "#{" by chance.
 */
static const char *const template_starts[] = { "${",	   "{{",     "%(",    "$(",
					       "#{",	   "<%",     "your_", "your-",
					       "yourpass", "enter_", "enter-" };
/* Words no chosen value holds. */
static const char *const template_words[] = {
	"placeholder", "replace_me", "replaceme",   "redacted", "put your unique phrase",
	"xxxxxxxx",    "********",   "\xe2\x80\xa6"
};

/* Values that say there is none. */
static const char *const none_words[] = { "null", "none", "nil", "false", "true", "undefined" };

bool cf_template(const char *v, size_t n)
{
	size_t i;

	if (!n)
		return true;
	for (i = 0; i < sizeof(none_words) / sizeof(none_words[0]); i++)
		if (n == strlen(none_words[i]) && !strncasecmp(v, none_words[i], n))
			return true;
	for (i = 0; i < sizeof(template_starts) / sizeof(template_starts[0]); i++)
		if (n >= strlen(template_starts[i]) &&
		    !strncasecmp(v, template_starts[i], strlen(template_starts[i])))
			return true;
	for (i = 0; i < sizeof(template_words) / sizeof(template_words[0]); i++)
		if (memmem(v, n, template_words[i], strlen(template_words[i])))
			return true;
	if ((n >= 3 && !memcmp(v, "...", 3)) || (v[0] == '<' && v[n - 1] == '>'))
		return true;
	/* $VAR and %VAR%: the shell or Windows puts the value there */
	if ((v[0] == '$' || (v[0] == '%' && v[n - 1] == '%')) && n > 1) {
		for (i = 1; i < n - (v[0] == '%'); i++)
			if (!(isalnum((unsigned char)v[i]) || v[i] == '_'))
				break;
		if (i == n - (v[0] == '%'))
			return true;
	}
	for (i = 1; i < n && v[i] == v[0]; i++)
		;
	return i == n && (v[0] == '*' || v[0] == 'x' || v[0] == 'X' || v[0] == '.' || n >= 4);
}

/* Passwords people pick first, and the defaults products ship with. */
static const char *const common[] = {
	"password",	 "passw0rd", "p@ssw0rd",  "pass",      "pass123",     "pass1234",
	"123456",	 "1234567",  "12345678",  "123456789", "1234567890",  "qwerty",
	"qwerty123",	 "letmein",  "welcome",	  "welcome1",  "admin",	      "admin123",
	"administrator", "root",     "toor",	  "secret",    "changeme",    "changeit",
	"default",	 "test",     "test123",	  "guest",     "master",      "postgres",
	"mysql",	 "oracle",   "sa",	  "raspberry", "dragon",      "monkey",
	"iloveyou",	 "abc123",   "111111",	  "000000",    "trustno1",    "sunshine",
	"football",	 "baseball", "superman",  "hunter2",   "login",	      "user",
	"demo",		 "s3cret",   "secret123", "password1", "password123", "ubuntu",
	"vagrant",	 "docker",
};

static bool common_password(const char *s, size_t n)
{
	char low[32];

	if (n >= sizeof(low))
		return false;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[n] = '\0';
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (!strcmp(low, common[i]))
			return true;
	return false;
}

/* A word and a year or counter, maybe a symbol: Summer2024!, Welcome01, Company123 */
static bool word_and_number(const char *s, size_t n)
{
	size_t i = 0, d;

	while (i < n && isalpha((unsigned char)s[i]))
		i++;
	if (i < 3)
		return false;
	for (d = i; d < n && isdigit((unsigned char)s[d]); d++)
		;
	if (d == i || d - i > 4)
		return false;
	return d == n || (d + 1 == n && ispunct((unsigned char)s[d]));
}

enum cw_strength cw_password_strength(const char *s, size_t n)
{
	bool lower = false, upper = false, digit = false, other = false;
	double pool = 0, bits;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		lower |= islower(c) != 0;
		upper |= isupper(c) != 0;
		digit |= isdigit(c) != 0;
		other |= !isalnum(c);
	}
	if (n < 8 || common_password(s, n) || word_and_number(s, n) || cw_is_placeholder(s, n))
		return CW_STRENGTH_WEAK;
	pool = (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0) + (other ? 33 : 0);
	/* what a brute force over the alphabet costs, capped by the value's own entropy */
	bits = (double)n * log2(pool);
	if (bits > (double)n * (cw_entropy(s, n) + 1.5))
		bits = (double)n * (cw_entropy(s, n) + 1.5);
	if (bits < 40)
		return CW_STRENGTH_WEAK;
	return bits >= 72 ? CW_STRENGTH_STRONG : CW_STRENGTH_FAIR;
}

const char *cw_strength_name(enum cw_strength s)
{
	switch (s) {
	case CW_STRENGTH_WEAK: return "weak";
	case CW_STRENGTH_FAIR: return "fair";
	case CW_STRENGTH_STRONG: return "strong";
	default: return NULL;
	}
}

#define RANDOM_MIN 32	/* bytes */
#define RANDOM_BITS 4.5 /* Shannon entropy per byte: random over a large alphabet */

struct refine {
	uint64_t off; /* where the value is in the text scanned */
	size_t len;
	const struct cw_rule *rule;
};

static int on_refine(const struct cw_match *m, void *arg)
{
	struct refine *r = arg;

	if (m->start == r->off && m->len == r->len && m->rule->provider) {
		r->rule = m->rule;
		return 1;
	}
	return 0;
}

/*
 * A provider's token in a password field (a GitHub token in .git-credentials, an npm token
 * as _authToken, a Harbor robot's secret in docker's auth) is that provider's credential,
 * with its destinations: a rule that names a provider and matches exactly the value, alone
 * or in the decoded text it came from (s->within: "robot$ci:SECRET"), reports it.
 */
static const struct cw_rule *refine(struct cf_scan *s, const char *v, size_t n)
{
	struct refine r = { .off = 0, .len = n };
	const char *text = v;
	size_t tlen = n;

	if (s->within && v >= s->within && v + n <= s->within + s->within_len) {
		text = s->within;
		tlen = s->within_len;
		r.off = (uint64_t)(v - s->within);
	}
	if (s->m && n >= 16)
		cw_matcher_scan(s->m, text, tlen, on_refine, &r);
	return r.rule;
}

/*
 * The key a field names (its last word, before a parenthesis: "[default] aws_session_token",
 * "auths[ghcr.io] auth (base64)"), for the rule's ignore_keys as the text scan applies them.
 */
static bool key_ignored(const struct cw_rule *rule, const char *field)
{
	const char *end = field + strlen(field), *paren = strstr(field, " ("), *w;

	if (!rule->ignore_keys.n)
		return false;
	if (paren)
		end = paren;
	for (w = end; w > field && w[-1] != ' '; w--)
		;
	return cw_key_listed(&rule->ignore_keys, w, (size_t)(end - w));
}

static int seen_push(struct cw_credfile_seen *seen, size_t at, size_t span,
		     const struct cw_rule *rule)
{
	int ret = cw_grow((void **)&seen->v, &seen->cap, seen->n + 1, sizeof(*seen->v));

	if (!ret)
		seen->v[seen->n++] = (struct cw_credfile_span){ at, at + span, rule };
	return ret;
}

int cf_emit(struct cf_scan *s, enum cf_rule r, size_t at, size_t span, const char *secret,
	    size_t slen, int flags, const char *fmt, ...)
{
	const struct cw_rule *rule = s->cf->rule[r];
	struct cw_match m = { .rule = rule, .start = at, .len = slen, .secret = secret };
	char field[256];
	va_list ap;
	int ret;

	const struct cw_rule *better;

	if (!rule || s->stop || cf_template(secret, slen))
		return s->stop;
	if ((better = refine(s, secret, slen))) {
		m.rule = rule = better;
		flags &= ~CF_PASSWORDLIKE;
	}
	if (flags & CF_PASSWORDLIKE)
		m.strength = cw_password_strength(secret, slen);
	/* an example file's weak or made-up values stand for real ones */
	if (s->example && (m.strength == CW_STRENGTH_WEAK || cw_is_placeholder(secret, slen)))
		return 0;
	/*
	 * An unchosen secret (key, token) that reads as a placeholder is one, unless it is long
	 * and random: Django's keys and WordPress's salts draw from punctuation too, and hold
	 * "%(" or "<" by chance where a template would.
	 */
	if (!(flags & (CF_PASSWORDLIKE | CF_STRUCTURED)) && !rule->no_placeholder &&
	    !(slen >= RANDOM_MIN && cw_entropy(secret, slen) >= RANDOM_BITS) &&
	    cw_is_placeholder(secret, slen))
		return 0;
	va_start(ap, fmt);
	vsnprintf(field, sizeof(field), fmt, ap);
	va_end(ap);
	if (key_ignored(rule, field))
		return 0;
	m.field = field;
	/* decoded by the format's own rules (docker's base64 auth, FileZilla's base64 <Pass>,
	 * git's percent-encoding): the finding covers the written bytes, and says how */
	if (slen != span || memcmp(secret, s->buf + at, span)) {
		m.span = span;
		m.encoding = flags >> CF_ENC_SHIFT;
	}
	if (s->seen && (ret = seen_push(s->seen, at, span, rule)))
		return s->stop = ret;
	s->n++;
	ret = s->cb(&m, s->arg);
	if (ret)
		s->stop = ret;
	return s->stop;
}

bool cw_credfile_covers(const struct cw_credfile_seen *s, const struct cw_match *m)
{
	/* the parser reads this format's secrets exactly; generic guesses add only noise */
	if (s->parsed && !m->rule->provider && m->rule->kind &&
	    (!strcmp(m->rule->kind, "password") || !strcmp(m->rule->kind, "generic-secret")))
		return true;
	/* a match found inside an encoding covers its encoded bytes (span), else its own */
	uint64_t end = m->start + (m->span ? m->span : m->len);

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].rule == m->rule || (m->start < s->v[i].end && s->v[i].start < end))
			return true;
	return false;
}

void cw_credfile_seen_free(struct cw_credfile_seen *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

bool cf_next_line(const char *buf, size_t len, size_t *pos, size_t *start, size_t *end)
{
	const char *nl;

	if (*pos >= len)
		return false;
	*start = *pos;
	nl = memchr(buf + *pos, '\n', len - *pos);
	*end = nl ? (size_t)(nl - buf) : len;
	*pos = nl ? *end + 1 : len;
	if (*end > *start && buf[*end - 1] == '\r')
		(*end)--;
	return true;
}

void cf_trim(const char *buf, size_t *a, size_t *b)
{
	while (*a < *b && (buf[*a] == ' ' || buf[*a] == '\t'))
		(*a)++;
	while (*b > *a && (buf[*b - 1] == ' ' || buf[*b - 1] == '\t' || buf[*b - 1] == '\r'))
		(*b)--;
}

void cf_unquote(const char *buf, size_t *a, size_t *b)
{
	if (*b - *a >= 2 && (buf[*a] == '"' || buf[*a] == '\'') && buf[*b - 1] == buf[*a]) {
		(*a)++;
		(*b)--;
	}
}

bool cf_eq(const char *buf, size_t a, size_t b, const char *s)
{
	return strlen(s) == b - a && !strncasecmp(buf + a, s, b - a);
}

int cw_credfile_scan(const struct cw_credfiles *cf, struct cw_matcher *m, enum cw_credfile_kind k,
		     const char *buf, size_t len, const char *path, struct cw_credfile_seen *seen,
		     cw_match_cb cb, void *arg)
{
	struct cf_scan s = { .cf = cf,
			     .m = m,
			     .buf = buf,
			     .len = len,
			     .example = example_file(path),
			     .seen = seen,
			     .cb = cb,
			     .arg = arg };
	int ret;

	if (!cf)
		return 0;
	/*
	 * .env files and code hold passwords in more shapes than their parsers read (URLs,
	 * DSNs), and a key can sit in any file (an environment dump with a PEM in it)
	 */
	if (seen)
		seen->parsed = k != CW_CF_DOTENV && k != CW_CF_DJANGO && k != CW_CF_WORDPRESS &&
			       k != CW_CF_RAILS && k != CW_CF_KEY;
	switch (k) {
	case CW_CF_NETRC: ret = cf_scan_netrc(&s); break;
	case CW_CF_GIT_CREDENTIALS: ret = cf_scan_git_credentials(&s); break;
	case CW_CF_PGPASS: ret = cf_scan_pgpass(&s); break;
	case CW_CF_HTPASSWD: ret = cf_scan_htpasswd(&s); break;
	case CW_CF_SHADOW: ret = cf_scan_shadow(&s); break;
	case CW_CF_MYSQL:
	case CW_CF_PYPIRC:
	case CW_CF_NPMRC:
	case CW_CF_AWS:
	case CW_CF_S3CFG:
	case CW_CF_WINSCP:
	case CW_CF_DOTENV:
	case CW_CF_DJANGO:
	case CW_CF_RAILS:
	case CW_CF_WORDPRESS: ret = cf_scan_kv(&s, k); break;
	case CW_CF_KUBECONFIG: ret = cf_scan_kubeconfig(&s); break;
	case CW_CF_DOCKER:
	case CW_CF_GCLOUD:
	case CW_CF_SFTP_JSON:
	case CW_CF_DBEAVER:
	case CW_CF_PGADMIN: ret = cf_scan_json(&s, k); break;
	case CW_CF_FILEZILLA: ret = cf_scan_xml(&s); break;
	case CW_CF_KEY:
	case CW_CF_PKCS12:
	case CW_CF_RAILS_KEY: ret = cf_scan_keys(&s, k); break;
	default: return 0;
	}
	if (ret < 0)
		return ret;
	return s.stop < 0 ? s.stop : s.n;
}
