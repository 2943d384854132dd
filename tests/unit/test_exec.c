// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* events/exec: the findings of an exec, as the finding writer prints them. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "events/decoder.h"
#include "events/exec.h"
#include "judge/destinations.h"
#include "output/finding.h"
#include "detect/fingerprint.h"
#include "jsoncheck.h"
#include "detect/matcher.h"
#include "detect/redact.h"
#include "detect/rules.h"
#include "test.h"
#include "testutil.h"

/* Wall clock = ktime + this: fixed, so @timestamp is known exactly. */
#define WALL_BASE_NS 1700000000000000000LL

struct fx {
	const struct cw_ruleset *rs;
	struct cw_matcher *m;
	struct cw_fp_key key;
	char dir[256];
	char *out;
	size_t outlen;
	FILE *f;
	struct cw_finding_writer fd;
	struct cw_exec exec;
	char record[8192];
	struct cw_event ev;
	/* the output, split */
	struct jc_node **line;
	size_t nlines;
};

static bool fx_setup(struct fx *x, bool events)
{
	char err[1024];

	memset(x, 0, sizeof(*x));
	if (tu_embedded(&x->rs, &x->m, err, sizeof(err))) {
		cw_test_fail(__FILE__, __LINE__, "setup: %s", err);
		return false;
	}
	if (tu_mkdtemp(x->dir, sizeof(x->dir))) {
		cw_test_fail(__FILE__, __LINE__, "mkdtemp failed");
		return false;
	}
	if (tu_key_in(x->dir, &x->key, err, sizeof(err))) {
		cw_test_fail(__FILE__, __LINE__, "key: %s", err);
		return false;
	}
	x->f = open_memstream(&x->out, &x->outlen);
	if (!x->f) {
		cw_test_fail(__FILE__, __LINE__, "open_memstream failed");
		return false;
	}
	cw_finding_writer_init(&x->fd, &x->key, x->f, events);
	x->fd.mono_to_real_ns = WALL_BASE_NS;
	cw_exec_init(&x->exec, &(struct cw_handler_deps){ .f = &x->fd, .matcher = x->m });
	return true;
}

static void fx_teardown(struct fx *x)
{
	for (size_t i = 0; i < x->nlines; i++)
		jc_free(x->line[i]);
	free(x->line);
	cw_exec_free(&x->exec);
	cw_finding_writer_free(&x->fd);
	if (x->f)
		fclose(x->f);
	free(x->out);
	if (x->dir[0])
		tu_rmtree(x->dir);
}

/* Build an exec record the way the probe lays it out, and decode it like the agent does. */
static bool fx_exec(struct fx *x, const char *comm, size_t comm_len, const char *path,
		    const char *argv, size_t argv_len, const char *env, size_t env_len)
{
	struct cw_exec_event e;
	size_t path_len = strlen(path), o = sizeof(e);
	const char *why = "";

	memset(&e, 0, sizeof(e));
	e.hdr.type = CW_EV_EXEC;
	e.hdr.ktime_ns = 123000000; /* + WALL_BASE_NS = 2023-11-14T22:13:20.123Z */
	e.pid = 4242;
	e.tid = 4242;
	e.ppid = 77;
	e.uid = 1000;
	e.gid = 1001;
	e.cgroup_id = 9001;
	e.path_len = (__u32)path_len;
	e.argv_len = e.argv_full_len = (__u32)argv_len;
	e.env_len = e.env_full_len = (__u32)env_len;
	memcpy(e.comm, comm, comm_len < CW_COMM_LEN ? comm_len : CW_COMM_LEN);
	if (o + path_len + argv_len + env_len > sizeof(x->record)) {
		cw_test_fail(__FILE__, __LINE__, "record too big");
		return false;
	}
	memcpy(x->record, &e, sizeof(e));
	memcpy(x->record + o, path, path_len);
	o += path_len;
	memcpy(x->record + o, argv, argv_len);
	o += argv_len;
	memcpy(x->record + o, env, env_len);
	o += env_len;
	if (cw_decode(x->record, o, &x->ev, &why)) {
		cw_test_fail(__FILE__, __LINE__, "decode: %s", why);
		return false;
	}
	return true;
}

/*
 * Close the stream and check the output: newline-terminated lines, no other control byte,
 * each one valid JSON. Parsed lines land in x->line.
 */
static bool fx_finish(struct fx *x)
{
	char err[256];
	size_t start = 0;

	fclose(x->f);
	x->f = NULL;
	if (x->outlen && x->out[x->outlen - 1] != '\n') {
		cw_test_fail(__FILE__, __LINE__, "output does not end with a newline");
		return false;
	}
	for (size_t i = 0; i < x->outlen; i++) {
		unsigned char c = (unsigned char)x->out[i];
		struct jc_node *v;

		if (c != '\n') {
			if (c < 0x20 || c == 0x7f) {
				cw_test_fail(__FILE__, __LINE__, "raw control byte 0x%02x at %zu",
					     c, i);
				return false;
			}
			continue;
		}
		v = jc_parse(x->out + start, i - start, err, sizeof(err));
		if (!v) {
			cw_test_fail(__FILE__, __LINE__, "line %zu is not valid JSON: %s: %.*s",
				     x->nlines + 1, err, (int)(i - start), x->out + start);
			return false;
		}
		{
			struct jc_node **nl = realloc(x->line, (x->nlines + 1) * sizeof(*nl));

			if (!nl) {
				jc_free(v);
				return false;
			}
			x->line = nl;
		}
		x->line[x->nlines++] = v;
		start = i + 1;
	}
	return true;
}

/* No secret, nor a 12-byte piece of its middle, anywhere in the output. */
static void check_no_secret(const struct fx *x, const char *secret, int line)
{
	size_t n = strlen(secret);

	if (tu_contains(x->out, x->outlen, secret, n))
		cw_test_fail(__FILE__, line, "the output holds a secret");
	if (n >= 20 && tu_contains(x->out, x->outlen, secret + n / 2 - 6, 12))
		cw_test_fail(__FILE__, line, "the output holds part of a secret");
}

#define CHECK_NO_SECRET(x, s) check_no_secret(x, s, __LINE__)

static void expect_redacted_fp(const struct fx *x, const struct jc_node *v, const char *secret)
{
	char red[CW_REDACT_MAX], fp[CW_FP_HEX_LEN + 1];
	size_t n = strlen(secret);

	cw_redact(secret, n, red);
	cw_fingerprint(&x->key, secret, n, fp);
	CHECK_EQ_STR(jc_str(v, "credwatch.credential.redacted"), red);
	CHECK_EQ_STR(jc_str(v, "credwatch.credential.fingerprint"), fp);
}

struct secrets {
	char *tok, *akid, *sak;
	char argv[256], env[512];
	size_t argv_len, env_len;
};

static void make_secrets(struct secrets *s)
{
	int n;

	s->tok = tu_github_token();
	s->akid = tu_strong("AKIA%{base32:16}", 3.4);
	s->sak = tu_strong("%{base64:40}", 4.4);
	n = snprintf(s->argv, sizeof(s->argv), "/bin/true%c--token=%s%c", 0, s->tok, 0);
	s->argv_len = (size_t)n;
	n = snprintf(s->env, sizeof(s->env),
		     "PATH=/usr/bin%cAWS_ACCESS_KEY_ID=%s%cAWS_SECRET_ACCESS_KEY=%s%c", 0, s->akid,
		     0, s->sak, 0);
	s->env_len = (size_t)n;
}

static void free_secrets(struct secrets *s)
{
	free(s->tok);
	free(s->akid);
	free(s->sak);
}

static void check_alert(const struct fx *x, const struct jc_node *v, const struct secrets *s)
{
	const struct jc_node *cat;
	char red[CW_REDACT_MAX], host[256] = "";

	CHECK_EQ_STR(jc_str(v, "@timestamp"), "2023-11-14T22:13:20.123Z");
	CHECK_EQ_STR(jc_str(v, "event.kind"), "alert");
	CHECK_EQ_STR(jc_str(v, "event.action"), "credential-in-argv");
	CHECK_EQ_STR(jc_str(v, "event.module"), "credwatch");
	cat = jc_get(v, "event.category");
	CHECK(cat && cat->type == JC_ARR && cat->nkids == 1 &&
	      !strcmp(cat->kids[0].str ? cat->kids[0].str : "", "process"));
	CHECK_EQ_STR(jc_str(v, "rule.id"), "github-pat-classic");
	CHECK(jc_str(v, "rule.name") && *jc_str(v, "rule.name"));
	CHECK_EQ_STR(jc_str(v, "credwatch.credential.origin"), "argv");
	CHECK_EQ_STR(jc_num(v, "credwatch.credential.arg_index"), "1");
	CHECK(jc_get(v, "credwatch.credential.variable") == NULL);
	CHECK_EQ_STR(jc_str(v, "credwatch.credential.kind"), "github-token");
	CHECK_EQ_STR(jc_str(v, "credwatch.credential.lifetime"), "long-lived");
	/* the redacted form: first 4, ****, last 4 */
	snprintf(red, sizeof(red), "%.4s****%.4s", s->tok, s->tok + 36);
	CHECK_EQ_STR(jc_str(v, "credwatch.credential.redacted"), red);
	expect_redacted_fp(x, v, s->tok);
	CHECK_EQ_STR(jc_num(v, "process.pid"), "4242");
	CHECK_EQ_STR(jc_num(v, "process.parent.pid"), "77");
	CHECK_EQ_STR(jc_num(v, "process.args_count"), "2");
	CHECK_EQ_STR(jc_str(v, "process.executable"), "/usr/bin/true");
	CHECK_EQ_STR(jc_str(v, "process.name"), "true");
	CHECK_EQ_STR(jc_str(v, "user.id"), "1000");
	CHECK_EQ_STR(jc_str(v, "group.id"), "1001");
	gethostname(host, sizeof(host) - 1);
	CHECK_EQ_STR(jc_str(v, "host.name"), host);
	CHECK_EQ_STR(jc_num(v, "credwatch.cgroup_id"), "9001");
	CHECK_EQ_STR(jc_str(v, "threat.framework"), "OWASP Non-Human Identity Top 10");
	CHECK_EQ_STR(jc_str(v, "threat.technique.id"), "NHI-02");
	CHECK(jc_str(v, "message") != NULL);
}

TEST(findings_argv_token_is_one_alert)
{
	struct fx x;
	struct secrets s;

	make_secrets(&s);
	if (!fx_setup(&x, false))
		goto out;
	if (!fx_exec(&x, "true", 4, "/usr/bin/true", s.argv, s.argv_len, s.env, s.env_len))
		goto out;
	CHECK_EQ_INT(cw_exec_handle(&x.exec, &x.ev), 0);
	CHECK(x.fd.alerts == 1);
	CHECK(x.fd.observations == 2); /* counted even when not printed */
	if (fx_finish(&x)) {
		CHECK_EQ_INT(x.nlines, 1);
		if (x.nlines >= 1)
			check_alert(&x, x.line[0], &s);
	}
	CHECK_NO_SECRET(&x, s.tok);
	CHECK_NO_SECRET(&x, s.akid);
	CHECK_NO_SECRET(&x, s.sak);
out:
	fx_teardown(&x);
	free_secrets(&s);
}

static void check_observation(const struct fx *x, const struct jc_node *v, const char *rule,
			      const char *var, const char *secret)
{
	CHECK_EQ_STR(jc_str(v, "event.kind"), "event");
	CHECK_EQ_STR(jc_str(v, "event.action"), "credential-observed");
	CHECK_EQ_STR(jc_str(v, "rule.id"), rule);
	CHECK_EQ_STR(jc_str(v, "credwatch.credential.origin"), "env");
	if (var)
		CHECK_EQ_STR(jc_str(v, "credwatch.credential.variable"), var);
	else
		CHECK(jc_get(v, "credwatch.credential.variable") == NULL);
	CHECK(jc_get(v, "credwatch.credential.arg_index") == NULL);
	CHECK(jc_get(v, "threat") == NULL);
	CHECK_EQ_STR(jc_num(v, "process.pid"), "4242");
	expect_redacted_fp(x, v, secret);
}

TEST(findings_events_adds_env_observations)
{
	struct fx x;
	struct secrets s;

	make_secrets(&s);
	if (!fx_setup(&x, true))
		goto out;
	if (!fx_exec(&x, "true", 4, "/usr/bin/true", s.argv, s.argv_len, s.env, s.env_len))
		goto out;
	CHECK_EQ_INT(cw_exec_handle(&x.exec, &x.ev), 0);
	CHECK(x.fd.alerts == 1);
	CHECK(x.fd.observations == 2);
	if (fx_finish(&x)) {
		CHECK_EQ_INT(x.nlines, 3);
		if (x.nlines == 3) {
			check_alert(&x, x.line[0], &s);
			check_observation(&x, x.line[1], "aws-access-key-id", "AWS_ACCESS_KEY_ID",
					  s.akid);
			check_observation(&x, x.line[2], "aws-secret-access-key",
					  "AWS_SECRET_ACCESS_KEY", s.sak);
			CHECK_EQ_STR(jc_str(x.line[1], "credwatch.credential.kind"),
				     "aws-access-key");
		}
	}
	CHECK_NO_SECRET(&x, s.tok);
	CHECK_NO_SECRET(&x, s.akid);
	CHECK_NO_SECRET(&x, s.sak);
out:
	fx_teardown(&x);
	free_secrets(&s);
}

TEST(findings_arg_index_and_env_without_name)
{
	struct fx x;
	char *a = tu_github_token(), *b = tu_github_token(), *c = tu_github_token();
	char argv[256], env[256];
	int alen, elen;

	/* the secret as argv[0] and argv[2]; in env a bare value (no NAME=) */
	alen = snprintf(argv, sizeof(argv), "%s%cx%c%s", a, 0, 0, b); /* no final NUL */
	elen = snprintf(env, sizeof(env), "HOME=/%c%s%c", 0, c, 0);
	if (!fx_setup(&x, true))
		goto out;
	if (!fx_exec(&x, "t", 1, "/t", argv, (size_t)alen, env, (size_t)elen))
		goto out;
	CHECK_EQ_INT(cw_exec_handle(&x.exec, &x.ev), 0);
	if (fx_finish(&x)) {
		CHECK_EQ_INT(x.nlines, 3);
		if (x.nlines == 3) {
			CHECK_EQ_STR(jc_num(x.line[0], "credwatch.credential.arg_index"), "0");
			expect_redacted_fp(&x, x.line[0], a);
			CHECK_EQ_STR(jc_num(x.line[1], "credwatch.credential.arg_index"), "2");
			expect_redacted_fp(&x, x.line[1], b);
			check_observation(&x, x.line[2], "github-pat-classic", NULL, c);
		}
	}
	CHECK_NO_SECRET(&x, a);
	CHECK_NO_SECRET(&x, b);
	CHECK_NO_SECRET(&x, c);
out:
	fx_teardown(&x);
	free(a);
	free(b);
	free(c);
}

/* Replace each byte that is not valid UTF-8 by U+FFFD: what a JSON reader must get back. */
static void expect_utf8(const char *in, size_t n, char *out)
{
	static const unsigned char r[] = { 0xEF, 0xBF, 0xBD };
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)in[i];
		size_t l = 0;

		if (c < 0x80)
			l = 1;
		else if (c >= 0xC2 && c <= 0xDF)
			l = 2;
		else if (c >= 0xE0 && c <= 0xEF)
			l = 3;
		else if (c >= 0xF0 && c <= 0xF4)
			l = 4;

		if (l && i + l <= n && jc_utf8_valid(in + i, l)) {
			memcpy(out + o, in + i, l);
			o += l;
			i += l;
		} else {
			memcpy(out + o, r, 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
}

TEST(findings_hostile_bytes_give_one_valid_line_per_finding)
{
	static const char comm[16] = "q\"b\\c\nd\x01\xff\xc0\xe2\x80\xa8zzz"; /* no NUL */
	static const char path[] = "/tmp/x\"\\\n\r\t\x7f\xed\xa0\x80/\xe2\x80\xa9"
				   "evil\x1b[2J";
	static const char name_raw[] = "BAD\n\"\\\xc0NAME";
	struct fx x;
	char *tok = tu_github_token(), *akid = tu_strong("AKIA%{base32:16}", 3.4);
	char argv[512], env[512], want[256];
	int alen, elen;

	alen = snprintf(argv, sizeof(argv),
			"/bin/sh%c-c%c\"\\\n\x1b[31m\xff\xfe\xe2\x82%c--token=%s%c", 0, 0, 0, tok,
			0);
	elen = snprintf(env, sizeof(env), "A=\x01\x02\xff%c%s=%s%c", 0, name_raw, akid, 0);
	if (!fx_setup(&x, true))
		goto out;
	if (!fx_exec(&x, comm, sizeof(comm), path, argv, (size_t)alen, env, (size_t)elen))
		goto out;
	CHECK_EQ_INT(cw_exec_handle(&x.exec, &x.ev), 0);
	if (fx_finish(&x)) {
		CHECK_EQ_INT(x.nlines, 2);
		for (size_t i = 0; i < x.nlines; i++) {
			expect_utf8(comm, sizeof(comm), want);
			CHECK_EQ_STR(jc_str(x.line[i], "process.name"), want);
			expect_utf8(path, sizeof(path) - 1, want);
			CHECK_EQ_STR(jc_str(x.line[i], "process.executable"), want);
		}
		if (x.nlines == 2) {
			CHECK_EQ_STR(jc_str(x.line[0], "rule.id"), "github-pat-classic");
			CHECK_EQ_STR(jc_num(x.line[0], "credwatch.credential.arg_index"), "3");
			expect_redacted_fp(&x, x.line[0], tok);
			CHECK_EQ_STR(jc_str(x.line[1], "rule.id"), "aws-access-key-id");
			expect_utf8(name_raw, sizeof(name_raw) - 1, want);
			CHECK_EQ_STR(jc_str(x.line[1], "credwatch.credential.variable"), want);
			expect_redacted_fp(&x, x.line[1], akid);
		}
	}
	CHECK_NO_SECRET(&x, tok);
	CHECK_NO_SECRET(&x, akid);
out:
	fx_teardown(&x);
	free(tok);
	free(akid);
}

/* Random bytes around a secret, in every field: always valid lines, never the secret. */
TEST(findings_fuzz_random_exec_records)
{
	struct fx x;
	char *tok = tu_github_token();
	int alerts = 0;

	tu_seed(0x66696e64);
	if (!fx_setup(&x, true))
		goto out;
	for (int it = 0; it < 300 && !cw_test_failed; it++) {
		char comm[16], path[64], argv[300], env[300];
		size_t alen = tu_below(120), elen = tu_below(120), plen = tu_below(sizeof(path));

		tu_rand_bytes(comm, sizeof(comm));
		tu_rand_bytes(path, plen);
		path[plen] = '\0';
		for (size_t i = 0; i < plen; i++)
			if (!path[i])
				path[i] = '/';
		tu_rand_bytes(argv, alen);
		tu_rand_bytes(env, elen);
		/* half the time, a token as its own argument */
		if (tu_below(2)) {
			argv[alen++] = '\0';
			memcpy(argv + alen, tok, 40);
			alen += 40;
			argv[alen++] = '\0';
			alerts++;
		}
		if (!fx_exec(&x, comm, sizeof(comm), path, argv, alen, env, elen))
			break;
		CHECK_EQ_INT(cw_exec_handle(&x.exec, &x.ev), 0);
	}
	CHECK(x.fd.alerts >= (uint64_t)alerts);
	if (fx_finish(&x))
		CHECK(x.nlines >= 1);
	CHECK_NO_SECRET(&x, tok);
out:
	fx_teardown(&x);
	free(tok);
}

/* A sink that cannot be written is an error the caller hears about, not a silent 0. */
TEST(findings_write_error_is_reported)
{
	struct fx x;
	struct secrets s;
	FILE *full;

	make_secrets(&s);
	full = fopen("/dev/full", "w");
	if (!full) {
		printf("     (skipped: no /dev/full)\n");
		free_secrets(&s);
		return;
	}
	setvbuf(full, NULL, _IONBF, 0);
	if (!fx_setup(&x, false))
		goto out;
	x.fd.out = full;
	if (!fx_exec(&x, "true", 4, "/usr/bin/true", s.argv, s.argv_len, s.env, s.env_len))
		goto out;
	CHECK(cw_exec_handle(&x.exec, &x.ev) < 0);
out:
	fx_teardown(&x);
	fclose(full);
	free_secrets(&s);
}

/* A pod's exec tells where its API server is: its cgroup's service address. */
TEST(exec_environment_names_the_api_server)
{
	static const char argv[] = "/controller\0";
	static const char env[] = "HOME=/\0KUBERNETES_SERVICE_HOST=10.96.0.1\0"
				  "KUBERNETES_SERVICE_PORT=443\0";
	struct cw_dest d = { .server = "10.96.0.1", .ip = "10.96.0.1", .port = 443 };
	struct cw_apiservers *apis;
	struct fx x;

	REQUIRE(cw_apiservers_new(&(struct cw_apiservers_opts){ .root = "/nonexistent" }, &apis) ==
		0);
	REQUIRE(fx_setup(&x, false));
	x.exec.apis = apis;
	REQUIRE(fx_exec(&x, "controller", 10, "/controller", argv, sizeof(argv) - 1, env,
			sizeof(env) - 1));
	d.cgroup_id = 9001;
	CHECK(!cw_apiservers_match(apis, &d));
	CHECK_EQ_INT(cw_exec_handle(&x.exec, &x.ev), 0);
	CHECK(cw_apiservers_match(apis, &d));
	d.cgroup_id = 9002;
	CHECK(!cw_apiservers_match(apis, &d));
	fx_teardown(&x);
	cw_apiservers_free(apis);
}

/* What the writer hands the outputs: the line, its event.id, and its action and rule. */
struct put_log {
	size_t n;
	char id[2][CW_EVENT_ID_LEN + 1];
	char line_id[2][CW_EVENT_ID_LEN + 1];
	char action[2][64], rule[2][64];
	bool alert[2];
	struct cw_finding_writer *f;
};

static int put_record(void *arg, const char *line, size_t len, const char *event_id, bool alert)
{
	struct put_log *p = arg;
	struct jc_node *v;
	char err[128];
	const char *id;

	if (p->n >= 2)
		return -E2BIG;
	v = jc_parse(line, len, err, sizeof(err));
	if (!v)
		return -EINVAL;
	id = jc_str(v, "event.id");
	snprintf(p->line_id[p->n], sizeof(p->line_id[0]), "%s", id ? id : "");
	snprintf(p->id[p->n], sizeof(p->id[0]), "%s", event_id);
	snprintf(p->action[p->n], sizeof(p->action[0]), "%s", p->f->cur_action);
	snprintf(p->rule[p->n], sizeof(p->rule[0]), "%s", p->f->cur_rule);
	p->alert[p->n++] = alert;
	CHECK_EQ_STR(jc_str(v, "ecs.version"), CW_ECS_VERSION);
	jc_free(v);
	return 0;
}

/* xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx, lower-case hex */
static bool uuid_v4(const char *s)
{
	if (strlen(s) != CW_EVENT_ID_LEN || s[14] != '4' || !strchr("89ab", s[19]))
		return false;
	for (int i = 0; i < CW_EVENT_ID_LEN; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-'
							      : !strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

TEST(findings_put_gets_event_id_action_and_rule)
{
	struct fx x;
	struct put_log p = { 0 };
	char *a = tu_github_token(), *b = tu_github_token();
	char argv[256];
	int alen;

	alen = snprintf(argv, sizeof(argv), "%s%c%s", a, 0, b);
	if (!fx_setup(&x, false))
		goto out;
	p.f = &x.fd;
	x.fd.put = put_record;
	x.fd.put_arg = &p;
	if (!fx_exec(&x, "t", 1, "/t", argv, (size_t)alen, "", 0))
		goto out;
	CHECK_EQ_INT(cw_exec_handle(&x.exec, &x.ev), 0);
	CHECK_EQ_INT(x.outlen, 0); /* all of it went to put */
	REQUIRE(p.n == 2);
	for (size_t i = 0; i < 2; i++) {
		CHECK(uuid_v4(p.id[i]));
		CHECK_EQ_STR(p.line_id[i], p.id[i]);
		CHECK_EQ_STR(p.action[i], "credential-in-argv");
		CHECK_EQ_STR(p.rule[i], "github-pat-classic");
		CHECK(p.alert[i]);
	}
	CHECK(strcmp(p.id[0], p.id[1]));
out:
	fx_teardown(&x);
	free(a);
	free(b);
}
