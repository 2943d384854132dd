/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Exposure: what a credential's movements mean, given where it came from. Loads (a watched
 * file read, an exec's environment or argv) go into the provenance store and make the loading
 * workload an owner (file and env only); uses (egress) by a workload that is not an owner, a
 * credential file read by a process outside its allowed readers, one credential loaded by
 * several workloads, a long-lived credential, one loaded from a file baked into a container
 * image: each is an alert, deduplicated per credential x workload x action per window.
 */
#ifndef CW_EXPOSURE_H
#define CW_EXPOSURE_H

#include <stdbool.h>
#include <stdint.h>

#include "detect/matcher.h"
#include "host/procs.h"
#include "host/workload.h"
#include "judge/dedup.h"
#include "judge/lineage.h"
#include "judge/policy.h"
#include "judge/provenance.h"
#include "output/finding.h"

/* Who did it. */
struct cw_actor {
	uint32_t pid, uid;
	uint32_t ppid;			  /* for an exec: its environment's parent (else 0) */
	uint64_t start_ns, ppid_start_ns; /* for an exec: their start times (else 0) */
	uint64_t cgroup_id;
	const char *exe;  /* "" when unknown */
	const char *comm; /* "" when unknown */
	uint64_t ktime_ns;
};

struct cw_exposure {
	struct cw_finding_writer *f;
	const struct cw_policy *policy;
	struct cw_provenance *prov;
	struct cw_workloads *wls;
	struct cw_procs *procs;	    /* process trees (host workloads); NULL: none */
	struct cw_lineage *lineage; /* credentials inherited in environments */
	struct cw_dedup dedup;
	int64_t (*now)(void); /* unix seconds; replaceable in tests */
	double last_save;     /* of the provenance store: CLOCK_MONOTONIC s, 0 never */
	bool save_failing;
	/* counters */
	uint64_t loads, egress_alerts, reader_alerts, shared_alerts, long_lived_alerts,
		hardcoded_alerts, suppressed;
};

int cw_exposure_init(struct cw_exposure *x, struct cw_finding_writer *f, const struct cw_policy *p,
		     struct cw_provenance *prov, struct cw_workloads *wls);
void cw_exposure_free(struct cw_exposure *x);

/*
 * The subject (for policy) and workload key (for ownership) of an actor: its cgroup's key
 * (pod, container, systemd unit, login session; see workload.h), else its process tree on the
 * host, "tree:EXE uid:UID" (EXE the executable at the top of the tree, the ancestor init
 * started), else, when the tree cannot be known, "exe:EXE uid:UID" of its own.
 */
void cw_exposure_subject(struct cw_exposure *x, const struct cw_actor *a, struct cw_subject *s,
			 char key[CW_PROV_STR]);

/* Where a loaded credential came from. */
struct cw_load {
	enum cw_prov_source source;
	const char *detail;   /* path or variable name ("" for argv) */
	bool in_image;	      /* file: lives in the container's image layer */
	uint32_t environ_pid; /* file is /proc/PID/environ of another process: its pid */
	char *workload_out;   /* NULL, or gets (CW_PROV_STR bytes) the workload it is judged
			       * a load of: the loader's, or the one it inherited it from */
};

/*
 * A credential was loaded. Records it, then emits what applies: credential-unexpected-reader
 * (file, reader denied), credential-hardcoded (in_image), credential-shared (a second
 * workload), credential-long-lived. Observations of a load are the caller's to print (the
 * file and exec handlers do, with events on). Returns 0 or -errno (an output error).
 */
int cw_exposure_load(struct cw_exposure *x, const struct cw_match *m, const char *fp_hex,
		     const struct cw_actor *a, const struct cw_load *l);

/* The verdict on a credential an actor sends. */
struct cw_egress_verdict {
	bool known;			      /* the credential has owners (loads or policy) */
	bool not_owner;			      /* the sender is not among them: credential-egress */
	const struct cw_prov_cred *cred;      /* provenance, when known */
	const struct cw_policy_cred *binding; /* explicit policy binding, or NULL */
	char sender[CW_PROV_STR];	      /* the sender's workload key */
};

/* Judge and record a use; destination "domain:port" or "ip:port" or "". */
void cw_exposure_egress(struct cw_exposure *x, const struct cw_match *m, const char *fp_hex,
			const struct cw_actor *a, const char *destination,
			struct cw_egress_verdict *v);
/* Destination globs for the credential: the policy binding's, else its rule's. */
const struct cw_strv *cw_exposure_destinations(const struct cw_egress_verdict *v,
					       const struct cw_rule *r);

/* "credwatch.credential" members describing its origin: origin_workload, source, owners. */
void cw_exposure_origin_json(struct cw_exposure *x, const struct cw_egress_verdict *v);

/*
 * Deduplication: true when this (fingerprint, workload, action) should be reported now;
 * *count gets how many occurrences the report stands for (this one and those suppressed
 * since the last report).
 */
bool cw_exposure_dedup(struct cw_exposure *x, const char *fp_hex, const char *workload,
		       const char *action, uint64_t *count);

/* Process pid (started at start_ns) exec'd at exec_ns: every exec, before its findings. */
void cw_exposure_exec(struct cw_exposure *x, uint32_t pid, uint64_t start_ns, uint64_t exec_ns);
/* Process pid exited (its environment's credentials are kept a while for its children). */
void cw_exposure_exit(struct cw_exposure *x, uint32_t pid);

/* Periodic work: save the provenance store when it changed. Returns 0 or -errno. */
int cw_exposure_tick(struct cw_exposure *x);

#endif
