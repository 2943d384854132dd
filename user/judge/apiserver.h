/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Where this node's Kubernetes API server is: what the destination '@kubernetes-apiserver'
 * stands for (destinations.h). A service-account token goes to its cluster's API server, which
 * clients often name only by address: client-go connects to $KUBERNETES_SERVICE_HOST:
 * $KUBERNETES_SERVICE_PORT, an IP, so there is no SNI and the Host header is that IP.
 *
 * Known by name: kubernetes, kubernetes.default, kubernetes.default.svc,
 * kubernetes.default.svc.cluster.local and kubernetes.default.svc.<the kubelet's
 * clusterDomain> (its configuration, /var/lib/kubelet/config.yaml or the EKS and GKE
 * equivalents, read once), and the server names of the kubelet's kubeconfig.
 * Known by address:
 *   - the servers of the kubelet's kubeconfig (/etc/kubernetes/kubelet.conf,
 *     /var/lib/kubelet/kubeconfig and the k3s/RKE2 equivalents, below the host's root), read
 *     once when made: every workload on the node may reach them;
 *   - the cluster's service address, the one every pod is given: KUBERNETES_SERVICE_HOST with
 *     KUBERNETES_SERVICE_PORT (and _PORT_HTTPS) in the environment of an exec in a pod, or,
 *     for a pod the agent saw no exec of (it started after the pod), in the sender's
 *     /proc/PID/environ (read once per cgroup). An address is trusted once CW_APISERVER_VOTES
 *     different pods were given it: one pod (or a host process) setting the variables to an
 *     address of its choosing makes nothing a destination.
 * An address in the Host must be where the socket goes (when the socket's address is known).
 */
#ifndef CW_APISERVER_H
#define CW_APISERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_APISERVER_HOST_MAX 256
#define CW_APISERVER_CGROUPS_MAX 8192 /* cgroups remembered; the least recently seen goes */
#define CW_APISERVER_VOTES 2	      /* pods that must agree on the service address */
#define CW_APISERVER_CANDIDATES 8     /* different addresses pods claimed, kept */

/* One API server endpoint: an IP address (is_ip, addr) or a host name, and a port. */
struct cw_apiserver_ep {
	bool is_ip;
	uint8_t addr[16]; /* IPv4 as IPv4-mapped IPv6 */
	char host[CW_APISERVER_HOST_MAX];
	uint16_t port;
};

struct cw_apiservers_opts {
	const char *root; /* the host's root, for the kubelet's kubeconfig; NULL: "/" */
	const char *proc; /* to read a sender's environment; NULL: never (a replay, a test) */
};

struct cw_apiservers; /* opaque */

/* Reads the kubelet's kubeconfig (a missing one is no error). 0 or -ENOMEM. */
int cw_apiservers_new(const struct cw_apiservers_opts *o, struct cw_apiservers **out);
void cw_apiservers_free(struct cw_apiservers *a);

/* The node's API servers from its kubeconfig, and the file they came from ("" when none). */
size_t cw_apiservers_node(const struct cw_apiservers *a, const struct cw_apiserver_ep **eps,
			  const char **file);

/* The environment (NUL-separated, len bytes) of an exec in pod pod_uid ("" or NULL: not in
 * a pod, ignored): the service address it was given, its vote. Cheap when it names none. */
void cw_apiservers_exec_env(struct cw_apiservers *a, const char *pod_uid, const char *env,
			    size_t len);

/* A connection's server as the destination judge sees it (destinations.h struct cw_dest). */
struct cw_dest;
/* Is it the API server: by name, or by address as the sender's cgroup or the node knows it? */
bool cw_apiservers_match(struct cw_apiservers *a, const struct cw_dest *d);

/*
 * Pure parsers, for the above and tests. cw_kubeconfig_servers: the "server:" URL of every
 * cluster in a kubeconfig (YAML) into eps (at most max), *n how many; 0, or -EINVAL for a file
 * that is not YAML. cw_apiserver_url: "https://HOST[:PORT][/...]" (scheme optional; a bracketed
 * IPv6; the port defaults to 443, 80 for http://). cw_apiserver_addr: an IP literal, bare or
 * bracketed, into addr (IPv4-mapped). Both return false for what they do not take.
 */
int cw_kubeconfig_servers(const char *buf, size_t len, struct cw_apiserver_ep *eps, size_t max,
			  size_t *n);
bool cw_apiserver_url(const char *url, struct cw_apiserver_ep *ep);
bool cw_apiserver_addr(const char *s, uint8_t addr[16]);

#endif
