/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The finding writer: alerts and observations as ECS JSON lines. It renders what the event
 * handlers and the exposure judge decided, and decides nothing itself; it knows the host
 * (name, clock, the workload of a cgroup) and the fingerprint key. Every member outside
 * "credwatch" is an ECS field of ECS's type (CW_ECS_VERSION; tests/e2e/ecs_check.py checks
 * each line against that version's field list); the credential itself and everything else of
 * ours is under "credwatch".
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

/* The ECS version the lines follow: the version of tests/specs/ecs/fields.csv. */
#define CW_ECS_VERSION "9.5.0-dev"
/* An event.id: a random (version 4) UUID, 36 characters. */
#define CW_EVENT_ID_LEN 36

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
	/*
	 * The trace file that holds an alert's moments (a recorder, agent/tap.h), asked once per
	 * alert with its event's time: non-NULL puts it in credwatch.trace.path. NULL: never
	 * asked; observations never ask.
	 */
	const char *(*trace_path)(void *arg, uint64_t ktime_ns);
	void *trace_arg;
	/*
	 * A replay (`credwatch replay`): each finding names the trace (credwatch.replay.trace)
	 * and when the replay ran (credwatch.replay.time), and its event.id is derived from
	 * id_seed and the finding's ordinal (a name-based UUID, cw_event_id_derived) rather than
	 * random, so that two replays of one trace print the same ids. NULL replay_trace: live.
	 */
	const char *replay_trace;
	char replay_time[64];
	unsigned char id_seed[32];
	uint64_t ordinal;
	/* the finding being built (valid during put) */
	bool cur_alert;
	char cur_id[CW_EVENT_ID_LEN + 1]; /* its event.id */
	const char *cur_action;		  /* its event.action */
	const char *cur_rule;		  /* its rule.id */
	uint64_t cur_ktime;		  /* its event's time */
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
 * Building blocks of one finding line, in this order: begin (timestamp, event with a new
 * event.id, ecs, the rule of m), the caller's own ECS objects (process, file, destination...),
 * host (user, host, container, and a "credwatch" object left open), credential (a
 * "credential" object inside it, left open for the caller's origin details: close it), the
 * caller's own "credwatch" members (close it), optionally threat, then emit (closes the line
 * and writes it). action must outlive the finding (a literal).
 */
void cw_finding_begin(struct cw_finding_writer *f, uint64_t ktime_ns, bool alert,
		      const char *action, int severity, const char *category, const char *type,
		      const struct cw_match *m);
void cw_finding_credential(struct cw_finding_writer *f, const struct cw_match *m,
			   const char *origin);
/* A new event.id (random version 4 UUID) in out[CW_EVENT_ID_LEN + 1]. */
void cw_event_id(char *out);
/* A name-based event.id: the first 16 bytes of SHA-256(seed ‖ ordinal as 8 little-endian
 * bytes), as a version 8 (RFC 9562, custom) UUID, in out[CW_EVENT_ID_LEN + 1]. */
void cw_event_id_derived(const unsigned char seed[32], uint64_t ordinal, char *out);
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
