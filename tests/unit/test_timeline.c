// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsoncheck.h"
#include "judge/provenance.h"
#include "output/ocsf.h"
#include "test.h"
#include "trace/timeline.h"

/* Three credentials: A, a token a workload loads, a reader reads and curl sends off; B, an
 * AWS key seen first; C, a token in a pod's argv. */
#define FP_A "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define FP_B "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define FP_C "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"
#define W1 "tree:/usr/bin/bash uid:1000"
#define W2 "unit:backup.service"
#define W3 "k8s:shop/api-7f9c"
#define TRACE "/var/lib/credwatch/traces/alert-1.cwt"

/* An ECS finding as the agent writes it, with the members a test varies. */
static char *ecs(const char *ts, bool alert, const char *action, const char *id, const char *fp,
		 const char *rule, const char *top, const char *cw, const char *cred)
{
	char *s = NULL;

	if (asprintf(&s,
		     "{\"@timestamp\":\"%s\",\"event\":{\"id\":\"%s\",\"kind\":\"%s\","
		     "\"category\":[\"process\"],\"type\":[\"start\"],\"action\":\"%s\","
		     "\"severity\":73,\"module\":\"credwatch\",\"dataset\":\"credwatch.%s\"},"
		     "\"ecs\":{\"version\":\"9.5.0-dev\"},\"rule\":{\"id\":\"%s\",\"name\":\"R\","
		     "\"ruleset\":\"credwatch\"},%s\"user\":{\"id\":\"0\"},\"host\":{\"name\":"
		     "\"vm\"},"
		     "\"credwatch\":{\"cgroup_id\":1,%s\"credential\":{\"redacted\":\"%s\","
		     "\"fingerprint\":\"%s\",\"kind\":\"%s\",\"lifetime\":\"long-lived\"%s}}%s}",
		     ts, id, alert ? "alert" : "event", action, alert ? "alert" : "event", rule,
		     top, cw, !strcmp(rule, "aws-access-key") ? "AKIA****QRST" : "ghp_****Zx9Q", fp,
		     !strcmp(rule, "aws-access-key") ? "aws-access-key" : "github-token", cred,
		     alert ? ",\"threat\":{\"framework\":\"OWASP Non-Human Identity Top 10\"},"
			     "\"message\":\"m\""
			   : "") < 0)
		return NULL;
	return s;
}

#define NLINES 7
/*
 * The fixture's lines, out of time order (as several CPUs deliver them). zone: one time in
 * another zone with microseconds, as a SIEM export may write it (the agent, and so the OCSF
 * converter, write UTC ms).
 */
static char **fixture_in(bool zone)
{
	char **v = calloc(NLINES + 1, sizeof(*v));

	/* A read by cat (no workload: a host process's read), at .500 */
	v[0] = ecs("2026-12-05T10:00:00.500Z", false, "credential-read", "id-a-read", FP_A,
		   "github-pat-classic",
		   "\"file\":{\"path\":\"/app/.env\"},\"process\":{\"pid\":10,"
		   "\"executable\":\"/usr/bin/cat\",\"name\":\"cat\"},",
		   "\"cgroup\":\"/\",", ",\"origin\":\"file\",\"path\":\"/app/.env\"");
	/* A loaded from the environment by W1, earlier (.200) but delivered after */
	v[1] = ecs("2026-12-05T10:00:00.200Z", false, "credential-observed", "id-a-env", FP_A,
		   "github-pat-classic",
		   "\"process\":{\"pid\":11,\"executable\":\"/usr/bin/sh\",\"name\":\"sh\"},",
		   "\"workload\":\"" W1 "\",", ",\"origin\":\"env\",\"variable\":\"GITHUB_TOKEN\"");
	/* A sent by curl to the wrong server: an alert naming a flight-recorder trace */
	v[2] = ecs("2026-12-05T10:00:01.000Z", true, "credential-unexpected-destination",
		   "id-a-alert", FP_A, "github-pat-classic",
		   "\"process\":{\"pid\":12,\"executable\":\"/usr/bin/curl\",\"name\":\"curl\"},"
		   "\"destination\":{\"ip\":\"127.0.0.1\",\"port\":18443,"
		   "\"domain\":\"exfil.attacker.test\"},\"network\":{\"transport\":\"tcp\","
		   "\"direction\":\"egress\",\"protocol\":\"http\"},",
		   "\"workload\":\"" W1 "\",\"tls\":{\"library\":\"openssl\"},\"fd\":5,\"count\":3,"
		   "\"trace\":{\"path\":\"" TRACE "\"},",
		   ",\"origin\":\"egress\",\"owners\":[\"" W1 "\"]");
	/* B, first of all, loaded by a unit; the time in another zone with microseconds */
	v[3] = ecs(
		zone ? "2026-12-05T11:59:59.000250+02:00" : "2026-12-05T09:59:59.000Z", false,
		"credential-observed", "id-b-env", FP_B, "aws-access-key",
		"\"process\":{\"pid\":20,\"executable\":\"/usr/bin/restic\",\"name\":\"restic\"},",
		"\"workload\":\"" W2 "\",",
		",\"origin\":\"env\",\"variable\":\"AWS_ACCESS_KEY_ID\"");
	/* C in a pod's argv */
	v[4] = ecs("2026-12-05T10:00:02.000Z", true, "credential-in-argv", "id-c-argv", FP_C,
		   "github-pat-classic",
		   "\"process\":{\"pid\":30,\"executable\":\"/usr/bin/git\",\"name\":\"git\"},",
		   "\"workload\":\"" W3 "\",", ",\"origin\":\"argv\",\"arg_index\":2");
	/* C again at the same time: arrival order breaks the tie */
	v[5] = ecs("2026-12-05T10:00:02.000Z", false, "credential-sent", "id-c-sent", FP_C,
		   "github-pat-classic",
		   "\"process\":{\"pid\":30,\"executable\":\"/usr/bin/git\",\"name\":\"git\"},"
		   "\"destination\":{\"ip\":\"140.82.112.3\",\"port\":443,"
		   "\"domain\":\"github.com\"},",
		   "\"workload\":\"" W3 "\",\"tls\":{\"library\":\"openssl\"},",
		   ",\"origin\":\"egress\"");
	/* A read again, by a process whose path would rewrite a terminal */
	v[6] = ecs("2026-12-05T10:00:03.000Z", true, "credential-unexpected-reader", "id-a-reader",
		   FP_A, "github-pat-classic",
		   "\"file\":{\"path\":\"/app/\\u001b[2J\\u202eevil.env\"},\"process\":{\"pid\":40,"
		   "\"executable\":\"/tmp/x\",\"name\":\"x\"},",
		   "\"workload\":\"" W3 "\",",
		   ",\"origin\":\"file\",\"path\":\"/app/\\u001b[2J\\u202eevil.env\"");
	return v;
}

static char **fixture(void)
{
	return fixture_in(true);
}

static void free_lines(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void feed(struct cw_timeline *t, char **v)
{
	for (size_t i = 0; v[i]; i++)
		CHECK_EQ_INT(cw_timeline_add_finding(t, v[i], strlen(v[i])), 0);
}

/* The credentials as the writers see them; *n of them. */
static struct cw_tl_cred **stories(struct cw_timeline *t, size_t *n)
{
	*n = 0;
	return cw_timeline_sorted(t, n);
}

TEST(timeline_stories_grouped_by_credential_in_time_order)
{
	struct cw_timeline t;
	char **v = fixture();
	struct cw_tl_cred **s;
	size_t n;

	REQUIRE(v && v[NLINES - 1]);
	cw_timeline_init(&t, NULL);
	feed(&t, v);
	CHECK_EQ_INT(t.malformed, 0);
	s = stories(&t, &n);
	REQUIRE(s && n == 3);
	/* first sighting: B (09:59:59.000 UTC), A (10:00:00.200), C (10:00:02) */
	CHECK_EQ_STR(s[0]->fingerprint, FP_B);
	CHECK_EQ_STR(s[1]->fingerprint, FP_A);
	CHECK_EQ_STR(s[2]->fingerprint, FP_C);
	CHECK_EQ_INT(s[0]->ev[0].time_ms, 1796464799000LL);

	/* A: loaded, read, sent (an alert), read (an alert) */
	REQUIRE(s[1]->nev == 4);
	CHECK_EQ_STR(s[1]->rule, "github-pat-classic");
	CHECK_EQ_STR(s[1]->kind, "github-token");
	CHECK_EQ_STR(s[1]->redacted, "ghp_****Zx9Q");
	REQUIRE(s[1]->owners.n == 1);
	CHECK_EQ_STR(s[1]->owners.v[0], W1);
	CHECK_EQ_INT(s[1]->ev[0].what, CW_TL_LOADED);
	CHECK_EQ_STR(s[1]->ev[0].source, "env");
	CHECK_EQ_STR(s[1]->ev[0].detail, "GITHUB_TOKEN");
	CHECK_EQ_STR(s[1]->ev[0].workload, W1);
	CHECK_EQ_INT(s[1]->ev[1].what, CW_TL_READ);
	CHECK_EQ_STR(s[1]->ev[1].detail, "/app/.env");
	CHECK_EQ_STR(s[1]->ev[1].workload, "");
	CHECK_EQ_STR(s[1]->ev[1].process, "cat");
	CHECK_EQ_INT(s[1]->ev[1].pid, 10);
	CHECK(!s[1]->ev[1].alert);

	/* the alert is attached to its credential, with all it says */
	{
		const struct cw_tl_event *e = &s[1]->ev[2];

		CHECK_EQ_INT(e->what, CW_TL_SENT);
		CHECK(e->alert);
		CHECK_EQ_STR(e->action, "credential-unexpected-destination");
		CHECK_EQ_INT(e->severity, 73);
		CHECK_EQ_STR(e->event_id, "id-a-alert");
		CHECK_EQ_STR(e->dest_domain, "exfil.attacker.test");
		CHECK_EQ_STR(e->dest_ip, "127.0.0.1");
		CHECK_EQ_INT(e->dest_port, 18443);
		CHECK_EQ_STR(e->tls_library, "openssl");
		CHECK_EQ_STR(e->trace_path, TRACE);
		CHECK_EQ_STR(e->executable, "/usr/bin/curl");
		CHECK_EQ_INT(e->count, 3);
	}
	CHECK_EQ_INT(s[1]->ev[3].what, CW_TL_READ);
	CHECK_EQ_STR(s[1]->ev[3].action, "credential-unexpected-reader");

	/* C: the argv alert then the send at the same ms, in arrival order */
	REQUIRE(s[2]->nev == 2);
	CHECK_EQ_STR(s[2]->ev[0].action, "credential-in-argv");
	CHECK_EQ_INT(s[2]->ev[0].what, CW_TL_LOADED);
	CHECK_EQ_STR(s[2]->ev[0].source, "argv");
	CHECK_EQ_STR(s[2]->ev[0].detail, "argv[2]");
	CHECK_EQ_STR(s[2]->ev[1].action, "credential-sent");
	CHECK_EQ_INT(s[2]->ev[1].what, CW_TL_SENT);
	free(s);
	cw_timeline_free(&t);
	free_lines(v);
}

TEST(timeline_malformed_lines_counted_first_one_named)
{
	static const char *bad[] = {
		"{\"@timestamp\":\"2026-12-05T10:00:00Z\"", /* cut off */
		"[1,2]",
		"{\"@timestamp\":\"yesterday\",\"event\":{\"action\":\"credential-read\"}}",
		"{\"@timestamp\":\"2026-12-05T10:00:00Z\",\"event\":{\"action\":\"x\"},"
		"\"credwatch\":{\"credential\":{\"fingerprint\":\"not hex!\"}}}",
		"{\"a\":1,\"a\":2}",
	};
	struct cw_timeline t;
	char **v = fixture();
	struct cw_tl_cred **s;
	size_t n;

	REQUIRE(v);
	cw_timeline_init(&t, NULL);
	/* line 1 good, 2 empty (ignored), 3..7 bad, 8 good */
	CHECK_EQ_INT(cw_timeline_add_finding(&t, v[0], strlen(v[0])), 0);
	CHECK_EQ_INT(cw_timeline_add_finding(&t, "\n", 1), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ_INT(cw_timeline_add_finding(&t, bad[i], strlen(bad[i])), -EINVAL);
	CHECK_EQ_INT(cw_timeline_add_finding(&t, v[1], strlen(v[1])), 0);
	CHECK_EQ_INT(t.lines, 8);
	CHECK_EQ_INT(t.malformed, 5);
	CHECK_EQ_INT(t.first_malformed, 3);
	CHECK_CONTAINS(t.first_malformed_why, "not JSON");
	s = stories(&t, &n);
	REQUIRE(s && n == 1);
	CHECK_EQ_INT(s[0]->nev, 2);
	free(s);
	cw_timeline_free(&t);
	free_lines(v);
}

TEST(timeline_reads_a_file_of_lines)
{
	struct cw_timeline t;
	char **v = fixture();
	char *buf = NULL;
	size_t len = 0, n;
	FILE *f = open_memstream(&buf, &len);
	struct cw_tl_cred **s;

	REQUIRE(v && f);
	for (size_t i = 0; v[i]; i++)
		fprintf(f, "%s\n%s", v[i], i == 2 ? "garbage\n" : "");
	fclose(f);
	f = fmemopen(buf, len, "r");
	REQUIRE(f);
	cw_timeline_init(&t, NULL);
	CHECK_EQ_INT(cw_timeline_read_findings(&t, f), 0);
	fclose(f);
	CHECK_EQ_INT(t.lines, NLINES + 1);
	CHECK_EQ_INT(t.malformed, 1);
	CHECK_EQ_INT(t.first_malformed, 4);
	s = stories(&t, &n);
	CHECK_EQ_INT(n, 3);
	free(s);
	cw_timeline_free(&t);
	free(buf);
	free_lines(v);
}

/* The fingerprints of the stories the filter keeps, joined by spaces. */
static void kept(const struct cw_tl_filter *f, char *out, size_t len)
{
	struct cw_timeline t;
	char **v = fixture();
	struct cw_tl_cred **s;
	size_t n = 0;

	out[0] = '\0';
	cw_timeline_init(&t, f);
	feed(&t, v);
	s = stories(&t, &n);
	for (size_t i = 0; s && i < n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%.4s", i ? " " : "",
			 s[i]->fingerprint);
	free(s);
	cw_timeline_free(&t);
	free_lines(v);
}

TEST(timeline_filters_combine)
{
	char got[256];

	kept(&(struct cw_tl_filter){ .fingerprint = "A1B2c3" }, got, sizeof(got));
	CHECK_EQ_STR(got, "a1b2");
	kept(&(struct cw_tl_filter){ .fingerprint = "a1b3" }, got, sizeof(got));
	CHECK_EQ_STR(got, "");
	kept(&(struct cw_tl_filter){ .rule = "github-pat-classic" }, got, sizeof(got));
	CHECK_EQ_STR(got, "a1b2 c0ff");
	kept(&(struct cw_tl_filter){ .rule = "github-pat" }, got, sizeof(got));
	CHECK_EQ_STR(got, "");
	/* a workload anywhere in the story: W3 only read A (an alert) and used C */
	kept(&(struct cw_tl_filter){ .workload = W3 }, got, sizeof(got));
	CHECK_EQ_STR(got, "a1b2 c0ff");
	kept(&(struct cw_tl_filter){ .workload = "unit:*" }, got, sizeof(got));
	CHECK_EQ_STR(got, "0f1e");
	kept(&(struct cw_tl_filter){ .workload = "k8s:shop" }, got, sizeof(got));
	CHECK_EQ_STR(got, "");
	/* AND */
	kept(&(struct cw_tl_filter){ .rule = "github-pat-classic", .workload = "unit:*" }, got,
	     sizeof(got));
	CHECK_EQ_STR(got, "");
	kept(&(struct cw_tl_filter){ .fingerprint = "c0", .workload = "k8s:*" }, got, sizeof(got));
	CHECK_EQ_STR(got, "c0ff");
	kept(&(struct cw_tl_filter){ .fingerprint = "c0", .rule = "aws-access-key" }, got,
	     sizeof(got));
	CHECK_EQ_STR(got, "");
}

TEST(timeline_reads_ocsf_as_output_ocsf_writes_it)
{
	struct cw_timeline ecs_t, ocsf_t;
	char **v = fixture_in(false);
	struct cw_tl_cred **a, **b;
	size_t na, nb;

	REQUIRE(v);
	cw_timeline_init(&ecs_t, NULL);
	cw_timeline_init(&ocsf_t, NULL);
	feed(&ecs_t, v);
	for (size_t i = 0; v[i]; i++) {
		char *o = NULL;
		size_t olen = 0;

		REQUIRE(cw_ocsf_from_ecs(v[i], strlen(v[i]), "test", &o, &olen) == 0);
		CHECK_EQ_INT(cw_timeline_add_finding(&ocsf_t, o, olen), 0);
		free(o);
	}
	CHECK_EQ_INT(ocsf_t.malformed, 0);
	a = stories(&ecs_t, &na);
	b = stories(&ocsf_t, &nb);
	REQUIRE(a && b && na == 3 && nb == 3);
	for (size_t i = 0; i < na; i++) {
		CHECK_EQ_STR(a[i]->fingerprint, b[i]->fingerprint);
		CHECK_EQ_STR(a[i]->rule, b[i]->rule);
		CHECK_EQ_STR(a[i]->redacted, b[i]->redacted);
		REQUIRE(a[i]->nev == b[i]->nev);
		for (size_t k = 0; k < a[i]->nev; k++) {
			const struct cw_tl_event *x = &a[i]->ev[k], *y = &b[i]->ev[k];

			CHECK_EQ_INT(x->time_ms, y->time_ms);
			CHECK_EQ_INT(x->what, y->what);
			CHECK_EQ_INT(x->alert, y->alert);
			CHECK_EQ_STR(x->action, y->action);
			CHECK_EQ_STR(x->event_id, y->event_id);
			CHECK_EQ_STR(x->workload, y->workload);
			CHECK_EQ_STR(x->executable, y->executable);
			CHECK_EQ_INT(x->pid, y->pid);
			CHECK_EQ_STR(x->detail, y->detail);
			CHECK_EQ_STR(x->dest_domain, y->dest_domain);
			CHECK_EQ_INT(x->dest_port, y->dest_port);
			CHECK_EQ_STR(x->tls_library, y->tls_library);
			CHECK_EQ_STR(x->trace_path, y->trace_path);
		}
	}
	/* OCSF names the severity, not ECS's number */
	CHECK_EQ_INT(b[1]->ev[2].severity, -1);
	CHECK_EQ_STR(b[1]->ev[2].severity_name, "High");
	free(a);
	free(b);
	cw_timeline_free(&ecs_t);
	cw_timeline_free(&ocsf_t);
	free_lines(v);
}

/* A store: A loaded by W1 from a file and its environment, by W3 later (not an owner), sent
 * by W1 three times; B only sent. */
static void build_store(struct cw_provenance *p)
{
	struct cw_prov_cred *c;
	int64_t t0 = 1796464800; /* 2026-12-05T10:00:00Z */

	REQUIRE(cw_prov_open(p, NULL, 16, NULL, 0) == 0);
	c = cw_prov_touch(p, FP_A, "github-pat-classic", "github-token", "long-lived",
			  "ghp_****Zx9Q", t0);
	REQUIRE(c);
	cw_prov_add_origin(p, c, W1, CW_PROV_ENV, "GITHUB_TOKEN", t0 + 5);
	cw_prov_add_origin(p, c, W1, CW_PROV_FILE, "/app/.env", t0);
	cw_prov_add_origin_as(p, c, W3, CW_PROV_ENV, "GITHUB_TOKEN", t0 + 60, false);
	for (int i = 0; i < 3; i++)
		cw_prov_add_use(p, c, W1, "api.github.com:443", t0 + 10 + i);
	c->uses_dropped = 2;
	c = cw_prov_touch(p, FP_B, "aws-access-key", "aws-access-key", "long-lived", "AKIA****QRST",
			  t0 - 100);
	REQUIRE(c);
	cw_prov_add_use(p, c, W2, "s3.amazonaws.com:443", t0 - 100);
}

TEST(timeline_from_the_provenance_store)
{
	struct cw_provenance p;
	struct cw_timeline t;
	struct cw_tl_cred **s;
	size_t n;

	build_store(&p);
	if (cw_test_failed)
		return;
	cw_timeline_init(&t, NULL);
	REQUIRE(cw_timeline_add_store(&t, &p) == 0);
	CHECK(t.from_store);
	s = stories(&t, &n);
	REQUIRE(s && n == 2);
	CHECK_EQ_STR(s[0]->fingerprint, FP_B);
	REQUIRE(s[1]->nev == 4);
	/* the file load first (t0), then the environment (t0+5), the use (t0+10), W3 (t0+60) */
	CHECK_EQ_INT(s[1]->ev[0].what, CW_TL_READ);
	CHECK_EQ_STR(s[1]->ev[0].detail, "/app/.env");
	CHECK_EQ_INT(s[1]->ev[0].time_ms, 1796464800000LL);
	CHECK_EQ_INT(s[1]->ev[1].what, CW_TL_LOADED);
	CHECK_EQ_STR(s[1]->ev[1].source, "env");
	CHECK_EQ_INT(s[1]->ev[2].what, CW_TL_SENT);
	CHECK_EQ_STR(s[1]->ev[2].destination, "api.github.com:443");
	CHECK_EQ_INT(s[1]->ev[2].count, 3);
	CHECK_EQ_INT(s[1]->ev[2].last_ms, 1796464812000LL);
	CHECK_EQ_STR(s[1]->ev[3].workload, W3);
	/* owners: the workloads whose load made them one */
	REQUIRE(s[1]->owners.n == 1);
	CHECK_EQ_STR(s[1]->owners.v[0], W1);
	CHECK_EQ_INT(s[1]->uses_dropped, 2);
	free(s);
	cw_timeline_free(&t);

	/* the same filters */
	cw_timeline_init(&t, &(struct cw_tl_filter){ .workload = W3 });
	REQUIRE(cw_timeline_add_store(&t, &p) == 0);
	s = stories(&t, &n);
	REQUIRE(s && n == 1);
	CHECK_EQ_STR(s[0]->fingerprint, FP_A);
	free(s);
	cw_timeline_free(&t);
	cw_timeline_init(&t, &(struct cw_tl_filter){ .rule = "aws-access-key" });
	REQUIRE(cw_timeline_add_store(&t, &p) == 0);
	s = stories(&t, &n);
	REQUIRE(s && n == 1);
	CHECK_EQ_STR(s[0]->fingerprint, FP_B);
	CHECK_EQ_INT(t.filtered, 1);
	free(s);
	cw_timeline_free(&t);
	cw_prov_close(&p);
}

/* What a writer prints, as a string. */
static char *render(struct cw_timeline *t, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	CHECK_EQ_INT(json ? cw_timeline_write_json(f, t) : cw_timeline_write_table(f, t), 0);
	fclose(f);
	return buf;
}

TEST(timeline_json_one_object_per_credential)
{
	struct cw_timeline t;
	char **v = fixture();
	char *out, *line, *save = NULL, err[256];
	const char *order[] = { FP_B, FP_A, FP_C };
	int k = 0;

	REQUIRE(v);
	cw_timeline_init(&t, NULL);
	feed(&t, v);
	out = render(&t, true);
	REQUIRE(out);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save), k++) {
		struct jc_node *doc = jc_parse(line, strlen(line), err, sizeof(err));
		const struct jc_node *ev;

		REQUIRE(doc);
		REQUIRE(k < 3);
		CHECK_EQ_STR(jc_str(doc, "credential.fingerprint"), order[k]);
		CHECK_EQ_STR(jc_str(doc, "from"), "findings");
		ev = jc_get(doc, "events");
		REQUIRE(ev && ev->type == JC_ARR && ev->nkids > 0);
		CHECK_EQ_STR(jc_str(doc, "first_seen"), jc_str(&ev->kids[0], "time"));
		if (k == 1) {
			const struct jc_node *a = &ev->kids[2];

			CHECK_EQ_INT(ev->nkids, 4);
			CHECK_EQ_STR(jc_str(doc, "credential.rule"), "github-pat-classic");
			CHECK_EQ_STR(jc_str(doc, "credential.redacted"), "ghp_****Zx9Q");
			REQUIRE(jc_get(doc, "credential.owners") &&
				jc_get(doc, "credential.owners")->nkids == 1);
			CHECK_EQ_STR(jc_get(doc, "credential.owners")->kids[0].str, W1);
			CHECK_EQ_STR(jc_num(doc, "alerts"), "2");
			CHECK_EQ_STR(jc_str(doc, "first_seen"), "2026-12-05T10:00:00.200Z");
			CHECK_EQ_STR(jc_str(doc, "last_seen"), "2026-12-05T10:00:03.000Z");
			CHECK_EQ_STR(jc_str(&ev->kids[0], "what"), "loaded");
			CHECK_EQ_STR(jc_str(&ev->kids[0], "source"), "env");
			CHECK_EQ_STR(jc_str(&ev->kids[0], "detail"), "GITHUB_TOKEN");
			CHECK_EQ_STR(jc_str(&ev->kids[1], "what"), "read");
			CHECK_EQ_STR(jc_str(&ev->kids[1], "process.name"), "cat");
			CHECK(jc_get(&ev->kids[1], "workload") == NULL);
			CHECK_EQ_STR(jc_str(a, "time"), "2026-12-05T10:00:01.000Z");
			CHECK_EQ_STR(jc_str(a, "what"), "sent");
			CHECK_EQ_STR(jc_str(a, "action"), "credential-unexpected-destination");
			CHECK(jc_get(a, "alert") && !strcmp(jc_get(a, "alert")->str, "true"));
			CHECK_EQ_STR(jc_num(a, "severity"), "73");
			CHECK_EQ_STR(jc_str(a, "event_id"), "id-a-alert");
			CHECK_EQ_STR(jc_str(a, "workload"), W1);
			CHECK_EQ_STR(jc_num(a, "process.pid"), "12");
			CHECK_EQ_STR(jc_str(a, "destination.domain"), "exfil.attacker.test");
			CHECK_EQ_STR(jc_str(a, "destination.ip"), "127.0.0.1");
			CHECK_EQ_STR(jc_num(a, "destination.port"), "18443");
			CHECK_EQ_STR(jc_str(a, "tls_library"), "openssl");
			CHECK_EQ_STR(jc_str(a, "trace_path"), TRACE);
			CHECK_EQ_STR(jc_num(a, "count"), "3");
			/* what a watched process named comes through, escaped, not dropped */
			CHECK_EQ_STR(jc_str(&ev->kids[3], "detail"), "/app/\x1b[2J\xe2\x80\xae"
								     "evil.env");
		}
		jc_free(doc);
	}
	CHECK_EQ_INT(k, 3);
	free(out);
	cw_timeline_free(&t);
	free_lines(v);
}

/* Terminal columns of a UTF-8 line (one per character). */
static size_t columns(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

TEST(timeline_table_fits_100_columns_and_is_safe_for_a_terminal)
{
	struct cw_timeline t;
	char **v = fixture();
	char *out, *line, *save = NULL;
	const char *a, *b, *c;

	REQUIRE(v);
	cw_timeline_init(&t, NULL);
	feed(&t, v);
	out = render(&t, false);
	REQUIRE(out);
	CHECK(!strchr(out, '\x1b'));
	CHECK(!strstr(out, "\xe2\x80\xae"));
	CHECK_CONTAINS(out, "/app/?[2J?evil.env");
	/* the story in order, and what each step says */
	a = strstr(out, FP_B);
	b = strstr(out, FP_A);
	c = strstr(out, FP_C);
	CHECK(a && b && c && a < b && b < c);
	CHECK_CONTAINS(out, "2026-12-05T10:00:00.200Z  loaded    " W1);
	CHECK_CONTAINS(out, "env GITHUB_TOKEN");
	CHECK_CONTAINS(out, "2026-12-05T10:00:00.500Z  read      -");
	CHECK_CONTAINS(out, "file /app/.env");
	CHECK_CONTAINS(out, "process cat[10] /usr/bin/cat");
	CHECK_CONTAINS(out, "to exfil.attacker.test:18443");
	CHECK_CONTAINS(out, "TLS library openssl");
	CHECK_CONTAINS(out, "ALERT credential-unexpected-destination (severity 73)");
	CHECK_CONTAINS(out, "event.id id-a-alert");
	CHECK_CONTAINS(out, "trace " TRACE);
	CHECK_CONTAINS(out, "owners      " W1);
	CHECK_CONTAINS(out, "argv argv[2]");
	CHECK(strstr(out, "loaded") < strstr(out, "/app/.env"));
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		CHECK(columns(line) <= CW_TL_WIDTH);
	free(out);
	cw_timeline_free(&t);
	free_lines(v);
}

TEST(timeline_table_long_cells_cut_or_moved_within_width)
{
	struct cw_timeline t;
	char path[400], *line_s, *out, *save = NULL, *ln;
	size_t n;

	memset(path, 'p', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	n = (size_t)asprintf(
		&line_s,
		"{\"@timestamp\":\"2026-12-05T10:00:00Z\",\"event\":{\"kind\":\"event\","
		"\"action\":\"credential-read\"},\"rule\":{\"id\":\"r\"},\"process\":"
		"{\"pid\":1,\"name\":\"n\"},\"credwatch\":{\"workload\":\"k8s:%.60s\","
		"\"credential\":{\"fingerprint\":\"" FP_A "\",\"origin\":\"file\","
		"\"path\":\"%s\"}}}",
		path, path);
	cw_timeline_init(&t, NULL);
	CHECK_EQ_INT(cw_timeline_add_finding(&t, line_s, n), 0);
	out = render(&t, false);
	REQUIRE(out);
	/* the whole workload on a line of its own, the path cut with an ellipsis */
	CHECK_CONTAINS(out, "workload k8s:/ppppp");
	CHECK_CONTAINS(out, "file /ppp");
	CHECK_CONTAINS(out, "\u2026");
	for (ln = strtok_r(out, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save))
		CHECK(columns(ln) <= CW_TL_WIDTH);
	free(out);
	free(line_s);
	cw_timeline_free(&t);
}
