// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The provenance store (see provenance.h): a uthash table by fingerprint for lookups and a
 * utlist list in recency order for eviction, both threaded through each credential's entry.
 * A credential's origins and uses are arrays grown by doubling up to their caps: a full-size
 * pair inline (11 KB) in each of 4096 credentials was most of the agent's memory, though a
 * credential typically has one origin and at most one use. Its file is provenance_file.c's.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "judge/provenance.h"
#include "util/table.h"
#include "util/utf8.h"

const char *cw_prov_source_name(enum cw_prov_source s)
{
	switch (s) {
	case CW_PROV_FILE: return "file";
	case CW_PROV_ENV: return "env";
	case CW_PROV_ARGV: return "argv";
	}
	return "unknown";
}

static bool source_valid(enum cw_prov_source s)
{
	return s == CW_PROV_FILE || s == CW_PROV_ENV || s == CW_PROV_ARGV;
}

/*
 * Copy src into dst of cap bytes, cut at a character boundary when too long: a split UTF-8
 * sequence would be written out as U+FFFD and the store would no longer match its own file.
 */
static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n;

	if (!src)
		src = "";
	n = cw_utf8_fit(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

#define COPY(dst, src) copy_str((dst), sizeof(dst), (src))

struct cw_prov_entry {
	struct cw_prov_cred c; /* first: a credential's address is its entry's */
	UT_hash_handle hh;     /* by c.fingerprint */
	struct cw_prov_entry *lru_prev, *lru_next;
	size_t origins_cap, uses_cap; /* elements allocated at c.origins, c.uses */
};

static struct cw_prov_entry *entry_of(const struct cw_prov_cred *c)
{
	return (struct cw_prov_entry *)(void *)c;
}

static void free_entry(struct cw_prov_entry *e)
{
	free(e->c.origins);
	free(e->c.uses);
	free(e);
}

static void evict_least_recent(struct cw_provenance *p)
{
	struct cw_prov_entry *e = p->lru ? p->lru->lru_prev : NULL;

	if (!e)
		return;
	HASH_DEL(p->by_fp, e);
	DL_DELETE2(p->lru, e, lru_prev, lru_next);
	free_entry(e);
	p->n--;
	p->evictions++;
	p->dirty = true;
}

/* Link a new credential in as the most recent, making room first; -ENOMEM leaves it out. */
static int insert_new(struct cw_provenance *p, struct cw_prov_entry *e)
{
	while (p->n && p->n >= p->max)
		evict_least_recent(p);
	HASH_ADD_STR(p->by_fp, c.fingerprint, e);
	if (!CW_HASH_ADDED(e, hh))
		return -ENOMEM;
	DL_PREPEND2(p->lru, e, lru_prev, lru_next);
	p->n++;
	return 0;
}

static void free_all(struct cw_provenance *p)
{
	struct cw_prov_entry *e, *tmp;

	HASH_CLEAR(hh, p->by_fp);
	DL_FOREACH_SAFE2 (p->lru, e, tmp, lru_next)
		free_entry(e);
	free(p->path);
	memset(p, 0, sizeof(*p));
}

void cw_prov_close(struct cw_provenance *p)
{
	if (p)
		free_all(p);
}

struct cw_prov_cred *cw_prov_find(struct cw_provenance *p, const char *fp_hex)
{
	char key[sizeof(((struct cw_prov_cred *)0)->fingerprint)];
	struct cw_prov_entry *e;

	if (!fp_hex)
		return NULL;
	COPY(key, fp_hex);
	HASH_FIND_STR(p->by_fp, key, e);
	return e ? &e->c : NULL;
}

const struct cw_prov_cred *cw_prov_first(const struct cw_provenance *p)
{
	return p->lru ? &p->lru->c : NULL;
}

const struct cw_prov_cred *cw_prov_next(const struct cw_provenance *p, const struct cw_prov_cred *c)
{
	(void)p;
	return entry_of(c)->lru_next ? &entry_of(c)->lru_next->c : NULL;
}

const struct cw_prov_cred *cw_prov_last(const struct cw_provenance *p)
{
	return p->lru ? &p->lru->lru_prev->c : NULL;
}

/* utlist's list is circular backwards: the head's prev is the tail. */
const struct cw_prov_cred *cw_prov_prev(const struct cw_provenance *p, const struct cw_prov_cred *c)
{
	return entry_of(c) == p->lru ? NULL : &entry_of(c)->lru_prev->c;
}

/*
 * Times only widen (first_seen the earliest, last_seen the latest): events from several CPUs
 * reach us slightly out of order, and a late one must not make a credential look newer.
 */
static void seen_at(int64_t *first, int64_t *last, int64_t now)
{
	if (now < *first)
		*first = now;
	if (now > *last)
		*last = now;
}

struct cw_prov_cred *cw_prov_touch(struct cw_provenance *p, const char *fp_hex, const char *rule,
				   const char *kind, const char *lifetime, const char *redacted,
				   int64_t now)
{
	struct cw_prov_cred *c = cw_prov_find(p, fp_hex);
	struct cw_prov_entry *e;

	if (!p->max || !fp_hex || !*fp_hex)
		return NULL;
	if (!c) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		c = &e->c;
		COPY(c->fingerprint, fp_hex);
		c->first_seen = c->last_seen = now;
		if (insert_new(p, e)) {
			free_entry(e);
			return NULL;
		}
	} else {
		e = entry_of(c);
		DL_DELETE2(p->lru, e, lru_prev, lru_next);
		DL_PREPEND2(p->lru, e, lru_prev, lru_next);
	}
	/* A later sighting may classify the credential better; an empty value tells nothing. */
	if (rule && *rule)
		COPY(c->rule, rule);
	if (kind && *kind)
		COPY(c->kind, kind);
	if (lifetime && *lifetime)
		COPY(c->lifetime, lifetime);
	if (redacted && *redacted)
		COPY(c->redacted, redacted);
	seen_at(&c->first_seen, &c->last_seen, now);
	p->dirty = true;
	return c;
}

/* A copy of n elements of size bytes (NULL for none, or when out of memory). */
static void *dup_array(const void *v, size_t n, size_t size)
{
	void *copy;

	if (!n)
		return NULL;
	copy = malloc(n * size);
	if (copy)
		memcpy(copy, v, n * size);
	return copy;
}

struct cw_prov_cred *cw_prov_insert_copy(struct cw_provenance *p, const struct cw_prov_cred *from)
{
	struct cw_prov_entry *e;
	struct cw_prov_cred *c;

	if (!p->max || !from->fingerprint[0] || from->norigins > CW_PROV_ORIGINS_MAX ||
	    from->nuses > CW_PROV_WORKLOADS_MAX || cw_prov_find(p, from->fingerprint))
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	c = &e->c;
	*c = *from; /* its lists are from's until the next two lines make them its own */
	c->origins = dup_array(from->origins, from->norigins, sizeof(*c->origins));
	c->uses = dup_array(from->uses, from->nuses, sizeof(*c->uses));
	e->origins_cap = c->norigins;
	e->uses_cap = c->nuses;
	if ((c->norigins && !c->origins) || (c->nuses && !c->uses) || insert_new(p, e)) {
		free_entry(e);
		return NULL;
	}
	p->dirty = true;
	return c;
}

static bool is_loader(const struct cw_prov_cred *c, const char *wl)
{
	for (size_t i = 0; i < c->norigins; i++)
		if (!strcmp(c->origins[i].workload, wl))
			return true;
	return false;
}

bool cw_prov_is_loader(const struct cw_prov_cred *c, const char *workload)
{
	char wl[CW_PROV_STR];

	COPY(wl, workload);
	return is_loader(c, wl);
}

bool cw_prov_first_of_workload(const struct cw_prov_cred *c, size_t i,
			       bool (*pred)(const struct cw_prov_origin *))
{
	if (pred && !pred(&c->origins[i]))
		return false;
	for (size_t k = 0; k < i; k++)
		if ((!pred || pred(&c->origins[k])) &&
		    !strcmp(c->origins[k].workload, c->origins[i].workload))
			return false;
	return true;
}

size_t cw_prov_count_workloads(const struct cw_prov_cred *c,
			       bool (*pred)(const struct cw_prov_origin *))
{
	size_t n = 0;

	for (size_t i = 0; i < c->norigins; i++)
		n += cw_prov_first_of_workload(c, i, pred);
	return n;
}

size_t cw_prov_loaders(const struct cw_prov_cred *c)
{
	return cw_prov_count_workloads(c, NULL);
}

/* Counts stop at INT64_MAX: the largest the file's reader (jansson, signed 64-bit) reads back. */
static void count_up(uint64_t *n)
{
	if (*n < INT64_MAX)
		(*n)++;
}

/*
 * Room for element n of an array of *cap elements of size bytes, doubled up to max (1, 2, 4,
 * ...): the array, moved when it grew; NULL when it is full or cannot grow, which callers
 * treat alike (the element is not kept, and counted).
 */
static void *room_for(void *v, size_t *cap, size_t n, size_t size, size_t max)
{
	size_t want;
	void *grown;

	if (n < *cap)
		return v;
	if (*cap >= max)
		return NULL;
	want = *cap ? *cap * 2 : 1;
	if (want > max)
		want = max;
	grown = realloc(v, want * size);
	if (!grown)
		return NULL;
	*cap = want;
	return grown;
}

/*
 * A workload whose origin could not be kept (the array could not grow) is still reported as
 * a new loader: the caller learns of it, though a later load by it will be news again.
 */
bool cw_prov_add_origin(struct cw_provenance *p, struct cw_prov_cred *c, const char *workload,
			enum cw_prov_source source, const char *detail, int64_t now)
{
	return cw_prov_add_origin_as(p, c, workload, source, detail, now, true);
}

bool cw_prov_add_origin_as(struct cw_provenance *p, struct cw_prov_cred *c, const char *workload,
			   enum cw_prov_source source, const char *detail, int64_t now, bool owner)
{
	char wl[CW_PROV_STR], det[CW_PROV_STR];
	struct cw_prov_origin *o, *v;
	bool new_loader;

	/* An origin the file cannot name could not be loaded again: refuse it. */
	if (!c || !source_valid(source))
		return false;
	COPY(wl, workload);
	COPY(det, detail);
	new_loader = !is_loader(c, wl);
	p->dirty = true;
	for (size_t i = 0; i < c->norigins; i++) {
		o = &c->origins[i];
		if (o->source == source && !strcmp(o->workload, wl) && !strcmp(o->detail, det)) {
			seen_at(&o->first_seen, &o->last_seen, now);
			count_up(&o->count);
			if (owner)
				o->not_owner = 0;
			return new_loader;
		}
	}
	/* Full: the first origin stays (where the credential first came from, its owner); the
	 * least recently seen of the others makes room, so a loader seen now is remembered. */
	if (c->norigins == CW_PROV_ORIGINS_MAX) {
		size_t lru = 1;

		for (size_t i = 2; i < c->norigins; i++)
			if (c->origins[i].last_seen < c->origins[lru].last_seen)
				lru = i;
		count_up(&c->origins_dropped);
		memmove(&c->origins[lru], &c->origins[lru + 1],
			(c->norigins - lru - 1) * sizeof(*o));
		c->norigins--;
	}
	v = room_for(c->origins, &entry_of(c)->origins_cap, c->norigins, sizeof(*o),
		     CW_PROV_ORIGINS_MAX);
	if (!v) {
		count_up(&c->origins_dropped);
		return new_loader;
	}
	c->origins = v;
	o = &c->origins[c->norigins++];
	memset(o, 0, sizeof(*o));
	memcpy(o->workload, wl, sizeof(wl));
	o->source = source;
	memcpy(o->detail, det, sizeof(det));
	o->first_seen = o->last_seen = now;
	o->count = 1;
	o->not_owner = !owner;
	return new_loader;
}

void cw_prov_add_use(struct cw_provenance *p, struct cw_prov_cred *c, const char *workload,
		     const char *destination, int64_t now)
{
	char wl[CW_PROV_STR], dst[CW_PROV_STR];
	struct cw_prov_use *u, *v;

	if (!c)
		return;
	COPY(wl, workload);
	COPY(dst, destination);
	p->dirty = true;
	for (size_t i = 0; i < c->nuses; i++) {
		u = &c->uses[i];
		if (!strcmp(u->workload, wl) && !strcmp(u->destination, dst)) {
			seen_at(&u->first_seen, &u->last_seen, now);
			count_up(&u->count);
			return;
		}
	}
	/* Full: the oldest uses stay, the new one is counted. */
	v = room_for(c->uses, &entry_of(c)->uses_cap, c->nuses, sizeof(*u), CW_PROV_WORKLOADS_MAX);
	if (!v) {
		count_up(&c->uses_dropped);
		return;
	}
	c->uses = v;
	u = &c->uses[c->nuses++];
	memset(u, 0, sizeof(*u));
	memcpy(u->workload, wl, sizeof(wl));
	memcpy(u->destination, dst, sizeof(dst));
	u->first_seen = u->last_seen = now;
	u->count = 1;
}
