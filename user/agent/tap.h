/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The agent's tap: what a recorder (user/trace/: `credwatch trace`, the flight recorder) is
 * handed while the agent runs. Every ring-buffer record as the kernel sent it, before it is
 * handled; what the agent learnt from the host while handling it (a process's executable, a
 * cgroup's workload, a file's bytes it read itself); its clock. Records are opaque here: a type
 * (CW_TAP_*), a timestamp and bytes; trace/ gives them their meaning and writes them. No tap
 * (NULL record): nothing is recorded and nothing costs.
 */
#ifndef CW_AGENT_TAP_H
#define CW_AGENT_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Record types, shared by the trace file and the flight recorder (docs/forensics.md). */
enum cw_tap_type {
	CW_TAP_RAW = 1, /* a ring-buffer record, byte for byte (ts: its ktime, CLOCK_MONOTONIC) */
	CW_TAP_HOST,	/* what the agent read from the host (trace/record.h gives the layout) */
	CW_TAP_TICK,	/* the agent's periodic work ran at ts (CLOCK_MONOTONIC) */
	CW_TAP_CLOCK,	/* the wall clock: data is int64 ns to add to a CLOCK_MONOTONIC time */
	CW_TAP_MAX
};

struct cw_tap {
	/* one record; called on the agent's poll thread only */
	void (*record)(void *arg, uint16_t type, uint64_t ts_ns, const void *data, size_t len);
	/*
	 * An alert is being written (ktime_ns: its event's time): the trace file that holds
	 * the moments around it, to name in the alert (credwatch.trace.path), or NULL.
	 */
	const char *(*alert)(void *arg, uint64_t ktime_ns);
	void *arg;
};

/*
 * What the agent knows now, handed to tap->record as if just learnt: a CW_TAP_CLOCK record,
 * then CW_TAP_HOST records of its settings (CW_HOST_SETTING), every process its table
 * remembers (CW_HOST_PROC_STATE) and every workload its cache holds (CW_HOST_WORKLOAD). A
 * recorder calls it when it starts a file that must replay on its own (a rotation, a
 * flight-recorder dump), on the poll thread. From inside its own record() or alert() is fine,
 * whatever record it is handling: the records arrive re-entrantly, in order, before it
 * returns, and the bytes it was handed stay as they were. Start files at a CW_TAP_RAW or
 * CW_TAP_TICK record: the CW_TAP_HOST records after one belong to it. Nothing when tap is not
 * the running agent's.
 *
 * Record order, what a reader relies on: CW_TAP_CLOCK first (at the start and whenever the
 * wall clock offset changes); each CW_TAP_RAW is followed by the CW_TAP_HOST records of what
 * its handling asked the host, and each CW_TAP_TICK by those of its work. Host records carry
 * the time of the record they follow.
 */
void cw_agent_tap_state(const struct cw_tap *tap);

#endif
