// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The pod metadata cache (podmeta.h). A snapshot is one allocation: its header, its arrays and
 * its strings, built from a Pod object in two steps (collect the pieces that are kept, each cut
 * at its bound, then copy them into a block of the exact size), freed when its last reference
 * goes. The cache is a uthash table by UID behind a mutex, with the same entries in a list
 * ordered by last update (the head is evicted past max_pods). Readers that only want to know
 * whether anything changed read the version counter without the lock.
 *
 * Bounds (the strings are cut at a UTF-8 character boundary, the lists at their count):
 *   namespace 63 bytes, name/node/service account/owner name 253, owner kind 63, phase 31;
 *   at most 64 labels (key 317: a 253-byte prefix, '/', a 63-byte name; value 63);
 *   at most 32 allow-listed annotations (key 317, value 1024);
 *   at most 32 containers of all kinds (name 63, image and imageID 512 each).
 */
#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/podmeta.h"
#include "util/str.h"
#include "util/table.h"
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
#define POD_DEFAULT_MAX_PODS 4096
/* A CronJob names its Jobs NAME-T, T the scheduled time in minutes since the epoch: taken as
 * such only between 2015-01-01 and 2100-01-01, so that a Job named after a date (backup-20240101)
 * or a build number stays a Job. */
#define CRON_MINUTES_MIN 23667840ULL
#define CRON_MINUTES_MAX 68374080ULL

/* A snapshot: the pod and, after it, its arrays and strings. */
struct snap {
	unsigned refs; /* atomic */
	size_t bytes;  /* the whole allocation */
	struct cw_pod pod;
};

struct entry {
	char uid[40];
	struct snap *s;	   /* the cache's reference */
	unsigned gen;	   /* the list that last named it (cw_pods_apply_list) */
	UT_hash_handle hh; /* by uid */
	struct entry *prev, *next; /* least recently updated first */
};

struct cw_pods {
	pthread_mutex_t mu;
	struct entry *by_uid, *lru;
	size_t count, bytes; /* under mu */
	unsigned gen;
	uint64_t version; /* atomic: written under mu, read without it */
	size_t max_pods;
	char **globs; /* annotation keys kept */
	size_t nglobs;
	char *node; /* NULL: any */
};

/* ---- parsing: the pieces a snapshot keeps ---- */

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

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int kv_cmp(const void *a, const void *b)
{
	const struct raw_kv *x = a, *y = b;
	size_t n = x->k.n < y->k.n ? x->k.n : y->k.n;
	int c = memcmp(x->k.s, y->k.s, n);

	return c ? c : (x->k.n > y->k.n) - (x->k.n < y->k.n);
}

static bool kept_annotation(const struct cw_pods *c, const char *key)
{
	for (size_t i = 0; i < c->nglobs; i++)
		if (!fnmatch(c->globs[i], key, 0))
			return true;
	return false;
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

	if (!c || !c->nglobs)
		return;
	json_object_foreach ((json_t *)json_object_get(md, "annotations"), k, v) {
		if (r->nann == POD_ANNOTATIONS_MAX)
			break;
		if (!json_is_string(v) || !kept_annotation(c, k))
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
		if (!json_is_object(x) || !jstr(x, "kind") || !jstr(x, "name"))
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
	kind = jstr(o, "kind");
	name = jstr(o, "name");
	n = strlen(name);
	r->okind = cut(kind, POD_KIND_MAX);
	r->oname = cut(name, POD_NAME_MAX);
	hash = jstr(json_object_get(md, "labels"), "pod-template-hash");
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
		const char *sn = jstr(st, "name");

		if (!sn || strcmp(sn, name))
			continue;
		rc->image_id = cut(jstr(st, "imageID"), POD_IMAGE_MAX);
		container_id(jstr(st, "containerID"), rc->cid);
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
			const char *name = jstr(ct, "name");

			if (r->nctr == POD_CONTAINERS_MAX)
				return;
			if (!name)
				continue;
			memset(rc, 0, sizeof(*rc));
			rc->name = cut(name, POD_CONTAINER_NAME_MAX);
			rc->image = cut(jstr(ct, "image"), POD_IMAGE_MAX);
			rc->image_id = cut("", 0);
			rc->init = kinds[k].init;
			match_status(sts, rc, name);
			r->nctr++;
		}
	}
}

static int collect(const struct cw_pods *c, const json_t *pod, struct raw *r, char *uid,
		   char *err, size_t errlen)
{
	const json_t *md = json_object_get(pod, "metadata");
	const json_t *spec = json_object_get(pod, "spec"), *status = json_object_get(pod, "status");
	const char *kind = jstr(pod, "kind"), *u, *rv, *sa;

	if (!json_is_object(pod) || (kind && strcmp(kind, "Pod"))) {
		snprintf(err, errlen, "not a Pod (kind %s)", kind ? kind : "none");
		return -EINVAL;
	}
	u = jstr(md, "uid");
	if (!u || !u[0] || strlen(u) >= sizeof(((struct cw_pod *)0)->uid)) {
		snprintf(err, errlen, "a Pod without a metadata.uid");
		return -EINVAL;
	}
	strcpy(uid, u);
	r->ns = cut(jstr(md, "namespace"), POD_NS_MAX);
	r->name = cut(jstr(md, "name"), POD_NAME_MAX);
	r->node = cut(jstr(spec, "nodeName"), POD_NAME_MAX);
	sa = jstr(spec, "serviceAccountName");
	if (!sa || !sa[0])
		sa = jstr(spec, "serviceAccount"); /* the deprecated alias */
	r->sa = cut(sa && sa[0] ? sa : "default", POD_NAME_MAX);
	r->phase = cut(jstr(status, "phase"), POD_PHASE_MAX);
	r->okind = r->oname = cut("", 0);
	rv = jstr(md, "resourceVersion");
	r->rv = rv ? strtoull(rv, NULL, 10) : 0;
	collect_labels(md, r);
	collect_annotations(c, md, r);
	collect_owner(md, r);
	collect_containers(spec, status, r);
	return 0;
}

/* ---- building a snapshot ---- */

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

static struct snap *build(const struct raw *r, const char *uid)
{
	size_t hdr = ALIGN8(sizeof(struct snap));
	size_t kvs = ALIGN8((r->nlabels + r->nann) * sizeof(struct cw_kv));
	size_t ctrs = ALIGN8(r->nctr * sizeof(struct cw_pod_container));
	size_t strs = need(r->ns) + need(r->name) + need(r->node) + need(r->sa) + need(r->okind) +
		      need(r->oname) + need(r->phase);
	struct cw_kv *kv;
	struct cw_pod_container *ct;
	struct arena a;
	struct snap *s;
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
		ct[i].container_id = r->ctr[i].cid[0] ? put(&a, (struct piece){ r->ctr[i].cid, 64 })
						      : "";
		ct[i].init = r->ctr[i].init;
	}
	s->pod.containers = ct;
	s->pod.ncontainers = r->nctr;
	return s;
}

static struct snap *snap_of(const struct cw_pod *p)
{
	return (struct snap *)((char *)p - offsetof(struct snap, pod));
}

int cw_pod_parse(const struct cw_pods *c, const json_t *pod, struct cw_pod **out, char *err,
		 size_t errlen)
{
	struct raw *r = calloc(1, sizeof(*r));
	char uid[sizeof(((struct cw_pod *)0)->uid)];
	struct snap *s;
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
	struct snap *s;

	if (!p)
		return;
	s = snap_of(p);
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(s);
}

static void snap_get(struct snap *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
}

/* ---- the cache ---- */

int cw_pods_new(const struct cw_pods_opts *o, struct cw_pods **out)
{
	struct cw_pods *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->mu, NULL);
	c->max_pods = o && o->max_pods ? o->max_pods : POD_DEFAULT_MAX_PODS;
	if (o && o->nannotations) {
		c->globs = calloc(o->nannotations, sizeof(*c->globs));
		if (!c->globs)
			goto oom;
		for (; c->nglobs < o->nannotations; c->nglobs++)
			if (!(c->globs[c->nglobs] = strdup(o->annotations[c->nglobs])))
				goto oom;
	}
	if (o && o->node && o->node[0] && !(c->node = strdup(o->node)))
		goto oom;
	*out = c;
	return 0;
oom:
	cw_pods_free(c);
	return -ENOMEM;
}

static void bump(struct cw_pods *c)
{
	__atomic_add_fetch(&c->version, 1, __ATOMIC_RELEASE);
}

static void entry_drop(struct cw_pods *c, struct entry *e)
{
	HASH_DEL(c->by_uid, e);
	DL_DELETE(c->lru, e);
	c->count--;
	c->bytes -= e->s->bytes + sizeof(*e);
	cw_pod_put(&e->s->pod);
	free(e);
}

void cw_pods_free(struct cw_pods *c)
{
	if (!c)
		return;
	while (c->lru)
		entry_drop(c, c->lru);
	for (size_t i = 0; i < c->nglobs; i++)
		free(c->globs[i]);
	free(c->globs);
	free(c->node);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static struct entry *find(const struct cw_pods *c, const char *uid)
{
	struct entry *e;

	HASH_FIND_STR(c->by_uid, uid, e);
	return e;
}

const struct cw_pod *cw_pods_get(struct cw_pods *c, const char *uid)
{
	struct entry *e;
	struct cw_pod *p = NULL;

	if (!c || !uid || !uid[0])
		return NULL;
	pthread_mutex_lock(&c->mu);
	e = find(c, uid);
	if (e) {
		snap_get(e->s);
		p = &e->s->pod;
	}
	pthread_mutex_unlock(&c->mu);
	return p;
}

uint64_t cw_pods_version(const struct cw_pods *c)
{
	return c ? __atomic_load_n(&c->version, __ATOMIC_ACQUIRE) : 0;
}

size_t cw_pods_count(const struct cw_pods *c)
{
	size_t n;

	pthread_mutex_lock((pthread_mutex_t *)&c->mu);
	n = c->count;
	pthread_mutex_unlock((pthread_mutex_t *)&c->mu);
	return n;
}

size_t cw_pods_bytes(const struct cw_pods *c)
{
	size_t n;

	pthread_mutex_lock((pthread_mutex_t *)&c->mu);
	n = c->bytes + sizeof(*c) + c->nglobs * sizeof(char *) +
	    (c->by_uid ? HASH_OVERHEAD(hh, c->by_uid) : 0);
	pthread_mutex_unlock((pthread_mutex_t *)&c->mu);
	return n;
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

/* Is pod p one this cache keeps (its node's, when a node is set)? */
static bool ours(const struct cw_pods *c, const struct cw_pod *p)
{
	return !c->node || !strcmp(p->node, c->node);
}

/* Under mu: forget uid. */
static bool remove_locked(struct cw_pods *c, const char *uid)
{
	struct entry *e = find(c, uid);

	if (!e)
		return false;
	entry_drop(c, e);
	return true;
}

/*
 * Under mu: hold snapshot p (the caller's reference passes to the cache), replacing the pod's
 * older one; the least recently updated pod goes past max_pods. An unchanged pod (the same
 * non-zero resourceVersion) keeps its snapshot, and its place in the eviction order.
 */
static int upsert_locked(struct cw_pods *c, struct cw_pod *p, unsigned gen, bool *changed)
{
	struct snap *s = snap_of(p);
	struct entry *e = find(c, p->uid);

	*changed = false;
	if (e) {
		e->gen = gen;
		if (p->resource_version && p->resource_version == e->s->pod.resource_version) {
			cw_pod_put(p);
			return 0;
		}
		c->bytes += s->bytes;
		c->bytes -= e->s->bytes;
		cw_pod_put(&e->s->pod);
		e->s = s;
		DL_DELETE(c->lru, e);
		DL_APPEND(c->lru, e);
		*changed = true;
		return 0;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		cw_pod_put(p);
		return -ENOMEM;
	}
	memcpy(e->uid, p->uid, sizeof(e->uid));
	e->s = s;
	e->gen = gen;
	HASH_ADD_STR(c->by_uid, uid, e);
	if (!CW_HASH_ADDED(e, hh)) {
		cw_pod_put(p);
		free(e);
		return -ENOMEM;
	}
	DL_APPEND(c->lru, e);
	c->count++;
	c->bytes += s->bytes + sizeof(*e);
	while (c->count > c->max_pods)
		entry_drop(c, c->lru);
	*changed = true;
	return 0;
}

static void copy_rv(char *rv, size_t rvlen, const char *s)
{
	if (rv && rvlen)
		snprintf(rv, rvlen, "%s", s ? s : "");
}

static bool is_podlist(const json_t *list)
{
	const char *kind = jstr(list, "kind");

	return json_is_object(list) && kind && !strcmp(kind, "PodList") &&
	       json_is_array(json_object_get(list, "items"));
}

int cw_pods_apply_list(struct cw_pods *c, const json_t *list, char *rv, size_t rvlen, char *err,
		       size_t errlen)
{
	const json_t *items = json_object_get(list, "items");
	struct cw_pod **pods;
	struct entry *e, *tmp;
	size_t i, n = 0, kept;
	unsigned gen;
	bool changed, any = false;
	json_t *it;
	char perr[128];

	if (!is_podlist(list)) {
		snprintf(err, errlen, "not a PodList (kind %s)",
			 jstr(list, "kind") ? jstr(list, "kind") : "none");
		return -EINVAL;
	}
	copy_rv(rv, rvlen, jstr(json_object_get(list, "metadata"), "resourceVersion"));
	/* parsed outside the lock: readers wait only for the swap */
	pods = calloc(json_array_size(items) + 1, sizeof(*pods));
	if (!pods)
		return -ENOMEM;
	json_array_foreach (items, i, it) {
		if (cw_pod_parse(c, it, &pods[n], perr, sizeof(perr)))
			continue; /* an item that is not a pod is skipped, not the whole list */
		if (ours(c, pods[n]))
			n++;
		else
			cw_pod_put(pods[n]);
	}
	pthread_mutex_lock(&c->mu);
	gen = ++c->gen;
	for (i = 0; i < n; i++) {
		upsert_locked(c, pods[i], gen, &changed);
		any |= changed;
	}
	HASH_ITER (hh, c->by_uid, e, tmp) {
		if (e->gen != gen) {
			entry_drop(c, e);
			any = true;
		}
	}
	kept = c->count;
	if (any)
		bump(c);
	pthread_mutex_unlock(&c->mu);
	free(pods);
	return (int)kept;
}

/* A watch event's Status (type ERROR): its code, its message in err. */
static int watch_error(const json_t *st, char *err, size_t errlen)
{
	const json_t *code = json_object_get(st, "code");
	const char *msg = jstr(st, "message"), *reason = jstr(st, "reason");

	snprintf(err, errlen, "watch error: %s%s%s", reason ? reason : "", reason ? ": " : "",
		 msg ? msg : "(no message)");
	if (!json_is_integer(code) || json_integer_value(code) <= 0 ||
	    json_integer_value(code) > 999)
		return -EINVAL;
	return (int)json_integer_value(code);
}

int cw_pods_apply_event(struct cw_pods *c, const json_t *event, char *rv, size_t rvlen, char *err,
			size_t errlen)
{
	const char *type = jstr(event, "type");
	const json_t *obj = json_object_get(event, "object");
	const char *uid = jstr(json_object_get(obj, "metadata"), "uid");
	struct cw_pod *p;
	bool changed = false;
	int ret = 0;

	if (!type || !json_is_object(obj)) {
		snprintf(err, errlen, "not a watch event");
		return -EINVAL;
	}
	if (!strcmp(type, "ERROR"))
		return watch_error(obj, err, errlen); /* rv kept: it may still be good */
	if (!strcmp(type, "BOOKMARK")) {
		copy_rv(rv, rvlen, jstr(json_object_get(obj, "metadata"), "resourceVersion"));
		return 0;
	}
	if (!strcmp(type, "DELETED")) {
		if (!uid) {
			snprintf(err, errlen, "a DELETED event without a metadata.uid");
			return -EINVAL;
		}
		copy_rv(rv, rvlen, jstr(json_object_get(obj, "metadata"), "resourceVersion"));
		pthread_mutex_lock(&c->mu);
		if (remove_locked(c, uid))
			bump(c);
		pthread_mutex_unlock(&c->mu);
		return 0;
	}
	if (strcmp(type, "ADDED") && strcmp(type, "MODIFIED")) {
		snprintf(err, errlen, "unknown watch event type %.32s", type);
		return -EINVAL;
	}
	ret = cw_pod_parse(c, obj, &p, err, errlen);
	if (ret)
		return ret;
	copy_rv(rv, rvlen, jstr(json_object_get(obj, "metadata"), "resourceVersion"));
	pthread_mutex_lock(&c->mu);
	if (ours(c, p)) {
		ret = upsert_locked(c, p, c->gen, &changed);
	} else {
		changed = remove_locked(c, p->uid); /* not (or no longer) this node's */
		cw_pod_put(p);
	}
	if (changed)
		bump(c);
	pthread_mutex_unlock(&c->mu);
	if (ret)
		snprintf(err, errlen, "out of memory");
	return ret;
}

/* ---- images ---- */

static void copy_cut(char *dst, size_t cap, const char *s, size_t n)
{
	if (!cap)
		return;
	if (n >= cap)
		n = cw_utf8_fit(s, cap - 1);
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Without a "docker-pullable://" or "docker://" scheme (Docker's imageIDs). */
static const char *no_scheme(const char *s)
{
	const char *sep = s ? strstr(s, "://") : NULL;

	return sep ? sep + 3 : s;
}

void cw_image_split(const char *image, const char *image_id, char *name, size_t namelen, char *tag,
		    size_t taglen, char *digest, size_t digestlen)
{
	const char *img = no_scheme(image ? image : ""), *id = no_scheme(image_id ? image_id : "");
	const char *at = strchr(img, '@'), *end = at ? at : img + strlen(img);
	const char *slash = memrchr(img, '/', (size_t)(end - img));
	const char *colon = memchr(slash ? slash : img, ':', (size_t)(end - (slash ? slash : img)));
	const char *nend = colon ? colon : end;

	/* a registry's port ("host:5000/repo") is before the last '/': not a tag */
	copy_cut(name, namelen, img, (size_t)(nend - img));
	if (colon)
		copy_cut(tag, taglen, colon + 1, (size_t)(end - colon - 1));
	else
		copy_cut(tag, taglen, at ? "" : "latest", at ? 0 : 6);
	if (at && strchr(at + 1, ':')) {
		copy_cut(digest, digestlen, at + 1, strlen(at + 1));
		return;
	}
	/* the digest the runtime pulled: "repo@sha256:..." (or Docker's own "sha256:<id>") */
	at = strchr(id, '@');
	if (at && strchr(at + 1, ':'))
		copy_cut(digest, digestlen, at + 1, strlen(at + 1));
	else if (cw_starts_with(id, strlen(id), "sha256:"))
		copy_cut(digest, digestlen, id, strlen(id));
	else
		copy_cut(digest, digestlen, "", 0);
}
