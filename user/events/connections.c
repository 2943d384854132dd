// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Connections (see connections.h): TCP sockets and TLS sessions, each with one matcher stream.
 * A credential sent to a server its rule does not list among the provider's destinations is
 * an alert (credential-unexpected-destination); every other credential seen leaving is an
 * observation (credential-sent), and one a TLS session received (--capture-inbound) is only
 * observed (credential-received); observations print with --events. A connection that starts
 * with a TLS ClientHello is ciphertext after it: its server name is kept, and the kernel is
 * told to stop copying its bytes. Connections and sessions are in one uthash table.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "detect/matcher.h"
#include "events/connections.h"
#include "events/http2.h"
#include "events/kernel_marks.h"
#include "events/protocol.h"
#include "host/procs.h"
#include "judge/destinations.h"
#include "judge/exposure.h"
#include "util/table.h"

#define HEAD_MAX 4096			/* bytes of a connection kept to find its server name */
#define SEEN_MAX 8			/* fingerprints remembered per connection, for dedup */
#define HELD_MAX 8			/* TLS findings waiting for their socket, per session */
#define HOLD_NS (1000ull * 1000 * 1000) /* then they go out without a destination */
#define QUIET_NS (300ull * 1000 * 1000) /* a connection this quiet has said all for now */

/* A TLS finding seen before its session was bound to a socket. The secret is kept in memory
 * only until then, to classify and fingerprint it like any other; it is never written. */
struct held {
	const struct cw_rule *rule;
	enum cw_checksum checksum;
	char *secret;
	size_t len;
	uint64_t ktime_ns;
	uint32_t encoding; /* the match's decoding path */
};

/*
 * What a connection is found by: a TCP connection by the kernel's id for it; a TLS session by
 * process, session object and direction (tls 1). Zeroed whole: uthash hashes the padding.
 */
struct conn_key {
	uint64_t id;  /* TCP: the connection id; TLS: the session object */
	uint32_t pid; /* TLS only */
	uint8_t tls, inbound;
	uint16_t pad;
};

struct cw_conns_entry {
	struct conn_key k;
	UT_hash_handle hh;
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
	char head[HEAD_MAX]; /* the first bytes, until the server name is known */
	size_t head_len;
	struct cw_stream *stream;
	struct cw_h2 *h2; /* HTTP/2: the HPACK decoder in front of the stream */
	uint64_t bytes;
	unsigned char seen[SEEN_MAX][8]; /* first bytes of reported fingerprints */
	size_t nseen;
	/* TLS sessions: plaintext from a library probe, keyed by the session object */
	bool tls;
	bool inbound; /* TLS plaintext received (--capture-inbound) */
	uint64_t key;
	uint16_t source;
	bool bound; /* the socket it writes to is known */
	struct held held[HELD_MAX];
	size_t nheld;
};

static const char *source_name(uint16_t src)
{
	switch (src) {
	case CW_SRC_OPENSSL: return "openssl";
	case CW_SRC_GNUTLS: return "gnutls";
	case CW_SRC_NSS: return "nss";
	case CW_SRC_GO: return "go";
	default: return "plaintext";
	}
}

int cw_conns_init(struct cw_conns *e, const struct cw_handler_deps *d,
		  const struct cw_conns_kernel *k)
{
	memset(e, 0, sizeof(*e));
	e->f = d->f;
	e->matcher = d->matcher;
	e->x = d->x;
	e->procs = d->procs;
	e->apis = d->apis;
	e->wls = d->wls;
	e->conns_map_fd = k->conns_map_fd;
	e->bound_map_fd = k->bound_map_fd;
	e->captured_map_fd = k->captured_map_fd;
	e->fd_marks = k->fd_marks;
	return 0;
}

static struct conn_key tcp_key(uint64_t id)
{
	struct conn_key k;

	memset(&k, 0, sizeof(k));
	k.id = id;
	return k;
}

static struct conn_key tls_key(uint32_t pid, uint64_t key, bool inbound)
{
	struct conn_key k;

	memset(&k, 0, sizeof(k));
	k.id = key;
	k.pid = pid;
	k.tls = 1;
	k.inbound = inbound;
	return k;
}

static struct cw_conns_entry *find(const struct cw_conns *e, struct conn_key k)
{
	struct cw_conns_entry *c;

	HASH_FIND(hh, e->table, &k, sizeof(k), c);
	return c;
}

/* Unlink, flush the stream's last matches, free. */
static int conn_end(struct cw_conns *e, struct cw_conns_entry *c);

/* The least recently active (the earliest last event) goes: a scan, only when full. */
static int drop_oldest(struct cw_conns *e)
{
	struct cw_conns_entry *c, *tmp, *oldest = NULL;

	HASH_ITER (hh, e->table, c, tmp)
		if (!oldest || c->last_ns < oldest->last_ns)
			oldest = c;
	e->conns_evicted++;
	return oldest ? conn_end(e, oldest) : 0;
}

static struct cw_conns_entry *conn_new(struct cw_conns *e, struct conn_key k, uint32_t pid,
				       uint32_t fd)
{
	struct cw_conns_entry *c;

	if (e->nconns >= CW_CONNS_MAX)
		drop_oldest(e);
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->stream = cw_stream_open(e->matcher);
	if (!c->stream) {
		free(c);
		return NULL;
	}
	c->k = k;
	c->id = k.tls ? 0 : k.id;
	c->pid = pid;
	c->fd = fd;
	HASH_ADD(hh, e->table, k, sizeof(c->k), c);
	if (!CW_HASH_ADDED(c, hh)) {
		cw_stream_close(c->stream, NULL, NULL);
		free(c);
		return NULL;
	}
	/* The executable, while the process is surely alive: it is sending right now. */
	cw_procs_exe(e->procs, NULL, pid, c->exe);
	e->nconns++;
	e->conns_seen++;
	return c;
}

void cw_conns_free(struct cw_conns *e)
{
	struct cw_conns_entry *c, *tmp;

	HASH_ITER (hh, e->table, c, tmp)
		conn_end(e, c);
}

int cw_conns_conn(struct cw_conns *e, const struct cw_event *ev)
{
	const struct cw_conn_event *ce = &ev->conn;
	struct cw_conns_entry *c = find(e, tcp_key(ce->conn.id));

	if (!c && !(c = conn_new(e, tcp_key(ce->conn.id), ce->pid, ce->fd)))
		return -ENOMEM;
	c->dst = ce->conn;
	c->have_dst = true;
	c->uid = ce->uid;
	c->cgroup_id = ce->cgroup_id;
	c->last_ns = ce->hdr.ktime_ns;
	memcpy(c->comm, ce->comm, CW_COMM_LEN);
	return 0;
}

struct match_ctx {
	struct cw_conns *e;
	struct cw_conns_entry *c;
	uint64_t ktime_ns;
	bool never; /* the credential judged is never sent (destination '@never') */
	int err;
};

static void put_destination(struct cw_json *j, const struct cw_conns_entry *c)
{
	char ip[INET6_ADDRSTRLEN] = "";

	if (c->have_dst || c->server[0]) { /* no empty object: nothing to say */
		cw_json_kobj(j, "destination");
		if (c->have_dst) {
			inet_ntop(c->dst.family == 2 ? AF_INET : AF_INET6, c->dst.daddr, ip,
				  sizeof(ip));
			cw_json_kstr(j, "ip", ip);
			cw_json_kuint(j, "port", c->dst.dport);
		}
		if (c->server[0])
			cw_json_kstr(j, "domain", c->server);
		cw_json_obj_end(j);
	}
	cw_json_kobj(j, "network");
	cw_json_kstr(j, "transport", "tcp");
	cw_json_kstr(j, "direction", "egress");
	if (c->proto == CW_PROTO_HTTP || c->proto == CW_PROTO_HTTP2)
		cw_json_kstr(j, "protocol", c->proto == CW_PROTO_HTTP ? "http" : "http2");
	cw_json_obj_end(j);
}

/* Report a fingerprint once per connection: keep-alive requests repeat their headers. */
static bool seen_before(struct cw_conns_entry *c, const char *fp_hex)
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

/* One finding line about a credential on a connection. */
static int emit(struct match_ctx *x, const struct cw_match *m, const char *action, bool alert,
		uint64_t count, const struct cw_egress_verdict *v)
{
	struct cw_conns_entry *c = x->c;
	struct cw_finding_writer *f = x->e->f;
	struct cw_exposure *judge = x->e->x;
	struct cw_json *j = &f->j;

	cw_finding_begin(f, x->ktime_ns, alert, action,
			 m->checksum == CW_CHECKSUM_INVALID ? CW_SEVERITY_LOW : CW_SEVERITY_HIGH,
			 "network", "connection", m);
	cw_json_kobj(j, "process");
	cw_json_kuint(j, "pid", c->pid);
	if (c->exe[0])
		cw_json_kstr(j, "executable", c->exe);
	cw_json_kstrn(j, "name", c->comm, strnlen(c->comm, CW_COMM_LEN));
	cw_json_obj_end(j);
	put_destination(j, c);
	cw_finding_host(f, c->pid, c->uid, c->cgroup_id, v && judge ? v->sender : NULL);
	cw_finding_credential(f, m, "egress");
	if (v && judge)
		cw_exposure_origin_json(judge, v);
	cw_json_obj_end(j);
	/* ECS's tls.* describes a handshake we do not see: the library is ours to name. */
	cw_json_kobj(j, "tls");
	cw_json_kstr(j, "library", source_name(c->tls ? c->source : CW_SRC_TCP));
	cw_json_obj_end(j);
	cw_json_kuint(j, "fd", c->fd);
	if (v && judge)
		cw_json_kuint(j, "count", count);
	cw_json_obj_end(j);
	if (!strcmp(action, "credential-unexpected-destination")) {
		cw_finding_threat(f, CW_NHI_SECRET_LEAKAGE,
				  x->never ? "credential that is never sent (it signs requests, "
					     "or stays with its owner) seen leaving"
					   : "credential sent to a server outside "
					     "its provider's destinations");
		x->e->unexpected_destination++;
	} else if (!strcmp(action, "credential-egress")) {
		cw_finding_threat(f, CW_NHI_SECRET_LEAKAGE,
				  "credential sent by a workload that "
				  "is not among its owners");
		x->e->foreign_egress++;
	}
	if (alert)
		f->alerts++;
	else
		f->observations++;
	x->err = cw_finding_emit(f);
	return x->err;
}

static int report(struct match_ctx *x, const struct cw_match *m)
{
	struct cw_conns_entry *c = x->c;
	struct cw_finding_writer *f = x->e->f;
	struct cw_exposure *judge = x->e->x;
	char fp[CW_FP_HEX_LEN + 1], dest[CW_PROV_STR] = "", ip[INET6_ADDRSTRLEN] = "";
	struct cw_egress_verdict v;
	const struct cw_strv *dests = &m->rule->destinations;
	enum cw_dest_verdict verdict = CW_DEST_UNJUDGED;
	bool unexpected, foreign = false;
	uint64_t count = 1;
	int ret;

	cw_fingerprint(f->key, m->secret, m->len, fp);
	if (seen_before(c, fp))
		return 0;
	if (c->have_dst)
		inet_ntop(c->dst.family == 2 ? AF_INET : AF_INET6, c->dst.daddr, ip, sizeof(ip));
	if (judge && !c->inbound) {
		struct cw_actor a = { .pid = c->pid,
				      .uid = c->uid,
				      .cgroup_id = c->cgroup_id,
				      .exe = c->exe,
				      .comm = c->comm,
				      .ktime_ns = x->ktime_ns };

		if (c->server[0] || ip[0])
			snprintf(dest, sizeof(dest), "%s:%u", c->server[0] ? c->server : ip,
				 c->have_dst ? c->dst.dport : 0);
		cw_exposure_egress(judge, m, fp, &a, dest, &v);
		dests = cw_exposure_destinations(&v, m->rule);
		foreign = v.not_owner;
	}
	/* What a process receives is never judged: only observed (judge/destinations.h). */
	if (!c->inbound) {
		struct cw_dest d = {
			.server = c->server,
			.ip = ip,
			.port = c->have_dst ? c->dst.dport : 0,
			.cgroup_id = c->cgroup_id,
			.pid = c->pid,
			.pod_uid =
				x->e->wls
					? cw_workload_get(x->e->wls, c->cgroup_id, c->pid)->pod_uid
					: NULL
		};

		verdict = cw_destinations_judge(dests, &m->rule->destinations, &d, x->e->apis);
	}
	unexpected = verdict == CW_DEST_UNEXPECTED || verdict == CW_DEST_NEVER;
	x->never = verdict == CW_DEST_NEVER;
	if (foreign && cw_exposure_dedup(judge, fp, v.sender, "credential-egress", &count)) {
		ret = emit(x, m, "credential-egress", true, count, &v);
		if (ret)
			return ret;
	}
	if (unexpected &&
	    (!judge ||
	     cw_exposure_dedup(judge, fp, v.sender, "credential-unexpected-destination", &count)))
		return emit(x, m, "credential-unexpected-destination", true, count,
			    judge ? &v : NULL);
	if (unexpected || foreign)
		return 0;
	if (!f->events) {
		f->observations++;
		return 0;
	}
	return emit(x, m, c->inbound ? "credential-received" : "credential-sent", false, 1,
		    judge && !c->inbound ? &v : NULL);
}

/* Send out what a session held; with its destination when it has been bound. */
static int flush_held(struct cw_conns *e, struct cw_conns_entry *c)
{
	struct match_ctx x = { .e = e, .c = c };
	int ret = 0;

	for (size_t i = 0; i < c->nheld; i++) {
		struct held *h = &c->held[i];
		struct cw_match m = { .rule = h->rule,
				      .secret = h->secret,
				      .len = h->len,
				      .checksum = h->checksum,
				      .encoding = h->encoding };

		x.ktime_ns = h->ktime_ns;
		if (!ret)
			ret = report(&x, &m);
		explicit_bzero(h->secret, h->len);
		free(h->secret);
	}
	c->nheld = 0;
	return ret;
}

static int on_conn_match(const struct cw_match *m, void *arg)
{
	struct match_ctx *x = arg;
	struct cw_conns_entry *c = x->c;
	struct held *h;

	if (!c->tls || c->bound)
		return report(x, m);
	/* Not yet bound to a socket: hold it until the bind (or the hold time) comes. */
	if (c->nheld == HELD_MAX && (x->err = flush_held(x->e, c)))
		return x->err;
	h = &c->held[c->nheld];
	h->secret = malloc(m->len);
	if (!h->secret)
		return report(x, m);
	memcpy(h->secret, m->secret, m->len);
	h->len = m->len;
	h->rule = m->rule;
	h->checksum = m->checksum;
	h->encoding = m->encoding;
	h->ktime_ns = x->ktime_ns;
	c->nheld++;
	return 0;
}

static int h2_out(const char *buf, size_t n, void *arg)
{
	struct match_ctx *x = arg;
	int ret = cw_stream_write(x->c->stream, buf, n, on_conn_match, x);

	return ret < 0 ? ret : x->err;
}

/*
 * Bytes before this write were not copied (the payload budget): what the stream holds is
 * reported, and matching starts afresh, so that nothing is matched across the hole; the HTTP/2
 * decoder expects a frame to start here (its header table stays).
 */
static int gap(struct cw_conns *e, struct cw_conns_entry *c, uint64_t ktime_ns)
{
	struct match_ctx x = { .e = e, .c = c, .ktime_ns = ktime_ns };
	struct cw_stream *fresh = cw_stream_open(e->matcher);
	int ret;

	if (!fresh)
		return -ENOMEM;
	ret = cw_stream_close(c->stream, on_conn_match, &x);
	c->stream = fresh;
	if (c->h2)
		cw_h2_gap(c->h2);
	e->gaps++;
	return ret < 0 ? ret : x.err;
}

/* Bytes a client sent, into its matcher stream: through the HTTP/2 decoder when it is h2. */
static int feed(struct cw_conns *e, struct cw_conns_entry *c, const struct cw_data_event *d,
		const char *buf)
{
	struct match_ctx x = { .e = e, .c = c, .ktime_ns = d->hdr.ktime_ns };
	char authority[256] = "";
	size_t n = d->len;
	int ret;

	/* on the first chunk after the hole, which may start mid-write (an h2 HEADERS frame) */
	if ((d->flags & CW_DATA_GAP) && (ret = gap(e, c, d->hdr.ktime_ns)))
		return ret;

	if (c->proto == CW_PROTO_HTTP2 && !c->h2 && !(c->h2 = cw_h2_new()))
		return -ENOMEM;
	if (!c->h2) {
		ret = cw_stream_write(c->stream, buf, n, on_conn_match, &x);
		return ret < 0 ? ret : x.err;
	}
	ret = cw_h2_feed(c->h2, buf, n, h2_out, &x, authority, sizeof(authority));
	if (authority[0] && !c->server[0]) {
		char *colon = strrchr(authority, ':');

		if (colon && authority[0] != '[')
			*colon = '\0';
		snprintf(c->server, sizeof(c->server), "%s", authority);
	}
	if (ret == -EPROTO) { /* not h2 after all, or out of step: match the raw bytes */
		cw_h2_free(c->h2);
		c->h2 = NULL;
		c->proto = CW_PROTO_OTHER;
		return 0;
	}
	return ret < 0 ? ret : x.err;
}

/* Plaintext a TLS library was given to send: the session's stream. */
static int tls_data(struct cw_conns *e, const struct cw_event *ev)
{
	const struct cw_data_event *d = &ev->data;
	bool inbound = d->flags & CW_DATA_INBOUND;
	struct cw_conns_entry *c = find(e, tls_key(d->pid, d->conn_id, inbound));

	if (!c) {
		c = conn_new(e, tls_key(d->pid, d->conn_id, inbound), d->pid, (uint32_t)-1);
		if (!c)
			return -ENOMEM;
		c->tls = true;
		c->inbound = inbound;
		c->bound = inbound; /* nothing to wait for: received data is not judged */
		c->key = d->conn_id;
		c->uid = d->uid;
		c->cgroup_id = d->cgroup_id;
		memcpy(c->comm, d->comm, CW_COMM_LEN);
	}
	c->source = d->source;
	c->last_ns = d->hdr.ktime_ns;
	c->bytes += d->len;
	e->bytes += d->len;
	/* The server name from the plaintext itself (HTTP/1.x Host) when the socket gave none. */
	if (!inbound && c->head_len < HEAD_MAX &&
	    (c->proto == CW_PROTO_UNKNOWN || (c->proto == CW_PROTO_HTTP && !c->server[0]))) {
		size_t take = d->len < HEAD_MAX - c->head_len ? d->len : HEAD_MAX - c->head_len;
		char name[256];

		memcpy(c->head + c->head_len, ev->payload, take);
		c->head_len += take;
		c->proto = cw_proto_detect(c->head, c->head_len, name, sizeof(name));
		if (name[0] && !c->server[0])
			snprintf(c->server, sizeof(c->server), "%s", name);
	}
	return feed(e, c, d, ev->payload);
}

int cw_conns_bind(struct cw_conns *e, const struct cw_event *ev)
{
	const struct cw_bind_event *b = &ev->bind;
	struct cw_conns_entry *c = find(e, tls_key(b->pid, b->key, false)), *tcp;

	if (!c)
		return 0;
	/*
	 * A session object's address is reused by the next session: a bind to another socket
	 * means another connection, whose destination is not the old one's.
	 */
	if (c->bound && (c->fd == b->fd))
		return 0;
	if (c->bound) {
		c->have_dst = false;
		c->server[0] = '\0';
	}
	c->bound = true;
	c->fd = b->fd;
	tcp = b->conn_id ? find(e, tcp_key(b->conn_id)) : NULL;
	if (tcp) {
		c->dst = tcp->dst;
		c->have_dst = tcp->have_dst;
		if (tcp->server[0]) /* the SNI: what the client asked for */
			snprintf(c->server, sizeof(c->server), "%s", tcp->server);
	}
	return flush_held(e, c);
}

int cw_conns_tick(struct cw_conns *e, uint64_t now_ns)
{
	struct cw_conns_entry *c, *tmp;
	int ret = 0;

	HASH_ITER (hh, e->table, c, tmp) {
		/* A connection gone quiet: what its stream holds is final. */
		if (now_ns - c->last_ns > QUIET_NS) {
			struct match_ctx x = { .e = e, .c = c, .ktime_ns = c->last_ns };

			ret = cw_stream_flush(c->stream, on_conn_match, &x);
			ret = ret < 0 ? ret : x.err;
		}
		if (!ret && c->nheld && now_ns - c->held[0].ktime_ns > HOLD_NS)
			ret = flush_held(e, c);
		if (ret)
			break;
	}
	return ret;
}

int cw_conns_data(struct cw_conns *e, const struct cw_event *ev)
{
	const struct cw_data_event *d = &ev->data;
	struct cw_conns_entry *c;

	if (d->source != CW_SRC_TCP)
		return tls_data(e, ev);
	c = find(e, tcp_key(d->conn_id));
	if (!c) { /* its connect record was dropped: keep what the data says */
		c = conn_new(e, tcp_key(d->conn_id), d->pid, d->fd);
		if (!c)
			return -ENOMEM;
		c->uid = d->uid;
		c->cgroup_id = d->cgroup_id;
		memcpy(c->comm, d->comm, CW_COMM_LEN);
	}
	c->last_ns = d->hdr.ktime_ns;
	c->bytes += d->len;
	e->bytes += d->len;
	if (c->proto == CW_PROTO_UNKNOWN ||
	    (c->proto == CW_PROTO_HTTP && !c->server[0] && c->head_len < HEAD_MAX)) {
		size_t take = d->len < HEAD_MAX - c->head_len ? d->len : HEAD_MAX - c->head_len;

		memcpy(c->head + c->head_len, ev->payload, take);
		c->head_len += take;
		if (c->proto == CW_PROTO_UNKNOWN)
			c->proto =
				cw_proto_detect(c->head, c->head_len, c->server, sizeof(c->server));
		else
			cw_http_host(c->head, c->head_len, c->server, sizeof(c->server));
	}
	/*
	 * A tunnel (an HTTP proxy's CONNECT, SOCKS, STARTTLS): a ClientHello after plaintext. Its
	 * server name is the destination's when the plaintext named none (SOCKS names it in
	 * binary); the kernel stops copying after it (net.bpf.c).
	 */
	if (c->proto != CW_PROTO_TLS && d->offset == 0 && d->len > 5 &&
	    (unsigned char)ev->payload[5] == 1) {
		char name[256];

		if (cw_proto_detect(ev->payload, d->len, name, sizeof(name)) == CW_PROTO_TLS) {
			c->proto = CW_PROTO_TLS;
			if (name[0] && !c->server[0])
				snprintf(c->server, sizeof(c->server), "%s", name);
		}
	}
	/* The kernel stops copying after the ClientHello; the rest is ciphertext. */
	if (c->proto == CW_PROTO_TLS)
		return 0;
	return feed(e, c, d, ev->payload);
}

static int conn_end(struct cw_conns *e, struct cw_conns_entry *c)
{
	struct match_ctx x = { .e = e, .c = c, .ktime_ns = c->last_ns };
	int ret;

	HASH_DEL(e->table, c);
	e->nconns--;
	if (c->tls && !c->inbound) {
		/*
		 * The session object's address may serve a new session next: let it bind, and give
		 * it a whole payload budget of its own.
		 */
		struct cw_session_key sk = { .key = c->key, .tgid = c->pid };

		if (e->bound_map_fd >= 0)
			bpf_map_delete_elem(e->bound_map_fd, &sk);
		if (e->captured_map_fd >= 0)
			bpf_map_delete_elem(e->captured_map_fd, &sk);
	}
	c->bound = true; /* nothing more will bind it: report what remains now */
	ret = cw_stream_close(c->stream, on_conn_match, &x);
	if (!x.err)
		x.err = flush_held(e, c);
	cw_h2_free(c->h2);
	free(c);
	return ret < 0 ? ret : x.err;
}

/*
 * A TCP connection whose process ended without closing it (its fds went with it, and no
 * close() ran): its kernel entry is deleted, so that a later process given the same pid and
 * fd is not taken for it, and the filter slot the entry raised comes down.
 */
static void kernel_forget(struct cw_conns *e, const struct cw_conns_entry *c)
{
	struct cw_conn_key key = { .tgid = c->pid, .fd = c->fd };
	struct cw_conn_entry val;

	if (c->tls || e->conns_map_fd < 0 || bpf_map_lookup_elem(e->conns_map_fd, &key, &val) ||
	    val.conn.id != c->id)
		return;
	if (!bpf_map_delete_elem(e->conns_map_fd, &key))
		cw_kmark_lower(e->fd_marks, c->pid, c->fd);
}

/*
 * End every connection or session `which` picks (gone: their process ended, forget them in
 * the kernel too); the first error is returned.
 */
static int end_where(struct cw_conns *e,
		     bool (*which)(const struct cw_conns_entry *c, uint32_t pid, uint32_t fd),
		     uint32_t pid, uint32_t fd, bool gone)
{
	struct cw_conns_entry *c, *tmp;
	int ret = 0, r;

	HASH_ITER (hh, e->table, c, tmp) {
		if (!which(c, pid, fd))
			continue;
		if (gone)
			kernel_forget(e, c);
		r = conn_end(e, c);
		if (r && !ret)
			ret = r;
	}
	return ret;
}

static bool session_on(const struct cw_conns_entry *c, uint32_t pid, uint32_t fd)
{
	return c->tls && c->pid == pid && c->bound && c->fd == fd;
}

static bool of_process(const struct cw_conns_entry *c, uint32_t pid, uint32_t fd)
{
	(void)fd;
	return c->pid == pid;
}

int cw_conns_close(struct cw_conns *e, uint32_t pid, uint32_t fd, uint64_t conn_id)
{
	struct cw_conns_entry *c = find(e, tcp_key(conn_id));
	int ret = c ? conn_end(e, c) : 0, r;

	/* TLS sessions that wrote to this socket end with it. */
	r = end_where(e, session_on, pid, fd, false);
	return ret ? ret : r;
}

int cw_conns_exit(struct cw_conns *e, uint32_t pid)
{
	return end_where(e, of_process, pid, 0, true);
}

static bool tls_of_process(const struct cw_conns_entry *c, uint32_t pid, uint32_t fd)
{
	(void)fd;
	return c->tls && c->pid == pid;
}

int cw_conns_exec(struct cw_conns *e, uint32_t pid)
{
	return end_where(e, tls_of_process, pid, 0, false);
}
