/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The meaning of a trace's records (docs/forensics.md "Records"). A trace file (util/
 * tracefile.h) holds opaque records: a type, a timestamp and bytes; the agent's tap
 * (agent/tap.h) gives them their types:
 *
 *   CW_TAP_RAW    ts: the event's ktime (CLOCK_MONOTONIC). Bytes: the ring-buffer record as the
 *                 kernel sent it (include/credwatch.h), malformed ones included.
 *   CW_TAP_HOST   ts: that of the record it follows. Bytes: u16 kind (host/hosttap.h
 *                 CW_HOST_*), u16 0, u32 key length K, u32 value length V, K key bytes, V
 *                 value bytes. What the agent learnt from the host while handling the RAW or
 *                 TICK record before it; each kind's key and value are in hosttap.h.
 *   CW_TAP_TICK   ts: CLOCK_MONOTONIC when the agent's periodic work ran. No bytes.
 *   CW_TAP_CLOCK  ts: CLOCK_MONOTONIC when it was taken. Bytes: i64 ns to add to a
 *                 CLOCK_MONOTONIC time for the wall clock (ns since the epoch).
 *
 * Every integer is little-endian. Decoders check every length against the bytes they are
 * given and never read past them (a fuzz target, tests/fuzz/fuzz_record.c, holds them to it).
 */
#ifndef CW_TRACE_RECORD_H
#define CW_TRACE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/tap.h"
#include "host/hosttap.h"
#include "host/procs.h"

/* A CW_TAP_HOST record, decoded: pointers into the record's bytes. */
struct cw_host_rec {
	uint16_t kind;
	const unsigned char *key;
	uint32_t klen;
	const unsigned char *val;
	uint32_t vlen;
};

/* 0, or -EINVAL when the bytes are not one host record (lengths that do not add up exactly,
 * a non-zero reserved field, kind 0 or past CW_HOST_KIND_MAX). */
int cw_host_rec_decode(const void *data, size_t len, struct cw_host_rec *out);
/* The record's bytes into buf (cap bytes): its length, or 0 when it does not fit. */
size_t cw_host_rec_encode(void *buf, size_t cap, uint16_t kind, const void *key, size_t klen,
			  const void *val, size_t vlen);

/* A CW_TAP_CLOCK record's offset: 0, or -EINVAL when it is not 8 bytes. */
int cw_clock_rec_decode(const void *data, size_t len, int64_t *mono_to_real_ns);

/*
 * A CW_HOST_PROC_STATE value (hosttap.h) into *i; exe and root (CW_PROCS_EXE_MAX bytes each)
 * hold its strings. 0, or -EINVAL.
 */
int cw_proc_state_decode(const struct cw_host_rec *r, struct cw_proc_info *i, char *exe,
			 char *root);

/* The record type's name ("raw", "host", "tick", "clock"), "?" for another. */
const char *cw_tap_type_name(uint16_t type);

#endif
