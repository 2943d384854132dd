// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* judge/lineage: credentials inherited across fork/exec keep their first holder's workload. */
#include <stdio.h>
#include <string.h>

#include "judge/lineage.h"
#include "test.h"

#define FP_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define FP_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* A load by pid (parent ppid), start times unknown. */
static const char *env(struct cw_lineage *l, uint32_t pid, uint32_t ppid, uint64_t exec_ns,
		       const char *fp, const char *var, const char *key)
{
	return cw_lineage_env(l, (struct cw_lineage_proc){ pid, 0 },
			      (struct cw_lineage_proc){ ppid, 0 }, exec_ns, fp, var, key);
}

#define P(pid, start) ((struct cw_lineage_proc){ (pid), (start) })

TEST(lineage_child_inherits_its_parents_load)
{
	struct cw_lineage *l = cw_lineage_new();

	REQUIRE(l);
	/* a shell's child (the first exec holding it) loads it for its own workload */
	CHECK_EQ_STR(env(l, 100, 50, 1, FP_A, "GITHUB_TOKEN", "tree:/a uid:1000"),
		     "tree:/a uid:1000");
	/* its children, whatever their executable or uid, hold it for that workload */
	CHECK_EQ_STR(env(l, 101, 100, 2, FP_A, "GITHUB_TOKEN", "exe:/b uid:0"), "tree:/a uid:1000");
	CHECK_EQ_STR(env(l, 102, 101, 3, FP_A, "GITHUB_TOKEN", "exe:/c uid:0"), "tree:/a uid:1000");
	CHECK_EQ_STR(cw_lineage_holder(l, 102, FP_A), "tree:/a uid:1000");
	CHECK(cw_lineage_holder(l, 102, FP_B) == NULL);
	CHECK(cw_lineage_holder(l, 999, FP_A) == NULL);
	/* the same value in another variable is not inherited: a load of its own */
	CHECK_EQ_STR(env(l, 103, 100, 4, FP_A, "OTHER", "exe:/d uid:0"), "exe:/d uid:0");
	/* another credential in the same variable is not either */
	CHECK_EQ_STR(env(l, 104, 100, 5, FP_B, "GITHUB_TOKEN", "exe:/e uid:0"), "exe:/e uid:0");
	/* a second match in the same exec: what the first was */
	CHECK_EQ_STR(env(l, 101, 100, 2, FP_A, "GITHUB_TOKEN", "zzz"), "tree:/a uid:1000");
	/* an unrelated process (its parent never held it) */
	CHECK_EQ_STR(env(l, 200, 60, 6, FP_A, "GITHUB_TOKEN", "unit:x.service"), "unit:x.service");
	cw_lineage_free(l);
}

TEST(lineage_exec_without_fork_and_parent_exit)
{
	struct cw_lineage *l = cw_lineage_new();

	REQUIRE(l);
	CHECK_EQ_STR(env(l, 100, 50, 1, FP_A, "T", "k1"), "k1");
	/* a shim that execs the real program: its previous image had it */
	CHECK_EQ_STR(env(l, 100, 50, 2, FP_A, "T", "k2"), "k1");
	/* ... and the image before that is forgotten after a second exec without it */
	CHECK_EQ_STR(env(l, 100, 50, 3, FP_B, "T", "k3"), "k3");
	CHECK_EQ_STR(env(l, 100, 50, 4, FP_A, "T", "k4"), "k4");
	/* the parent exits before its child's exec is handled: still its parent */
	cw_lineage_exit(l, 100);
	CHECK_EQ_STR(env(l, 101, 100, 5, FP_A, "T", "k5"), "k4");
	/* a reused pid is a new process: nothing of the dead one's */
	CHECK_EQ_STR(env(l, 100, 70, 6, FP_A, "T", "k6"), "k6");
	/* exited processes are forgotten past the bound */
	cw_lineage_exit(l, 100);
	for (uint32_t pid = 1000; pid < 1000 + CW_LINEAGE_GONE_MAX; pid++) {
		env(l, pid, 1, 7, FP_B, "T", "x");
		cw_lineage_exit(l, pid);
	}
	CHECK_EQ_STR(env(l, 102, 100, 8, FP_A, "T", "k8"), "k8");
	/* NULL table: every load its own */
	CHECK_EQ_STR(env(NULL, 1, 0, 1, FP_A, "T", "own"), "own");
	CHECK(cw_lineage_holder(NULL, 1, FP_A) == NULL);
	cw_lineage_exit(NULL, 1);
	cw_lineage_free(l);
}

TEST(lineage_bounded)
{
	struct cw_lineage *l = cw_lineage_new();
	char var[32];

	REQUIRE(l);
	for (uint32_t pid = 1; pid <= CW_LINEAGE_MAX + 1; pid++)
		env(l, pid, 0, 1, FP_A, "T", "k");
	/* pid 1 was the oldest: forgotten */
	CHECK(cw_lineage_holder(l, 1, FP_A) == NULL);
	CHECK_EQ_STR(cw_lineage_holder(l, 2, FP_A), "k");
	/* per process: past the bound a credential is judged but not remembered */
	for (int i = 0; i < CW_LINEAGE_PER_PROC + 4; i++) {
		snprintf(var, sizeof(var), "V%d", i);
		CHECK_EQ_STR(env(l, 5000, 1, 9, FP_B, var, "mine"), "mine");
	}
	CHECK_EQ_STR(env(l, 5001, 5000, 10, FP_B, "V0", "child"), "mine");
	snprintf(var, sizeof(var), "V%d", CW_LINEAGE_PER_PROC + 1);
	CHECK_EQ_STR(env(l, 5001, 5000, 10, FP_B, var, "child"), "child");
	cw_lineage_free(l);
}

TEST(lineage_a_reused_pid_inherits_nothing)
{
	struct cw_lineage *l = cw_lineage_new();

	REQUIRE(l);
	/* pod A's process 100 (started at 1000) holds the token */
	CHECK_EQ_STR(cw_lineage_env(l, P(100, 1000), P(50, 500), 1, FP_A, "T", "k8s:a/app"),
		     "k8s:a/app");
	CHECK_EQ_STR(cw_lineage_holder(l, 100, FP_A), "k8s:a/app");
	/* it exits; pid 100 comes back as another process (pod B's) that execs without
	 * credentials: nothing of pod A's is its own, nor its children's */
	cw_lineage_exit(l, 100);
	CHECK(cw_lineage_holder(l, 100, FP_A) == NULL);
	cw_lineage_exec(l, P(100, 2000), 2);
	CHECK(cw_lineage_holder(l, 100, FP_A) == NULL);
	CHECK_EQ_STR(cw_lineage_env(l, P(101, 2100), P(100, 2000), 3, FP_A, "T", "k8s:b/thief"),
		     "k8s:b/thief");
	/* the exit event was lost (a full ring buffer): the start time still tells them apart */
	CHECK_EQ_STR(cw_lineage_env(l, P(200, 3000), P(50, 500), 4, FP_B, "T", "k8s:a/app"),
		     "k8s:a/app");
	CHECK_EQ_STR(cw_lineage_env(l, P(201, 3500), P(200, 9999), 5, FP_B, "T", "k8s:b/x"),
		     "k8s:b/x");
	CHECK_EQ_STR(cw_lineage_env(l, P(200, 4000), P(60, 600), 6, FP_B, "T", "k8s:b/y"),
		     "k8s:b/y");
	/* the same process exec'ing again without the credential: its previous image had it,
	 * the one after does not inherit from two images back */
	CHECK_EQ_STR(cw_lineage_env(l, P(300, 5000), P(50, 500), 7, FP_A, "T", "k1"), "k1");
	cw_lineage_exec(l, P(300, 5000), 8);
	cw_lineage_exec(l, P(300, 5000), 9);
	CHECK_EQ_STR(cw_lineage_env(l, P(300, 5000), P(50, 500), 9, FP_A, "T", "k2"), "k2");
	cw_lineage_free(l);
}
