/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Workload identity: a cgroup id (bpf_get_current_cgroup_id(), the cgroup v2 directory's inode
 * number) -> its cgroup path -> container id and runtime, Kubernetes pod UID and QoS class,
 * pod namespace/name and container name (from /var/log/pods and /var/log/containers), or the
 * systemd unit of a host service. Cached by cgroup id; an entry is dropped when its cgroup is
 * removed (cw_workloads_forget) or found gone.
 */
#ifndef CW_WORKLOAD_H
#define CW_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "util/json_writer.h"

#define CW_WL_KEY_MAX 320
#define CW_CONTAINER_ID_HEX 64 /* a container id: 64 lowercase hex */

struct cw_workload {
	uint64_t cgroup_id;
	char cgroup[512]; /* path below the v2 hierarchy's root; "/" root; "" unknown */
	char container_id[CW_CONTAINER_ID_HEX + 1]; /* full id or "" */
	char runtime[16]; /* "containerd", "cri-o", "docker", "podman" or "" */
	char pod_uid[40]; /* with dashes, as the API shows it, or "" */
	char qos[12];	  /* "guaranteed", "burstable", "besteffort" or "" */
	char pod_namespace[64];
	char pod_name[254];
	char container_name[64];
	char unit[256];	      /* systemd unit (e.g. "ssh.service") of a host service */
	char session[64];     /* systemd login session scope (e.g. "session-3.scope") */
	char session_uid[12]; /* the uid whose user-UID.slice holds it */
	/*
	 * Stable identity, what ownership compares: "k8s:NAMESPACE/OWNER" when the pod's name is
	 * known (OWNER: the pod name without the suffixes a Deployment, DaemonSet or Job adds,
	 * so that replicas are one workload), else "pod:UID"; "container:ID12" (first 12 hex)
	 * outside Kubernetes; "unit:NAME" for a systemd service; "session:uid:UID" for a login
	 * session (every session of one user is one workload: sudo inside it included); "" when
	 * none applies (the caller then names the workload by its process tree). With pod
	 * metadata (cw_workloads_set_pods): the pod's names come from it when the log
	 * directories have none, OWNER is still read from the pod's name, except that the
	 * metadata's controller (Deployment, ReplicaSet, DaemonSet, Job, CronJob) names a pod
	 * whose name the heuristic kept whole; a "k8s:" key, once set, never changes.
	 */
	char key[CW_WL_KEY_MAX];
	/*
	 * The pod's metadata from the API server or the kubelet (host/podmeta.h), NULL when not
	 * known (no metadata source, or not learned yet); the process's container in it, NULL
	 * when not known. References owned by the cache entry: valid as long as the entry.
	 */
	const struct cw_pod *pod;
	const struct cw_pod_container *pod_container;
};

struct cw_workload_opts {
	const char *cgroup_root;    /* NULL: the cgroup2 mount (/sys/fs/cgroup/unified on a
				     * hybrid host, else /sys/fs/cgroup) found in /proc/mounts */
	const char *pods_dir;	    /* NULL: /var/log/pods */
	const char *containers_dir; /* NULL: /var/log/containers */
	const char *proc_dir;	    /* NULL: /proc (tests point it at a fixture) */
};

struct cw_workloads; /* the cache; opaque */

int cw_workloads_new(const struct cw_workload_opts *o, struct cw_workloads **out);
void cw_workloads_free(struct cw_workloads *w);

/*
 * The workload of a process in cgroup cgroup_id. pid (0 when unknown) helps: /proc/PID/cgroup
 * names the path without walking the hierarchy. Never NULL: an unknown cgroup gives an entry
 * with cgroup "" and key "". The pointer stays valid until the next cw_workloads_* call that
 * may evict (get, forget, sweep).
 */
const struct cw_workload *cw_workload_get(struct cw_workloads *w, uint64_t cgroup_id, uint32_t pid);
/* A cgroup was made (tracepoint cgroup_mkdir): remember where it is, once checked that path
 * below the hierarchy's root is that id (other hierarchies' events are not). */
void cw_workloads_learn(struct cw_workloads *w, uint64_t cgroup_id, const char *path);
/* The cgroup was removed (tracepoint cgroup_rmdir): forget it. */
void cw_workloads_forget(struct cw_workloads *w, uint64_t cgroup_id);
/* Drop cached entries whose cgroup directory no longer exists; returns how many. */
size_t cw_workloads_sweep(struct cw_workloads *w);

struct cw_pods;
/*
 * Join pod metadata to workloads: from now on cw_workload_get fills pod and pod_container from
 * pods (by pod UID and container id) and, when /var/log/pods did not name the pod, its
 * namespace and name. want (may be NULL) is called, once per pod UID, when a workload's pod
 * is not in pods: the metadata client looks it up (it must not block).
 */
void cw_workloads_set_pods(struct cw_workloads *w, struct cw_pods *pods,
			   void (*want)(void *arg, const char *pod_uid), void *arg);

/* Every cached workload (a recording's opening state, agent/tap.h). */
void cw_workloads_each(struct cw_workloads *w, void (*fn)(void *arg, const struct cw_workload *wl),
		       void *arg);

/*
 * The workload as the host tap records it (host/hosttap.h, CW_HOST_WORKLOAD): its names as
 * u16-length strings (cgroup, container id, runtime, pod UID, QoS, pod namespace, pod name,
 * container name, unit, session, session uid, key), then a u32 length and the pod's metadata
 * as a Pod JSON object (0: none). encode: *out malloc'd; 0 or -ENOMEM.
 */
int cw_workload_encode(const struct cw_workload *wl, unsigned char **out, size_t *len);
/* Back (wl->cgroup_id kept); the pod (when pods is given) is a new reference wl holds, for
 * the caller to cw_pod_put. 0, or -EINVAL on bytes that are not one. */
int cw_workload_decode(const struct cw_pods *pods, const void *data, size_t len,
		       struct cw_workload *wl);
/* Hand wl to the host tap's recorder as CW_HOST_WORKLOAD (nothing when none listens). */
void cw_workload_note(const struct cw_workload *wl);

/* The cgroup v2 hierarchy's mount point, or NULL when there is none. */
const char *cw_workloads_root(const struct cw_workloads *w);

/* The length of the controller name a pod name starts with (all of it when none). */
size_t cw_workload_owner_len(const char *pod);

/* Pure: fill container/pod/unit fields and key from a cgroup path (no file access). */
void cw_workload_parse_path(const char *cgroup_path, struct cw_workload *out);
/* Set wl's key from what is known of it (see key above). */
void cw_workload_set_key(struct cw_workload *wl);

/*
 * ECS members for a finding, in the current object: "container" {id, runtime, name} when in a
 * container; "orchestrator" {type "kubernetes", namespace, resource {type "pod", name, id}}
 * when in a pod; nothing else. (The cgroup path, QoS, unit and key go into the caller's
 * "credwatch" object through cw_workload_json_detail.)
 */
void cw_workload_json(struct cw_json *j, const struct cw_workload *wl);
/* "cgroup", "qos", "systemd_unit", "session" members, each only when known (the workload
 * key is the caller's: it may be a process tree's). */
void cw_workload_json_detail(struct cw_json *j, const struct cw_workload *wl);

#endif
