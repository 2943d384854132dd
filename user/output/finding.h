/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The finding writer: alerts and observations as ECS-shaped JSON lines. It renders what the
 * event handlers and the exposure judge decided, and decides nothing itself; it knows the
 * host (name, clock, the workload of a cgroup) and the fingerprint key.
 */
#ifndef CW_FINDING_H
#define CW_FINDING_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "detect/fingerprint.h"
#include "detect/matcher.h"
#include "host/workload.h"
#include "util/json_writer.h"

struct cw_exposure;
struct cw_procs;

struct cw_finding_writer {
	const struct cw_fp_key *key;
	FILE *out;
	bool events;		 /* also print observations (event.kind "event") */
	int64_t mono_to_real_ns; /* add to a bpf_ktime_get_ns() value for wall time */
	char host[256];
	struct cw_workloads *wls; /* workload identity of each finding; may be NULL */
	/*
	 * Where a finished finding goes (the outputs, output/outputs.h): line is the JSON object
	 * without a newline. NULL: written to out as a line.
	 */
	int (*put)(void *arg, const char *line, size_t len, const char *event_id, bool alert);
	void *put_arg;
	/* the finding being built */
	bool cur_alert;
	char cur_id[40]; /* its event.id */
	/* counters */
	uint64_t alerts;
	uint64_t observations;
	/* the line being built */
	struct cw_json j;
};

int cw_finding_writer_init(struct cw_finding_writer *f, const struct cw_fp_key *key, FILE *out,
			   bool events);
void cw_finding_writer_free(struct cw_finding_writer *f);

/* ECS event.severity: a demoted finding (its checksum fails) should not page anyone. */
#define CW_SEVERITY_HIGH 73
#define CW_SEVERITY_LOW 21

/*
 * Building blocks of one finding line, in this order: begin (timestamp, event), credential
 * (rule, and a "credential" object left open for the caller's origin details: close it),
 * the caller's own objects, host (user, host, and a "credwatch" object left open: close it),
 * optionally threat, then emit (closes the line and writes it).
 */
void cw_finding_begin(struct cw_finding_writer *f, uint64_t ktime_ns, bool alert,
		      const char *action, int severity, const char *category, const char *type);
void cw_finding_credential(struct cw_finding_writer *f, const struct cw_match *m,
			   const char *origin);
/*
 * A "credential" object, left open: its redacted form, fingerprint and classification (also
 * what `credwatch scan` prints for a finding).
 */
void cw_finding_credential_open(struct cw_json *j, const struct cw_match *m, const char *redacted,
				const char *fingerprint);
/*
 * user, host, the workload's container / orchestrator members when f->wls is set, and the
 * "credwatch" object left open with the cgroup and "workload": the judged workload key when
 * given (NULL: the cgroup's, when it has one).
 */
void cw_finding_host(struct cw_finding_writer *f, uint32_t pid, uint32_t uid, uint64_t cgroup_id,
		     const char *workload);

/* OWASP Non-Human Identity Top 10 (2025) risks our findings map to. */
enum cw_nhi {
	CW_NHI_SECRET_LEAKAGE = 2,
	CW_NHI_LONG_LIVED = 7,
	CW_NHI_REUSE = 9,
	CW_NHI_HUMAN_USE = 10,
};
void cw_finding_threat(struct cw_finding_writer *f, enum cw_nhi nhi, const char *message);
int cw_finding_emit(struct cw_finding_writer *f);

#endif
