// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/procs.h"
#include "test.h"
#include "testutil.h"

/* A process in a /proc fixture: DIR/PID/stat naming its parent, DIR/PID/exe -> exe. */
static void fake_proc(const char *dir, uint32_t pid, uint32_t ppid, const char *exe)
{
	char path[512], stat[128];
	int n;

	snprintf(path, sizeof(path), "%s/%u", dir, pid);
	mkdir(path, 0755);
	/* a comm with ") " in it: the parser must take the last ')' */
	n = snprintf(stat, sizeof(stat), "%u (a) b) S %u 1 1 0 -1\n", pid, ppid);
	snprintf(path, sizeof(path), "%s/%u/stat", dir, pid);
	tu_write_file(path, stat, (size_t)n, 0644);
	snprintf(path, sizeof(path), "%s/%u/exe", dir, pid);
	if (symlink(exe, path))
		perror(path);
}

TEST(procs_exe_from_proc_then_from_exec_events)
{
	char out[CW_PROCS_EXE_MAX], dir[256], self[CW_PROCS_EXE_MAX];
	struct cw_procs *p;
	ssize_t n;

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	REQUIRE((p = cw_procs_new(dir)));
	/* a live process: /proc/PID/exe wins */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	REQUIRE(n > 0);
	self[n] = '\0';
	cw_procs_exec(p, (uint32_t)getpid(), 1, 0, "/not/this", 9);
	cw_procs_exe(p, "/proc", (uint32_t)getpid(), out);
	CHECK_EQ_STR(out, self);
	/* a process gone from "proc" (an empty fixture): the exec event's path */
	cw_procs_exec(p, 4242, 1, 0, "/usr/bin/catXXX", 12);
	cw_procs_exe(p, NULL, 4242, out);
	CHECK_EQ_STR(out, "/usr/bin/cat");
	cw_procs_exe(p, NULL, 4243, out);
	CHECK_EQ_STR(out, "");
	/* a long path is cut, never overrun */
	{
		char longp[600];

		memset(longp, 'a', sizeof(longp));
		cw_procs_exec(p, 77, 1, 0, longp, sizeof(longp));
		cw_procs_exe(p, NULL, 77, out);
		CHECK_EQ_INT((int)strlen(out), CW_PROCS_EXE_MAX - 1);
	}
	/* an exited process is kept for its late events, until enough others have exited */
	cw_procs_exit(p, 4242);
	cw_procs_exe(p, NULL, 4242, out);
	CHECK_EQ_STR(out, "/usr/bin/cat");
	for (uint32_t pid = 10000; pid < 10000 + CW_PROCS_GONE_MAX; pid++) {
		cw_procs_exec(p, pid, 1, 0, "/bin/x", 6);
		cw_procs_exit(p, pid);
	}
	cw_procs_exe(p, NULL, 4242, out);
	CHECK_EQ_STR(out, "");
	cw_procs_exe(p, NULL, 10000 + CW_PROCS_GONE_MAX - 1, out);
	CHECK_EQ_STR(out, "/bin/x");
	/* NULL table: /proc only */
	cw_procs_exe(NULL, dir, 4242, out);
	CHECK_EQ_STR(out, "");
	cw_procs_free(p);
	tu_rmtree(dir);
}

TEST(procs_bounded_forgets_the_oldest_exec)
{
	char out[CW_PROCS_EXE_MAX], dir[256], path[32];
	struct cw_procs *p;

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	REQUIRE((p = cw_procs_new(dir)));
	for (uint32_t pid = 1; pid <= CW_PROCS_MAX; pid++) {
		snprintf(path, sizeof(path), "/bin/p%u", pid);
		cw_procs_exec(p, pid, 1, 0, path, strlen(path));
	}
	/* pid 1 exec's again: now the newest, so pid 2 is the oldest */
	cw_procs_exec(p, 1, 0, 0, "/bin/again", 10);
	cw_procs_exec(p, CW_PROCS_MAX + 1, 1, 0, "/bin/new", 8);
	cw_procs_exe(p, NULL, 2, out);
	CHECK_EQ_STR(out, "");
	cw_procs_exe(p, NULL, 1, out);
	CHECK_EQ_STR(out, "/bin/again");
	cw_procs_exe(p, NULL, 3, out);
	CHECK_EQ_STR(out, "/bin/p3");
	cw_procs_exe(p, NULL, CW_PROCS_MAX + 1, out);
	CHECK_EQ_STR(out, "/bin/new");
	/* pid 0 is never remembered */
	cw_procs_exec(p, 0, 1, 0, "/bin/zero", 9);
	cw_procs_exe(p, NULL, 0, out);
	CHECK_EQ_STR(out, "");
	cw_procs_free(p);
	tu_rmtree(dir);
}

TEST(procs_tree_root_is_the_ancestor_init_started)
{
	char out[CW_PROCS_EXE_MAX], dir[256];
	struct cw_procs *p;

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	/* running before the agent: init -> cron -> sh (a job) */
	fake_proc(dir, 1, 0, "/sbin/init");
	fake_proc(dir, 300, 1, "/usr/sbin/cron");
	fake_proc(dir, 301, 300, "/bin/sh");
	REQUIRE((p = cw_procs_new(dir)));
	/* a job's children, exec'd under the agent; the shell is gone by the time the
	 * grandchild's exec is handled */
	cw_procs_exec(p, 400, 301, 0, "/usr/bin/python3", 16);
	cw_procs_exec(p, 401, 400, 0, "/usr/bin/basename", 17);
	CHECK(cw_procs_tree_root(p, 401, out));
	CHECK_EQ_STR(out, "/usr/sbin/cron");
	CHECK_EQ_INT((int)cw_procs_parent(p, 401), 400);
	CHECK_EQ_INT((int)cw_procs_parent(p, 301), 300);
	/* an exec without a fork keeps its place */
	cw_procs_exec(p, 400, 301, 0, "/usr/bin/python3.11", 19);
	CHECK(cw_procs_tree_root(p, 400, out));
	CHECK_EQ_STR(out, "/usr/sbin/cron");
	/* init's own child is its own top; init is its own */
	CHECK(cw_procs_tree_root(p, 300, out));
	CHECK_EQ_STR(out, "/usr/sbin/cron");
	CHECK(cw_procs_tree_root(p, 1, out));
	CHECK_EQ_STR(out, "/sbin/init");
	/* a kernel-started helper (parent kthreadd) */
	cw_procs_exec(p, 500, 2, 0, "/sbin/modprobe", 14);
	CHECK(cw_procs_tree_root(p, 500, out));
	CHECK_EQ_STR(out, "/sbin/modprobe");
	/* parents exit: the children's trees were found at their exec and are kept */
	cw_procs_exit(p, 400);
	cw_procs_exec(p, 402, 401, 0, "/bin/true", 9);
	CHECK(cw_procs_tree_root(p, 402, out));
	CHECK_EQ_STR(out, "/usr/sbin/cron");
	/* the kernel named the top: the parents in between need not be known */
	cw_procs_exec(p, 700, 650, 300, "/usr/bin/env", 12);
	CHECK(cw_procs_tree_root(p, 700, out));
	CHECK_EQ_STR(out, "/usr/sbin/cron");
	cw_procs_exec(p, 701, 1, 701, "/usr/sbin/atd", 13);
	CHECK(cw_procs_tree_root(p, 701, out));
	CHECK_EQ_STR(out, "/usr/sbin/atd");
	/* a named top that is unknown: found by walking up instead */
	cw_procs_exec(p, 702, 400, 999, "/bin/ls", 7);
	CHECK(cw_procs_tree_root(p, 702, out));
	CHECK_EQ_STR(out, "/usr/sbin/cron");
	/* a broken chain: a parent neither remembered nor in /proc */
	cw_procs_exec(p, 600, 599, 0, "/bin/orphan", 11);
	CHECK(!cw_procs_tree_root(p, 600, out));
	CHECK_EQ_STR(out, "");
	CHECK(!cw_procs_tree_root(p, 9999, out));
	CHECK(!cw_procs_tree_root(NULL, 400, out));
	cw_procs_free(p);
	tu_rmtree(dir);
}

TEST(procs_tree_root_of_this_test_is_a_child_of_init)
{
	char out[CW_PROCS_EXE_MAX];
	struct cw_procs *p = cw_procs_new(NULL);
	uint32_t pid = (uint32_t)getpid(), top = pid;

	REQUIRE(p);
	/* walk /proc ourselves to find the expected top */
	while (cw_procs_parent(p, top) > 2)
		top = cw_procs_parent(p, top);
	CHECK(cw_procs_tree_root(p, pid, out));
	{
		char want[CW_PROCS_EXE_MAX];

		cw_procs_exe(p, NULL, top, want);
		CHECK_EQ_STR(out, want);
	}
	cw_procs_free(p);
}

TEST(procs_tree_root_when_the_walk_fills_the_table)
{
	char out[CW_PROCS_EXE_MAX], dir[256], path[32];
	struct cw_procs *p;

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	REQUIRE((p = cw_procs_new(dir)));
	/* the oldest entry: its parent not known yet (nothing in /proc for it) */
	cw_procs_exec(p, 10, 9000, 0, "/bin/job", 8);
	for (uint32_t pid = 20; pid < 20 + CW_PROCS_MAX - 1; pid++) {
		snprintf(path, sizeof(path), "/bin/p%u", pid);
		cw_procs_exec(p, pid, 1, 0, path, strlen(path));
	}
	/* now the parent shows up in /proc: finding it adds an entry, which forgets the oldest,
	 * the very entry being answered for (must not be written after it is freed) */
	fake_proc(dir, 9000, 1, "/usr/bin/runner");
	CHECK(!cw_procs_tree_root(p, 10, out));
	CHECK(cw_procs_tree_root(p, 9000, out));
	CHECK_EQ_STR(out, "/usr/bin/runner");
	/* a top the kernel named whose remembered entry is an older, exited process's */
	cw_procs_exec(p, 9100, 1, 0, "/bin/old", 8);
	cw_procs_exit(p, 9100);
	fake_proc(dir, 9100, 1, "/usr/sbin/sshd");
	cw_procs_exec(p, 9101, 9099, 9100, "/bin/bash", 9);
	CHECK(cw_procs_tree_root(p, 9101, out));
	CHECK_EQ_STR(out, "/usr/sbin/sshd");
	cw_procs_free(p);
	tu_rmtree(dir);
}
