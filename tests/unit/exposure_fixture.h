/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * An exposure judge as the agent sets it up, for tests: the embedded rules and policy (or
 * the policy given), a random fingerprint key, an in-memory provenance store, an empty
 * cgroup tree (every actor is named by executable and uid), findings written to memory, and
 * a clock the test moves (xfx_now).
 */
#ifndef CW_TEST_EXPOSURE_FIXTURE_H
#define CW_TEST_EXPOSURE_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "detect/fingerprint.h"
#include "detect/matcher.h"
#include "detect/rules.h"
#include "events/handler.h"
#include "host/podmeta.h"
#include "host/workload.h"
#include "judge/exposure.h"
#include "judge/policy.h"
#include "judge/provenance.h"
#include "output/finding.h"

struct xfx {
	const struct cw_ruleset *rs;
	struct cw_matcher *m;
	struct cw_fp_key key;
	char dir[256];
	char *out;
	size_t outlen;
	FILE *f;
	struct cw_finding_writer fd;
	struct cw_policy pol;
	struct cw_provenance prov;
	struct cw_workloads *wls;
	struct cw_pods *pods; /* the pod metadata the workloads are joined to */
	struct cw_exposure x;
	struct cw_handler_deps deps; /* for a handler under test: all of the above */
	const struct cw_rule *gh;    /* github-pat-classic */
};

/* The judge's clock, unix seconds: tests move it. */
extern int64_t xfx_now;

/*
 * A pod on the fixture's node, for actors in it (their cgroup_id): a kubepods cgroup with
 * the pod's UID and a containerd container id, its /var/log/pods directory (namespace, name,
 * one container), and its metadata meta (a Pod object as the API server returns it; NULL:
 * not learned yet) in the metadata cache the workloads are joined to. Returns the cgroup
 * id, 0 (a test failure recorded) when it cannot.
 */
uint64_t xfx_pod(struct xfx *x, const char *ns, const char *name, const char *uid,
		 const char *container, const char *id, const json_t *meta);

/* policy_yaml NULL: the embedded policy. false (a test failure recorded) when it cannot. */
bool xfx_setup(struct xfx *x, const char *policy_yaml);
void xfx_teardown(struct xfx *x);

#endif
