// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* host/podmeta: Pod objects as the kubelet and the API server return them (fixtures in
 * tests/fixtures/kubernetes/), the cache's list, watch, bounds, eviction and lifetimes. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/podmeta.h"
#include "jsoncheck.h"
#include "test.h"
#include "testutil.h"

#define NODE "cw-node-1"

/* tests/fixtures/kubernetes/NAME */
static json_t *fixture(const char *name)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "kubernetes/%s", name);
	return tu_json_fixture(rel);
}

/* The watch stream's events, one JSON value a line. */
static size_t watch_events(json_t **ev, size_t cap)
{
	char path[512], *line = NULL;
	size_t n = 0, lcap = 0;
	json_error_t jerr;
	FILE *f;

	f = fopen(tu_fixture_path(path, sizeof(path), "kubernetes/apiserver-watch.jsonl"), "re");
	if (!f)
		return 0;
	while (n < cap && getline(&line, &lcap, f) > 0)
		if ((ev[n] = json_loads(line, 0, &jerr)))
			n++;
	free(line);
	fclose(f);
	return n;
}

static void free_events(json_t **ev, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(ev[i]);
}

/* The list's item whose metadata.name starts with prefix. */
static json_t *item(json_t *list, const char *prefix)
{
	size_t i;
	json_t *it;

	json_array_foreach (json_object_get(list, "items"), i, it) {
		const char *name =
			json_string_value(json_object_get(json_object_get(it, "metadata"), "name"));

		if (name && !strncmp(name, prefix, strlen(prefix)))
			return it;
	}
	return NULL;
}

static const char *jpath(json_t *v, const char *a, const char *b)
{
	return json_string_value(json_object_get(json_object_get(v, a), b));
}

/* status.<key>[i].containerID without its "containerd://" */
static const char *status_cid(json_t *pod, const char *key, size_t i)
{
	const char *s = json_string_value(json_object_get(
		json_array_get(json_object_get(json_object_get(pod, "status"), key), i),
		"containerID"));
	const char *sep = s ? strstr(s, "://") : NULL;

	return sep ? sep + 3 : "";
}

static struct cw_pods *new_cache(const char *node, const char *const *globs, size_t nglobs,
				 size_t max)
{
	struct cw_pods_opts o = {
		.max_pods = max, .annotations = globs, .nannotations = nglobs, .node = node
	};
	struct cw_pods *c = NULL;

	if (cw_pods_new(&o, &c))
		cw_test_fail(__FILE__, __LINE__, "cw_pods_new failed");
	return c;
}

static struct cw_pod *parse(struct cw_pods *c, json_t *pod)
{
	struct cw_pod *p = NULL;
	char err[256] = "";

	if (!pod || cw_pod_parse(c, pod, &p, err, sizeof(err)))
		cw_test_fail(__FILE__, __LINE__, "cw_pod_parse: %s", err);
	return p;
}

TEST(podmeta_parse_kubelet_pods)
{
	json_t *list = fixture("kubelet-pods.json");
	struct cw_pods *c = new_cache(NULL, NULL, 0, 0);
	struct cw_pod *p;
	json_t *it;

	REQUIRE(list && c);
	/* a Deployment's pod, through its ReplicaSet */
	it = item(list, "api-");
	REQUIRE((p = parse(c, it)));
	CHECK_EQ_STR(p->uid, jpath(it, "metadata", "uid"));
	CHECK_EQ_STR(p->uid, "31e6ac5e-7520-468d-a89b-8b92f746dc42");
	CHECK_EQ_STR(p->namespace_, "payments");
	CHECK_EQ_STR(p->name, "api-7c9d8f6b5d-gkbzs");
	CHECK_EQ_STR(p->node, NODE);
	CHECK_EQ_STR(p->service_account, "payments-api");
	CHECK_EQ_STR(p->owner_kind, "Deployment");
	CHECK_EQ_STR(p->owner_name, "api");
	CHECK_EQ_STR(p->phase, "Running");
	CHECK_EQ_INT(p->resource_version, 48211);
	CHECK_EQ_INT(p->nlabels, 6);
	CHECK_EQ_STR(p->labels[0].key, "app"); /* sorted by key */
	CHECK_EQ_STR(p->labels[5].key, "version");
	CHECK_EQ_STR(cw_pod_label(p, "pod-template-hash"), "7c9d8f6b5d");
	CHECK_EQ_STR(cw_pod_label(p, "app.kubernetes.io/part-of"), "payments");
	CHECK(!cw_pod_label(p, "missing"));
	CHECK_EQ_INT(p->nannotations, 0); /* no allow-list: none kept */
	REQUIRE(p->ncontainers == 3);
	CHECK_EQ_STR(p->containers[0].name, "api");
	CHECK_EQ_STR(p->containers[0].image, "registry.example.com:5000/payments/api:1.4.2");
	CHECK(!strncmp(p->containers[0].image_id,
		       "registry.example.com:5000/payments/api@sha256:", 46));
	CHECK_EQ_STR(p->containers[0].container_id, status_cid(it, "containerStatuses", 0));
	CHECK_EQ_INT(strlen(p->containers[0].container_id), 64);
	CHECK(!p->containers[0].init);
	CHECK_EQ_STR(p->containers[1].name, "envoy");
	CHECK_EQ_STR(p->containers[2].name, "log-shipper");
	CHECK(cw_pod_container(p, status_cid(it, "containerStatuses", 2)) == &p->containers[2]);
	CHECK(!cw_pod_container(
		p, "0000000000000000000000000000000000000000000000000000000000000000"));
	CHECK(!cw_pod_container(p, ""));
	cw_pod_put(p);

	/* a StatefulSet's, with an init container (listed first) */
	it = item(list, "postgres-0");
	REQUIRE((p = parse(c, it)));
	CHECK_EQ_STR(p->owner_kind, "StatefulSet");
	CHECK_EQ_STR(p->owner_name, "postgres");
	CHECK_EQ_STR(p->service_account, "postgres");
	REQUIRE(p->ncontainers == 2);
	CHECK_EQ_STR(p->containers[0].name, "init-permissions");
	CHECK(p->containers[0].init);
	CHECK_EQ_STR(p->containers[0].container_id, status_cid(it, "initContainerStatuses", 0));
	CHECK_EQ_STR(p->containers[1].name, "postgres");
	CHECK(!p->containers[1].init);
	CHECK_EQ_STR(p->containers[1].image, "postgres:16.2");
	cw_pod_put(p);

	/* a DaemonSet's */
	REQUIRE((p = parse(c, item(list, "fluent-bit-"))));
	CHECK_EQ_STR(p->owner_kind, "DaemonSet");
	CHECK_EQ_STR(p->owner_name, "fluent-bit");
	CHECK_EQ_STR(p->namespace_, "kube-system");
	cw_pod_put(p);

	/* a CronJob's, through its Job named after the scheduled minute */
	REQUIRE((p = parse(c, item(list, "report-"))));
	CHECK_EQ_STR(p->owner_kind, "CronJob");
	CHECK_EQ_STR(p->owner_name, "report");
	cw_pod_put(p);

	/* a Job's (no scheduled-minute suffix) */
	REQUIRE((p = parse(c, item(list, "migrate-db-"))));
	CHECK_EQ_STR(p->owner_kind, "Job");
	CHECK_EQ_STR(p->owner_name, "migrate-db");
	cw_pod_put(p);

	/* a bare pod with an ephemeral debug container */
	it = item(list, "debug-shell");
	REQUIRE((p = parse(c, it)));
	CHECK_EQ_STR(p->owner_kind, "");
	CHECK_EQ_STR(p->owner_name, "");
	CHECK_EQ_STR(p->service_account, "default");
	REQUIRE(p->ncontainers == 2);
	CHECK_EQ_STR(p->containers[0].name, "shell");
	CHECK(!p->containers[0].init);
	CHECK(!strncmp(p->containers[1].name, "debugger-", 9));
	CHECK(p->containers[1].init);
	CHECK_EQ_STR(p->containers[1].container_id,
		     status_cid(it, "ephemeralContainerStatuses", 0));
	cw_pod_put(p);

	/* a static pod's mirror: owned by its Node; no service account in its spec */
	REQUIRE((p = parse(c, item(list, "node-exporter-"))));
	CHECK_EQ_STR(p->owner_kind, "Node");
	CHECK_EQ_STR(p->owner_name, NODE);
	CHECK_EQ_STR(p->service_account, "default");
	cw_pod_put(p);

	cw_pods_free(c);
	json_decref(list);
}

TEST(podmeta_owner_heuristics)
{
	json_t *list = fixture("apiserver-pods.json"), *pod, *ref, *labels;
	struct cw_pods *c = new_cache(NULL, NULL, 0, 0);
	struct cw_pod *p;
	static const struct {
		const char *kind, *name, *hash, *want_kind, *want_name;
	} cases[] = {
		{ "ReplicaSet", "api-7c9d8f6b5d", "7c9d8f6b5d", "Deployment", "api" },
		/* a ReplicaSet of its own (no Deployment: its name is not NAME-HASH) */
		{ "ReplicaSet", "frontend", "7c9d8f6b5d", "ReplicaSet", "frontend" },
		{ "ReplicaSet", "api-7c9d8f6b5d", NULL, "ReplicaSet", "api-7c9d8f6b5d" },
		{ "Job", "nightly-29939580", NULL, "CronJob", "nightly" },
		/* a date or a build number is not a scheduled minute */
		{ "Job", "backup-20240101", NULL, "Job", "backup-20240101" },
		{ "Job", "build-1234", NULL, "Job", "build-1234" },
		{ "Job", "29939580", NULL, "Job", "29939580" },
		{ "StatefulSet", "web", NULL, "StatefulSet", "web" },
		{ "MyOperatorKind", "thing", NULL, "MyOperatorKind", "thing" },
	};

	REQUIRE(list && c);
	pod = json_deep_copy(item(list, "api-"));
	REQUIRE(pod);
	ref = json_array_get(json_object_get(json_object_get(pod, "metadata"), "ownerReferences"),
			     0);
	labels = json_object_get(json_object_get(pod, "metadata"), "labels");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object_set_new(ref, "kind", json_string(cases[i].kind));
		json_object_set_new(ref, "name", json_string(cases[i].name));
		if (cases[i].hash)
			json_object_set_new(labels, "pod-template-hash",
					    json_string(cases[i].hash));
		else
			json_object_del(labels, "pod-template-hash");
		REQUIRE((p = parse(c, pod)));
		CHECK_EQ_STR(p->owner_kind, cases[i].want_kind);
		CHECK_EQ_STR(p->owner_name, cases[i].want_name);
		cw_pod_put(p);
	}
	/* the controller reference first, whatever its place */
	json_array_insert_new(
		json_object_get(json_object_get(pod, "metadata"), "ownerReferences"), 0,
		json_pack("{s:s, s:s, s:s, s:s}", "apiVersion", "v1", "kind", "ConfigMap", "name",
			  "holder", "uid", "0b6c4f0e-1f2a-4c3d-9e8f-7a6b5c4d3e2f"));
	REQUIRE((p = parse(c, pod)));
	CHECK_EQ_STR(p->owner_kind, "MyOperatorKind");
	cw_pod_put(p);
	/* no controller: the first reference */
	json_object_del(ref, "controller");
	REQUIRE((p = parse(c, pod)));
	CHECK_EQ_STR(p->owner_kind, "ConfigMap");
	cw_pod_put(p);
	json_decref(pod);
	cw_pods_free(c);
	json_decref(list);
}

TEST(podmeta_container_ids_of_each_runtime)
{
	json_t *list = fixture("apiserver-pods.json"), *pod, *st;
	struct cw_pods *c = new_cache(NULL, NULL, 0, 0);
	char id[65];
	struct cw_pod *p;
	static const struct {
		const char *prefix;
		bool kept;
	} rts[] = { { "containerd://", true },
		    { "cri-o://", true },
		    { "docker://", true },
		    { "", true },
		    { "containerd://X", false } };

	REQUIRE(list && c);
	pod = json_deep_copy(item(list, "fluent-bit-"));
	st = json_array_get(json_object_get(json_object_get(pod, "status"), "containerStatuses"),
			    0);
	for (int i = 0; i < 64; i++)
		id[i] = "0123456789abcdef"[(i * 7) % 16];
	id[64] = '\0';
	for (size_t i = 0; i < sizeof(rts) / sizeof(rts[0]); i++) {
		char cid[100];

		snprintf(cid, sizeof(cid), "%s%s", rts[i].prefix, rts[i].kept ? id : "short");
		json_object_set_new(st, "containerID", json_string(cid));
		REQUIRE((p = parse(c, pod)));
		CHECK_EQ_STR(p->containers[0].container_id, rts[i].kept ? id : "");
		cw_pod_put(p);
	}
	/* upper-case hex is not a container id the cgroup path can name */
	for (int i = 0; i < 64; i++)
		id[i] = 'A';
	json_object_set_new(st, "containerID", json_string(id));
	REQUIRE((p = parse(c, pod)));
	CHECK_EQ_STR(p->containers[0].container_id, "");
	cw_pod_put(p);
	/* a container not started yet: no status */
	json_object_del(json_object_get(pod, "status"), "containerStatuses");
	REQUIRE((p = parse(c, pod)));
	CHECK_EQ_STR(p->containers[0].container_id, "");
	CHECK_EQ_STR(p->containers[0].image_id, "");
	CHECK_EQ_STR(p->containers[0].image, "cr.fluentbit.io/fluent/fluent-bit:3.0.4");
	cw_pod_put(p);
	json_decref(pod);
	cw_pods_free(c);
	json_decref(list);
}

TEST(podmeta_rejects_what_is_not_a_pod)
{
	struct cw_pods *c = new_cache(NULL, NULL, 0, 0);
	static const char *const bad[] = {
		"[]",
		"{\"kind\":\"Status\",\"metadata\":{\"uid\":\"x\"}}",
		"{\"metadata\":{\"name\":\"no-uid\"}}",
		"{\"metadata\":{\"uid\":\"\"}}",
		"{\"metadata\":{\"uid\":\"0123456789012345678901234567890123456789x\"}}",
		"{\"kind\":\"Pod\"}",
	};
	struct cw_pod *p;
	char err[128];

	REQUIRE(c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *v = json_loads(bad[i], 0, NULL);

		err[0] = '\0';
		CHECK_EQ_INT(cw_pod_parse(c, v, &p, err, sizeof(err)), -EINVAL);
		CHECK(p == NULL);
		CHECK(err[0]);
		json_decref(v);
	}
	/* the least a pod can be: a uid; everything else empty, the service account default */
	{
		json_t *v = json_loads("{\"metadata\":{\"uid\":\"u-1\"}}", 0, NULL);

		REQUIRE(cw_pod_parse(c, v, &p, err, sizeof(err)) == 0);
		CHECK_EQ_STR(p->uid, "u-1");
		CHECK_EQ_STR(p->name, "");
		CHECK_EQ_STR(p->service_account, "default");
		CHECK_EQ_INT(p->ncontainers, 0);
		CHECK_EQ_INT(p->resource_version, 0);
		cw_pod_put(p);
		json_decref(v);
	}
	cw_pods_free(c);
}

TEST(podmeta_annotation_allow_list)
{
	static const char *const globs[] = { "prometheus.io/*", "credwatch.io/owner-team" };
	json_t *list = fixture("kubelet-pods.json");
	struct cw_pods *c = new_cache(NULL, globs, 2, 0);
	struct cw_pod *p;

	REQUIRE(list && c);
	REQUIRE((p = parse(c, item(list, "api-"))));
	/* kubectl.kubernetes.io/restartedAt and the kubelet's kubernetes.io/config.* are not */
	REQUIRE(p->nannotations == 3);
	CHECK_EQ_STR(p->annotations[0].key, "credwatch.io/owner-team");
	CHECK_EQ_STR(p->annotations[0].value, "payments");
	CHECK_EQ_STR(p->annotations[1].key, "prometheus.io/port");
	CHECK_EQ_STR(p->annotations[1].value, "9090");
	CHECK_EQ_STR(p->annotations[2].key, "prometheus.io/scrape");
	cw_pod_put(p);
	REQUIRE((p = parse(c, item(list, "fluent-bit-"))));
	CHECK_EQ_INT(p->nannotations, 0);
	cw_pod_put(p);
	cw_pods_free(c);
	json_decref(list);
}

TEST(podmeta_bounds)
{
	static const char *const globs[] = { "*" };
	struct cw_pods *c = new_cache(NULL, globs, 1, 0);
	json_t *pod = json_pack("{s:{s:s, s:s, s:s, s:{}, s:{}}}", "metadata", "uid", "u-2",
				"namespace", "ns", "name", "n", "labels", "annotations");
	json_t *labels = json_object_get(json_object_get(pod, "metadata"), "labels");
	json_t *ann = json_object_get(json_object_get(pod, "metadata"), "annotations");
	json_t *ctrs = json_array();
	char key[32], big[3000];
	struct cw_pod *p;
	size_t n;

	REQUIRE(c && pod);
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "l%03d", i);
		json_object_set_new(labels, key, json_string("v"));
		snprintf(key, sizeof(key), "a%03d", i);
		json_object_set_new(ann, key, json_string("w"));
	}
	/* 2-byte characters that a cut at 1024 bytes must not split */
	memset(big, 0, sizeof(big));
	for (n = 0; n + 2 < 2999; n += 2)
		memcpy(big + n, "\xc3\xa9", 2);
	big[n] = 'x';
	json_object_set_new(ann, "a000", json_string(big));
	memset(big, 'n', 300);
	big[300] = '\0';
	json_object_set_new(json_object_get(pod, "metadata"), "name", json_string(big));
	for (int i = 0; i < 40; i++)
		json_array_append_new(ctrs, json_pack("{s:s, s:s}", "name", "c", "image", "i"));
	json_object_set_new(pod, "spec", json_pack("{s:o}", "containers", ctrs));
	REQUIRE((p = parse(c, pod)));
	CHECK_EQ_INT(p->nlabels, 64);
	CHECK_EQ_INT(p->nannotations, 32);
	CHECK_EQ_INT(p->ncontainers, 32);
	CHECK_EQ_INT(strlen(p->name), 253);
	for (size_t i = 0; i + 1 < p->nlabels; i++)
		CHECK(strcmp(p->labels[i].key, p->labels[i + 1].key) < 0);
	for (size_t i = 0; i < p->nannotations; i++)
		if (!strcmp(p->annotations[i].key, "a000")) {
			n = strlen(p->annotations[i].value);
			CHECK(n <= 1024 && n >= 1022);
			CHECK(jc_utf8_valid(p->annotations[i].value, n));
		}
	cw_pod_put(p);
	json_decref(pod);
	cw_pods_free(c);
}

TEST(podmeta_image_split)
{
	static const struct {
		const char *image, *id, *name, *tag, *digest;
	} cases[] = {
		{ "registry.example.com:5000/payments/api:1.4.2",
		  "registry.example.com:5000/payments/api@sha256:aa11",
		  "registry.example.com:5000/payments/api", "1.4.2", "sha256:aa11" },
		/* a registry's port is not a tag */
		{ "localhost:5000/repo", "", "localhost:5000/repo", "latest", "" },
		{ "nginx", "", "nginx", "latest", "" },
		{ "postgres:16.2", "docker.io/library/postgres@sha256:bb22", "postgres", "16.2",
		  "sha256:bb22" },
		/* by digest only: no tag; the spec's digest wins over the imageID's */
		{ "ghcr.io/example/log-shipper@sha256:cc33",
		  "ghcr.io/example/log-shipper@sha256:dd44", "ghcr.io/example/log-shipper", "",
		  "sha256:cc33" },
		{ "repo:v2@sha256:ee55", "", "repo", "v2", "sha256:ee55" },
		/* Docker's imageIDs */
		{ "nginx:1.27", "docker-pullable://nginx@sha256:ff66", "nginx", "1.27",
		  "sha256:ff66" },
		{ "local/app:dev", "docker://sha256:0123", "local/app", "dev", "sha256:0123" },
		{ "", "", "", "latest", "" },
	};
	char name[64], tag[16], digest[32], small[8];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cw_image_split(cases[i].image, cases[i].id, name, sizeof(name), tag, sizeof(tag),
			       digest, sizeof(digest));
		CHECK_EQ_STR(name, cases[i].name);
		CHECK_EQ_STR(tag, cases[i].tag);
		CHECK_EQ_STR(digest, cases[i].digest);
	}
	/* cut to the buffers */
	cw_image_split("registry.example.com/a/b:1", NULL, small, sizeof(small), tag, sizeof(tag),
		       digest, sizeof(digest));
	CHECK_EQ_STR(small, "registr");
	CHECK_EQ_STR(tag, "1");
}

TEST(podmeta_list_node_filter_and_replace)
{
	json_t *api = fixture("apiserver-pods.json"), *kl = fixture("kubelet-pods.json");
	struct cw_pods *c = new_cache(NODE, NULL, 0, 0), *any = new_cache(NULL, NULL, 0, 0);
	char rv[32], err[128];
	const struct cw_pod *p;
	uint64_t v0;
	size_t bytes;

	REQUIRE(api && kl && c && any);
	CHECK_EQ_INT(cw_pods_count(c), 0);
	v0 = cw_pods_version(c);
	CHECK_EQ_INT(cw_pods_apply_list(c, api, rv, sizeof(rv), err, sizeof(err)), 7);
	CHECK_EQ_STR(rv, "48391");
	CHECK(cw_pods_version(c) != v0);
	CHECK_EQ_INT(cw_pods_count(c), 7);
	/* the other node's pod is not kept */
	CHECK(!cw_pods_get(c, "2ef954b3-453b-4b53-9489-c1fc3b6e0d16"));
	CHECK_EQ_INT(cw_pods_apply_list(any, api, rv, sizeof(rv), err, sizeof(err)), 8);
	p = cw_pods_get(any, "2ef954b3-453b-4b53-9489-c1fc3b6e0d16");
	REQUIRE(p);
	CHECK_EQ_STR(p->node, "cw-node-2");
	cw_pod_put(p);
	bytes = cw_pods_bytes(c);
	CHECK(bytes > 7 * 500 && bytes < 7 * 16384);

	/* the same list again changes nothing: same resourceVersions, same version */
	v0 = cw_pods_version(c);
	CHECK_EQ_INT(cw_pods_apply_list(c, api, NULL, 0, err, sizeof(err)), 7);
	CHECK(cw_pods_version(c) == v0);

	/* a list without two of them: they are forgotten */
	json_array_remove(json_object_get(kl, "items"), 0);
	json_array_remove(json_object_get(kl, "items"), 0);
	CHECK_EQ_INT(cw_pods_apply_list(c, kl, rv, sizeof(rv), err, sizeof(err)), 5);
	CHECK_EQ_STR(rv, ""); /* the kubelet's list has no resourceVersion */
	CHECK(!cw_pods_get(c, "31e6ac5e-7520-468d-a89b-8b92f746dc42"));
	p = cw_pods_get(c, "02939064-ea5e-4f2d-b1f0-7deb13d9c46c");
	CHECK(p && !strcmp(p->name, "fluent-bit-648sj"));
	cw_pod_put(p);
	CHECK(cw_pods_bytes(c) < bytes);

	/* not a PodList */
	CHECK_EQ_INT(cw_pods_apply_list(c, json_object_get(kl, "metadata"), rv, sizeof(rv), err,
					sizeof(err)),
		     -EINVAL);
	CHECK(strstr(err, "PodList"));
	CHECK_EQ_INT(cw_pods_count(c), 5);
	cw_pods_free(c);
	cw_pods_free(any);
	json_decref(api);
	json_decref(kl);
}

TEST(podmeta_watch_stream)
{
	json_t *api = fixture("apiserver-pods.json"), *ev[8];
	struct cw_pods *c = new_cache(NODE, NULL, 0, 0);
	size_t n = watch_events(ev, 8);
	const struct cw_pod *old, *cur, *added;
	char rv[32], err[256];
	uint64_t v;

	REQUIRE(api && c && n == 5);
	REQUIRE(cw_pods_apply_list(c, api, rv, sizeof(rv), err, sizeof(err)) == 7);
	old = cw_pods_get(c, "31e6ac5e-7520-468d-a89b-8b92f746dc42");
	REQUIRE(old);

	/* ADDED: a second api replica */
	v = cw_pods_version(c);
	CHECK_EQ_INT(cw_pods_apply_event(c, ev[0], rv, sizeof(rv), err, sizeof(err)), 0);
	CHECK_EQ_STR(rv, "48400");
	CHECK(cw_pods_version(c) != v);
	CHECK_EQ_INT(cw_pods_count(c), 8);
	added = cw_pods_get(c, "1b5e0351-b3ce-475d-b499-51209b99dca5");
	REQUIRE(added);
	CHECK_EQ_STR(added->owner_kind, "Deployment");
	CHECK_EQ_STR(added->owner_name, "api");
	cw_pod_put(added);

	/* MODIFIED: new labels, in a new snapshot; the reader's old one is unchanged */
	v = cw_pods_version(c);
	CHECK_EQ_INT(cw_pods_apply_event(c, ev[1], rv, sizeof(rv), err, sizeof(err)), 0);
	CHECK_EQ_STR(rv, "48412");
	CHECK(cw_pods_version(c) != v);
	cur = cw_pods_get(c, "31e6ac5e-7520-468d-a89b-8b92f746dc42");
	REQUIRE(cur);
	CHECK(cur != old);
	CHECK_EQ_STR(cw_pod_label(cur, "version"), "1.4.3");
	CHECK_EQ_STR(cw_pod_label(cur, "canary"), "true");
	CHECK_EQ_INT(cur->resource_version, 48412);
	CHECK_EQ_STR(cw_pod_label(old, "version"), "1.4.2");
	CHECK(!cw_pod_label(old, "canary"));
	CHECK_EQ_INT(old->resource_version, 48211);
	CHECK_EQ_STR(old->containers[0].name, "api");
	cw_pod_put(old);
	cw_pod_put(cur);

	/* DELETED: the CronJob's finished pod */
	v = cw_pods_version(c);
	CHECK_EQ_INT(cw_pods_apply_event(c, ev[2], rv, sizeof(rv), err, sizeof(err)), 0);
	CHECK_EQ_STR(rv, "48420");
	CHECK(!cw_pods_get(c, "1f8bbc08-be05-4783-a7b0-c81e64cb0679"));
	CHECK_EQ_INT(cw_pods_count(c), 7);
	CHECK(cw_pods_version(c) != v);

	/* BOOKMARK: only a resourceVersion */
	v = cw_pods_version(c);
	CHECK_EQ_INT(cw_pods_apply_event(c, ev[3], rv, sizeof(rv), err, sizeof(err)), 0);
	CHECK_EQ_STR(rv, "48433");
	CHECK(cw_pods_version(c) == v);
	CHECK_EQ_INT(cw_pods_count(c), 7);

	/* ERROR 410 Gone: the caller re-lists; its resourceVersion is left alone */
	CHECK_EQ_INT(cw_pods_apply_event(c, ev[4], rv, sizeof(rv), err, sizeof(err)), 410);
	CHECK_EQ_STR(rv, "48433");
	CHECK(strstr(err, "Expired") && strstr(err, "too old resource version"));
	CHECK_EQ_INT(cw_pods_count(c), 7);

	/* a DELETED pod that is not held, a pod moved to another node */
	CHECK_EQ_INT(cw_pods_apply_event(c, ev[2], rv, sizeof(rv), err, sizeof(err)), 0);
	json_object_set_new(json_object_get(json_object_get(ev[0], "object"), "spec"), "nodeName",
			    json_string("cw-node-2"));
	CHECK_EQ_INT(cw_pods_apply_event(c, ev[0], rv, sizeof(rv), err, sizeof(err)), 0);
	CHECK(!cw_pods_get(c, "1b5e0351-b3ce-475d-b499-51209b99dca5"));
	CHECK_EQ_INT(cw_pods_count(c), 6);
	free_events(ev, n);
	cw_pods_free(c);
	json_decref(api);
}

TEST(podmeta_watch_rejects_garbage)
{
	static const char *const bad[] = {
		"{}",
		"{\"type\":\"ADDED\"}",
		"{\"type\":\"RESYNC\",\"object\":{\"metadata\":{\"uid\":\"u\"}}}",
		"{\"type\":\"ADDED\",\"object\":{\"kind\":\"Status\",\"code\":500}}",
		"{\"type\":\"DELETED\",\"object\":{\"metadata\":{}}}",
		"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"message\":\"no code\"}}",
	};
	struct cw_pods *c = new_cache(NULL, NULL, 0, 0);
	char rv[32] = "7", err[128];
	json_t *v;

	REQUIRE(c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = json_loads(bad[i], 0, NULL);
		err[0] = '\0';
		CHECK_EQ_INT(cw_pods_apply_event(c, v, rv, sizeof(rv), err, sizeof(err)), -EINVAL);
		CHECK(err[0]);
		json_decref(v);
	}
	CHECK_EQ_STR(rv, "7");
	/* another Status code: returned as it is */
	v = json_loads("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":500,"
		       "\"reason\":\"InternalError\",\"message\":\"etcd\"}}",
		       0, NULL);
	CHECK_EQ_INT(cw_pods_apply_event(c, v, rv, sizeof(rv), err, sizeof(err)), 500);
	json_decref(v);
	CHECK_EQ_INT(cw_pods_count(c), 0);
	cw_pods_free(c);
}

/* An ADDED or MODIFIED event of the fluent-bit pod as pod number i, resourceVersion rv. */
static json_t *pod_event(json_t *list, const char *type, unsigned i, unsigned rv)
{
	json_t *pod = json_deep_copy(item(list, "fluent-bit-")), *md;
	char s[48];

	md = json_object_get(pod, "metadata");
	snprintf(s, sizeof(s), "00000000-0000-4000-8000-%012u", i);
	json_object_set_new(md, "uid", json_string(s));
	snprintf(s, sizeof(s), "fluent-bit-%u", i);
	json_object_set_new(md, "name", json_string(s));
	snprintf(s, sizeof(s), "%u", rv);
	json_object_set_new(md, "resourceVersion", json_string(s));
	return json_pack("{s:s, s:o}", "type", type, "object", pod);
}

static bool held(struct cw_pods *c, unsigned i)
{
	char uid[48];
	const struct cw_pod *p;

	snprintf(uid, sizeof(uid), "00000000-0000-4000-8000-%012u", i);
	p = cw_pods_get(c, uid);
	cw_pod_put(p);
	return p != NULL;
}

static void apply(struct cw_pods *c, json_t *ev)
{
	char err[128];

	if (cw_pods_apply_event(c, ev, NULL, 0, err, sizeof(err)))
		cw_test_fail(__FILE__, __LINE__, "event: %s", err);
	json_decref(ev);
}

TEST(podmeta_eviction_by_least_recent_update)
{
	json_t *list = fixture("kubelet-pods.json");
	struct cw_pods *c = new_cache(NULL, NULL, 0, 3);
	size_t one;

	REQUIRE(list && c);
	apply(c, pod_event(list, "ADDED", 1, 10));
	one = cw_pods_bytes(c);
	apply(c, pod_event(list, "ADDED", 2, 11));
	apply(c, pod_event(list, "ADDED", 3, 12));
	CHECK_EQ_INT(cw_pods_count(c), 3);
	/* 1 updated: 2 is now the least recently updated, and goes for 4 */
	apply(c, pod_event(list, "MODIFIED", 1, 13));
	apply(c, pod_event(list, "ADDED", 4, 14));
	CHECK_EQ_INT(cw_pods_count(c), 3);
	CHECK(held(c, 1) && !held(c, 2) && held(c, 3) && held(c, 4));
	/* an unchanged resourceVersion is no update */
	apply(c, pod_event(list, "MODIFIED", 3, 12));
	apply(c, pod_event(list, "ADDED", 5, 15));
	CHECK(held(c, 1) && !held(c, 3) && held(c, 4) && held(c, 5));
	/* the bytes follow the count: three pods of one shape */
	CHECK(cw_pods_bytes(c) > 2 * one && cw_pods_bytes(c) < 4 * one);
	cw_pods_free(c);
	json_decref(list);
}

TEST(podmeta_snapshot_outlives_its_pod_and_the_cache)
{
	json_t *list = fixture("kubelet-pods.json"), *ev;
	struct cw_pods *c = new_cache(NULL, NULL, 0, 0);
	const struct cw_pod *a, *b;
	char err[128];

	REQUIRE(list && c);
	REQUIRE(cw_pods_apply_list(c, list, NULL, 0, err, sizeof(err)) == 7);
	a = cw_pods_get(c, "d3727adc-4d6a-4197-b6a1-5517c22c80db");
	b = cw_pods_get(c, "d3727adc-4d6a-4197-b6a1-5517c22c80db");
	REQUIRE(a && a == b);
	ev = json_pack("{s:s, s:O}", "type", "DELETED", "object", item(list, "postgres-0"));
	CHECK_EQ_INT(cw_pods_apply_event(c, ev, NULL, 0, err, sizeof(err)), 0);
	json_decref(ev);
	CHECK(!cw_pods_get(c, "d3727adc-4d6a-4197-b6a1-5517c22c80db"));
	/* still readable by those holding it (ASan: no use after free) */
	CHECK_EQ_STR(a->name, "postgres-0");
	cw_pod_put(a);
	CHECK_EQ_STR(b->containers[1].name, "postgres");
	cw_pod_put(b);
	/* and past the cache itself */
	a = cw_pods_get(c, "02939064-ea5e-4f2d-b1f0-7deb13d9c46c");
	REQUIRE(a);
	cw_pods_free(c);
	CHECK_EQ_STR(a->owner_name, "fluent-bit");
	cw_pod_put(a);
	cw_pod_put(NULL);
	json_decref(list);
}

struct churn {
	struct cw_pods *c;
	json_t *ev[2];
	int rounds;
};

static void *churn_writer(void *arg)
{
	struct churn *w = arg;
	char err[128];

	for (int i = 0; i < w->rounds; i++)
		cw_pods_apply_event(w->c, w->ev[i % 2], NULL, 0, err, sizeof(err));
	return NULL;
}

/* A writer replaces a pod over and over while a reader holds, reads and drops snapshots. */
TEST(podmeta_readers_and_a_writer)
{
	json_t *list = fixture("kubelet-pods.json");
	struct churn w = { .rounds = 20000 };
	const char *uid = "00000000-0000-4000-8000-000000000007";
	unsigned seen = 0, bad = 0;
	pthread_t t;

	REQUIRE(list);
	w.c = new_cache(NULL, NULL, 0, 0);
	REQUIRE(w.c);
	w.ev[0] = pod_event(list, "MODIFIED", 7, 100);
	w.ev[1] = pod_event(list, "MODIFIED", 7, 101);
	churn_writer(&(struct churn){ .c = w.c, .ev = { w.ev[0] }, .rounds = 1 });
	REQUIRE(pthread_create(&t, NULL, churn_writer, &w) == 0);
	for (int i = 0; i < 20000; i++) {
		const struct cw_pod *p = cw_pods_get(w.c, uid);

		if (!p)
			continue;
		seen++;
		if (strcmp(p->name, "fluent-bit-7") ||
		    (p->resource_version != 100 && p->resource_version != 101) ||
		    strcmp(cw_pod_label(p, "app.kubernetes.io/name"), "fluent-bit"))
			bad++;
		cw_pod_put(p);
	}
	pthread_join(t, NULL);
	CHECK(seen > 0);
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(cw_pods_count(w.c), 1);
	json_decref(w.ev[0]);
	json_decref(w.ev[1]);
	cw_pods_free(w.c);
	json_decref(list);
}

/* A list in pages (limit/continue): pods are forgotten only when the last page is in. */
TEST(podmeta_list_in_pages)
{
	json_t *api = fixture("apiserver-pods.json"), *p1, *p2, *items;
	struct cw_pods *c = new_cache(NODE, NULL, 0, 0);
	const char *gone = "1605d3e6-a717-4100-b3d9-e21e06a5569f"; /* debug-shell */
	const struct cw_pod *p;
	char rv[32], err[128];
	unsigned gen;

	REQUIRE(api && c);
	REQUIRE(cw_pods_apply_list(c, api, rv, sizeof(rv), err, sizeof(err)) == 7);
	/* pages of 3 and 4 items (one of them the other node's), without debug-shell */
	p1 = json_deep_copy(api);
	p2 = json_deep_copy(api);
	items = json_object_get(p1, "items");
	while (json_array_size(items) > 3)
		json_array_remove(items, 3);
	items = json_object_get(p2, "items");
	for (int i = 0; i < 3; i++)
		json_array_remove(items, 0);
	json_array_remove(items, 2); /* debug-shell, the sixth item */
	gen = cw_pods_list_begin(c);
	CHECK_EQ_INT(cw_pods_list_page(c, gen, p1, rv, sizeof(rv), err, sizeof(err)), 3);
	CHECK_EQ_STR(rv, "48391");
	CHECK_EQ_INT(cw_pods_list_page(c, gen, p2, rv, sizeof(rv), err, sizeof(err)), 3);
	p = cw_pods_get(c, gone); /* still there until the list ends */
	CHECK(p != NULL);
	cw_pod_put(p);
	CHECK_EQ_INT(cw_pods_list_end(c, gen), 6);
	CHECK(!cw_pods_get(c, gone));
	CHECK_EQ_INT(cw_pods_list_page(c, gen, json_object_get(p1, "metadata"), rv, sizeof(rv), err,
				       sizeof(err)),
		     -EINVAL);
	json_decref(p1);
	json_decref(p2);
	cw_pods_free(c);
	json_decref(api);
}
