/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The flight recorder (`credwatch run --flight-recorder SECONDS`, docs/forensics.md): the last
 * N seconds of the agent's tap records, kept compressed in memory within a byte bound, written
 * to a trace file when an alert fires: the agent's state (cw_agent_tap_state), that window,
 * and the N seconds after the alert, so `credwatch replay` runs on the file alone.
 *
 * Threads: the tap's record() and alert() run on the agent's poll thread and only copy bytes
 * into a buffer of about a chunk; a full buffer goes to the recorder's worker thread, which
 * compresses it (util/tracefile.h's encoder), keeps it, drops what is too old or over the
 * bound, and writes the dumps. The poll thread never compresses nor writes a chunk.
 */
#ifndef CW_TRACE_FLIGHT_H
#define CW_TRACE_FLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/metrics.h"
#include "agent/tap.h"
#include "util/tracefile.h"

#define CW_FLIGHT_DIR_DEFAULT "/var/lib/credwatch/traces"
#define CW_FLIGHT_MEMORY_DEFAULT (64ull << 20)
#define CW_FLIGHT_DISK_DEFAULT (1ull << 30)
#define CW_FLIGHT_MAX_DUMPS_DEFAULT 6 /* per hour */
#define CW_FLIGHT_SECONDS_MAX 3600
#define CW_FLIGHT_MEMORY_MIN (1ull << 20)
/* Records are buffered into chunks of at most this many raw bytes (less for a small bound). */
#define CW_FLIGHT_CHUNK_RAW (1u << 20)
/* A dump that alerts keep extending closes at the latest this many windows after its first. */
#define CW_FLIGHT_EXTEND_MAX 5

struct cw_flight_opts {
	unsigned seconds;      /* the window before an alert and the time recorded after it */
	uint64_t memory;       /* bytes the kept records may take (compressed + buffered) */
	uint64_t disk;	       /* bytes the dir's flight traces may take */
	unsigned max_dumps;    /* dumps started per hour */
	const char *dir;       /* NULL: CW_FLIGHT_DIR_DEFAULT */
	const char *recipient; /* PEM X25519 public key file; NULL: plaintext (warned once) */
	struct cw_trace_header header; /* host, kernel, boot id, version, rules digest */
	/*
	 * The agent's state re-emitted through the tap (agent/tap.h cw_agent_tap_state) when a
	 * dump starts; NULL: that function. A test hands its own.
	 */
	void (*state)(const struct cw_tap *tap);
};

struct cw_flight;

/*
 * A recorder with its worker thread; *tap is what the agent is handed (cw_agent_opts.tap).
 * The dir is created (0700) when missing. 0, or -errno with the reason in err.
 */
int cw_flight_new(const struct cw_flight_opts *o, struct cw_flight **f, const struct cw_tap **tap,
		  char *err, size_t errlen);
/* Wait until the worker has handled every buffer and dump handed to it so far (tests). */
void cw_flight_sync(struct cw_flight *f);
/*
 * Hand the buffered records to the worker now (as when a buffer fills); with the sync above,
 * a test sees every record recorded so far in the kept chunks.
 */
void cw_flight_seal(struct cw_flight *f);
/* The counters (thread-safe). */
void cw_flight_stats(struct cw_flight *f, struct cw_flight_stats *s);
/* For cw_agent_opts.flight_stats: arg is the recorder. */
void cw_flight_stats_cb(void *arg, struct cw_flight_stats *s);
/*
 * Stop: an open dump is finished with what was recorded until now, the worker joined, and one
 * summary line logged. NULL is fine.
 */
void cw_flight_free(struct cw_flight *f);

#endif
