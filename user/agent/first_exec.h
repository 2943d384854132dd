/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A new executable's first instruction runs only after its TLS probes are in place. The exec
 * probe stops (SIGSTOP) the first exec of an executable the kernel's exe_seen map does not
 * know; the hold thread here inspects it (tls_attach.h), marks it seen and sends SIGCONT.
 * A watchdog process, forked at the start, releases whatever is held past
 * CW_HOLD_DEADLINE_MS, and everything held when the agent dies: a process is never left
 * stopped by credwatch. A process someone else stopped while it was held stays stopped.
 */
#ifndef CW_FIRST_EXEC_H
#define CW_FIRST_EXEC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "credwatch.h"
#include "agent/seccomp.h"

struct credwatch_bpf;
struct cw_tls_attach;
struct ring_buffer;

#define CW_HOLD_WAITS 1024 /* the last holds' durations, for the percentiles */

/* What became of holds; shared with the watchdog (a MAP_SHARED page), updated atomically. */
struct cw_hold_counts {
	uint64_t released;     /* by the agent, probes in place */
	uint64_t deadline;     /* by the watchdog, past the deadline, agent alive */
	uint64_t orphaned;     /* by the watchdog, the agent gone */
	uint64_t left_stopped; /* someone else stopped it meanwhile: not continued */
	uint64_t gone;	       /* it ended (killed) while held */
	uint64_t denied;       /* SIGCONT refused (an LSM): holding goes off */
	uint64_t paused;       /* times holding was switched off, the agent behind */
	uint32_t tripped;      /* holding is off until the agent catches up */
};

struct cw_first_exec {
	bool on;
	struct cw_tls_attach *tls;
	bool *hold_on; /* the kernel's switch (.bss of the BPF object) */
	int held_fd, seen_fd, skips_fd, ncpus;
	struct ring_buffer *rb;
	pthread_t thread;
	bool started;
	volatile bool stop;
	pid_t watchdog;
	int watchdog_fd;   /* the pipe's write end: closed, the watchdog releases all and exits */
	unsigned delay_ms; /* CREDWATCH_TEST_HOLD_DELAY_MS: a slow inspection, for tests */
	struct cw_hold_counts *c;
	/* hold durations (exec to SIGCONT), the last CW_HOLD_WAITS; written by the hold thread */
	pthread_mutex_t lock;
	uint32_t waits_us[CW_HOLD_WAITS];
	uint64_t nwaits;
	uint64_t inspected, with_probes;
};

/* Hold durations, in ms, over the last CW_HOLD_WAITS holds (zero when none). */
struct cw_hold_waits {
	uint64_t n; /* holds released by the agent since the start */
	double p50_ms, p99_ms, max_ms;
};

/* What became of the first execs of new executables, for the summary and the metrics. */
struct cw_hold_stats {
	bool on;
	uint64_t held, continued, deadline, orphaned, left_stopped, gone, paused, denied;
	uint64_t traced, terminal_jobs, full, signal_failed, no_exe; /* not held: why */
	struct cw_hold_waits waits;
};

/*
 * Start holding new executables: fork the watchdog, start the hold thread, turn the kernel's
 * switch on. Called after the probes are attached and the TLS attachments initialised; on any
 * failure holding stays off (one log line) and the agent runs as before. 0 or -errno.
 */
int cw_first_exec_start(struct cw_first_exec *fe, struct credwatch_bpf *skel,
			struct cw_tls_attach *tls, int ncpus, enum cw_seccomp_mode seccomp);
/* Switch holding off, release what is held, stop the thread and the watchdog. */
void cw_first_exec_stop(struct cw_first_exec *fe);

/* Execs of new executables by enum cw_hold_skip, summed over the CPUs. */
void cw_first_exec_skips(const struct cw_first_exec *fe, uint64_t out[CW_HOLD_SKIP_MAX]);
void cw_first_exec_waits(const struct cw_first_exec *fe, struct cw_hold_waits *w);
void cw_first_exec_stats(const struct cw_first_exec *fe, struct cw_hold_stats *s);

/* p in [0, 1] of n values (sorted in place), by the nearest rank. */
uint32_t cw_hold_percentile(uint32_t *v, size_t n, double p);

#endif
