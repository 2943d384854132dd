// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include <unistd.h>

#include "host/procs.h"
#include "test.h"
#include "testutil.h"

TEST(procs_exe_from_proc_then_from_exec_events)
{
	struct cw_procs *p = cw_procs_new();
	char out[CW_PROCS_EXE_MAX], dir[256], self[CW_PROCS_EXE_MAX];
	ssize_t n;

	REQUIRE(p);
	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	/* a live process: /proc/PID/exe wins */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	REQUIRE(n > 0);
	self[n] = '\0';
	cw_procs_exec(p, (uint32_t)getpid(), "/not/this", 9);
	cw_procs_exe(p, "/proc", (uint32_t)getpid(), out);
	CHECK_EQ_STR(out, self);
	/* a process gone from "proc" (an empty fixture): the exec event's path */
	cw_procs_exec(p, 4242, "/usr/bin/catXXX", 12);
	cw_procs_exe(p, dir, 4242, out);
	CHECK_EQ_STR(out, "/usr/bin/cat");
	cw_procs_exe(p, dir, 4243, out);
	CHECK_EQ_STR(out, "");
	/* a long path is cut, never overrun */
	{
		char longp[600];

		memset(longp, 'a', sizeof(longp));
		cw_procs_exec(p, 77, longp, sizeof(longp));
		cw_procs_exe(p, dir, 77, out);
		CHECK_EQ_INT((int)strlen(out), CW_PROCS_EXE_MAX - 1);
	}
	/* an exit forgets it; an exit of another pid does not */
	cw_procs_exit(p, 4243);
	cw_procs_exe(p, dir, 4242, out);
	CHECK_EQ_STR(out, "/usr/bin/cat");
	cw_procs_exit(p, 4242);
	cw_procs_exe(p, dir, 4242, out);
	CHECK_EQ_STR(out, "");
	/* NULL cache: /proc only */
	cw_procs_exe(NULL, dir, 4242, out);
	CHECK_EQ_STR(out, "");
	cw_procs_free(p);
	tu_rmtree(dir);
}

TEST(procs_bounded_forgets_the_oldest_exec)
{
	struct cw_procs *p = cw_procs_new();
	char out[CW_PROCS_EXE_MAX], dir[256], path[32];

	REQUIRE(p);
	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	for (uint32_t pid = 1; pid <= CW_PROCS_MAX; pid++) {
		snprintf(path, sizeof(path), "/bin/p%u", pid);
		cw_procs_exec(p, pid, path, strlen(path));
	}
	/* pid 1 exec's again: now the newest, so pid 2 is the oldest */
	cw_procs_exec(p, 1, "/bin/again", 10);
	cw_procs_exec(p, CW_PROCS_MAX + 1, "/bin/new", 8);
	cw_procs_exe(p, dir, 2, out);
	CHECK_EQ_STR(out, "");
	cw_procs_exe(p, dir, 1, out);
	CHECK_EQ_STR(out, "/bin/again");
	cw_procs_exe(p, dir, 3, out);
	CHECK_EQ_STR(out, "/bin/p3");
	cw_procs_exe(p, dir, CW_PROCS_MAX + 1, out);
	CHECK_EQ_STR(out, "/bin/new");
	/* pid 0 is never remembered */
	cw_procs_exec(p, 0, "/bin/zero", 9);
	cw_procs_exe(p, dir, 0, out);
	CHECK_EQ_STR(out, "");
	cw_procs_free(p);
	tu_rmtree(dir);
}
