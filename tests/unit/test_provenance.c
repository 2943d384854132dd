// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jsoncheck.h"
#include "judge/provenance.h"
#include "test.h"
#include "testutil.h"

/* A fingerprint-shaped string (64 hex) for credential number i: not a secret, just a key. */
static const char *fp(int i)
{
	static char buf[8][65];
	static int slot;
	char *b = buf[slot++ % 8];

	for (int k = 0; k < 32; k++)
		snprintf(b + 2 * k, 3, "%02x",
			 (unsigned)((i * 131 + k * 7 + (k ? 0 : i >> 8)) & 0xff));
	b[64] = '\0';
	return b;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* Fingerprints from most to least recent, joined by ',' (first 4 hex of each). */
static void order(const struct cw_provenance *p, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (const struct cw_prov_cred *c = cw_prov_first(p); c && o + 6 < len;
	     c = cw_prov_next(p, c))
		o += (size_t)snprintf(out + o, len - o, "%s%.4s", o ? "," : "", c->fingerprint);
}

/* The same, walking from the tail: the back links must agree with the forward ones. */
static void order_back(const struct cw_provenance *p, char *out, size_t len)
{
	const struct cw_prov_cred *v[64];
	size_t n = 0, o = 0;

	for (const struct cw_prov_cred *c = cw_prov_last(p); c && n < 64; c = cw_prov_prev(p, c))
		v[n++] = c;
	out[0] = '\0';
	while (n-- && o + 6 < len)
		o += (size_t)snprintf(out + o, len - o, "%s%.4s", o ? "," : "", v[n]->fingerprint);
}

#define CHECK_ORDER(p, want)                           \
	do {                                           \
		char got_[512], back_[512];            \
		order((p), got_, sizeof(got_));        \
		order_back((p), back_, sizeof(back_)); \
		CHECK_EQ_STR(got_, want);              \
		CHECK_EQ_STR(back_, want);             \
	} while (0)

static char *short4(int i)
{
	static char b[8][5];
	static int slot;
	char *s = b[slot++ % 8];

	snprintf(s, 5, "%.4s", fp(i));
	return s;
}

TEST(prov_touch_find_and_recency_order)
{
	struct cw_provenance p;
	struct cw_prov_cred *a, *b, *c, *x;
	char want[128], err[256];

	REQUIRE(cw_prov_open(&p, NULL, 3, err, sizeof(err)) == 0);
	CHECK_EQ_INT(p.n, 0);
	CHECK(!p.dirty);
	CHECK(cw_prov_find(&p, fp(1)) == NULL);

	a = cw_prov_touch(&p, fp(1), "github-pat", "GitHub token", "long-lived", "ghp_…abcd", 100);
	REQUIRE(a);
	CHECK(p.dirty);
	CHECK_EQ_STR(a->fingerprint, fp(1));
	CHECK_EQ_STR(a->rule, "github-pat");
	CHECK_EQ_STR(a->kind, "GitHub token");
	CHECK_EQ_STR(a->lifetime, "long-lived");
	CHECK_EQ_STR(a->redacted, "ghp_…abcd");
	CHECK_EQ_INT(a->first_seen, 100);
	CHECK_EQ_INT(a->last_seen, 100);
	b = cw_prov_touch(&p, fp(2), "aws-key", "AWS key", "long-lived", "AKIA…WXYZ", 200);
	c = cw_prov_touch(&p, fp(3), "jwt", "JWT", "short-lived", "eyJ…", 300);
	REQUIRE(b && c);
	CHECK_EQ_INT(p.n, 3);
	snprintf(want, sizeof(want), "%s,%s,%s", short4(3), short4(2), short4(1));
	CHECK_ORDER(&p, want);

	/* find does not change recency */
	CHECK(cw_prov_find(&p, fp(1)) == a);
	CHECK(cw_prov_find(&p, fp(2)) == b);
	CHECK_ORDER(&p, want);

	/* touching an old one makes it the most recent, keeps first_seen, refreshes last_seen */
	p.dirty = false;
	x = cw_prov_touch(&p, fp(1), "", NULL, "", "", 400);
	CHECK(x == a);
	CHECK(p.dirty);
	CHECK_EQ_INT(p.n, 3);
	CHECK_EQ_INT(a->first_seen, 100);
	CHECK_EQ_INT(a->last_seen, 400);
	/* empty values keep what was known; new ones replace it */
	CHECK_EQ_STR(a->rule, "github-pat");
	CHECK_EQ_STR(a->kind, "GitHub token");
	CHECK_EQ_STR(a->redacted, "ghp_…abcd");
	snprintf(want, sizeof(want), "%s,%s,%s", short4(1), short4(3), short4(2));
	CHECK_ORDER(&p, want);
	cw_prov_touch(&p, fp(2), NULL, "AWS access key", "unknown", NULL, 500);
	CHECK_EQ_STR(b->kind, "AWS access key");
	CHECK_EQ_STR(b->lifetime, "unknown");
	CHECK_EQ_STR(b->rule, "aws-key");
	snprintf(want, sizeof(want), "%s,%s,%s", short4(2), short4(1), short4(3));
	CHECK_ORDER(&p, want);
	/* an event that arrives late does not move last_seen back, but can move first_seen */
	cw_prov_touch(&p, fp(3), NULL, NULL, NULL, NULL, 250);
	CHECK_EQ_INT(c->first_seen, 250);
	CHECK_EQ_INT(c->last_seen, 300);
	CHECK_EQ_INT(p.evictions, 0);
	cw_prov_close(&p);
	CHECK_EQ_INT(p.n, 0);
	CHECK(cw_prov_first(&p) == NULL);
	cw_prov_close(&p); /* twice is harmless */
}

TEST(prov_evicts_least_recent_at_max)
{
	struct cw_provenance p;
	char want[128], err[256];

	REQUIRE(cw_prov_open(&p, NULL, 3, err, sizeof(err)) == 0);
	for (int i = 1; i <= 3; i++)
		REQUIRE(cw_prov_touch(&p, fp(i), "r", "k", "unknown", "x", i));
	cw_prov_touch(&p, fp(1), NULL, NULL, NULL, NULL, 10); /* 2 is now the least recent */
	p.dirty = false;
	REQUIRE(cw_prov_touch(&p, fp(4), "r", "k", "unknown", "x", 11));
	CHECK(p.dirty);
	CHECK_EQ_INT(p.n, 3);
	CHECK_EQ_INT(p.evictions, 1);
	CHECK(cw_prov_find(&p, fp(2)) == NULL);
	CHECK(cw_prov_find(&p, fp(1)) != NULL);
	CHECK(cw_prov_find(&p, fp(3)) != NULL);
	snprintf(want, sizeof(want), "%s,%s,%s", short4(4), short4(1), short4(3));
	CHECK_ORDER(&p, want);
	/* refreshing an existing one at max evicts nothing */
	cw_prov_touch(&p, fp(3), NULL, NULL, NULL, NULL, 12);
	CHECK_EQ_INT(p.evictions, 1);
	CHECK_EQ_INT(p.n, 3);
	/* many more: always exactly max kept, each new one evicting one */
	for (int i = 5; i < 105; i++)
		REQUIRE(cw_prov_touch(&p, fp(i), "r", "k", "unknown", "x", 100 + i));
	CHECK_EQ_INT(p.n, 3);
	CHECK_EQ_INT(p.evictions, 101);
	snprintf(want, sizeof(want), "%s,%s,%s", short4(104), short4(103), short4(102));
	CHECK_ORDER(&p, want);
	for (int i = 1; i < 102; i++)
		if (cw_prov_find(&p, fp(i)))
			cw_test_fail(__FILE__, __LINE__, "credential %d not evicted", i);
	cw_prov_close(&p);

	/* max 0 means the default */
	REQUIRE(cw_prov_open(&p, NULL, 0, err, sizeof(err)) == 0);
	CHECK_EQ_INT(p.max, CW_PROV_DEFAULT_MAX);
	cw_prov_close(&p);
}

TEST(prov_origins_dedup_count_and_cap)
{
	struct cw_provenance p;
	struct cw_prov_cred *c;
	char err[256], det[32], longwl[600];

	REQUIRE(cw_prov_open(&p, NULL, 10, err, sizeof(err)) == 0);
	c = cw_prov_touch(&p, fp(1), "r", "k", "long-lived", "x", 100);
	REQUIRE(c);
	CHECK_EQ_INT(cw_prov_loaders(c), 0);
	CHECK(!cw_prov_is_loader(c, "k8s:ci/runner"));

	p.dirty = false;
	CHECK(cw_prov_add_origin(&p, c, "k8s:ci/runner", CW_PROV_FILE, "/app/.env", 100));
	CHECK(p.dirty);
	CHECK_EQ_INT(c->norigins, 1);
	CHECK_EQ_INT(c->origins[0].count, 1);
	CHECK_EQ_INT(c->origins[0].first_seen, 100);
	CHECK_EQ_INT(c->origins[0].last_seen, 100);
	/* the same origin again: counted, not repeated; not a new loader */
	p.dirty = false;
	CHECK(!cw_prov_add_origin(&p, c, "k8s:ci/runner", CW_PROV_FILE, "/app/.env", 150));
	CHECK(p.dirty);
	CHECK_EQ_INT(c->norigins, 1);
	CHECK_EQ_INT(c->origins[0].count, 2);
	CHECK_EQ_INT(c->origins[0].first_seen, 100);
	CHECK_EQ_INT(c->origins[0].last_seen, 150);
	/* same workload, another place: a new origin, not a new loader */
	CHECK(!cw_prov_add_origin(&p, c, "k8s:ci/runner", CW_PROV_ENV, "GITHUB_TOKEN", 160));
	/* same detail but another source is another origin */
	CHECK(!cw_prov_add_origin(&p, c, "k8s:ci/runner", CW_PROV_ENV, "/app/.env", 160));
	CHECK_EQ_INT(c->norigins, 3);
	/* another workload: a new loader */
	CHECK(cw_prov_add_origin(&p, c, "unit:deploy.service", CW_PROV_ARGV, "", 170));
	CHECK_EQ_INT(c->norigins, 4);
	CHECK_EQ_INT(cw_prov_loaders(c), 2);
	CHECK(cw_prov_is_loader(c, "k8s:ci/runner"));
	CHECK(cw_prov_is_loader(c, "unit:deploy.service"));
	CHECK(!cw_prov_is_loader(c, "unit:deploy"));
	CHECK(!cw_prov_is_loader(c, ""));
	CHECK_EQ_INT(c->origins[3].source, CW_PROV_ARGV);
	CHECK_EQ_STR(c->origins[3].detail, "");

	/* a source the file could not name is refused */
	CHECK(!cw_prov_add_origin(&p, c, "x", (enum cw_prov_source)0, "d", 1));
	CHECK(!cw_prov_add_origin(&p, c, "x", (enum cw_prov_source)99, "d", 1));
	CHECK_EQ_INT(c->norigins, 4);

	/* fill up: the oldest origins stay, the rest are counted */
	for (int i = 4; i < CW_PROV_ORIGINS_MAX; i++) {
		snprintf(det, sizeof(det), "/etc/secret%d", i);
		cw_prov_add_origin(&p, c, "k8s:ci/runner", CW_PROV_FILE, det, 200 + i);
	}
	CHECK_EQ_INT(c->norigins, CW_PROV_ORIGINS_MAX);
	CHECK_EQ_INT(c->origins_dropped, 0);
	p.dirty = false;
	/* full: the first origin stays, the least recently seen other one makes room, so a new
	 * loader is remembered (and is news) */
	CHECK(cw_prov_add_origin(&p, c, "k8s:prod/api", CW_PROV_FILE, "/x", 300));
	CHECK(p.dirty);
	CHECK(cw_prov_is_loader(c, "k8s:prod/api"));
	CHECK(!cw_prov_add_origin(&p, c, "k8s:ci/runner", CW_PROV_FILE, "/y", 301));
	CHECK_EQ_INT(c->norigins, CW_PROV_ORIGINS_MAX);
	CHECK_EQ_INT(c->origins_dropped, 2);
	CHECK_EQ_STR(c->origins[0].detail, "/app/.env");
	CHECK_EQ_STR(c->origins[CW_PROV_ORIGINS_MAX - 1].detail, "/y");
	CHECK_EQ_STR(c->origins[CW_PROV_ORIGINS_MAX - 2].workload, "k8s:prod/api");
	/* the kept ones are still counted when full */
	CHECK(!cw_prov_add_origin(&p, c, "k8s:ci/runner", CW_PROV_FILE, "/app/.env", 400));
	CHECK_EQ_INT(c->origins[0].count, 3);
	CHECK_EQ_INT(c->origins[0].last_seen, 400);
	CHECK_EQ_INT(c->origins_dropped, 2);
	CHECK_EQ_INT(cw_prov_loaders(c), 3);

	/* an over-long workload is cut the same way each time, so it still dedups */
	c = cw_prov_touch(&p, fp(2), "r", "k", "long-lived", "x", 100);
	REQUIRE(c);
	memset(longwl, 'w', sizeof(longwl) - 1);
	longwl[sizeof(longwl) - 1] = '\0';
	CHECK(cw_prov_add_origin(&p, c, longwl, CW_PROV_ENV, "TOKEN", 1));
	CHECK(!cw_prov_add_origin(&p, c, longwl, CW_PROV_ENV, "TOKEN", 2));
	CHECK_EQ_INT(c->norigins, 1);
	CHECK_EQ_INT(c->origins[0].count, 2);
	CHECK_EQ_INT(strlen(c->origins[0].workload), CW_PROV_STR - 1);
	CHECK(cw_prov_is_loader(c, longwl));
	/* ...and never in the middle of a UTF-8 character */
	for (size_t i = 0; i + 2 <= sizeof(longwl) - 1; i += 2)
		memcpy(longwl + i, "\xc3\xa9", 2); /* é */
	CHECK(cw_prov_add_origin(&p, c, longwl, CW_PROV_ENV, "TOKEN", 3));
	CHECK_EQ_INT(strlen(c->origins[1].workload), CW_PROV_STR - 2); /* 318: even */
	cw_prov_close(&p);
}

TEST(prov_uses_dedup_count_and_cap)
{
	struct cw_provenance p;
	struct cw_prov_cred *c;
	char err[256], dst[64];

	REQUIRE(cw_prov_open(&p, NULL, 10, err, sizeof(err)) == 0);
	c = cw_prov_touch(&p, fp(1), "r", "k", "long-lived", "x", 100);
	REQUIRE(c);
	p.dirty = false;
	cw_prov_add_use(&p, c, "k8s:ci/runner", "api.github.com:443", 100);
	CHECK(p.dirty);
	cw_prov_add_use(&p, c, "k8s:ci/runner", "api.github.com:443", 110);
	cw_prov_add_use(&p, c, "k8s:ci/runner", "api.github.com:443", 105);
	cw_prov_add_use(&p, c, "k8s:ci/runner", "uploads.github.com:443", 120);
	cw_prov_add_use(&p, c, "k8s:prod/api", "api.github.com:443", 130);
	cw_prov_add_use(&p, c, "k8s:prod/api", "", 140);
	CHECK_EQ_INT(c->nuses, 4);
	CHECK_EQ_STR(c->uses[0].workload, "k8s:ci/runner");
	CHECK_EQ_STR(c->uses[0].destination, "api.github.com:443");
	CHECK_EQ_INT(c->uses[0].count, 3);
	CHECK_EQ_INT(c->uses[0].first_seen, 100);
	CHECK_EQ_INT(c->uses[0].last_seen, 110);
	CHECK_EQ_STR(c->uses[1].destination, "uploads.github.com:443");
	CHECK_EQ_INT(c->uses[1].count, 1);
	CHECK_EQ_STR(c->uses[2].workload, "k8s:prod/api");
	CHECK_EQ_STR(c->uses[3].destination, "");
	/* uses do not make loaders */
	CHECK_EQ_INT(cw_prov_loaders(c), 0);
	CHECK(!cw_prov_is_loader(c, "k8s:prod/api"));

	for (int i = 0; c->nuses < CW_PROV_WORKLOADS_MAX; i++) {
		snprintf(dst, sizeof(dst), "10.0.0.%d:443", i);
		cw_prov_add_use(&p, c, "k8s:ci/runner", dst, 200 + i);
	}
	CHECK_EQ_INT(c->uses_dropped, 0);
	cw_prov_add_use(&p, c, "k8s:ci/runner", "evil.example:443", 300);
	cw_prov_add_use(&p, c, "k8s:other/x", "api.github.com:443", 301);
	cw_prov_add_use(&p, c, "k8s:other/x", "api.github.com:443", 302);
	CHECK_EQ_INT(c->nuses, CW_PROV_WORKLOADS_MAX);
	CHECK_EQ_INT(c->uses_dropped, 3);
	for (size_t i = 0; i < c->nuses; i++)
		CHECK(strcmp(c->uses[i].destination, "evil.example:443") != 0);
	/* a kept one is still counted */
	cw_prov_add_use(&p, c, "k8s:ci/runner", "api.github.com:443", 400);
	CHECK_EQ_INT(c->uses[0].count, 4);
	CHECK_EQ_INT(c->uses[0].last_seen, 400);
	CHECK_EQ_INT(c->uses_dropped, 3);
	cw_prov_close(&p);
}

/* Strings a careless writer or reader would get wrong. */
static const char odd_wl[] = "k8s:ns/pod \"quoted\" back\\slash é 😀 \t\n\x01 end";
static const char odd_det[] = "/home/ü/.config/gh/hosts.yml\\\"/\u2028x";

static void build(struct cw_provenance *p)
{
	struct cw_prov_cred *c;

	c = cw_prov_touch(p, fp(1), "github-pat", "GitHub personal access token", "long-lived",
			  "ghp_…Zx9Q", 1700000000);
	cw_prov_add_origin(p, c, odd_wl, CW_PROV_FILE, odd_det, 1700000001);
	cw_prov_add_origin(p, c, odd_wl, CW_PROV_FILE, odd_det, 1700000002);
	cw_prov_add_origin(p, c, "unit:deploy.service", CW_PROV_ENV, "GH_TOKEN", 1700000003);
	cw_prov_add_use(p, c, odd_wl, "api.github.com:443", 1700000004);
	c->origins_dropped = 7;
	c->uses_dropped = 5;

	c = cw_prov_touch(p, fp(2), "aws-access-key", "AWS access key", "long-lived", "AKIA…QRST",
			  1700001000);
	cw_prov_add_origin(p, c, "exe:/usr/bin/python3 uid:1000", CW_PROV_ARGV, "", 1700001000);
	cw_prov_add_use(p, c, "exe:/usr/bin/python3 uid:1000", "", 1700001001);
	cw_prov_add_use(p, c, "exe:/usr/bin/python3 uid:1000", "52.1.2.3:443", 1700001002);
	cw_prov_add_use(p, c, "exe:/usr/bin/python3 uid:1000", "52.1.2.3:443", 1700001003);

	/* no origins or uses at all */
	cw_prov_touch(p, fp(3), "jwt", "JSON Web Token", "short-lived", "eyJ…", 1700002000);
	/* touched again last: the most recent, though first created */
	cw_prov_touch(p, fp(1), NULL, NULL, NULL, NULL, 1700003000);
}

static void same_cred(const struct cw_prov_cred *a, const struct cw_prov_cred *b)
{
	CHECK_EQ_STR(a->fingerprint, b->fingerprint);
	CHECK_EQ_STR(a->rule, b->rule);
	CHECK_EQ_STR(a->kind, b->kind);
	CHECK_EQ_STR(a->lifetime, b->lifetime);
	CHECK_EQ_STR(a->redacted, b->redacted);
	CHECK_EQ_INT(a->first_seen, b->first_seen);
	CHECK_EQ_INT(a->last_seen, b->last_seen);
	CHECK_EQ_INT(a->origins_dropped, b->origins_dropped);
	CHECK_EQ_INT(a->uses_dropped, b->uses_dropped);
	CHECK_EQ_INT(a->norigins, b->norigins);
	for (size_t i = 0; i < a->norigins && i < b->norigins; i++) {
		CHECK_EQ_STR(a->origins[i].workload, b->origins[i].workload);
		CHECK_EQ_INT(a->origins[i].source, b->origins[i].source);
		CHECK_EQ_STR(a->origins[i].detail, b->origins[i].detail);
		CHECK_EQ_INT(a->origins[i].first_seen, b->origins[i].first_seen);
		CHECK_EQ_INT(a->origins[i].last_seen, b->origins[i].last_seen);
		CHECK_EQ_INT(a->origins[i].count, b->origins[i].count);
	}
	CHECK_EQ_INT(a->nuses, b->nuses);
	for (size_t i = 0; i < a->nuses && i < b->nuses; i++) {
		CHECK_EQ_STR(a->uses[i].workload, b->uses[i].workload);
		CHECK_EQ_STR(a->uses[i].destination, b->uses[i].destination);
		CHECK_EQ_INT(a->uses[i].first_seen, b->uses[i].first_seen);
		CHECK_EQ_INT(a->uses[i].last_seen, b->uses[i].last_seen);
		CHECK_EQ_INT(a->uses[i].count, b->uses[i].count);
	}
}

static void round_trip(void)
{
	struct cw_provenance p, q;
	char dir[256], sub[300], path[400], err[512], want[128];
	static char text[65536];
	const struct cw_prov_cred *a, *b;
	struct jc_node *doc;
	struct stat st;
	ssize_t n;

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(sub, sizeof(sub), "%s/state/credwatch", dir);
	snprintf(path, sizeof(path), "%s/provenance.json", sub);
	REQUIRE(cw_prov_open(&p, path, 100, err, sizeof(err)) == 0);
	CHECK_EQ_STR(p.path, path);
	CHECK_EQ_INT(access(path, F_OK), -1); /* opening does not create it */
	build(&p);
	err[0] = '\0';
	REQUIRE(cw_prov_save(&p, err, sizeof(err)) == 0);
	CHECK_EQ_STR(err, "");
	CHECK(!p.dirty);
	REQUIRE(stat(path, &st) == 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ_INT(st.st_mode & 07777, 0600);
	REQUIRE(stat(sub, &st) == 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0700);
	CHECK_EQ_INT(count_entries(sub), 1); /* no temporary file left */

	/* the file is valid JSON of the documented schema, least recent first */
	n = tu_read_file(path, text, sizeof(text) - 1);
	REQUIRE(n > 0);
	text[n] = '\0';
	doc = jc_parse(text, (size_t)n, err, sizeof(err));
	REQUIRE(doc);
	CHECK_EQ_STR(jc_num(doc, "version"), "1");
	{
		const struct jc_node *cr = jc_get(doc, "credentials");

		REQUIRE(cr && cr->type == JC_ARR && cr->nkids == 3);
		CHECK_EQ_STR(jc_str(&cr->kids[0], "fingerprint"), fp(2));
		CHECK_EQ_STR(jc_str(&cr->kids[2], "fingerprint"), fp(1));
		CHECK_EQ_STR(jc_num(&cr->kids[2], "first_seen"), "1700000000");
		CHECK_EQ_STR(jc_num(&cr->kids[2], "last_seen"), "1700003000");
		CHECK_EQ_STR(jc_num(&cr->kids[2], "origins_dropped"), "7");
		CHECK(jc_get(&cr->kids[0], "origins_dropped") == NULL); /* only when not 0 */
		CHECK_EQ_STR(jc_str(&jc_get(&cr->kids[2], "origins")->kids[0], "source"), "file");
		CHECK_EQ_STR(jc_str(&jc_get(&cr->kids[2], "origins")->kids[0], "workload"), odd_wl);
		CHECK_EQ_STR(jc_str(&jc_get(&cr->kids[0], "origins")->kids[0], "source"), "argv");
	}
	jc_free(doc);

	REQUIRE(cw_prov_open(&q, path, 100, err, sizeof(err)) == 0);
	CHECK_EQ_INT(q.n, 3);
	CHECK(!q.dirty);
	CHECK_EQ_INT(q.evictions, 0);
	snprintf(want, sizeof(want), "%s,%s,%s", short4(1), short4(3), short4(2));
	CHECK_ORDER(&p, want);
	CHECK_ORDER(&q, want);
	for (a = cw_prov_first(&p), b = cw_prov_first(&q); a && b;
	     a = cw_prov_next(&p, a), b = cw_prov_next(&q, b))
		same_cred(a, b);
	/* the lookups work on what was loaded */
	for (int i = 1; i <= 3; i++)
		CHECK(cw_prov_find(&q, fp(i)) != NULL);
	a = cw_prov_find(&q, fp(1));
	REQUIRE(a);
	CHECK_EQ_STR(a->origins[0].workload, odd_wl);
	CHECK_EQ_STR(a->origins[0].detail, odd_det);
	CHECK_EQ_INT(a->origins[0].count, 2);
	CHECK_EQ_STR(a->redacted, "ghp_…Zx9Q");

	/* saving what was loaded gives the same bytes */
	{
		static char again[65536];

		REQUIRE(cw_prov_save(&q, err, sizeof(err)) == 0);
		CHECK_EQ_INT(tu_read_file(path, again, sizeof(again) - 1), n);
		CHECK(!memcmp(text, again, (size_t)n));
	}
	cw_prov_close(&p);
	cw_prov_close(&q);
	tu_rmtree(dir);
}

TEST(prov_save_and_open_round_trip)
{
	mode_t old = umask(0); /* the modes must not rely on the umask */

	round_trip();
	umask(old);
}

static void fix_modes(void)
{
	static const char empty[] = "{\"version\":1,\"credentials\":[]}";
	static const char junk[] = "garbage that is longer than the store will be......";
	struct cw_provenance p;
	char dir[256], path[400], tmp[420], err[512];
	struct stat st;

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/provenance.json", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	/* an older store, world-readable, and a temporary file left behind by a crash */
	REQUIRE(tu_write_file(path, empty, sizeof(empty) - 1, 0644) == 0);
	REQUIRE(tu_write_file(tmp, junk, sizeof(junk) - 1, 0644) == 0);
	REQUIRE(stat(path, &st) == 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0644);
	REQUIRE(cw_prov_open(&p, path, 10, err, sizeof(err)) == 0);
	CHECK_EQ_INT(p.n, 0);
	REQUIRE(cw_prov_touch(&p, fp(1), "r", "k", "unknown", "x", 5));
	REQUIRE(cw_prov_save(&p, err, sizeof(err)) == 0);
	REQUIRE(stat(path, &st) == 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0600);
	CHECK_EQ_INT(access(tmp, F_OK), -1);
	cw_prov_close(&p);
	/* what was saved over the garbage reads back whole */
	REQUIRE(cw_prov_open(&p, path, 10, err, sizeof(err)) == 0);
	CHECK_EQ_INT(p.n, 1);
	CHECK(cw_prov_find(&p, fp(1)) != NULL);
	cw_prov_close(&p);

	/* the same when the store itself was 0644 and no temporary file existed */
	REQUIRE(chmod(path, 0644) == 0);
	REQUIRE(cw_prov_open(&p, path, 10, err, sizeof(err)) == 0);
	REQUIRE(cw_prov_save(&p, err, sizeof(err)) == 0);
	REQUIRE(stat(path, &st) == 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0600);
	cw_prov_close(&p);

	/* a symlink planted as the temporary file is not followed */
	{
		char target[420], kept[16] = "";

		snprintf(target, sizeof(target), "%s/target", dir);
		REQUIRE(tu_write_file(target, "keep", 4, 0644) == 0);
		REQUIRE(symlink(target, tmp) == 0);
		REQUIRE(cw_prov_open(&p, path, 10, err, sizeof(err)) == 0);
		err[0] = '\0';
		CHECK_EQ_INT(cw_prov_save(&p, err, sizeof(err)), -ELOOP);
		CHECK_CONTAINS(err, tmp);
		CHECK_EQ_INT(tu_read_file(target, kept, sizeof(kept) - 1), 4);
		CHECK_EQ_STR(kept, "keep");
		cw_prov_close(&p);
	}
	tu_rmtree(dir);
}

TEST(prov_save_fixes_mode_of_existing_files)
{
	mode_t old = umask(0);

	fix_modes();
	umask(old);
}

TEST(prov_open_missing_file_is_empty_and_memory_store_saves_nothing)
{
	struct cw_provenance p;
	char dir[256], path[400], err[512];

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/not/there/provenance.json", dir);
	err[0] = '\0';
	REQUIRE(cw_prov_open(&p, path, 10, err, sizeof(err)) == 0);
	CHECK_EQ_STR(err, "");
	CHECK_EQ_INT(p.n, 0);
	CHECK(!p.dirty);
	CHECK(cw_prov_first(&p) == NULL && cw_prov_last(&p) == NULL);
	cw_prov_close(&p);
	CHECK_EQ_INT(access(path, F_OK), -1);

	REQUIRE(cw_prov_open(&p, NULL, 10, err, sizeof(err)) == 0);
	CHECK(p.path == NULL);
	REQUIRE(cw_prov_touch(&p, fp(1), "r", "k", "unknown", "x", 5));
	CHECK_EQ_INT(cw_prov_save(&p, err, sizeof(err)), 0);
	cw_prov_close(&p);

	/* a directory where the file should be is an error, not an empty store */
	snprintf(path, sizeof(path), "%s", dir);
	CHECK(cw_prov_open(&p, path, 10, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, path);
	cw_prov_close(&p);
	tu_rmtree(dir);
}

/* A valid store to break in one place at a time. */
#define ORIGIN                                                                        \
	"{\"workload\":\"w\",\"source\":\"file\",\"detail\":\"/d\",\"first_seen\":1," \
	"\"last_seen\":2,\"count\":3}"
#define USE                                                                               \
	"{\"workload\":\"w\",\"destination\":\"h:443\",\"first_seen\":1,\"last_seen\":2," \
	"\"count\":1}"
#define CRED(fpv, origins, uses)                                                   \
	"{\"fingerprint\":\"" fpv "\",\"rule\":\"r\",\"kind\":\"k\",\"lifetime\":" \
	"\"long-lived\",\"redacted\":\"x\",\"first_seen\":1,\"last_seen\":2,"      \
	"\"origins\":[" origins "],\"uses\":[" uses "]}"
#define DOC(creds) "{\"version\":1,\"credentials\":[" creds "]}"
#define FPA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define FPB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static const char base_doc[] = DOC(CRED(FPA, ORIGIN, USE) "," CRED(FPB, "", ""));

/* s with the first `from` replaced by `to` (a new string). */
static char *subst(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);

	if (!at || !out) {
		free(out);
		return NULL;
	}
	snprintf(out, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
	return out;
}

/* Open text as a store: 0 and the count, or the error with its message. */
static int open_text(const char *dir, const char *text, size_t len, size_t *n, char *err,
		     size_t errlen, char *path, size_t pathlen)
{
	struct cw_provenance p;
	int ret;

	snprintf(path, pathlen, "%s/provenance.json", dir);
	if (tu_write_file(path, text, len, 0600))
		return -EIO;
	err[0] = '\0';
	ret = cw_prov_open(&p, path, 100, err, errlen);
	*n = p.n;
	if (ret && (p.n || cw_prov_first(&p) || p.path))
		cw_test_fail(__FILE__, __LINE__, "a failed open left state behind");
	cw_prov_close(&p);
	return ret;
}

static void expect_bad(const char *dir, const char *text, const char *why, int line)
{
	char err[512], path[400];
	size_t n;
	int ret = open_text(dir, text, strlen(text), &n, err, sizeof(err), path, sizeof(path));

	if (ret != -EINVAL) {
		cw_test_fail(__FILE__, line, "open gave %d, not -EINVAL, for: %s", ret, text);
		return;
	}
	/* where: "(at byte N)" for what jansson cannot parse, "(at credentials[1].uses[0])" for
	 * what the schema refuses */
	if (strncmp(err, path, strlen(path)) || !strstr(err, ": ") || !strstr(err, "(at "))
		cw_test_fail(__FILE__, line, "message \"%s\" does not name %s and where", err,
			     path);
	if (!strstr(err, why))
		cw_test_fail(__FILE__, line, "\"%s\" not in \"%s\"", why, err);
}

static void expect_bad_subst(const char *dir, const char *from, const char *to, const char *why,
			     int line)
{
	char *text = subst(base_doc, from, to);

	if (!text) {
		cw_test_fail(__FILE__, line, "test bug: '%s' not in the base document", from);
		return;
	}
	expect_bad(dir, text, why, line);
	free(text);
}

#define BAD(text, why) expect_bad(dir, text, why, __LINE__)
#define BAD_SUBST(from, to, why) expect_bad_subst(dir, from, to, why, __LINE__)

static char *repeat_doc(const char *origin_fmt, const char *use_fmt, int norigins, int nuses)
{
	static char buf[16384];
	size_t o = 0;

	o += (size_t)snprintf(buf + o, sizeof(buf) - o,
			      "{\"version\":1,\"credentials\":[{\"fingerprint\":\"" FPA "\","
			      "\"rule\":\"r\",\"kind\":\"k\",\"lifetime\":\"long-lived\","
			      "\"redacted\":\"x\",\"first_seen\":1,\"last_seen\":2,\"origins\":[");
	for (int i = 0; i < norigins; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, origin_fmt, i ? "," : "", i);
	o += (size_t)snprintf(buf + o, sizeof(buf) - o, "],\"uses\":[");
	for (int i = 0; i < nuses; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, use_fmt, i ? "," : "", i);
	snprintf(buf + o, sizeof(buf) - o, "]}]}");
	return buf;
}

#define ORIGIN_FMT                                                                      \
	"%s{\"workload\":\"w\",\"source\":\"env\",\"detail\":\"V%d\",\"first_seen\":1," \
	"\"last_seen\":2,\"count\":1}"
#define USE_FMT                                                               \
	"%s{\"workload\":\"w\",\"destination\":\"h%d:443\",\"first_seen\":1," \
	"\"last_seen\":2,\"count\":1}"

TEST(prov_open_rejects_truncated_and_misshapen_documents)
{
	char dir[256], err[512], path[400];
	size_t n;
	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	/* the base itself is fine */
	CHECK_EQ_INT(open_text(dir, base_doc, strlen(base_doc), &n, err, sizeof(err), path,
			       sizeof(path)),
		     0);
	CHECK_EQ_INT(n, 2);

	/* truncated anywhere */
	for (size_t len = 0; len < strlen(base_doc); len++) {
		int ret = open_text(dir, base_doc, len, &n, err, sizeof(err), path, sizeof(path));

		if (ret != -EINVAL || !strstr(err, path) || !strstr(err, "(at byte "))
			cw_test_fail(__FILE__, __LINE__, "prefix of %zu bytes: %d \"%s\"", len, ret,
				     err);
	}
	BAD("", "empty file");
	BAD("  \n", "empty file");
	BAD(DOC(CRED(FPA, ORIGIN, USE)) "x", "trailing data");
	BAD(DOC(CRED(FPA, ORIGIN, USE)) "{}", "trailing data");
	BAD("[]", "expected an object");
	BAD("{\"version\":1}", "no \"credentials\"");
	BAD("{\"credentials\":[]}", "no \"version\"");

	/* wrong version, and where it is */
	BAD_SUBST("\"version\":1", "\"version\":2", "unsupported version 2");
	{
		char *t = subst(base_doc, "\"version\":1", "\"version\":2");

		REQUIRE(t);
		open_text(dir, t, strlen(t), &n, err, sizeof(err), path, sizeof(path));
		CHECK_CONTAINS(err, "(at version)");
		free(t);
	}
	BAD_SUBST("\"version\":1", "\"version\":0", "unsupported version 0");

	tu_rmtree(dir);
}

TEST(prov_open_rejects_wrong_types_members_and_syntax)
{
	char dir[256];
	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	/* wrong types */
	BAD_SUBST("\"version\":1", "\"version\":\"1\"", "expected an integer");
	BAD_SUBST("\"version\":1", "\"version\":1.0", "expected an integer");
	BAD("{\"version\":1,\"credentials\":{}}", "expected '[' (credentials)");
	BAD_SUBST("\"rule\":\"r\"", "\"rule\":[\"r\"]", "rule: expected a string");
	BAD_SUBST("\"rule\":\"r\"", "\"rule\":null", "rule: expected a string");
	BAD_SUBST("\"first_seen\":1,\"last_seen\":2,\"origins\"",
		  "\"first_seen\":\"1\",\"last_seen\":2,\"origins\"", "first_seen: expected");
	BAD_SUBST("\"origins\":[", "\"origins\":[1,", "origin: expected an object");
	BAD_SUBST("\"origins\":[]", "\"origins\":{}", "expected '[' (origins)");
	BAD_SUBST("\"uses\":[]", "\"uses\":\"\"", "expected '[' (uses)");
	BAD_SUBST("\"count\":3", "\"count\":-3", "negative");
	BAD_SUBST("\"count\":3", "\"count\":3.5", "expected an integer");
	BAD_SUBST("\"count\":3", "\"count\":3e2", "expected an integer");
	BAD_SUBST("\"count\":3", "\"count\":03", "invalid token near '0'"); /* a leading zero */
	BAD_SUBST("\"count\":3", "\"count\":18446744073709551616", "out of range");
	BAD_SUBST("\"count\":3", "\"count\":9223372036854775808", "out of range");
	BAD_SUBST("\"count\":3", "\"count\":true", "expected an integer");
	BAD_SUBST("\"first_seen\":1", "\"first_seen\":9223372036854775808", "out of range");
	BAD_SUBST("\"credentials\":[{", "\"credentials\":[\"x\",{", "credential: expected an");

	/* unknown source */
	BAD_SUBST("\"source\":\"file\"", "\"source\":\"disk\"", "source is not");
	BAD_SUBST("\"source\":\"file\"", "\"source\":\"FILE\"", "source is not");
	BAD_SUBST("\"source\":\"file\"", "\"source\":\"\"", "source is not");
	BAD_SUBST("\"source\":\"file\"", "\"source\":\"filesystem-path\"", "source is not");
	BAD_SUBST("\"source\":\"file\"", "\"source\":1", "source");

	/* members: unknown (nothing else, such as a plaintext, gets in), missing, repeated */
	BAD_SUBST("\"rule\":\"r\"", "\"rule\":\"r\",\"secret\":\"x\"", "unknown member \"secret\"");
	BAD_SUBST("\"version\":1", "\"version\":1,\"extra\":0", "unknown member \"extra\"");
	BAD_SUBST("\"count\":3", "\"count\":3,\"x\":1", "unknown member \"x\" in origin");
	BAD_SUBST("\"rule\":\"r\",", "", "credential without \"rule\"");
	BAD_SUBST("\"count\":3", "\"count\":3,\"count\":3",
		  "duplicate member: duplicate object key near '\"count\"'");
	BAD_SUBST(",\"source\":\"file\"", "", "origin without \"source\"");
	BAD_SUBST(",\"destination\":\"h:443\"", "", "use without \"destination\"");
	BAD_SUBST("\"version\":1", "\"version\":1,\"version\":1", "duplicate member");

	/* syntax */
	/* (jansson's words for what it cannot parse) */
	BAD_SUBST("\"count\":3}", "\"count\":3,}", "string or '}' expected near '}'");
	BAD_SUBST("\"count\":3}]", "\"count\":3},]", "unexpected token near ']'"); /* trailing , */
	BAD_SUBST("\"rule\":\"r\"", "\"rule\" \"r\"", "':' expected");
	BAD_SUBST("\"rule\":\"r\",", "\"rule\":\"r\" ", "'}' expected near '\"kind\"'");
	BAD_SUBST("{\"workload\"", "{workload", "string or '}' expected near 'workload'");

	tu_rmtree(dir);
}

TEST(prov_open_rejects_bad_strings)
{
	char dir[256];
	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	/* strings: escapes, surrogates (jansson: "invalid Unicode"), NUL, control bytes, bad UTF-8
	 */
	BAD_SUBST("\"detail\":\"/d\"", "\"detail\":\"\\ud800\"", "invalid Unicode");
	BAD_SUBST("\"detail\":\"/d\"", "\"detail\":\"\\ud800x\"", "invalid Unicode");
	BAD_SUBST("\"detail\":\"/d\"", "\"detail\":\"\\ud800\\u0041\"", "invalid Unicode");
	BAD_SUBST("\"detail\":\"/d\"", "\"detail\":\"\\udc00\\ud800\"", "invalid Unicode");
	BAD_SUBST("\"detail\":\"/d\"", "\"detail\":\"a\\uDC00\"", "invalid Unicode");
	BAD_SUBST("\"detail\":\"/d\"", "\"detail\":\"\\u0000\"", "\\u0000");
	BAD_SUBST("\"detail\":\"/d\"", "\"detail\":\"\\x41\"", "invalid escape");
	BAD_SUBST("\"detail\":\"/d\"", "\"detail\":\"\\u12g4\"", "invalid escape");
	BAD_SUBST("\"detail\":\"/d\"", "\"detail\":\"\\u12\"", "invalid escape");
	BAD_SUBST("\"detail\":\"/d\"", "\"detail\":\"a\tb\"", "control character");
	BAD_SUBST("\"detail\":\"/d\"", "\"detail\":\"\xc3\x28\"", "invalid UTF-8");
	BAD_SUBST("\"detail\":\"/d\"", "\"detail\":\"\xed\xa0\x80\"", "invalid UTF-8");
	BAD_SUBST("\"detail\":\"/d\"", "\"detail\":\"\xc0\xaf\"", "invalid UTF-8");
	BAD_SUBST("\"detail\":\"/d\"", "\"detail\":\"\xff\"", "invalid UTF-8");

	tu_rmtree(dir);
}

TEST(prov_open_rejects_duplicates_and_more_than_it_keeps)
{
	char dir[256], err[512], path[400];
	size_t n;
	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	/* duplicates */
	BAD(DOC(CRED(FPA, "", "") "," CRED(FPA, "", "")), "duplicate fingerprint");
	BAD(DOC(CRED("", "", "")), "empty fingerprint");
	BAD(DOC(CRED(FPA, ORIGIN "," ORIGIN, "")), "duplicate origin");
	BAD(DOC(CRED(FPA, "", USE "," USE)), "duplicate use");

	/* more than the store keeps */
#define XSTR(x) #x
#define STR(x) XSTR(x)
	CHECK_EQ_INT(open_text(dir,
			       repeat_doc(ORIGIN_FMT, USE_FMT, CW_PROV_ORIGINS_MAX,
					  CW_PROV_WORKLOADS_MAX),
			       strlen(repeat_doc(ORIGIN_FMT, USE_FMT, CW_PROV_ORIGINS_MAX,
						 CW_PROV_WORKLOADS_MAX)),
			       &n, err, sizeof(err), path, sizeof(path)),
		     0);
	BAD(repeat_doc(ORIGIN_FMT, USE_FMT, CW_PROV_ORIGINS_MAX + 1, 0),
	    "more than " STR(CW_PROV_ORIGINS_MAX) " origins");
	BAD(repeat_doc(ORIGIN_FMT, USE_FMT, 0, CW_PROV_WORKLOADS_MAX + 1),
	    "more than " STR(CW_PROV_WORKLOADS_MAX) " uses");

	tu_rmtree(dir);
}

/* A document with one use by workload w, in buf. */
static char *use_by(char *buf, size_t len, const char *w)
{
	snprintf(buf, len,
		 DOC(CRED(FPA, "",
			  "{\"workload\":\"%s\",\"destination\":\"\",\"first_seen\":1,"
			  "\"last_seen\":2,\"count\":1}")),
		 w);
	return buf;
}

TEST(prov_open_rejects_strings_too_long)
{
	char dir[256], err[512], path[400], big[1200], w[CW_PROV_STR + 1], esc[800];
	size_t n, o = 0;
	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	/* over-long strings are errors, not cut; exactly the room is fine */
	BAD(DOC(CRED(FPA "a", "", "")), "fingerprint: string longer than 64 bytes");
	memset(w, 'w', sizeof(w) - 1);
	w[CW_PROV_STR - 1] = '\0'; /* 319 */
	use_by(big, sizeof(big), w);
	CHECK_EQ_INT(open_text(dir, big, strlen(big), &n, err, sizeof(err), path, sizeof(path)), 0);
	w[CW_PROV_STR - 1] = 'w'; /* 320 */
	w[CW_PROV_STR] = '\0';
	BAD(use_by(big, sizeof(big), w), "workload: string longer than 319 bytes");
	/* 318 + a 2-byte character: one byte too many */
	memcpy(w + CW_PROV_STR - 2, "\xc3\xa9", 3);
	BAD(use_by(big, sizeof(big), w), "longer than 319 bytes");
	/* short in the file, long once the escapes are decoded: 107 x 3 bytes = 321 */
	for (int i = 0; i < 107; i++)
		o += (size_t)snprintf(esc + o, sizeof(esc) - o, "\\u20ac");
	BAD(use_by(big, sizeof(big), esc), "longer than 319 bytes");
	BAD_SUBST("\"lifetime\":\"long-lived\"", "\"lifetime\":\"long-lived-and-more\"",
		  "lifetime: string longer than 15 bytes");
	tu_rmtree(dir);
}

TEST(prov_open_decodes_escapes_and_whitespace)
{
	static const char doc[] =
		" {\n\t\"credentials\" : [ {\"fingerprint\":\"" FPA "\",\r\n"
		"  \"rule\":\"q\\\"b\\\\s\\/\", \"kind\":\"\\b\\f\\n\\r\\t\",\n"
		"  \"lifetime\":\"\\u0041\\u00e9\",\n"
		"  \"redacted\":\"\\ud83d\\ude00\\u20AC\xc3\xa9\",\n"
		"  \"first_seen\":-5, \"last_seen\":0,\n"
		"  \"origins\":[ {\"workload\":\"w\",\"source\":\"env\",\"detail\":\"\",\n"
		"     \"first_seen\":1,\"last_seen\":2,\"count\":9223372036854775807} ],\n"
		"  \"uses\":[ ], \"uses_dropped\":4 } ],\n"
		" \"version\" : 1 } \n";
	char dir[256], path[400], err[512];
	struct cw_provenance p;
	const struct cw_prov_cred *c;

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/p.json", dir);
	REQUIRE(tu_write_file(path, doc, sizeof(doc) - 1, 0600) == 0);
	err[0] = '\0';
	REQUIRE(cw_prov_open(&p, path, 10, err, sizeof(err)) == 0);
	CHECK_EQ_STR(err, "");
	c = cw_prov_find(&p, FPA);
	REQUIRE(c);
	CHECK_EQ_STR(c->rule, "q\"b\\s/");
	CHECK_EQ_STR(c->kind, "\b\f\n\r\t");
	CHECK_EQ_STR(c->lifetime, "A\xc3\xa9");
	CHECK_EQ_STR(c->redacted, "\xf0\x9f\x98\x80\xe2\x82\xac\xc3\xa9");
	CHECK_EQ_INT(c->first_seen, -5);
	CHECK_EQ_INT(c->last_seen, 0);
	CHECK_EQ_INT(c->norigins, 1);
	CHECK_EQ_INT(c->origins[0].source, CW_PROV_ENV);
	CHECK(c->origins[0].count == INT64_MAX); /* the largest count: they stop there */
	CHECK_EQ_INT(c->nuses, 0);
	CHECK_EQ_INT(c->uses_dropped, 4);
	CHECK_EQ_INT(c->origins_dropped, 0);
	cw_prov_close(&p);
	tu_rmtree(dir);
}

TEST(prov_open_with_a_smaller_max_keeps_the_most_recent)
{
	struct cw_provenance p;
	char dir[256], path[400], err[512], want[128];

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/p.json", dir);
	REQUIRE(cw_prov_open(&p, path, 10, err, sizeof(err)) == 0);
	for (int i = 1; i <= 5; i++)
		REQUIRE(cw_prov_touch(&p, fp(i), "r", "k", "unknown", "x", 10 * i));
	cw_prov_touch(&p, fp(2), NULL, NULL, NULL, NULL, 60);
	REQUIRE(cw_prov_save(&p, err, sizeof(err)) == 0);
	cw_prov_close(&p);

	REQUIRE(cw_prov_open(&p, path, 3, err, sizeof(err)) == 0);
	CHECK_EQ_INT(p.n, 3);
	CHECK_EQ_INT(p.evictions, 2);
	CHECK(p.dirty); /* the file holds more than the store now */
	snprintf(want, sizeof(want), "%s,%s,%s", short4(2), short4(5), short4(4));
	CHECK_ORDER(&p, want);
	cw_prov_close(&p);
	tu_rmtree(dir);
}

TEST(prov_counts_stop_where_the_file_can_hold_them)
{
	struct cw_provenance p;
	struct cw_prov_cred *c;
	char dir[256], path[400], err[512];

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/p.json", dir);
	REQUIRE(cw_prov_open(&p, path, 10, err, sizeof(err)) == 0);
	c = cw_prov_touch(&p, fp(1), "r", "k", "unknown", "x", 1);
	REQUIRE(c);
	cw_prov_add_origin(&p, c, "w", CW_PROV_ENV, "T", 1);
	cw_prov_add_use(&p, c, "w", "h:443", 1);
	c->origins[0].count = INT64_MAX - 1;
	c->uses[0].count = INT64_MAX;
	cw_prov_add_origin(&p, c, "w", CW_PROV_ENV, "T", 2);
	cw_prov_add_origin(&p, c, "w", CW_PROV_ENV, "T", 3);
	cw_prov_add_use(&p, c, "w", "h:443", 2);
	CHECK(c->origins[0].count == INT64_MAX);
	CHECK(c->uses[0].count == INT64_MAX);
	REQUIRE(cw_prov_save(&p, err, sizeof(err)) == 0);
	cw_prov_close(&p);
	/* what was saved reads back */
	REQUIRE(cw_prov_open(&p, path, 10, err, sizeof(err)) == 0);
	c = cw_prov_find(&p, fp(1));
	REQUIRE(c);
	CHECK(c->origins[0].count == INT64_MAX);
	CHECK(c->uses[0].count == INT64_MAX);
	cw_prov_close(&p);
	tu_rmtree(dir);
}

/* Each origin's detail, joined by ',': what the array holds, in order. */
static void details(const struct cw_prov_cred *c, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < c->norigins && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? "," : "", c->origins[i].detail);
}

TEST(prov_lists_grow_past_their_first_allocation_to_their_caps)
{
	struct cw_provenance p;
	struct cw_prov_cred *c;
	char err[256], d[32], got[512], want[512] = "", dst[32];

	REQUIRE(cw_prov_open(&p, NULL, 10, err, sizeof(err)) == 0);
	c = cw_prov_touch(&p, fp(1), "r", "k", "long-lived", "x", 100);
	REQUIRE(c);
	CHECK(c->origins == NULL && c->uses == NULL); /* nothing held until there is something */
	/* one at a time: every element already there survives each growth (1, 2, 4, 8) */
	for (int i = 0; i < CW_PROV_ORIGINS_MAX; i++) {
		snprintf(d, sizeof(d), "/o%d", i);
		CHECK(cw_prov_add_origin(&p, c, d, CW_PROV_FILE, d, 100 + i));
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s", i ? "," : "", d);
		details(c, got, sizeof(got));
		CHECK_EQ_STR(got, want);
		CHECK_EQ_INT(c->norigins, i + 1);
		CHECK_EQ_INT(cw_prov_loaders(c), i + 1);
		/* and each one still dedups and counts in place */
		CHECK(!cw_prov_add_origin(&p, c, "/o0", CW_PROV_FILE, "/o0", 100));
		CHECK_EQ_INT(c->origins[0].count, i + 2);
	}
	CHECK_EQ_INT(c->origins_dropped, 0);
	/* past the cap: the first stays, the least recently seen other makes room, counted */
	CHECK(cw_prov_add_origin(&p, c, "/late", CW_PROV_ENV, "LATE", 500));
	CHECK_EQ_INT(c->norigins, CW_PROV_ORIGINS_MAX);
	CHECK_EQ_INT(c->origins_dropped, 1);
	details(c, got, sizeof(got));
	CHECK_EQ_STR(got, "/o0,/o2,/o3,/o4,/o5,/o6,/o7,LATE");

	for (int i = 0; i < CW_PROV_WORKLOADS_MAX; i++) {
		snprintf(dst, sizeof(dst), "10.0.0.%d:443", i);
		cw_prov_add_use(&p, c, "w", dst, 200 + i);
		CHECK_EQ_INT(c->nuses, i + 1);
		CHECK_EQ_STR(c->uses[0].destination, "10.0.0.0:443");
		CHECK_EQ_STR(c->uses[i].destination, dst);
	}
	/* past the cap: the oldest uses stay, each new one counted */
	for (int i = 0; i < 5; i++) {
		snprintf(dst, sizeof(dst), "10.9.0.%d:443", i);
		cw_prov_add_use(&p, c, "w", dst, 300 + i);
	}
	CHECK_EQ_INT(c->nuses, CW_PROV_WORKLOADS_MAX);
	CHECK_EQ_INT(c->uses_dropped, 5);
	CHECK_EQ_STR(c->uses[CW_PROV_WORKLOADS_MAX - 1].destination, "10.0.0.7:443");
	cw_prov_close(&p);
}

/* A store that grows every list past its first allocations, to its cap and beyond, and
 * evicts one credential that has lists. */
static void build_lists(struct cw_provenance *p)
{
	struct cw_prov_cred *c;
	char w[64], d[64];

	/* evicted below: it has lists to free */
	c = cw_prov_touch(p, fp(20), "jwt", "JSON Web Token", "short-lived", "eyJ…", 1700000000);
	cw_prov_add_origin(p, c, "unit:gone.service", CW_PROV_ENV, "JWT", 1700000000);
	cw_prov_add_use(p, c, "unit:gone.service", "auth.example:443", 1700000001);
	/* one origin, no use */
	c = cw_prov_touch(p, fp(21), "aws-access-key", "AWS access key", "long-lived", "AKIA…QRST",
			  1700000100);
	cw_prov_add_origin(p, c, "exe:/usr/bin/python3 uid:1000", CW_PROV_ARGV, "", 1700000100);
	/* three origins and five uses: each list grown more than once, not full */
	c = cw_prov_touch(p, fp(22), "github-pat", "GitHub token", "long-lived", "ghp_…Zx9Q",
			  1700000200);
	for (int i = 0; i < 3; i++) {
		snprintf(d, sizeof(d), "/srv/app/%d/.env", i);
		cw_prov_add_origin_as(p, c, "k8s:ci/runner", CW_PROV_FILE, d, 1700000200 + i,
				      i != 2);
	}
	cw_prov_add_origin(p, c, "k8s:ci/runner", CW_PROV_FILE, "/srv/app/0/.env", 1700000210);
	for (int i = 0; i < 5; i++) {
		snprintf(d, sizeof(d), "10.1.0.%d:443", i);
		cw_prov_add_use(p, c, "k8s:ci/runner", d, 1700000220 + i);
		cw_prov_add_use(p, c, "k8s:ci/runner", d, 1700000230 + i);
	}
	/* past both caps: origins replaced (the first kept), uses refused, both counted */
	c = cw_prov_touch(p, fp(23), "slack-bot", "Slack bot token", "long-lived", "xoxb-…9f",
			  1700000300);
	for (int i = 0; i < CW_PROV_ORIGINS_MAX + 3; i++) {
		snprintf(w, sizeof(w), "k8s:prod/api-%d \"x\"", i);
		snprintf(d, sizeof(d), "/etc/app/%d.env\t\\", i);
		cw_prov_add_origin_as(p, c, w, (enum cw_prov_source)(CW_PROV_FILE + i % 3), d,
				      1700000300 + (i * 7) % 11, i % 4 != 3);
	}
	for (int i = 0; i < CW_PROV_WORKLOADS_MAX + 2; i++) {
		snprintf(w, sizeof(w), "k8s:prod/api-%d \"x\"", i % 3);
		snprintf(d, sizeof(d), "slack.com:%d", 440 + i);
		cw_prov_add_use(p, c, w, d, 1700000320 + i);
	}
	/* nothing at all */
	cw_prov_touch(p, fp(24), "jwt", "JSON Web Token", "short-lived", "eyJ…", 1700000400);
	cw_prov_touch(p, fp(21), NULL, NULL, NULL, NULL, 1700000500);
}

/*
 * tests/fixtures/provenance/lists.json is what cw_prov_save wrote for build_lists when the
 * lists were arrays inline in each credential (commit f177064): the file must not change with
 * how the store holds them, and reading it back and saving again gives the same bytes.
 */
TEST(prov_file_is_the_same_bytes_as_before_lists_were_allocated)
{
	static char want[8192], got[8192];
	struct cw_provenance p;
	char dir[256], path[400], fixture[512], err[512];
	ssize_t nwant, ngot;

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/provenance.json", dir);
	nwant = tu_read_file(tu_fixture_path(fixture, sizeof(fixture), "provenance/lists.json"),
			     want, sizeof(want));
	REQUIRE(nwant > 0 && nwant < (ssize_t)sizeof(want));
	REQUIRE(cw_prov_open(&p, path, 4, err, sizeof(err)) == 0);
	build_lists(&p);
	CHECK_EQ_INT(p.evictions, 1);
	CHECK(cw_prov_find(&p, fp(20)) == NULL);
	REQUIRE(cw_prov_save(&p, err, sizeof(err)) == 0);
	cw_prov_close(&p);
	ngot = tu_read_file(path, got, sizeof(got));
	CHECK_EQ_INT(ngot, nwant);
	CHECK(ngot == nwant && !memcmp(got, want, (size_t)nwant));

	/* the fixture, loaded and saved again */
	REQUIRE(tu_write_file(path, want, (size_t)nwant, 0600) == 0);
	REQUIRE(cw_prov_open(&p, path, 4, err, sizeof(err)) == 0);
	CHECK_EQ_INT(p.n, 4);
	CHECK(!p.dirty);
	p.dirty = true;
	REQUIRE(cw_prov_save(&p, err, sizeof(err)) == 0);
	ngot = tu_read_file(path, got, sizeof(got));
	CHECK(ngot == nwant && !memcmp(got, want, (size_t)nwant));
	/* what was loaded at its size grows like the rest */
	{
		struct cw_prov_cred *c = cw_prov_find(&p, fp(22));

		REQUIRE(c && c->norigins == 3 && c->nuses == 5);
		for (int i = 0; i < 6; i++)
			cw_prov_add_use(&p, c, "k8s:ci/runner", fp(40 + i), 1700000600);
		CHECK_EQ_INT(c->nuses, CW_PROV_WORKLOADS_MAX);
		CHECK_EQ_INT(c->uses_dropped, 3);
		CHECK_EQ_STR(c->uses[4].destination, "10.1.0.4:443");
		CHECK_EQ_STR(c->uses[7].destination, fp(42));
	}
	cw_prov_close(&p);
	tu_rmtree(dir);
}

/*
 * Credentials with lists come and go through eviction many times over; every list is freed
 * with its credential (this test is where ASan's and valgrind's leak checks look).
 */
TEST(prov_eviction_and_close_free_the_lists)
{
	struct cw_provenance p;
	struct cw_prov_cred *c;
	char err[256], w[32];

	REQUIRE(cw_prov_open(&p, NULL, 3, err, sizeof(err)) == 0);
	for (int i = 0; i < 200; i++) {
		c = cw_prov_touch(&p, fp(i), "r", "k", "unknown", "x", i);
		REQUIRE(c);
		for (int k = 0; k <= i % (CW_PROV_ORIGINS_MAX + 2); k++) {
			snprintf(w, sizeof(w), "w%d", k);
			cw_prov_add_origin(&p, c, w, CW_PROV_ENV, "T", i);
			cw_prov_add_use(&p, c, w, "h:443", i);
		}
	}
	CHECK_EQ_INT(p.n, 3);
	CHECK_EQ_INT(p.evictions, 197);
	/* the survivors are whole: 199 % 10 + 1 = 10 workloads, 8 kept */
	c = cw_prov_find(&p, fp(199));
	REQUIRE(c);
	CHECK_EQ_INT(c->norigins, CW_PROV_ORIGINS_MAX);
	CHECK_EQ_INT(c->origins_dropped, 2);
	CHECK_EQ_INT(c->nuses, CW_PROV_WORKLOADS_MAX);
	CHECK_EQ_INT(c->uses_dropped, 2);
	CHECK_EQ_STR(c->origins[0].workload, "w0");
	CHECK_EQ_STR(c->uses[7].workload, "w7");
	cw_prov_close(&p);
}

/* Under AddressSanitizer malloc is not glibc's: no mallinfo2, and running out aborts. */
#if defined(__SANITIZE_ADDRESS__)
#define PROV_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PROV_ASAN 1
#endif
#endif
#ifndef PROV_ASAN
#define PROV_ASAN 0
#endif

/* Is malloc glibc's (not valgrind's or a sanitizer's)? mallinfo2 sees only glibc's. */
static bool glibc_malloc(void)
{
	struct mallinfo2 before = mallinfo2(), after;
	void *volatile b = malloc(4096);

	after = mallinfo2();
	free(b);
	return after.uordblks > before.uordblks;
}

/*
 * The agent on a node under load holds its store full (4096 credentials), typically with one
 * origin and one use each. With both arrays inline (commit f177064) that was 46.3 MB; held at
 * their size it is about 8 MB. The bound, 2.5 KB a credential, is what we promise.
 */
TEST(prov_memory_for_4096_credentials_with_one_origin_and_one_use)
{
	struct cw_provenance p;
	struct mallinfo2 before, after;
	char err[256], f[65], w[64];
	size_t used;

	if (PROV_ASAN || !glibc_malloc()) {
		printf("     (skipped: malloc is not glibc's, mallinfo2 does not see it)\n");
		return;
	}
	before = mallinfo2();
	REQUIRE(cw_prov_open(&p, NULL, CW_PROV_DEFAULT_MAX, err, sizeof(err)) == 0);
	for (int i = 0; i < CW_PROV_DEFAULT_MAX; i++) {
		struct cw_prov_cred *c;

		snprintf(f, sizeof(f), "%064x", i);
		snprintf(w, sizeof(w), "k8s:prod/api-%d", i);
		c = cw_prov_touch(&p, f, "github-pat", "GitHub token", "long-lived", "ghp_…Zx9Q",
				  1700000000 + i);
		REQUIRE(c);
		cw_prov_add_origin(&p, c, w, CW_PROV_FILE, "/etc/app/.env", 1700000000 + i);
		cw_prov_add_use(&p, c, w, "api.github.com:443", 1700000000 + i);
	}
	after = mallinfo2();
	CHECK_EQ_INT(p.n, CW_PROV_DEFAULT_MAX);
	used = after.uordblks - before.uordblks;
	printf("     %d credentials, one origin and one use each: %zu bytes malloc'd\n",
	       CW_PROV_DEFAULT_MAX, used);
	CHECK(used > (size_t)CW_PROV_DEFAULT_MAX * sizeof(struct cw_prov_origin));
	CHECK(used < (size_t)CW_PROV_DEFAULT_MAX * 2560);
	cw_prov_close(&p);
	/* closing gives it back (but for what glibc's per-thread cache keeps, counted as in use) */
	after = mallinfo2();
	if (after.uordblks > before.uordblks + used / 64)
		cw_test_fail(__FILE__, __LINE__, "%zu bytes still held after close",
			     after.uordblks - before.uordblks);
}

/* malloc and realloc fail from here on: every free chunk of every size taken, no more heap. */
struct hoard {
	void *head;
	size_t bytes;
};

static bool hoard_all(struct hoard *h)
{
	struct rlimit none;

	getrlimit(RLIMIT_AS, &none);
	none.rlim_cur = 0;
	if (setrlimit(RLIMIT_AS, &none))
		return false;
	for (size_t size = 8192; size >= 16; size -= 16) {
		void **b;

		while ((b = malloc(size))) {
			*b = h->head;
			h->head = b;
			h->bytes += size;
			if (h->bytes > (64u << 20)) /* this malloc ignores the limit */
				return false;
		}
	}
	return true;
}

static void hoard_free(struct hoard *h)
{
	struct rlimit all;

	while (h->head) {
		void *next = *(void **)h->head;

		free(h->head);
		h->head = next;
	}
	getrlimit(RLIMIT_AS, &all);
	all.rlim_cur = all.rlim_max;
	setrlimit(RLIMIT_AS, &all);
}

/* In a child: 0, 77 when the heap could not be exhausted, else the step that went wrong. */
static int out_of_memory_child(void)
{
	struct hoard h = { 0 };
	struct cw_provenance p;
	struct cw_prov_cred *c;
	char err[64];

	if (cw_prov_open(&p, NULL, 10, err, sizeof(err)))
		return 1;
	c = cw_prov_touch(&p, fp(1), "r", "k", "unknown", "x", 1);
	if (!c)
		return 2;
	cw_prov_add_origin(&p, c, "w0", CW_PROV_ENV, "T", 1);
	cw_prov_add_use(&p, c, "w0", "h:443", 1);
	if (!hoard_all(&h))
		return 77;
	/* a new origin cannot be kept: still news, counted as dropped, the first one intact */
	if (!cw_prov_add_origin(&p, c, "w1", CW_PROV_ENV, "T", 2))
		return 3;
	if (c->norigins != 1 || c->origins_dropped != 1 || strcmp(c->origins[0].workload, "w0"))
		return 4;
	cw_prov_add_use(&p, c, "w1", "h:443", 2);
	if (c->nuses != 1 || c->uses_dropped != 1 || strcmp(c->uses[0].workload, "w0"))
		return 5;
	/* what is kept still counts: no allocation */
	if (cw_prov_add_origin(&p, c, "w0", CW_PROV_ENV, "T", 3) || c->origins[0].count != 2)
		return 6;
	cw_prov_add_use(&p, c, "w0", "h:443", 3);
	if (c->uses[0].count != 2)
		return 7;
	/* no room for another credential: NULL, the store as it was */
	if (cw_prov_touch(&p, fp(2), "r", "k", "unknown", "x", 4) || p.n != 1 ||
	    cw_prov_first(&p) != c || cw_prov_find(&p, fp(2)))
		return 8;
	hoard_free(&h);
	/* memory back: the lists grow again */
	cw_prov_add_origin(&p, c, "w1", CW_PROV_ENV, "T", 5);
	cw_prov_add_use(&p, c, "w1", "h:443", 5);
	if (c->norigins != 2 || c->nuses != 2 || c->origins_dropped != 1 || c->uses_dropped != 1 ||
	    strcmp(c->origins[0].workload, "w0") || strcmp(c->uses[1].workload, "w1"))
		return 9;
	cw_prov_close(&p);
	return 0;
}

TEST(prov_out_of_memory_drops_and_counts_instead_of_failing)
{
	int status = 0;
	pid_t pid;

	if (PROV_ASAN || !glibc_malloc()) {
		/* ASan aborts when malloc cannot succeed, valgrind when its own cannot */
		printf("     (skipped: malloc is not glibc's)\n");
		return;
	}
	fflush(NULL);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0)
		_exit(out_of_memory_child());
	REQUIRE(waitpid(pid, &status, 0) == pid);
	REQUIRE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		printf("     (skipped: this malloc does not run out under RLIMIT_AS)\n");
		return;
	}
	CHECK_EQ_INT(WEXITSTATUS(status), 0);
}

/* `run --state provenance.json`: a name with no directory is saved in the current one. */
TEST(prov_saves_a_path_with_no_directory)
{
	struct cw_provenance p;
	char dir[256], cwd[4096], err[512] = "";
	int ret;

	REQUIRE(getcwd(cwd, sizeof(cwd)));
	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	REQUIRE(chdir(dir) == 0);
	ret = cw_prov_open(&p, "provenance.json", 10, err, sizeof(err));
	if (!ret) {
		cw_prov_touch(&p, fp(1), "r", "k", "unknown", "x", 1);
		ret = cw_prov_save(&p, err, sizeof(err));
		cw_prov_close(&p);
	}
	if (!ret)
		ret = cw_prov_open(&p, "provenance.json", 10, err, sizeof(err));
	CHECK_EQ_INT(ret, 0);
	CHECK_EQ_STR(err, "");
	CHECK(!ret && p.n == 1 && cw_prov_find(&p, fp(1)));
	if (!ret)
		cw_prov_close(&p);
	CHECK_EQ_INT(chdir(cwd), 0);
	tu_rmtree(dir);
}

/* "not_owner" is written as 1; another count (an edited file) is read as 1, so the store saves
 * what it loaded (found by fuzz_provenance: regress/provenance/not-owner-two). */
TEST(prov_open_reads_not_owner_as_a_flag)
{
	static const char doc[] =
		DOC(CRED(FPA,
			 "{\"workload\":\"w\",\"source\":\"env\",\"detail\":\"A\",\"first_seen\":1,"
			 "\"last_seen\":2,\"count\":1,\"not_owner\":2},"
			 "{\"workload\":\"w\",\"source\":\"env\",\"detail\":\"B\",\"first_seen\":1,"
			 "\"last_seen\":2,\"count\":1,\"not_owner\":0}",
			 ""));
	char dir[256], path[400], err[512], text[2048];
	struct cw_provenance p;
	const struct cw_prov_cred *c;
	ssize_t n;

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/p.json", dir);
	REQUIRE(tu_write_file(path, doc, sizeof(doc) - 1, 0600) == 0);
	REQUIRE(cw_prov_open(&p, path, 10, err, sizeof(err)) == 0);
	c = cw_prov_find(&p, FPA);
	REQUIRE(c && c->norigins == 2);
	CHECK_EQ_INT(c->origins[0].not_owner, 1);
	CHECK_EQ_INT(c->origins[1].not_owner, 0);
	REQUIRE(cw_prov_save(&p, err, sizeof(err)) == 0);
	cw_prov_close(&p);
	n = tu_read_file(path, text, sizeof(text) - 1);
	REQUIRE(n > 0);
	text[n] = '\0';
	CHECK_CONTAINS(text, "\"count\":1,\"not_owner\":1}");
	CHECK(!strstr(text, "\"not_owner\":0") && !strstr(text, "\"not_owner\":2"));
	tu_rmtree(dir);
}
