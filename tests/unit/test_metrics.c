// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The operational surface: Prometheus text, the metrics endpoint, the status file. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "agent/metrics.h"
#include "agent/metrics_http.h"
#include "agent/status.h"
#include "util/prom_text.h"
#include "test.h"
#include "testutil.h"

TEST(prom_escapes_label_values_and_help)
{
	struct cw_prom p;
	struct cw_prom_label l[2] = { { "output", "a\"b\\c\nd" }, { "rule", "bad\xff" } };

	cw_prom_init(&p);
	cw_prom_family(&p, "credwatch_x_total", "counter", "one \\ two\nthree \"q\"");
	cw_prom_u64(&p, "credwatch_x_total", l, 2, 18446744073709551615ULL);
	cw_prom_double(&p, "credwatch_y_seconds", NULL, 0, 1796421142.4);
	REQUIRE(!p.oom);
	CHECK_EQ_STR(p.buf, "# HELP credwatch_x_total one \\\\ two\\nthree \"q\"\n"
			    "# TYPE credwatch_x_total counter\n"
			    "credwatch_x_total{output=\"a\\\"b\\\\c\\nd\",rule=\"bad?\"} "
			    "18446744073709551615\n"
			    "credwatch_y_seconds 1796421142.4\n");
	cw_prom_free(&p);
}

static void sample_snapshot(struct cw_ops_snapshot *s, struct cw_alert_counts *c)
{
	memset(s, 0, sizeof(*s));
	s->version = "1.2.3";
	s->pid = 42;
	s->running = true;
	s->start_unix_ms = 1000000;
	s->now_unix_ms = 1061500;
	s->events[CW_EV_EXEC] = 7;
	s->dropped[CW_EV_DATA] = 3;
	s->alerts = 2;
	s->observations = 1;
	cw_alert_counts_add(c, "credential-in-argv", "github-pat-classic", true);
	cw_alert_counts_add(c, "credential-in-argv", "github-pat-classic", true);
	cw_alert_counts_add(c, "credential-observed", "aws-access-key", false);
	s->by_rule = c;
	s->noutputs = 2;
	snprintf(s->outputs[0].spec, sizeof(s->outputs[0].spec), "stdout");
	s->outputs[0].kind = CW_SINK_STDOUT;
	s->outputs[0].healthy = true;
	s->outputs[0].written = 3;
	snprintf(s->outputs[1].spec, sizeof(s->outputs[1].spec), "syslog+tcp://127.0.0.1:6514");
	s->outputs[1].kind = CW_SINK_SYSLOG_TCP;
	s->outputs[1].format = CW_FORMAT_OCSF;
	s->outputs[1].queued = 5;
	s->outputs[1].oldest_queued_ms = 2500;
	s->outputs[1].spool_bytes = 4096;
	s->outputs[1].dropped_events = 9;
	snprintf(s->outputs[1].last_error, sizeof(s->outputs[1].last_error),
		 "connect: Connection refused");
	s->prov_creds = 11;
	s->rss_bytes = 1 << 20;
}

TEST(alert_counts_by_action_and_rule)
{
	struct cw_alert_counts c = { 0 };

	cw_alert_counts_add(&c, "credential-egress", "r1", true);
	cw_alert_counts_add(&c, "credential-egress", "r2", true);
	cw_alert_counts_add(&c, "credential-egress", "r1", true);
	cw_alert_counts_add(&c, NULL, "", true);
	REQUIRE(c.n == 3);
	CHECK_EQ_INT(c.v[0].n, 2);
	CHECK_EQ_INT(c.v[1].n, 1);
	CHECK_EQ_STR(c.v[2].action, "unknown");
	CHECK_EQ_STR(c.v[2].rule, "unknown");
	cw_alert_counts_free(&c);
}

TEST(metrics_render_every_family)
{
	struct cw_ops_snapshot *s = calloc(1, sizeof(*s));
	struct cw_alert_counts c = { 0 };
	struct cw_prom p;

	REQUIRE(s);
	cw_prom_init(&p);
	sample_snapshot(s, &c);
	cw_metrics_render(s, &p);
	REQUIRE(!p.oom);
	CHECK_CONTAINS(p.buf, "credwatch_build_info{version=\"1.2.3\"} 1\n");
	CHECK_CONTAINS(p.buf, "credwatch_agent_uptime_seconds 61.5\n");
	CHECK_CONTAINS(p.buf, "credwatch_events_received_total{kind=\"exec\"} 7\n");
	CHECK_CONTAINS(p.buf, "credwatch_events_dropped_total{kind=\"data\"} 3\n");
	CHECK_CONTAINS(p.buf, "credwatch_alerts_total{action=\"credential-in-argv\","
			      "rule=\"github-pat-classic\"} 2\n");
	CHECK_CONTAINS(p.buf, "credwatch_observations_total{action=\"credential-observed\","
			      "rule=\"aws-access-key\"} 1\n");
	CHECK_CONTAINS(p.buf, "credwatch_output_up{output=\"stdout\",sink=\"stdout\","
			      "format=\"ecs\"} 1\n");
	CHECK_CONTAINS(p.buf, "credwatch_output_up{output=\"syslog+tcp://127.0.0.1:6514\","
			      "sink=\"syslog+tcp\",format=\"ocsf\"} 0\n");
	CHECK_CONTAINS(p.buf, "credwatch_output_queued_findings{output=\"syslog+tcp://"
			      "127.0.0.1:6514\"} 5\n");
	CHECK_CONTAINS(p.buf, "credwatch_output_oldest_queued_seconds{output=\"syslog+tcp://"
			      "127.0.0.1:6514\"} 2.5\n");
	CHECK_CONTAINS(p.buf, "credwatch_output_dropped_total{output=\"syslog+tcp://"
			      "127.0.0.1:6514\",kind=\"event\"} 9\n");
	CHECK_CONTAINS(p.buf, "credwatch_provenance_credentials 11\n");
	CHECK_CONTAINS(p.buf, "credwatch_agent_resident_memory_bytes 1048576\n");
	/* every family has its HELP and TYPE right before its samples */
	for (char *line = p.buf; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		CHECK(!strncmp(line, "# ", 2) || !strncmp(line, "credwatch_", 10));
	}
	cw_prom_free(&p);
	cw_alert_counts_free(&c);
	free(s);
}

TEST(status_file_is_json_written_atomically_0644)
{
	struct cw_ops_snapshot *s = calloc(1, sizeof(*s));
	struct cw_alert_counts c = { 0 };
	struct cw_json j;
	char dir[256], path[512];
	json_error_t jerr;
	json_t *st, *o;
	struct stat sb;

	REQUIRE(s && !tu_mkdtemp(dir, sizeof(dir)));
	sample_snapshot(s, &c);
	cw_json_init(&j);
	snprintf(path, sizeof(path), "%s/run/credwatch/status.json", dir);
	REQUIRE(cw_status_write(path, s, &j) == 0);
	REQUIRE(stat(path, &sb) == 0);
	CHECK_EQ_INT(sb.st_mode & 0777, 0644);
	st = json_load_file(path, 0, &jerr);
	REQUIRE(st);
	CHECK(json_is_true(json_object_get(st, "running")));
	CHECK_EQ_INT(json_integer_value(json_object_get(st, "updated_unix_ms")), 1061500);
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(st, "events"), "dropped")),
		     3);
	o = json_array_get(json_object_get(st, "outputs"), 1);
	CHECK(json_is_false(json_object_get(o, "healthy")));
	CHECK_EQ_INT(json_integer_value(json_object_get(o, "queued")), 5);
	CHECK_EQ_INT(json_integer_value(json_object_get(o, "oldest_queued_ms")), 2500);
	CHECK_EQ_STR(json_string_value(json_object_get(o, "last_error")),
		     "connect: Connection refused");
	json_decref(st);
	snprintf(path, sizeof(path), "%s/run/credwatch/status.json.tmp", dir);
	CHECK(access(path, F_OK) != 0); /* renamed, not left behind */
	cw_json_free(&j);
	cw_alert_counts_free(&c);
	tu_rmtree(dir);
	free(s);
}

/* GET path from 127.0.0.1:port; the whole response into buf. */
static ssize_t http_get(unsigned port, const char *path, char *buf, size_t cap)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char req[256];
	size_t len = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	if (write(fd, req, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
	return (ssize_t)len;
}

TEST(metrics_server_serves_the_latest_text)
{
	struct cw_metrics_server *s = NULL, *s2 = NULL;
	char err[256], buf[4096], addr[64];

	REQUIRE(cw_metrics_server_start("127.0.0.1:0", &s, err, sizeof(err)) == 0);
	REQUIRE(http_get(cw_metrics_server_port(s), "/metrics", buf, sizeof(buf)) > 0);
	CHECK_CONTAINS(buf, "HTTP/1.1 503");
	cw_metrics_server_publish(s, "credwatch_a 1\n", 14);
	cw_metrics_server_publish(s, "credwatch_b 2\n", 14);
	REQUIRE(http_get(cw_metrics_server_port(s), "/metrics?x=1", buf, sizeof(buf)) > 0);
	CHECK_CONTAINS(buf, "HTTP/1.1 200 OK\r\n");
	CHECK_CONTAINS(buf, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n");
	CHECK_CONTAINS(buf, "Content-Length: 14\r\n");
	CHECK_CONTAINS(buf, "\r\n\r\ncredwatch_b 2\n");
	REQUIRE(http_get(cw_metrics_server_port(s), "/other", buf, sizeof(buf)) > 0);
	CHECK_CONTAINS(buf, "HTTP/1.1 404");
	/* the port taken: one clear line */
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", cw_metrics_server_port(s));
	CHECK(cw_metrics_server_start(addr, &s2, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "cannot listen: Address already in use");
	cw_metrics_server_stop(s);
}

TEST(metrics_server_refuses_malformed_addresses)
{
	static const char *const bad[] = { "9464",	"127.0.0.1", "127.0.0.1:", "1.2.3.4:99999",
					   "[::1:9464", "::1:9464",  "h:p" };
	struct cw_metrics_server *s = NULL;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(cw_metrics_server_start(bad[i], &s, err, sizeof(err)) == -EINVAL);
		CHECK_CONTAINS(err, "--metrics");
	}
	REQUIRE(cw_metrics_server_start("[::1]:0", &s, err, sizeof(err)) == 0 ||
		strstr(err, "cannot listen")); /* no IPv6 here is not a failure of ours */
	cw_metrics_server_stop(s);
}
