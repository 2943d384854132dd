// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The syslog sink: each finding one RFC 5424 message (PRI from the facility and, by
 * event.kind, warning for alerts and informational for observations; MSGID "alert" or "event";
 * the finding's JSON as MSG), over UDP (RFC 5426: a datagram each), TCP (RFC 6587 octet
 * counting) or TLS (RFC 5425, OpenSSL).
 *
 * TCP and TLS acknowledge a record only once the peer's TCP has acknowledged its last byte
 * (SIOCOUTQ: the bytes the peer has not ACKed yet). That is not yet the peer's disk: a syslog
 * daemon killed with ACKed records still in its socket or queue loses them. So the sink keeps
 * the records the peer ACKed in the REPLAY_MS before the last ACK it saw and, after a lost
 * connection, sends them again before anything else: a daemon that dies and comes back may
 * see a few records twice (the same event.id), never a gap.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "output/sink.h"
#include "util/log.h"

#define SEV_WARNING 4
#define SEV_INFO 6
#define REPLAY_MS 2000		    /* ACKed this long before the last ACK: sent again */
#define REPLAY_MAX_BYTES (4u << 20) /* ... within this much memory */
#define FRAME_HEAD_MAX 400	    /* octet count, PRI, timestamp, hostname, app, pid, msgid */

/* A frame the peer ACKed, kept for a replay after a lost connection. */
struct kept {
	char *frame;
	size_t len;
	int64_t ack_ms;
};

struct syslog_sink {
	struct cw_output_spec spec;
	char hostname[256];
	char procid[16];
	bool stream; /* TCP or TLS */
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	uint64_t wbytes;   /* written to the socket on this connection (TLS: with its records) */
	bool lost;	   /* the last connection failed: replay before sending */
	struct kept *keep; /* a ring, oldest first from khead */
	size_t khead, kn, kcap, kbytes;
	char *buf; /* frames being sent */
	size_t cap;
	uint64_t *ends; /* each frame's end in wbytes */
	size_t ncap;
};

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void say(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A one-line reason (cut to fit). */
static void say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* OpenSSL's last error, or what errno says. */
static const char *tls_reason(void)
{
	unsigned long e = ERR_peek_last_error();

	return e ? ERR_reason_error_string(e) : strerror(errno);
}

/* ---- set-up ---- */

static int check_file(const char *what, const char *path, char *err, size_t errlen)
{
	if (path[0] && access(path, R_OK)) {
		say(err, errlen, "%s=%s: %s", what, path, strerror(errno));
		return -errno;
	}
	return 0;
}

static int make_ctx(const struct cw_output_spec *spec, SSL_CTX **out, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	int ret;

	if ((ret = check_file("ca", spec->ca_file, err, errlen)) ||
	    (ret = check_file("cert", spec->cert_file, err, errlen)) ||
	    (ret = check_file("key", spec->key_file, err, errlen)))
		return ret;
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		say(err, errlen, "TLS: %s", tls_reason());
		return -ENOMEM;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	ERR_clear_error();
	if (spec->ca_file[0] ? !SSL_CTX_load_verify_locations(ctx, spec->ca_file, NULL)
			     : !SSL_CTX_set_default_verify_paths(ctx)) {
		say(err, errlen, "ca=%s: cannot load it: %s", spec->ca_file, tls_reason());
		goto fail;
	}
	if (spec->cert_file[0] &&
	    (!SSL_CTX_use_certificate_chain_file(ctx, spec->cert_file) ||
	     !SSL_CTX_use_PrivateKey_file(ctx, spec->key_file, SSL_FILETYPE_PEM) ||
	     !SSL_CTX_check_private_key(ctx))) {
		say(err, errlen, "cert=%s key=%s: cannot use them: %s", spec->cert_file,
		    spec->key_file, tls_reason());
		goto fail;
	}
	*out = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return -EINVAL;
}

static int syslog_open(const struct cw_output_spec *spec, void **state, char *err, size_t errlen)
{
	struct syslog_sink *s = calloc(1, sizeof(*s));
	int ret = 0;

	if (!s)
		return -ENOMEM;
	s->spec = *spec;
	s->fd = -1;
	s->stream = spec->kind != CW_SINK_SYSLOG_UDP;
	if (gethostname(s->hostname, sizeof(s->hostname) - 1) || !s->hostname[0])
		strcpy(s->hostname, "-");
	for (char *p = s->hostname; *p; p++)
		if (*p < 33 || *p > 126)
			*p = '_';
	snprintf(s->procid, sizeof(s->procid), "%d", (int)getpid());
	if (spec->kind == CW_SINK_SYSLOG_TLS)
		ret = make_ctx(spec, &s->ctx, err, errlen);
	if (ret) {
		free(s);
		return ret;
	}
	*state = s;
	return 0;
}

/* ---- connections ---- */

static void disconnect(struct syslog_sink *s, bool lost)
{
	if (s->ssl) {
		if (!lost)
			SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->wbytes = 0;
	s->lost |= lost;
}

static int connect_addr(const struct syslog_sink *s, const struct addrinfo *ai)
{
	struct timeval tv = { s->spec.timeout_ms / 1000, (s->spec.timeout_ms % 1000) * 1000 };
	struct pollfd p;
	int fd, e = 0, one = 1;
	socklen_t el = sizeof(e);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS) {
		e = errno;
		goto fail;
	}
	if (s->stream) {
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&p, 1, (int)s->spec.timeout_ms) != 1) {
			e = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) || e)
			goto fail;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
fail:
	close(fd);
	return -(e ? e : EIO);
}

static int tls_handshake(struct syslog_sink *s, char *err, size_t errlen)
{
	struct in6_addr a6;
	struct in_addr a4;
	bool ip = inet_pton(AF_INET, s->spec.host, &a4) == 1 ||
		  inet_pton(AF_INET6, s->spec.host, &a6) == 1;
	long vr;

	ERR_clear_error();
	s->ssl = SSL_new(s->ctx);
	if (!s->ssl || !SSL_set_fd(s->ssl, s->fd)) {
		say(err, errlen, "TLS: %s", tls_reason());
		return -ENOMEM;
	}
	if (ip) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), s->spec.host);
	} else {
		SSL_set_tlsext_host_name(s->ssl, s->spec.host);
		SSL_set1_host(s->ssl, s->spec.host);
	}
	if (SSL_connect(s->ssl) == 1)
		return 0;
	vr = SSL_get_verify_result(s->ssl);
	if (vr != X509_V_OK)
		say(err, errlen, "TLS handshake with %s port %u: certificate does not verify: %s",
		    s->spec.host, s->spec.port, X509_verify_cert_error_string(vr));
	else
		say(err, errlen, "TLS handshake with %s port %u: %s", s->spec.host, s->spec.port,
		    tls_reason());
	return -EPROTO;
}

static int connect_peer(struct syslog_sink *s, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = s->stream ? SOCK_STREAM : SOCK_DGRAM }, *res, *ai;
	char port[8];
	int ret, fd = -ENOENT;

	snprintf(port, sizeof(port), "%u", s->spec.port);
	ret = getaddrinfo(s->spec.host, port, &hints, &res);
	if (ret) {
		say(err, errlen, "cannot resolve %s: %s", s->spec.host, gai_strerror(ret));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = connect_addr(s, ai);
		if (fd >= 0)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		say(err, errlen, "cannot connect to %s port %u: %s", s->spec.host, s->spec.port,
		    strerror(-fd));
		return fd;
	}
	s->fd = fd;
	s->wbytes = 0;
	if (s->ssl || s->ctx) {
		ret = tls_handshake(s, err, errlen);
		if (ret) {
			disconnect(s, s->lost);
			return ret;
		}
		s->wbytes = BIO_number_written(SSL_get_wbio(s->ssl));
	}
	return 0;
}

/* A syslog server never writes to us: a readable socket is a closed (or reset) one. */
static bool peer_gone(struct syslog_sink *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN | POLLRDHUP };
	char b[256];

	if (poll(&p, 1, 0) != 1)
		return false;
	if (p.revents & (POLLERR | POLLHUP | POLLRDHUP))
		return true;
	if (!s->ssl)
		return recv(s->fd, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT) <= 0;
	/* TLS 1.3 servers send session tickets after the handshake: read them, not data. */
	for (;;) {
		int n, e;

		fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
		n = SSL_read(s->ssl, b, sizeof(b));
		e = SSL_get_error(s->ssl, n);
		fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) & ~O_NONBLOCK);
		if (n > 0)
			continue;
		return e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
	}
}

/* ---- frames ---- */

static size_t format_head(const struct syslog_sink *s, const struct cw_sink_rec *r, char *h,
			  size_t cap)
{
	int64_t ms = wall_ms();
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char ts[40];
	int n;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(h, cap, "<%d>1 %s.%03dZ %s %s %s %s - ",
		     s->spec.facility * 8 + (r->alert ? SEV_WARNING : SEV_INFO), ts,
		     (int)(ms % 1000), s->hostname, s->spec.app_name, s->procid,
		     r->alert ? "alert" : "event");
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static int grow(struct syslog_sink *s, size_t need, size_t nframes)
{
	if (need > s->cap) {
		char *b = realloc(s->buf, need);

		if (!b)
			return -ENOMEM;
		s->buf = b;
		s->cap = need;
	}
	if (nframes > s->ncap) {
		uint64_t *e = realloc(s->ends, nframes * sizeof(*e));

		if (!e)
			return -ENOMEM;
		s->ends = e;
		s->ncap = nframes;
	}
	return 0;
}

/* The frames of recs[0..n) back to back in s->buf; *offs[i]: where frame i starts. */
static int build_frames(struct syslog_sink *s, const struct cw_sink_rec *recs, size_t n,
			size_t *offs, size_t *total)
{
	size_t need = 0, len = 0;

	for (size_t i = 0; i < n; i++)
		need += FRAME_HEAD_MAX + 24 + recs[i].len;
	if (grow(s, need, n))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char head[FRAME_HEAD_MAX];
		size_t hl = format_head(s, &recs[i], head, sizeof(head));
		int cl = s->stream ? snprintf(s->buf + len, 24, "%zu ", hl + recs[i].len) : 0;

		offs[i] = len;
		len += (size_t)cl;
		memcpy(s->buf + len, head, hl);
		len += hl;
		memcpy(s->buf + len, recs[i].data, recs[i].len);
		len += recs[i].len;
	}
	offs[n] = len;
	*total = len;
	return 0;
}

/* ---- the replay window ---- */

static void keep_drop_oldest(struct syslog_sink *s)
{
	struct kept *k = &s->keep[s->khead];

	s->kbytes -= k->len;
	free(k->frame);
	s->khead = (s->khead + 1) % s->kcap;
	s->kn--;
}

static void keep_frames(struct syslog_sink *s, const size_t *offs, size_t n)
{
	int64_t now = wall_ms();

	for (size_t i = 0; i < n; i++) {
		size_t len = offs[i + 1] - offs[i];
		struct kept *k;

		if (s->kn == s->kcap) {
			size_t cap = s->kcap ? s->kcap * 2 : 256;
			struct kept *nk = malloc(cap * sizeof(*nk));

			if (!nk)
				return;
			for (size_t j = 0; j < s->kn; j++)
				nk[j] = s->keep[(s->khead + j) % s->kcap];
			free(s->keep);
			s->keep = nk;
			s->khead = 0;
			s->kcap = cap;
		}
		k = &s->keep[(s->khead + s->kn) % s->kcap];
		k->frame = malloc(len);
		if (!k->frame)
			return;
		memcpy(k->frame, s->buf + offs[i], len);
		k->len = len;
		k->ack_ms = now;
		s->kn++;
		s->kbytes += len;
	}
	while (s->kn &&
	       (s->keep[s->khead].ack_ms < now - REPLAY_MS || s->kbytes > REPLAY_MAX_BYTES))
		keep_drop_oldest(s);
}

/* ---- sending ---- */

static int write_bytes(struct syslog_sink *s, const char *p, size_t n)
{
	while (n) {
		ssize_t w;

		if (s->ssl) {
			int r = SSL_write(s->ssl, p, (int)(n > (1u << 30) ? 1u << 30 : n));

			if (r <= 0)
				return SSL_get_error(s->ssl, r) == SSL_ERROR_SYSCALL && errno
					       ? -errno
					       : -EPIPE;
			w = r;
		} else {
			w = send(s->fd, p, n, MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	if (s->ssl)
		s->wbytes = BIO_number_written(SSL_get_wbio(s->ssl));
	return 0;
}

/* The frames kept from before a lost connection, first on the new one. */
static int replay(struct syslog_sink *s)
{
	for (size_t i = 0; i < s->kn; i++) {
		const struct kept *k = &s->keep[(s->khead + i) % s->kcap];
		int ret = write_bytes(s, k->frame, k->len);

		if (ret)
			return ret;
		if (!s->ssl)
			s->wbytes += k->len;
	}
	if (s->kn)
		cw_debug("output %s: sent %zu findings again after a lost connection", s->spec.spec,
			 s->kn);
	s->lost = false;
	return 0;
}

/* Bytes of this connection the peer has ACKed, waiting up to the timeout for all of them. */
static uint64_t wait_acked(struct syslog_sink *s, uint64_t want)
{
	struct timespec ts;
	double until;
	int nap_us = 50;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	until = (double)ts.tv_sec + ts.tv_nsec / 1e9 + s->spec.timeout_ms / 1e3;
	for (;;) {
		int q = 0;
		uint64_t acked;

		if (ioctl(s->fd, SIOCOUTQ, &q))
			return 0;
		acked = s->wbytes - (uint64_t)q;
		if (acked >= want || peer_gone(s))
			return acked;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((double)ts.tv_sec + ts.tv_nsec / 1e9 >= until)
			return acked;
		usleep((useconds_t)nap_us);
		if (nap_us < 10000)
			nap_us *= 2;
	}
}

static void send_stream(struct syslog_sink *s, const struct cw_sink_rec *recs, size_t n,
			struct cw_sink_result *r)
{
	size_t offs[n + 1], total, i;
	uint64_t base, acked;
	int ret;

	if (s->fd >= 0 && peer_gone(s))
		disconnect(s, true);
	if (s->fd < 0 && connect_peer(s, r->error, sizeof(r->error)))
		return;
	if (s->lost && (ret = replay(s))) {
		say(r->error, sizeof(r->error), "%s port %u: %s", s->spec.host, s->spec.port,
		    strerror(-ret));
		disconnect(s, true);
		return;
	}
	if (build_frames(s, recs, n, offs, &total)) {
		say(r->error, sizeof(r->error), "out of memory");
		return;
	}
	base = s->wbytes;
	for (i = 0; i < n; i++) {
		ret = write_bytes(s, s->buf + offs[i], offs[i + 1] - offs[i]);
		if (ret)
			break;
		if (!s->ssl)
			s->wbytes += offs[i + 1] - offs[i];
		s->ends[i] = s->wbytes;
	}
	acked = i ? wait_acked(s, s->ends[i - 1]) : base;
	while (r->acked < i && s->ends[r->acked] <= acked)
		r->acked++;
	keep_frames(s, offs, r->acked);
	if (r->acked < n) {
		say(r->error, sizeof(r->error), "%s port %u: %s", s->spec.host, s->spec.port,
		    i < n ? strerror(-ret) : "connection lost or not acknowledged in time");
		disconnect(s, true);
	}
}

static void send_udp(struct syslog_sink *s, const struct cw_sink_rec *recs, size_t n,
		     struct cw_sink_result *r)
{
	size_t offs[n + 1], total;

	if (s->fd < 0 && connect_peer(s, r->error, sizeof(r->error)))
		return;
	if (build_frames(s, recs, n, offs, &total)) {
		say(r->error, sizeof(r->error), "out of memory");
		return;
	}
	for (; r->acked < n; r->acked++) {
		size_t len = offs[r->acked + 1] - offs[r->acked];

		if (send(s->fd, s->buf + offs[r->acked], len, 0) >= 0)
			continue;
		if (errno == EMSGSIZE) {
			cw_log("output %s: a finding of %zu bytes is too large for a datagram: "
			       "dropped",
			       s->spec.spec, len);
			continue;
		}
		/* ECONNREFUSED: an ICMP port unreachable for an earlier datagram. */
		say(r->error, sizeof(r->error), "%s port %u: %s", s->spec.host, s->spec.port,
		    strerror(errno));
		disconnect(s, false);
		return;
	}
}

static void syslog_send(void *state, const struct cw_sink_rec *recs, size_t n,
			struct cw_sink_result *r)
{
	struct syslog_sink *s = state;

	memset(r, 0, sizeof(*r));
	if (!n)
		return;
	if (s->stream)
		send_stream(s, recs, n, r);
	else
		send_udp(s, recs, n, r);
}

/* SIGHUP: a new connection, and the CA and client certificate read again. */
static void syslog_reopen(void *state)
{
	struct syslog_sink *s = state;
	SSL_CTX *ctx;
	char err[512];

	disconnect(s, false);
	if (!s->ctx)
		return;
	if (make_ctx(&s->spec, &ctx, err, sizeof(err))) {
		cw_log("output %s: keeping the previous TLS settings: %s", s->spec.spec, err);
		return;
	}
	SSL_CTX_free(s->ctx);
	s->ctx = ctx;
}

static void syslog_close(void *state)
{
	struct syslog_sink *s = state;

	disconnect(s, false);
	while (s->kn)
		keep_drop_oldest(s);
	free(s->keep);
	SSL_CTX_free(s->ctx);
	free(s->buf);
	free(s->ends);
	free(s);
}

const struct cw_sink_ops cw_sink_syslog_ops = {
	.name = "syslog",
	.open = syslog_open,
	.send = syslog_send,
	.reopen = syslog_reopen,
	.close = syslog_close,
};
