/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * run's options, shared: a command that runs the agent as `run` does (trace) parses run's
 * option table with its own options added, and runs the agent its way.
 */
#ifndef CW_CLI_RUN_H
#define CW_CLI_RUN_H

#include <getopt.h>
#include <stdio.h>

#include "agent/agent.h"
#include "util/tracefile.h"

/* The extra options' codes (struct option val) start here (run's are below). */
#define CW_RUN_EXTRA_FIRST 0x200

struct cw_run_extra {
	const char *name;	   /* the command, for messages */
	const struct option *opts; /* its long options, { 0 }-terminated */
	const char *shortopts;	   /* its short options ("o:"), NULL none */
	void (*reset)(void *arg);  /* before each parse (the flags are parsed again on SIGHUP) */
	int (*flag)(void *arg, int c, const char *optarg); /* 0, or -1 (the reason printed) */
	void (*usage)(FILE *f);				   /* its --help */
	int (*go)(void *arg, struct cw_agent_opts *o);	   /* the exit status */
	void *arg;
};

/* Parse run's options (config file, flags) plus x's, then run x->go (NULL x: run itself). */
int cw_run_command(int argc, char **argv, const struct cw_run_extra *x);

/* The strings a trace header points into. */
struct cw_run_header_buf {
	char host[256], kernel[65], boot_id[64], digest[65];
};

/*
 * What a trace file's header says of this agent (`credwatch trace`, the flight recorder's
 * dumps): the host as its findings name it, the kernel, the boot id, the version and the
 * digest of the rules o names. h points into b. 0, or 1 when the rules do not load (logged).
 */
int cw_run_trace_header(const struct cw_agent_opts *o, struct cw_run_header_buf *b,
			struct cw_trace_header *h);

#endif
