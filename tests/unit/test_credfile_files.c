// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The agent's credential-file hook (events/files.c): with --capture-reads, a watched .netrc
 * read in pieces is parsed at its close (or when it goes quiet), each credential reported
 * once with its field and strength, a provider's token in it under the provider's rule; by
 * default the agent reads and parses the file itself. No plaintext anywhere.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "events/files.h"
#include "exposure_fixture.h"
#include "test.h"
#include "testutil.h"

static char payload[4096];

static void open_file(struct cw_files *fs, const char *path, uint64_t id)
{
	struct cw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = CW_EV_FILE_OPEN;
	ev.file_open.hdr.type = CW_EV_FILE_OPEN;
	ev.file_open.pid = 4242;
	ev.file_open.fd = 3;
	ev.file_open.file_id = id;
	ev.file_open.dfd = -100;
	ev.file_open.path_len = (uint16_t)strlen(path);
	memcpy(ev.file_open.path, path, strlen(path));
	memcpy(ev.file_open.comm, "curl", 4);
	CHECK_EQ_INT(cw_files_open(fs, &ev), 0);
}

static void read_bytes(struct cw_files *fs, uint64_t id, const char *p, size_t n)
{
	struct cw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = CW_EV_FILE_DATA;
	ev.data.hdr.type = CW_EV_FILE_DATA;
	ev.data.pid = 4242;
	ev.data.fd = 3;
	ev.data.conn_id = id;
	ev.data.len = (uint32_t)n;
	ev.data.total = n;
	memcpy(payload, p, n);
	ev.payload = payload;
	CHECK_EQ_INT(cw_files_data(fs, &ev), 0);
}

static size_t count(const char *hay, const char *needle)
{
	size_t c = 0;

	for (const char *p = hay; p && (p = strstr(p, needle)); p++)
		c++;
	return c;
}

TEST(credfile_files_capture_reads_parses_at_close)
{
	char *tok = tu_github_token(), text[512];
	struct cw_files fs;
	struct xfx x;
	size_t n;

	REQUIRE(xfx_setup(&x, NULL));
	x.fd.events = true;
	REQUIRE(cw_files_init(&fs, &x.deps, -1) == 0);
	REQUIRE(fs.credfiles != NULL);
	fs.capture_reads = true;
	fs.proc = x.dir;
	n = (size_t)snprintf(text, sizeof(text),
			     "machine example.com\n  login alice\n  password pass123\n"
			     "machine github.com login x-access-token password %s\n",
			     tok);
	open_file(&fs, "/home/alice/.netrc", 7);
	/* the reads cut the first password and the token in two */
	read_bytes(&fs, 7, text, 45);
	read_bytes(&fs, 7, text + 45, 60);
	read_bytes(&fs, 7, text + 105, n - 105);
	CHECK_EQ_INT(cw_files_close(&fs, 4242, 3, 7), 0);
	fflush(x.f);
	REQUIRE(x.out != NULL);
	CHECK_EQ_INT(count(x.out, "\"action\":\"credential-read\""), 2);
	CHECK_EQ_INT(count(x.out, "\"field\":\"machine example.com password\""), 1);
	CHECK_EQ_INT(count(x.out, "\"strength\":\"weak\""), 1);
	CHECK_EQ_INT(count(x.out, "\"field\":\"machine github.com password\""), 1);
	CHECK_EQ_INT(count(x.out, "\"id\":\"github-pat-classic\""), 1);
	CHECK(!strstr(x.out, "pass123"));
	CHECK(!strstr(x.out, tok));
	cw_files_free(&fs);
	xfx_teardown(&x);
	free(tok);
}

TEST(credfile_files_capture_reads_other_files_stream_as_before)
{
	char *tok = tu_github_token(), text[256];
	struct cw_files fs;
	struct xfx x;

	REQUIRE(xfx_setup(&x, NULL));
	x.fd.events = true;
	REQUIRE(cw_files_init(&fs, &x.deps, -1) == 0);
	fs.capture_reads = true;
	fs.proc = x.dir;
	snprintf(text, sizeof(text), "token: %s\n", tok);
	open_file(&fs, "/var/run/secrets/kubernetes.io/serviceaccount/token", 8);
	read_bytes(&fs, 8, text, strlen(text));
	CHECK_EQ_INT(cw_files_close(&fs, 4242, 3, 8), 0);
	fflush(x.f);
	REQUIRE(x.out != NULL);
	/* read once (an observation), and curl is no reader of service-account tokens (an alert) */
	CHECK_EQ_INT(count(x.out, "\"action\":\"credential-read\""), 1);
	CHECK_EQ_INT(count(x.out, "\"action\":\"credential-unexpected-reader\""), 1);
	CHECK(!strstr(x.out, "\"field\""));
	cw_files_free(&fs);
	xfx_teardown(&x);
	free(tok);
}

TEST(credfile_files_quiet_file_read_again_reports_once)
{
	static const char text[] = "[client]\nuser = backup\npassword = Tr1cky#Pass\n";
	struct cw_files fs;
	struct xfx x;

	REQUIRE(xfx_setup(&x, "watch: ['~/.my.cnf']\n"));
	x.fd.events = true;
	REQUIRE(cw_files_init(&fs, &x.deps, -1) == 0);
	fs.capture_reads = true;
	fs.proc = x.dir;
	open_file(&fs, "/home/dba/.my.cnf", 9);
	read_bytes(&fs, 9, text, sizeof(text) - 1);
	/* a daemon keeps it open: parsed when it goes quiet, then read again from the start */
	CHECK_EQ_INT(cw_files_tick(&fs, 10ull * 1000 * 1000 * 1000), 0);
	fflush(x.f);
	REQUIRE(x.out != NULL);
	CHECK_EQ_INT(count(x.out, "\"field\":\"[client] password\""), 1);
	read_bytes(&fs, 9, text, sizeof(text) - 1);
	CHECK_EQ_INT(cw_files_close(&fs, 4242, 3, 9), 0);
	fflush(x.f);
	CHECK_EQ_INT(count(x.out, "\"action\":\"credential-read\""), 1);
	CHECK_EQ_INT(count(x.out, "\"strength\":\"fair\""), 1);
	CHECK(!strstr(x.out, "Tr1cky#Pass"));
	cw_files_free(&fs);
	xfx_teardown(&x);
}

/*
 * The default mode: the agent reads the file itself when told of the open (here the test's
 * own fd, which the agent duplicates as it does any process's), parses it and scans it once.
 */
TEST(credfile_files_read_now_parses_the_file)
{
	static const char text[] =
		"# deploy\r\nmachine nexus.corp login ci password Nx-deploy-2291\r\n"
		"machine old.corp login ci password ${OLD_PASS}\r\n";
	char dir[256], path[300];
	struct cw_files fs;
	struct cw_event ev;
	struct xfx x;
	int fd;

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/netrc", dir);
	REQUIRE(tu_write_file(path, text, sizeof(text) - 1, 0600) == 0);
	fd = open(path, O_RDONLY);
	REQUIRE(fd >= 0);
	REQUIRE(xfx_setup(&x, NULL));
	x.fd.events = true;
	REQUIRE(cw_files_init(&fs, &x.deps, -1) == 0);
	memset(&ev, 0, sizeof(ev));
	ev.type = CW_EV_FILE_OPEN;
	ev.file_open.hdr.type = CW_EV_FILE_OPEN;
	ev.file_open.pid = (uint32_t)getpid();
	ev.file_open.fd = (uint32_t)fd;
	ev.file_open.file_id = 11;
	ev.file_open.dfd = -100;
	/* the name the process opened: a .netrc (the fd is the test's copy) */
	ev.file_open.path_len = 18;
	memcpy(ev.file_open.path, "/home/alice/.netrc", 18);
	memcpy(ev.file_open.comm, "curl", 4);
	CHECK_EQ_INT(cw_files_open(&fs, &ev), 0);
	fflush(x.f);
	REQUIRE(x.out != NULL);
	CHECK_EQ_INT(count(x.out, "\"action\":\"credential-read\""), 1);
	CHECK_EQ_INT(count(x.out, "\"field\":\"machine nexus.corp password\""), 1);
	CHECK_EQ_INT(count(x.out, "\"strength\":\"fair\""), 1);
	CHECK(!strstr(x.out, "Nx-deploy-2291"));
	cw_files_free(&fs);
	xfx_teardown(&x);
	close(fd);
	tu_rmtree(dir);
}
