// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "output/outputs.h"

static char tmpl[64];

static const char *tmpdir(void)
{
	strcpy(tmpl, "/tmp/cw-outputs.XXXXXX");
	return mkdtemp(tmpl);
}

static void rmtree(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
}

static int listener(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4) ||
	    getsockname(fd, (struct sockaddr *)&a, &al))
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

/* Up to n bytes within timeout_ms (what arrived). */
static size_t read_some(int fd, char *buf, size_t n, int timeout_ms)
{
	size_t got = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (got < n && poll(&p, 1, timeout_ms) == 1) {
		ssize_t r = read(fd, buf + got, n - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/* One RFC 6587 octet-counted frame at *p: its message, NUL-terminated in place. */
static char *next_frame(char **p, char *end)
{
	char *sp = memchr(*p, ' ', (size_t)(end - *p)), *msg;
	long len;

	if (!sp)
		return NULL;
	len = strtol(*p, NULL, 10);
	msg = sp + 1;
	if (len <= 0 || msg + len > end)
		return NULL;
	*p = msg + len;
	memmove(sp, msg, (size_t)len);
	sp[len] = '\0';
	return sp;
}

static struct cw_outputs *open_outputs(const char *spec, const char *spool, char *err)
{
	struct cw_outputs_opts oo = { .spool_dir = spool, .sync_ms = 50 };
	struct cw_output_spec s;
	struct cw_outputs *os = NULL;

	if (cw_output_spec_parse(spec, &s, err, 512) || cw_outputs_open(&s, 1, &oo, &os, err, 512))
		return NULL;
	return os;
}

static const char alert[] = "{\"event\":{\"id\":\"a1\",\"kind\":\"alert\"}}";
static const char obs[] = "{\"event\":{\"id\":\"e1\",\"kind\":\"event\"}}";

TEST(outputs_syslog_tcp_frames_rfc5424_with_octet_counting)
{
	const char *spool = tmpdir();
	char spec[128], err[512] = "", buf[8192], *p, *m;
	struct cw_output_stats st;
	struct cw_outputs *os;
	int port, lfd = listener(&port), cfd;
	size_t n;

	REQUIRE(lfd >= 0);
	snprintf(spec, sizeof(spec), "syslog+tcp://127.0.0.1:%d,facility=local0,app-name=cw", port);
	os = open_outputs(spec, spool, err);
	REQUIRE(os);
	CHECK_EQ_INT(cw_outputs_put(os, alert, strlen(alert), "a1", true), 0);
	CHECK_EQ_INT(cw_outputs_put(os, obs, strlen(obs), "e1", false), 0);
	cw_outputs_tick(os);
	cfd = accept(lfd, NULL, NULL);
	REQUIRE(cfd >= 0);
	n = read_some(cfd, buf, sizeof(buf) - 1, 2000);
	p = buf;
	m = next_frame(&p, buf + n);
	REQUIRE(m);
	CHECK(!strncmp(m, "<132>1 20", 9)); /* local0 (16) * 8 + warning (4) */
	CHECK_CONTAINS(m, " cw ");
	CHECK_CONTAINS(m, " alert - {\"event\":{\"id\":\"a1\"");
	CHECK(strlen(m) > strlen(alert) && !strcmp(m + strlen(m) - strlen(alert), alert));
	if (p >= buf + n) /* the second may come in its own batch */
		n += read_some(cfd, buf + n, sizeof(buf) - 1 - n, 2000);
	m = next_frame(&p, buf + n);
	REQUIRE(m);
	CHECK(!strncmp(m, "<134>1 ", 7)); /* informational (6) for an observation */
	CHECK_CONTAINS(m, " event - {\"event\":{\"id\":\"e1\"");
	/* Delivered once the peer's TCP acknowledged the bytes: the spool empties. */
	for (int i = 0; i < 100; i++) {
		cw_outputs_stats(os, &st, 1);
		if (st.delivered == 2)
			break;
		usleep(20000);
	}
	CHECK_EQ_INT(st.delivered, 2);
	CHECK_EQ_INT(st.queued, 0);
	CHECK(st.healthy);
	cw_outputs_close(os, 1000);
	close(cfd);
	close(lfd);
	rmtree(spool);
}

/* A peer that goes away: the last findings it acknowledged are sent again on the next
 * connection, before the new ones. */
TEST(outputs_syslog_tcp_sends_the_recent_ones_again_after_a_lost_connection)
{
	const char *spool = tmpdir();
	char spec[128], err[512] = "", buf[8192];
	struct cw_output_stats st;
	struct cw_outputs *os;
	int port, lfd = listener(&port), cfd;
	size_t n;

	REQUIRE(lfd >= 0);
	snprintf(spec, sizeof(spec), "syslog+tcp://127.0.0.1:%d", port);
	os = open_outputs(spec, spool, err);
	REQUIRE(os);
	cw_outputs_put(os, alert, strlen(alert), "a1", true);
	cw_outputs_tick(os);
	cfd = accept(lfd, NULL, NULL);
	REQUIRE(cfd >= 0);
	n = read_some(cfd, buf, sizeof(buf) - 1, 1000);
	CHECK(n > strlen(alert));
	close(cfd); /* as a killed daemon: it had the bytes, maybe not on disk */
	usleep(100000);
	cw_outputs_put(os, obs, strlen(obs), "e1", false);
	cw_outputs_tick(os);
	cfd = accept(lfd, NULL, NULL);
	REQUIRE(cfd >= 0);
	n = read_some(cfd, buf, sizeof(buf) - 1, 1000);
	buf[n] = '\0';
	REQUIRE(strstr(buf, "\"a1\""));
	REQUIRE(strstr(buf, "\"e1\""));
	CHECK(strstr(buf, "\"a1\"") < strstr(buf, "\"e1\""));
	for (int i = 0; i < 100; i++) {
		cw_outputs_stats(os, &st, 1);
		if (st.delivered == 2)
			break;
		usleep(20000);
	}
	CHECK_EQ_INT(st.delivered, 2);
	cw_outputs_close(os, 1000);
	close(cfd);
	close(lfd);
	rmtree(spool);
}

TEST(outputs_sink_down_keeps_findings_queued_and_unhealthy)
{
	const char *spool = tmpdir();
	char spec[128], err[512] = "";
	struct cw_output_stats st;
	struct cw_outputs *os;
	int port, lfd = listener(&port);

	REQUIRE(lfd >= 0);
	close(lfd); /* nobody listens there now */
	snprintf(spec, sizeof(spec), "syslog+tcp://127.0.0.1:%d", port);
	os = open_outputs(spec, spool, err);
	REQUIRE(os);
	for (int i = 0; i < 3; i++)
		cw_outputs_put(os, alert, strlen(alert), "a1", true);
	cw_outputs_tick(os);
	for (int i = 0; i < 100; i++) {
		cw_outputs_stats(os, &st, 1);
		if (!st.healthy)
			break;
		usleep(20000);
	}
	CHECK(!st.healthy);
	CHECK_EQ_INT(st.written, 3);
	CHECK_EQ_INT(st.queued, 3);
	CHECK_EQ_INT(st.delivered, 0);
	CHECK(st.failures >= 1);
	CHECK(st.spool_bytes > 0);
	CHECK(st.oldest_queued_ms >= 0);
	CHECK_CONTAINS(st.last_error, "cannot connect");
	cw_outputs_close(os, 0);
	/* They wait in the spool for the next start. */
	os = open_outputs(spec, spool, err);
	REQUIRE(os);
	cw_outputs_stats(os, &st, 1);
	CHECK_EQ_INT(st.queued, 3);
	cw_outputs_close(os, 0);
	rmtree(spool);
}

TEST(outputs_file_rotates_and_reopens)
{
	const char *dir = tmpdir();
	char spec[256], path[128], err[512] = "", moved[160];
	struct cw_output_spec s;
	struct cw_outputs *os;
	struct stat sb;

	snprintf(path, sizeof(path), "%s/f.json", dir);
	snprintf(spec, sizeof(spec), "file:%s,rotate-size=100,rotate-keep=1", path);
	os = open_outputs(spec, NULL, err);
	REQUIRE(os);
	for (int i = 0; i < 5; i++) /* 38 bytes each: two a file */
		CHECK_EQ_INT(cw_outputs_put(os, alert, strlen(alert), "a1", true), 0);
	cw_outputs_tick(os);
	CHECK_EQ_INT(stat(path, &sb), 0);
	CHECK_EQ_INT(sb.st_size, strlen(alert) + 1);
	CHECK_EQ_INT(sb.st_mode & 0777, 0600);
	snprintf(moved, sizeof(moved), "%s.1", path);
	CHECK_EQ_INT(stat(moved, &sb), 0);
	CHECK_EQ_INT(sb.st_size, 2 * (strlen(alert) + 1));
	snprintf(moved, sizeof(moved), "%s.2", path);
	CHECK(stat(moved, &sb) != 0);
	/* logrotate moves it; a reload with the same specs starts a new file */
	snprintf(moved, sizeof(moved), "%s.moved", path);
	REQUIRE(rename(path, moved) == 0);
	REQUIRE(cw_output_spec_parse(spec, &s, err, sizeof(err)) == 0);
	CHECK_EQ_INT(cw_outputs_reload(os, &s, 1, err, sizeof(err)), 0);
	CHECK_EQ_INT(cw_outputs_put(os, obs, strlen(obs), "e1", false), 0);
	cw_outputs_tick(os);
	CHECK_EQ_INT(stat(path, &sb), 0);
	CHECK_EQ_INT(sb.st_size, strlen(obs) + 1);
	cw_outputs_close(os, 0);
	rmtree(dir);
}

/* A file that refuses writes (a full disk): its lines are counted as dropped, the output is
 * down, and a put is not an error (matching goes on); stdout is not involved. */
TEST(outputs_file_that_cannot_be_written_counts_and_goes_on)
{
	struct cw_output_stats st;
	struct cw_outputs *os;
	char err[512] = "";

	os = open_outputs("file:/dev/full", NULL, err);
	REQUIRE(os);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(cw_outputs_put(os, alert, strlen(alert), "a1", true), 0);
	CHECK_EQ_INT(cw_outputs_put(os, obs, strlen(obs), "e1", false), 0);
	cw_outputs_tick(os);
	REQUIRE(cw_outputs_stats(os, &st, 1) == 1);
	CHECK(!st.healthy);
	CHECK_EQ_INT(st.written, 4);
	CHECK_EQ_INT(st.delivered, 0);
	CHECK_EQ_INT(st.dropped_alerts, 3);
	CHECK_EQ_INT(st.dropped_events, 1);
	CHECK_CONTAINS(st.last_error, "No space left on device");
	cw_outputs_close(os, 0);
}

/*
 * A file whose directory goes away: a rotation or a reopen that fails loses the pass's lines
 * (counted) and neither hangs nor rotates again and again; once the directory is back, the
 * next pass writes again.
 */
TEST(outputs_file_that_cannot_be_reopened_loses_lines_and_recovers)
{
	const char *dir = tmpdir();
	char sub[128], path[160], spec[256], err[512] = "";
	struct cw_output_stats st;
	struct cw_output_spec s;
	struct cw_outputs *os;
	struct stat sb;

	snprintf(sub, sizeof(sub), "%s/logs", dir);
	REQUIRE(mkdir(sub, 0700) == 0);
	snprintf(path, sizeof(path), "%s/f.json", sub);
	snprintf(spec, sizeof(spec), "file:%s,rotate-size=100,rotate-keep=3", path);
	os = open_outputs(spec, NULL, err);
	REQUIRE(os);
	for (int i = 0; i < 2; i++)
		cw_outputs_put(os, alert, strlen(alert), "a1", true);
	cw_outputs_tick(os);
	rmtree(sub); /* the next line needs a rotation, which cannot open the new file */
	for (int i = 0; i < 3; i++)
		cw_outputs_put(os, alert, strlen(alert), "a1", true);
	cw_outputs_tick(os);
	REQUIRE(cw_outputs_stats(os, &st, 1) == 1);
	CHECK(!st.healthy);
	CHECK_EQ_INT(st.delivered, 2);
	CHECK_EQ_INT(st.dropped_alerts, 3);
	/* a reload while it is gone: the reopen fails, the next pass tries once and loses */
	REQUIRE(cw_output_spec_parse(spec, &s, err, sizeof(err)) == 0);
	CHECK_EQ_INT(cw_outputs_reload(os, &s, 1, err, sizeof(err)), 0);
	cw_outputs_put(os, obs, strlen(obs), "e1", false);
	cw_outputs_tick(os);
	cw_outputs_stats(os, &st, 1);
	CHECK_EQ_INT(st.dropped_events, 1);
	REQUIRE(mkdir(sub, 0700) == 0);
	cw_outputs_put(os, obs, strlen(obs), "e1", false);
	cw_outputs_tick(os);
	cw_outputs_stats(os, &st, 1);
	CHECK(st.healthy);
	CHECK_EQ_INT(st.delivered, 3);
	CHECK_EQ_INT(stat(path, &sb), 0);
	CHECK_EQ_INT(sb.st_size, strlen(obs) + 1);
	cw_outputs_close(os, 0);
	rmtree(dir);
}

TEST(outputs_open_errors_name_the_output)
{
	const char *spool = tmpdir();
	struct cw_output_spec s[2];
	struct cw_outputs *os = NULL;
	char err[512];

	REQUIRE(cw_output_spec_parse("syslog+tls://localhost:6514,ca=/nonexistent/ca.pem", &s[0],
				     err, sizeof(err)) == 0);
	CHECK(cw_outputs_open(s, 1, &(struct cw_outputs_opts){ .spool_dir = spool }, &os, err,
			      sizeof(err)) < 0);
	CHECK_CONTAINS(err, "output syslog+tls://localhost:6514,ca=/nonexistent/ca.pem: "
			    "ca=/nonexistent/ca.pem: No such file or directory");
	REQUIRE(cw_output_spec_parse("file:/nonexistent/dir/f.json", &s[0], err, sizeof(err)) == 0);
	CHECK(cw_outputs_open(s, 1, NULL, &os, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "output file:/nonexistent/dir/f.json: No such file or directory");
	REQUIRE(cw_output_spec_parse("syslog+tcp://h:514", &s[0], err, sizeof(err)) == 0);
	REQUIRE(cw_output_spec_parse("syslog+tcp://h:514,batch=5", &s[1], err, sizeof(err)) == 0);
	CHECK_EQ_INT(cw_outputs_open(s, 2, NULL, &os, err, sizeof(err)), -EINVAL);
	CHECK_CONTAINS(err, "given twice");
	rmtree(spool);
}

/* A reload keeps what is unchanged, opens what is new, stops what went; the same target with
 * other options takes over its spool (the findings queued there stay queued). */
TEST(outputs_reload_changes_the_set)
{
	const char *dir = tmpdir();
	char a[160], b[160], x[96], x2[96], err[512] = "";
	struct cw_output_spec s[2];
	struct cw_output_stats st[2];
	struct cw_outputs *os;
	struct stat sb;
	int port, lfd = listener(&port);

	REQUIRE(lfd >= 0);
	close(lfd);
	snprintf(a, sizeof(a), "file:%s/a.json", dir);
	snprintf(b, sizeof(b), "file:%s/b.json", dir);
	snprintf(x, sizeof(x), "syslog+tcp://127.0.0.1:%d", port);
	snprintf(x2, sizeof(x2), "syslog+tcp://127.0.0.1:%d,batch=5", port);
	REQUIRE(cw_output_spec_parse(a, &s[0], err, sizeof(err)) == 0);
	REQUIRE(cw_output_spec_parse(x, &s[1], err, sizeof(err)) == 0);
	REQUIRE(cw_outputs_open(s, 2, &(struct cw_outputs_opts){ .spool_dir = dir }, &os, err,
				sizeof(err)) == 0);
	for (int i = 0; i < 4; i++) /* staged: the reload writes them first */
		cw_outputs_put(os, alert, strlen(alert), "a1", true);
	REQUIRE(cw_output_spec_parse(x2, &s[0], err, sizeof(err)) == 0);
	REQUIRE(cw_output_spec_parse(b, &s[1], err, sizeof(err)) == 0);
	CHECK_EQ_INT(cw_outputs_reload(os, s, 2, err, sizeof(err)), 0);
	REQUIRE(cw_outputs_stats(os, st, 2) == 2);
	CHECK_EQ_STR(st[0].spec, x2);
	CHECK_EQ_INT(st[0].queued, 4);
	CHECK_EQ_STR(st[1].spec, b);
	cw_outputs_put(os, obs, strlen(obs), "e1", false);
	cw_outputs_tick(os);
	CHECK_EQ_INT(stat(b + 5, &sb), 0);
	CHECK_EQ_INT(sb.st_size, strlen(obs) + 1);
	CHECK_EQ_INT(stat(a + 5, &sb), 0);
	CHECK_EQ_INT(sb.st_size, 4 * (strlen(alert) + 1)); /* written no more */
	/* A reload that cannot open a new output changes nothing. */
	REQUIRE(cw_output_spec_parse("file:/nonexistent/dir/c.json", &s[1], err, sizeof(err)) == 0);
	CHECK(cw_outputs_reload(os, s, 2, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "/nonexistent/dir/c.json");
	REQUIRE(cw_outputs_stats(os, st, 2) == 2);
	CHECK_EQ_STR(st[1].spec, b);
	cw_outputs_close(os, 0);
	rmtree(dir);
}

/* An alert on stdout is in every spool already: SIGKILLed before the next tick, the agent
 * has not shown an alert that a spooled output will never get. stdout listed first. */
TEST(outputs_alert_is_spooled_before_stdout_shows_it)
{
	const char *dir = tmpdir();
	char x[96], line[256], err[512] = "";
	struct cw_output_spec s[2];
	struct cw_output_stats st[2];
	struct cw_outputs *os;
	int pipefd[2], saved, port, lfd = listener(&port);

	REQUIRE(lfd >= 0);
	close(lfd); /* nobody listens: the alert stays queued */
	snprintf(x, sizeof(x), "syslog+tcp://127.0.0.1:%d", port);
	REQUIRE(cw_output_spec_parse("stdout", &s[0], err, sizeof(err)) == 0);
	REQUIRE(cw_output_spec_parse(x, &s[1], err, sizeof(err)) == 0);
	REQUIRE(pipe(pipefd) == 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	REQUIRE(saved >= 0 && dup2(pipefd[1], STDOUT_FILENO) == STDOUT_FILENO);
	REQUIRE(cw_outputs_open(s, 2, &(struct cw_outputs_opts){ .spool_dir = dir }, &os, err,
				sizeof(err)) == 0);
	CHECK_EQ_INT(cw_outputs_put(os, alert, strlen(alert), "a1", true), 0);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(pipefd[1]);
	CHECK_EQ_INT(read_some(pipefd[0], line, sizeof(line), 1000), strlen(alert) + 1);
	close(pipefd[0]);
	REQUIRE(cw_outputs_stats(os, st, 2) == 2);
	CHECK_EQ_INT(st[0].written, 1);
	CHECK_EQ_INT(st[1].queued, 1); /* no tick yet: appended before stdout was written */
	CHECK(st[1].spool_bytes > 0);
	cw_outputs_close(os, 0);
	rmtree(dir);
}

/* UDP to a port nobody listens on, on this host: the ICMP refusal keeps the findings queued. */
TEST(outputs_syslog_udp_refused_port_keeps_findings_queued)
{
	const char *spool = tmpdir();
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	char spec[128], err[512] = "", buf[4096];
	struct cw_output_stats st;
	struct cw_outputs *os;
	int ufd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), port;
	ssize_t n;

	REQUIRE(ufd >= 0);
	REQUIRE(bind(ufd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	REQUIRE(getsockname(ufd, (struct sockaddr *)&sa, &sl) == 0);
	port = ntohs(sa.sin_port);
	close(ufd);
	snprintf(spec, sizeof(spec), "syslog://127.0.0.1:%d", port);
	os = open_outputs(spec, spool, err);
	REQUIRE(os);
	cw_outputs_put(os, alert, strlen(alert), "a1", true);
	cw_outputs_tick(os);
	for (int i = 0; i < 100; i++) {
		cw_outputs_stats(os, &st, 1);
		if (!st.healthy)
			break;
		usleep(20000);
	}
	CHECK(!st.healthy);
	CHECK_EQ_INT(st.delivered, 0);
	CHECK_EQ_INT(st.queued, 1);
	CHECK_CONTAINS(st.last_error, "Connection refused");
	/* Someone listens again: the datagram comes (after the backoff). */
	ufd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	REQUIRE(bind(ufd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	n = read_some(ufd, buf, sizeof(buf) - 1, 3000);
	REQUIRE(n > 0);
	buf[n] = '\0';
	CHECK(!strncmp(buf, "<84>1 ", 6));
	CHECK_CONTAINS(buf, " alert - {\"event\":{\"id\":\"a1\"");
	cw_outputs_close(os, 1000);
	close(ufd);
	rmtree(spool);
}
