// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The HTTPS sinks: Splunk HEC, Elasticsearch/OpenSearch _bulk and webhooks (see sink.h and
 * output_spec.h). One request per batch, on one easy handle kept across requests (its
 * connection stays open), driven by a multi handle so a request is bounded by the output's
 * timeout. Bodies come from http_body.c, replies are read by http_reply.c, the credential by
 * http_auth.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "output/http_auth.h"
#include "output/http_body.h"
#include "output/http_reply.h"
#include "output/sink.h"
#include "util/gzip.h"
#include "util/log.h"

/* A reply longer than this is cut (and then not understood): a bulk reply for 500 items is
 * ~100 KiB. */
#define REPLY_MAX (16u << 20)

struct http_sink {
	enum cw_sink_kind kind;
	char url[CW_OUTPUT_STR + 16];
	char token_file[512];
	char index[128];
	char hostname[256];
	char ca_file[512];
	bool gzip;
	unsigned timeout_ms;
	/* the last exchange went wrong: the next one opens a new connection (an answer to an
	 * abandoned request may still be on its way on the old one) */
	bool fresh;
	struct cw_http_auth auth;
	CURLM *multi;
	CURL *easy;
	struct curl_slist *headers;
	struct cw_http_buf body;
	char *gz;
	struct cw_http_buf reply;
	char retry_after[64]; /* the last reply's Retry-After, "" none */
	char curl_err[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_ret;

static void curl_init(void)
{
	curl_init_ret = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct http_sink *s = arg;
	size_t n = size * nmemb, room = REPLY_MAX - s->reply.len;
	char *nb;

	if (n > room)
		n = room;
	if (s->reply.len + n + 1 > s->reply.cap) {
		size_t cap = s->reply.cap ? s->reply.cap : 4096;

		while (cap < s->reply.len + n + 1)
			cap *= 2;
		nb = realloc(s->reply.p, cap);
		if (!nb)
			return 0; /* curl fails the transfer: CURLE_WRITE_ERROR */
		s->reply.p = nb;
		s->reply.cap = cap;
	}
	memcpy(s->reply.p + s->reply.len, p, n);
	s->reply.len += n;
	s->reply.p[s->reply.len] = '\0';
	return size * nmemb;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	static const char name[] = "retry-after:";
	struct http_sink *s = arg;
	size_t n = size * nmemb, l = sizeof(name) - 1, v;

	if (n > l && !strncasecmp(p, name, l)) {
		v = n - l < sizeof(s->retry_after) ? n - l : sizeof(s->retry_after) - 1;
		memcpy(s->retry_after, p + l, v);
		s->retry_after[v] = '\0';
	}
	return n;
}

/* HEC's URL may stop at /services/collector: the event endpoint is below it. */
static void make_url(struct http_sink *s, const char *target)
{
	size_t n = strlen(target);

	while (n && target[n - 1] == '/')
		n--;
	if (s->kind == CW_SINK_HEC && n >= 19 &&
	    !strncmp(target + n - 19, "/services/collector", 19))
		snprintf(s->url, sizeof(s->url), "%.*s/event", (int)n, target);
	else
		snprintf(s->url, sizeof(s->url), "%s", target);
}

/* Bulk: the URL's own index (/INDEX/_bulk) wins; else the spec's; else "credwatch". */
static void bulk_index(struct http_sink *s, const char *spec_index)
{
	const char *path = strstr(s->url, "://"), *q;

	path = path ? strchr(path + 3, '/') : NULL;
	q = path ? strstr(path, "/_bulk") : NULL;
	if (q && q > path)
		s->index[0] = '\0';
	else
		snprintf(s->index, sizeof(s->index), "%s", *spec_index ? spec_index : "credwatch");
}

static int check_readable(const char *what, const char *path, char *err, size_t errlen)
{
	if (!*path || !access(path, R_OK))
		return 0;
	snprintf(err, errlen, "cannot read %s %s: %s", what, path, strerror(errno));
	return -errno;
}

static int tls_files(const struct cw_output_spec *spec, char *err, size_t errlen)
{
	int ret = check_readable("CA file", spec->ca_file, err, errlen);

	if (!ret)
		ret = check_readable("client certificate", spec->cert_file, err, errlen);
	if (!ret)
		ret = check_readable("client key", spec->key_file, err, errlen);
	if (!ret && *spec->key_file && !*spec->cert_file) {
		snprintf(err, errlen, "key=%s without cert=FILE", spec->key_file);
		ret = -EINVAL;
	}
	return ret;
}

static int set_headers(struct http_sink *s)
{
	const char *type = s->kind == CW_SINK_BULK ? "Content-Type: application/x-ndjson"
						   : "Content-Type: application/json";
	struct curl_slist *h = NULL, *t;

	/* No "Expect: 100-continue" round trip before a large body. */
	const char *lines[] = { type, "Expect:", s->gzip ? "Content-Encoding: gzip" : NULL,
				s->auth.header };

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (!lines[i])
			continue;
		t = curl_slist_append(h, lines[i]);
		if (!t) {
			curl_slist_free_all(h);
			return -ENOMEM;
		}
		h = t;
	}
	curl_slist_free_all(s->headers);
	s->headers = h;
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
	if (s->auth.userpwd) {
		curl_easy_setopt(s->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(s->easy, CURLOPT_USERPWD, s->auth.userpwd);
	} else {
		curl_easy_setopt(s->easy, CURLOPT_USERPWD, NULL);
	}
	return 0;
}

static void set_options(struct http_sink *s, const struct cw_output_spec *spec)
{
	CURL *e = s->easy;

	curl_easy_setopt(e, CURLOPT_URL, s->url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)s->timeout_ms);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "credwatch");
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->curl_err);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (*spec->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, spec->ca_file);
	if (*spec->cert_file)
		curl_easy_setopt(e, CURLOPT_SSLCERT, spec->cert_file);
	if (*spec->key_file)
		curl_easy_setopt(e, CURLOPT_SSLKEY, spec->key_file);
}

static void http_close(void *state)
{
	struct http_sink *s = state;

	if (!s)
		return;
	if (s->easy)
		curl_easy_cleanup(s->easy);
	if (s->multi)
		curl_multi_cleanup(s->multi);
	curl_slist_free_all(s->headers);
	cw_http_auth_wipe(&s->auth);
	cw_http_buf_free(&s->body);
	cw_http_buf_free(&s->reply);
	free(s->gz);
	free(s);
}

static int http_open(const struct cw_output_spec *spec, void **state, char *err, size_t errlen)
{
	struct http_sink *s;
	int ret;

	pthread_once(&curl_once, curl_init);
	if (curl_init_ret != CURLE_OK) {
		snprintf(err, errlen, "libcurl: %s", curl_easy_strerror(curl_init_ret));
		return -EIO;
	}
	ret = tls_files(spec, err, errlen);
	if (ret)
		return ret;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto nomem;
	s->kind = spec->kind;
	s->gzip = spec->gzip;
	s->timeout_ms = spec->timeout_ms ? spec->timeout_ms : 10000;
	snprintf(s->token_file, sizeof(s->token_file), "%s", spec->token_file);
	snprintf(s->ca_file, sizeof(s->ca_file), "%s", spec->ca_file);
	if (gethostname(s->hostname, sizeof(s->hostname) - 1))
		snprintf(s->hostname, sizeof(s->hostname), "localhost");
	make_url(s, spec->target);
	if (s->kind == CW_SINK_BULK)
		bulk_index(s, spec->index);
	else
		snprintf(s->index, sizeof(s->index), "%s", spec->index);
	ret = cw_http_auth_load(s->kind, s->token_file, &s->auth, err, errlen);
	if (ret) {
		http_close(s);
		return ret;
	}
	s->multi = curl_multi_init();
	s->easy = curl_easy_init();
	if (!s->multi || !s->easy)
		goto nomem;
	set_options(s, spec);
	if (set_headers(s))
		goto nomem;
	*state = s;
	return 0;
nomem:
	http_close(s);
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

/* New credentials after SIGHUP; on an error the old ones stay. */
static void http_reopen(void *state)
{
	struct http_sink *s = state;
	struct cw_http_auth fresh, old = s->auth;
	char err[256];

	if (cw_http_auth_load(s->kind, s->token_file, &fresh, err, sizeof(err))) {
		cw_log("%s; keeping the credential read before", err);
		return;
	}
	s->auth = fresh;
	if (set_headers(s)) {
		cw_log("out of memory rereading %s; keeping the credential read before",
		       s->token_file);
		s->auth = old;
		cw_http_auth_wipe(&fresh);
		return;
	}
	cw_http_auth_wipe(&old);
}

static int build_body(struct http_sink *s, const struct cw_sink_rec *recs, size_t n)
{
	struct timespec now;

	switch (s->kind) {
	case CW_SINK_HEC:
		clock_gettime(CLOCK_REALTIME, &now);
		return cw_http_body_hec(&s->body, recs, n, s->hostname, s->index,
					(int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
	case CW_SINK_BULK: return cw_http_body_bulk(&s->body, recs, n, s->index);
	default: return cw_http_body_webhook(&s->body, recs, n);
	}
}

/* Hand curl the body, gzipped when asked. 0 or -ENOMEM. */
static int set_body(struct http_sink *s)
{
	const char *data = s->body.p;
	size_t len = s->body.len;

	free(s->gz);
	s->gz = NULL;
	if (s->gzip) {
		if (cw_gzip(s->body.p, s->body.len, &s->gz, &len))
			return -ENOMEM;
		data = s->gz;
	}
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, data);
	return 0;
}

/* One request on the multi handle, to its end or the timeout: curl's verdict. */
static CURLcode perform(struct http_sink *s)
{
	CURLcode res = CURLE_OK;
	CURLMcode mc;
	CURLMsg *msg;
	int running = 1, left;

	s->reply.len = 0;
	s->retry_after[0] = '\0';
	s->curl_err[0] = '\0';
	if (curl_multi_add_handle(s->multi, s->easy) != CURLM_OK)
		return CURLE_OUT_OF_MEMORY;
	while (running) {
		mc = curl_multi_perform(s->multi, &running);
		if (mc == CURLM_OK && running)
			mc = curl_multi_poll(s->multi, NULL, 0, 1000, NULL);
		if (mc != CURLM_OK) {
			res = CURLE_RECV_ERROR;
			break;
		}
	}
	while ((msg = curl_multi_info_read(s->multi, &left)))
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == s->easy)
			res = msg->data.result;
	curl_multi_remove_handle(s->multi, s->easy);
	return res;
}

/* curl's failure as a short reason. */
static void transfer_error(struct http_sink *s, CURLcode res, struct cw_sink_result *r)
{
	const char *detail = s->curl_err[0] ? s->curl_err : curl_easy_strerror(res);

	switch (res) {
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(r->error, sizeof(r->error), "no reply within %u ms", s->timeout_ms);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
		snprintf(r->error, sizeof(r->error),
			 "TLS: the server's certificate does not verify against %.80s: %.100s",
			 *s->ca_file ? s->ca_file : "the system's CAs", detail);
		break;
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		snprintf(r->error, sizeof(r->error),
			 "TLS: a certificate or key file is unusable: %.200s", detail);
		break;
	default: snprintf(r->error, sizeof(r->error), "%.250s", detail); break;
	}
}

/*
 * The parts of the credential a far end could echo: the auth header's value ("Splunk T"), its
 * last word (T), and the password of user:password. Pointers into s->auth.
 */
static size_t secrets(const struct http_sink *s, const char *out[3])
{
	const char *v = s->auth.header ? strchr(s->auth.header, ':') : NULL, *sp;
	size_t n = 0;

	if (v) {
		while (*v == ':' || *v == ' ')
			v++;
		out[n++] = v;
		sp = strrchr(v, ' ');
		if (sp)
			out[n++] = sp + 1;
	}
	v = s->auth.userpwd ? strchr(s->auth.userpwd, ':') : NULL;
	if (v)
		out[n++] = v + 1;
	return n;
}

/* Never let the credential reach a message, should a far end echo it back: masked in the
 * reply before anything reads it, and a message that still quotes it is withheld. */
static void scrub_reply(struct http_sink *s)
{
	const char *sec[3];

	cw_http_reply_mask(s->reply.p, s->reply.len, sec, secrets(s, sec));
}

static void scrub(struct http_sink *s, char *msg)
{
	const char *sec[3];
	size_t n = secrets(s, sec);

	for (size_t i = 0; i < n; i++)
		if (strlen(sec[i]) >= CW_HTTP_SECRET_MIN && strstr(msg, sec[i])) {
			snprintf(msg, 64, "reply withheld: it quoted the output's credential");
			return;
		}
}

static void http_send(void *state, const struct cw_sink_rec *recs, size_t n,
		      struct cw_sink_result *r)
{
	struct http_sink *s = state;
	CURLcode res;
	long status = 0;
	bool throttled;

	r->acked = 0;
	r->retry_after_ms = 0;
	r->error[0] = '\0';
	if (!n)
		return;
	if (build_body(s, recs, n) || set_body(s)) {
		snprintf(r->error, sizeof(r->error), "out of memory building a request");
		return;
	}
	curl_easy_setopt(s->easy, CURLOPT_FRESH_CONNECT, s->fresh ? 1L : 0L);
	res = perform(s);
	if (res != CURLE_OK) {
		transfer_error(s, res, r);
		scrub(s, r->error);
		s->fresh = true;
		return;
	}
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	scrub_reply(s);
	if (s->kind == CW_SINK_HEC)
		throttled = cw_http_reply_hec(status, s->reply.p, s->reply.len, n, r);
	else if (s->kind == CW_SINK_BULK)
		throttled = cw_http_reply_bulk(status, s->reply.p, s->reply.len, recs, n, r);
	else
		throttled = cw_http_reply_webhook(status, s->reply.p, s->reply.len, n, r);
	if (throttled && s->retry_after[0]) {
		int64_t ms = cw_http_retry_after_ms(s->retry_after, time(NULL));

		if (ms > 0)
			r->retry_after_ms = ms;
	}
	/* a 2xx whose body is not the endpoint's reply ("HTTP 200 without HEC's reply", "...
	 * without a bulk reply"): the connection may carry a late answer to an abandoned request */
	s->fresh = status >= 200 && status <= 299 && r->acked < n && strstr(r->error, " without ");
	scrub(s, r->error);
}

const struct cw_sink_ops cw_sink_http_ops = {
	.name = "https",
	.open = http_open,
	.send = http_send,
	.reopen = http_reopen,
	.close = http_close,
};
