// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The pod metadata cache (podmeta.h): snapshots (pod_snapshot.c) in a uthash table by UID
 * behind a mutex, with the same entries in a list ordered by last update (the head is evicted
 * past max_pods). Readers that only want to know whether anything changed read the version
 * counter without the lock.
 */
#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/pod_snapshot.h"
#include "util/table.h"

#define POD_DEFAULT_MAX_PODS 4096

struct entry {
	char uid[40];
	struct cw_pod_snap *s;	   /* the cache's reference */
	unsigned gen;		   /* the list that last named it (cw_pods_apply_list) */
	UT_hash_handle hh;	   /* by uid */
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

bool cw_pods_keeps_annotation(const struct cw_pods *c, const char *key)
{
	if (!c)
		return false;
	for (size_t i = 0; i < c->nglobs; i++)
		if (!fnmatch(c->globs[i], key, 0))
			return true;
	return false;
}

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
		cw_pod_snap_get(e->s);
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
	struct cw_pod_snap *s = cw_pod_snap_of(p);
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
	const char *kind = cw_pod_jstr(list, "kind");

	return json_is_object(list) && kind && !strcmp(kind, "PodList") &&
	       json_is_array(json_object_get(list, "items"));
}

unsigned cw_pods_list_begin(struct cw_pods *c)
{
	unsigned gen;

	pthread_mutex_lock(&c->mu);
	gen = ++c->gen;
	pthread_mutex_unlock(&c->mu);
	return gen;
}

int cw_pods_list_page(struct cw_pods *c, unsigned list, const json_t *page, char *rv, size_t rvlen,
		      char *err, size_t errlen)
{
	const json_t *items = json_object_get(page, "items");
	struct cw_pod **pods;
	size_t i, n = 0;
	bool changed, any = false;
	json_t *it;
	char perr[128];

	if (!is_podlist(page)) {
		snprintf(err, errlen, "not a PodList (kind %s)",
			 cw_pod_jstr(page, "kind") ? cw_pod_jstr(page, "kind") : "none");
		return -EINVAL;
	}
	copy_rv(rv, rvlen, cw_pod_jstr(json_object_get(page, "metadata"), "resourceVersion"));
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
	for (i = 0; i < n; i++) {
		upsert_locked(c, pods[i], list, &changed);
		any |= changed;
	}
	if (any)
		bump(c);
	pthread_mutex_unlock(&c->mu);
	free(pods);
	return (int)n;
}

int cw_pods_list_end(struct cw_pods *c, unsigned list)
{
	struct entry *e, *tmp;
	bool any = false;
	int kept;

	pthread_mutex_lock(&c->mu);
	HASH_ITER (hh, c->by_uid, e, tmp) {
		if (e->gen != list) {
			entry_drop(c, e);
			any = true;
		}
	}
	kept = (int)c->count;
	if (any)
		bump(c);
	pthread_mutex_unlock(&c->mu);
	return kept;
}

int cw_pods_apply_list(struct cw_pods *c, const json_t *list, char *rv, size_t rvlen, char *err,
		       size_t errlen)
{
	unsigned gen;
	int ret;

	if (!is_podlist(list)) {
		snprintf(err, errlen, "not a PodList (kind %s)",
			 cw_pod_jstr(list, "kind") ? cw_pod_jstr(list, "kind") : "none");
		return -EINVAL;
	}
	gen = cw_pods_list_begin(c);
	ret = cw_pods_list_page(c, gen, list, rv, rvlen, err, errlen);
	return ret < 0 ? ret : cw_pods_list_end(c, gen);
}

/* A watch event's Status (type ERROR): its code, its message in err. */
static int watch_error(const json_t *st, char *err, size_t errlen)
{
	const json_t *code = json_object_get(st, "code");
	const char *msg = cw_pod_jstr(st, "message"), *reason = cw_pod_jstr(st, "reason");

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
	const char *type = cw_pod_jstr(event, "type");
	const json_t *obj = json_object_get(event, "object");
	const char *uid = cw_pod_jstr(json_object_get(obj, "metadata"), "uid");
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
		copy_rv(rv, rvlen,
			cw_pod_jstr(json_object_get(obj, "metadata"), "resourceVersion"));
		return 0;
	}
	if (!strcmp(type, "DELETED")) {
		if (!uid) {
			snprintf(err, errlen, "a DELETED event without a metadata.uid");
			return -EINVAL;
		}
		copy_rv(rv, rvlen,
			cw_pod_jstr(json_object_get(obj, "metadata"), "resourceVersion"));
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
	copy_rv(rv, rvlen, cw_pod_jstr(json_object_get(obj, "metadata"), "resourceVersion"));
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
