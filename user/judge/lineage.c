// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Environment lineage (see lineage.h): a uthash table by pid in exec order; each process has
 * the credentials of its current image and of the image before it (an exec without a fork:
 * a shim that execs the real program), each a fingerprint, a hash of the variable's name and
 * the workload key it is held for.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "detect/fingerprint.h"
#include "judge/lineage.h"
#include "util/hash.h"
#include "util/table.h"

struct held {
	char fp[CW_FP_HEX_LEN + 1];
	uint64_t var; /* FNV-1a of the variable's name */
	char *key;
};

struct image {
	struct held v[CW_LINEAGE_PER_PROC];
	size_t n;
};

struct lproc {
	uint32_t pid;
	uint64_t start_ns; /* 0: unknown */
	bool gone;
	uint64_t exec_ns; /* of the current image */
	struct image cur, prev;
	struct lproc *gone_prev, *gone_next;
	UT_hash_handle hh;
};

struct cw_lineage {
	struct lproc *by_pid;
	struct lproc *gone; /* utlist, oldest exit first */
	size_t ngone;
};

struct cw_lineage *cw_lineage_new(void)
{
	return calloc(1, sizeof(struct cw_lineage));
}

static void image_clear(struct image *im)
{
	for (size_t i = 0; i < im->n; i++)
		free(im->v[i].key);
	im->n = 0;
}

static void forget(struct cw_lineage *l, struct lproc *p)
{
	HASH_DEL(l->by_pid, p);
	if (p->gone) {
		DL_DELETE2(l->gone, p, gone_prev, gone_next);
		l->ngone--;
	}
	image_clear(&p->cur);
	image_clear(&p->prev);
	free(p);
}

void cw_lineage_free(struct cw_lineage *l)
{
	struct lproc *p, *tmp;

	if (!l)
		return;
	HASH_ITER (hh, l->by_pid, p, tmp)
		forget(l, p);
	free(l);
}

static struct lproc *find(struct cw_lineage *l, uint32_t pid)
{
	struct lproc *p;

	HASH_FIND(hh, l->by_pid, &pid, sizeof(pid), p);
	return p;
}

static const struct held *image_find(const struct image *im, const char *fp, const uint64_t *var)
{
	for (size_t i = 0; i < im->n; i++)
		if (!strcmp(im->v[i].fp, fp) && (!var || im->v[i].var == *var))
			return &im->v[i];
	return NULL;
}

/* Same process? A start time that is unknown on either side does not tell them apart. */
static bool same_proc(const struct lproc *e, uint64_t start_ns)
{
	return !e->start_ns || !start_ns || e->start_ns == start_ns;
}

/* p's entry for the image exec'd at exec_ns: a new one, or its current one made previous. */
static struct lproc *image_of(struct cw_lineage *l, struct cw_lineage_proc p, uint64_t exec_ns)
{
	struct lproc *e = find(l, p.pid);

	if (e && (e->gone || !same_proc(e, p.start_ns))) { /* the pid was reused */
		forget(l, e);
		e = NULL;
	}
	if (e && e->exec_ns == exec_ns)
		return e;
	if (e) { /* a new image: newest again, the old one is its previous */
		HASH_DEL(l->by_pid, e);
		image_clear(&e->prev);
		e->prev = e->cur;
		e->cur.n = 0;
	} else {
		if (HASH_COUNT(l->by_pid) >= CW_LINEAGE_MAX)
			forget(l, l->by_pid);
		if (!(e = calloc(1, sizeof(*e))))
			return NULL;
		e->pid = p.pid;
	}
	e->start_ns = p.start_ns;
	e->exec_ns = exec_ns;
	HASH_ADD(hh, l->by_pid, pid, sizeof(e->pid), e);
	if (!CW_HASH_ADDED(e, hh)) {
		image_clear(&e->prev);
		free(e);
		return NULL;
	}
	return e;
}

void cw_lineage_exec(struct cw_lineage *l, struct cw_lineage_proc p, uint64_t exec_ns)
{
	struct lproc *e = l ? find(l, p.pid) : NULL;

	/* Only processes that held credentials have entries: others need none. */
	if (e)
		image_of(l, p, exec_ns);
}

const char *cw_lineage_env(struct cw_lineage *l, struct cw_lineage_proc p,
			   struct cw_lineage_proc parent, uint64_t exec_ns, const char *fp,
			   const char *var, const char *key)
{
	uint64_t h = cw_fnv1a(CW_FNV_OFFSET, var, strlen(var));
	struct lproc *e, *pe;
	const struct held *from = NULL, *mine;
	struct held *slot;

	if (!l || !(e = image_of(l, p, exec_ns)))
		return key;
	pe = parent.pid && parent.pid != p.pid ? find(l, parent.pid) : NULL;
	if (pe && !same_proc(pe, parent.start_ns))
		pe = NULL;			  /* another process that had the parent's pid */
	if ((mine = image_find(&e->cur, fp, &h))) /* a second match of the same exec */
		return mine->key;
	from = image_find(&e->prev, fp, &h);
	if (!from && pe)
		from = image_find(&pe->cur, fp, &h);
	if (from)
		key = from->key;
	if (e->cur.n == CW_LINEAGE_PER_PROC)
		return key;
	slot = &e->cur.v[e->cur.n];
	if (!(slot->key = strdup(key)))
		return key;
	memcpy(slot->fp, fp, sizeof(slot->fp) - 1);
	slot->fp[sizeof(slot->fp) - 1] = '\0';
	slot->var = h;
	e->cur.n++;
	return slot->key;
}

const char *cw_lineage_holder(struct cw_lineage *l, uint32_t pid, const char *fp)
{
	struct lproc *p = l ? find(l, pid) : NULL;
	const struct held *h;

	if (!p || p->gone)
		return NULL;
	h = image_find(&p->cur, fp, NULL);
	return h ? h->key : NULL;
}

void cw_lineage_exit(struct cw_lineage *l, uint32_t pid)
{
	struct lproc *p = l ? find(l, pid) : NULL;

	if (!p || p->gone)
		return;
	p->gone = true;
	DL_APPEND2(l->gone, p, gone_prev, gone_next);
	if (++l->ngone > CW_LINEAGE_GONE_MAX)
		forget(l, l->gone);
}
