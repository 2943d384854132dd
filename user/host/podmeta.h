/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Kubernetes pod metadata for the pods on this node: labels, allow-listed annotations, service
 * account, the controller that owns the pod (Deployment, StatefulSet, DaemonSet, Job, CronJob,
 * resolved through ReplicaSet and Job names), each container's image and image digest, the
 * node name. Learned from the API server (list + watch of the node's pods) or the kubelet's
 * /pods (host/kubeclient.c); kept here, per pod UID, as immutable snapshots.
 *
 * Threads: the client thread applies lists and watch events; the matching thread reads. A
 * reader takes a reference (cw_pods_get) and drops it (cw_pod_put); a snapshot never
 * changes once published: an update publishes a new one. Memory is bounded: at most
 * max_pods snapshots (the least recently updated pod is dropped past it) and each snapshot's
 * strings are cut at documented lengths.
 */
#ifndef CW_PODMETA_H
#define CW_PODMETA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cw_kv {
	const char *key;
	const char *value;
};

struct cw_pod_container {
	const char *name;
	const char *image;	  /* spec image: "registry/repo:tag" or "repo@sha256:..." */
	const char *image_id;	  /* status imageID: "docker-pullable://repo@sha256:..." or "" */
	const char *container_id; /* status containerID without "runtime://": 64 hex, or "" */
	bool init;		  /* an init (or ephemeral) container */
};

struct cw_pod {
	char uid[40]; /* metadata.uid, with dashes */
	const char *namespace_;
	const char *name;
	const char *node;	     /* spec.nodeName, "" */
	const char *service_account; /* spec.serviceAccountName, "default" when absent */
	/* The controller, resolved: "Deployment" (from a ReplicaSet owner whose name is the
	 * Deployment's plus "-" and the pod-template-hash label), "StatefulSet", "DaemonSet",
	 * "CronJob" (from a Job owner whose name is the CronJob's plus "-" and the scheduled
	 * minute), "Job", "ReplicaSet" (no Deployment), another kind as given, or "" (a bare
	 * pod). owner_name is that controller's name. */
	const char *owner_kind;
	const char *owner_name;
	const struct cw_kv *labels; /* sorted by key */
	size_t nlabels;
	const struct cw_kv *annotations; /* only the allow-listed ones, sorted by key */
	size_t nannotations;
	const struct cw_pod_container *containers;
	size_t ncontainers;
	const char *phase;	   /* status.phase, "" */
	uint64_t resource_version; /* metadata.resourceVersion as a number, 0 unknown */
};

struct cw_pods_opts {
	size_t max_pods; /* 0: 4096 */
	/* annotation keys to keep (fnmatch globs); none: no annotation is kept */
	const char *const *annotations;
	size_t nannotations;
	const char *node; /* only pods of this node are kept ("" or NULL: any) */
};

struct cw_pods; /* the cache; opaque, thread-safe */

int cw_pods_new(const struct cw_pods_opts *o, struct cw_pods **out);
void cw_pods_free(struct cw_pods *c);

/*
 * A snapshot of the pod with that UID, with a reference, or NULL when not known. Lock-free
 * callers may first compare cw_pods_version() with what they saw last: it changes on every
 * update, so an unchanged version means an earlier answer still holds.
 */
const struct cw_pod *cw_pods_get(struct cw_pods *c, const char *uid);
void cw_pod_put(const struct cw_pod *p);
uint64_t cw_pods_version(const struct cw_pods *c);

/* The container of pod p with that id (64 hex, no runtime prefix), or NULL. */
const struct cw_pod_container *cw_pod_container(const struct cw_pod *p, const char *container_id);
/* A label's value, or NULL. */
const char *cw_pod_label(const struct cw_pod *p, const char *key);

/*
 * Parse one Pod object (as the API server and the kubelet return it) into a new snapshot.
 * 0, or -EINVAL with the reason in err (not a Pod, no metadata.uid).
 */
int cw_pod_parse(const struct cw_pods *c, const json_t *pod, struct cw_pod **out, char *err,
		 size_t errlen);

/*
 * Replace everything with a PodList's items (a list from the API server or the kubelet's
 * /pods): pods absent from it are forgotten. Returns how many pods were kept, or -EINVAL
 * with the reason in err when it is not a PodList. *rv (may be NULL) gets the list's
 * metadata.resourceVersion ("" when none), for the watch that follows.
 */
int cw_pods_apply_list(struct cw_pods *c, const json_t *list, char *rv, size_t rvlen, char *err,
		       size_t errlen);

/*
 * The same in pages (the API server's limit/continue, so that a big list is never one JSON
 * tree): cw_pods_list_begin, cw_pods_list_page for each page (a PodList; its items are kept,
 * *rv gets its resourceVersion; returns how many of its items were kept, or -EINVAL), then
 * cw_pods_list_end, which forgets the pods no page named and returns how many are held.
 * cw_pods_apply_list is the three at once. (Added by the podmeta helper, issue 22.)
 */
unsigned cw_pods_list_begin(struct cw_pods *c);
int cw_pods_list_page(struct cw_pods *c, unsigned list, const json_t *page, char *rv, size_t rvlen,
		      char *err, size_t errlen);
int cw_pods_list_end(struct cw_pods *c, unsigned list);

/*
 * One watch event {"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR, "object": ...}. *rv gets the
 * object's resourceVersion (BOOKMARK included). Returns 0, or for an ERROR event the Status's
 * code (410: the watch is too old, re-list) as a positive number, or -EINVAL with err.
 */
int cw_pods_apply_event(struct cw_pods *c, const json_t *event, char *rv, size_t rvlen, char *err,
			size_t errlen);

/* Pods held and the bytes their snapshots use (for metrics and the memory bench). */
size_t cw_pods_count(const struct cw_pods *c);
size_t cw_pods_bytes(const struct cw_pods *c);

/* The image's repository without tag or digest, its tag ("" when by digest only; "latest"
 * when neither) and its digest "sha256:..." (from image_id when image has none; "" none),
 * each cut to its buffer. */
void cw_image_split(const char *image, const char *image_id, char *name, size_t namelen, char *tag,
		    size_t taglen, char *digest, size_t digestlen);

#endif
