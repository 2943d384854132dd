// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The HTTPS sinks against tests/e2e/receivers.py on loopback: HEC, _bulk and webhook requests
 * as the receiver parses them, its injected failures (500, 429 + Retry-After, a failed _bulk
 * item, a reply past the timeout), TLS with a throwaway CA (wrong CA, client certificate), and
 * the credential kept out of every message. Skipped, saying so, without python3 or openssl.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "output/sink.h"
#include "util/clock.h"
#include "test.h"
#include "testutil.h"

#define RECEIVER "tests/e2e/receivers.py"

struct rx {
	pid_t pid;
	FILE *in, *out;
	int port;
};

static const char *python(void)
{
	static const char *const cands[] = { "/usr/bin/python3", "/usr/local/bin/python3" };

	for (size_t i = 0; i < 2; i++)
		if (!access(cands[i], X_OK))
			return cands[i];
	return NULL;
}

static bool can_run(void)
{
	if (python() && !access(RECEIVER, R_OK))
		return true;
	fprintf(stderr, "    skipped: no python3 or no %s here\n", RECEIVER);
	return false;
}

/* Start the receiver with extra arguments (NULL-terminated): 0 or -1. */
static int rx_start(struct rx *r, const char *const *args)
{
	int in[2], out[2];
	const char *argv[16] = { python(), RECEIVER };
	size_t n = 2;
	char line[64];

	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -1;
	r->pid = fork();
	if (r->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	r->in = fdopen(in[1], "w");
	r->out = fdopen(out[0], "r");
	if (!fgets(line, sizeof(line), r->out) || sscanf(line, "listening %d", &r->port) != 1)
		return -1;
	return 0;
}

static void rx_stop(struct rx *r)
{
	fclose(r->in);
	fclose(r->out);
	waitpid(r->pid, NULL, 0);
}

/* One command; its reply line (static). */
static const char *rx_cmd(struct rx *r, const char *cmd)
{
	static char line[1 << 16];

	fprintf(r->in, "%s\n", cmd);
	fflush(r->in);
	if (!fgets(line, sizeof(line), r->out))
		return "";
	return line;
}

/* A number from the receiver's summary ("requests", "unique", ...), or -1. */
static long long rx_count(struct rx *r, const char *what)
{
	json_t *o = json_loads(rx_cmd(r, "{\"landed\":true}"), 0, NULL);
	long long v = json_is_integer(json_object_get(o, what))
			      ? json_integer_value(json_object_get(o, what))
			      : -1;

	json_decref(o);
	return v;
}

/* How many times event id landed. */
static long long rx_landed(struct rx *r, const char *id)
{
	json_t *o = json_loads(rx_cmd(r, "{\"landed\":true}"), 0, NULL);
	json_t *v = json_object_get(json_object_get(o, "landed"), id);
	long long n = json_is_integer(v) ? json_integer_value(v) : 0;

	json_decref(o);
	return n;
}

/* n findings with fresh event ids, as the outputs hand them over. */
struct batch {
	char data[8][160];
	char ids[8][40];
	struct cw_sink_rec recs[8];
};

static void make_batch(struct batch *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		snprintf(b->ids[i], sizeof(b->ids[i]), "%016llx-%zu", (unsigned long long)tu_rand(),
			 i);
		snprintf(b->data[i], sizeof(b->data[i]),
			 "{\"@timestamp\":\"2026-01-02T03:04:05.678Z\",\"event\":{\"id\":\"%s\","
			 "\"kind\":\"alert\"}}",
			 b->ids[i]);
		b->recs[i] = (struct cw_sink_rec){ .data = b->data[i],
						   .len = strlen(b->data[i]),
						   .event_id = b->ids[i],
						   .seq = i + 1,
						   .alert = true };
	}
}

struct env {
	char dir[256];
	char token[41];
	char token_file[300];
};

static int env_init(struct env *e)
{
	static const char hex[] = "0123456789abcdef";

	if (tu_mkdtemp(e->dir, sizeof(e->dir)))
		return -1;
	for (size_t i = 0; i < 40; i++)
		e->token[i] = hex[tu_below(16)];
	e->token[40] = '\0';
	snprintf(e->token_file, sizeof(e->token_file), "%s/token", e->dir);
	return tu_write_file(e->token_file, e->token, 40, 0600);
}

static void spec_for(struct cw_output_spec *s, enum cw_sink_kind kind, const char *url,
		     const struct env *e)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	snprintf(s->target, sizeof(s->target), "%s", url);
	snprintf(s->token_file, sizeof(s->token_file), "%s", e->token_file);
	s->gzip = true;
	s->timeout_ms = 2000;
	s->batch_max = 500;
}

/* HEC: gzipped batches land once each, on one kept-alive connection; a 500 and a 429 with
 * Retry-After say so, and nothing is acknowledged that did not land. */
TEST(sink_http_live_hec)
{
	struct cw_output_spec spec;
	struct cw_sink_result r;
	struct env e;
	struct batch b;
	struct rx rx;
	char url[128], arg[300];
	void *st = NULL;

	if (!can_run())
		return;
	tu_seed(1601);
	REQUIRE(env_init(&e) == 0);
	snprintf(arg, sizeof(arg), "%s", e.token_file);
	REQUIRE(rx_start(&rx, (const char *const[]){ "--token-file", arg, NULL }) == 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/services/collector", rx.port);
	spec_for(&spec, CW_SINK_HEC, url, &e);
	REQUIRE(cw_sink_http_ops.open(&spec, &st, arg, sizeof(arg)) == 0);

	make_batch(&b, 3);
	cw_sink_http_ops.send(st, b.recs, 3, &r);
	CHECK_EQ_INT(r.acked, 3);
	CHECK_EQ_STR(r.error, "");
	CHECK_EQ_INT(rx_landed(&rx, b.ids[2]), 1);
	CHECK_EQ_INT(rx_count(&rx, "gzipped"), 1);

	CHECK_EQ_STR(rx_cmd(&rx, "{\"inject\":{\"status\":500}}"), "ok\n");
	make_batch(&b, 2);
	cw_sink_http_ops.send(st, b.recs, 2, &r);
	CHECK_EQ_INT(r.acked, 0);
	CHECK_EQ_INT(r.retry_after_ms, 0);
	CHECK_EQ_STR(r.error, "HEC code 8: Internal server error (HTTP 500)");
	CHECK_EQ_INT(rx_landed(&rx, b.ids[0]), 0);

	CHECK_EQ_STR(rx_cmd(&rx, "{\"inject\":{\"status\":429,\"retry_after\":\"3\"}}"), "ok\n");
	cw_sink_http_ops.send(st, b.recs, 2, &r);
	CHECK_EQ_INT(r.acked, 0);
	CHECK_EQ_INT(r.retry_after_ms, 3000);

	cw_sink_http_ops.send(st, b.recs, 2, &r);
	CHECK_EQ_INT(r.acked, 2);
	CHECK_EQ_INT(rx_landed(&rx, b.ids[1]), 1);
	CHECK_EQ_INT(rx_count(&rx, "unique"), 5);
	CHECK_EQ_INT(rx_count(&rx, "requests"), 4);
	CHECK_EQ_INT(rx_count(&rx, "connections"), 1);
	CHECK_EQ_INT(rx_count(&rx, "unauthorized"), 0);
	cw_sink_http_ops.close(st);

	/* A wrong token: refused, and the message does not quote it. */
	REQUIRE(tu_write_file(e.token_file, "0123456789abcdef-wrong", 22, 0600) == 0);
	REQUIRE(cw_sink_http_ops.open(&spec, &st, arg, sizeof(arg)) == 0);
	cw_sink_http_ops.send(st, b.recs, 2, &r);
	CHECK_EQ_INT(r.acked, 0);
	CHECK_EQ_STR(r.error, "HEC code 4: Invalid token (HTTP 403)");
	/* reopen (SIGHUP) rereads the file: the right token works again. */
	REQUIRE(tu_write_file(e.token_file, e.token, 40, 0600) == 0);
	cw_sink_http_ops.reopen(st);
	cw_sink_http_ops.send(st, b.recs, 2, &r);
	CHECK_EQ_INT(r.acked, 2);
	cw_sink_http_ops.close(st);
	rx_stop(&rx);
	tu_rmtree(e.dir);
}

/* _bulk: one item refused with 429 acknowledges the items before it; sent again, the ones
 * after it that were stored answer 409 and count, so each document is stored once. */
TEST(sink_http_live_bulk_item_by_item)
{
	struct cw_output_spec spec;
	struct cw_sink_result r;
	struct env e;
	struct batch b;
	struct rx rx;
	char url[128], arg[300];
	void *st = NULL;

	if (!can_run())
		return;
	tu_seed(1602);
	REQUIRE(env_init(&e) == 0);
	/* user:password -> HTTP Basic */
	snprintf(arg, sizeof(arg), "elastic:%s", e.token);
	REQUIRE(tu_write_file(e.token_file, arg, strlen(arg), 0600) == 0);
	snprintf(arg, sizeof(arg), "%s", e.token_file);
	REQUIRE(rx_start(&rx, (const char *const[]){ "--token-file", arg, NULL }) == 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/_bulk", rx.port);
	spec_for(&spec, CW_SINK_BULK, url, &e);
	snprintf(spec.index, sizeof(spec.index), "credwatch-alerts");
	REQUIRE(cw_sink_http_ops.open(&spec, &st, arg, sizeof(arg)) == 0);

	make_batch(&b, 5);
	CHECK_EQ_STR(rx_cmd(&rx, "{\"inject\":{\"bulk_item\":2,\"status\":429,\"type\":"
				 "\"es_rejected_execution_exception\"}}"),
		     "ok\n");
	cw_sink_http_ops.send(st, b.recs, 5, &r);
	CHECK_EQ_INT(r.acked, 2);
	CHECK_CONTAINS(r.error, "status 429 es_rejected_execution_exception");
	CHECK_EQ_INT(rx_landed(&rx, b.ids[3]), 1); /* stored, but after the failed one */
	CHECK_EQ_INT(rx_landed(&rx, b.ids[2]), 0);

	cw_sink_http_ops.send(st, b.recs + r.acked, 5 - r.acked, &r);
	CHECK_EQ_INT(r.acked, 3);
	CHECK_EQ_STR(r.error, "");
	for (size_t i = 0; i < 5; i++)
		CHECK_EQ_INT(rx_landed(&rx, b.ids[i]), 1);
	CHECK_EQ_INT(rx_count(&rx, "conflicts"), 2);
	CHECK_EQ_INT(rx_count(&rx, "unauthorized"), 0);
	CHECK_EQ_INT(rx_count(&rx, "bad"), -1); /* a list, not a number: see below */
	CHECK_CONTAINS(rx_cmd(&rx, "{\"landed\":true}"), "\"bad\": []");
	cw_sink_http_ops.close(st);
	rx_stop(&rx);
	tu_rmtree(e.dir);
}

/* A reply later than timeout-ms ends the request at the timeout: nothing acknowledged. */
TEST(sink_http_live_webhook_timeout)
{
	struct cw_output_spec spec;
	struct cw_sink_result r;
	struct env e;
	struct batch b;
	struct rx rx;
	char url[128], arg[300];
	void *st = NULL;
	double t;

	if (!can_run())
		return;
	tu_seed(1603);
	REQUIRE(env_init(&e) == 0);
	snprintf(arg, sizeof(arg), "%s", e.token_file);
	REQUIRE(rx_start(&rx, (const char *const[]){ "--token-file", arg, NULL }) == 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hooks/credwatch", rx.port);
	spec_for(&spec, CW_SINK_WEBHOOK, url, &e);
	spec.timeout_ms = 300;
	spec.gzip = false;
	REQUIRE(cw_sink_http_ops.open(&spec, &st, arg, sizeof(arg)) == 0);

	make_batch(&b, 4);
	CHECK_EQ_STR(rx_cmd(&rx, "{\"inject\":{\"slow\":1.5}}"), "ok\n");
	t = cw_mono_s();
	cw_sink_http_ops.send(st, b.recs, 4, &r);
	t = cw_mono_s() - t;
	CHECK_EQ_INT(r.acked, 0);
	CHECK_EQ_STR(r.error, "no reply within 300 ms");
	CHECK(t >= 0.25 && t < 1.0);
	cw_sink_http_ops.send(st, b.recs, 4, &r);
	CHECK_EQ_INT(r.acked, 4);
	CHECK_EQ_INT(rx_count(&rx, "gzipped"), 0);
	cw_sink_http_ops.close(st);
	rx_stop(&rx);
	tu_rmtree(e.dir);
}

/* TLS: verified against the CA file; another CA is a clear error; a receiver that wants a
 * client certificate gets one when cert/key are given. */
TEST(sink_http_live_tls)
{
	struct cw_output_spec spec;
	struct cw_sink_result r;
	struct env e;
	struct batch b;
	struct rx rx;
	char url[128], arg[300], cert[300], key[300], ca[300], cmd[400];
	void *st = NULL;

	if (!can_run())
		return;
	tu_seed(1604);
	REQUIRE(env_init(&e) == 0);
	snprintf(cmd, sizeof(cmd), "%s %s --pki %s 2>/dev/null", python(), RECEIVER, e.dir);
	if (system(cmd)) {
		fprintf(stderr, "    skipped: no openssl to make a test CA\n");
		tu_rmtree(e.dir);
		return;
	}
	snprintf(cert, sizeof(cert), "%s/server.pem", e.dir);
	snprintf(key, sizeof(key), "%s/server.key", e.dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", e.dir);
	snprintf(arg, sizeof(arg), "%s", e.token_file);
	REQUIRE(rx_start(&rx, (const char *const[]){ "--token-file", arg, "--cert", cert, "--key",
						     key, "--client-ca", ca, NULL }) == 0);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/services/collector/event", rx.port);
	spec_for(&spec, CW_SINK_HEC, url, &e);
	make_batch(&b, 2);

	/* The right CA and a client certificate. */
	snprintf(spec.ca_file, sizeof(spec.ca_file), "%s", ca);
	snprintf(spec.cert_file, sizeof(spec.cert_file), "%s/client.pem", e.dir);
	snprintf(spec.key_file, sizeof(spec.key_file), "%s/client.key", e.dir);
	REQUIRE(cw_sink_http_ops.open(&spec, &st, arg, sizeof(arg)) == 0);
	cw_sink_http_ops.send(st, b.recs, 2, &r);
	CHECK_EQ_INT(r.acked, 2);
	CHECK_EQ_STR(r.error, "");
	cw_sink_http_ops.close(st);

	/* No client certificate: the receiver ends the handshake (curl says so in words that
	 * depend on the race between its read and the close). */
	spec.cert_file[0] = spec.key_file[0] = '\0';
	REQUIRE(cw_sink_http_ops.open(&spec, &st, arg, sizeof(arg)) == 0);
	cw_sink_http_ops.send(st, b.recs, 2, &r);
	CHECK_EQ_INT(r.acked, 0);
	CHECK(r.error[0]);
	CHECK_CONTAINS(rx_cmd(&rx, "{\"landed\":true}"), "PEER_DID_NOT_RETURN_A_CERTIFICATE");
	cw_sink_http_ops.close(st);

	/* A CA that did not sign the server's certificate. */
	snprintf(spec.ca_file, sizeof(spec.ca_file), "%s/other-ca.pem", e.dir);
	REQUIRE(cw_sink_http_ops.open(&spec, &st, arg, sizeof(arg)) == 0);
	cw_sink_http_ops.send(st, b.recs, 2, &r);
	CHECK_EQ_INT(r.acked, 0);
	CHECK_CONTAINS(r.error, "TLS: the server's certificate does not verify against");
	CHECK_CONTAINS(r.error, "other-ca.pem");
	CHECK(!strstr(r.error, e.token));
	cw_sink_http_ops.close(st);
	CHECK_EQ_INT(rx_landed(&rx, b.ids[0]), 1);
	rx_stop(&rx);
	tu_rmtree(e.dir);
}
