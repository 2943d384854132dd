// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * bench/sink_throughput's driver: push N generated findings (ECS-shaped, ~1 KiB, each with its
 * own event.id) through one sink in batches, as an output's delivery thread does, and print
 * findings/s by the wall clock and per second of this process's CPU (one core).
 *   sink-push hec|bulk|webhook URL N BATCH GZIP(on|off) [TOKEN_FILE]
 *   sink-push file PATH N BATCH      (write(2) per batch, fdatasync at the end: the file output)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "output/sink.h"
#include "util/clock.h"
#include "util/fileio.h"

struct corpus {
	char *data;
	char (*ids)[40];
	struct cw_sink_rec *recs;
};

static void make_corpus(struct corpus *c, size_t n)
{
	static const char fmt[] =
		"{\"@timestamp\":\"2026-12-04T10:%02zu:%02zu.%03zuZ\",\"event\":{\"id\":\"%s\","
		"\"kind\":\"alert\",\"category\":[\"process\"],\"type\":[\"info\"],\"action\":"
		"\"credential-in-argv\",\"severity\":73,\"module\":\"credwatch\",\"dataset\":"
		"\"credwatch.alert\"},\"ecs\":{\"version\":\"8.11.0\"},\"rule\":{\"id\":"
		"\"github-pat-classic\",\"name\":\"GitHub personal access token (classic)\"},"
		"\"process\":{\"pid\":%zu,\"executable\":\"/usr/bin/curl\",\"name\":\"curl\","
		"\"args_count\":4,\"parent\":{\"pid\":%zu,\"executable\":\"/usr/bin/bash\"}},"
		"\"user\":{\"id\":\"1000\"},\"host\":{\"name\":\"node-7\"},\"credwatch\":{"
		"\"credential\":{\"redacted\":\"ghp_****%04zx\",\"fingerprint\":\"%016zx%016zx\","
		"\"kind\":\"github-token\",\"provider\":\"github\",\"lifetime\":\"long-lived\","
		"\"checksum\":\"valid\",\"origin\":\"argv\"},\"cgroup_id\":%zu},\"threat\":{"
		"\"framework\":\"OWASP Non-Human Identity Top "
		"10\",\"technique\":{\"id\":\"NHI-02\","
		"\"name\":\"Secret Leakage\"}},\"message\":\"credential passed on a command line, "
		"where every user of the host can read it\"}";
	size_t cap = 1100, off = 0;

	c->data = malloc(n * cap);
	c->ids = malloc(n * sizeof(*c->ids));
	c->recs = malloc(n * sizeof(*c->recs));
	if (!c->data || !c->ids || !c->recs)
		exit(2);
	for (size_t i = 0; i < n; i++) {
		int len;

		snprintf(c->ids[i], sizeof(c->ids[i]), "%08zx-bench-%016zx", i, i * 2654435761u);
		len = snprintf(c->data + off, cap, fmt, i / 60000 % 60, i / 1000 % 60, i % 1000,
			       c->ids[i], 1000 + i % 30000, 999 + i % 30000, i & 0xffff,
			       (size_t)(i * 11400714819323198485ull), i, 4000 + i % 7);
		c->recs[i] = (struct cw_sink_rec){ .data = c->data + off,
						   .len = (size_t)len,
						   .event_id = c->ids[i],
						   .seq = i + 1,
						   .alert = true };
		off += (size_t)len + 1;
	}
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Deliver recs[0..n) in batches, sending again what is not acknowledged. */
static int push_sink(enum cw_sink_kind kind, const char *url, struct corpus *c, size_t n,
		     size_t batch, bool gzip, const char *token_file, size_t *sends)
{
	struct cw_output_spec spec = { 0 };
	struct cw_sink_result r;
	char err[256];
	void *st;
	size_t i = 0, stuck = 0;

	spec.kind = kind;
	snprintf(spec.target, sizeof(spec.target), "%s", url);
	snprintf(spec.token_file, sizeof(spec.token_file), "%s", token_file);
	spec.gzip = gzip;
	spec.timeout_ms = 10000;
	spec.batch_max = (unsigned)batch;
	if (cw_sink_http_ops.open(&spec, &st, err, sizeof(err))) {
		fprintf(stderr, "sink-push: %s\n", err);
		return -1;
	}
	while (i < n) {
		size_t k = n - i < batch ? n - i : batch;

		cw_sink_http_ops.send(st, c->recs + i, k, &r);
		(*sends)++;
		i += r.acked;
		if (!r.acked && ++stuck > 5) {
			fprintf(stderr, "sink-push: %s\n", r.error);
			cw_sink_http_ops.close(st);
			return -1;
		}
		if (r.acked)
			stuck = 0;
	}
	cw_sink_http_ops.close(st);
	return 0;
}

static int push_file(const char *path, struct corpus *c, size_t n, size_t batch, size_t *sends)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	char *buf = malloc(batch * 1100);

	if (fd < 0 || !buf)
		return -1;
	for (size_t i = 0; i < n; i += batch) {
		size_t len = 0;

		for (size_t j = i; j < n && j < i + batch; j++) {
			memcpy(buf + len, c->recs[j].data, c->recs[j].len);
			len += c->recs[j].len;
			buf[len++] = '\n';
		}
		if (cw_write_all(fd, buf, len))
			return -1;
		(*sends)++;
	}
	fdatasync(fd);
	close(fd);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	enum cw_sink_kind kind;
	struct corpus c;
	size_t n, batch, sends = 0;
	double t, cpu;
	int ret;

	if (argc < 5) {
		fprintf(stderr, "usage: sink-push hec|bulk|webhook|file URL|PATH N BATCH "
				"[on|off [TOKEN_FILE]]\n");
		return 2;
	}
	n = strtoul(argv[3], NULL, 10);
	batch = strtoul(argv[4], NULL, 10);
	if (!n || !batch)
		return 2;
	make_corpus(&c, n);
	kind = !strcmp(argv[1], "hec")	  ? CW_SINK_HEC
	       : !strcmp(argv[1], "bulk") ? CW_SINK_BULK
	       : !strcmp(argv[1], "file") ? CW_SINK_FILE
					  : CW_SINK_WEBHOOK;
	t = cw_mono_s();
	cpu = cpu_s();
	if (kind == CW_SINK_FILE)
		ret = push_file(argv[2], &c, n, batch, &sends);
	else
		ret = push_sink(kind, argv[2], &c, n, batch, argc > 5 && !strcmp(argv[5], "on"),
				argc > 6 ? argv[6] : "", &sends);
	t = cw_mono_s() - t;
	cpu = cpu_s() - cpu;
	if (ret)
		return 1;
	printf("%-7s gzip=%-3s batch=%-5zu %zu findings in %.2f s (%zu requests): %.0f/s; "
	       "sender CPU %.2f s: %.0f/s per core\n",
	       argv[1],
	       kind == CW_SINK_FILE ? "-"
	       : argc > 5	    ? argv[5]
				    : "off",
	       batch, n, t, sends, n / t, cpu, cpu > 0 ? n / cpu : 0.0);
	return 0;
}
