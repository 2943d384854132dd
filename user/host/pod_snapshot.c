// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Pod objects into snapshots (pod_snapshot.h): collect the pieces that are kept, each cut at its
 * bound, then copy them into one block of the exact size: header, arrays, strings.
 *
 * Bounds (the strings are cut at a UTF-8 character boundary, the lists at their count):
 *   namespace 63 bytes, name/node/service account/owner name 253, owner kind 63, phase 31;
 *   at most 64 labels (key 317: a 253-byte prefix, '/', a 63-byte name; value 63);
 *   at most 32 allow-listed annotations (key 317, value 1024);
 *   at most 32 containers of all kinds (name 63, image and imageID 512 each).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/pod_snapshot.h"
#include "util/utf8.h"

#define POD_NS_MAX 63
#define POD_NAME_MAX 253
#define POD_KIND_MAX 63
#define POD_PHASE_MAX 31
#define POD_LABELS_MAX 64
#define POD_ANNOTATIONS_MAX 32
#define POD_KEY_MAX 317
#define POD_LABEL_VALUE_MAX 63
#define POD_ANNOTATION_VALUE_MAX 1024
#define POD_CONTAINERS_MAX 32
#define POD_CONTAINER_NAME_MAX 63
#define POD_IMAGE_MAX 512
/* A CronJob names its Jobs NAME-T, T the scheduled time in minutes since the epoch: taken as
 * such only between 2015-01-01 and 2100-01-01, so that a Job named after a date (backup-20240101)
 * or a build number stays a Job. */
#define CRON_MINUTES_MIN 23667840ULL
#define CRON_MINUTES_MAX 68374080ULL

/* What a snapshot keeps of a Pod object: pieces of its JSON strings, each cut at its bound. */
struct piece {
	const char *s;
	size_t n;
};

struct raw_kv {
	struct piece k, v;
};

struct raw_container {
	struct piece name, image, image_id;
	char cid[65];
	bool init;
};

struct raw {
	struct piece ns, name, node, sa, okind, oname, phase;
	struct raw_kv labels[POD_LABELS_MAX], ann[POD_ANNOTATIONS_MAX];
	size_t nlabels, nann;
	struct raw_container ctr[POD_CONTAINERS_MAX];
	size_t nctr;
	uint64_t rv;
};

/* s cut to at most max bytes, at a character boundary. */
static struct piece cut(const char *s, size_t max)
{
	struct piece p = { s ? s : "", 0 };

	if (s)
		p.n = cw_utf8_fit(s, max);
	return p;
}

static struct piece lit(const char *s)
{
	return (struct piece){ s, strlen(s) };
}

static int kv_cmp(const void *a, const void *b)
{
	const struct raw_kv *x = a, *y = b;
	size_t n = x->k.n < y->k.n ? x->k.n : y->k.n;
	int c = memcmp(x->k.s, y->k.s, n);

	return c ? c : (x->k.n > y->k.n) - (x->k.n < y->k.n);
}

static void collect_labels(const json_t *md, struct raw *r)
{
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)json_object_get(md, "labels"), k, v) {
		if (r->nlabels == POD_LABELS_MAX)
			break;
		if (!json_is_string(v))
			continue;
		r->labels[r->nlabels].k = cut(k, POD_KEY_MAX);
		r->labels[r->nlabels++].v = cut(json_string_value(v), POD_LABEL_VALUE_MAX);
	}
	qsort(r->labels, r->nlabels, sizeof(r->labels[0]), kv_cmp);
}

static void collect_annotations(const struct cw_pods *c, const json_t *md, struct raw *r)
{
	const char *k;
	json_t *v;

	json_object_foreach ((json_t *)json_object_get(md, "annotations"), k, v) {
		if (r->nann == POD_ANNOTATIONS_MAX)
			break;
		if (!json_is_string(v) || !cw_pods_keeps_annotation(c, k))
			continue;
		r->ann[r->nann].k = cut(k, POD_KEY_MAX);
		r->ann[r->nann++].v = cut(json_string_value(v), POD_ANNOTATION_VALUE_MAX);
	}
	qsort(r->ann, r->nann, sizeof(r->ann[0]), kv_cmp);
}

/* name ends with "-" and the digits of a plausible scheduled time in minutes: its length
 * without them, else 0. */
static size_t cron_prefix(const char *name, size_t n)
{
	const char *d = memrchr(name, '-', n);
	unsigned long long v = 0;
	size_t nd;

	if (!d || d == name)
		return 0;
	nd = (size_t)(name + n - d - 1);
	if (nd < 8 || nd > 10)
		return 0;
	for (const char *p = d + 1; p < name + n; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	return v >= CRON_MINUTES_MIN && v < CRON_MINUTES_MAX ? (size_t)(d - name) : 0;
}

/*
 * The controller: the ownerReference with controller: true (else the first one), resolved
 * through the names its controllers give: a ReplicaSet named DEPLOY-HASH, HASH the pod's
 * pod-template-hash label, is Deployment DEPLOY's; a Job named CRON-MINUTES is CronJob CRON's.
 */
static void collect_owner(const json_t *md, struct raw *r)
{
	const json_t *refs = json_object_get(md, "ownerReferences"), *o = NULL, *x;
	const char *kind, *name, *hash;
	size_t i, n, p;

	json_array_foreach (refs, i, x) {
		if (!json_is_object(x) || !cw_pod_jstr(x, "kind") || !cw_pod_jstr(x, "name"))
			continue;
		if (json_is_true(json_object_get(x, "controller"))) {
			o = x;
			break;
		}
		if (!o)
			o = x;
	}
	if (!o)
		return;
	kind = cw_pod_jstr(o, "kind");
	name = cw_pod_jstr(o, "name");
	n = strlen(name);
	r->okind = cut(kind, POD_KIND_MAX);
	r->oname = cut(name, POD_NAME_MAX);
	hash = cw_pod_jstr(json_object_get(md, "labels"), "pod-template-hash");
	if (!strcmp(kind, "ReplicaSet") && hash && hash[0] && n > strlen(hash) + 1 &&
	    name[n - strlen(hash) - 1] == '-' && !strcmp(name + n - strlen(hash), hash)) {
		r->okind = lit("Deployment");
		r->oname = cut(name, n - strlen(hash) - 1 < POD_NAME_MAX ? n - strlen(hash) - 1
									 : POD_NAME_MAX);
	} else if (!strcmp(kind, "Job") && (p = cron_prefix(name, n))) {
		r->okind = lit("CronJob");
		r->oname = cut(name, p < POD_NAME_MAX ? p : POD_NAME_MAX);
	}
}

/* "containerd://<64 hex>" (or cri-o://, docker://, ...): the 64 hex, else "". */
static void container_id(const char *s, char out[65])
{
	const char *sep = s ? strstr(s, "://") : NULL;
	const char *id = sep ? sep + 3 : s;

	out[0] = '\0';
	if (!id || strlen(id) != 64)
		return;
	for (int i = 0; i < 64; i++)
		if (!strchr("0123456789abcdef", id[i]))
			return;
	memcpy(out, id, 65);
}

/* The status (imageID, containerID) of the container named name, in statuses. */
static void match_status(const json_t *statuses, struct raw_container *rc, const char *name)
{
	size_t i;
	json_t *st;

	json_array_foreach (statuses, i, st) {
		const char *sn = cw_pod_jstr(st, "name");

		if (!sn || strcmp(sn, name))
			continue;
		rc->image_id = cut(cw_pod_jstr(st, "imageID"), POD_IMAGE_MAX);
		container_id(cw_pod_jstr(st, "containerID"), rc->cid);
		return;
	}
}

static void collect_containers(const json_t *spec, const json_t *status, struct raw *r)
{
	static const struct {
		const char *spec, *status;
		bool init;
	} kinds[] = {
		{ "initContainers", "initContainerStatuses", true },
		{ "containers", "containerStatuses", false },
		{ "ephemeralContainers", "ephemeralContainerStatuses", true },
	};

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const json_t *list = json_object_get(spec, kinds[k].spec);
		const json_t *sts = json_object_get(status, kinds[k].status);
		size_t i;
		json_t *ct;

		json_array_foreach (list, i, ct) {
			struct raw_container *rc = &r->ctr[r->nctr];
			const char *name = cw_pod_jstr(ct, "name");

			if (r->nctr == POD_CONTAINERS_MAX)
				return;
			if (!name)
				continue;
			memset(rc, 0, sizeof(*rc));
			rc->name = cut(name, POD_CONTAINER_NAME_MAX);
			rc->image = cut(cw_pod_jstr(ct, "image"), POD_IMAGE_MAX);
			rc->image_id = cut("", 0);
			rc->init = kinds[k].init;
			match_status(sts, rc, name);
			r->nctr++;
		}
	}
}

static int collect(const struct cw_pods *c, const json_t *pod, struct raw *r, char *uid, char *err,
		   size_t errlen)
{
	const json_t *md = json_object_get(pod, "metadata");
	const json_t *spec = json_object_get(pod, "spec"), *status = json_object_get(pod, "status");
	const char *kind = cw_pod_jstr(pod, "kind"), *u, *rv, *sa;

	if (!json_is_object(pod) || (kind && strcmp(kind, "Pod"))) {
		snprintf(err, errlen, "not a Pod (kind %s)", kind ? kind : "none");
		return -EINVAL;
	}
	u = cw_pod_jstr(md, "uid");
	if (!u || !u[0] || strlen(u) >= sizeof(((struct cw_pod *)0)->uid)) {
		snprintf(err, errlen, "a Pod without a metadata.uid");
		return -EINVAL;
	}
	strcpy(uid, u);
	r->ns = cut(cw_pod_jstr(md, "namespace"), POD_NS_MAX);
	r->name = cut(cw_pod_jstr(md, "name"), POD_NAME_MAX);
	r->node = cut(cw_pod_jstr(spec, "nodeName"), POD_NAME_MAX);
	sa = cw_pod_jstr(spec, "serviceAccountName");
	if (!sa || !sa[0])
		sa = cw_pod_jstr(spec, "serviceAccount"); /* the deprecated alias */
	r->sa = cut(sa && sa[0] ? sa : "default", POD_NAME_MAX);
	r->phase = cut(cw_pod_jstr(status, "phase"), POD_PHASE_MAX);
	r->okind = r->oname = cut("", 0);
	rv = cw_pod_jstr(md, "resourceVersion");
	r->rv = rv ? strtoull(rv, NULL, 10) : 0;
	collect_labels(md, r);
	collect_annotations(c, md, r);
	collect_owner(md, r);
	collect_containers(spec, status, r);
	return 0;
}

struct arena {
	char *p, *end;
};

static const char *put(struct arena *a, struct piece pc)
{
	char *s = a->p;

	if (!pc.n)
		return "";
	memcpy(s, pc.s, pc.n);
	s[pc.n] = '\0';
	a->p += pc.n + 1;
	return s;
}

static size_t need(struct piece p)
{
	return p.n ? p.n + 1 : 0;
}

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

static struct cw_pod_snap *build(const struct raw *r, const char *uid)
{
	size_t hdr = ALIGN8(sizeof(struct cw_pod_snap));
	size_t kvs = ALIGN8((r->nlabels + r->nann) * sizeof(struct cw_kv));
	size_t ctrs = ALIGN8(r->nctr * sizeof(struct cw_pod_container));
	size_t strs = need(r->ns) + need(r->name) + need(r->node) + need(r->sa) + need(r->okind) +
		      need(r->oname) + need(r->phase);
	struct cw_kv *kv;
	struct cw_pod_container *ct;
	struct arena a;
	struct cw_pod_snap *s;
	size_t i;

	for (i = 0; i < r->nlabels; i++)
		strs += need(r->labels[i].k) + need(r->labels[i].v);
	for (i = 0; i < r->nann; i++)
		strs += need(r->ann[i].k) + need(r->ann[i].v);
	for (i = 0; i < r->nctr; i++)
		strs += need(r->ctr[i].name) + need(r->ctr[i].image) + need(r->ctr[i].image_id) +
			(r->ctr[i].cid[0] ? 65 : 0);
	s = malloc(hdr + kvs + ctrs + strs);
	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->refs = 1;
	s->bytes = hdr + kvs + ctrs + strs;
	kv = (struct cw_kv *)((char *)s + hdr);
	ct = (struct cw_pod_container *)((char *)s + hdr + kvs);
	a.p = (char *)s + hdr + kvs + ctrs;
	a.end = a.p + strs;
	strcpy(s->pod.uid, uid);
	s->pod.namespace_ = put(&a, r->ns);
	s->pod.name = put(&a, r->name);
	s->pod.node = put(&a, r->node);
	s->pod.service_account = put(&a, r->sa);
	s->pod.owner_kind = put(&a, r->okind);
	s->pod.owner_name = put(&a, r->oname);
	s->pod.phase = put(&a, r->phase);
	s->pod.resource_version = r->rv;
	for (i = 0; i < r->nlabels; i++) {
		kv[i].key = put(&a, r->labels[i].k);
		kv[i].value = put(&a, r->labels[i].v);
	}
	s->pod.labels = kv;
	s->pod.nlabels = r->nlabels;
	for (i = 0; i < r->nann; i++) {
		kv[r->nlabels + i].key = put(&a, r->ann[i].k);
		kv[r->nlabels + i].value = put(&a, r->ann[i].v);
	}
	s->pod.annotations = kv + r->nlabels;
	s->pod.nannotations = r->nann;
	for (i = 0; i < r->nctr; i++) {
		ct[i].name = put(&a, r->ctr[i].name);
		ct[i].image = put(&a, r->ctr[i].image);
		ct[i].image_id = put(&a, r->ctr[i].image_id);
		ct[i].container_id =
			r->ctr[i].cid[0] ? put(&a, (struct piece){ r->ctr[i].cid, 64 }) : "";
		ct[i].init = r->ctr[i].init;
	}
	s->pod.containers = ct;
	s->pod.ncontainers = r->nctr;
	return s;
}

int cw_pod_parse(const struct cw_pods *c, const json_t *pod, struct cw_pod **out, char *err,
		 size_t errlen)
{
	struct raw *r = calloc(1, sizeof(*r));
	char uid[sizeof(((struct cw_pod *)0)->uid)];
	struct cw_pod_snap *s;
	int ret;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	ret = collect(c, pod, r, uid, err, errlen);
	if (!ret) {
		s = build(r, uid);
		if (s)
			*out = &s->pod;
		else
			ret = -ENOMEM;
	}
	free(r);
	return ret;
}

void cw_pod_put(const struct cw_pod *p)
{
	struct cw_pod_snap *s;

	if (!p)
		return;
	s = cw_pod_snap_of(p);
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(s);
}

const struct cw_pod_container *cw_pod_container(const struct cw_pod *p, const char *container_id)
{
	if (!p || !container_id || !container_id[0])
		return NULL;
	for (size_t i = 0; i < p->ncontainers; i++)
		if (!strcmp(p->containers[i].container_id, container_id))
			return &p->containers[i];
	return NULL;
}

const char *cw_pod_label(const struct cw_pod *p, const char *key)
{
	size_t lo = 0, hi = p ? p->nlabels : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(p->labels[mid].key, key);

		if (!cmp)
			return p->labels[mid].value;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
