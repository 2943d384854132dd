/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Inheritance is not sharing. A process that execs with a credential in its environment that
 * its parent also had in the same variable (or that it had itself before this exec) received
 * it across fork/exec: the same load, by the workload of the process that first had it, not a
 * new owner. This table remembers, for each process whose environment held credentials, which
 * (fingerprint, variable) it held and on behalf of which workload. An exited process is kept
 * as its children's parent until CW_LINEAGE_GONE_MAX processes have exited after it (a child's
 * exec may be handled after its parent's exit); past CW_LINEAGE_MAX processes the one that
 * exec'd longest ago is forgotten.
 */
#ifndef CW_LINEAGE_H
#define CW_LINEAGE_H

#include <stdint.h>

#define CW_LINEAGE_MAX 4096	/* processes remembered */
#define CW_LINEAGE_GONE_MAX 512 /* of them, exited ones */
#define CW_LINEAGE_PER_PROC 32	/* credentials remembered per process */

struct cw_lineage;

struct cw_lineage *cw_lineage_new(void);
void cw_lineage_free(struct cw_lineage *l);

/* A process, as exec events name it: a pid and its start time (0: unknown). */
struct cw_lineage_proc {
	uint32_t pid;
	uint64_t start_ns;
};

/*
 * Process p exec'd at exec_ns: every exec, with credentials in its environment or not (its
 * image before is kept as its previous one; a pid with another start time is another
 * process, and nothing of the old one's is kept).
 */
void cw_lineage_exec(struct cw_lineage *l, struct cw_lineage_proc p, uint64_t exec_ns);

/*
 * The image p exec'd at exec_ns (its environment's parent: parent) has fingerprint fp in its
 * environment as variable var. Returns the workload key the credential is held for: the one
 * its parent or its previous image held it for, when either had it in the same variable;
 * else key (a load of its own). Remembered for p's children either way. The pointer stays
 * valid until the next cw_lineage_* call.
 */
const char *cw_lineage_env(struct cw_lineage *l, struct cw_lineage_proc p,
			   struct cw_lineage_proc parent, uint64_t exec_ns, const char *fp,
			   const char *var, const char *key);

/* The workload key the environment of live process pid holds fp for (any variable), or
 * NULL (an exited process's entry is not a live one's: its pid may be reused). */
const char *cw_lineage_holder(struct cw_lineage *l, uint32_t pid, const char *fp);

void cw_lineage_exit(struct cw_lineage *l, uint32_t pid);

#endif
