// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* host/procfile: opening a file as the process that opened it sees it. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/procfile.h"
#include "test.h"
#include "testutil.h"

TEST(procfile_environ_of_another_process)
{
	CHECK_EQ_INT(cw_proc_environ_of("/proc/42/environ", 7), 42);
	CHECK_EQ_INT(cw_proc_environ_of("/proc/42/task/43/environ", 7), 42);
	CHECK_EQ_INT(cw_proc_environ_of("/proc/7/environ", 7), 0); /* its own */
	CHECK_EQ_INT(cw_proc_environ_of("/proc/42/cmdline", 7), 0);
	CHECK_EQ_INT(cw_proc_environ_of("/proc/self/environ", 7), 0);
	CHECK_EQ_INT(cw_proc_environ_of("/proc/42/task//environ", 7), 0);
	CHECK_EQ_INT(cw_proc_environ_of("/proc/99999999999/environ", 7), 0);
	CHECK_EQ_INT(cw_proc_environ_of("/etc/42/environ", 7), 0);
}

/* The file of each executable mapping in /proc/PID/maps lines; the rest is no file. */
TEST(procfile_maps_exec_file)
{
	char a[] = "7f1c2a000000-7f1c2a1b0000 r-xp 00028000 fd:01 1835 /usr/lib/libssl.so.3\n";
	char b[] = "7f1c2a000000-7f1c2a1b0000 r--p 00000000 fd:01 1835 /usr/lib/libssl.so.3\n";
	char c[] = "7ffd1000-7ffd3000 r-xp 00000000 00:00 0 [vdso]\n";
	char d[] = "7f00-7f01 r-xp 00000000 fd:01 99 /tmp/libssl.so.3 (deleted)\n";
	/* a directory named like the kernel's mark hides nothing below it */
	char e[] = "7f00-7f01 r-xp 00000000 fd:01 99 /tmp/x (deleted)/libssl.so.3\n";
	/* cut short (fgets' buffer) or malformed: perms too short to say */
	char f[] = "7f00-7f01 r /x\n";
	char g[] = "7f00-7f01\n";
	char *p;

	p = cw_maps_exec_file(a);
	REQUIRE(p);
	CHECK_EQ_STR(p, "/usr/lib/libssl.so.3");
	CHECK(!cw_maps_exec_file(b));
	CHECK(!cw_maps_exec_file(c));
	CHECK(!cw_maps_exec_file(d));
	p = cw_maps_exec_file(e);
	REQUIRE(p);
	CHECK_EQ_STR(p, "/tmp/x (deleted)/libssl.so.3");
	CHECK(!cw_maps_exec_file(f));
	CHECK(!cw_maps_exec_file(g));
}

TEST(procfile_ns_pid_from_status)
{
	char dir[256], p[400];
	static const char status[] = "Name:\tsh\nNSpid:\t4242\t17\t3\nUid:\t0\n";

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(p, sizeof(p), "%s/4242", dir);
	REQUIRE(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/4242/status", dir);
	REQUIRE(tu_write_file(p, status, sizeof(status) - 1, 0644) == 0);
	CHECK_EQ_INT(cw_proc_ns_pid(dir, 4242), 3);
	CHECK_EQ_INT(cw_proc_ns_pid(dir, 4243), 0);
	CHECK_EQ_INT(cw_proc_ns_pid("/proc", (uint32_t)getpid()), getpid()); /* not in a pid ns */
	tu_rmtree(dir);
}

static ssize_t read_all(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return n;
}

TEST(procfile_opens_by_fd_then_by_path_plain_files_only)
{
	char dir[256], path[400], other[400], buf[64];
	struct cw_proc_file pf = { .proc = "/proc", .pid = (uint32_t)getpid(), .uid = getuid() };
	uint32_t ns = 0;
	int held, fd;

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/token", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	REQUIRE(tu_write_file(path, "held", 4, 0600) == 0);
	REQUIRE(tu_write_file(other, "named", 5, 0600) == 0);
	held = open(path, O_RDONLY | O_CLOEXEC);
	REQUIRE(held >= 0);
	/* the fd the process holds wins over the path it gave */
	pf.fd = (uint32_t)held;
	pf.path = other;
	fd = cw_proc_file_open(&pf, &ns);
	REQUIRE(fd >= 0);
	read_all(fd, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "held");
	CHECK_EQ_INT(ns, getpid());
	close(fd);
	/* not the fd of a plain file: the path, through the process's root */
	pf.fd = 999;
	fd = cw_proc_file_open(&pf, &ns);
	REQUIRE(fd >= 0);
	read_all(fd, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "named");
	close(fd);
	/* a cut path: neither */
	pf.fd = (uint32_t)held;
	pf.path_cut = true;
	CHECK_EQ_INT(cw_proc_file_open(&pf, &ns), -1);
	pf.path_cut = false;
	/* a relative path cannot be looked up */
	pf.fd = 999;
	pf.path = "token";
	CHECK_EQ_INT(cw_proc_file_open(&pf, &ns), -1);
	/* a device is never opened for reading */
	pf.path = "/dev/zero";
	CHECK_EQ_INT(cw_proc_file_open(&pf, &ns), -1);
	/* in a container whose other processes cannot be listed: nothing */
	pf.path = "/nonexistent/x";
	pf.in_container = true;
	CHECK_EQ_INT(cw_proc_file_open(&pf, &ns), -1);
	close(held);
	tu_rmtree(dir);
}

TEST(procfile_environ_read_through_procfs)
{
	char path[64], buf[4096];
	struct cw_proc_file pf = { .proc = "/proc", .pid = (uint32_t)getpid(), .uid = getuid() };
	uint32_t ns;
	int fds[2], fd;
	pid_t child;

	REQUIRE(pipe(fds) == 0);
	child = fork();
	REQUIRE(child >= 0);
	if (child == 0) {
		char c;

		close(fds[1]);
		(void)!read(fds[0], &c, 1); /* until the parent is done */
		_exit(0);
	}
	close(fds[0]);
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)child);
	pf.path = path;
	pf.fd = 999;
	pf.environ_pid = (uint32_t)child;
	fd = cw_proc_file_open(&pf, &ns);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(read_all(fd, buf, sizeof(buf)) >= 0);
		close(fd);
	}
	close(fds[1]);
	waitpid(child, NULL, 0);
}
