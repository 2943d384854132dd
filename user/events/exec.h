/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The exec handler: credentials in a new program's argv and environment. A credential in
 * argv is an alert (credential-in-argv): every local user can read any process's argv
 * through /proc/PID/cmdline. A credential in the environment is only an observation
 * (credential-observed, printed with events on): that is where workloads are meant to get
 * them. With an exposure judge, each is also a load of the credential: the environment
 * makes its workload an owner, argv is only recorded.
 */
#ifndef CW_EXEC_H
#define CW_EXEC_H

#include <stddef.h>

#include "events/decoder.h"
#include "events/handler.h"

struct cw_exec {
	struct cw_finding_writer *f;
	struct cw_matcher *matcher;
	struct cw_exposure *x;	/* provenance and policy; NULL: findings only */
	struct cw_procs *procs; /* executables by pid; may be NULL */
	/* argv or env with its NUL separators replaced, for matching */
	char *buf;
	size_t buf_cap;
	/* told the API server address a pod was given (judge/apiserver.h); may be NULL */
	struct cw_apiservers *apis;
	struct cw_workloads *wls; /* the pod an exec runs in, for the above; may be NULL */
};

void cw_exec_init(struct cw_exec *e, const struct cw_handler_deps *d);
void cw_exec_free(struct cw_exec *e);

/* The findings of one exec event. Returns 0 or -errno (an output error). */
int cw_exec_handle(struct cw_exec *e, const struct cw_event *ev);

#endif
