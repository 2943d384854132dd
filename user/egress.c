// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Egress findings. A credential sent to a server its rule does not list among the provider's
 * destinations is an alert (credential-unexpected-destination); every other credential seen
 * leaving is an observation (credential-sent), printed with --events. A connection that
 * starts with a TLS ClientHello is ciphertext after it: its server name is kept, and the
 * kernel is told to stop copying its bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "egress.h"
#include "matcher.h"
#include "proto.h"

#define HEAD_MAX 4096		/* bytes of a connection kept to find its server name */
#define SEEN_MAX 8		/* fingerprints remembered per connection, for dedup */

struct cw_egress_conn {
	struct cw_egress_conn *next;	/* bucket chain */
	uint64_t id;
	uint32_t pid, fd, uid;
	uint64_t cgroup_id;
	uint64_t last_ns;
	struct cw_conn dst;
	bool have_dst;
	char comm[CW_COMM_LEN + 1];
	char exe[256];
	enum cw_proto proto;
	char server[256];
	char head[HEAD_MAX];	/* the first bytes, until the server name is known */
	size_t head_len;
	struct cw_stream *stream;
	uint64_t bytes;
	unsigned char seen[SEEN_MAX][8];	/* first bytes of reported fingerprints */
	size_t nseen;
};

int cw_egress_init(struct cw_egress *e, struct cw_findings *f, int conns_map_fd)
{
	memset(e, 0, sizeof(*e));
	e->f = f;
	e->conns_map_fd = conns_map_fd;
	e->nbuckets = 4096;
	e->buckets = calloc(e->nbuckets, sizeof(*e->buckets));
	return e->buckets ? 0 : -ENOMEM;
}

static struct cw_egress_conn **slot(struct cw_egress *e, uint64_t id)
{
	struct cw_egress_conn **pp = &e->buckets[(id * 0x9E3779B97F4A7C15ull) >> 52 &
						 (e->nbuckets - 1)];

	while (*pp && (*pp)->id != id)
		pp = &(*pp)->next;
	return pp;
}

/* Unlink, flush the stream's last matches, free. */
static int conn_end(struct cw_egress *e, struct cw_egress_conn **pp);

static int drop_oldest(struct cw_egress *e)
{
	struct cw_egress_conn **oldest = NULL;

	for (size_t b = 0; b < e->nbuckets; b++)
		for (struct cw_egress_conn **pp = &e->buckets[b]; *pp; pp = &(*pp)->next)
			if (!oldest || (*pp)->last_ns < (*oldest)->last_ns)
				oldest = pp;
	e->conns_evicted++;
	return oldest ? conn_end(e, oldest) : 0;
}

static struct cw_egress_conn *conn_new(struct cw_egress *e, uint64_t id, uint32_t pid,
				       uint32_t fd)
{
	struct cw_egress_conn *c, **pp;
	char link[64];
	ssize_t n;

	if (e->nconns >= CW_EGRESS_MAX_CONNS)
		drop_oldest(e);
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->stream = cw_stream_open(e->f->matcher);
	if (!c->stream) {
		free(c);
		return NULL;
	}
	c->id = id;
	c->pid = pid;
	c->fd = fd;
	/* The executable, while the process is surely alive: it is sending right now. */
	snprintf(link, sizeof(link), "/proc/%u/exe", pid);
	n = readlink(link, c->exe, sizeof(c->exe) - 1);
	c->exe[n > 0 ? n : 0] = '\0';
	pp = slot(e, id);
	c->next = *pp;
	*pp = c;
	e->nconns++;
	e->conns_seen++;
	return c;
}

void cw_egress_free(struct cw_egress *e)
{
	for (size_t b = 0; e->buckets && b < e->nbuckets; b++)
		while (e->buckets[b])
			conn_end(e, &e->buckets[b]);
	free(e->buckets);
	e->buckets = NULL;
}

int cw_egress_conn(struct cw_egress *e, const struct cw_event *ev)
{
	const struct cw_conn_event *ce = &ev->conn;
	struct cw_egress_conn **pp = slot(e, ce->conn.id), *c = *pp;

	if (!c && !(c = conn_new(e, ce->conn.id, ce->pid, ce->fd)))
		return -ENOMEM;
	c->dst = ce->conn;
	c->have_dst = true;
	c->uid = ce->uid;
	c->cgroup_id = ce->cgroup_id;
	c->last_ns = ce->hdr.ktime_ns;
	memcpy(c->comm, ce->comm, CW_COMM_LEN);
	return 0;
}

bool cw_destination_allowed(const struct cw_rule *r, const char *name)
{
	for (size_t i = 0; i < r->destinations.n; i++)
		if (!fnmatch(r->destinations.v[i], name, FNM_CASEFOLD))
			return true;
	return false;
}

struct match_ctx {
	struct cw_egress *e;
	struct cw_egress_conn *c;
	uint64_t ktime_ns;
	int err;
};

static void put_destination(struct cw_json *j, const struct cw_egress_conn *c)
{
	char ip[INET6_ADDRSTRLEN] = "";

	cw_json_kobj(j, "destination");
	if (c->have_dst) {
		inet_ntop(c->dst.family == 2 ? AF_INET : AF_INET6, c->dst.daddr, ip, sizeof(ip));
		cw_json_kstr(j, "ip", ip);
		cw_json_kuint(j, "port", c->dst.dport);
	}
	if (c->server[0])
		cw_json_kstr(j, "domain", c->server);
	cw_json_obj_end(j);
	cw_json_kobj(j, "network");
	cw_json_kstr(j, "transport", "tcp");
	cw_json_kstr(j, "direction", "egress");
	if (c->proto == CW_PROTO_HTTP)
		cw_json_kstr(j, "protocol", "http");
	cw_json_obj_end(j);
}

/* Report a fingerprint once per connection: keep-alive requests repeat their headers. */
static bool seen_before(struct cw_egress_conn *c, const char *fp_hex)
{
	unsigned char k[8];

	for (int i = 0; i < 8; i++)
		k[i] = (unsigned char)fp_hex[i];
	for (size_t i = 0; i < c->nseen && i < SEEN_MAX; i++)
		if (!memcmp(c->seen[i], k, 8))
			return true;
	memcpy(c->seen[c->nseen++ % SEEN_MAX], k, 8);
	return false;
}

static int on_egress_match(const struct cw_match *m, void *arg)
{
	struct match_ctx *x = arg;
	struct cw_egress_conn *c = x->c;
	struct cw_findings *f = x->e->f;
	struct cw_json *j = &f->j;
	char fp[CW_FP_HEX_LEN + 1];
	bool unexpected;

	cw_fingerprint(f->key, m->secret, m->len, fp);
	if (seen_before(c, fp))
		return 0;
	/* Judged only when the server is named: an address alone is not a provider's host. */
	unexpected = m->rule->destinations.n && c->server[0] &&
		     !cw_destination_allowed(m->rule, c->server);
	if (!unexpected && !f->events) {
		f->observations++;
		return 0;
	}
	cw_finding_begin(f, x->ktime_ns, unexpected,
			 unexpected ? "credential-unexpected-destination" : "credential-sent",
			 m->checksum == CW_CHECKSUM_INVALID ? CW_SEVERITY_LOW : CW_SEVERITY_HIGH,
			 "network", "connection");
	cw_finding_credential(f, m, "egress");
	cw_json_obj_end(j);
	cw_json_kobj(j, "process");
	cw_json_kuint(j, "pid", c->pid);
	if (c->exe[0])
		cw_json_kstr(j, "executable", c->exe);
	cw_json_kstrn(j, "name", c->comm, strnlen(c->comm, CW_COMM_LEN));
	cw_json_obj_end(j);
	put_destination(j, c);
	cw_json_kobj(j, "tls");
	cw_json_kstr(j, "library", "plaintext");
	cw_json_obj_end(j);
	cw_finding_host(f, c->uid, c->cgroup_id);
	cw_json_kuint(j, "fd", c->fd);
	cw_json_obj_end(j);
	if (unexpected) {
		cw_finding_threat(f, "credential sent to a server outside its provider's "
				  "destinations");
		f->alerts++;
		x->e->unexpected_destination++;
	} else {
		f->observations++;
	}
	x->err = cw_finding_emit(f);
	return x->err;
}

/* Stop the kernel copying a connection's bytes: after a ClientHello they are ciphertext. */
static void stop_capture(struct cw_egress *e, const struct cw_egress_conn *c)
{
	struct cw_conn_key key = { .tgid = c->pid, .fd = c->fd };
	struct cw_conn val;

	if (e->conns_map_fd < 0 || bpf_map_lookup_elem(e->conns_map_fd, &key, &val) ||
	    val.id != c->id)
		return;
	val.flags |= CW_CONN_NO_PAYLOAD;
	bpf_map_update_elem(e->conns_map_fd, &key, &val, BPF_EXIST);
}

int cw_egress_data(struct cw_egress *e, const struct cw_event *ev)
{
	const struct cw_data_event *d = &ev->data;
	struct cw_egress_conn **pp = slot(e, d->conn_id), *c = *pp;
	struct match_ctx x = { .e = e, .ktime_ns = d->hdr.ktime_ns };
	int ret;

	if (!c) {	/* its connect record was dropped: keep what the data says */
		c = conn_new(e, d->conn_id, d->pid, d->fd);
		if (!c)
			return -ENOMEM;
		c->uid = d->uid;
		c->cgroup_id = d->cgroup_id;
		memcpy(c->comm, d->comm, CW_COMM_LEN);
	}
	c->last_ns = d->hdr.ktime_ns;
	c->bytes += d->len;
	e->bytes += d->len;
	if (c->proto == CW_PROTO_UNKNOWN || (c->proto == CW_PROTO_HTTP && !c->server[0] &&
					     c->head_len < HEAD_MAX)) {
		size_t take = d->len < HEAD_MAX - c->head_len ? d->len : HEAD_MAX - c->head_len;

		memcpy(c->head + c->head_len, ev->payload, take);
		c->head_len += take;
		if (c->proto == CW_PROTO_UNKNOWN)
			c->proto = cw_proto_detect(c->head, c->head_len, c->server,
						   sizeof(c->server));
		else
			cw_http_host(c->head, c->head_len, c->server, sizeof(c->server));
		if (c->proto == CW_PROTO_TLS) {
			stop_capture(e, c);
			return 0;
		}
	}
	if (c->proto == CW_PROTO_TLS)
		return 0;	/* chunks already in flight when the kernel was told */
	x.c = c;
	ret = cw_stream_write(c->stream, ev->payload, d->len, on_egress_match, &x);
	return ret < 0 ? ret : x.err;
}

static int conn_end(struct cw_egress *e, struct cw_egress_conn **pp)
{
	struct cw_egress_conn *c = *pp;
	struct match_ctx x = { .e = e, .c = c, .ktime_ns = c->last_ns };
	int ret;

	*pp = c->next;
	e->nconns--;
	ret = cw_stream_close(c->stream, on_egress_match, &x);
	free(c);
	return ret < 0 ? ret : x.err;
}

int cw_egress_close(struct cw_egress *e, uint32_t pid, uint32_t fd, uint64_t conn_id)
{
	struct cw_egress_conn **pp = slot(e, conn_id);

	(void)pid;
	(void)fd;
	return *pp ? conn_end(e, pp) : 0;
}

int cw_egress_exit(struct cw_egress *e, uint32_t pid)
{
	int ret = 0, r;

	for (size_t b = 0; b < e->nbuckets; b++) {
		struct cw_egress_conn **pp = &e->buckets[b];

		while (*pp) {
			if ((*pp)->pid == pid) {
				r = conn_end(e, pp);
				if (r && !ret)
					ret = r;
			} else {
				pp = &(*pp)->next;
			}
		}
	}
	return ret;
}
