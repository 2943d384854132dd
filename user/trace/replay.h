/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Replay (`credwatch replay`): a trace's records through run's own pipeline (agent.h
 * cw_agent_replay_*), with the host answering from the recorded answers and the judge's clock
 * the recorded one. Same trace and rules: the same findings, byte for byte but for
 * credwatch.replay.time (event.id is derived from the trace's identity and the finding's
 * ordinal).
 */
#ifndef CW_TRACE_REPLAY_H
#define CW_TRACE_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/agent.h"
#include "detect/rules.h"
#include "util/tracefile.h"

/* Each finding line (JSON, no newline): 0, or -errno to stop the replay. */
typedef int (*cw_replay_line_fn)(void *arg, const char *line, size_t len, bool alert);

struct cw_replay_stats {
	uint64_t records, raw, host, ticks;
	uint64_t first_ns, last_ns; /* CLOCK_MONOTONIC of the first and last event or tick */
	unsigned long long alerts, observations;
	unsigned skipped;  /* damaged chunks */
	bool rules_differ; /* the rules digest is not the recording's */
	bool cut_off;	   /* no footer index: the recording did not close the file */
};

/*
 * Replay the trace at path. key: the private key of an encrypted trace (NULL: none). o: the
 * pipeline's options as `run` takes them (rules, policy, outputs, events...; state, kube and
 * host root are ignored). line: when set, each finding goes to it instead of o's outputs
 * (the timeline's way in). name: what credwatch.replay.trace says (NULL: path).
 * Returns 0; 1 when findings could not be written; or -errno with the reason in err when the
 * trace cannot be opened (-ENOKEY, -EKEYREJECTED: a key problem; the caller's exit 2).
 * Damaged chunks are warned about (the reader's messages, naming offsets) and skipped.
 */
int cw_replay_run(const char *path, const struct cw_trace_key *key, const struct cw_agent_opts *o,
		  cw_replay_line_fn line, void *arg, const char *name, struct cw_replay_stats *st,
		  char *err, size_t errlen);

/* o as `credwatch replay` starts from: every field zero but state "none", the default file
 * cap, pod metadata off; then set rules_dir, policy, events, outputs... as wanted. */
void cw_replay_opts_default(struct cw_agent_opts *o);

/* SHA-256 of the rules' canonical text, 64 hex (the header's rules digest). */
void cw_rules_digest(const struct cw_ruleset *rs, char out[65]);

#endif
