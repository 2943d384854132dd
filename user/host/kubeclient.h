/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Where pod metadata comes from: a client thread that feeds the pod cache (host/podmeta.h)
 * from the API server (one paged list of the node's pods, then one long-lived watch from the
 * list's resourceVersion, re-watched from the last one seen when it ends, re-listed on 410
 * Gone) or from the kubelet's /pods (fetched at the start, then only when a pod the agent
 * meets is not known). Nothing waits for it: the matching thread reads the cache, and asks
 * for an unknown pod through cw_kube_want, which never blocks. When the source fails, the
 * agent names workloads from their cgroups only, and the client logs one line when it goes
 * down and one when it is back, never one per retry. The token is sent only over HTTPS and
 * never logged.
 */
#ifndef CW_KUBECLIENT_H
#define CW_KUBECLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_KUBE_TOKEN_FILE "/var/run/secrets/kubernetes.io/serviceaccount/token"
#define CW_KUBE_CA_FILE "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
#define CW_KUBE_BACKOFF_MIN_MS 500
#define CW_KUBE_BACKOFF_MAX_MS 60000
#define CW_KUBE_TIMEOUT_MS 10000      /* connect + answer of a list, headers of a watch */
#define CW_KUBE_LIST_LIMIT 100	      /* pods a list page holds */
#define CW_KUBE_FETCH_GAP_MS 1000     /* kubelet: at most one on-demand fetch a second */
#define CW_KUBE_NOT_FOUND_MS 60000    /* a pod UID a fetch did not find: not asked again */
#define CW_KUBE_LINE_MAX (16u << 20)  /* a watch event (one JSON line) */
#define CW_KUBE_BODY_MAX (256u << 20) /* a list page or the kubelet's /pods */

/* auto (0, the default): the API server in a pod or when its URL is given, else off */
enum cw_kube_source { CW_KUBE_AUTO, CW_KUBE_OFF, CW_KUBE_APISERVER, CW_KUBE_KUBELET };

/* What `credwatch run` is given (kube_* options); NULL strings take the defaults. */
struct cw_kube_opts {
	enum cw_kube_source source;
	const char *apiserver;	 /* https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT */
	const char *kubelet_url; /* https://$NODE_IP:10250, else https://127.0.0.1:10250 */
	bool kubelet_insecure_tls;
	const char *token_file; /* CW_KUBE_TOKEN_FILE */
	const char *ca_file;	/* CW_KUBE_CA_FILE */
	const char *node_name;	/* $NODE_NAME, else the host name */
	unsigned timeout_ms;	/* 0: CW_KUBE_TIMEOUT_MS */
};

/* The options with every default filled in. */
struct cw_kube_config {
	enum cw_kube_source source; /* CW_KUBE_OFF, CW_KUBE_APISERVER or CW_KUBE_KUBELET */
	char url[512]; /* the API server's or the kubelet's base URL, no '/' at the end */
	char node[254];
	char token_file[512];
	char ca_file[512];
	bool insecure_tls;
	unsigned timeout_ms;
	char why[128]; /* how auto chose (for the start's log line) */
};

/*
 * Fill c from o, the environment (getenv: NULL in tests that give their own) and the host
 * name. 0, or -EINVAL with the reason in err (a URL that is neither http:// nor https://,
 * apiserver without a URL nor KUBERNETES_SERVICE_HOST).
 */
int cw_kube_resolve(const struct cw_kube_opts *o, const char *(*getenv_fn)(const char *),
		    const char *hostname, struct cw_kube_config *c, char *err, size_t errlen);

/* "auto", "apiserver", "kubelet", "off" -> source; -EINVAL for anything else. */
int cw_kube_source_parse(const char *s, enum cw_kube_source *out);
const char *cw_kube_source_name(enum cw_kube_source s);

struct cw_kube_stats {
	uint64_t lists;		 /* lists (API server, all pages) and kubelet fetches done */
	uint64_t list_requests;	 /* HTTP requests for them (pages, retries) */
	uint64_t watches;	 /* watch requests */
	uint64_t watch_restarts; /* a watch that ended and was started again */
	uint64_t relists_gone;	 /* lists again because the watch's version was too old (410) */
	uint64_t events;	 /* watch events applied */
	uint64_t errors;	 /* requests that failed: transport, HTTP status, body */
	uint64_t wanted;	 /* unknown pods the matching thread asked for */
	uint64_t pods;		 /* pods in the cache */
	uint64_t pod_bytes;	 /* the bytes their snapshots use */
	bool up;		 /* the last request succeeded (the watch is open, or the fetch) */
};

struct cw_pods;
struct cw_kube;

/* Start the client thread feeding pods (which must outlive it). 0 or -errno. */
int cw_kube_start(const struct cw_kube_config *c, struct cw_pods *pods, struct cw_kube **out);
/* Stop the thread and free the client (NULL: nothing). */
void cw_kube_stop(struct cw_kube *k);
/*
 * The callback handed to cw_workloads_set_pods (arg: the struct cw_kube *): a workload's pod
 * is not in the cache. Never blocks: notes the UID (when a lock is free at once) and wakes
 * the client, which fetches (kubelet, at most once a second; a UID a fetch did not find is
 * not asked for again for a minute) or lists (API server, only while the watch is down).
 */
void cw_kube_want(void *arg, const char *pod_uid);
/* The counters, from any thread. */
void cw_kube_stats(struct cw_kube *k, struct cw_kube_stats *s);

/* --- the pure steps, for the unit tests --- */

/* base + "/api/v1/pods?..." for a list page (cont "" for the first) or a watch from rv; the
 * node in a fieldSelector, each value percent-encoded. 0, or -ENAMETOOLONG. */
int cw_kube_list_url(const char *base, const char *node, const char *cont, unsigned limit,
		     char *buf, size_t len);
int cw_kube_watch_url(const char *base, const char *node, const char *rv, unsigned timeout_s,
		      char *buf, size_t len);
/* The wait before retry attempt (1, 2, ...): doubling from CW_KUBE_BACKOFF_MIN_MS up to
 * CW_KUBE_BACKOFF_MAX_MS, of which a random part (r in [0, 1)) is taken off: half to all. */
unsigned cw_kube_backoff_ms(unsigned attempt, double r);

/* Newline-delimited JSON as it arrives, in pieces cut anywhere: each whole line to fn. */
struct cw_kube_lines {
	char *buf;
	size_t len, cap;
	size_t max;    /* a longer line is an error */
	bool overflow; /* a line was too long: the stream cannot be trusted past it */
	int (*fn)(void *arg, const char *line, size_t len); /* non-zero stops */
	void *arg;
};
/* 0, the callback's non-zero, or -E2BIG (a line longer than max) or -ENOMEM. */
int cw_kube_lines_feed(struct cw_kube_lines *l, const char *data, size_t n);
void cw_kube_lines_free(struct cw_kube_lines *l);

#endif
