/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the event handlers (exec, connections, files) are given at init: each keeps the
 * pointers it uses, so that none reaches through another's struct to find them.
 */
#ifndef CW_HANDLER_H
#define CW_HANDLER_H

#include "detect/matcher.h"
#include "host/procs.h"
#include "host/workload.h"
#include "judge/apiserver.h"
#include "judge/exposure.h"
#include "judge/policy.h"
#include "output/finding.h"

struct cw_handler_deps {
	struct cw_finding_writer *f;	/* where findings go */
	struct cw_matcher *matcher;	/* each handler opens its streams on it */
	struct cw_exposure *x;		/* the judge (provenance, policy); NULL: findings only */
	struct cw_procs *procs;		/* executables by pid; may be NULL */
	struct cw_workloads *wls;	/* workload identity; may be NULL */
	const struct cw_policy *policy; /* the watch list and who may read what */
	struct cw_apiservers *apis;	/* where the API server is (exec learns); may be NULL */
};

#endif
