// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * bench/trace_write's program: the trace file layer's writing speed on realistic raw events.
 *
 * Realistic raw events (bench/trace_write_events.c: execs with argv and environment, HTTP
 * requests, TLS plaintext, file bytes) are generated in memory first, then timed through the
 * writer (cw_trace_write) into a file, so the figure is the file layer alone: buffering,
 * compression, sealing, CRCs, write().
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
#include "trace_write_events.h"

/* --codecs compares libdeflate too when built with -DHAVE_LIBDEFLATE -ldeflate (libdeflate-dev). */
#ifdef HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif
#ifndef CW_TRACE_ENCODER_ZLIB
#include <isa-l/igzip_lib.h>
#define HAVE_ISAL 1
#endif

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

static uint64_t raw_bytes(const struct tw_arena *a)
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
static int write_trace(const struct tw_arena *a, const char *path, const struct cw_trace_key *key,
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

static void run_codec(const char *name, codec_fn fn, void *st, const struct tw_arena *a)
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

static void codecs(const struct tw_arena *a)
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
	struct tw_arena a = { 0 };
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
	tw_generate(&a, seed, mib);
	if (only_codecs) {
		for (int i = 0; i < 5; i++)
			printf("mix %-4s %4.1f%% of the bytes\n", TW_KIND_NAMES[i],
			       100.0 * (double)tw_kind_bytes[i] / (double)a.len);
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
