// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * bench/trace_write's program: the trace file layer's writing speed on realistic raw events.
 *
 * It generates ring-buffer records shaped like the kernel's (include/credwatch.h headers, then
 * their bytes): execs with a path, argv and a container's environment; HTTP/1 requests and
 * JSON bodies sent over TCP; TLS plaintext (HTTP/1 and JSON, HTTP/2 frames, gzip'd bodies that
 * do not compress); file bytes (YAML, .env, kubeconfigs with base64 certificates, code); exits
 * and connects. All in memory first, then timed through the writer (cw_trace_write) into a
 * file, so the figure is the file layer alone: buffering, compression, sealing, CRCs, write().
 *
 * usage: trace-write [--mib N] [--dir DIR] [--recipient PUBKEY] [--seed S] [--codecs]
 * Prints one line: encoder, mode, raw MB, wall and CPU seconds, MB/s of raw events by each,
 * and KB on disk per MB of raw events (a record counts its 16-byte header as raw).
 * --codecs: instead, every candidate compressor on the same 256 KiB chunks (one core), MB/s
 * of raw bytes and bytes out per MB in, and that each output inflates back with zlib.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "credwatch.h"
#include "util/tracefile.h"

/* --codecs compares libdeflate too when built with -DHAVE_LIBDEFLATE -ldeflate (libdeflate-dev). */
#ifdef HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif
#ifndef CW_TRACE_ENCODER_ZLIB
#include <isa-l/igzip_lib.h>
#define HAVE_ISAL 1
#endif

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

/* A growing buffer of records: u16 type, u32 len, u64 ts, then bytes (host order, ours). */
struct arena {
	uint8_t *p;
	size_t len, cap;
	size_t records;
};

static void *arena_take(struct arena *a, size_t n)
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

static void add(struct arena *a, struct rng *r, const void *hdr, size_t hlen, const void *data,
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

static void gen_exec(struct arena *a, struct rng *r)
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
static void add_data(struct arena *a, struct rng *r, uint16_t source, const struct text *t)
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

static void gen_tcp(struct arena *a, struct rng *r)
{
	static struct text t;

	t.n = 0;
	http_request(&t, r);
	add_data(a, r, 1, &t);
}

static void gen_tls(struct arena *a, struct rng *r)
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

static void gen_file(struct arena *a, struct rng *r)
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

static void gen_small(struct arena *a, struct rng *r)
{
	struct cw_exit_event x = { 0 };

	x.hdr.type = 2;
	x.hdr.cpu = below(r, 2);
	x.hdr.ktime_ns = now_ts;
	add(a, r, &x, sizeof(x), NULL, 0);
}

/* Bytes generated per kind: exec, tcp, tls, file, exit (printed with --codecs). */
static size_t kind_bytes[5];
static const char *const KIND_NAMES[5] = { "exec", "tcp", "tls", "file", "exit" };

/* Records until the arena holds mib MiB of them. */
static void generate(struct arena *a, uint64_t seed, size_t mib)
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
		kind_bytes[kind] += a->len - before;
	}
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static uint64_t raw_bytes(const struct arena *a)
{
	uint64_t n = 0;

	for (size_t off = 0; off < a->len;) {
		uint32_t len;

		memcpy(&len, a->p + off + 2, 4);
		n += 16 + len; /* a trace record: its 16-byte header and its bytes */
		off += 14 + len;
	}
	return n;
}

/* Written through the writer into path: wall and CPU seconds (this thread's: one core). */
static int write_trace(const struct arena *a, const char *path, const struct cw_trace_key *key,
		       double *secs, double *cpu)
{
	struct cw_trace_header h = { .host = "bench", .version = "bench", .start_ns = 1 };
	struct cw_trace_writer *w;
	char err[256];
	double t0 = now_s(), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	int ret = cw_trace_writer_open(path, &h, key, &w, err, sizeof(err));

	if (ret) {
		fprintf(stderr, "trace-write: %s\n", err);
		return ret;
	}
	for (size_t off = 0; off < a->len && !ret;) {
		uint16_t type;
		uint32_t len;
		uint64_t ts;

		memcpy(&type, a->p + off, 2);
		memcpy(&len, a->p + off + 2, 4);
		memcpy(&ts, a->p + off + 6, 8);
		ret = cw_trace_write(w, type, ts, a->p + off + 14, len);
		off += 14 + len;
	}
	if (ret)
		fprintf(stderr, "trace-write: write: %s\n", strerror(-ret));
	if (cw_trace_writer_close(w, err, sizeof(err)) && !ret) {
		fprintf(stderr, "trace-write: %s\n", err);
		ret = -EIO;
	}
	*secs = now_s() - t0;
	*cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	return ret;
}

/* The candidates, each on the same chunks: raw MB/s and bytes out per MB in. */
typedef size_t (*codec_fn)(void *st, const uint8_t *in, size_t n, uint8_t *out, size_t cap);

static size_t zlib_level(const uint8_t *in, size_t n, uint8_t *out, size_t cap, int level,
			 int strategy)
{
	z_stream z = { 0 };
	size_t got;

	if (deflateInit2(&z, level, Z_DEFLATED, 15, 8, strategy) != Z_OK)
		return 0;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	got = deflate(&z, Z_FINISH) == Z_STREAM_END ? z.total_out : 0;
	deflateEnd(&z);
	return got;
}

static size_t c_zlib1(void *st, const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	(void)st;
	return zlib_level(in, n, out, cap, 1, Z_DEFAULT_STRATEGY);
}

static size_t c_zlib_rle(void *st, const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	(void)st;
	return zlib_level(in, n, out, cap, 1, Z_RLE);
}

static size_t c_zlib_huff(void *st, const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	(void)st;
	return zlib_level(in, n, out, cap, 1, Z_HUFFMAN_ONLY);
}

#ifdef HAVE_LIBDEFLATE
static size_t c_libdeflate(void *st, const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	return libdeflate_zlib_compress(st, in, n, out, cap);
}
#endif

#ifdef HAVE_ISAL
static size_t c_isal(void *st, const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	struct isal_zstream *z = st;

	isal_deflate_reset(z);
	z->gzip_flag = IGZIP_ZLIB;
	z->end_of_stream = 1;
	z->flush = NO_FLUSH;
	z->next_in = (uint8_t *)in;
	z->avail_in = (uint32_t)n;
	z->next_out = out;
	z->avail_out = (uint32_t)cap;
	if (isal_deflate(z) != COMP_OK || z->internal_state.state != ZSTATE_END)
		return 0;
	return z->total_out;
}
#endif

static void run_codec(const char *name, codec_fn fn, void *st, const struct arena *a)
{
	const size_t chunk = CW_TRACE_CHUNK_RAW;
	size_t cap = chunk + chunk / 8 + 1024, total_out = 0;
	uint8_t *out = malloc(cap), *back = malloc(chunk);
	double t0 = now_s(), secs;
	size_t chunks = 0;
	int bad = 0;

	for (size_t off = 0; off + chunk <= a->len; off += chunk, chunks++) {
		size_t n = fn(st, a->p + off, chunk, out, cap);
		uLongf blen = chunk;

		if (!n)
			bad++;
		total_out += n;
		/* outside the timed part would be fairer; it is the same cost for every codec */
		if (chunks % 64 == 0 && (uncompress(back, &blen, out, n) != Z_OK || blen != chunk ||
					 memcmp(back, a->p + off, chunk)))
			bad++;
	}
	secs = now_s() - t0;
	printf("codec %-22s mb_s %7.1f disk_per_mb %6.0f KB %s\n", name,
	       (double)(chunks * chunk) / 1e6 / secs,
	       (double)total_out / (double)(chunks * chunk) * 1e3,
	       bad ? "BAD (failed or not a zlib stream)" : "zlib-inflates: yes");
	free(out);
	free(back);
}

static void codecs(const struct arena *a)
{
	run_codec("zlib-1", c_zlib1, NULL, a);
	run_codec("zlib-1-rle", c_zlib_rle, NULL, a);
	run_codec("zlib-huffman-only", c_zlib_huff, NULL, a);
#ifdef HAVE_LIBDEFLATE
	for (int level = 1; level <= 4; level++) {
		struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
		char name[32];

		snprintf(name, sizeof(name), "libdeflate-%d", level);
		run_codec(name, c_libdeflate, c, a);
		libdeflate_free_compressor(c);
	}
#endif
#ifdef HAVE_ISAL
	for (int level = 0; level <= 1; level++) {
		struct isal_zstream z;
		size_t lvl_size = level ? ISAL_DEF_LVL1_DEFAULT : ISAL_DEF_LVL0_DEFAULT;

		isal_deflate_init(&z);
		z.level = (uint32_t)level;
		z.level_buf = malloc(lvl_size);
		z.level_buf_size = (uint32_t)lvl_size;
		char name[32];

		snprintf(name, sizeof(name), "isa-l-igzip-%d", level);
		run_codec(name, c_isal, &z, a);
		free(z.level_buf);
	}
#endif
}

int main(int argc, char **argv)
{
	const char *dir = "/tmp", *recipient = NULL;
	struct cw_trace_key *key = NULL;
	struct arena a = { 0 };
	size_t mib = 256;
	uint64_t seed = 7;
	bool only_codecs = false;
	char path[4096], err[256];
	double secs, cpu;
	struct stat st;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mib") && i + 1 < argc)
			mib = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--recipient") && i + 1 < argc)
			recipient = argv[++i];
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--codecs"))
			only_codecs = true;
		else {
			fprintf(stderr,
				"usage: trace-write [--mib N] [--dir DIR] [--recipient PUBKEY] "
				"[--seed S] [--codecs]\n");
			return 2;
		}
	}
	if (!mib) {
		fprintf(stderr, "trace-write: --mib must be > 0\n");
		return 2;
	}
	generate(&a, seed, mib);
	if (only_codecs) {
		for (int i = 0; i < 5; i++)
			printf("mix %-4s %4.1f%% of the bytes\n", KIND_NAMES[i],
			       100.0 * (double)kind_bytes[i] / (double)a.len);
		codecs(&a);
		return 0;
	}
	if (recipient && cw_trace_key_load(recipient, &key, err, sizeof(err))) {
		fprintf(stderr, "trace-write: %s\n", err);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/trace-write-%d.cwtrace", dir, (int)getpid());
	ret = write_trace(&a, path, key, &secs, &cpu);
	if (!ret && stat(path, &st))
		ret = -errno;
	unlink(path);
	cw_trace_key_free(key);
	if (ret)
		return 1;
	printf("encoder %s mode %s records %zu raw_mb %.1f seconds %.3f cpu_seconds %.3f mb_s %.1f "
	       "cpu_mb_s %.1f disk_kb_per_mb %.1f\n",
	       cw_trace_encoder(), recipient ? "encrypted" : "plaintext", a.records,
	       (double)raw_bytes(&a) / 1e6, secs, cpu, (double)raw_bytes(&a) / 1e6 / secs,
	       (double)raw_bytes(&a) / 1e6 / cpu,
	       (double)st.st_size / ((double)raw_bytes(&a) / 1e6) / 1e3);
	free(a.p);
	return 0;
}
