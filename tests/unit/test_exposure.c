// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* judge/exposure: ownership, shared, unexpected reader, long-lived, hardcoded, dedup; policies
 * in Kubernetes terms (labels, service account) deciding alerts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/fingerprint.h"
#include "exposure_fixture.h"
#include "judge/exposure.h"
#include "test.h"
#include "testutil.h"
#include "util/codec.h"

/* How many output lines have this event.action. */
static int count_action(struct xfx *x, const char *action)
{
	char needle[128];
	int n = 0;

	fflush(x->f);
	snprintf(needle, sizeof(needle), "\"action\":\"%s\"", action);
	for (const char *p = x->out; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static struct cw_actor actor(const char *exe, uint32_t pid)
{
	struct cw_actor a = {
		.pid = pid, .uid = 0, .cgroup_id = 0, .exe = exe, .comm = "x", .ktime_ns = 1
	};

	return a;
}

static void fp_of(struct xfx *x, const char *secret, char fp[CW_FP_HEX_LEN + 1])
{
	cw_fingerprint(&x->key, secret, strlen(secret), fp);
}

TEST(exposure_owners_egress_shared_dedup)
{
	struct xfx x;
	char *tok = tu_github_token(), fp[CW_FP_HEX_LEN + 1];
	struct cw_match m;
	struct cw_actor a = actor("/srv/a", 100), b = actor("/srv/b", 200),
			c = actor("/srv/c", 300);
	struct cw_load env = { .source = CW_PROV_ENV, .detail = "GITHUB_TOKEN" };
	struct cw_load argv = { .source = CW_PROV_ARGV, .detail = "" };
	struct cw_egress_verdict v;

	REQUIRE(xfx_setup(&x, NULL));
	m = (struct cw_match){ .rule = x.gh, .secret = tok, .len = strlen(tok) };
	fp_of(&x, tok, fp);

	/* unknown credential: nothing to judge */
	cw_exposure_egress(&x.x, &m, fp, &b, "api.github.com:443", &v);
	CHECK(!v.known && !v.not_owner);

	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &a, &env), 0);
	CHECK_EQ_INT(count_action(&x, "credential-shared"), 0);
	/* argv is recorded but makes no owner */
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &b, &argv), 0);
	cw_exposure_egress(&x.x, &m, fp, &b, "evil.test:443", &v);
	CHECK(v.known && v.not_owner);
	CHECK_EQ_STR(v.sender, "exe:/srv/b uid:0");
	cw_exposure_egress(&x.x, &m, fp, &a, "api.github.com:443", &v);
	CHECK(v.known && !v.not_owner);

	/* a second workload loads it: shared, once per window */
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &c, &env), 0);
	CHECK_EQ_INT(count_action(&x, "credential-shared"), 1);
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &c, &env), 0);
	CHECK_EQ_INT(count_action(&x, "credential-shared"), 1);
	CHECK(strstr(x.out, "\"id\":\"NHI-09\"") != NULL);
	CHECK(strstr(x.out, "exe:/srv/a uid:0") != NULL);

	/* dedup: suppressed within the window, then one report counting them */
	{
		uint64_t n = 0;

		CHECK(cw_exposure_dedup(&x.x, fp, "w", "credential-egress", &n));
		CHECK_EQ_INT((int)n, 1);
		CHECK(!cw_exposure_dedup(&x.x, fp, "w", "credential-egress", &n));
		CHECK(!cw_exposure_dedup(&x.x, fp, "w", "credential-egress", &n));
		CHECK(cw_exposure_dedup(&x.x, fp, "w2", "credential-egress", &n));
		xfx_now += (int64_t)x.pol.dedup_window;
		CHECK(cw_exposure_dedup(&x.x, fp, "w", "credential-egress", &n));
		CHECK_EQ_INT((int)n, 3);
	}
	/* the provenance holds loaders and users, never the secret */
	{
		struct cw_prov_cred *pc = cw_prov_find(&x.prov, fp);

		REQUIRE(pc != NULL);
		CHECK_EQ_INT((int)cw_prov_loaders(pc), 3); /* a, b (argv), c */
		CHECK(pc->nuses >= 2);
		CHECK(strstr(pc->redacted, tok) == NULL);
	}
	fflush(x.f);
	CHECK(!tu_contains(x.out, x.outlen, tok, strlen(tok)));
	xfx_teardown(&x);
	free(tok);
}

TEST(exposure_unexpected_reader_and_hardcoded)
{
	struct xfx x;
	char *tok = tu_github_token(), fp[CW_FP_HEX_LEN + 1];
	struct cw_match m;
	struct cw_actor cat = actor("/usr/bin/cat", 10), app = actor("/srv/app", 11);
	struct cw_load sa = { .source = CW_PROV_FILE,
			      .detail = "/var/run/secrets/kubernetes.io/serviceaccount/token" };
	struct cw_load baked = { .source = CW_PROV_FILE, .detail = "/app/.env", .in_image = true };
	struct cw_egress_verdict v;

	REQUIRE(xfx_setup(&x, NULL));
	m = (struct cw_match){ .rule = x.gh, .secret = tok, .len = strlen(tok) };
	fp_of(&x, tok, fp);
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &cat, &sa), 0);
	CHECK_EQ_INT(count_action(&x, "credential-unexpected-reader"), 1);
	CHECK(strstr(x.out, "\"id\":\"NHI-10\"") != NULL);
	/* the denied reader did not become an owner */
	cw_exposure_egress(&x.x, &m, fp, &cat, "", &v);
	CHECK(!v.known);
	/* an application reading it is fine */
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &app, &sa), 0);
	CHECK_EQ_INT(count_action(&x, "credential-unexpected-reader"), 1);
	cw_exposure_egress(&x.x, &m, fp, &app, "", &v);
	CHECK(v.known && !v.not_owner);
	/* from the image */
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &app, &baked), 0);
	CHECK_EQ_INT(count_action(&x, "credential-hardcoded"), 1);
	CHECK(strstr(x.out, "\"path\":\"/app/.env\"") != NULL);
	xfx_teardown(&x);
	free(tok);
}

TEST(exposure_long_lived_static)
{
	struct xfx x;
	char *tok = tu_github_token(), fp[CW_FP_HEX_LEN + 1];
	struct cw_match m;
	struct cw_actor a = actor("/srv/a", 100);
	struct cw_load env = { .source = CW_PROV_ENV, .detail = "T" };

	REQUIRE(xfx_setup(&x, NULL));
	m = (struct cw_match){ .rule = x.gh, .secret = tok, .len = strlen(tok) };
	fp_of(&x, tok, fp);
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &a, &env), 0);
	CHECK_EQ_INT(count_action(&x, "credential-long-lived"), 0);
	xfx_now += 29 * 86400;
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &a, &env), 0);
	CHECK_EQ_INT(count_action(&x, "credential-long-lived"), 0);
	xfx_now += 2 * 86400;
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &a, &env), 0);
	CHECK_EQ_INT(count_action(&x, "credential-long-lived"), 1);
	CHECK(strstr(x.out, "\"id\":\"NHI-07\"") != NULL);
	CHECK(strstr(x.out, "in use for 31 days") != NULL);
	/* said once a day, not once per dedup window */
	xfx_now += 2 * (int64_t)x.pol.dedup_window;
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &a, &env), 0);
	CHECK_EQ_INT(count_action(&x, "credential-long-lived"), 1);
	xfx_now += 86400;
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &a, &env), 0);
	CHECK_EQ_INT(count_action(&x, "credential-long-lived"), 2);
	xfx_teardown(&x);
	free(tok);
}

TEST(exposure_policy_binding_owners_and_destinations)
{
	static const char pol[] = "workloads:\n"
				  "  - name: deployer\n"
				  "    executable: /srv/deploy*\n"
				  "credentials:\n"
				  "  - rule: github-*\n"
				  "    owners: [deployer]\n"
				  "    destinations: [git.internal.example]\n";
	struct xfx x;
	char *tok = tu_github_token(), fp[CW_FP_HEX_LEN + 1];
	struct cw_match m;
	struct cw_actor d = actor("/srv/deployer", 1), o = actor("/srv/other", 2);
	struct cw_egress_verdict v;
	const struct cw_strv *dst;

	REQUIRE(xfx_setup(&x, pol));
	m = (struct cw_match){ .rule = x.gh, .secret = tok, .len = strlen(tok) };
	fp_of(&x, tok, fp);
	/* bound explicitly: judged even before anyone loaded it */
	cw_exposure_egress(&x.x, &m, fp, &o, "", &v);
	CHECK(v.known && v.not_owner);
	cw_exposure_egress(&x.x, &m, fp, &d, "", &v);
	CHECK(v.known && !v.not_owner);
	CHECK_EQ_STR(v.sender, "exe:/srv/deployer uid:0");
	dst = cw_exposure_destinations(&v, x.gh);
	REQUIRE(dst->n == 1);
	CHECK_EQ_STR(dst->v[0], "git.internal.example");
	xfx_teardown(&x);
	free(tok);
}

TEST(exposure_inherited_environment_is_not_sharing)
{
	struct xfx x;
	char *tok = tu_github_token(), fp[CW_FP_HEX_LEN + 1];
	struct cw_match m;
	/* a python shim (pid 100) and the helpers it spawns, each a different executable;
	 * one of them runs as another user (sudo -E) */
	struct cw_actor shim = actor("/usr/bin/bash", 100), py = actor("/usr/bin/python3", 101),
			helper = actor("/usr/bin/basename", 102), other = actor("/srv/other", 300);
	struct cw_load env = { .source = CW_PROV_ENV, .detail = "GITHUB_TOKEN" };
	struct cw_egress_verdict v;

	REQUIRE(xfx_setup(&x, NULL));
	m = (struct cw_match){ .rule = x.gh, .secret = tok, .len = strlen(tok) };
	fp_of(&x, tok, fp);
	shim.ppid = 50;
	py.ppid = 100;
	py.ktime_ns = 2;
	helper.ppid = 101;
	helper.uid = 1000;
	helper.ktime_ns = 3;
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &shim, &env), 0);
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &py, &env), 0);
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &helper, &env), 0);
	CHECK_EQ_INT(count_action(&x, "credential-shared"), 0);
	/* the child sends it for the workload that first had it: not foreign egress */
	cw_exposure_egress(&x.x, &m, fp, &helper, "api.github.com:443", &v);
	CHECK(v.known && !v.not_owner);
	CHECK_EQ_STR(v.sender, "exe:/usr/bin/bash uid:0");
	/* one owner: the inventory lists only the first holder */
	{
		const struct cw_prov_cred *c = cw_prov_find(&x.prov, fp);

		REQUIRE(c);
		for (size_t i = 0; i < c->norigins; i++)
			CHECK_EQ_STR(c->origins[i].workload, "exe:/usr/bin/bash uid:0");
	}
	/* a process that did not inherit it (another parent) is another workload */
	other.ppid = 60;
	other.ktime_ns = 4;
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &other, &env), 0);
	CHECK_EQ_INT(count_action(&x, "credential-shared"), 1);
	/* and the same value in another variable of a child is a load of its own */
	{
		struct cw_actor child = actor("/srv/child", 103);
		struct cw_load env2 = { .source = CW_PROV_ENV, .detail = "RENAMED" };

		child.ppid = 101;
		child.ktime_ns = 5;
		CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &child, &env2), 0);
		CHECK_EQ_INT(count_action(&x, "credential-shared"), 2);
	}
	xfx_teardown(&x);
	free(tok);
}

TEST(exposure_host_workload_is_the_process_tree)
{
	struct xfx x;
	char *tok = tu_github_token(), fp[CW_FP_HEX_LEN + 1], key[CW_PROV_STR];
	struct cw_match m;
	struct cw_actor job = actor("/usr/bin/curl", 302), job2 = actor("/usr/bin/git", 303),
			ssh = actor("/usr/bin/python3", 402);
	struct cw_load file = { .source = CW_PROV_FILE, .detail = "/etc/app/token" };
	struct cw_subject s;

	REQUIRE(xfx_setup(&x, NULL));
	REQUIRE((x.x.procs = cw_procs_new(x.dir))); /* an empty /proc: only exec events */
	m = (struct cw_match){ .rule = x.gh, .secret = tok, .len = strlen(tok) };
	fp_of(&x, tok, fp);
	/* cron (started by init) -> sh -> curl and git: one job; sshd -> bash -> python3 */
	cw_procs_exec(x.x.procs, 300, 1, 0, "/usr/sbin/cron", 14);
	cw_procs_exec(x.x.procs, 301, 300, 0, "/bin/sh", 7);
	cw_procs_exec(x.x.procs, 302, 301, 0, "/usr/bin/curl", 13);
	cw_procs_exec(x.x.procs, 303, 301, 0, "/usr/bin/git", 12);
	cw_procs_exec(x.x.procs, 400, 1, 0, "/usr/sbin/sshd", 14);
	cw_procs_exec(x.x.procs, 401, 400, 0, "/bin/bash", 9);
	cw_procs_exec(x.x.procs, 402, 401, 0, "/usr/bin/python3", 16);
	cw_exposure_subject(&x.x, &job, &s, key);
	CHECK_EQ_STR(key, "tree:/usr/sbin/cron uid:0");
	/* two programs of one job read the credential: one workload, nothing shared */
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &job, &file), 0);
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &job2, &file), 0);
	CHECK_EQ_INT(count_action(&x, "credential-shared"), 0);
	/* another tree (an ssh command) reading it is another workload */
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &ssh, &file), 0);
	CHECK_EQ_INT(count_action(&x, "credential-shared"), 1);
	CHECK(strstr(x.out, "\"workload\":\"tree:/usr/sbin/sshd uid:0\"") != NULL);
	/* a process whose tree cannot be known: its own executable */
	{
		struct cw_actor lost = actor("/srv/lost", 999);

		cw_exposure_subject(&x.x, &lost, &s, key);
		CHECK_EQ_STR(key, "exe:/srv/lost uid:0");
	}
	cw_procs_free(x.x.procs);
	x.x.procs = NULL;
	xfx_teardown(&x);
	free(tok);
}

/* Pods on one node, as the metadata client learns them (host/podmeta.h). */
#define UID_PAY "0b8d6a1e-5c3f-4a2b-9e71-2d4c6f8a0b11"
#define UID_DBG "0b8d6a1e-5c3f-4a2b-9e71-2d4c6f8a0b22"
#define UID_NEW "0b8d6a1e-5c3f-4a2b-9e71-2d4c6f8a0b33"
#define UID_DEV "0b8d6a1e-5c3f-4a2b-9e71-2d4c6f8a0b44"
#define CID(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

/* A Pod object as the API server lists it: one container, its status, its owner. */
static json_t *pod_obj(const char *ns, const char *name, const char *uid, const char *sa,
		       const char *labels, const char *owners, const char *container,
		       const char *image, const char *id)
{
	char buf[4096];
	json_t *v;

	snprintf(buf, sizeof(buf),
		 "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"%s\", "
		 "\"namespace\": \"%s\", \"uid\": \"%s\", \"resourceVersion\": \"4711\", "
		 "\"labels\": %s, \"ownerReferences\": %s}, \"spec\": {\"nodeName\": \"node-1\", "
		 "\"serviceAccountName\": \"%s\", \"containers\": [{\"name\": \"%s\", "
		 "\"image\": \"%s\"}]}, \"status\": {\"phase\": \"Running\", "
		 "\"containerStatuses\": [{\"name\": \"%s\", \"image\": \"%s\", \"imageID\": \"\", "
		 "\"containerID\": \"containerd://%s\"}]}}",
		 name, ns, uid, labels, owners, sa, container, image, container, image, id);
	v = json_loads(buf, 0, NULL);
	if (!v)
		cw_test_fail(__FILE__, __LINE__, "pod fixture JSON");
	return v;
}

/* The payments Deployment's pod (labels app=payments, tier=backend; service account api)
 * and a bare debug pod (app=debug, service account default), in namespace shop. */
static json_t *pay_pod(void)
{
	return pod_obj("shop", "payments-7d4b9cf5d8-x2x5z", UID_PAY, "api",
		       "{\"app\": \"payments\", \"tier\": \"backend\", "
		       "\"pod-template-hash\": \"7d4b9cf5d8\"}",
		       "[{\"apiVersion\": \"apps/v1\", \"kind\": \"ReplicaSet\", "
		       "\"name\": \"payments-7d4b9cf5d8\", \"uid\": \"r1\", \"controller\": true}]",
		       "app", "ghcr.io/acme/payments:1.4.2", CID("a1"));
}

static json_t *dbg_pod(void)
{
	return pod_obj("shop", "debug", UID_DBG, "default", "{\"app\": \"debug\"}", "[]", "shell",
		       "busybox:1.36", CID("b2"));
}

/* A Kubernetes service-account token (a JWT) for NS/SA, random signature. */
static char *sa_token(const char *ns, const char *sa)
{
	static const char hdr[] = "{\"alg\":\"RS256\",\"kid\":\"k1\"}";
	char payload[512], *sig = tu_secret("%{alnum:86}"), *out = malloc(2048);
	char h64[128], p64[800];
	int n = snprintf(
		payload, sizeof(payload),
		"{\"aud\":[\"https://kubernetes.default.svc\"],\"exp\":%lld,\"iat\":%lld,"
		"\"iss\":\"https://kubernetes.default.svc.cluster.local\","
		"\"kubernetes.io\":{\"namespace\":\"%s\",\"serviceaccount\":{\"name\":\"%s\"}},"
		"\"sub\":\"system:serviceaccount:%s:%s\"}",
		(long long)xfx_now + 3600, (long long)xfx_now, ns, sa, ns, sa);

	cw_base64url_encode((const unsigned char *)hdr, strlen(hdr), h64);
	cw_base64url_encode((const unsigned char *)payload, (size_t)n, p64);
	snprintf(out, 2048, "%s.%s.%s", h64, p64, sig);
	free(sig);
	return out;
}

/*
 * A policy by label and one by service account decide alerts: the bound owners by label
 * send the token, a pod of another label is not an owner; a reader allowed by service
 * account reads its file, another pod's read is an alert. A pod whose metadata is not known
 * yet is not judged by it (no alert it cannot back) but is still judged by its namespace.
 */
TEST(exposure_policy_by_pod_labels_and_service_account)
{
	static const char pol[] = "workloads:\n"
				  "  - name: payments\n"
				  "    namespace: shop\n"
				  "    selector:\n"
				  "      matchLabels: {app: payments}\n"
				  "      matchExpressions:\n"
				  "        - {key: tier, operator: In, values: [backend, api]}\n"
				  "  - name: api-sa\n"
				  "    namespace: shop\n"
				  "    service_account: shop/api\n"
				  "credentials:\n"
				  "  - rule: github-*\n"
				  "    owners: [payments]\n"
				  "readers:\n"
				  "  - paths: [/etc/shop/api-key]\n"
				  "    allow: [api-sa]\n";
	struct xfx x;
	char *tok = tu_github_token(), fp[CW_FP_HEX_LEN + 1];
	struct cw_match m;
	struct cw_actor pay = actor("/app/server", 10), dbg = actor("/bin/busybox", 20),
			fresh = actor("/app/server", 30), dev = actor("/app/server", 40);
	struct cw_load key = { .source = CW_PROV_FILE, .detail = "/etc/shop/api-key" };
	struct cw_egress_verdict v;

	json_t *pay_o = pay_pod(), *dbg_o = dbg_pod();

	REQUIRE(xfx_setup(&x, pol));
	pay.cgroup_id =
		xfx_pod(&x, "shop", "payments-7d4b9cf5d8-x2x5z", UID_PAY, "app", CID("a1"), pay_o);
	dbg.cgroup_id = xfx_pod(&x, "shop", "debug", UID_DBG, "shell", CID("b2"), dbg_o);
	/* a new replica whose metadata the client has not learned yet; one in another namespace */
	fresh.cgroup_id =
		xfx_pod(&x, "shop", "payments-7d4b9cf5d8-q9w8e", UID_NEW, "app", CID("c3"), NULL);
	dev.cgroup_id =
		xfx_pod(&x, "dev", "payments-5f6d7c8b9a-k2l3m", UID_DEV, "app", CID("d4"), NULL);
	REQUIRE(pay.cgroup_id && dbg.cgroup_id && fresh.cgroup_id && dev.cgroup_id);
	m = (struct cw_match){ .rule = x.gh, .secret = tok, .len = strlen(tok) };
	fp_of(&x, tok, fp);

	/* by label: the payments pods own the token, the debug pod in its namespace does not */
	cw_exposure_egress(&x.x, &m, fp, &pay, "api.github.com:443", &v);
	CHECK(v.known && !v.not_owner);
	cw_exposure_egress(&x.x, &m, fp, &dbg, "paste.example.net:443", &v);
	CHECK(v.known && v.not_owner);
	CHECK_EQ_STR(v.sender, "k8s:shop/debug");
	/* unknown labels: not called a non-owner; but another namespace is decided */
	cw_exposure_egress(&x.x, &m, fp, &fresh, "api.github.com:443", &v);
	CHECK(v.known && !v.not_owner);
	cw_exposure_egress(&x.x, &m, fp, &dev, "api.github.com:443", &v);
	CHECK(v.known && v.not_owner);

	/* by service account: the reader of the key */
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &pay, &key), 0);
	CHECK_EQ_INT(count_action(&x, "credential-unexpected-reader"), 0);
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &dbg, &key), 0);
	CHECK_EQ_INT(count_action(&x, "credential-unexpected-reader"), 1);
	fflush(x.f);
	CHECK(strstr(x.out, "only workloads allowed by test.yaml:15 may read this file (api-sa)"));
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &fresh, &key), 0);
	CHECK_EQ_INT(count_action(&x, "credential-unexpected-reader"), 1);
	CHECK_EQ_INT(cw_exposure_load(&x.x, &m, fp, &dev, &key), 0);
	CHECK_EQ_INT(count_action(&x, "credential-unexpected-reader"), 2);
	xfx_teardown(&x);
	json_decref(pay_o);
	json_decref(dbg_o);
	free(tok);
}

/* A service-account token bound by its subject to the pods of that service account. */
TEST(exposure_service_account_token_binding)
{
	static const char pol[] = "workloads:\n"
				  "  - {name: api-sa, service_account: shop/api}\n"
				  "credentials:\n"
				  "  - service_account: shop/api\n"
				  "    owners: [api-sa]\n"
				  "    destinations: ['@kubernetes-apiserver']\n";
	struct xfx x;
	char *mine = sa_token("shop", "api"), *other = sa_token("shop", "default"),
	     fp[CW_FP_HEX_LEN + 1], fp2[CW_FP_HEX_LEN + 1];
	const struct cw_rule *k8s = NULL;
	struct cw_match m;
	struct cw_actor pay = actor("/app/server", 10), dbg = actor("/bin/busybox", 20);
	struct cw_egress_verdict v;

	json_t *pay_o = pay_pod(), *dbg_o = dbg_pod();

	REQUIRE(xfx_setup(&x, pol));
	for (size_t i = 0; i < x.rs->n; i++)
		if (!strcmp(x.rs->rules[i].id, "kubernetes-service-account-token"))
			k8s = &x.rs->rules[i];
	REQUIRE(k8s);
	pay.cgroup_id =
		xfx_pod(&x, "shop", "payments-7d4b9cf5d8-x2x5z", UID_PAY, "app", CID("a1"), pay_o);
	dbg.cgroup_id = xfx_pod(&x, "shop", "debug", UID_DBG, "shell", CID("b2"), dbg_o);
	REQUIRE(pay.cgroup_id && dbg.cgroup_id);
	m = (struct cw_match){ .rule = k8s, .secret = mine, .len = strlen(mine) };
	fp_of(&x, mine, fp);
	cw_exposure_egress(&x.x, &m, fp, &pay, "10.96.0.1:443", &v);
	REQUIRE(v.binding == &x.pol.creds[0]);
	CHECK(v.known && !v.not_owner);
	cw_exposure_egress(&x.x, &m, fp, &dbg, "10.96.0.1:443", &v);
	CHECK(v.known && v.not_owner);
	/* another service account's token: not this binding's */
	m = (struct cw_match){ .rule = k8s, .secret = other, .len = strlen(other) };
	fp_of(&x, other, fp2);
	cw_exposure_egress(&x.x, &m, fp2, &dbg, "10.96.0.1:443", &v);
	CHECK(v.binding == NULL && !v.not_owner);
	xfx_teardown(&x);
	json_decref(pay_o);
	json_decref(dbg_o);
	free(mine);
	free(other);
}
