// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The pod metadata cache's memory (issue 22: 500 pods < 20 MiB). N pods made from the api
 * Deployment pod of tests/fixtures/kubernetes/kubelet-pods.json (3 containers with statuses,
 * 10 labels, 5 allow-listed annotations plus a kubectl last-applied-configuration that is not
 * kept), each with its own uid, name, label values and container ids, as 50-replica
 * Deployments. They go in as the agent's client puts them: one watch event at a time (parsed
 * from its text, applied, freed), then as a re-list in pages of 100 (limit/continue) and as one
 * PodList (the kubelet's /pods). Printed side by side with the empty cache: the cache's own
 * count (cw_pods_bytes), the heap in use (mallinfo2), the process's RSS (VmRSS), and each
 * re-list's transient peak (VmHWM, restarted through /proc/self/clear_refs).
 * usage: podmeta-memory [N] [FIXTURE_DIR]   exit 1 when N=500 costs 20 MiB or more of RSS
 */
#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/podmeta.h"

#define MiB (1024.0 * 1024.0)
#define TARGET_BYTES (20 * 1024 * 1024)

/* VmRSS or VmHWM of this process, in bytes. */
static long status_kb(const char *field)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)) && line[strlen(field)] == ':')
			kb = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(f);
	return kb * 1024;
}

/* Start VmHWM again from the current RSS (Linux 4.0+), so that each step's peak is its own. */
static void reset_peak(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "we");

	if (f) {
		fputs("5", f);
		fclose(f);
	}
}

static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static json_t *template_pod(const char *dir)
{
	char path[512];
	json_error_t jerr;
	json_t *list, *it, *out = NULL;
	size_t i;

	snprintf(path, sizeof(path), "%s/kubelet-pods.json", dir);
	list = json_load_file(path, 0, &jerr);
	if (!list) {
		fprintf(stderr, "podmeta-memory: %s: %s\n", path, jerr.text);
		return NULL;
	}
	json_array_foreach (json_object_get(list, "items"), i, it)
		if (!strncmp(json_string_value(
				     json_object_get(json_object_get(it, "metadata"), "name")),
			     "api-", 4))
			out = json_deep_copy(it);
	json_decref(list);
	return out;
}

static void hex(char *out, size_t n, unsigned long long seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		out[i] = "0123456789abcdef"[(seed >> 33) & 15];
	}
	out[n] = '\0';
}

/* Pod i: the template with its own identity, 10 labels and 7 annotations (5 kept). */
static json_t *make_pod(const json_t *tmpl, unsigned i)
{
	json_t *p = json_deep_copy(tmpl), *md = json_object_get(p, "metadata");
	json_t *labels = json_object_get(md, "labels"), *ann = json_object_get(md, "annotations");
	json_t *sts = json_object_get(json_object_get(p, "status"), "containerStatuses"), *st;
	char s[512], h[65], deploy[32], hash[11], big[2049];
	size_t k;

	snprintf(deploy, sizeof(deploy), "svc%02u", i / 50);
	hex(hash, 10, i / 50 + 1);
	hex(h, 32, i + 7);
	snprintf(s, sizeof(s), "%.8s-%.4s-4%.3s-8%.3s-%.12s", h, h + 8, h + 12, h + 15, h + 18);
	json_object_set_new(md, "uid", json_string(s));
	snprintf(s, sizeof(s), "%s-%s-%05u", deploy, hash, i);
	json_object_set_new(md, "name", json_string(s));
	snprintf(s, sizeof(s), "%s-%s", deploy, hash);
	json_object_set_new(json_array_get(json_object_get(md, "ownerReferences"), 0), "name",
			    json_string(s));
	json_object_set_new(labels, "pod-template-hash", json_string(hash));
	json_object_set_new(labels, "app", json_string(deploy));
	json_object_set_new(labels, "app.kubernetes.io/name", json_string(deploy));
	json_object_set_new(labels, "app.kubernetes.io/instance", json_string(deploy));
	json_object_set_new(labels, "app.kubernetes.io/managed-by", json_string("Helm"));
	json_object_set_new(labels, "helm.sh/chart", json_string("payments-service-3.12.0"));
	json_object_set_new(labels, "team", json_string("payments-platform"));
	json_object_set_new(ann, "credwatch.io/cost-center", json_string("cc-4711"));
	json_object_set_new(ann, "prometheus.io/path", json_string("/metrics"));
	/* what kubectl apply leaves, never kept: a copy of the whole object */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	json_object_set_new(ann, "kubectl.kubernetes.io/last-applied-configuration",
			    json_string(big));
	json_array_foreach (sts, k, st) {
		hex(h, 64, (unsigned long long)i * 3 + k + 1000);
		snprintf(s, sizeof(s), "containerd://%s", h);
		json_object_set_new(st, "containerID", json_string(s));
	}
	return p;
}

/* Pods [from, to) as one PodList page, each with resourceVersion rv. */
static json_t *make_list(const json_t *tmpl, unsigned from, unsigned to, const char *rv)
{
	json_t *list = json_pack("{s:s, s:s, s:{s:s}, s:[]}", "kind", "PodList", "apiVersion", "v1",
				 "metadata", "resourceVersion", rv, "items");
	json_t *items = json_object_get(list, "items");

	for (unsigned i = from; i < to; i++) {
		json_t *pod = make_pod(tmpl, i);

		json_object_set_new(json_object_get(pod, "metadata"), "resourceVersion",
				    json_string(rv));
		json_array_append_new(items, pod);
	}
	return list;
}

struct row {
	const char *what;
	size_t pods, bytes, heap;
	long rss;
};

static void print_row(const struct row *r, const struct row *base)
{
	printf("| %s | %zu | %.2f MiB | %.2f MiB | %.2f MiB |\n", r->what, r->pods, r->bytes / MiB,
	       ((double)r->heap - (double)base->heap) / MiB, (double)(r->rss - base->rss) / MiB);
}

int main(int argc, char **argv)
{
	static const char *const globs[] = { "prometheus.io/*", "credwatch.io/*" };
	unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 500;
	const char *dir = argc > 2 ? argv[2] : "tests/fixtures/kubernetes";
	struct cw_pods_opts o = { .annotations = globs, .nannotations = 2, .node = "cw-node-1" };
	struct row empty, events, paged, relist;
	json_t *tmpl = template_pod(dir), *list, *first;
	struct cw_pods *c;
	char err[256];
	long hwm_before, hwm_paged, hwm_whole;
	unsigned gen;
	const struct cw_pod *p;
	int ok;

	if (!tmpl || !n || cw_pods_new(&o, &c))
		return 2;
	empty = (struct row){ "empty cache", 0, cw_pods_bytes(c), heap_in_use(),
			      status_kb("VmRSS") };
	for (unsigned i = 0; i < n; i++) {
		json_t *pod = make_pod(tmpl, i), *ev;
		char *text = json_dumps(pod, JSON_COMPACT), *wrapped;

		json_decref(pod);
		if (!text || asprintf(&wrapped, "{\"type\":\"ADDED\",\"object\":%s}", text) < 0)
			return 2;
		free(text);
		ev = json_loads(wrapped, 0, NULL);
		free(wrapped);
		if (!ev || cw_pods_apply_event(c, ev, NULL, 0, err, sizeof(err))) {
			fprintf(stderr, "podmeta-memory: pod %u: %s\n", i, err);
			return 2;
		}
		json_decref(ev);
	}
	malloc_trim(0);
	events = (struct row){ "after N watch events (ADDED)", cw_pods_count(c), cw_pods_bytes(c),
			       heap_in_use(), status_kb("VmRSS") };
	/* each pod kept what it should: 10 labels, 5 annotations, 3 containers */
	first = make_pod(tmpl, 0);
	p = cw_pods_get(
		c, json_string_value(json_object_get(json_object_get(first, "metadata"), "uid")));
	json_decref(first);
	if (!p || p->nlabels != 10 || p->nannotations != 5 || p->ncontainers != 3) {
		fprintf(stderr, "podmeta-memory: the pods are not the intended shape\n");
		return 2;
	}
	cw_pod_put(p);

	/* a re-list in pages of 100 (limit/continue): one page's tree at a time */
	reset_peak();
	hwm_before = status_kb("VmRSS");
	gen = cw_pods_list_begin(c);
	for (unsigned i = 0; i < n; i += 100) {
		list = make_list(tmpl, i, i + 100 < n ? i + 100 : n, "2");
		if (cw_pods_list_page(c, gen, list, NULL, 0, err, sizeof(err)) < 0)
			return 2;
		json_decref(list);
	}
	if (cw_pods_list_end(c, gen) != (int)n)
		return 2;
	hwm_paged = status_kb("VmHWM") - hwm_before;
	malloc_trim(0);
	paged = (struct row){ "after a re-list in pages of 100", cw_pods_count(c), cw_pods_bytes(c),
			      heap_in_use(), status_kb("VmRSS") };

	/* a re-list as one PodList (the kubelet's /pods has no pages) */
	reset_peak();
	hwm_before = status_kb("VmRSS");
	list = make_list(tmpl, 0, n, "3");
	if (cw_pods_apply_list(c, list, NULL, 0, err, sizeof(err)) != (int)n) {
		fprintf(stderr, "podmeta-memory: list: %s\n", err);
		return 2;
	}
	hwm_whole = status_kb("VmHWM") - hwm_before;
	json_decref(list);
	malloc_trim(0);
	relist = (struct row){ "after a re-list as one PodList", cw_pods_count(c), cw_pods_bytes(c),
			       heap_in_use(), status_kb("VmRSS") };

	printf("| state | pods | cw_pods_bytes | heap in use, over empty | RSS, over empty |\n");
	printf("|---|---|---|---|---|\n");
	print_row(&empty, &empty);
	print_row(&events, &empty);
	print_row(&paged, &empty);
	print_row(&relist, &empty);
	printf("per pod: %.0f bytes (cache), %.0f bytes (heap)\n", (double)events.bytes / n,
	       ((double)events.heap - (double)empty.heap) / n);
	printf("transient RSS peak of a re-list (its JSON trees, freed after): in pages of 100 "
	       "+%.2f MiB, as one PodList +%.2f MiB\n",
	       (double)hwm_paged / MiB, (double)hwm_whole / MiB);
	ok = events.rss - empty.rss < TARGET_BYTES && paged.rss - empty.rss < TARGET_BYTES &&
	     relist.rss - empty.rss < TARGET_BYTES;
	if (n == 500)
		printf("target (500 pods < 20 MiB of RSS): %s\n", ok ? "met" : "NOT met");
	cw_pods_free(c);
	json_decref(tmpl);
	return n == 500 && !ok;
}
