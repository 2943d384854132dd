// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/inventory.h"
#include "jsoncheck.h"
#include "judge/provenance.h"
#include "test.h"
#include "testutil.h"

#define T0 1700000000LL /* 2023-11-14T22:13:20Z */
#define DAY 86400LL

static const char fp_a[] = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
static const char fp_b[] = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
static const char fp_c[] = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";
static const char odd_wl[] = "k8s:ns/pod \"q\" back\\slash é";

/*
 * Three credentials: A, an old GitHub token loaded by two workloads and sent by one;
 * B, the most recently created but last seen earlier than A; C, a bare one with a hostile
 * workload name.
 */
static void build(struct cw_provenance *p)
{
	struct cw_prov_cred *c;

	c = cw_prov_touch(p, fp_a, "github-pat", "GitHub personal access token", "long-lived",
			  "ghp_…Zx9Q", T0);
	cw_prov_add_origin(p, c, "k8s:ci/runner", CW_PROV_FILE, "/app/.env", T0);
	cw_prov_add_origin(p, c, "k8s:ci/runner", CW_PROV_ENV, "GITHUB_TOKEN", T0 + 1);
	cw_prov_add_origin(p, c, odd_wl, CW_PROV_FILE, "/app/.env", T0 + 2);
	for (int i = 0; i < 3; i++)
		cw_prov_add_use(p, c, "k8s:ci/runner", "api.github.com:443", T0 + 10 + i);
	c->origins_dropped = 2;

	c = cw_prov_touch(p, fp_c, "jwt", "JSON Web Token", "short-lived", "eyJ…", T0 + DAY);
	cw_prov_add_origin(p, c, "exe:/tmp/\x1b[2Jevil\xe2\x80\xae uid:0", CW_PROV_ARGV, "",
			   T0 + DAY);

	cw_prov_touch(p, fp_a, NULL, NULL, NULL, NULL, T0 + 9 * DAY);
	/* created last, but its event is older: the table must still put A first */
	c = cw_prov_touch(p, fp_b, "aws-access-key", "AWS access key", "unknown", "AKIA…QRST",
			  T0 + 5 * DAY);
	cw_prov_add_use(p, c, "unit:backup.service", "", T0 + 5 * DAY);
}

/* What cw_inventory_write prints, as a string. */
static char *render(const struct cw_provenance *p, enum cw_inv_format fmt, int64_t now, int *ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	*ret = cw_inventory_write(f, p, fmt, now);
	fclose(f);
	return buf;
}

/* Terminal columns of a UTF-8 line (one per character). */
static size_t columns(const char *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		w += ((unsigned char)s[i] & 0xC0) != 0x80;
	return w;
}

/* Line i (0-based) of text, in a static buffer. */
static const char *line(const char *text, int i)
{
	static char buf[8192];
	const char *s = text, *e;

	while (i-- > 0 && s && (s = strchr(s, '\n')))
		s++;
	if (!s || !*s)
		return "";
	e = strchr(s, '\n');
	snprintf(buf, sizeof(buf), "%.*s", (int)(e ? e - s : (long)strlen(s)), s);
	return buf;
}

static int count_lines(const char *text)
{
	int n = 0;

	for (const char *s = text; *s; s++)
		n += *s == '\n';
	return n;
}

/* The column at which needle starts in s (s ASCII up to there), or -1. */
static long col_of(const char *s, const char *needle)
{
	const char *at = strstr(s, needle);

	return at ? (long)columns(s, (size_t)(at - s)) : -1;
}

TEST(inventory_json_lines_parse_back)
{
	struct cw_provenance p;
	const struct jc_node *arr;
	struct jc_node *v[3];
	char err[256], *out;
	int ret = -1;

	REQUIRE(cw_prov_open(&p, NULL, 10, err, sizeof(err)) == 0);
	build(&p);
	out = render(&p, CW_INV_JSON, T0 + 10 * DAY + 5, &ret);
	REQUIRE(out);
	CHECK_EQ_INT(ret, 0);
	REQUIRE(count_lines(out) == 3);
	for (int i = 0; i < 3; i++) {
		const char *l = line(out, i);

		v[i] = jc_parse(l, strlen(l), err, sizeof(err));
		if (!v[i])
			cw_test_fail(__FILE__, __LINE__, "line %d: %s: %s", i, err, l);
	}
	REQUIRE(v[0] && v[1] && v[2]);

	/* most recently seen first: A (day 9), B (day 5), C (day 1) */
	CHECK_EQ_STR(jc_str(v[0], "credential.fingerprint"), fp_a);
	CHECK_EQ_STR(jc_str(v[1], "credential.fingerprint"), fp_b);
	CHECK_EQ_STR(jc_str(v[2], "credential.fingerprint"), fp_c);

	CHECK_EQ_STR(jc_str(v[0], "credential.rule"), "github-pat");
	CHECK_EQ_STR(jc_str(v[0], "credential.kind"), "GitHub personal access token");
	CHECK_EQ_STR(jc_str(v[0], "credential.lifetime"), "long-lived");
	CHECK_EQ_STR(jc_str(v[0], "credential.redacted"), "ghp_…Zx9Q");
	CHECK_EQ_STR(jc_str(v[0], "first_seen"), "2023-11-14T22:13:20.000Z");
	CHECK_EQ_STR(jc_str(v[0], "last_seen"), "2023-11-23T22:13:20.000Z");
	CHECK_EQ_STR(jc_num(v[0], "age_days"), "10");
	CHECK_EQ_STR(jc_num(v[1], "age_days"), "5");
	CHECK_EQ_STR(jc_num(v[2], "age_days"), "9");
	CHECK_EQ_STR(jc_num(v[0], "origins_dropped"), "2");
	CHECK_EQ_STR(jc_num(v[0], "uses_dropped"), "0");

	arr = jc_get(v[0], "origins");
	REQUIRE(arr && arr->type == JC_ARR);
	CHECK_EQ_INT(arr->nkids, 3);
	if (arr->nkids == 3) {
		CHECK_EQ_STR(jc_str(&arr->kids[0], "workload"), "k8s:ci/runner");
		CHECK_EQ_STR(jc_str(&arr->kids[0], "source"), "file");
		CHECK_EQ_STR(jc_str(&arr->kids[0], "detail"), "/app/.env");
		CHECK_EQ_STR(jc_num(&arr->kids[0], "count"), "1");
		CHECK_EQ_STR(jc_str(&arr->kids[1], "source"), "env");
		CHECK_EQ_STR(jc_str(&arr->kids[1], "detail"), "GITHUB_TOKEN");
		CHECK_EQ_STR(jc_str(&arr->kids[1], "first_seen"), "2023-11-14T22:13:21.000Z");
		CHECK_EQ_STR(jc_str(&arr->kids[2], "workload"), odd_wl);
	}
	/* loaders: each workload once, in the order they first loaded it */
	arr = jc_get(v[0], "loaders");
	REQUIRE(arr && arr->type == JC_ARR);
	CHECK_EQ_INT(arr->nkids, 2);
	if (arr->nkids == 2) {
		CHECK_EQ_STR(arr->kids[0].str, "k8s:ci/runner");
		CHECK_EQ_STR(arr->kids[1].str, odd_wl);
	}
	arr = jc_get(v[0], "users");
	REQUIRE(arr && arr->type == JC_ARR);
	CHECK_EQ_INT(arr->nkids, 1);
	if (arr->nkids == 1) {
		CHECK_EQ_STR(jc_str(&arr->kids[0], "workload"), "k8s:ci/runner");
		CHECK_EQ_STR(jc_str(&arr->kids[0], "destination"), "api.github.com:443");
		CHECK_EQ_STR(jc_num(&arr->kids[0], "count"), "3");
		CHECK_EQ_STR(jc_str(&arr->kids[0], "first_seen"), "2023-11-14T22:13:30.000Z");
		CHECK_EQ_STR(jc_str(&arr->kids[0], "last_seen"), "2023-11-14T22:13:32.000Z");
	}
	/* B: no loaders, one user with an unknown destination */
	arr = jc_get(v[1], "loaders");
	CHECK(arr && arr->type == JC_ARR && arr->nkids == 0);
	arr = jc_get(v[1], "users");
	REQUIRE(arr && arr->type == JC_ARR && arr->nkids == 1);
	CHECK_EQ_STR(jc_str(&arr->kids[0], "destination"), "");
	/* C: the hostile name comes through the JSON intact (it is the JSON writer's to escape) */
	arr = jc_get(v[2], "loaders");
	REQUIRE(arr && arr->nkids == 1);
	CHECK_EQ_STR(arr->kids[0].str, "exe:/tmp/\x1b[2Jevil\xe2\x80\xae uid:0");
	CHECK(!strchr(out, '\x1b'));
	/* a first_seen after now (clock skew) is age 0, not negative */
	free(out);
	out = render(&p, CW_INV_JSON, T0 - DAY, &ret);
	REQUIRE(out);
	{
		const char *l = line(out, 0);
		struct jc_node *x = jc_parse(l, strlen(l), err, sizeof(err));

		REQUIRE(x);
		CHECK_EQ_STR(jc_num(x, "age_days"), "0");
		jc_free(x);
	}
	for (int i = 0; i < 3; i++)
		jc_free(v[i]);
	free(out);
	cw_prov_close(&p);
}

TEST(inventory_table_cells_order_and_width)
{
	struct cw_provenance p;
	struct cw_prov_cred *c;
	char err[256], *out, wl[64], dst[64], *head, *ra, *rb, *rc;
	const char *l;
	int ret = -1;

	REQUIRE(cw_prov_open(&p, NULL, 10, err, sizeof(err)) == 0);
	build(&p);
	out = render(&p, CW_INV_TABLE, T0 + 10 * DAY + 5, &ret);
	REQUIRE(out);
	CHECK_EQ_INT(ret, 0);
	CHECK_EQ_INT(count_lines(out), 4);
	head = strdup(line(out, 0));
	ra = strdup(line(out, 1));
	rb = strdup(line(out, 2));
	rc = strdup(line(out, 3));
	REQUIRE(head && ra && rb && rc);

	/* the header, in order */
	CHECK_EQ_INT(col_of(head, "FINGERPRINT"), 0);
	CHECK(col_of(head, "KIND") > col_of(head, "FINGERPRINT"));
	CHECK(col_of(head, "LIFETIME") > col_of(head, "KIND"));
	CHECK(col_of(head, "AGE") > col_of(head, "LIFETIME"));
	CHECK(col_of(head, "LOADED BY") > col_of(head, "AGE"));
	CHECK(col_of(head, "SOURCES") > col_of(head, "LOADED BY"));
	CHECK(col_of(head, "USED BY") > col_of(head, "SOURCES"));

	/* most recently seen first, and each cell under its heading */
	CHECK_EQ_INT(col_of(ra, "a1b2c3d4e5f60718 "), 0);
	CHECK(!strstr(ra, "a1b2c3d4e5f607182")); /* 16 hex only */
	CHECK_EQ_INT(col_of(rb, "0f1e2d3c4b5a6978 "), 0);
	CHECK_EQ_INT(col_of(rc, "c0ffee00c0ffee00 "), 0);
	CHECK_EQ_INT(col_of(ra, "GitHub personal acces…"), col_of(head, "KIND"));
	CHECK_EQ_INT(col_of(rb, "AWS access key"), col_of(head, "KIND"));
	CHECK_EQ_INT(col_of(ra, "long-lived"), col_of(head, "LIFETIME"));
	CHECK_EQ_INT(col_of(rb, "unknown"), col_of(head, "LIFETIME"));
	CHECK_EQ_INT(col_of(rc, "short-lived"), col_of(head, "LIFETIME"));
	CHECK_EQ_INT(col_of(ra, "10d "), col_of(head, "AGE"));
	CHECK_EQ_INT(col_of(rb, "5d "), col_of(head, "AGE"));
	CHECK_EQ_INT(col_of(rc, "9d "), col_of(head, "AGE"));
	CHECK_EQ_INT(col_of(ra, "k8s:ci/runner, k8s:ns/pod \"…"), col_of(head, "LOADED BY"));
	CHECK_EQ_INT(col_of(ra, "file:/app/.env, env:GITHUB_…"), col_of(head, "SOURCES"));
	CHECK_EQ_INT(col_of(ra, "k8s:ci/runner->api.github.com:443 x3"), col_of(head, "USED BY"));
	/* B: nothing loaded it, a use with no destination, and no count for a single one */
	CHECK_EQ_INT(col_of(rb, "- "), col_of(head, "LOADED BY"));
	CHECK_EQ_INT(col_of(rb, "unit:backup.service->?"), col_of(head, "USED BY"));
	CHECK(!strstr(rb, " x1"));
	CHECK_EQ_INT(col_of(rc, "argv "), col_of(head, "SOURCES"));
	/* escape sequences and bidi overrides do not reach the terminal */
	CHECK(!strchr(out, '\x1b'));
	CHECK(!strstr(out, "\xe2\x80\xae"));
	CHECK_CONTAINS(rc, "exe:/tmp/?[2Jevil? uid:0");
	free(out);

	/* long cells are cut so that no line gets wider than CW_INV_MAX_LINE */
	c = cw_prov_find(&p, fp_b);
	REQUIRE(c);
	for (int i = 0; i < CW_PROV_ORIGINS_MAX; i++) {
		snprintf(wl, sizeof(wl), "k8s:some-long-namespace/pod-%d", i);
		cw_prov_add_origin(&p, c, wl, CW_PROV_FILE, "/var/run/secrets/very/long/path", 1);
	}
	for (int i = 0; i < CW_PROV_WORKLOADS_MAX + 3; i++) {
		snprintf(dst, sizeof(dst), "host-%d.internal.example.com:8443", i);
		cw_prov_add_use(&p, c, "k8s:some-long-namespace/pod-0", dst, 2);
	}
	out = render(&p, CW_INV_TABLE, T0 + 10 * DAY, &ret);
	REQUIRE(out);
	CHECK_EQ_INT(ret, 0);
	for (int i = 0; i < count_lines(out); i++) {
		l = line(out, i);
		if (columns(l, strlen(l)) > CW_INV_MAX_LINE)
			cw_test_fail(__FILE__, __LINE__, "line %d is %zu columns wide: %s", i,
				     columns(l, strlen(l)), l);
	}
	l = line(out, 2);
	CHECK_CONTAINS(l, "k8s:some-long-namespace/pod…");
	/* a cut cell keeps the columns after it aligned */
	CHECK_EQ_INT(col_of(l, "file:/var/run/secrets/very/…"), col_of(head, "SOURCES"));
	CHECK_EQ_INT(col_of(l, "unit:backup.service->?, k8s:some-lo…"), col_of(head, "USED BY"));
	free(out);
	free(head);
	free(ra);
	free(rb);
	free(rc);
	cw_prov_close(&p);
}

TEST(inventory_empty_store_says_so)
{
	struct cw_provenance p;
	char dir[256], path[400], err[256], *out;
	int ret = -1;

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/provenance.json", dir);
	REQUIRE(cw_prov_open(&p, path, 10, err, sizeof(err)) == 0);
	out = render(&p, CW_INV_TABLE, T0, &ret);
	REQUIRE(out);
	CHECK_EQ_INT(ret, 0);
	{
		char want[512];

		snprintf(want, sizeof(want), "no credentials recorded in %s\n", path);
		CHECK_EQ_STR(out, want);
	}
	free(out);
	/* JSON lines: no lines at all */
	out = render(&p, CW_INV_JSON, T0, &ret);
	REQUIRE(out);
	CHECK_EQ_INT(ret, 0);
	CHECK_EQ_STR(out, "");
	free(out);
	cw_prov_close(&p);
	tu_rmtree(dir);
}

/* Run credwatch inventory ARGS with stdout and stderr captured into files under dir. */
static int run_cmd(const char *dir, char *out, size_t outlen, char *errout, size_t errlen, int argc,
		   char **argv)
{
	char po[400], pe[400];
	int so, se, fo, fe, ret;
	ssize_t n;

	snprintf(po, sizeof(po), "%s/stdout", dir);
	snprintf(pe, sizeof(pe), "%s/stderr", dir);
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	fo = open(po, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (so < 0 || se < 0 || fo < 0 || fe < 0)
		return -1;
	dup2(fo, 1);
	dup2(fe, 2);
	optind = 0; /* a fresh getopt scan, as in a new process */
	ret = cw_cmd_inventory(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(fo);
	close(fe);
	n = tu_read_file(po, out, outlen - 1);
	out[n > 0 ? n : 0] = '\0';
	n = tu_read_file(pe, errout, errlen - 1);
	errout[n > 0 ? n : 0] = '\0';
	return ret;
}

TEST(inventory_command_exit_status_and_messages)
{
	static const char trunc[] = "{\"version\":1,\"credentials\":[{";
	static char out[65536], errout[8192];
	struct cw_provenance p;
	char dir[256], path[400], missing[400], bad[400], err[256];

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/state/provenance.json", dir);
	snprintf(missing, sizeof(missing), "%s/none.json", dir);
	snprintf(bad, sizeof(bad), "%s/bad.json", dir);
	REQUIRE(cw_prov_open(&p, path, 10, err, sizeof(err)) == 0);
	build(&p);
	REQUIRE(cw_prov_save(&p, err, sizeof(err)) == 0);
	cw_prov_close(&p);
	REQUIRE(tu_write_file(bad, trunc, strlen(trunc), 0600) == 0);

	{
		char *argv[] = { "inventory", "--state", path, "--format", "json", NULL };

		CHECK_EQ_INT(run_cmd(dir, out, sizeof(out), errout, sizeof(errout), 5, argv), 0);
		CHECK_EQ_INT(count_lines(out), 3);
		CHECK_CONTAINS(line(out, 0), fp_a);
		CHECK_EQ_STR(errout, "");
	}
	{
		char *argv[] = { "inventory", "--format=table", "--state", path, NULL };

		CHECK_EQ_INT(run_cmd(dir, out, sizeof(out), errout, sizeof(errout), 4, argv), 0);
		CHECK_EQ_INT(count_lines(out), 4);
		CHECK_EQ_INT(col_of(line(out, 0), "FINGERPRINT"), 0);
		CHECK_CONTAINS(line(out, 1), "a1b2c3d4e5f60718");
	}
	{
		/* table is the default; a missing store is empty, not an error */
		char *argv[] = { "inventory", "--state", missing, NULL };

		CHECK_EQ_INT(run_cmd(dir, out, sizeof(out), errout, sizeof(errout), 3, argv), 0);
		CHECK_CONTAINS(out, "no credentials recorded in");
		CHECK_CONTAINS(out, missing);
		CHECK_EQ_INT(access(missing, F_OK), -1);
	}
	{
		char *argv[] = { "inventory", "--state", bad, NULL };

		CHECK_EQ_INT(run_cmd(dir, out, sizeof(out), errout, sizeof(errout), 3, argv), 2);
		CHECK_EQ_STR(out, "");
		CHECK_CONTAINS(errout, bad);
		CHECK_CONTAINS(errout, "(at byte 29)");
	}
	{
		char *argv[] = { "inventory", "--format", "xml", NULL };

		CHECK_EQ_INT(run_cmd(dir, out, sizeof(out), errout, sizeof(errout), 3, argv), 2);
		CHECK_CONTAINS(errout, "xml");
	}
	{
		char *argv[] = { "inventory", "--no-such-option", NULL };

		CHECK_EQ_INT(run_cmd(dir, out, sizeof(out), errout, sizeof(errout), 2, argv), 2);
		CHECK_CONTAINS(errout, "usage: credwatch inventory");
	}
	{
		char *argv[] = { "inventory", "--state", path, "extra", NULL };

		CHECK_EQ_INT(run_cmd(dir, out, sizeof(out), errout, sizeof(errout), 4, argv), 2);
		CHECK_CONTAINS(errout, "extra");
	}
	{
		char *argv[] = { "inventory", "--help", NULL };

		CHECK_EQ_INT(run_cmd(dir, out, sizeof(out), errout, sizeof(errout), 2, argv), 0);
		CHECK_CONTAINS(out, "usage: credwatch inventory");
		CHECK_CONTAINS(out, "--state FILE");
		CHECK_CONTAINS(out, CW_PROV_DEFAULT_FILE);
		CHECK_CONTAINS(out, "EXAMPLES");
	}
	tu_rmtree(dir);
}
