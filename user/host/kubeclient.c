// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The pod metadata client (kubeclient.h): one thread, one request at a time on a libcurl
 * multi handle, so that a stop or a wanted pod wakes it (curl_multi_wakeup) wherever it waits.
 * API server: list (paged) -> watch from the list's resourceVersion -> on its end watch again
 * from the last version seen -> on 410 Gone list again; errors back off exponentially with
 * jitter. Kubelet: /pods at the start, then when a wanted pod is not known, at most once a
 * second. The health is a state (up or down) and only its changes are logged.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "host/kubeclient.h"
#include "host/podmeta.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/grow.h"
#include "util/log.h"
#include "util/version.h"

#define WANT_MAX 32	 /* wanted UIDs noted between two looks of the client */
#define NOT_FOUND_MAX 64 /* UIDs a fetch did not find, remembered for CW_KUBE_NOT_FOUND_MS */
#define ERROR_BODY_MAX 4096
#define TOKEN_MAX (64u << 10)

enum health { H_START, H_UP, H_DOWN };

/* One HTTP exchange: a list page, a kubelet fetch, or a watch. */
struct req {
	CURL *easy;
	struct curl_slist *headers;
	long status; /* the final status once its headers are in; 0 before */
	bool stream; /* a watch: lines to the event handler as they arrive */
	struct cw_kube_lines lines;
	char *body; /* a list's body, or the start of an error's */
	size_t len, cap, max;
	int stop_err;	   /* set by the line handler: 410 (gone), or -errno */
	struct cw_kube *k; /* the line handler's client */
	char why[1024];
	char curl_err[CURL_ERROR_SIZE];
};

struct uid_time {
	char uid[40];
	double until;
};

struct cw_kube {
	struct cw_kube_config c;
	struct cw_pods *pods;
	CURLM *multi;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	/* wants: written by the matching thread (trylock only), taken by the client */
	pthread_mutex_t want_lock;
	char want_uids[WANT_MAX][40];
	size_t nwant;
	atomic_bool wanted, want_lost;
	/* the client thread's own */
	char pending[WANT_MAX][40];
	size_t npending;
	bool pending_lost;
	struct uid_time not_found[NOT_FOUND_MAX];
	size_t nnot_found;
	char *token;
	struct stat token_st;
	bool token_reload;
	enum health health;
	char rv[64];
	bool need_list;	       /* API server: list before the next watch */
	unsigned gone_in_row;  /* 410s with no event between: past one, back off */
	unsigned quick_in_row; /* watches that ended at once, empty: past one, back off */
	unsigned attempt;      /* failures in a row */
	double next_fetch_s;   /* kubelet: no fetch before this */
	uint64_t rnd;
	/* counters (cw_kube_stats reads them from another thread) */
	atomic_uint_fast64_t lists, list_requests, watches, watch_restarts, relists_gone, events,
		errors, wanted_n;
	atomic_bool up;
};

/* --- pure steps --- */

int cw_kube_source_parse(const char *s, enum cw_kube_source *out)
{
	static const char *const names[] = { "auto", "off", "apiserver", "kubelet" };

	for (int i = 0; i < 4; i++) {
		if (s && !strcmp(s, names[i])) {
			*out = (enum cw_kube_source)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *cw_kube_source_name(enum cw_kube_source s)
{
	switch (s) {
	case CW_KUBE_APISERVER: return "the API server";
	case CW_KUBE_KUBELET: return "the kubelet";
	case CW_KUBE_AUTO: return "auto";
	default: return "off";
	}
}

/* Append s percent-encoded (everything but RFC 3986's unreserved characters). */
static size_t put_escaped(char *buf, size_t len, size_t n, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9') || strchr("-._~", ch);

		if (plain && ch) {
			if (n + 1 < len)
				buf[n] = (char)ch;
			n++;
		} else {
			if (n + 3 < len) {
				buf[n] = '%';
				buf[n + 1] = hex[ch >> 4];
				buf[n + 2] = hex[ch & 15];
			}
			n += 3;
		}
	}
	if (len)
		buf[n < len ? n : len - 1] = '\0';
	return n;
}

static size_t put_str(char *buf, size_t len, size_t n, const char *s)
{
	int w = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, "%s", s);

	return n + (size_t)w;
}

/* fieldSelector=spec.nodeName%3DNODE: the selector is one value, its '=' encoded */
static size_t put_selector(char *buf, size_t len, size_t n, const char *node)
{
	n = put_str(buf, len, n, "fieldSelector=");
	n = put_escaped(buf, len, n, "spec.nodeName=");
	return put_escaped(buf, len, n, node);
}

int cw_kube_list_url(const char *base, const char *node, const char *cont, unsigned limit,
		     char *buf, size_t len)
{
	char num[24];
	size_t n = put_str(buf, len, 0, base);

	n = put_str(buf, len, n, "/api/v1/pods?");
	n = put_selector(buf, len, n, node);
	snprintf(num, sizeof(num), "&limit=%u", limit);
	n = put_str(buf, len, n, num);
	if (cont && *cont) {
		n = put_str(buf, len, n, "&continue=");
		n = put_escaped(buf, len, n, cont);
	}
	return n < len ? 0 : -ENAMETOOLONG;
}

int cw_kube_watch_url(const char *base, const char *node, const char *rv, unsigned timeout_s,
		      char *buf, size_t len)
{
	char num[64];
	size_t n = put_str(buf, len, 0, base);

	n = put_str(buf, len, n, "/api/v1/pods?watch=1&resourceVersion=");
	n = put_escaped(buf, len, n, rv);
	snprintf(num, sizeof(num), "&allowWatchBookmarks=true&timeoutSeconds=%u&", timeout_s);
	n = put_str(buf, len, n, num);
	n = put_selector(buf, len, n, node);
	return n < len ? 0 : -ENAMETOOLONG;
}

unsigned cw_kube_backoff_ms(unsigned attempt, double r)
{
	unsigned ms = CW_KUBE_BACKOFF_MIN_MS;

	for (unsigned i = 1; i < attempt && ms < CW_KUBE_BACKOFF_MAX_MS; i++)
		ms *= 2;
	if (ms > CW_KUBE_BACKOFF_MAX_MS)
		ms = CW_KUBE_BACKOFF_MAX_MS;
	if (r < 0 || r >= 1)
		r = 0;
	/* "equal jitter": never less than half, so that retries do not bunch up near zero */
	return ms - (unsigned)(ms / 2 * r);
}

int cw_kube_lines_feed(struct cw_kube_lines *l, const char *data, size_t n)
{
	while (n) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) : n;
		int ret;

		if (l->overflow || l->len + take > l->max) {
			l->overflow = true;
			return -E2BIG;
		}
		if (cw_grow((void **)&l->buf, &l->cap, l->len + take + 1, 1))
			return -ENOMEM;
		memcpy(l->buf + l->len, data, take);
		l->len += take;
		data += take;
		n -= take;
		if (!nl)
			break;
		data++; /* the newline */
		n--;
		l->buf[l->len] = '\0';
		while (l->len && l->buf[l->len - 1] == '\r')
			l->buf[--l->len] = '\0';
		ret = l->len ? l->fn(l->arg, l->buf, l->len) : 0;
		l->len = 0;
		if (ret)
			return ret;
	}
	return 0;
}

void cw_kube_lines_free(struct cw_kube_lines *l)
{
	free(l->buf);
	l->buf = NULL;
	l->len = l->cap = 0;
}

static int check_url(const char *what, const char *url, char *err, size_t errlen)
{
	if (strncmp(url, "https://", 8) && strncmp(url, "http://", 7)) {
		snprintf(err, errlen, "%s '%s': not an http:// or https:// URL", what, url);
		return -EINVAL;
	}
	return 0;
}

/* base URL without the '/' at its end */
static int set_url(struct cw_kube_config *c, const char *what, const char *url, char *err,
		   size_t errlen)
{
	size_t n;

	if (check_url(what, url, err, errlen))
		return -EINVAL;
	if (snprintf(c->url, sizeof(c->url), "%s", url) >= (int)sizeof(c->url)) {
		snprintf(err, errlen, "%s: longer than %zu bytes", what, sizeof(c->url) - 1);
		return -EINVAL;
	}
	n = strlen(c->url);
	while (n && c->url[n - 1] == '/')
		c->url[--n] = '\0';
	return 0;
}

static const char *env_of(const char *(*getenv_fn)(const char *), const char *name)
{
	const char *v = getenv_fn ? getenv_fn(name) : NULL;

	return v && *v ? v : NULL;
}

/* https://HOST:PORT from the service variables, an IPv6 host in brackets */
static void url_of(char *buf, size_t len, const char *host, const char *port)
{
	bool v6 = strchr(host, ':') != NULL;

	snprintf(buf, len, "https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

static int resolve_apiserver(const struct cw_kube_opts *o, const char *(*ge)(const char *),
			     struct cw_kube_config *c, char *err, size_t errlen)
{
	const char *host = env_of(ge, "KUBERNETES_SERVICE_HOST");
	const char *port = env_of(ge, "KUBERNETES_SERVICE_PORT");
	char url[300];

	if (o->apiserver)
		return set_url(c, "kube_apiserver", o->apiserver, err, errlen);
	if (!host) {
		snprintf(err, errlen,
			 "kube_metadata apiserver: no kube_apiserver given and "
			 "KUBERNETES_SERVICE_HOST is not set (not in a pod)");
		return -EINVAL;
	}
	url_of(url, sizeof(url), host, port ? port : "443");
	return set_url(c, "kube_apiserver", url, err, errlen);
}

static int resolve_kubelet(const struct cw_kube_opts *o, const char *(*ge)(const char *),
			   struct cw_kube_config *c, char *err, size_t errlen)
{
	const char *ip = env_of(ge, "NODE_IP");
	char url[300];

	if (o->kubelet_url)
		return set_url(c, "kubelet_url", o->kubelet_url, err, errlen);
	url_of(url, sizeof(url), ip ? ip : "127.0.0.1", "10250");
	return set_url(c, "kubelet_url", url, err, errlen);
}

int cw_kube_resolve(const struct cw_kube_opts *o, const char *(*ge)(const char *),
		    const char *hostname, struct cw_kube_config *c, char *err, size_t errlen)
{
	const char *node = o->node_name ? o->node_name : env_of(ge, "NODE_NAME");

	memset(c, 0, sizeof(*c));
	c->source = o->source;
	if (c->source == CW_KUBE_AUTO) {
		bool in_pod = env_of(ge, "KUBERNETES_SERVICE_HOST") != NULL;

		c->source = o->apiserver || in_pod ? CW_KUBE_APISERVER : CW_KUBE_OFF;
		snprintf(c->why, sizeof(c->why), "auto: %s",
			 o->apiserver ? "kube_apiserver is given"
			 : in_pod     ? "in a pod (KUBERNETES_SERVICE_HOST)"
				      : "not in a pod and no kube_apiserver");
	}
	if (c->source == CW_KUBE_OFF)
		return 0;
	if ((c->source == CW_KUBE_APISERVER ? resolve_apiserver : resolve_kubelet)(o, ge, c, err,
										   errlen))
		return -EINVAL;
	snprintf(c->node, sizeof(c->node), "%s", node ? node : hostname ? hostname : "");
	if (c->source == CW_KUBE_APISERVER && !*c->node) {
		snprintf(err, errlen,
			 "kube_metadata apiserver: no node name (node_name, $NODE_NAME)");
		return -EINVAL;
	}
	snprintf(c->token_file, sizeof(c->token_file), "%s",
		 o->token_file ? o->token_file : CW_KUBE_TOKEN_FILE);
	snprintf(c->ca_file, sizeof(c->ca_file), "%s", o->ca_file ? o->ca_file : CW_KUBE_CA_FILE);
	c->insecure_tls = c->source == CW_KUBE_KUBELET && o->kubelet_insecure_tls;
	c->timeout_ms = o->timeout_ms ? o->timeout_ms : CW_KUBE_TIMEOUT_MS;
	return 0;
}

/* --- health: one line per change --- */

static void set_down(struct cw_kube *k, const char *why)
{
	atomic_fetch_add(&k->errors, 1);
	atomic_store(&k->up, false);
	if (k->health != H_DOWN)
		cw_log("kubernetes metadata: down: %s (workloads are named from their cgroups "
		       "only until it is back)",
		       why);
	else
		cw_debug("kubernetes metadata: still down: %s", why);
	k->health = H_DOWN;
}

static void set_up(struct cw_kube *k)
{
	const char *from = cw_kube_source_name(k->c.source);

	atomic_store(&k->up, true);
	k->attempt = 0;
	if (k->health == H_DOWN)
		cw_log("kubernetes metadata: up again: %zu pods from %s", cw_pods_count(k->pods),
		       from);
	else if (k->health == H_START)
		cw_log("kubernetes metadata: up: %zu pods of node %s from %s %s",
		       cw_pods_count(k->pods), *k->c.node ? k->c.node : "(any)", from, k->c.url);
	k->health = H_UP;
}

/* --- the token, read again when its file changes (projected tokens rotate) --- */

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void drop_token(struct cw_kube *k)
{
	if (k->token) {
		explicit_bzero(k->token, strlen(k->token));
		free(k->token);
		k->token = NULL;
	}
}

static int load_token(struct cw_kube *k, char *why, size_t whylen)
{
	struct stat st;
	size_t len;
	char *buf;
	int ret;

	if (stat(k->c.token_file, &st)) {
		ret = -errno;
		goto fail;
	}
	if (k->token && !k->token_reload && same_file(&st, &k->token_st))
		return 0;
	ret = cw_read_file(k->c.token_file, TOKEN_MAX, &buf, &len);
	if (ret)
		goto fail;
	while (len && strchr(" \t\r\n", buf[len - 1]))
		buf[--len] = '\0';
	drop_token(k);
	k->token = buf;
	k->token_st = st;
	k->token_reload = false;
	return 0;
fail:
	snprintf(why, whylen, "cannot read the token file %s: %s", k->c.token_file, strerror(-ret));
	return ret;
}

/* --- one HTTP exchange --- */

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct req *r = arg;
	long code = 0;

	if (size * n <= 2 && (data[0] == '\r' || data[0] == '\n')) { /* the end of a header */
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
		if (code >= 200)
			r->status = code;
	}
	return size * n;
}

static int keep_body(struct req *r, const char *data, size_t n, size_t max)
{
	if (r->len + n > max)
		n = max > r->len ? max - r->len : 0;
	if (cw_grow((void **)&r->body, &r->cap, r->len + n + 1, 1))
		return -ENOMEM;
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct req *r = arg;
	size_t total = size * n;
	int ret;

	if (r->status != 200)
		return keep_body(r, data, total, ERROR_BODY_MAX) ? 0 : total;
	if (!r->stream) {
		if (r->len + total > r->max) {
			snprintf(r->why, sizeof(r->why), "an answer larger than %zu MiB",
				 r->max >> 20);
			r->stop_err = -EFBIG;
			return 0;
		}
		return keep_body(r, data, total, r->max) ? 0 : total;
	}
	ret = cw_kube_lines_feed(&r->lines, data, total);
	if (ret == -E2BIG) {
		snprintf(r->why, sizeof(r->why), "a watch event longer than %u MiB",
			 CW_KUBE_LINE_MAX >> 20);
		r->stop_err = -E2BIG;
	}
	return ret ? 0 : total;
}

static void req_free(struct req *r)
{
	if (r->easy)
		curl_easy_cleanup(r->easy);
	for (struct curl_slist *h = r->headers; h; h = h->next) /* the token's header */
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(r->headers);
	free(r->body);
	cw_kube_lines_free(&r->lines);
	memset(r, 0, sizeof(*r));
}

/* Authorization (over HTTPS only: a token never goes out in clear), Accept, TLS. */
static int req_setup(struct cw_kube *k, struct req *r, const char *url, long total_ms)
{
	bool tls = !strncmp(url, "https://", 8);
	char auth[32];
	int ret;

	r->easy = curl_easy_init();
	if (!r->easy)
		return -ENOMEM;
	r->headers = curl_slist_append(NULL, "Accept: application/json");
	if (tls && (ret = load_token(k, r->why, sizeof(r->why))))
		return ret;
	if (tls) {
		/* the header line is built in curl's own copy, then ours is wiped */
		size_t n = strlen(k->token) + sizeof("Authorization: Bearer ");
		char *h = malloc(n);

		if (!h)
			return -ENOMEM;
		snprintf(h, n, "Authorization: Bearer %s", k->token);
		r->headers = curl_slist_append(r->headers, h);
		explicit_bzero(h, n);
		free(h);
	}
	snprintf(auth, sizeof(auth), "credwatch/%s", cw_version);
	curl_easy_setopt(r->easy, CURLOPT_URL, url);
	curl_easy_setopt(r->easy, CURLOPT_USERAGENT, auth);
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)k->c.timeout_ms);
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, total_ms);
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPIDLE, 30L);
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPINTVL, 10L);
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->curl_err);
	curl_easy_setopt(r->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(r->easy, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	if (k->c.insecure_tls) {
		curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (tls && !access(k->c.ca_file, R_OK)) {
		curl_easy_setopt(r->easy, CURLOPT_CAINFO, k->c.ca_file);
	}
	return r->headers ? 0 : -ENOMEM;
}

/* A reason for a status other than 200, from the Status object the server sent if any. */
static void status_reason(struct cw_kube *k, struct req *r, const char *what)
{
	json_t *st = r->body ? json_loads(r->body, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(st, "message"));
	const char *hint = r->status == 401   ? ": the token was refused"
			   : r->status == 403 ? ": forbidden (RBAC must grant get, list and watch "
						"on pods)"
					      : "";

	if (r->status == 401)
		k->token_reload = true; /* a rotated token: read it again before the next try */
	snprintf(r->why, sizeof(r->why), "%s %s: HTTP %ld%s%s%.120s", what, k->c.url, r->status,
		 hint, msg ? ": " : "", msg ? msg : "");
	json_decref(st);
}

/* Wants forgotten: nothing to look up. */
static void drop_wants(struct cw_kube *k)
{
	atomic_store(&k->wanted, false);
	pthread_mutex_lock(&k->want_lock);
	k->nwant = 0;
	pthread_mutex_unlock(&k->want_lock);
	atomic_store(&k->want_lost, false);
}

/*
 * Run r to its end on the multi handle. 0 with r->status 200 (and the body, or the events
 * handed over); 410 (HTTP 410 or a 410 ERROR event); -ECANCELED (stop); else -errno with
 * the reason in r->why.
 */
static int req_run(struct cw_kube *k, struct req *r, const char *what)
{
	double deadline = cw_mono_s() + k->c.timeout_ms / 1e3;
	CURLcode res = CURLE_OK;
	int running = 1, ret = 0;
	CURLMsg *m;
	int left;

	curl_multi_add_handle(k->multi, r->easy);
	while (running) {
		curl_multi_perform(k->multi, &running);
		while ((m = curl_multi_info_read(k->multi, &left)))
			if (m->msg == CURLMSG_DONE)
				res = m->data.result;
		if (!running || r->stop_err)
			break;
		if (atomic_load(&k->stop)) {
			ret = -ECANCELED;
			break;
		}
		if (!r->status && cw_mono_s() > deadline) {
			snprintf(r->why, sizeof(r->why), "%s %s: no answer within %u ms", what,
				 k->c.url, k->c.timeout_ms);
			ret = -ETIMEDOUT;
			break;
		}
		if (r->stream && r->status == 200 && k->health != H_UP)
			set_up(k); /* the watch is open again */
		if (r->stream && atomic_load(&k->wanted))
			drop_wants(k); /* the watch is up: it brings every pod */
		curl_multi_poll(k->multi, NULL, 0, 1000, NULL);
	}
	curl_multi_remove_handle(k->multi, r->easy);
	if (ret)
		return ret;
	if (r->stop_err)
		return r->stop_err;
	if (res != CURLE_OK) {
		snprintf(r->why, sizeof(r->why), "%s %s: %s", what, k->c.url,
			 *r->curl_err ? r->curl_err : curl_easy_strerror(res));
		return res == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EIO;
	}
	if (r->status == 410) {
		snprintf(r->why, sizeof(r->why), "%s %s: HTTP 410 (gone)", what, k->c.url);
		return 410;
	}
	if (r->status != 200) {
		status_reason(k, r, what);
		return -EPROTO;
	}
	return 0;
}

/* --- lists --- */

/* One GET whose body is a PodList: the parsed object, or NULL with the reason in why. */
static json_t *get_list(struct cw_kube *k, const char *url, const char *what, int *err, char *why,
			size_t whylen)
{
	struct req r = { .max = CW_KUBE_BODY_MAX };
	json_error_t je;
	json_t *list = NULL;

	atomic_fetch_add(&k->list_requests, 1);
	*err = req_setup(k, &r, url, (long)k->c.timeout_ms * 6);
	if (!*err)
		*err = req_run(k, &r, what);
	if (!*err) {
		list = json_loadb(r.body ? r.body : "", r.len, 0, &je);
		if (!json_is_array(json_object_get(list, "items"))) {
			snprintf(r.why, sizeof(r.why), "%s %s: the answer is %s", what, k->c.url,
				 list ? "not a PodList (no items)" : "not JSON");
			json_decref(list);
			list = NULL;
			*err = -EBADMSG;
		}
	}
	if (*err)
		snprintf(why, whylen, "%s", r.why);
	req_free(&r);
	return list;
}

/* The list into the cache. 0, or -errno with the reason in why. */
static int apply(struct cw_kube *k, json_t *list, char *why, size_t whylen)
{
	char err[256];
	int ret = cw_pods_apply_list(k->pods, list, k->rv, sizeof(k->rv), err, sizeof(err));

	json_decref(list);
	if (ret < 0) {
		snprintf(why, whylen, "%s %s: %s", cw_kube_source_name(k->c.source), k->c.url, err);
		return ret;
	}
	atomic_fetch_add(&k->lists, 1);
	return 0;
}

/*
 * The node's pods, page by page (limit/continue), each page into the cache as it comes, so
 * that a big list is never one JSON tree; the pods no page named are forgotten once the last
 * page is in. A list that fails midway forgets nothing. The watch starts from the first
 * page's resourceVersion (every page of one list has it). 0, or -errno with why.
 */
static int list_pods(struct cw_kube *k, char *why, size_t whylen)
{
	char url[1536], cont[1024] = "", rv[sizeof(k->rv)] = "", page_rv[sizeof(k->rv)], err[256];
	unsigned list = cw_pods_list_begin(k->pods);
	int ret = 0;
	json_t *page;

	do {
		if (cw_kube_list_url(k->c.url, k->c.node, cont, CW_KUBE_LIST_LIMIT, url,
				     sizeof(url))) {
			snprintf(why, whylen, "list: the URL is too long");
			return -ENAMETOOLONG;
		}
		page = get_list(k, url, "list pods from", &ret, why, whylen);
		if (!page)
			return ret;
		snprintf(cont, sizeof(cont), "%s",
			 json_string_value(
				 json_object_get(json_object_get(page, "metadata"), "continue"))
				 ?: "");
		ret = cw_pods_list_page(k->pods, list, page, page_rv, sizeof(page_rv), err,
					sizeof(err));
		json_decref(page);
		if (ret < 0) {
			snprintf(why, whylen, "%s %s: %s", cw_kube_source_name(k->c.source),
				 k->c.url, err);
			return ret;
		}
		if (!*rv)
			snprintf(rv, sizeof(rv), "%s", page_rv);
	} while (*cont);
	cw_pods_list_end(k->pods, list);
	snprintf(k->rv, sizeof(k->rv), "%s", rv);
	atomic_fetch_add(&k->lists, 1);
	return 0;
}

static int fetch_kubelet(struct cw_kube *k, char *why, size_t whylen)
{
	char url[600];
	int err = 0;
	json_t *list;

	snprintf(url, sizeof(url), "%s/pods", k->c.url);
	list = get_list(k, url, "GET /pods from the kubelet", &err, why, whylen);
	return list ? apply(k, list, why, whylen) : err;
}

/* --- the watch --- */

static int on_event(void *arg, const char *line, size_t len)
{
	struct req *r = arg;
	struct cw_kube *k = r->k;
	char rv[64] = "", err[256];
	json_t *ev = json_loadb(line, len, 0, NULL);
	int ret;

	if (!ev) {
		snprintf(r->why, sizeof(r->why), "watch %s: a line that is not JSON", k->c.url);
		r->stop_err = -EBADMSG;
		return 1;
	}
	ret = cw_pods_apply_event(k->pods, ev, rv, sizeof(rv), err, sizeof(err));
	json_decref(ev);
	if (*rv)
		snprintf(k->rv, sizeof(k->rv), "%s", rv);
	if (ret < 0) { /* one object we cannot read: counted, the stream goes on */
		atomic_fetch_add(&k->errors, 1);
		cw_debug("kubernetes metadata: watch event skipped: %s", err);
		return 0;
	}
	if (ret > 0) {
		snprintf(r->why, sizeof(r->why), "watch %s: ERROR event, code %d", k->c.url, ret);
		r->stop_err = ret == 410 ? 410 : -EPROTO;
		return 1;
	}
	atomic_fetch_add(&k->events, 1);
	return 0;
}

/* 0: it ended (watch again); 410: list again; -errno: failed, reason in why. */
static int watch(struct cw_kube *k, char *why, size_t whylen)
{
	unsigned timeout_s = 300 + (unsigned)(k->rnd % 300); /* as client-go: 5 to 10 min */
	struct req r = { .k = k };
	char url[1024];
	double t0 = cw_mono_s();
	uint64_t events0 = atomic_load(&k->events);
	int ret;

	k->rnd = k->rnd * 6364136223846793005ULL + 1442695040888963407ULL;
	if (cw_kube_watch_url(k->c.url, k->c.node, k->rv, timeout_s, url, sizeof(url)))
		return -ENAMETOOLONG;
	atomic_fetch_add(&k->watches, 1);
	r.stream = true;
	r.lines = (struct cw_kube_lines){ .max = CW_KUBE_LINE_MAX, .fn = on_event, .arg = &r };
	ret = req_setup(k, &r, url, (long)(timeout_s + 60) * 1000);
	if (!ret)
		ret = req_run(k, &r, "watch pods on");
	if (!ret && atomic_load(&k->events) == events0 && cw_mono_s() - t0 < 1.0) {
		/* an empty watch that ended at once: once is a restart (a server's), twice
		 * in a row a server that closes at once: watching again at once would spin */
		snprintf(r.why, sizeof(r.why), "watch %s: ended at once, without an event",
			 k->c.url);
		ret = -EPIPE;
	}
	if (atomic_load(&k->events) != events0)
		k->gone_in_row = 0; /* it worked for a while */
	snprintf(why, whylen, "%s", r.why);
	req_free(&r);
	return ret;
}

/* --- waiting, wants --- */

static double rand01(struct cw_kube *k)
{
	k->rnd = k->rnd * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(k->rnd >> 11) / (double)(1ULL << 53);
}

static bool not_found_recently(struct cw_kube *k, const char *uid, double now)
{
	for (size_t i = 0; i < k->nnot_found; i++)
		if (k->not_found[i].until > now && !strcmp(k->not_found[i].uid, uid))
			return true;
	return false;
}

static bool known(struct cw_kube *k, const char *uid)
{
	const struct cw_pod *p = cw_pods_get(k->pods, uid);

	if (p)
		cw_pod_put(p);
	return p != NULL;
}

/* The wants since the last look into pending: those neither known nor lately not found.
 * True when there is one to look for. */
static bool take_wants(struct cw_kube *k)
{
	char uids[WANT_MAX][40];
	size_t n = 0;
	double now = cw_mono_s();

	if (atomic_exchange(&k->wanted, false)) {
		pthread_mutex_lock(&k->want_lock);
		n = k->nwant;
		memcpy(uids, k->want_uids, n * sizeof(uids[0]));
		k->nwant = 0;
		pthread_mutex_unlock(&k->want_lock);
		k->pending_lost |= atomic_exchange(&k->want_lost, false);
	}
	for (size_t i = 0; i < n; i++) {
		if (known(k, uids[i]) || not_found_recently(k, uids[i], now))
			continue;
		if (k->npending < WANT_MAX)
			memcpy(k->pending[k->npending++], uids[i], sizeof(uids[i]));
		else
			k->pending_lost = true;
	}
	return k->npending || k->pending_lost;
}

/* After a good fetch: the pending UIDs it did not bring are not asked for again a while. */
static void settle_wants(struct cw_kube *k)
{
	double now = cw_mono_s();

	for (size_t i = 0; i < k->npending; i++) {
		struct uid_time *slot = &k->not_found[0];

		if (known(k, k->pending[i]))
			continue;
		for (size_t j = 0; j < NOT_FOUND_MAX; j++) {
			if (j == k->nnot_found) {
				k->nnot_found++;
				slot = &k->not_found[j];
				break;
			}
			if (k->not_found[j].until <= now) {
				slot = &k->not_found[j];
				break;
			}
			if (k->not_found[j].until < slot->until)
				slot = &k->not_found[j];
		}
		memcpy(slot->uid, k->pending[i], sizeof(slot->uid));
		slot->until = now + CW_KUBE_NOT_FOUND_MS / 1e3;
	}
	k->npending = 0;
	k->pending_lost = false;
}

/* Sleep until `until` (monotonic s), a stop, or (stop_on_want) a want worth acting on. */
static void wait_until(struct cw_kube *k, double until, bool stop_on_want)
{
	double now;

	while (!atomic_load(&k->stop) && (now = cw_mono_s()) < until) {
		if (stop_on_want && atomic_load(&k->wanted) && take_wants(k))
			return;
		curl_multi_poll(k->multi, NULL, 0, (int)((until - now) * 1000) + 1, NULL);
	}
}

/* --- the two sources --- */

/* The n-th of a kind in a row of things that would be retried at once (a 410 right after a
 * list, a watch that ends as soon as it starts): from the second on, a backoff first. */
static void pace(struct cw_kube *k, unsigned *in_row)
{
	if (++*in_row > 1)
		wait_until(k, cw_mono_s() + cw_kube_backoff_ms(*in_row - 1, rand01(k)) / 1e3,
			   false);
}

static void apiserver_round(struct cw_kube *k)
{
	char why[1024] = "";
	int ret;

	if (k->need_list) {
		ret = list_pods(k, why, sizeof(why));
		if (ret == -ECANCELED)
			return;
		if (ret) {
			set_down(k, why);
			/* a wanted pod cuts the wait short: one list, at most once a second */
			wait_until(k, cw_mono_s() + CW_KUBE_FETCH_GAP_MS / 1e3, false);
			wait_until(k,
				   cw_mono_s() + cw_kube_backoff_ms(++k->attempt, rand01(k)) / 1e3,
				   true);
			k->npending = 0;
			k->pending_lost = false;
			return;
		}
		k->need_list = false;
		set_up(k);
	}
	ret = watch(k, why, sizeof(why));
	if (ret == -ECANCELED)
		return;
	atomic_fetch_add(&k->watch_restarts, 1);
	if (ret == 410) {
		atomic_fetch_add(&k->relists_gone, 1);
		cw_debug("kubernetes metadata: %s: listing again", why);
		k->need_list = true;
		/* a fresh list's version refused again: not a reason to list in a loop */
		pace(k, &k->gone_in_row);
		return;
	}
	k->gone_in_row = 0;
	if (ret == -EPIPE) { /* the server answers: not down, but no reason to spin */
		cw_debug("kubernetes metadata: %s", why);
		pace(k, &k->quick_in_row);
		return;
	}
	k->quick_in_row = 0;
	if (!ret)
		return;
	set_down(k, why);
	wait_until(k, cw_mono_s() + cw_kube_backoff_ms(++k->attempt, rand01(k)) / 1e3, true);
	if (k->npending || k->pending_lost) { /* wanted while the watch is down: one list */
		k->need_list = true;
		k->npending = 0;
		k->pending_lost = false;
	}
}

static void kubelet_round(struct cw_kube *k, bool *need)
{
	char why[1024] = "";
	int ret;

	if (!*need) {
		/* nothing to do until a want: an hour is "until woken" */
		wait_until(k, cw_mono_s() + 3600, true);
		*need = k->npending || k->pending_lost;
		return;
	}
	wait_until(k, k->next_fetch_s, false);
	if (atomic_load(&k->stop))
		return;
	ret = fetch_kubelet(k, why, sizeof(why));
	if (ret == -ECANCELED)
		return;
	k->next_fetch_s = cw_mono_s() + CW_KUBE_FETCH_GAP_MS / 1e3;
	if (ret) {
		set_down(k, why);
		k->next_fetch_s = cw_mono_s() + cw_kube_backoff_ms(++k->attempt, rand01(k)) / 1e3;
		return; /* still needed: tried again after the backoff */
	}
	set_up(k);
	settle_wants(k);
	*need = false;
}

static void *client_main(void *arg)
{
	struct cw_kube *k = arg;
	bool need = true; /* kubelet: the first fetch */

	k->need_list = true;
	while (!atomic_load(&k->stop)) {
		if (k->c.source == CW_KUBE_APISERVER)
			apiserver_round(k);
		else
			kubelet_round(k, &need);
	}
	return NULL;
}

/* --- lifecycle --- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_ret;

static void curl_init(void)
{
	curl_init_ret = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int cw_kube_start(const struct cw_kube_config *c, struct cw_pods *pods, struct cw_kube **out)
{
	struct cw_kube *k;
	int ret;

	*out = NULL;
	pthread_once(&curl_once, curl_init);
	if (curl_init_ret != CURLE_OK)
		return -ENOMEM;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->c = *c;
	k->pods = pods;
	pthread_mutex_init(&k->want_lock, NULL);
	if (getrandom(&k->rnd, sizeof(k->rnd), GRND_NONBLOCK) != sizeof(k->rnd))
		k->rnd = (uint64_t)getpid() * 2654435761u ^ (uint64_t)(cw_mono_s() * 1e9);
	k->multi = curl_multi_init();
	if (!k->multi) {
		free(k);
		return -ENOMEM;
	}
	ret = -pthread_create(&k->thread, NULL, client_main, k);
	if (ret) {
		curl_multi_cleanup(k->multi);
		free(k);
		return ret;
	}
	k->started = true;
	*out = k;
	return 0;
}

void cw_kube_stop(struct cw_kube *k)
{
	if (!k)
		return;
	atomic_store(&k->stop, true);
	curl_multi_wakeup(k->multi);
	if (k->started)
		pthread_join(k->thread, NULL);
	curl_multi_cleanup(k->multi);
	drop_token(k);
	pthread_mutex_destroy(&k->want_lock);
	free(k);
}

void cw_kube_want(void *arg, const char *pod_uid)
{
	struct cw_kube *k = arg;
	bool noted = false;

	if (!k || !pod_uid || !*pod_uid)
		return;
	atomic_fetch_add(&k->wanted_n, 1);
	if (!pthread_mutex_trylock(&k->want_lock)) {
		size_t i;

		for (i = 0; i < k->nwant && strcmp(k->want_uids[i], pod_uid); i++)
			;
		if (i < k->nwant) {
			noted = true;
		} else if (k->nwant < WANT_MAX) {
			snprintf(k->want_uids[k->nwant++], sizeof(k->want_uids[0]), "%s", pod_uid);
			noted = true;
		}
		pthread_mutex_unlock(&k->want_lock);
	}
	if (!noted)
		atomic_store(&k->want_lost, true);
	atomic_store(&k->wanted, true);
	curl_multi_wakeup(k->multi);
}

void cw_kube_stats(struct cw_kube *k, struct cw_kube_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (!k)
		return;
	s->lists = atomic_load(&k->lists);
	s->list_requests = atomic_load(&k->list_requests);
	s->watches = atomic_load(&k->watches);
	s->watch_restarts = atomic_load(&k->watch_restarts);
	s->relists_gone = atomic_load(&k->relists_gone);
	s->events = atomic_load(&k->events);
	s->errors = atomic_load(&k->errors);
	s->wanted = atomic_load(&k->wanted_n);
	s->pods = cw_pods_count(k->pods);
	s->pod_bytes = cw_pods_bytes(k->pods);
	s->up = atomic_load(&k->up);
}
