// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* judge/apiserver: the Kubernetes API server by name and by address. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "judge/apiserver.h"
#include "judge/destinations.h"
#include "test.h"
#include "testutil.h"

TEST(apiserver_urls)
{
	struct cw_apiserver_ep ep;

	REQUIRE(cw_apiserver_url("https://10.0.0.5:6443", &ep));
	CHECK(ep.is_ip);
	CHECK_EQ_STR(ep.host, "10.0.0.5");
	CHECK_EQ_INT(ep.port, 6443);
	REQUIRE(cw_apiserver_url("https://API.Cluster.example.com", &ep));
	CHECK(!ep.is_ip);
	CHECK_EQ_STR(ep.host, "api.cluster.example.com");
	CHECK_EQ_INT(ep.port, 443);
	REQUIRE(cw_apiserver_url("https://[fd00::10]:6443/", &ep));
	CHECK(ep.is_ip);
	CHECK_EQ_INT(ep.port, 6443);
	REQUIRE(cw_apiserver_url("http://127.0.0.1", &ep));
	CHECK_EQ_INT(ep.port, 80);
	REQUIRE(cw_apiserver_url("k8s.example:8443/prefix", &ep));
	CHECK_EQ_STR(ep.host, "k8s.example");
	CHECK_EQ_INT(ep.port, 8443);
	CHECK(!cw_apiserver_url("https://host:port", &ep));
	CHECK(!cw_apiserver_url("https://host:70000", &ep));
	CHECK(!cw_apiserver_url("https://:443", &ep));
	CHECK(!cw_apiserver_url("", &ep));
	CHECK(!cw_apiserver_url("https://[fd00::1", &ep));
}

TEST(apiserver_addresses)
{
	uint8_t a[16], b[16];

	REQUIRE(cw_apiserver_addr("10.96.0.1", a));
	REQUIRE(cw_apiserver_addr("::ffff:10.96.0.1", b)); /* how inet_ntop writes a mapped one */
	CHECK(!memcmp(a, b, 16));
	REQUIRE(cw_apiserver_addr("[fd00::1]", a));
	REQUIRE(cw_apiserver_addr("fd00::1", b));
	CHECK(!memcmp(a, b, 16));
	CHECK(!cw_apiserver_addr("kubernetes.default.svc", a));
	CHECK(!cw_apiserver_addr("10.96.0", a));
	CHECK(!cw_apiserver_addr("", a));
}

/* A kubeadm kubelet.conf: the server of its cluster, not values of other keys. */
static const char kubelet_conf[] =
	"apiVersion: v1\n"
	"clusters:\n"
	"- cluster:\n"
	"    certificate-authority-data: LS0tLS1CRUdJTg==\n"
	"    server: https://192.168.49.2:8443\n"
	"  name: kubernetes\n"
	"- cluster: {server: 'https://api.prod.example.com', insecure-skip-tls-verify: false}\n"
	"  name: prod\n"
	"contexts:\n"
	"- context: {cluster: kubernetes, user: 'system:node:n1'}\n"
	"  name: default\n"
	"users:\n"
	"- name: 'system:node:n1'\n"
	"  user:\n"
	"    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n"
	"    exec: {args: [server, 'https://not-a-cluster.example'], command: x}\n"
	"preferences: {server: {}}\n";

TEST(apiserver_kubeconfig_servers)
{
	struct cw_apiserver_ep eps[4];
	size_t n = 9;

	REQUIRE(cw_kubeconfig_servers(kubelet_conf, sizeof(kubelet_conf) - 1, eps, 4, &n) == 0);
	REQUIRE(n == 2);
	CHECK(eps[0].is_ip);
	CHECK_EQ_STR(eps[0].host, "192.168.49.2");
	CHECK_EQ_INT(eps[0].port, 8443);
	CHECK(!eps[1].is_ip);
	CHECK_EQ_STR(eps[1].host, "api.prod.example.com");
	CHECK_EQ_INT(eps[1].port, 443);
	/* bounded by max; not YAML: an error and nothing */
	CHECK(cw_kubeconfig_servers(kubelet_conf, sizeof(kubelet_conf) - 1, eps, 1, &n) == 0);
	CHECK_EQ_INT(n, 1);
	CHECK(cw_kubeconfig_servers("clusters: [\n", 12, eps, 4, &n) != 0);
	CHECK_EQ_INT(n, 0);
}

/* A sender in cgroup (pod "pod-CGROUP" when pid is given, so its environment may be read). */
static bool match(struct cw_apiservers *a, const char *server, const char *ip, uint16_t port,
		  uint64_t cgroup, uint32_t pid)
{
	char pod[40];
	struct cw_dest d = { .server = server,
			     .ip = ip,
			     .port = port,
			     .cgroup_id = cgroup,
			     .pid = pid,
			     .pod_uid = pod };

	snprintf(pod, sizeof(pod), "pod-%llu", (unsigned long long)cgroup);

	return cw_apiservers_match(a, &d);
}

/* A node's root: its kubelet's kubeconfig and configuration; a /proc with one environment. */
TEST(apiserver_node_kubeconfig_and_sender_environment)
{
	static const char env[] =
		"HOME=/\0KUBERNETES_SERVICE_PORT_HTTPS=443\0"
		"KUBERNETES_SERVICE_HOST=fd00:96::1\0KUBERNETES_SERVICE_PORT=443\0";
	char dir[256], path[512], proc[300];
	struct cw_apiservers *a;
	const struct cw_apiserver_ep *eps;
	const char *file;

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/etc", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/etc/kubernetes", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/etc/kubernetes/kubelet.conf", dir);
	REQUIRE(tu_write_file(path, kubelet_conf, sizeof(kubelet_conf) - 1, 0600) == 0);
	snprintf(path, sizeof(path), "%s/var", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/var/lib", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/var/lib/kubelet", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/var/lib/kubelet/config.yaml", dir);
	REQUIRE(tu_write_file(path, "kind: KubeletConfiguration\nclusterDomain: corp.internal.\n",
			      56, 0600) == 0);
	snprintf(proc, sizeof(proc), "%s/proc", dir);
	mkdir(proc, 0700);
	snprintf(path, sizeof(path), "%s/proc/4242", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/proc/4242/environ", dir);
	REQUIRE(tu_write_file(path, env, sizeof(env) - 1, 0600) == 0);

	REQUIRE(cw_apiservers_new(&(struct cw_apiservers_opts){ .root = dir, .proc = proc }, &a) ==
		0);
	CHECK_EQ_INT(cw_apiservers_node(a, &eps, &file), 2);
	CHECK_CONTAINS(file, "/etc/kubernetes/kubelet.conf");
	/* the node's API server by address, from any workload; its port only */
	CHECK(match(a, "192.168.49.2", "192.168.49.2", 8443, 1, 0));
	CHECK(match(a, "192.168.49.2", "::ffff:192.168.49.2", 8443, 1, 0));
	CHECK(!match(a, "192.168.49.2", "192.168.49.2", 443, 1, 0));
	/* a Host naming the API server's address on a socket that goes elsewhere: no (a client
	 * could claim it and send anywhere); with the socket's address unknown, the Host's */
	CHECK(!match(a, "192.168.49.2", "10.0.0.3", 3128, 1, 0));
	CHECK(match(a, "192.168.49.2", "", 0, 1, 0));
	/* by name, with the kubelet's cluster domain */
	CHECK(match(a, "api.prod.example.com", "", 0, 1, 0));
	CHECK(match(a, "kubernetes.default.svc.corp.internal", "", 0, 1, 0));
	CHECK(match(a, "kubernetes.default.svc.cluster.local", "", 0, 1, 0));
	CHECK(!match(a, "kubernetes.default.svc.evil.example", "", 0, 1, 0));
	CHECK(!match(a, "api.prod.example.com.evil.example", "", 0, 1, 0));
	/* the service address from senders' environments, read once per cgroup: trusted when
	 * two pods were given it */
	CHECK(!match(a, "[fd00:96::1]", "fd00:96::1", 443, 7, 0));    /* no pid: no environment */
	CHECK(!match(a, "[fd00:96::1]", "fd00:96::1", 443, 7, 4242)); /* one pod says so */
	CHECK(!match(a, "[fd00:96::1]", "fd00:96::1", 443, 7, 4242)); /* read once: no 2nd vote */
	CHECK(match(a, "[fd00:96::1]", "fd00:96::1", 443, 8, 4242));  /* a second pod */
	CHECK(match(a, "[fd00:96::1]:443", "fd00:96::1", 443, 9, 0)); /* for every pod */
	CHECK(!match(a, "", "fd00:96::1", 443, 7, 0));		      /* unnamed */
	/* an address in the Host must be where the socket goes */
	CHECK(!match(a, "[fd00:96::1]", "203.0.113.9", 443, 7, 0));
	cw_apiservers_free(a);
	tu_rmtree(dir);
}

/* Pods vote for the service address they were given: two must agree; a host process or one
 * pod naming an address of its choosing makes nothing a destination. */
TEST(apiserver_exec_environment_two_pods_agree)
{
	static const char given[] =
		"KUBERNETES_SERVICE_HOST=10.96.0.1\0"
		"KUBERNETES_SERVICE_PORT=443\0KUBERNETES_SERVICE_PORT_HTTPS=443\0";
	static const char other[] = "KUBERNETES_SERVICE_HOST=203.0.113.9\0"
				    "KUBERNETES_SERVICE_PORT=443\0";
	static const char named[] = "KUBERNETES_SERVICE_HOST=api.internal.example\0"
				    "KUBERNETES_SERVICE_PORT=6443\0";
	static const char none[] = "PATH=/bin\0KUBERNETES_SERVICE_HOSTX\0";
	struct cw_apiservers *a;

	REQUIRE(cw_apiservers_new(&(struct cw_apiservers_opts){ .root = "/nonexistent" }, &a) == 0);
	cw_apiservers_exec_env(a, "pod-a", none, sizeof(none) - 1);
	CHECK(!match(a, "10.96.0.1", "10.96.0.1", 443, 5, 0));
	cw_apiservers_exec_env(a, "pod-a", given, sizeof(given) - 1);
	cw_apiservers_exec_env(a, "pod-a", given, sizeof(given) - 1); /* one pod, one vote */
	CHECK(!match(a, "10.96.0.1", "10.96.0.1", 443, 5, 0));
	cw_apiservers_exec_env(a, "", given, sizeof(given) - 1); /* a host process: none */
	cw_apiservers_exec_env(NULL, "pod-b", given, sizeof(given) - 1);
	CHECK(!match(a, "10.96.0.1", "10.96.0.1", 443, 5, 0));
	cw_apiservers_exec_env(a, "pod-b", given, sizeof(given) - 1);
	CHECK(match(a, "10.96.0.1", "10.96.0.1", 443, 5, 0));
	CHECK(match(a, "10.96.0.1", "10.96.0.1", 443, 99, 0));	/* any pod's sender */
	CHECK(!match(a, "10.96.0.1", "10.96.0.1", 8443, 5, 0)); /* another port */
	/* a pod naming an address of its choosing: nothing */
	cw_apiservers_exec_env(a, "pod-evil", other, sizeof(other) - 1);
	CHECK(!match(a, "203.0.113.9", "203.0.113.9", 443, 5, 0));
	/* a host name, once two pods were given it */
	cw_apiservers_exec_env(a, "pod-c", named, sizeof(named) - 1);
	CHECK(!match(a, "api.internal.example", "10.1.1.1", 6443, 6, 0));
	cw_apiservers_exec_env(a, "pod-d", named, sizeof(named) - 1);
	CHECK(match(a, "api.internal.example", "10.1.1.1", 6443, 6, 0));
	/* without the table: names only */
	CHECK(match(NULL, "kubernetes.default.svc", "", 0, 5, 0));
	CHECK(!match(NULL, "10.96.0.1", "10.96.0.1", 443, 5, 0));
	cw_apiservers_free(a);
	cw_apiservers_free(NULL);
}

/* Bounded: so many different addresses claimed that no more are kept; the first stand. */
TEST(apiserver_candidates_bounded)
{
	char env[128];
	struct cw_apiservers *a;
	int n;

	REQUIRE(cw_apiservers_new(&(struct cw_apiservers_opts){ .root = "/nonexistent" }, &a) == 0);
	for (int i = 0; i < CW_APISERVER_CANDIDATES + 4; i++) {
		n = snprintf(env, sizeof(env), "KUBERNETES_SERVICE_HOST=10.0.0.%d", i + 1);
		cw_apiservers_exec_env(a, "pod-a", env, (size_t)n + 1);
		cw_apiservers_exec_env(a, "pod-b", env, (size_t)n + 1);
	}
	CHECK(match(a, "10.0.0.1", "10.0.0.1", 443, 5, 0));
	CHECK(match(a, "10.0.0.8", "10.0.0.8", 443, 5, 0));
	CHECK(!match(a, "10.0.0.9", "10.0.0.9", 443, 5, 0));
	cw_apiservers_free(a);
}
