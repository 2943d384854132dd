// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The Kubernetes API server by name and by address (apiserver.h): the kubelet's kubeconfig,
 * read once, and one small entry per cgroup for the service address its pod was given.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host/hosttap.h"
#include "judge/apiserver.h"
#include "judge/destinations.h"
#include "util/fileio.h"
#include "util/table.h"
#include "util/yaml_reader.h"

#define NODE_MAX 16 /* API server endpoints taken from kubeconfigs */
#define CG_EPS 2    /* per cgroup: the service port, and the HTTPS one when it differs */
#define KUBECONFIG_MAX (1u << 20)
#define ENVIRON_MAX (1u << 20) /* a sender's /proc/PID/environ read at most */
#define YAML_DEPTH 64	       /* kubeconfig nesting followed; deeper is not a kubeconfig */
#define HOST_VAR "KUBERNETES_SERVICE_HOST="

/* Where kubelets keep their kubeconfig (kubeadm and most, EKS/GKE/AKS, k3s, RKE2). */
static const char *const kubelet_kubeconfigs[] = {
	"/etc/kubernetes/kubelet.conf",
	"/var/lib/kubelet/kubeconfig",
	"/etc/kubernetes/kubelet-kubeconfig",
	"/var/lib/rancher/k3s/agent/kubelet.kubeconfig",
	"/var/lib/rancher/rke2/agent/kubelet.kubeconfig",
};

/* Where kubelets keep their configuration, for its clusterDomain (kubeadm, EKS, GKE). */
static const char *const kubelet_configs[] = {
	"/var/lib/kubelet/config.yaml",
	"/etc/kubernetes/kubelet/kubelet-config.json",
	"/etc/kubernetes/kubelet/config.json",
	"/home/kubernetes/kubelet-config.yaml",
};

/* The API server's in-cluster names; with a cluster domain, the default's and the node's. */
static const char *const service_names[] = {
	"kubernetes",
	"kubernetes.default",
	"kubernetes.default.svc",
	"kubernetes.default.svc.cluster.local",
};
#define SERVICE_FQDN "kubernetes.default.svc."

/* A cgroup whose sender's environment was read (once: not read again). */
struct cg_entry {
	uint64_t cgroup_id;
	UT_hash_handle hh;
	uint64_t last; /* a->clock when last used: the least recent goes when full */
	size_t n;
	struct cw_apiserver_ep ep[CG_EPS];
};

/*
 * A service address pods said they were given, and which pods said it. Every pod of a cluster
 * is given the same one (the `kubernetes` service): an address is trusted once two pods agree,
 * so one pod setting KUBERNETES_SERVICE_HOST to an address of its choosing whitelists nothing.
 */
struct candidate {
	struct cw_apiserver_ep ep[CG_EPS];
	size_t n;
	char pods[CW_APISERVER_VOTES][40];
	size_t votes;
};

struct cw_apiservers {
	char *proc;
	struct cw_apiserver_ep node[NODE_MAX];
	size_t nnode;
	char node_file[4096];
	char domain[CW_APISERVER_HOST_MAX]; /* the kubelet's clusterDomain, or "" */
	struct cg_entry *by_cg;
	size_t ncg;
	uint64_t clock;
	struct candidate cand[CW_APISERVER_CANDIDATES];
	size_t ncand;
};

bool cw_apiserver_addr(const char *s, uint8_t addr[16])
{
	char buf[64];
	struct in_addr v4;
	const char *end;
	size_t n;

	if (s[0] == '[') {
		if (!(end = strchr(s, ']')))
			return false;
		s++;
	} else {
		end = s + strlen(s);
	}
	n = (size_t)(end - s);
	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		memset(addr, 0, 10);
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, &v4, 4);
		return true;
	}
	return inet_pton(AF_INET6, buf, addr) == 1;
}

/* host (n bytes, a name or an IP literal) and port into ep. */
static bool make_ep(const char *host, size_t n, unsigned long port, struct cw_apiserver_ep *ep)
{
	if (!n || n >= sizeof(ep->host) || !port || port > 65535)
		return false;
	memset(ep, 0, sizeof(*ep));
	for (size_t i = 0; i < n; i++)
		ep->host[i] =
			(char)((host[i] >= 'A' && host[i] <= 'Z') ? host[i] - 'A' + 'a' : host[i]);
	ep->port = (uint16_t)port;
	ep->is_ip = cw_apiserver_addr(ep->host, ep->addr);
	return true;
}

bool cw_apiserver_url(const char *url, struct cw_apiserver_ep *ep)
{
	unsigned long port = 443;
	const char *h = url, *e;
	char *pe;

	if (!strncasecmp(h, "https://", 8)) {
		h += 8;
	} else if (!strncasecmp(h, "http://", 7)) {
		h += 7;
		port = 80;
	}
	if (h[0] == '[') {
		if (!(e = strchr(h, ']')))
			return false;
		e++;
	} else {
		e = h + strcspn(h, ":/?#");
	}
	if (*e == ':') {
		port = strtoul(e + 1, &pe, 10);
		if (pe == e + 1 || (*pe && *pe != '/'))
			return false;
	} else if (*e && *e != '/' && *e != '?' && *e != '#') {
		return false;
	}
	return make_ep(h, (size_t)(e - h), port, ep);
}

/* A walk through a YAML file for the scalar values of one key, at any depth: which
 * collections we are in, and whether the value coming is the key's. */
struct kc_walk {
	struct cw_yaml y;
	const char *key;
	void (*take)(const char *value, void *arg);
	void *arg;
	bool mapping[YAML_DEPTH]; /* per level: a mapping (else a sequence) */
	bool want_key[YAML_DEPTH];
	int depth;
	bool server_key; /* the value coming is the key's */
};

/* A value (a scalar or a whole collection) ended: the mapping it was in wants a key next. */
static void kc_value_done(struct kc_walk *w)
{
	if (w->depth > 0 && w->mapping[w->depth - 1])
		w->want_key[w->depth - 1] = true;
	w->server_key = false;
}

static void kc_scalar(struct kc_walk *w)
{
	const char *s = cw_yaml_scalar(&w->y);

	if (w->depth > 0 && w->mapping[w->depth - 1] && w->want_key[w->depth - 1]) {
		w->want_key[w->depth - 1] = false;
		w->server_key = !strcmp(s, w->key);
		return;
	}
	if (w->server_key)
		w->take(s, w->arg);
	kc_value_done(w);
}

static int kc_doc(void *arg)
{
	struct kc_walk *w = arg;
	int ret;

	while (!(ret = cw_yaml_next(&w->y))) {
		switch (w->y.ev.type) {
		case YAML_STREAM_END_EVENT: return 0;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (w->depth == YAML_DEPTH)
				return cw_yaml_fail(&w->y, cw_yaml_line(&w->y), "nested too deep");
			w->server_key = false;
			w->mapping[w->depth] = w->y.ev.type == YAML_MAPPING_START_EVENT;
			w->want_key[w->depth++] = true;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			if (w->depth > 0)
				w->depth--;
			kc_value_done(w);
			break;
		case YAML_SCALAR_EVENT: kc_scalar(w); break;
		default: break;
		}
	}
	return ret;
}

/* Every scalar value of key in a YAML (or JSON) file, to take. */
static int yaml_values(const char *buf, size_t len, const char *key,
		       void (*take)(const char *value, void *arg), void *arg)
{
	char err[256];
	struct kc_walk w = {
		.y = { .file = "kubeconfig",
		       .doc = "a kubeconfig",
		       .err = err,
		       .errlen = sizeof(err) },
		.key = key,
		.take = take,
		.arg = arg,
	};

	return cw_yaml_parse(&w.y, buf, len, kc_doc, &w);
}

struct servers {
	struct cw_apiserver_ep *eps;
	size_t max, n;
};

static void take_server(const char *url, void *arg)
{
	struct servers *s = arg;

	if (s->n < s->max && cw_apiserver_url(url, &s->eps[s->n]))
		s->n++;
}

int cw_kubeconfig_servers(const char *buf, size_t len, struct cw_apiserver_ep *eps, size_t max,
			  size_t *n)
{
	struct servers s = { .eps = eps, .max = max };
	int ret = yaml_values(buf, len, "server", take_server, &s);

	*n = s.n;
	return ret;
}

static void take_domain(const char *domain, void *arg)
{
	char *out = arg;

	/* a DNS name, without the root's dot */
	if (!out[0] && domain[0] && strlen(domain) < CW_APISERVER_HOST_MAX &&
	    strspn(domain, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") ==
		    strlen(domain)) {
		snprintf(out, CW_APISERVER_HOST_MAX, "%s", domain);
		if (out[strlen(out) - 1] == '.')
			out[strlen(out) - 1] = '\0';
	}
}

/* The kubelet's clusterDomain, from the first of its configurations that names one. */
static void read_cluster_domain(struct cw_apiservers *a, const char *root)
{
	for (size_t i = 0; i < sizeof(kubelet_configs) / sizeof(*kubelet_configs) && !a->domain[0];
	     i++) {
		char path[4096], *buf;
		size_t len;

		snprintf(path, sizeof(path), "%s%s", root && strcmp(root, "/") ? root : "",
			 kubelet_configs[i]);
		if (cw_read_file(path, KUBECONFIG_MAX, &buf, &len))
			continue;
		yaml_values(buf, len, "clusterDomain", take_domain, a->domain);
		free(buf);
	}
}

/* The node's kubeconfigs below root: every server they name, once. */
static void read_kubeconfigs(struct cw_apiservers *a, const char *root)
{
	for (size_t i = 0; i < sizeof(kubelet_kubeconfigs) / sizeof(*kubelet_kubeconfigs); i++) {
		struct cw_apiserver_ep eps[NODE_MAX];
		char path[4096], *buf;
		size_t len, n = 0;

		snprintf(path, sizeof(path), "%s%s", root && strcmp(root, "/") ? root : "",
			 kubelet_kubeconfigs[i]);
		if (cw_read_file(path, KUBECONFIG_MAX, &buf, &len))
			continue;
		cw_kubeconfig_servers(buf, len, eps, NODE_MAX, &n);
		free(buf);
		for (size_t k = 0; k < n && a->nnode < NODE_MAX; k++) {
			bool dup = false;

			for (size_t j = 0; j < a->nnode && !dup; j++)
				dup = !strcmp(a->node[j].host, eps[k].host) &&
				      a->node[j].port == eps[k].port;
			if (!dup)
				a->node[a->nnode++] = eps[k];
		}
		if (n && !a->node_file[0])
			snprintf(a->node_file, sizeof(a->node_file), "%s", path);
	}
}

int cw_apiservers_new(const struct cw_apiservers_opts *o, struct cw_apiservers **out)
{
	struct cw_apiservers *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (!a)
		return -ENOMEM;
	if (o && o->proc && !(a->proc = strdup(o->proc))) {
		free(a);
		return -ENOMEM;
	}
	if (!cw_host_replaying()) { /* a replay reads nothing of the machine it runs on */
		read_kubeconfigs(a, o ? o->root : NULL);
		read_cluster_domain(a, o ? o->root : NULL);
	}
	*out = a;
	return 0;
}

void cw_apiservers_free(struct cw_apiservers *a)
{
	struct cg_entry *e, *tmp;

	if (!a)
		return;
	HASH_ITER (hh, a->by_cg, e, tmp) {
		HASH_DEL(a->by_cg, e);
		free(e);
	}
	free(a->proc);
	free(a);
}

size_t cw_apiservers_node(const struct cw_apiservers *a, const struct cw_apiserver_ep **eps,
			  const char **file)
{
	*eps = a->node;
	*file = a->node_file;
	return a->nnode;
}

/* The value of variable name= in a NUL-separated environment, or NULL. */
static const char *env_get(const char *env, size_t len, const char *name)
{
	size_t nl = strlen(name);

	for (size_t off = 0; off < len;) {
		const char *s = env + off;
		size_t sl = strnlen(s, len - off);

		if (sl > nl && !memcmp(s, name, nl) && off + sl < len)
			return s + nl;
		off += sl + 1;
	}
	return NULL;
}

/* The service address in an environment: host with its port, and its HTTPS port. */
static size_t env_endpoints(const char *env, size_t len, struct cw_apiserver_ep ep[CG_EPS])
{
	const char *host = env_get(env, len, HOST_VAR);
	const char *ports[] = { env_get(env, len, "KUBERNETES_SERVICE_PORT="),
				env_get(env, len, "KUBERNETES_SERVICE_PORT_HTTPS=") };
	unsigned long https;
	size_t n = 0;

	if (!host)
		return 0;
	if (make_ep(host, strlen(host), ports[0] ? strtoul(ports[0], NULL, 10) : 443, &ep[0]))
		n++;
	https = ports[1] ? strtoul(ports[1], NULL, 10) : 0;
	if (https && (!n || https != ep[0].port) && make_ep(host, strlen(host), https, &ep[n]))
		n++;
	return n;
}

static void drop_least_recent(struct cw_apiservers *a)
{
	struct cg_entry *e, *tmp, *old = NULL;

	HASH_ITER (hh, a->by_cg, e, tmp)
		if (!old || e->last < old->last)
			old = e;
	if (old) {
		HASH_DEL(a->by_cg, old);
		free(old);
		a->ncg--;
	}
}

static struct cg_entry *cg_add(struct cw_apiservers *a, uint64_t cgroup_id)
{
	struct cg_entry *e;

	if (a->ncg >= CW_APISERVER_CGROUPS_MAX)
		drop_least_recent(a);
	if (!(e = calloc(1, sizeof(*e))))
		return NULL;
	e->cgroup_id = cgroup_id;
	HASH_ADD(hh, a->by_cg, cgroup_id, sizeof(e->cgroup_id), e);
	if (!CW_HASH_ADDED(e, hh)) {
		free(e);
		return NULL;
	}
	a->ncg++;
	return e;
}

static bool same_eps(const struct cw_apiserver_ep *x, size_t nx, const struct cw_apiserver_ep *y,
		     size_t ny)
{
	if (nx != ny)
		return false;
	for (size_t i = 0; i < nx; i++)
		if (x[i].is_ip != y[i].is_ip || x[i].port != y[i].port ||
		    (x[i].is_ip ? memcmp(x[i].addr, y[i].addr, 16)
				: strcasecmp(x[i].host, y[i].host)))
			return false;
	return true;
}

/* A pod says it was given eps: its vote. A cgroup outside a pod has none. */
static void vote(struct cw_apiservers *a, const char *pod_uid, const struct cw_apiserver_ep *eps,
		 size_t n)
{
	struct candidate *c = NULL;

	if (!pod_uid || !pod_uid[0] || !n)
		return;
	for (size_t i = 0; i < a->ncand && !c; i++)
		if (same_eps(a->cand[i].ep, a->cand[i].n, eps, n))
			c = &a->cand[i];
	if (!c) {
		if (a->ncand == CW_APISERVER_CANDIDATES)
			return; /* that many different addresses: the first ones stand */
		c = &a->cand[a->ncand++];
		memcpy(c->ep, eps, n * sizeof(*eps));
		c->n = n;
	}
	for (size_t i = 0; i < c->votes; i++)
		if (!strcmp(c->pods[i], pod_uid))
			return;
	if (c->votes == CW_APISERVER_VOTES)
		return;
	snprintf(c->pods[c->votes++], sizeof(c->pods[0]), "%s", pod_uid);
}

void cw_apiservers_exec_env(struct cw_apiservers *a, const char *pod_uid, const char *env,
			    size_t len)
{
	struct cw_apiserver_ep ep[CG_EPS];
	size_t n;

	if (!a || !pod_uid || !pod_uid[0] || !memmem(env, len, HOST_VAR, sizeof(HOST_VAR) - 1))
		return;
	if ((n = env_endpoints(env, len, ep)))
		vote(a, pod_uid, ep, n);
}

/* One read of the sender's environment per cgroup (the agent started after its pod's execs):
 * its vote. */
static void read_sender(struct cw_apiservers *a, const struct cw_dest *d)
{
	struct cg_entry *e;
	char path[4096], *buf;
	size_t len;

	if (!a->proc || !d->pid || !d->pod_uid || !d->pod_uid[0])
		return;
	HASH_FIND(hh, a->by_cg, &d->cgroup_id, sizeof(d->cgroup_id), e);
	if (e) {
		e->last = ++a->clock;
		return;
	}
	if (cw_host_replaying()) { /* a replay: what was read then (host/hosttap.h) */
		const void *v = cw_host_recall_pid(CW_HOST_ENVIRON, d->pid, &len);

		if (!v || !len || !(buf = malloc(len)))
			return;
		memcpy(buf, v, len);
	} else {
		snprintf(path, sizeof(path), "%s/%u/environ", a->proc, d->pid);
		if (cw_read_file(path, ENVIRON_MAX, &buf, &len)) {
			cw_host_note_pid(CW_HOST_ENVIRON, d->pid, NULL, 0);
			return; /* gone, or too large: perhaps an exec says it later */
		}
		cw_host_note_pid(CW_HOST_ENVIRON, d->pid, buf, len);
	}
	if ((e = cg_add(a, d->cgroup_id))) {
		e->n = env_endpoints(buf, len, e->ep);
		e->last = ++a->clock;
		vote(a, d->pod_uid, e->ep, e->n);
	}
	free(buf);
}

/* Does one endpoint stand for the server: by name, or by address (port 0: any port)? */
static bool ep_is(const struct cw_apiserver_ep *ep, const char *name, const uint8_t *addr,
		  uint16_t port)
{
	if (!addr)
		return !ep->is_ip && !strcasecmp(ep->host, name);
	return ep->is_ip && !memcmp(ep->addr, addr, 16) && (!port || ep->port == port);
}

bool cw_apiservers_match(struct cw_apiservers *a, const struct cw_dest *d)
{
	uint8_t saddr[16], daddr[16], *addr = NULL;
	uint16_t port = 0;

	if (!d->server || !d->server[0])
		return false;
	if (cw_apiserver_addr(d->server, saddr)) {
		addr = saddr;
		/* A Host that is an address names where the socket goes: the socket's address and
		 * port must be it (a client cannot claim the API server's address and send
		 * elsewhere). Only a socket whose address is unknown is judged by the Host alone.
		 */
		if (d->ip && d->ip[0] && cw_apiserver_addr(d->ip, daddr)) {
			if (memcmp(daddr, saddr, 16))
				return false;
			port = d->port;
		}
	} else {
		for (size_t i = 0; i < sizeof(service_names) / sizeof(*service_names); i++)
			if (!strcasecmp(service_names[i], d->server))
				return true;
		if (a && a->domain[0] &&
		    !strncasecmp(d->server, SERVICE_FQDN, sizeof(SERVICE_FQDN) - 1) &&
		    !strcasecmp(d->server + sizeof(SERVICE_FQDN) - 1, a->domain))
			return true;
	}
	if (!a)
		return false;
	for (size_t i = 0; i < a->nnode; i++)
		if (ep_is(&a->node[i], d->server, addr, port))
			return true;
	read_sender(a, d);
	for (size_t c = 0; c < a->ncand; c++)
		for (size_t i = 0; a->cand[c].votes >= CW_APISERVER_VOTES && i < a->cand[c].n; i++)
			if (ep_is(&a->cand[c].ep[i], d->server, addr, port))
				return true;
	return false;
}
