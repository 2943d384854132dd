// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "host/podmeta.h"
#include "judge/policy.h"
#include "test.h"
#include "testutil.h"

static int load(struct cw_policy *p, const char *file, const char *yaml, char *err, size_t errlen)
{
	err[0] = '\0';
	return cw_policy_load_buf(p, file, yaml, strlen(yaml), err, errlen);
}

static bool strv_is(const struct cw_strv *s, size_t n, const char *const *want)
{
	if (s->n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(s->v[i], want[i]))
			return false;
	return true;
}

/* Report a list that differs, element by element, so a failure says what changed. */
static void check_strv(const char *file, int line, const char *what, const struct cw_strv *s,
		       size_t n, const char *const *want)
{
	if (strv_is(s, n, want))
		return;
	cw_test_fail(file, line, "%s: %zu entries, want %zu", what, s->n, n);
	for (size_t i = 0; i < s->n || i < n; i++)
		fprintf(stderr, "      [%zu] \"%s\" want \"%s\"\n", i, i < s->n ? s->v[i] : "-",
			i < n ? want[i] : "-");
}
#define CHECK_STRV(s, want) \
	check_strv(__FILE__, __LINE__, #s, (s), sizeof(want) / sizeof((want)[0]), (want))

static const char *const default_watch_required[] = {
	"/var/run/secrets/kubernetes.io/serviceaccount/*",
	"/run/secrets/kubernetes.io/serviceaccount/*",
	"/run/secrets/**",
	"/var/run/secrets/**",
	"~/.aws/credentials",
	"~/.aws/config",
	"~/.kube/config",
	"~/.docker/config.json",
	"~/.npmrc",
	"~/.pypirc",
	"~/.netrc",
	"~/.git-credentials",
	"~/.config/git/credentials",
	"~/.config/gcloud/**",
	"~/.azure/**",
	"~/.vault-token",
	"~/.ssh/id_*",
	"*.pem",
	"*.key",
	".env",
	".env.local",
	".env.production",
	".env.development",
	"/proc/*/environ",
	"/proc/*/task/*/environ",
	"!~/.ssh/id_*.pub",
};

TEST(policy_embedded_default_loads)
{
	struct cw_policy p = { 0 }, q = { 0 };
	char err[512];

	REQUIRE(cw_policy_load_embedded(&p, err, sizeof(err)) == 0);
	CHECK_EQ_STR(p.file, "<embedded>");
	for (size_t i = 0; i < sizeof(default_watch_required) / sizeof(char *); i++)
		if (!cw_strv_has(&p.watch, default_watch_required[i]))
			cw_test_fail(__FILE__, __LINE__, "watch lacks '%s'",
				     default_watch_required[i]);
	CHECK_EQ_INT(p.nworkloads, 0);
	CHECK_EQ_INT(p.ncreds, 0);
	/* tokens, mounted secrets, token caches, hand-edited files, .netrc, git store, SSH
	 * keys, environ: shells, cat, encoders and nc everywhere; scp but for SSH keys, curl
	 * and wget but for .netrc, editors but for the files edited by hand */
	REQUIRE(p.nreaders == 8);
	for (size_t i = 0; i < p.nreaders; i++) {
		const struct cw_policy_readers *r = &p.readers[i];
		bool hand = i == 3 || i == 4, ssh = i == 6, netrc = i == 4;

		CHECK_EQ_INT(r->deny_executables.n, 29 - ssh - 2 * netrc + (hand ? 0 : 10));
		CHECK_EQ_INT(r->deny_why.n, r->deny_executables.n);
		CHECK(cw_strv_has(&r->deny_executables, "cat"));
		CHECK(cw_strv_has(&r->deny_executables, "bash"));
		CHECK(cw_strv_has(&r->deny_executables, "busybox"));
		CHECK(cw_strv_has(&r->deny_executables, "base64"));
		CHECK(cw_strv_has(&r->deny_executables, "nc"));
		CHECK_EQ_INT(cw_strv_has(&r->deny_executables, "scp"), !ssh);
		CHECK_EQ_INT(cw_strv_has(&r->deny_executables, "curl"), !netrc);
		CHECK_EQ_INT(cw_strv_has(&r->deny_executables, "vim*"), !hand);
		CHECK(!cw_strv_has(&r->deny_executables, "python3"));
		CHECK(!cw_strv_has(&r->deny_executables, "ssh"));
		CHECK(!cw_strv_has(&r->deny_executables, "git"));
		CHECK_EQ_INT(r->allow.n, 0);
		CHECK(r->allow_why == NULL);
		CHECK(r->line > 1);
	}
	CHECK(cw_strv_has(&p.readers[6].paths, "~/.ssh/id_*"));
	CHECK(cw_strv_has(&p.readers[7].paths, "/proc/*/environ"));
	CHECK_EQ_INT(p.long_lived_days, 30);
	CHECK_EQ_INT(p.jwt_max_lifetime, 24 * 3600);
	CHECK_EQ_INT(p.dedup_window, 600);
	CHECK(cw_embedded_policy_len > 1000);
	CHECK_EQ_INT(strlen(cw_embedded_policy), cw_embedded_policy_len);

	/* load_default without a path is the embedded policy */
	REQUIRE(cw_policy_load_default(&q, NULL, err, sizeof(err)) == 0);
	CHECK_EQ_STR(q.file, "<embedded>");
	CHECK_EQ_INT(q.watch.n, p.watch.n);
	cw_policy_free(&q);
	cw_policy_free(&p);
	CHECK(p.watch.n == 0 && p.file == NULL && p.readers == NULL);
}

TEST(policy_default_watched_paths)
{
	static const char *const yes[] = {
		"/var/run/secrets/kubernetes.io/serviceaccount/token",
		"/run/secrets/kubernetes.io/serviceaccount/token",
		"/run/secrets/kubernetes.io/serviceaccount/..data/token",
		"/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
		"/run/secrets/db_password",
		"/root/.aws/credentials",
		"/home/u/.aws/config",
		"/home/u/.kube/config",
		"/root/.docker/config.json",
		"/home/u/.npmrc",
		"/home/u/.pypirc",
		"/home/u/.netrc",
		"/home/u/.git-credentials",
		"/root/.config/gcloud/application_default_credentials.json",
		"/root/.config/gcloud/legacy_credentials/a@b.example/adc.json",
		"/root/.azure/msal_token_cache.json",
		"/root/.vault-token",
		"/home/u/.ssh/id_rsa",
		"/home/u/.ssh/id_ed25519",
		"/etc/ssl/private/server.key",
		"/srv/app/certs/client.pem",
		"/srv/app/.env",
		"/srv/app/.env.local",
		"/srv/app/.env.production",
		"/srv/app/.env.development",
		"/proc/1/environ",
		"/proc/self/environ",
		"/proc/42/task/43/environ",
		/* relative (the cwd was unknown) */
		".env",
		"app/.env",
		".aws/credentials",
		"../.aws/credentials",
		"../../x/../.aws/credentials",
		"tls.key",
		/* other spellings of a watched path */
		"/home/u/./.aws//credentials",
		"/home/u/x/../.aws/credentials",
		"/var/run/secrets/kubernetes.io/serviceaccount/../serviceaccount/token",
	};
	static const char *const no[] = {
		"/etc/passwd",
		"/etc/shadow",
		"/home/u/.aws/credentials.bak",
		"/home/u/.aws",
		"/home/u/.kube/config.lock",
		"/home/u/.kube/cache/discovery/x.json",
		"/home/u/.ssh/id_rsa.pub",
		"/home/u/.ssh/known_hosts",
		"/home/u/.ssh/authorized_keys",
		"/home/u/.ssh/../.ssh/id_rsa.pub",
		"/home/u/.aws/credentials/..",
		"/proc/1/environ/../cmdline",
		"..",
		".",
		"/var/run/secrets/kubernetes.io/serviceaccount/namespace",
		"/run/secrets/kubernetes.io/serviceaccount/..data/ca.crt",
		"/run/secrets",
		"/etc/ssl/certs/ISRG_Root_X1.pem",
		"/etc/ssl/cert.pem",
		"/usr/lib/python3/dist-packages/certifi/cacert.pem",
		"/home/u/.config/gcloud/active_config",
		"/home/u/.config/gcloud/configurations/config_default",
		"/home/u/.config/gcloud",
		"/home/u/.azure/azureProfile.json",
		"/srv/.envrc",
		"/srv/app/.env.example",
		"/proc/1/cmdline",
		"/proc/environ",
		"environ.txt",
		"",
		"/",
	};
	struct cw_policy p = { 0 };
	char err[512];

	REQUIRE(cw_policy_load_embedded(&p, err, sizeof(err)) == 0);
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!cw_policy_watched(&p, yes[i]))
			cw_test_fail(__FILE__, __LINE__, "'%s' is not watched", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (cw_policy_watched(&p, no[i]))
			cw_test_fail(__FILE__, __LINE__, "'%s' is watched", no[i]);
	CHECK(!cw_policy_watched(&p, NULL));
	/* a path too long to clean is matched as it is */
	{
		static char longp[6000];
		size_t n;

		memset(longp, 'd', sizeof(longp));
		for (size_t i = 0; i < 5000; i += 50)
			longp[i] = '/';
		n = 5000;
		n += (size_t)snprintf(longp + n, sizeof(longp) - n, "/.aws/credentials");
		CHECK(n == strlen(longp));
		CHECK(cw_policy_watched(&p, longp));
		longp[n - 1] = 'X';
		CHECK(!cw_policy_watched(&p, longp));
	}
	cw_policy_free(&p);
}

TEST(policy_default_prefilter)
{
	/* in watch order, each once; names the extension entries cover are left out */
	static const char *const names[] = {
		"credentials",	   "config",	       "config.json",  ".npmrc", ".pypirc",
		".netrc",	   ".git-credentials", ".vault-token", ".env",	 ".env.local",
		".env.production", ".env.development", "environ",
	};
	static const char *const exts[] = { ".pem", ".key" };
	static const char *const dirs[] = { "/run/secrets/", "/var/run/secrets/" };
	static const char *const comps[] = { "gcloud", ".azure", ".ssh" };
	struct cw_policy p = { 0 };
	struct cw_prefilter pf;
	char err[512];

	REQUIRE(cw_policy_load_embedded(&p, err, sizeof(err)) == 0);
	REQUIRE(cw_policy_prefilter(&p, &pf) == 0);
	CHECK_STRV(&pf.names, names);
	CHECK_STRV(&pf.exts, exts);
	CHECK_STRV(&pf.dirs, dirs);
	CHECK_STRV(&pf.comps, comps);
	cw_prefilter_free(&pf);
	CHECK(pf.names.n == 0 && pf.names.v == NULL && pf.comps.n == 0);
	cw_policy_free(&p);
}

TEST(policy_prefilter_derivation)
{
	static const char yaml[] =
		"watch:\n"
		"  - /a/b/*.tar.gz\n"	     /* two dots: no extension entry, the dir */
		"  - /opt/*/conf/secret-*\n" /* the literal prefix before the wildcard */
		"  - ~/a/*/b/c*\n"	     /* the last literal dir before the wildcard */
		"  - ~/*/b/c*\n"	     /* else the last literal dir */
		"  - /*/.gnupg/*\n"	     /* absolute, no literal prefix: a component */
		"  - /etc/cert.pem\n"	     /* a name that the extension covers */
		"  - '*.pem'\n"
		"  - 'x\\*y'\n" /* an escaped star is literal */
		"  - /srv/keys/\n"
		"  - /srv/**\n"
		"  - /srv/keys/**\n"   /* below /srv/: dropped */
		"  - /srv/b*/x.json\n" /* literal basename: a name */
		"  - '!/srv/x/**'\n"   /* exclusions add nothing */
		"  - '*.'\n";
	static const char *const names[] = { "x*y", "x.json" };
	static const char *const exts[] = { ".pem" };
	static const char *const dirs[] = { "/a/b/", "/opt/", "/srv/" };
	static const char *const comps[] = { "a", "b", ".gnupg" };
	struct cw_policy p = { 0 };
	struct cw_prefilter pf;
	char err[512];

	/* "/srv/keys/" ends with '/': refused; without it the rest loads */
	CHECK_EQ_INT(load(&p, "pf.yaml", yaml, err, sizeof(err)), -EINVAL);
	CHECK_CONTAINS(err, "pf.yaml:10: field 'watch': '/srv/keys/': ends with '/'");
	{
		char fixed[sizeof(yaml)], *cut;

		memcpy(fixed, yaml, sizeof(yaml));
		cut = strstr(fixed, "  - /srv/keys/\n");
		memmove(cut, cut + 15, strlen(cut + 15) + 1);
		/* "*." is a name with a wildcard and no extension: nothing to go by */
		CHECK_EQ_INT(load(&p, "pf.yaml", fixed, err, sizeof(err)), -EINVAL);
		CHECK_CONTAINS(err, "pf.yaml:14: field 'watch': '*.' leaves the kernel filter");
		cut = strstr(fixed, "  - '*.'\n");
		*cut = '\0';
		REQUIRE(load(&p, "pf.yaml", fixed, err, sizeof(err)) == 0);
	}
	REQUIRE(cw_policy_prefilter(&p, &pf) == 0);
	CHECK_STRV(&pf.names, names);
	CHECK_STRV(&pf.exts, exts);
	CHECK_STRV(&pf.dirs, dirs);
	CHECK_STRV(&pf.comps, comps);
	cw_prefilter_free(&pf);
	/* every watched path passes the prefilter's own test: spot-check the component one */
	CHECK(cw_policy_watched(&p, "/home/.gnupg/pubring.kbx"));
	CHECK(cw_policy_watched(&p, "/opt/x/conf/secret-1"));
	CHECK(!cw_policy_watched(&p, "/srv/x/y"));
	CHECK(cw_policy_watched(&p, "/srv/y/x"));
	cw_policy_free(&p);
}

/* The format, every field. */
static const char full_yaml[] =
	"# policy\n"						     /* 1 */
	"watch: [/etc/app/*.env, '~/.aws/credentials']\n"	     /* 2 */
	"credentials:\n"					     /* 3 */
	"  - rule: 'aws-*'\n"					     /* 4 */
	"    source: /etc/app/*.env\n"				     /* 5 */
	"    owners: [payments]\n"				     /* 6 */
	"    destinations: ['*.amazonaws.com', sts.amazonaws.com]\n" /* 7 */
	"  - fingerprint: 0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\n"
	"    owners:\n"					/* 9 */
	"      - payments\n"				/* 10 */
	"      - batch\n"				/* 11 */
	"workloads:\n"					/* 12 */
	"  - name: payments\n"				/* 13 */
	"    namespace: prod\n"				/* 14 */
	"    pod: 'payments-*'\n"			/* 15 */
	"    container: app\n"				/* 16 */
	"    container_id: '3f2a*'\n"			/* 17 */
	"    cgroup: '/kubepods.slice/**'\n"		/* 18 */
	"    executable: /usr/bin/python3*\n"		/* 19 */
	"    unit: 'nginx.service'\n"			/* 20 */
	"    uid: 1000\n"				/* 21 */
	"  - {name: batch, uid: 0}\n"			/* 22 */
	"readers:\n"					/* 23 */
	"  - paths: [/etc/app/*.env]\n"			/* 24 */
	"    allow: [payments, batch]\n"		/* 25 */
	"    deny_executables: [cat, '*sh', /tmp/**]\n" /* 26 */
	"  - path: ~/.aws/credentials\n"		/* 27 */
	"thresholds:\n"					/* 28 */
	"  long_lived_days: 90\n"			/* 29 */
	"  jwt_max_lifetime_hours: 2\n"			/* 30 */
	"  dedup_window_seconds: 0\n";			/* 31 */

TEST(policy_load_every_field)
{
	static const char *const watch[] = { "/etc/app/*.env", "~/.aws/credentials" };
	static const char *const dst[] = { "*.amazonaws.com", "sts.amazonaws.com" };
	static const char *const owners0[] = { "payments" };
	static const char *const owners1[] = { "payments", "batch" };
	static const char *const paths0[] = { "/etc/app/*.env" };
	static const char *const allow0[] = { "payments", "batch" };
	static const char *const deny0[] = { "cat", "*sh", "/tmp/**" };
	static const char *const paths1[] = { "~/.aws/credentials" };
	struct cw_policy p = { 0 };
	const struct cw_policy_workload *w;
	char err[512];

	REQUIRE(load(&p, "full.yaml", full_yaml, err, sizeof(err)) == 0);
	CHECK_EQ_STR(err, "");
	CHECK_EQ_STR(p.file, "full.yaml");
	CHECK_STRV(&p.watch, watch);

	REQUIRE(p.nworkloads == 2);
	w = &p.workloads[0];
	CHECK_EQ_STR(w->name, "payments");
	CHECK_EQ_STR(w->namespace_, "prod");
	CHECK_EQ_STR(w->pod, "payments-*");
	CHECK_EQ_STR(w->container, "app");
	CHECK_EQ_STR(w->container_id, "3f2a*");
	CHECK_EQ_STR(w->cgroup, "/kubepods.slice/**");
	CHECK_EQ_STR(w->executable, "/usr/bin/python3*");
	CHECK_EQ_STR(w->unit, "nginx.service");
	CHECK_EQ_INT(w->uid, 1000);
	CHECK_EQ_INT(w->line, 13);
	w = &p.workloads[1];
	CHECK_EQ_STR(w->name, "batch");
	CHECK(!w->namespace_ && !w->pod && !w->container && !w->container_id && !w->cgroup &&
	      !w->executable && !w->unit);
	CHECK_EQ_INT(w->uid, 0);
	CHECK_EQ_INT(w->line, 22);

	REQUIRE(p.ncreds == 2);
	CHECK_EQ_STR(p.creds[0].rule, "aws-*");
	CHECK_EQ_STR(p.creds[0].source, "/etc/app/*.env");
	CHECK(p.creds[0].fingerprint == NULL);
	CHECK_STRV(&p.creds[0].owners, owners0);
	CHECK_STRV(&p.creds[0].destinations, dst);
	CHECK_EQ_INT(p.creds[0].line, 4);
	CHECK(p.creds[1].rule == NULL && p.creds[1].source == NULL);
	/* stored in lower case, as findings print it */
	CHECK_EQ_STR(p.creds[1].fingerprint,
		     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	CHECK_STRV(&p.creds[1].owners, owners1);
	CHECK_EQ_INT(p.creds[1].destinations.n, 0);
	CHECK_EQ_INT(p.creds[1].line, 8);

	REQUIRE(p.nreaders == 2);
	CHECK_STRV(&p.readers[0].paths, paths0);
	CHECK_STRV(&p.readers[0].allow, allow0);
	CHECK_STRV(&p.readers[0].deny_executables, deny0);
	CHECK_EQ_INT(p.readers[0].line, 24);
	CHECK_STRV(&p.readers[1].paths, paths1);
	CHECK_EQ_INT(p.readers[1].allow.n, 0);
	CHECK_EQ_INT(p.readers[1].deny_executables.n, 0);
	CHECK_EQ_INT(p.readers[1].line, 27);

	CHECK_EQ_INT(p.long_lived_days, 90);
	CHECK_EQ_INT(p.jwt_max_lifetime, 2 * 3600);
	CHECK_EQ_INT(p.dedup_window, 0);
	cw_policy_free(&p);
}

TEST(policy_every_key_optional)
{
	static const char *const empties[] = {
		"",
		"# only a comment\n",
		"---\n",
		"{}\n",
		"watch:\nworkloads:\ncredentials:\nreaders:\nthresholds:\n",
		"watch: []\nworkloads: []\ncredentials: []\nreaders: []\nthresholds: {}\n",
	};
	char err[512];

	for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		struct cw_policy p = { 0 };

		if (load(&p, "e.yaml", empties[i], err, sizeof(err))) {
			cw_test_fail(__FILE__, __LINE__, "case %zu: %s", i, err);
			continue;
		}
		CHECK(p.watch.n == 0 && p.nworkloads == 0 && p.ncreds == 0 && p.nreaders == 0);
		CHECK_EQ_INT(p.long_lived_days, 30);
		CHECK_EQ_INT(p.jwt_max_lifetime, 86400);
		CHECK_EQ_INT(p.dedup_window, 600);
		CHECK(!cw_policy_watched(&p, "/root/.aws/credentials"));
		cw_policy_free(&p);
	}
	/* a single string stands for a list of one */
	{
		struct cw_policy p = { 0 };

		REQUIRE(load(&p, "s.yaml", "watch: /etc/x\n", err, sizeof(err)) == 0);
		CHECK(p.watch.n == 1 && !strcmp(p.watch.v[0], "/etc/x"));
		cw_policy_free(&p);
	}
}

struct bad_case {
	const char *yaml;
	int line;	  /* the line the message must name */
	const char *what; /* and a part of the message */
};

#define GOOD_POLICY "watch: [/kept]\nworkloads: [{name: kept, uid: 7}]\n"

/*
 * Each malformed file must fail with -EINVAL and "bad.yaml:LINE: ...", and leave the policy
 * loaded before exactly as it was.
 */
static void check_bad(const struct bad_case *c, size_t idx)
{
	struct cw_policy p = { 0 }, before;
	char err[1024], prefix[64];
	int ret;

	if (load(&p, "good.yaml", GOOD_POLICY, err, sizeof(err))) {
		cw_test_fail(__FILE__, __LINE__, "case %zu: setup failed: %s", idx, err);
		return;
	}
	before = p;
	ret = load(&p, "bad.yaml", c->yaml, err, sizeof(err));
	snprintf(prefix, sizeof(prefix), "bad.yaml:%d: ", c->line);
	if (ret != -EINVAL)
		cw_test_fail(__FILE__, __LINE__, "case %zu: ret %d, want -EINVAL (err \"%s\")", idx,
			     ret, err);
	if (strncmp(err, prefix, strlen(prefix)))
		cw_test_fail(__FILE__, __LINE__, "case %zu: \"%s\" does not start with \"%s\"", idx,
			     err, prefix);
	if (!strstr(err, c->what))
		cw_test_fail(__FILE__, __LINE__, "case %zu: \"%s\" does not mention \"%s\"", idx,
			     err, c->what);
	if (memcmp(&p, &before, sizeof(p)) || p.watch.n != 1 || strcmp(p.watch.v[0], "/kept") ||
	    p.nworkloads != 1 || strcmp(p.workloads[0].name, "kept") || strcmp(p.file, "good.yaml"))
		cw_test_fail(__FILE__, __LINE__, "case %zu: the loaded policy changed", idx);
	cw_policy_free(&p);
}

#define WL "workloads:\n  - name: a\n    uid: 1\n" /* lines 1-3 */

static const struct bad_case bad_cases[] = {
	/* 0-4: unknown keys, everywhere, named */
	{ "watch: [/a]\ncolour: red\n", 2, "unknown top-level field 'colour'" },
	{ WL "    colour: red\n", 4, "unknown field 'colour' in a workload" },
	{ "credentials:\n  - rule: x\n    destinations: [d]\n    colour: red\n", 4,
	  "unknown field 'colour' in a credential binding" },
	{ "readers:\n  - paths: [/a]\n    colour: red\n", 3,
	  "unknown field 'colour' in a readers entry" },
	{ "thresholds:\n  long_lived_days: 3\n  colour: red\n", 3,
	  "unknown field 'colour' in thresholds" },
	/* 5-12: wrong types */
	{ "watch:\n  a: b\n", 2, "field 'watch' must be a list of strings" },
	{ "workloads: {name: x}\n", 1, "'workloads' must be a list of workloads" },
	{ "workloads: [x]\n", 1, "each entry of 'workloads' must be a mapping" },
	{ "credentials:\n  - rule: [a]\n", 2, "field 'rule' must be a string" },
	{ "readers:\n  - paths: [/a]\n    allow: {a: b}\n", 3,
	  "field 'allow' must be a list of strings" },
	{ "readers:\n  - paths: [[/a]]\n", 2, "field 'paths' must be a list of strings" },
	{ "thresholds: [1]\n", 1, "'thresholds' must be a mapping" },
	{ "- watch\n", 1, "a policy must be a mapping" },
	/* 13-16: owners and allow must name defined workloads (the element's own line) */
	{ WL "credentials:\n  - rule: x\n    owners:\n      - a\n      - b\n", 8,
	  "field 'owners': no workload named 'b'" },
	{ "credentials:\n  - rule: x\n    owners: [c]\n" WL, 3,
	  "field 'owners': no workload named 'c'" },
	{ WL "readers:\n  - paths: [/a]\n    allow: [a, nobody]\n", 6,
	  "field 'allow': no workload named 'nobody'" },
	{ "readers:\n  - paths: [/a]\n    allow: ['']\n", 3, "empty workload name" },
	/* 17-20: workloads without a name, with a duplicate name, without a selector */
	{ "workloads:\n  - uid: 1\n", 2, "workload has no 'name'" },
	{ WL "  - name: a\n    unit: x.service\n", 4,
	  "duplicate workload name 'a' (first defined at bad.yaml:2)" },
	{ WL "  - name: b\n", 4, "workload 'b' has no selector" },
	{ "workloads:\n  - name: 'a b'\n    uid: 1\n", 2, "field 'name': 'a b': use only" },
	/* 21-22: a credential binding without a selector, or binding nothing */
	{ WL "credentials:\n  - owners: [a]\n", 5, "credential binding has no selector" },
	{ "credentials:\n  - rule: x\n", 2, "sets neither 'owners' nor 'destinations'" },
	/* 23-25: bad fingerprints */
	{ "credentials:\n  - fingerprint: abc\n    destinations: [d]\n", 2,
	  "field 'fingerprint': a value of 3 characters is not 64 hex digits" },
	{ "credentials:\n  - fingerprint: "
	  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg\n"
	  "    destinations: [d]\n",
	  2, "is not 64 hex digits" },
	{ "credentials:\n  - fingerprint: "
	  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0\n"
	  "    destinations: [d]\n",
	  2, "is not 64 hex digits" },
	/* 26-34: thresholds and uid: not whole numbers, out of range */
	{ "thresholds:\n  long_lived_days: thirty\n", 2,
	  "field 'long_lived_days': 'thirty' is not a whole number" },
	{ "thresholds:\n  long_lived_days: 1.5\n", 2, "'1.5' is not a whole number" },
	{ "thresholds:\n  long_lived_days: -1\n", 2, "'-1' is not a whole number" },
	{ "thresholds:\n  long_lived_days: 0\n", 2,
	  "field 'long_lived_days': 0 is out of range [1, 36500]" },
	{ "thresholds:\n  jwt_max_lifetime_hours: 87601\n", 2,
	  "field 'jwt_max_lifetime_hours': 87601 is out of range" },
	{ "thresholds:\n  dedup_window_seconds: 99999999999999999999999\n", 2,
	  "field 'dedup_window_seconds': 99999999999999999999999 is out of range" },
	{ "workloads:\n  - name: a\n    uid: root\n", 3,
	  "field 'uid': 'root' is not a whole number" },
	{ "workloads:\n  - name: a\n    uid: 4294967295\n", 3,
	  "field 'uid': 4294967295 is out of range [0, 4294967294]" },
	{ "workloads:\n  - name: a\n    uid: [1]\n", 3, "field 'uid' must be a number" },
	/* 35-42: empty globs, wherever a glob goes */
	{ "watch:\n  - /a\n  - ''\n", 3, "field 'watch': '': empty glob" },
	{ "workloads:\n  - name: a\n    namespace: ''\n", 3, "field 'namespace': empty glob" },
	{ "workloads:\n  - name: a\n    pod:\n", 3, "field 'pod' has no value" },
	{ "credentials:\n  - rule: ''\n", 2, "field 'rule': empty glob" },
	{ "credentials:\n  - rule: x\n    destinations: ['']\n", 3,
	  "field 'destinations': '': an empty destination" },
	{ "readers:\n  - paths: ['']\n", 2, "field 'paths': '': empty glob" },
	{ "readers:\n  - path: /a\n    deny_executables: [cat, '']\n", 3,
	  "field 'deny_executables': empty glob" },
	{ "credentials:\n  - source: ''\n    destinations: [d]\n", 2,
	  "field 'source': '': empty glob" },
	/* 43-49: malformed path globs */
	{ "watch: ['/a//b']\n", 1, "empty path component" },
	{ "watch: ['/a/']\n", 1, "ends with '/'" },
	{ "watch: [/a/../b]\n", 1, "'.' or '..' component" },
	{ "watch: ['/a/[b']\n", 1, "unclosed '['" },
	{ "watch: ['~/']\n", 1, "names no file" },
	{ "watch: ['!']\n", 1, "empty glob" },
	{ "readers:\n  - path: ./a\n", 2, "'.' or '..' component" },
	/* 50-52: globs that leave the kernel filter nothing */
	{ "watch: ['*']\n", 1, "field 'watch': '*' leaves the kernel filter nothing" },
	{ "watch:\n  - '~/*/id_*'\n", 2, "leaves the kernel filter nothing" },
	{ "watch: ['/*/x*']\n", 1, "leaves the kernel filter nothing" },
	/* 53: executable selectors are absolute */
	{ "workloads:\n  - name: a\n    executable: python3\n", 3,
	  "'python3' is not an absolute path glob" },
	/* 54-55: readers entries name their paths, once */
	{ "readers:\n  - deny_executables: [cat]\n", 2, "readers entry has no 'paths'" },
	{ "readers:\n  - path: /a\n    paths: [/b]\n", 3, "give 'path' or 'paths', not both" },
	/* 56-59: fields given twice */
	{ "watch: [/a]\nwatch: [/b]\n", 2, "field 'watch' given twice" },
	{ WL "    uid: 2\n", 4, "field 'uid' given twice" },
	{ "thresholds:\n  long_lived_days: 3\n  long_lived_days: 4\n", 3, "given twice" },
	{ "credentials:\n  - rule: x\n    rule: y\n", 3, "field 'rule' given twice" },
	/* 60-65: YAML: syntax, unquoted '*' and '!', aliases, two documents */
	{ "watch:\n\t- /a\n", 2, "YAML syntax error" },
	{ "watch:\n  - '/a\n  - /b\n", 2, "YAML syntax error" },
	{ "watch:\n  - /a\n  - *.pem\n", 3, "quote globs that start with '*'" },
	{ "watch:\n  - /a\n  - !/a/b\n", 3, "quote values that start with '!'" },
	{ "readers:\n  - paths: &p [/a]\n    deny_executables: *p\n", 3, "'*p' is a YAML alias" },
	{ "watch: [/a]\n---\nwatch: [/b]\n", 3, "one YAML document" },
	/* 66-67: destination words: known ones, '@never' alone */
	{ "credentials:\n  - rule: x\n    destinations: ['@apiserver']\n", 3,
	  "field 'destinations': '@apiserver': an unknown destination word" },
	{ "credentials:\n  - rule: x\n    destinations:\n      - '@never'\n      - a.example\n", 3,
	  "field 'destinations': '@never' means nowhere: it stands alone" },
/* 68-: Kubernetes selectors (SEL: lines 1-3, the expression's first line is 4) */
#define SEL "workloads:\n  - name: a\n    selector:\n"
	{ SEL "      matchExpressions:\n        - key: app\n          operator: Within\n"
	      "          values: [x]\n",
	  6,
	  "selector.matchExpressions[0].operator: 'Within' is not In, NotIn, Exists or "
	  "DoesNotExist" },
	{ SEL "      matchExpressions:\n        - {key: app, operator: In}\n", 5,
	  "selector.matchExpressions[0]: operator In needs 'values'" },
	{ SEL "      matchExpressions:\n        - {key: a, operator: Exists}\n"
	      "        - {key: app, operator: NotIn, values: []}\n",
	  6, "selector.matchExpressions[1]: operator NotIn needs 'values'" },
	{ SEL "      matchExpressions:\n        - key: app\n          operator: Exists\n"
	      "          values: [x]\n",
	  7, "selector.matchExpressions[0]: operator Exists takes no 'values'" },
	{ SEL
	  "      matchExpressions:\n        - {key: app, operator: DoesNotExist, values: [x]}\n",
	  5, "selector.matchExpressions[0]: operator DoesNotExist takes no 'values'" },
	{ SEL "      matchExpressions:\n        - {operator: Exists}\n", 5,
	  "selector.matchExpressions[0] has no 'key'" },
	{ SEL "      matchExpressions:\n        - {key: app}\n", 5,
	  "selector.matchExpressions[0] has no 'operator'" },
	{ SEL "      matchExpressions:\n        - {key: app, operator: Exists, value: x}\n", 5,
	  "selector.matchExpressions[0]: unknown field 'value'" },
	{ SEL "      matchExpressions: {key: app}\n", 4,
	  "selector.matchExpressions must be a list" },
	{ SEL "      matchExpressions: [app]\n", 4,
	  "selector.matchExpressions[0] must be a mapping" },
	{ SEL "      matchExpressions:\n        - {key: 'app*', operator: Exists}\n", 5,
	  "selector.matchExpressions[0].key: 'app*': not a label name" },
	{ SEL "      matchExpressions:\n        - {key: app, operator: In, values: ['a b']}\n", 5,
	  "selector.matchExpressions[0].values: 'a b': not a label value" },
	{ SEL "      matchLabels: [app]\n", 4, "selector.matchLabels must be a mapping" },
	{ SEL "      matchLabels: {app: 'pay*'}\n", 4,
	  "selector.matchLabels.app: 'pay*': label values are exact, not globs" },
	{ SEL "      matchLabels: {app: x, 'Example.com/team': y}\n", 4,
	  "selector.matchLabels: 'Example.com/team': the prefix before '/' is not a DNS "
	  "subdomain" },
	{ SEL "      matchLabels: {'-app': x}\n", 4, "'-app': not a label name" },
	{ SEL "      matchLabels:\n        app: x\n        app: y\n", 6,
	  "selector.matchLabels: label 'app' given twice" },
	{ SEL "      matchLabels: {v: "
	      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}\n",
	  4, "not a label value" },
	{ SEL "      matchLabels: {app: x}\n      colour: red\n", 5,
	  "selector: unknown field 'colour' (it takes matchLabels, matchExpressions)" },
	{ "workloads:\n  - name: a\n    selector:\n", 3,
	  "field 'selector' has no value (write '{}' to select every pod)" },
	{ "workloads:\n  - name: a\n    selector: app=x\n", 3,
	  "field 'selector' must be a mapping" },
	{ "workloads:\n  - name: a\n    service_account: api\n", 3,
	  "field 'service_account': 'api' is not 'NAMESPACE/NAME'" },
	{ "workloads:\n  - name: a\n    service_account: a/b/c\n", 3,
	  "field 'service_account': 'a/b/c' is not 'NAMESPACE/NAME'" },
	{ "workloads:\n  - name: a\n    service_account: /api\n", 3, "is not 'NAMESPACE/NAME'" },
	{ "workloads:\n  - name: a\n    owner: payments\n", 3,
	  "field 'owner': 'payments' is not 'Kind/name'" },
	{ "workloads:\n  - name: a\n    owner: 'Deployment/'\n", 3, "is not 'Kind/name'" },
	{ "workloads:\n  - name: a\n    image: ''\n", 3, "field 'image': empty glob" },
	{ "workloads:\n  - name: a\n    annotations: x\n", 3,
	  "field 'annotations' must be a mapping" },
	{ "workloads:\n  - name: a\n    annotations: {}\n", 3, "field 'annotations' is empty" },
	{ "workloads:\n  - name: a\n    annotations: {'a b': x}\n", 3,
	  "annotations: 'a b': not a label name" },
	{ "credentials:\n  - service_account: default\n    destinations: [d]\n", 2,
	  "field 'service_account': 'default' is not 'NAMESPACE/NAME'" },
#undef SEL
};

TEST(policy_malformed_files_name_file_line_and_field)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		check_bad(&bad_cases[i], i);
}

/* Workloads may be defined after the bindings and readers naming them. */
TEST(policy_workloads_may_come_last)
{
	struct cw_policy p = { 0 };
	char err[512];

	CHECK_EQ_INT(load(&p, "late.yaml",
			  "credentials:\n  - rule: x\n    owners: [w]\n"
			  "readers:\n  - paths: [/a]\n    allow: [w]\n"
			  "workloads:\n  - {name: w, unit: w.service}\n",
			  err, sizeof(err)),
		     0);
	CHECK_EQ_STR(err, "");
	CHECK_EQ_INT(p.nworkloads, 1);
	cw_policy_free(&p);
}

TEST(policy_failed_load_keeps_the_old_policy)
{
	struct cw_policy p = { 0 };
	char err[512], dir[256], path[300];
	size_t nwatch;

	REQUIRE(cw_policy_load_embedded(&p, err, sizeof(err)) == 0);
	nwatch = p.watch.n;
	/* the error is found after watch, workloads and readers were parsed */
	CHECK_EQ_INT(load(&p, "reload.yaml",
			  "watch: [/only]\nworkloads: [{name: w, uid: 1}]\n"
			  "readers: [{path: /x, allow: [w]}]\nthresholds: {long_lived_days: 0}\n",
			  err, sizeof(err)),
		     -EINVAL);
	CHECK_EQ_STR(err, "reload.yaml:4: field 'long_lived_days': 0 is out of range [1, 36500]");
	CHECK_EQ_STR(p.file, "<embedded>");
	CHECK_EQ_INT(p.watch.n, nwatch);
	CHECK_EQ_INT(p.nworkloads, 0);
	CHECK_EQ_INT(p.nreaders, 8);
	CHECK_EQ_INT(p.long_lived_days, 30);
	CHECK(cw_policy_watched(&p, "/root/.aws/credentials"));

	/* files: a missing one, a bad one (named by its path), a good one replaces */
	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/missing.yaml", dir);
	CHECK_EQ_INT(cw_policy_load_file(&p, path, err, sizeof(err)), -ENOENT);
	CHECK_CONTAINS(err, path);
	CHECK_EQ_INT(cw_policy_load_default(&p, path, err, sizeof(err)), -ENOENT);
	CHECK_EQ_STR(p.file, "<embedded>");
	snprintf(path, sizeof(path), "%s/policy.yaml", dir);
	REQUIRE(tu_write_file(path, "watch: [/x]\nbogus: 1\n", 21, 0644) == 0);
	CHECK_EQ_INT(cw_policy_load_file(&p, path, err, sizeof(err)), -EINVAL);
	{
		char want[400];

		snprintf(want, sizeof(want), "%s:2: unknown top-level field 'bogus'", path);
		CHECK(!strncmp(err, want, strlen(want)));
	}
	CHECK_EQ_INT(p.watch.n, nwatch);
	REQUIRE(tu_write_file(path, "watch: [/x]\n", 12, 0644) == 0);
	CHECK_EQ_INT(cw_policy_load_default(&p, path, err, sizeof(err)), 0);
	CHECK_EQ_STR(p.file, path);
	CHECK_EQ_INT(p.watch.n, 1);
	CHECK_EQ_INT(p.nreaders, 0);
	CHECK(cw_policy_watched(&p, "/x"));
	CHECK(!cw_policy_watched(&p, "/root/.aws/credentials"));
	cw_policy_free(&p);
	tu_rmtree(dir);
}

static const char sel_yaml[] = "workloads:\n"
			       "  - {name: by-ns, namespace: 'prod*'}\n"
			       "  - {name: by-pod, pod: 'payments-*'}\n"
			       "  - {name: by-container, container: app}\n"
			       "  - {name: by-id, container_id: '3f2a*'}\n"
			       "  - {name: by-cgroup, cgroup: '/kubepods.slice/*'}\n"
			       "  - {name: by-exe, executable: '/usr/bin/*'}\n"
			       "  - {name: by-unit, unit: 'nginx*.service'}\n"
			       "  - {name: by-uid, uid: 1000}\n"
			       "  - {name: by-root, uid: 0}\n"
			       "  - {name: ns-and-pod, namespace: prod, pod: 'payments-*'}\n"
			       "  - {name: any-ns, namespace: '*'}\n";

TEST(policy_workload_selectors)
{
	static struct cw_workload pod, host, unknown;
	struct cw_subject s;
	struct cw_policy p = { 0 };
	char err[512];

	REQUIRE(load(&p, "sel.yaml", sel_yaml, err, sizeof(err)) == 0);
	snprintf(pod.pod_namespace, sizeof(pod.pod_namespace), "prod");
	snprintf(pod.pod_name, sizeof(pod.pod_name), "payments-7d9f-x2");
	snprintf(pod.container_name, sizeof(pod.container_name), "app");
	snprintf(pod.container_id, sizeof(pod.container_id), "3f2a%060d", 0);
	snprintf(pod.cgroup, sizeof(pod.cgroup),
		 "/kubepods.slice/kubepods-burstable.slice/cri-containerd-3f2a.scope");
	snprintf(host.cgroup, sizeof(host.cgroup), "/system.slice/nginx.service");
	snprintf(host.unit, sizeof(host.unit), "nginx.service");

	s = (struct cw_subject){
		.wl = &pod, .exe = "/usr/local/bin/python3", .comm = "python3", .uid = 1000
	};
	CHECK(cw_policy_subject_is(&p, "by-ns", &s));
	CHECK(cw_policy_subject_is(&p, "by-pod", &s));
	CHECK(cw_policy_subject_is(&p, "by-container", &s));
	CHECK(cw_policy_subject_is(&p, "by-id", &s));
	CHECK(cw_policy_subject_is(&p, "by-cgroup", &s)); /* '*' crosses '/' in cgroup */
	CHECK(!cw_policy_subject_is(&p, "by-exe", &s));	  /* not in executable */
	CHECK(!cw_policy_subject_is(&p, "by-unit", &s));
	CHECK(cw_policy_subject_is(&p, "by-uid", &s));
	CHECK(!cw_policy_subject_is(&p, "by-root", &s));
	CHECK(cw_policy_subject_is(&p, "ns-and-pod", &s));
	CHECK(cw_policy_subject_is(&p, "any-ns", &s));
	CHECK(!cw_policy_subject_is(&p, "no-such-workload", &s));
	CHECK(!cw_policy_subject_is(&p, NULL, &s));
	CHECK_EQ_STR(cw_policy_workload_name(&p, &s), "by-ns");

	/* one selector failing fails the workload */
	snprintf(pod.pod_namespace, sizeof(pod.pod_namespace), "staging");
	CHECK(!cw_policy_subject_is(&p, "ns-and-pod", &s));
	CHECK(!cw_policy_subject_is(&p, "by-ns", &s));
	CHECK_EQ_STR(cw_policy_workload_name(&p, &s), "by-pod");

	/* a host service */
	s = (struct cw_subject){ .wl = &host, .exe = "/usr/bin/nginx", .comm = "nginx", .uid = 0 };
	CHECK(cw_policy_subject_is(&p, "by-exe", &s));
	s.exe = "/usr/bin/x/nginx";
	CHECK(!cw_policy_subject_is(&p, "by-exe", &s)); /* '*' stays in one component */
	s.exe = "/usr/bin/nginx";
	CHECK(cw_policy_subject_is(&p, "by-unit", &s));
	CHECK(cw_policy_subject_is(&p, "by-root", &s));
	CHECK(!cw_policy_subject_is(&p, "by-cgroup", &s));
	/* fields the agent does not know match no selector, not even '*' */
	CHECK(!cw_policy_subject_is(&p, "any-ns", &s));
	CHECK(!cw_policy_subject_is(&p, "by-pod", &s));
	CHECK(!cw_policy_subject_is(&p, "by-container", &s));
	CHECK(!cw_policy_subject_is(&p, "by-id", &s));
	CHECK_EQ_STR(cw_policy_workload_name(&p, &s), "by-exe");

	/* nothing known at all */
	s = (struct cw_subject){ .wl = &unknown, .exe = "", .comm = "", .uid = UINT32_MAX };
	for (size_t i = 0; i < p.nworkloads; i++)
		if (cw_policy_subject_is(&p, p.workloads[i].name, &s))
			cw_test_fail(__FILE__, __LINE__, "unknown subject is '%s'",
				     p.workloads[i].name);
	CHECK(cw_policy_workload_name(&p, &s) == NULL);
	cw_policy_free(&p);
}

/* A user's unit named like a system service, a user's cgroup named after a container. */
TEST(policy_unit_and_container_id_in_a_users_slice)
{
	static struct cw_workload svc, user_unit, user_ctr;
	struct cw_subject s = { .exe = "/usr/bin/nginx", .comm = "nginx", .uid = 1000 };
	struct cw_policy p = { 0 };
	char err[512];

	REQUIRE(load(&p, "user.yaml",
		     "workloads:\n"
		     "  - {name: by-unit, unit: 'nginx.service'}\n"
		     "  - {name: by-id, container_id: '3f2a*'}\n"
		     "  - {name: users-unit, unit: 'nginx.service', uid: 1000}\n"
		     "  - {name: users-ctr, container_id: '3f2a*', uid: 1000}\n",
		     err, sizeof(err)) == 0);
	snprintf(svc.unit, sizeof(svc.unit), "nginx.service");
	user_unit = svc;
	snprintf(user_unit.session_uid, sizeof(user_unit.session_uid), "1000");
	snprintf(user_ctr.container_id, sizeof(user_ctr.container_id), "3f2a%060d", 0);
	snprintf(user_ctr.session_uid, sizeof(user_ctr.session_uid), "1000");

	s.wl = &svc;
	CHECK(cw_policy_subject_is(&p, "by-unit", &s));
	CHECK(cw_policy_subject_is(&p, "users-unit", &s));
	s.wl = &user_unit;
	CHECK(!cw_policy_subject_is(&p, "by-unit", &s));
	CHECK(cw_policy_subject_is(&p, "users-unit", &s));
	s.wl = &user_ctr;
	CHECK(!cw_policy_subject_is(&p, "by-id", &s));
	CHECK(cw_policy_subject_is(&p, "users-ctr", &s));
	s.uid = 1001;
	CHECK(!cw_policy_subject_is(&p, "users-ctr", &s));
	cw_policy_free(&p);
}

static const char cred_yaml[] =
	"workloads:\n"
	"  - {name: payments, namespace: prod, container: app}\n"
	"  - {name: ops, uid: 0}\n"
	"credentials:\n"
	"  - rule: 'aws-*'\n"
	"    source: /etc/app/*.env\n"
	"    owners: [payments]\n"
	"  - fingerprint: 00000000000000000000000000000000000000000000000000000000000000aa\n"
	"    owners: [ops, payments]\n"
	"  - rule: 'github-*'\n"
	"    destinations: [api.github.com]\n"
	"  - source: '~/.aws/credentials'\n"
	"    owners: [ops]\n";

TEST(policy_credential_bindings)
{
	static const char fp_aa[] =
		"00000000000000000000000000000000000000000000000000000000000000AA";
	static const char fp_ab[] =
		"00000000000000000000000000000000000000000000000000000000000000ab";
	static struct cw_workload app, other;
	struct cw_subject s_app, s_other, s_root;
	const struct cw_policy_cred *c;
	struct cw_policy p = { 0 };
	char err[512];

	REQUIRE(load(&p, "cred.yaml", cred_yaml, err, sizeof(err)) == 0);
	snprintf(app.pod_namespace, sizeof(app.pod_namespace), "prod");
	snprintf(app.container_name, sizeof(app.container_name), "app");
	snprintf(other.pod_namespace, sizeof(other.pod_namespace), "prod");
	snprintf(other.container_name, sizeof(other.container_name), "sidecar");
	s_app = (struct cw_subject){
		.wl = &app, .exe = "/app/server", .comm = "server", .uid = 1000
	};
	s_other = (struct cw_subject){
		.wl = &other, .exe = "/bin/sidecar", .comm = "sidecar", .uid = 1000
	};
	s_root = (struct cw_subject){ .wl = &other, .exe = "/bin/sh", .comm = "sh", .uid = 0 };

	/* rule and source must both match */
	c = cw_policy_cred_find(&p, "aws-access-key-id", "/etc/app/prod.env", NULL);
	REQUIRE(c == &p.creds[0]);
	CHECK(cw_policy_cred_owner(&p, c, &s_app));
	CHECK(!cw_policy_cred_owner(&p, c, &s_other));
	CHECK(!cw_policy_cred_owner(&p, c, &s_root));
	/* other spellings of the source path */
	CHECK(cw_policy_cred_find(&p, "aws-access-key-id", "/etc/app//./prod.env", NULL) ==
	      &p.creds[0]);
	CHECK(cw_policy_cred_find(&p, "aws-access-key-id", "/etc/app/x/y/../../prod.env/", NULL) ==
	      &p.creds[0]);
	CHECK(cw_policy_cred_find(&p, "aws-access-key-id", "/../etc/x/../app/prod.env", NULL) ==
	      &p.creds[0]);
	CHECK(cw_policy_cred_find(&p, "aws-access-key-id", "/etc/app/prod.env/..", NULL) == NULL);
	/* no source given: a source selector does not match */
	CHECK(cw_policy_cred_find(&p, "aws-access-key-id", NULL, NULL) == NULL);
	CHECK(cw_policy_cred_find(&p, "aws-access-key-id", "/etc/other/prod.env", NULL) == NULL);
	CHECK(cw_policy_cred_find(&p, "gcp-key", "/etc/app/prod.env", NULL) == NULL);
	/* fingerprints compare without regard to case; the first binding matching wins */
	c = cw_policy_cred_find(&p, "aws-access-key-id", NULL, fp_aa);
	REQUIRE(c == &p.creds[1]);
	CHECK(cw_policy_cred_owner(&p, c, &s_app));
	CHECK(cw_policy_cred_owner(&p, c, &s_root));
	CHECK(!cw_policy_cred_owner(&p, c, &s_other));
	CHECK(cw_policy_cred_find(&p, "aws-access-key-id", "/etc/app/prod.env", fp_aa) ==
	      &p.creds[0]);
	CHECK(cw_policy_cred_find(&p, NULL, NULL, fp_aa) == &p.creds[1]);
	CHECK(cw_policy_cred_find(&p, NULL, NULL, fp_ab) == NULL);
	/* a rule-only binding: destinations, no owners */
	c = cw_policy_cred_find(&p, "github-pat-classic", NULL, NULL);
	REQUIRE(c == &p.creds[2]);
	CHECK_EQ_STR(c->destinations.v[0], "api.github.com");
	CHECK(!cw_policy_cred_owner(&p, c, &s_app));
	CHECK(cw_policy_cred_find(&p, NULL, NULL, NULL) == NULL);
	/* a source-only binding, "~/" glob, relative source */
	CHECK(cw_policy_cred_find(&p, "x", "/home/u/.aws/credentials", NULL) == &p.creds[3]);
	CHECK(cw_policy_cred_find(&p, "x", ".aws/credentials", NULL) == &p.creds[3]);
	CHECK(!cw_policy_cred_owner(&p, NULL, &s_app));
	cw_policy_free(&p);
}

TEST(policy_default_reader_verdicts)
{
	static const char token[] = "/var/run/secrets/kubernetes.io/serviceaccount/token";
	static struct cw_workload wl;
	struct cw_policy p = { 0 };
	struct cw_subject s = { .wl = &wl, .uid = 0 };
	const char *why;
	char err[512];

	REQUIRE(cw_policy_load_embedded(&p, err, sizeof(err)) == 0);

	s.exe = "/usr/bin/cat";
	s.comm = "cat";
	why = NULL;
	CHECK_EQ_INT(cw_policy_reader(&p, token, &s, &why), CW_READER_DENIED);
	CHECK_CONTAINS(why, "executable 'cat' is denied reading this file by <embedded>:");
	{
		char want[64];

		snprintf(want, sizeof(want), "<embedded>:%d", p.readers[0].line);
		CHECK_CONTAINS(why, want);
	}
	/* the token behind the projected volume's symlinks, another spelling, /run */
	CHECK_EQ_INT(cw_policy_reader(&p, "/run/secrets/kubernetes.io/serviceaccount/..data/token",
				      &s, NULL),
		     CW_READER_DENIED);
	CHECK_EQ_INT(cw_policy_reader(&p, "/var/run/secrets//kubernetes.io/./serviceaccount/token",
				      &s, NULL),
		     CW_READER_DENIED);

	/* a program using the token */
	s.exe = "/usr/bin/python3.11";
	s.comm = "python3";
	why = "stale";
	CHECK_EQ_INT(cw_policy_reader(&p, token, &s, &why), CW_READER_ALLOWED);
	CHECK(why == NULL);

	/* busybox applets are denied by busybox; without an executable, by comm */
	s.exe = "/bin/busybox";
	s.comm = "cat";
	CHECK_EQ_INT(cw_policy_reader(&p, token, &s, &why), CW_READER_DENIED);
	CHECK_CONTAINS(why, "'busybox'");
	s.exe = "";
	s.comm = "base64";
	CHECK_EQ_INT(cw_policy_reader(&p, token, &s, &why), CW_READER_DENIED);
	CHECK_CONTAINS(why, "'base64'");
	s.comm = "";
	CHECK_EQ_INT(cw_policy_reader(&p, token, &s, &why), CW_READER_ALLOWED);
	/* the basename, exactly: "catalog" is not "cat" */
	s.exe = "/usr/bin/catalog";
	CHECK_EQ_INT(cw_policy_reader(&p, token, &s, NULL), CW_READER_ALLOWED);

	/* cloud files, another's environment */
	s.exe = "/bin/bash";
	s.comm = "bash";
	CHECK_EQ_INT(cw_policy_reader(&p, "/home/u/.aws/credentials", &s, &why), CW_READER_DENIED);
	CHECK_EQ_INT(cw_policy_reader(&p, "/root/.kube/config", &s, NULL), CW_READER_DENIED);
	CHECK_EQ_INT(cw_policy_reader(&p, "/root/.config/gcloud/credentials.db", &s, NULL),
		     CW_READER_DENIED);
	CHECK_EQ_INT(cw_policy_reader(&p, "/proc/1/environ", &s, &why), CW_READER_DENIED);
	CHECK_EQ_INT(cw_policy_reader(&p, "/proc/1/task/2/environ", &s, &why), CW_READER_DENIED);
	s.exe = "/usr/local/bin/aws";
	s.comm = "aws";
	CHECK_EQ_INT(cw_policy_reader(&p, "/home/u/.aws/credentials", &s, NULL), CW_READER_ALLOWED);

	/* paths no entry covers */
	s.exe = "/usr/bin/cat";
	s.comm = "cat";
	why = "stale";
	CHECK_EQ_INT(cw_policy_reader(&p, "/etc/passwd", &s, &why), CW_READER_UNCOVERED);
	CHECK(why == NULL);
	/* the namespace beside the token is a mounted file the entry covers, but not watched:
	 * never judged */
	CHECK(!cw_policy_watched(&p, "/var/run/secrets/kubernetes.io/serviceaccount/namespace"));
	CHECK_EQ_INT(cw_policy_reader(&p, "/home/u/.config/gcloud/active_config", &s, NULL),
		     CW_READER_UNCOVERED);
	CHECK_EQ_INT(cw_policy_reader(&p, "", &s, NULL), CW_READER_UNCOVERED);
	cw_policy_free(&p);
}

/* The default readers: each credential file's own tools read it, the usual suspects don't. */
TEST(policy_default_readers_match_reality)
{
	static const struct {
		const char *path, *exe;
		enum cw_reader_verdict want;
	} cases[] = {
		/* the git credential store: git and its helpers */
		{ "/home/u/.git-credentials", "/usr/lib/git-core/git-credential-store",
		  CW_READER_ALLOWED },
		{ "/home/u/.git-credentials", "/usr/lib/git-core/git", CW_READER_ALLOWED },
		{ "/home/u/.config/git/credentials", "/usr/lib/git-core/git-credential-store",
		  CW_READER_ALLOWED },
		{ "/home/u/.config/git/credentials", "/usr/bin/git-credential-libsecret",
		  CW_READER_ALLOWED },
		{ "/home/u/.git-credentials", "/usr/bin/cat", CW_READER_DENIED },
		{ "/home/u/.config/git/credentials", "/bin/bash", CW_READER_DENIED },
		{ "/home/u/.git-credentials", "/usr/bin/vim.basic", CW_READER_DENIED },
		/* SSH private keys: ssh and its tools, git, scp */
		{ "/home/u/.ssh/id_ed25519", "/usr/bin/ssh", CW_READER_ALLOWED },
		{ "/home/u/.ssh/id_rsa", "/usr/bin/ssh-add", CW_READER_ALLOWED },
		{ "/home/u/.ssh/id_rsa", "/usr/bin/ssh-agent", CW_READER_ALLOWED },
		{ "/home/u/.ssh/id_rsa", "/usr/bin/scp", CW_READER_ALLOWED },
		{ "/home/u/.ssh/id_rsa", "/usr/lib/openssh/sftp-server", CW_READER_ALLOWED },
		{ "/home/u/.ssh/id_rsa", "/usr/bin/sftp", CW_READER_ALLOWED },
		{ "/home/u/.ssh/id_rsa", "/usr/bin/git", CW_READER_ALLOWED },
		{ "/root/.ssh/id_ecdsa", "/usr/bin/base64", CW_READER_DENIED },
		{ "/root/.ssh/id_ecdsa", "/usr/bin/curl", CW_READER_DENIED },
		{ "/root/.ssh/id_ecdsa", "/usr/bin/nano", CW_READER_DENIED },
		{ "/root/.ssh/id_ecdsa", "/usr/bin/less", CW_READER_DENIED },
		/* package indexes and registries */
		{ "/home/u/.npmrc", "/usr/bin/node", CW_READER_ALLOWED },
		{ "/home/u/.pypirc", "/usr/bin/python3.11", CW_READER_ALLOWED },
		{ "/home/u/.pypirc", "/home/u/.local/bin/twine", CW_READER_ALLOWED },
		{ "/home/u/.docker/config.json", "/usr/bin/docker", CW_READER_ALLOWED },
		{ "/home/u/.docker/config.json", "/usr/bin/podman", CW_READER_ALLOWED },
		{ "/home/u/.npmrc", "/usr/bin/cat", CW_READER_DENIED },
		{ "/home/u/.docker/config.json", "/usr/bin/nc", CW_READER_DENIED },
		{ "/home/u/.pypirc", "/usr/bin/vim.basic", CW_READER_ALLOWED }, /* edited by hand */
		/* ~/.netrc: curl and wget are its own readers, nc is not */
		{ "/home/u/.netrc", "/usr/bin/curl", CW_READER_ALLOWED },
		{ "/home/u/.netrc", "/usr/bin/wget", CW_READER_ALLOWED },
		{ "/home/u/.netrc", "/usr/lib/git-core/git-remote-https", CW_READER_ALLOWED },
		{ "/home/u/.netrc", "/usr/bin/ncat", CW_READER_DENIED },
		{ "/home/u/.netrc", "/usr/bin/head", CW_READER_DENIED },
		/* cloud and cluster */
		{ "/home/u/.aws/credentials", "/usr/local/bin/aws", CW_READER_ALLOWED },
		{ "/home/u/.kube/config", "/usr/local/bin/kubectl", CW_READER_ALLOWED },
		{ "/home/u/.kube/config", "/usr/local/bin/helm", CW_READER_ALLOWED },
		{ "/home/u/.kube/config", "/usr/bin/emacs-nox", CW_READER_ALLOWED },
		{ "/home/u/.config/gcloud/credentials.db", "/usr/bin/emacs-nox", CW_READER_DENIED },
		{ "/home/u/.config/gcloud/credentials.db", "/usr/lib/google-cloud-sdk/bin/gcloud",
		  CW_READER_ALLOWED },
		/* mounted secrets: the kubelet and the runtime; not a shell or an editor */
		{ "/run/secrets/db_password", "/usr/bin/kubelet", CW_READER_ALLOWED },
		{ "/run/secrets/db_password", "/usr/bin/containerd", CW_READER_ALLOWED },
		{ "/run/secrets/db_password", "/usr/bin/runc", CW_READER_ALLOWED },
		{ "/run/secrets/db_password", "/app/server", CW_READER_ALLOWED },
		{ "/var/run/secrets/app/api-key", "/bin/sh", CW_READER_DENIED },
		{ "/run/secrets/db_password", "/usr/bin/vi", CW_READER_DENIED },
		{ "/var/run/secrets/kubernetes.io/serviceaccount/token", "/usr/bin/kubelet",
		  CW_READER_ALLOWED },
		{ "/var/run/secrets/kubernetes.io/serviceaccount/token", "/usr/bin/vim.tiny",
		  CW_READER_DENIED },
	};
	static struct cw_workload wl;
	struct cw_policy p = { 0 };
	char err[512];

	REQUIRE(cw_policy_load_embedded(&p, err, sizeof(err)) == 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *name = strrchr(cases[i].exe, '/') + 1;
		struct cw_subject s = { .wl = &wl, .exe = cases[i].exe, .comm = name };
		enum cw_reader_verdict got = cw_policy_reader(&p, cases[i].path, &s, NULL);

		if (!cw_policy_watched(&p, cases[i].path))
			cw_test_fail(__FILE__, __LINE__, "%s is not watched", cases[i].path);
		if (got != cases[i].want)
			cw_test_fail(__FILE__, __LINE__, "%s reading %s: verdict %d, want %d",
				     cases[i].exe, cases[i].path, got, cases[i].want);
	}
	cw_policy_free(&p);
}

static const char readers_yaml[] = "workloads:\n"				  /* 1 */
				   "  - {name: payments, namespace: prod}\n"	  /* 2 */
				   "  - {name: billing, unit: billing.service}\n" /* 3 */
				   "readers:\n"					  /* 4 */
				   "  - paths: [/etc/app/secret.env]\n"		  /* 5 */
				   "    allow: [payments, billing]\n"		  /* 6 */
				   "    deny_executables: ['*sh', '/tmp/**']\n"	  /* 7 */
				   "  - path: /etc/app/*\n"			  /* 8 */
				   "    allow: [payments]\n"			  /* 9 */
				   "  - path: /etc/open/*\n";			  /* 10 */

TEST(policy_reader_allow_lists_and_order)
{
	static struct cw_workload prod, dev, svc;
	struct cw_policy p = { 0 };
	struct cw_subject s;
	const char *why;
	char err[512];

	REQUIRE(load(&p, "r.yaml", readers_yaml, err, sizeof(err)) == 0);
	snprintf(prod.pod_namespace, sizeof(prod.pod_namespace), "prod");
	snprintf(dev.pod_namespace, sizeof(dev.pod_namespace), "dev");
	snprintf(svc.unit, sizeof(svc.unit), "billing.service");

	/* allowed workloads */
	s = (struct cw_subject){ .wl = &prod, .exe = "/app/server", .comm = "server" };
	CHECK_EQ_INT(cw_policy_reader(&p, "/etc/app/secret.env", &s, &why), CW_READER_ALLOWED);
	s.wl = &svc;
	CHECK_EQ_INT(cw_policy_reader(&p, "/etc/app/secret.env", &s, &why), CW_READER_ALLOWED);
	/* a workload outside the allow list */
	s.wl = &dev;
	CHECK_EQ_INT(cw_policy_reader(&p, "/etc/app/secret.env", &s, &why), CW_READER_DENIED);
	CHECK_EQ_STR(why, "only workloads allowed by r.yaml:5 may read this file "
			  "(payments, billing)");
	/* deny_executables wins over allow; a glob, and a path glob */
	s = (struct cw_subject){ .wl = &prod, .exe = "/usr/bin/zsh", .comm = "zsh" };
	CHECK_EQ_INT(cw_policy_reader(&p, "/etc/app/secret.env", &s, &why), CW_READER_DENIED);
	CHECK_EQ_STR(why, "executable matching '*sh' is denied reading this file by r.yaml:5");
	s.exe = "/tmp/x/loot";
	CHECK_EQ_INT(cw_policy_reader(&p, "/etc/app/secret.env", &s, &why), CW_READER_DENIED);
	CHECK_EQ_STR(why, "executable matching '/tmp/**' is denied reading this file by r.yaml:5");
	s.exe = "/usr/tmp/loot";
	CHECK_EQ_INT(cw_policy_reader(&p, "/etc/app/secret.env", &s, &why), CW_READER_ALLOWED);
	/* the first entry covering the path applies: billing may read secret.env only */
	s = (struct cw_subject){ .wl = &svc, .exe = "/usr/bin/billing", .comm = "billing" };
	CHECK_EQ_INT(cw_policy_reader(&p, "/etc/app/other.env", &s, &why), CW_READER_DENIED);
	CHECK_EQ_STR(why, "only workloads allowed by r.yaml:8 may read this file (payments)");
	/* an entry with neither list allows */
	CHECK_EQ_INT(cw_policy_reader(&p, "/etc/open/x", &s, &why), CW_READER_ALLOWED);
	CHECK_EQ_INT(cw_policy_reader(&p, "/etc/closed/x", &s, &why), CW_READER_UNCOVERED);
	cw_policy_free(&p);
}

/* Kubernetes selectors on pod metadata (host/podmeta.h), every form. */
static const char k8s_yaml[] =
	"workloads:\n"		/* 1 */
	"  - name: payments\n"	/* 2 */
	"    namespace: shop\n" /* 3 */
	"    selector:\n"	/* 4 */
	"      matchLabels: {app: payments, 'app.kubernetes.io/part-of': shop}\n"
	"      matchExpressions:\n" /* 6 */
	"        - {key: tier, operator: In, values: [backend, api]}\n"
	"        - {key: env, operator: NotIn, values: [dev]}\n"
	"        - {key: team, operator: Exists}\n"	     /* 9 */
	"        - {key: canary, operator: DoesNotExist}\n"  /* 10 */
	"    service_account: shop/api\n"		     /* 11 */
	"    owner: 'Deployment/payments*'\n"		     /* 12 */
	"    image: 'ghcr.io/acme/payments:*'\n"	     /* 13 */
	"    annotations: {'example.com/owner': 'team-*'}\n" /* 14 */
	"  - {name: every-pod, selector: {}}\n"		     /* 15 */
	"  - {name: sa-user, service_account: 'system:serviceaccount:ops:backup'}\n"
	"credentials:\n"		  /* 17 */
	"  - service_account: 'shop/*'\n" /* 18 */
	"    owners: [payments]\n";	  /* 19 */

TEST(policy_load_kubernetes_selectors)
{
	static const char *const in_values[] = { "backend", "api" };
	struct cw_policy p = { 0 };
	const struct cw_policy_workload *w;
	const struct cw_label_selector *ls;
	char err[512];

	REQUIRE(load(&p, "k8s.yaml", k8s_yaml, err, sizeof(err)) == 0);
	REQUIRE(p.nworkloads == 3);
	w = &p.workloads[0];
	ls = &w->selector;
	CHECK(ls->set);
	/* matchLabels first, as In of one value each, then the expressions in order */
	REQUIRE(ls->n == 6);
	CHECK_EQ_STR(ls->reqs[0].key, "app");
	CHECK_EQ_INT(ls->reqs[0].op, CW_LABEL_IN);
	CHECK(ls->reqs[0].values.n == 1 && !strcmp(ls->reqs[0].values.v[0], "payments"));
	CHECK_EQ_STR(ls->reqs[1].key, "app.kubernetes.io/part-of");
	CHECK_EQ_STR(ls->reqs[2].key, "tier");
	CHECK_EQ_INT(ls->reqs[2].op, CW_LABEL_IN);
	CHECK_STRV(&ls->reqs[2].values, in_values);
	CHECK_EQ_INT(ls->reqs[3].op, CW_LABEL_NOT_IN);
	CHECK_EQ_INT(ls->reqs[4].op, CW_LABEL_EXISTS);
	CHECK_EQ_INT(ls->reqs[4].values.n, 0);
	CHECK_EQ_INT(ls->reqs[5].op, CW_LABEL_DOES_NOT_EXIST);
	CHECK_EQ_STR(w->sa_namespace, "shop");
	CHECK_EQ_STR(w->sa_name, "api");
	CHECK_EQ_STR(w->owner_kind, "Deployment");
	CHECK_EQ_STR(w->owner_name, "payments*");
	CHECK_EQ_STR(w->image, "ghcr.io/acme/payments:*");
	CHECK(w->ann_keys.n == 1 && !strcmp(w->ann_keys.v[0], "example.com/owner"));
	CHECK(w->ann_values.n == 1 && !strcmp(w->ann_values.v[0], "team-*"));
	/* an empty selector is given, with no requirement */
	CHECK(p.workloads[1].selector.set && p.workloads[1].selector.n == 0);
	/* Kubernetes' user name for a service account */
	CHECK_EQ_STR(p.workloads[2].sa_namespace, "ops");
	CHECK_EQ_STR(p.workloads[2].sa_name, "backup");
	REQUIRE(p.ncreds == 1);
	CHECK_EQ_STR(p.creds[0].sa_namespace, "shop");
	CHECK_EQ_STR(p.creds[0].sa_name, "*");
	CHECK(p.token_bindings);
	CHECK(cw_policy_uses_pod_metadata(&p));
	/* a binding by service account needs the credential: never matched without it */
	CHECK(cw_policy_cred_find(&p, "kubernetes-service-account-token", NULL, NULL) == NULL);
	cw_policy_free(&p);

	/* the default and a policy without pod selectors need no metadata */
	REQUIRE(cw_policy_load_embedded(&p, err, sizeof(err)) == 0);
	CHECK(!cw_policy_uses_pod_metadata(&p));
	CHECK(!p.token_bindings);
	cw_policy_free(&p);
	REQUIRE(load(&p, "e.yaml", "workloads: [{name: a, selector: {}}]\n", err, sizeof(err)) ==
		0);
	CHECK(!cw_policy_uses_pod_metadata(&p));
	cw_policy_free(&p);
}

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A workload in a pod with metadata meta (NULL: not known yet), container ctr of it. */
static void in_pod(struct cw_workload *wl, const char *ns, const char *uid,
		   const struct cw_pod *meta, const char *container, const char *id)
{
	memset(wl, 0, sizeof(*wl));
	snprintf(wl->pod_uid, sizeof(wl->pod_uid), "%s", uid);
	snprintf(wl->pod_namespace, sizeof(wl->pod_namespace), "%s", ns);
	snprintf(wl->container_name, sizeof(wl->container_name), "%s", container);
	snprintf(wl->container_id, sizeof(wl->container_id), "%s", id);
	wl->pod = meta;
}

static enum cw_policy_match match_of(const struct cw_policy *p, const char *name,
				     const struct cw_workload *wl)
{
	struct cw_subject s = { .wl = wl, .exe = "/app/server", .comm = "server", .uid = 1000 };

	return cw_policy_subject_match(p, name, &s);
}

#define CHECK_MATCH(p, name, wl, want)                                                         \
	do {                                                                                   \
		enum cw_policy_match got_ = match_of((p), (name), (wl));                       \
		if (got_ != (want))                                                            \
			cw_test_fail(__FILE__, __LINE__, "%s on %s: %d, want %d", (name), #wl, \
				     got_, (want));                                            \
	} while (0)

static const char ops_yaml[] =
	"workloads:\n"
	"  - name: in\n"
	"    selector:\n"
	"      matchExpressions:\n"
	"        - {key: tier, operator: In, values: [backend, api]}\n"
	"  - name: notin\n"
	"    selector:\n"
	"      matchExpressions: [{key: env, operator: NotIn, values: [prod]}]\n"
	"  - name: exists\n"
	"    selector:\n"
	"      matchExpressions: [{key: app, operator: Exists}]\n"
	"  - name: dne\n"
	"    selector:\n"
	"      matchExpressions: [{key: canary, operator: DoesNotExist}]\n"
	"  - name: labels\n"
	"    selector: {matchLabels: {app: payments, tier: backend}}\n"
	"  - name: both\n"
	"    selector:\n"
	"      matchLabels: {app: payments}\n"
	"      matchExpressions: [{key: tier, operator: NotIn, values: [web]}]\n"
	"  - {name: empty, selector: {}}\n"
	"  - name: ns-and-labels\n"
	"    namespace: shop\n"
	"    selector: {matchLabels: {app: payments}}\n"
	"  - name: labels-and-exe\n"
	"    executable: /usr/bin/*\n"
	"    selector: {matchLabels: {app: payments}}\n";

TEST(policy_label_selector_operators)
{
	static const struct cw_kv pay_l[] = { { "app", "payments" }, { "tier", "backend" } };
	static const struct cw_kv web_l[] = {
		{ "app", "payments" }, { "canary", "true" }, { "env", "prod" }, { "tier", "web" }
	};
	static const struct cw_pod pay = { .namespace_ = "shop", .labels = pay_l, .nlabels = 2 };
	static const struct cw_pod web = { .namespace_ = "shop", .labels = web_l, .nlabels = 4 };
	static const struct cw_pod bare = { .namespace_ = "shop" };
	static struct cw_workload w_pay, w_web, w_bare, w_unknown, w_unknown_dev, host;
	struct cw_policy p = { 0 };
	char err[512];

	REQUIRE(load(&p, "ops.yaml", ops_yaml, err, sizeof(err)) == 0);
	in_pod(&w_pay, "shop", "u-1", &pay, "app", HEX64);
	in_pod(&w_web, "shop", "u-2", &web, "app", HEX64);
	in_pod(&w_bare, "shop", "u-3", &bare, "app", HEX64);
	in_pod(&w_unknown, "shop", "u-4", NULL, "app", HEX64);
	in_pod(&w_unknown_dev, "dev", "u-5", NULL, "app", HEX64);
	snprintf(host.unit, sizeof(host.unit), "payments.service");

	/* In: present with one of the values */
	CHECK_MATCH(&p, "in", &w_pay, CW_MATCH_YES);
	CHECK_MATCH(&p, "in", &w_web, CW_MATCH_NO);
	CHECK_MATCH(&p, "in", &w_bare, CW_MATCH_NO);
	/* NotIn: absent, or none of the values */
	CHECK_MATCH(&p, "notin", &w_pay, CW_MATCH_YES);
	CHECK_MATCH(&p, "notin", &w_web, CW_MATCH_NO);
	CHECK_MATCH(&p, "notin", &w_bare, CW_MATCH_YES);
	/* Exists, DoesNotExist */
	CHECK_MATCH(&p, "exists", &w_pay, CW_MATCH_YES);
	CHECK_MATCH(&p, "exists", &w_bare, CW_MATCH_NO);
	CHECK_MATCH(&p, "dne", &w_pay, CW_MATCH_YES);
	CHECK_MATCH(&p, "dne", &w_web, CW_MATCH_NO);
	CHECK_MATCH(&p, "dne", &w_bare, CW_MATCH_YES);
	/* matchLabels: every label, exactly; with expressions, all ANDed */
	CHECK_MATCH(&p, "labels", &w_pay, CW_MATCH_YES);
	CHECK_MATCH(&p, "labels", &w_web, CW_MATCH_NO);
	CHECK_MATCH(&p, "both", &w_pay, CW_MATCH_YES);
	CHECK_MATCH(&p, "both", &w_web, CW_MATCH_NO);
	CHECK_MATCH(&p, "both", &w_bare, CW_MATCH_NO);
	/* an empty selector: every pod, even one whose labels are not known */
	CHECK_MATCH(&p, "empty", &w_bare, CW_MATCH_YES);
	CHECK_MATCH(&p, "empty", &w_unknown, CW_MATCH_YES);
	CHECK_MATCH(&p, "empty", &host, CW_MATCH_NO);
	/* not a pod: no selector on labels matches, DoesNotExist and NotIn neither */
	CHECK_MATCH(&p, "dne", &host, CW_MATCH_NO);
	CHECK_MATCH(&p, "notin", &host, CW_MATCH_NO);
	/* a pod whose metadata is not known yet: undecided, and so not "is" */
	CHECK_MATCH(&p, "in", &w_unknown, CW_MATCH_UNKNOWN);
	CHECK_MATCH(&p, "dne", &w_unknown, CW_MATCH_UNKNOWN);
	CHECK_MATCH(&p, "notin", &w_unknown, CW_MATCH_UNKNOWN);
	{
		struct cw_subject s = { .wl = &w_unknown, .exe = "/app/server" };

		CHECK(!cw_policy_subject_is(&p, "in", &s));
		CHECK_EQ_STR(cw_policy_workload_name(&p, &s), "empty");
	}
	/* ... but what is known still decides: its namespace, its executable */
	CHECK_MATCH(&p, "ns-and-labels", &w_unknown, CW_MATCH_UNKNOWN);
	CHECK_MATCH(&p, "ns-and-labels", &w_unknown_dev, CW_MATCH_NO);
	CHECK_MATCH(&p, "labels-and-exe", &w_unknown, CW_MATCH_NO); /* /app/server */
	/* a namespace the agent does not know either, in a pod without metadata: undecided */
	w_unknown.pod_namespace[0] = '\0';
	CHECK_MATCH(&p, "ns-and-labels", &w_unknown, CW_MATCH_UNKNOWN);
	/* and known from the metadata when the log directories did not say */
	w_pay.pod_namespace[0] = '\0';
	CHECK_MATCH(&p, "ns-and-labels", &w_pay, CW_MATCH_YES);
	cw_policy_free(&p);
}

static const char meta_yaml[] =
	"workloads:\n"
	"  - {name: sa, service_account: shop/api}\n"
	"  - {name: sa-any-ns, service_account: '*/api'}\n"
	"  - {name: sa-user, service_account: 'system:serviceaccount:shop:api'}\n"
	"  - {name: sa-glob, service_account: 'shop/api-*'}\n"
	"  - {name: deploy, owner: Deployment/payments}\n"
	"  - {name: deploy-lower, owner: deployment/payments}\n"
	"  - {name: cron, owner: 'CronJob/backup-*'}\n"
	"  - {name: any-owner, owner: '*/*'}\n"
	"  - {name: team, annotations: {'example.com/team': 'pay*'}}\n"
	"  - {name: img-tag, image: 'ghcr.io/acme/payments:1.4.*'}\n"
	"  - {name: img-repo, image: ghcr.io/acme/payments}\n"
	"  - {name: img-org, image: 'ghcr.io/acme/*'}\n"
	"  - {name: img-prefix, image: ghcr.io/acme/pay}\n"
	"  - {name: img-2, image: 'ghcr.io/acme/payments:2*'}\n"
	"  - {name: img-digest, image: 'ghcr.io/acme/payments@sha256:" HEX64 "'}\n"
	"  - {name: img-latest, image: 'ghcr.io/acme/payments:latest'}\n"
	"  - {name: nginx-short, image: 'nginx:latest'}\n"
	"  - {name: nginx-full, image: 'docker.io/library/nginx:latest'}\n"
	"  - {name: nginx-repo, image: docker.io/library/nginx}\n"
	"  - {name: nginx-digest, image: 'nginx@sha256:*'}\n"
	"  - {name: nginx-full-digest, image: 'docker.io/library/nginx@sha256:" HEX64 "'}\n"
	"  - {name: hub-org, image: 'docker.io/acme/api:1'}\n"
	"  - {name: port-reg, image: 'registry.local:5000/team/app:2'}\n"
	"  - {name: any-hub, image: 'docker.io/*'}\n";

TEST(policy_service_account_owner_image_annotations)
{
	static const struct cw_kv ann[] = { { "example.com/team", "payments" } };
	static const struct cw_pod_container pay_c[] = {
		{ .name = "app",
		  .image = "ghcr.io/acme/payments:1.4.2",
		  .image_id = "ghcr.io/acme/payments@sha256:" HEX64,
		  .container_id = HEX64 },
		{ .name = "by-digest",
		  .image = "ghcr.io/acme/payments@sha256:" HEX64,
		  .image_id = "",
		  .container_id = "" },
	};
	static const struct cw_pod_container other_c[] = {
		{ .name = "nginx",
		  .image = "nginx",
		  .image_id = "docker-pullable://nginx@sha256:" HEX64,
		  .container_id = "" },
		{ .name = "api", .image = "acme/api:1", .image_id = "", .container_id = "" },
		{ .name = "reg",
		  .image = "registry.local:5000/team/app:2",
		  .image_id = "",
		  .container_id = "" },
	};
	static const struct cw_pod pay = {
		.namespace_ = "shop",
		.service_account = "api",
		.owner_kind = "Deployment",
		.owner_name = "payments",
		.annotations = ann,
		.nannotations = 1,
		.containers = pay_c,
		.ncontainers = 2,
	};
	static const struct cw_pod backup = {
		.namespace_ = "ops",
		.service_account = "api",
		.owner_kind = "CronJob",
		.owner_name = "backup-nightly",
		.containers = other_c,
		.ncontainers = 3,
	};
	static const struct cw_pod bare = { .namespace_ = "shop",
					    .service_account = "api-v2",
					    .owner_kind = "",
					    .owner_name = "" };
	static struct cw_workload w_pay, w_dig, w_backup, w_reg, w_hub, w_bare, w_unknown, w_lost,
		host;
	struct cw_policy p = { 0 };
	char err[512];

	REQUIRE(load(&p, "meta.yaml", meta_yaml, err, sizeof(err)) == 0);
	in_pod(&w_pay, "shop", "u-1", &pay, "app", HEX64);
	w_pay.pod_container = &pay_c[0];
	in_pod(&w_dig, "shop", "u-1", &pay, "by-digest", ""); /* found by name */
	in_pod(&w_backup, "ops", "u-2", &backup, "nginx", "");
	in_pod(&w_reg, "ops", "u-2", &backup, "reg", "");
	in_pod(&w_hub, "ops", "u-2", &backup, "api", "");
	in_pod(&w_bare, "shop", "u-3", &bare, "app", "");
	in_pod(&w_unknown, "shop", "u-4", NULL, "app", HEX64);
	in_pod(&w_lost, "shop", "u-1", &pay, "sidecar", ""); /* a container not in the pod (yet) */
	snprintf(host.unit, sizeof(host.unit), "api.service");

	/* service account: NS/NAME globs; Kubernetes' user name form */
	CHECK_MATCH(&p, "sa", &w_pay, CW_MATCH_YES);
	CHECK_MATCH(&p, "sa", &w_backup, CW_MATCH_NO); /* api, in ops */
	CHECK_MATCH(&p, "sa-any-ns", &w_backup, CW_MATCH_YES);
	CHECK_MATCH(&p, "sa-user", &w_pay, CW_MATCH_YES);
	CHECK_MATCH(&p, "sa-user", &w_backup, CW_MATCH_NO);
	CHECK_MATCH(&p, "sa-glob", &w_bare, CW_MATCH_YES);
	CHECK_MATCH(&p, "sa-glob", &w_pay, CW_MATCH_NO);
	/* owner: the resolved controller; the kind in any case; a bare pod has none */
	CHECK_MATCH(&p, "deploy", &w_pay, CW_MATCH_YES);
	CHECK_MATCH(&p, "deploy-lower", &w_pay, CW_MATCH_YES);
	CHECK_MATCH(&p, "deploy", &w_backup, CW_MATCH_NO);
	CHECK_MATCH(&p, "cron", &w_backup, CW_MATCH_YES);
	CHECK_MATCH(&p, "any-owner", &w_pay, CW_MATCH_YES);
	CHECK_MATCH(&p, "any-owner", &w_bare, CW_MATCH_NO);
	/* annotations (the allow-listed ones the client keeps) */
	CHECK_MATCH(&p, "team", &w_pay, CW_MATCH_YES);
	CHECK_MATCH(&p, "team", &w_backup, CW_MATCH_NO);
	/* image: as written, the repository alone, repository:tag, repository@digest */
	CHECK_MATCH(&p, "img-tag", &w_pay, CW_MATCH_YES);
	CHECK_MATCH(&p, "img-repo", &w_pay, CW_MATCH_YES);
	CHECK_MATCH(&p, "img-org", &w_pay, CW_MATCH_YES);
	CHECK_MATCH(&p, "img-prefix", &w_pay, CW_MATCH_NO);
	CHECK_MATCH(&p, "img-2", &w_pay, CW_MATCH_NO);
	CHECK_MATCH(&p, "img-digest", &w_pay, CW_MATCH_YES); /* the digest the node ran */
	CHECK_MATCH(&p, "img-digest", &w_dig, CW_MATCH_YES); /* the spec's own digest */
	CHECK_MATCH(&p, "img-repo", &w_dig, CW_MATCH_YES);
	CHECK_MATCH(&p, "img-tag", &w_dig, CW_MATCH_NO);
	CHECK_MATCH(&p, "img-latest", &w_dig, CW_MATCH_NO); /* by digest: no tag */
	/* Docker Hub's short names are its full ones; a digest from docker-pullable:// */
	CHECK_MATCH(&p, "nginx-short", &w_backup, CW_MATCH_YES);
	CHECK_MATCH(&p, "nginx-full", &w_backup, CW_MATCH_YES);
	CHECK_MATCH(&p, "nginx-repo", &w_backup, CW_MATCH_YES);
	CHECK_MATCH(&p, "nginx-digest", &w_backup, CW_MATCH_YES);
	CHECK_MATCH(&p, "nginx-full-digest", &w_backup, CW_MATCH_YES);
	CHECK_MATCH(&p, "hub-org", &w_hub, CW_MATCH_YES);
	CHECK_MATCH(&p, "any-hub", &w_hub, CW_MATCH_YES);
	/* a registry with a port: its ':' is no tag, and it is not Docker Hub's */
	CHECK_MATCH(&p, "port-reg", &w_reg, CW_MATCH_YES);
	CHECK_MATCH(&p, "any-hub", &w_reg, CW_MATCH_NO);
	CHECK_MATCH(&p, "img-org", &w_backup, CW_MATCH_NO);

	/* pod metadata not known yet, or the container not in it: undecided */
	for (size_t i = 0; i < p.nworkloads; i++)
		CHECK_MATCH(&p, p.workloads[i].name, &w_unknown, CW_MATCH_UNKNOWN);
	CHECK_MATCH(&p, "img-repo", &w_lost, CW_MATCH_UNKNOWN);
	CHECK_MATCH(&p, "sa", &w_lost, CW_MATCH_YES); /* the pod itself is known */
	/* not in a pod: none of them matches */
	for (size_t i = 0; i < p.nworkloads; i++)
		CHECK_MATCH(&p, p.workloads[i].name, &host, CW_MATCH_NO);
	cw_policy_free(&p);
}

static const char undecided_yaml[] =
	"workloads:\n"						/* 1 */
	"  - name: api\n"					/* 2 */
	"    namespace: shop\n"					/* 3 */
	"    service_account: shop/api\n"			/* 4 */
	"  - {name: api-anywhere, service_account: '*/api'}\n"	/* 5 */
	"credentials:\n"					/* 6 */
	"  - rule: 'github-*'\n"				/* 7 */
	"    owners: [api]\n"					/* 8 */
	"readers:\n"						/* 9 */
	"  - paths: [/etc/shop/key]\n"				/* 10 */
	"    allow: [api]\n"					/* 11 */
	"    deny_executables: [cat]\n"				/* 12 */
	"  - {paths: [/etc/any/key], allow: [api-anywhere]}\n"; /* 13 */

/*
 * A pod whose metadata is not known yet is not denied, and not called a non-owner, on
 * selectors it cannot be judged by; what is known (its namespace, its executable) still
 * decides.
 */
TEST(policy_unknown_pod_metadata_is_not_a_denial)
{
	static const struct cw_pod api = { .namespace_ = "shop", .service_account = "api" };
	static const struct cw_pod dflt = { .namespace_ = "shop", .service_account = "default" };
	static struct cw_workload w_api, w_dflt, w_unknown, w_unknown_dev, host;
	const struct cw_policy_cred *c;
	struct cw_policy p = { 0 };
	struct cw_subject s = { .exe = "/app/server", .comm = "server" };
	const char *why;
	char err[512];

	REQUIRE(load(&p, "u.yaml", undecided_yaml, err, sizeof(err)) == 0);
	in_pod(&w_api, "shop", "u-1", &api, "app", "");
	in_pod(&w_dflt, "shop", "u-2", &dflt, "app", "");
	in_pod(&w_unknown, "shop", "u-3", NULL, "app", "");
	in_pod(&w_unknown_dev, "dev", "u-4", NULL, "app", "");

	s.wl = &w_api;
	CHECK_EQ_INT(cw_policy_reader(&p, "/etc/shop/key", &s, &why), CW_READER_ALLOWED);
	s.wl = &w_dflt;
	CHECK_EQ_INT(cw_policy_reader(&p, "/etc/shop/key", &s, &why), CW_READER_DENIED);
	CHECK_EQ_STR(why, "only workloads allowed by u.yaml:10 may read this file (api)");
	s.wl = &w_unknown;
	CHECK_EQ_INT(cw_policy_reader(&p, "/etc/shop/key", &s, &why), CW_READER_UNDECIDED);
	CHECK_CONTAINS(why, "pod metadata is not known yet");
	/* the namespace decides without metadata */
	s.wl = &w_unknown_dev;
	CHECK_EQ_INT(cw_policy_reader(&p, "/etc/shop/key", &s, &why), CW_READER_DENIED);
	/* no namespace selector: any pod without metadata is undecided */
	CHECK_EQ_INT(cw_policy_reader(&p, "/etc/any/key", &s, &why), CW_READER_UNDECIDED);
	/* not a pod: decided */
	s.wl = &host;
	CHECK_EQ_INT(cw_policy_reader(&p, "/etc/any/key", &s, &why), CW_READER_DENIED);
	/* deny_executables does not wait for metadata */
	s = (struct cw_subject){ .wl = &w_unknown, .exe = "/usr/bin/cat", .comm = "cat" };
	CHECK_EQ_INT(cw_policy_reader(&p, "/etc/shop/key", &s, &why), CW_READER_DENIED);
	CHECK_CONTAINS(why, "'cat' is denied");

	/* owners: undecided counts as one, a decided non-owner does not */
	c = cw_policy_cred_find(&p, "github-pat-classic", NULL, NULL);
	REQUIRE(c);
	s = (struct cw_subject){ .wl = &w_api, .exe = "/app/server" };
	CHECK(cw_policy_cred_owner(&p, c, &s));
	s.wl = &w_dflt;
	CHECK(!cw_policy_cred_owner(&p, c, &s));
	s.wl = &w_unknown;
	CHECK(cw_policy_cred_owner(&p, c, &s));
	s.wl = &w_unknown_dev;
	CHECK(!cw_policy_cred_owner(&p, c, &s));
	s.wl = &host;
	CHECK(!cw_policy_cred_owner(&p, c, &s));
	cw_policy_free(&p);
}

/* The example policies in deploy/policies/ load, and say what their comments say. */
TEST(policy_deploy_examples_load)
{
	static const char *const files[] = {
		"deploy/policies/serviceaccount-token.yaml",
		"deploy/policies/registry-credential.yaml",
		"deploy/policies/cloud-key.yaml",
	};
	static const struct cw_pod_container kaniko_c[] = {
		{ .name = "build",
		  .image = "gcr.io/kaniko-project/executor:v1.23.2",
		  .image_id = "",
		  .container_id = "" },
	};
	static const struct cw_kv exp_l[] = { { "app.kubernetes.io/component", "uploader" },
					      { "app.kubernetes.io/name", "report-exporter" } };
	static const struct cw_pod api = { .namespace_ = "payments", .service_account = "api" };
	static const struct cw_pod kaniko = { .namespace_ = "ci",
					      .service_account = "default",
					      .containers = kaniko_c,
					      .ncontainers = 1 };
	static const struct cw_pod exporter = { .namespace_ = "analytics",
						.labels = exp_l,
						.nlabels = 2,
						.service_account = "default" };
	static struct cw_workload w_api, w_kaniko, w_exporter;
	struct cw_policy p[3] = { 0 };
	struct cw_subject s = { .exe = "/app/server", .comm = "server" };
	char err[512];

	for (size_t i = 0; i < 3; i++)
		if (cw_policy_load_file(&p[i], files[i], err, sizeof(err)))
			cw_test_fail(__FILE__, __LINE__, "%s", err);
	in_pod(&w_api, "payments", "u-1", &api, "app", "");
	in_pod(&w_kaniko, "ci", "u-2", &kaniko, "build", "");
	in_pod(&w_exporter, "analytics", "u-3", &exporter, "app", "");

	/* the service-account token: its pods, and on the node only the kubelet */
	REQUIRE(p[0].ncreds == 1 && p[0].token_bindings);
	s.wl = &w_api;
	CHECK(cw_policy_subject_is(&p[0], "payments-api", &s));
	CHECK(cw_policy_watched(&p[0],
				"/var/lib/kubelet/pods/" HEX64
				"/volumes/kubernetes.io~projected/kube-api-access-x2x5z/token"));
	CHECK_EQ_INT(cw_policy_reader(&p[0],
				      "/var/lib/kubelet/pods/u/volumes/kubernetes.io~projected/"
				      "kube-api-access-x2x5z/..data/token",
				      &s, NULL),
		     CW_READER_DENIED);
	CHECK_EQ_INT(cw_policy_reader(&p[0], "/var/run/secrets/kubernetes.io/serviceaccount/token",
				      &s, NULL),
		     CW_READER_ALLOWED);
	/* the registry credential: the builder's image */
	s.wl = &w_kaniko;
	CHECK(cw_policy_subject_is(&p[1], "image-builder", &s));
	CHECK(cw_policy_watched(&p[1], "/kaniko/.docker/config.json"));
	CHECK_EQ_INT(cw_policy_reader(&p[1], "/kaniko/.docker/config.json", &s, NULL),
		     CW_READER_ALLOWED);
	CHECK(cw_policy_cred_find(&p[1], "docker-config-auth", "/kaniko/.docker/config.json",
				  NULL) == &p[1].creds[0]);
	s.wl = &w_api;
	CHECK_EQ_INT(cw_policy_reader(&p[1], "/kaniko/.docker/config.json", &s, NULL),
		     CW_READER_DENIED);
	/* the cloud key: the exporter by its labels, its provider only */
	s.wl = &w_exporter;
	CHECK(cw_policy_subject_is(&p[2], "exporter", &s));
	CHECK(cw_policy_cred_find(&p[2], "aws-access-key-id", "/var/run/secrets/aws/credentials",
				  NULL) == &p[2].creds[0]);
	CHECK_EQ_STR(p[2].creds[1].destinations.v[0], "@never");
	s.wl = &w_kaniko;
	CHECK(!cw_policy_subject_is(&p[2], "exporter", &s));
	for (size_t i = 0; i < 3; i++)
		cw_policy_free(&p[i]);
}
