/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The pod metadata cache's insides, shared by podmeta.c (the cache) and pod_snapshot.c (Pod
 * objects into snapshots); not part of its API. A snapshot is one allocation: this header, then
 * its arrays and strings; freed by cw_pod_put when its last reference goes.
 */
#ifndef CW_POD_SNAPSHOT_H
#define CW_POD_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "host/podmeta.h"

struct cw_pod_snap {
	unsigned refs; /* atomic */
	size_t bytes;  /* the whole allocation */
	struct cw_pod pod;
};

static inline struct cw_pod_snap *cw_pod_snap_of(const struct cw_pod *p)
{
	return (struct cw_pod_snap *)((char *)p - offsetof(struct cw_pod_snap, pod));
}

static inline void cw_pod_snap_get(struct cw_pod_snap *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
}

/* The string member key of object o, or NULL. */
static inline const char *cw_pod_jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Is an annotation with this key kept (the cache's allow-list; c NULL: none is)? */
bool cw_pods_keeps_annotation(const struct cw_pods *c, const char *key);

#endif
