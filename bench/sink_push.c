// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * bench/sink_throughput's driver: push N generated findings (ECS-shaped, ~1 KiB, each with its
 * own event.id) through one sink in batches, as an output's delivery thread does, and print
 * findings/s by the wall clock and per second of this process's CPU (one core).
 *   sink-push hec|bulk|webhook URL N BATCH GZIP(on|off) [TOKEN_FILE]
 *   sink-push file PATH N BATCH      (write(2) per batch, fdatasync at the end: the file output)
 *   sink-push puts DIR N PASS ROUNDS [with-stdout]
 *       the outputs' own cost on the matching thread: cw_outputs_put for each finding and
 *       cw_outputs_tick after every PASS of them (as the agent's ring-buffer loop does), with
 *       (A) stdout only and (B) file, syslog+tcp and HEC (both to a closed port: their
 *       delivery threads back off and take no CPU), in alternating rounds; prints per round
 *       "puts MODE NS" (this thread's CPU per finding). with-stdout: stdout in B, too. stdout
 *       goes to /dev/null meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "output/outputs.h"
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

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One round of puts through a fresh set of outputs: this thread's CPU per finding (ns). */
static double puts_round(const char *dir, bool b, bool with_stdout, int round, struct corpus *c,
			 size_t n, size_t pass)
{
	char specs[4][512], spool[512], err[1024];
	struct cw_output_spec sp[4];
	struct cw_outputs *os;
	size_t first = b && !with_stdout ? 1 : 0, ns = b ? 4 - first : 1;
	double t;

	snprintf(specs[0], sizeof(specs[0]), "stdout");
	snprintf(specs[1], sizeof(specs[1]), "file:%s/findings-%d.json", dir, round);
	snprintf(specs[2], sizeof(specs[2]), "syslog+tcp://127.0.0.1:1");
	snprintf(specs[3], sizeof(specs[3]),
		 "https://127.0.0.1:1/services/collector,token-file=%s/token", dir);
	snprintf(spool, sizeof(spool), "%s/spool-%d", dir, round);
	for (size_t i = 0; i < ns; i++)
		if (cw_output_spec_parse(specs[first + i], &sp[i], err, sizeof(err)))
			goto fail;
	if (cw_outputs_open(sp, ns, &(struct cw_outputs_opts){ .spool_dir = spool }, &os, err,
			    sizeof(err)))
		goto fail;
	t = thread_cpu_s();
	for (size_t i = 0; i < n; i++) {
		cw_outputs_put(os, c->recs[i].data, c->recs[i].len, c->recs[i].event_id, true);
		if ((i + 1) % pass == 0 || i + 1 == n)
			cw_outputs_tick(os);
	}
	t = thread_cpu_s() - t;
	cw_outputs_close(os, 0);
	return t * 1e9 / (double)n;
fail:
	fprintf(stderr, "sink-push puts: %s\n", err);
	exit(1);
}

static int puts_main(const char *dir, size_t n, size_t pass, int rounds, bool with_stdout)
{
	char path[512];
	struct corpus c;
	int out = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY), fd;
	FILE *res;

	snprintf(path, sizeof(path), "%s/token", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (out < 0 || null < 0 || fd < 0 || write(fd, "0123456789abcdef", 16) != 16)
		return 1;
	close(fd);
	res = fdopen(out, "w");
	if (!res || dup2(null, STDOUT_FILENO) < 0)
		return 1;
	make_corpus(&c, n);
	for (int r = 1; r <= rounds; r++) {
		for (int k = 0; k < 2; k++) {
			bool b = (k == 1) == (r % 2 == 1); /* AB, then BA */

			fprintf(res, "puts %c %.0f\n", b ? 'B' : 'A',
				puts_round(dir, b, with_stdout, r * 2 + k, &c, n, pass));
			fflush(res);
		}
	}
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
	if (!strcmp(argv[1], "puts"))
		return puts_main(argv[2], n, batch, argc > 5 ? atoi(argv[5]) : 4,
				 argc > 6 && !strcmp(argv[6], "with-stdout"));
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
