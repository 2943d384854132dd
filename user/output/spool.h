/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * One output's durable queue: rendered findings appended to segment files under the output's
 * own directory (0700, files 0600), each record framed by its length and a CRC-32, read back
 * in order by the output's delivery thread and acknowledged by sequence number. The ack cursor
 * is persisted atomically (a file renamed over the old one); a segment is deleted once every
 * record in it is acknowledged. Opening a spool recovers it: a torn last record (the agent
 * killed mid-write) is cut off, acknowledged segments go, reading resumes after the cursor.
 *
 * Bounded: past the high-water mark (7/8 of the bound) observations are refused, alerts only
 * when the bound itself is reached; each refusal is counted. A record holds only what the
 * output renders (redacted findings), never a plaintext secret.
 *
 * Thread-safe: the agent appends while the delivery thread reads, acknowledges and syncs.
 * dir NULL makes a memory-only queue with the same bound (an output's spool=off).
 */
#ifndef CW_SPOOL_H
#define CW_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/output_spec.h"

#define CW_SPOOL_REC_MAX (16u << 20) /* a record larger than this is refused as corrupt */
#define CW_SPOOL_ID_MAX 63

struct cw_spool;

/* A record read back (data malloc'ed: cw_spool_rec_free). */
struct cw_spool_rec {
	uint64_t seq;	 /* 1, 2, ... in append order */
	int64_t time_ms; /* wall-clock time it was appended */
	bool alert;
	char event_id[CW_SPOOL_ID_MAX + 1];
	char *data;
	size_t len;
};

struct cw_spool_stats {
	uint64_t bytes;		 /* on disk (memory for spool=off), acknowledged or not */
	uint64_t max;		 /* the bound */
	uint64_t queued;	 /* appended, not acknowledged */
	uint64_t unread;	 /* not yet read by the delivery thread */
	uint64_t refused_alerts; /* appends refused: full, or the disk refused the write */
	uint64_t refused_events; /* observations refused: past the high-water mark */
	uint64_t torn;		 /* bytes cut off at open: a record the agent left half-written */
	int64_t unread_time_ms;	 /* append time of the first unread record; 0: none */
};

/* Open (creating it) the spool in dir, NULL for memory only. 0, or -errno and a reason. */
int cw_spool_open(const char *dir, uint64_t max_bytes, struct cw_spool **out, char *err,
		  size_t errlen);

/*
 * Append one record. 0; -ENOBUFS: refused by the bound (an observation past the high-water
 * mark, an alert past the bound); -E2BIG: larger than CW_SPOOL_REC_MAX; another -errno: the
 * write failed (nothing of it stays). Each refusal is counted in the stats.
 */
int cw_spool_append(struct cw_spool *s, const char *data, size_t len, const char *event_id,
		    bool alert);

/*
 * Findings staged by the appending thread for one append (cw_spool_append_batch): each
 * encoded once, in its on-disk form, so that a ring-buffer loop's findings go to the disk in
 * one write. recs[i].ret says after the append what became of each.
 */
struct cw_spool_staged {
	size_t off;    /* in buf */
	uint32_t body; /* its body's length */
	bool alert;
	int ret;      /* after the append: 0, or as cw_spool_append's */
	uint64_t seq; /* after the append, when ret is 0 */
};

struct cw_spool_batch {
	unsigned char *buf;
	size_t len, cap;
	struct cw_spool_staged *recs;
	size_t n, recs_cap;
};

/* Stage a record: 0, -E2BIG, -ENOMEM. */
int cw_spool_batch_add(struct cw_spool_batch *b, const char *data, size_t len, const char *event_id,
		       bool alert);

/*
 * Append every staged record, in order, in as few writes as the segments allow (one, mostly);
 * each record's outcome in recs[i].ret, as cw_spool_append's. The batch is left as it is.
 * Appends come from one thread at a time.
 */
void cw_spool_append_batch(struct cw_spool *s, struct cw_spool_batch *b);
void cw_spool_batch_clear(struct cw_spool_batch *b);
void cw_spool_batch_free(struct cw_spool_batch *b);

/* Up to max records after the last one read, in order, into out[]: how many. */
size_t cw_spool_read(struct cw_spool *s, struct cw_spool_rec *out, size_t max);
void cw_spool_rec_free(struct cw_spool_rec *r);

/* Every record up to seq is delivered: persist the cursor, delete what it frees. 0 or -errno. */
int cw_spool_ack(struct cw_spool *s, uint64_t seq);

/* fdatasync what was appended since the last call (and new segment names): 0 or -errno. */
int cw_spool_sync(struct cw_spool *s);

void cw_spool_stats(struct cw_spool *s, struct cw_spool_stats *st);

/* Sync and close; the files stay for the next open. NULL is a no-op. */
void cw_spool_close(struct cw_spool *s);

/*
 * The directory name of an output's spool, stable across restarts and option changes that do
 * not change where or how it delivers: KIND-HOST-PORT-HASH (HASH of the target and format).
 */
void cw_spool_dir_name(const struct cw_output_spec *o, char *buf, size_t cap);

#endif
