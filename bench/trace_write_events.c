// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Realistic raw events for the trace benchmarks (trace_write_events.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credwatch.h"
#include "trace_write_events.h"

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

static unsigned below(struct rng *r, unsigned n)
{
	return (unsigned)(rnd(r) % n);
}

static void *arena_take(struct tw_arena *a, size_t n)
{
	void *p;

	if (a->len + n > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 1 << 24;

		while (cap < a->len + n)
			cap *= 2;
		a->p = realloc(a->p, cap);
		if (!a->p) {
			perror("realloc");
			exit(2);
		}
		a->cap = cap;
	}
	p = a->p + a->len;
	a->len += n;
	return p;
}

/* Text building: a small appender over a fixed scratch buffer. */
struct text {
	char b[80 * 1024];
	size_t n;
};

static void put(struct text *t, const char *s, size_t n)
{
	if (t->n + n > sizeof(t->b))
		n = sizeof(t->b) - t->n;
	memcpy(t->b + t->n, s, n);
	t->n += n;
}

static void puts_(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

static void putf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->b + t->n, sizeof(t->b) - t->n, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->n += (size_t)n < sizeof(t->b) - t->n ? (size_t)n : sizeof(t->b) - t->n - 1;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char HEX[] = "0123456789abcdef";

static void put_rand(struct text *t, struct rng *r, const char *alpha, size_t alen, size_t n)
{
	for (size_t i = 0; i < n && t->n < sizeof(t->b); i++)
		t->b[t->n++] = alpha[below(r, (unsigned)alen)];
}

static const char *const WORDS[] = {
	"server",   "returned", "error",   "request", "user",	  "account", "config",	"value",
	"timeout",  "retry",	"cluster", "node",    "deploy",	  "build",   "release", "version",
	"update",   "package",	"module",  "return",  "import",	  "client",  "session", "cache",
	"metrics",  "latency",	"queue",   "worker",  "thread",	  "memory",  "network", "order",
	"customer", "invoice",	"item",	   "price",   "currency", "status",  "created", "name",
};
#define NWORDS (sizeof(WORDS) / sizeof(WORDS[0]))

static const char *word(struct rng *r)
{
	return WORDS[below(r, NWORDS)];
}

static const char *const EXES[] = { "/usr/bin/git",	 "/usr/bin/curl",	"/bin/sh",
				    "/usr/bin/python3",	 "/usr/local/bin/node", "/usr/bin/kubectl",
				    "/bin/ls",		 "/usr/bin/grep",	"/usr/bin/ssh",
				    "/usr/local/bin/app" };
#define NEXES (sizeof(EXES) / sizeof(EXES[0]))
static const char *const HOSTS[] = { "api.github.com",	   "orders.internal.svc.cluster.local",
				     "sts.amazonaws.com",  "hooks.slack.com",
				     "registry.npmjs.org", "payments.example.net" };
#define NHOSTS (sizeof(HOSTS) / sizeof(HOSTS[0]))

static uint64_t now_ts = 1000000000ull;

static void add(struct tw_arena *a, struct rng *r, const void *hdr, size_t hlen, const void *data,
		size_t dlen)
{
	uint8_t *p = arena_take(a, 14 + hlen + dlen);
	uint16_t type = 1; /* CW_TAP_RAW */
	uint32_t len = (uint32_t)(hlen + dlen);

	now_ts += 1000 + below(r, 50000);
	memcpy(p, &type, 2);
	memcpy(p + 2, &len, 4);
	memcpy(p + 6, &now_ts, 8);
	memcpy(p + 14, hdr, hlen);
	memcpy(p + 14 + hlen, data, dlen);
	a->records++;
}

/* A container's environment: mostly the same per workload, a few per-process values. */
static void gen_env(struct text *t, struct rng *r, unsigned workload)
{
	struct rng w = { 0x9e3779b97f4a7c15ull * (workload + 1) };

	putf(t, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin%c", 0);
	putf(t, "HOSTNAME=%s-%x-%x%c", word(&w), (unsigned)rnd(&w) & 0xffffff,
	     (unsigned)rnd(&w) & 0xfffff, 0);
	putf(t, "HOME=/root%cLANG=C.UTF-8%cTERM=xterm%c", 0, 0, 0);
	putf(t, "KUBERNETES_SERVICE_HOST=10.96.0.1%cKUBERNETES_SERVICE_PORT=443%c", 0, 0);
	putf(t, "KUBERNETES_PORT=tcp://10.96.0.1:443%c", 0);
	for (unsigned i = 0; i < 12 + workload % 10; i++) {
		putf(t, "%s_%s_SERVICE_HOST=10.%u.%u.%u%c", word(&w), word(&w), below(&w, 255),
		     below(&w, 255), below(&w, 255), 0);
		putf(t, "%s_%s_SERVICE_PORT=%u%c", word(&w), word(&w), 1024 + below(&w, 60000), 0);
	}
	puts_(t, "DATABASE_URL=postgres://app:");
	put_rand(t, &w, B64, 62, 24);
	putf(t, "@db:5432/app%cAPI_TOKEN=", 0);
	put_rand(t, &w, B64, 62, 40);
	putf(t, "%cREQUEST_ID=", 0);
	put_rand(t, r, HEX, 16, 32);
	putf(t, "%c", 0);
}

static void gen_exec(struct tw_arena *a, struct rng *r)
{
	static struct text t;
	struct cw_exec_event e = { 0 };
	unsigned workload = below(r, 20), exe = below(r, NEXES);
	size_t argv_at;

	t.n = 0;
	puts_(&t, EXES[exe]);
	e.path_len = (uint32_t)t.n;
	argv_at = t.n;
	putf(&t, "%s%c", strrchr(EXES[exe], '/') + 1, 0);
	switch (below(r, 4)) {
	case 0:
		putf(&t, "-sS%c-H%cAccept: application/json%chttps://%s/v1/%s/%u%c", 0, 0, 0,
		     HOSTS[below(r, NHOSTS)], word(r), below(r, 100000), 0);
		break;
	case 1:
		putf(&t, "-c%cexec %s --%s=%s --%s %u%c", 0, word(r), word(r), word(r), word(r),
		     below(r, 1000), 0);
		break;
	case 2: putf(&t, "fetch%corigin%c--prune%c", 0, 0, 0); break;
	default:
		putf(&t, "/srv/%s/%s.py%c--%s%c%u%c", word(r), word(r), 0, word(r), 0,
		     below(r, 65536), 0);
	}
	e.argv_len = (uint32_t)(t.n - argv_at);
	gen_env(&t, r, workload);
	e.env_len = (uint32_t)(t.n - argv_at - e.argv_len);
	e.hdr.type = 1;
	e.hdr.cpu = below(r, 2);
	e.hdr.ktime_ns = now_ts;
	e.pid = 1000 + below(r, 60000);
	e.tid = e.pid;
	e.ppid = e.pid - 1 - below(r, 5);
	e.uid = workload < 5 ? 0 : 1000 + workload;
	e.cgroup_id = 4000 + workload;
	e.argv_full_len = e.argv_len;
	e.env_full_len = e.env_len;
	e.env_ppid = e.ppid;
	e.top_pid = 1000 + workload;
	e.start_ns = now_ts - below(r, 1000);
	memcpy(e.comm, strrchr(EXES[exe], '/') + 1, strlen(strrchr(EXES[exe], '/') + 1) % 15);
	add(a, r, &e, sizeof(e), t.b, t.n);
}

static void json_body(struct text *t, struct rng *r, unsigned items)
{
	puts_(t, "{\"items\":[");
	for (unsigned i = 0; i < items; i++)
		putf(t,
		     "%s{\"id\":%u,\"%s\":\"%s-%s\",\"%s\":%u.%02u,\"created\":\"2026-12-0%uT%02u:%"
		     "02u:%02uZ\"}",
		     i ? "," : "", below(r, 1000000), word(r), word(r), word(r), word(r),
		     below(r, 10000), below(r, 100), 1 + below(r, 5), below(r, 24), below(r, 60),
		     below(r, 60));
	puts_(t, "]}");
}

static void http_request(struct text *t, struct rng *r)
{
	static struct text body;

	body.n = 0;
	json_body(&body, r, 1 + below(r, 20));
	putf(t,
	     "POST /api/v1/%s/%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: app/%u.%u\r\n"
	     "Accept: */*\r\nContent-Type: application/json\r\nAuthorization: Bearer ",
	     word(r), word(r), HOSTS[below(r, NHOSTS)], below(r, 9), below(r, 30));
	put_rand(t, r, B64, 62, 40);
	putf(t, "\r\nX-Request-Id: ");
	put_rand(t, r, HEX, 16, 32);
	putf(t, "\r\nContent-Length: %zu\r\n\r\n", body.n);
	put(t, body.b, body.n);
}

/* One write, cut in CW_CHUNK_MAX data events as the kernel sends it. */
static void add_data(struct tw_arena *a, struct rng *r, uint16_t source, const struct text *t)
{
	struct cw_data_event d = { 0 };
	uint64_t conn = rnd(r);

	for (size_t off = 0; off < t->n; off += CW_CHUNK_MAX) {
		d.hdr.type = 4;
		d.hdr.cpu = below(r, 2);
		d.pid = 1000 + below(r, 60000);
		d.tid = d.pid;
		d.fd = 3 + below(r, 20);
		d.cgroup_id = 4000 + below(r, 20);
		d.conn_id = conn;
		d.len = (uint32_t)(t->n - off < CW_CHUNK_MAX ? t->n - off : CW_CHUNK_MAX);
		d.offset = (uint32_t)off;
		d.total = t->n;
		d.source = source;
		add(a, r, &d, sizeof(d), t->b + off, d.len);
	}
}

static void gen_tcp(struct tw_arena *a, struct rng *r)
{
	static struct text t;

	t.n = 0;
	http_request(&t, r);
	add_data(a, r, 1, &t);
}

static void gen_tls(struct tw_arena *a, struct rng *r)
{
	static struct text t;
	unsigned k = below(r, 20);

	t.n = 0;
	if (k < 8) {
		http_request(&t, r);
	} else if (k < 15) {
		json_body(&t, r, 5 + below(r, 60));
	} else if (k < 19) {
		/* HTTP/2: HPACK'd headers and DATA frames, denser than text */
		for (unsigned i = 0; i < 8 + below(r, 24); i++) {
			uint8_t fh[9] = { 0, 0, 40, (uint8_t)(i % 2),	 4,
					  0, 0, 0,  (uint8_t)(1 + 2 * i) };

			put(&t, (const char *)fh, sizeof(fh));
			for (int j = 0; j < 40; j++) {
				char c = (char)(j % 5 ? 0x80u | below(r, 62) : (unsigned)rnd(r));

				put(&t, &c, 1);
			}
		}
	} else {
		/* a gzip'd upload: what compression cannot shrink */
		size_t n = 2048 + below(r, 8192);

		for (size_t i = 0; i < n && t.n < sizeof(t.b); i++)
			t.b[t.n++] = (char)rnd(r);
	}
	add_data(a, r, 2, &t);
}

static void gen_file(struct tw_arena *a, struct rng *r)
{
	static struct text t;
	unsigned k = below(r, 4);

	t.n = 0;
	if (k == 0) {
		puts_(&t,
		      "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: ");
		put_rand(&t, r, B64, 64, 1400 + below(r, 400));
		putf(&t,
		     "\n    server: https://10.0.%u.%u:6443\n  name: %s\nusers:\n- name: %s\n"
		     "  user:\n    token: ",
		     below(r, 255), below(r, 255), word(r), word(r));
		put_rand(&t, r, B64, 62, 900);
		puts_(&t, "\n");
	} else if (k == 1) {
		for (unsigned i = 0; i < 10 + below(r, 30); i++) {
			putf(&t, "%s_%s=", word(r), word(r));
			if (below(r, 3))
				putf(&t, "%s\n", word(r));
			else {
				put_rand(&t, r, B64, 62, 32);
				puts_(&t, "\n");
			}
		}
	} else {
		for (unsigned i = 0; i < 40 + below(r, 200); i++)
			putf(&t, "%*s%s = %s(%s, %u)  # %s %s %s\n", (int)(4 * below(r, 4)), "",
			     word(r), word(r), word(r), below(r, 1000), word(r), word(r), word(r));
	}
	add_data(a, r, 3, &t);
}

static void gen_small(struct tw_arena *a, struct rng *r)
{
	struct cw_exit_event x = { 0 };

	x.hdr.type = 2;
	x.hdr.cpu = below(r, 2);
	x.hdr.ktime_ns = now_ts;
	add(a, r, &x, sizeof(x), NULL, 0);
}

/* Bytes generated per kind: exec, tcp, tls, file, exit (printed with --codecs). */
size_t tw_kind_bytes[5];
const char *const TW_KIND_NAMES[5] = { "exec", "tcp", "tls", "file", "exit" };

/* Records until the arena holds mib MiB of them. */
void tw_generate(struct tw_arena *a, uint64_t seed, size_t mib)
{
	struct rng r = { seed ? seed : 1 };

	while (a->len < mib << 20) {
		unsigned k = below(&r, 100);

		size_t before = a->len;
		int kind = k < 25 ? 0 : k < 40 ? 1 : k < 70 ? 2 : k < 85 ? 3 : 4;

		if (kind == 0)
			gen_exec(a, &r);
		else if (kind == 1)
			gen_tcp(a, &r);
		else if (kind == 2)
			gen_tls(a, &r);
		else if (kind == 3)
			gen_file(a, &r);
		else
			gen_small(a, &r);
		tw_kind_bytes[kind] += a->len - before;
	}
}
