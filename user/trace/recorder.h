/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The recorder behind `credwatch trace`: the agent's tap (agent/tap.h) writing a trace file
 * (util/tracefile.h), rotated at a size (FILE, FILE.1, FILE.2, ... each opening with the
 * agent's state, so each replays on its own), filtered to some processes, flushed at least
 * once a second (a crash loses at most a second), never fsync'ed per record. Runs on the
 * agent's poll thread.
 */
#ifndef CW_TRACE_RECORDER_H
#define CW_TRACE_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/tap.h"
#include "util/tracefile.h"

#define CW_RECORDER_FILTERS_MAX 32 /* of each kind */

/*
 * Which processes are recorded: with no filter, all. Else a process is recorded when it
 * matches any filter given, or its parent was recorded when it exec'd (descendants follow).
 * Records of other processes are not written; records that belong to no process (cgroups
 * made and removed, a record the decoder refuses) always are.
 */
struct cw_recorder_filters {
	uint32_t pids[CW_RECORDER_FILTERS_MAX];
	size_t npids;
	uint64_t cgroups[CW_RECORDER_FILTERS_MAX]; /* ids; a PATH given is resolved to its id */
	size_t ncgroups;
	const char *pods[CW_RECORDER_FILTERS_MAX]; /* NAME or NAMESPACE/NAME */
	size_t npods;
	const char *containers[CW_RECORDER_FILTERS_MAX]; /* id (a prefix of 12+) or name */
	size_t ncontainers;
	const char *exes[CW_RECORDER_FILTERS_MAX]; /* path or fnmatch glob */
	size_t nexes;
	const char *proc; /* where /proc is: NULL "/proc" */
};

struct cw_recorder_opts {
	const char *path;
	uint64_t max_size;		      /* 0: no rotation */
	const struct cw_trace_key *recipient; /* NULL: plaintext (0600) */
	struct cw_trace_header header;	      /* start_ns 0: now */
	struct cw_recorder_filters filters;
	/* Stop the agent (SIGTERM to this process, a stop like any other) this many seconds
	 * after the first record, when the agent's signal handling is in place; 0: never. */
	uint64_t duration_s;
};

struct cw_recorder_stats {
	uint64_t records;  /* written */
	uint64_t raw;	   /* bytes of records written, before compression */
	uint64_t disk;	   /* bytes of the files */
	uint64_t filtered; /* records left out by the filters */
	unsigned files;
	int error; /* the first write error (-errno), 0 none */
};

struct cw_recorder;

/* Create the first file (refusing one that exists). 0, or -errno with err. */
int cw_recorder_open(const struct cw_recorder_opts *o, struct cw_recorder **out, char *err,
		     size_t errlen);
/* The tap to hand the agent (valid until close). */
const struct cw_tap *cw_recorder_tap(struct cw_recorder *r);
/* The file being written now. */
const char *cw_recorder_path(const struct cw_recorder *r);
/* Close the file (its footer index), free r, the totals in *st. 0, or -errno with err. */
int cw_recorder_close(struct cw_recorder *r, struct cw_recorder_stats *st, char *err,
		      size_t errlen);

/* "FILE" for n 0, "FILE.n" after, into out. */
void cw_recorder_file_name(const char *path, unsigned n, char *out, size_t outlen);

#endif
