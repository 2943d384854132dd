/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Payload capture into data events, for every probe that copies bytes a process wrote or read
 * (network writes, TLS plaintext, watched files): the scratch event's identity, its chunks out
 * to the ring buffer, and the holes in a stream marked. What of a write is copied is decided
 * above this (budget.bpf.h, h2.bpf.h).
 */
#ifndef CREDWATCH_CAPTURE_BPF_H
#define CREDWATCH_CAPTURE_BPF_H

#include "common.bpf.h"

/*
 * Send up to `want` bytes of buf as data events of at most CW_CHUNK_MAX each; `offset` is
 * where buf starts within the write. The caller has filled the scratch event's identity
 * (cw_data_start). Returns the bytes sent. A global function: the verifier checks it once,
 * not once per call site and loop iteration of its callers.
 */
__weak __noinline int cw_emit_data(__u64 buf, __u64 want, __u64 total, __u32 offset)
{
	__u32 zero = 0, done = 0;
	struct cw_data_scratch *s = bpf_map_lookup_elem(&data_scratch, &zero);

	if (!s)
		return 0;
	for (int i = 0; i < CW_CHUNKS_PER_WRITE; i++) {
		__u32 n;

		if (done >= want)
			break;
		n = want - done > CW_CHUNK_MAX ? CW_CHUNK_MAX : (__u32)(want - done);
		/* n in [1, CW_CHUNK_MAX], in a form the verifier can bound */
		n = cw_bound(n - 1, CW_CHUNK_MAX - 1) + 1;
		if (bpf_probe_read_user(s->data, n, (const void *)(buf + done)))
			break;
		/* the type cw_data_start chose: network or file data */
		cw_fill_hdr(&s->ev.hdr, s->ev.hdr.type);
		s->ev.len = n;
		s->ev.offset = offset + done;
		s->ev.total = total;
		if (bpf_ringbuf_output(&events, s, sizeof(s->ev) + n, cw_rb_flags())) {
			cw_count_drop(s->ev.hdr.type);
			break;
		}
		done += n;
		/* the hole is before the first chunk sent, which may not start the write */
		s->ev.flags &= ~CW_DATA_GAP;
	}
	return (int)done;
}

/*
 * Holes in a stream. *gap is set when bytes of a write were not sent (the payload budget, a
 * full ring buffer, an unreadable buffer); the first chunk of the next data sent carries
 * CW_DATA_GAP so that the agent does not join what comes before and after the hole, and
 * clears the mark.
 */
static __always_inline __u16 cw_gap_flag(const __u32 *gap)
{
	return *gap ? CW_DATA_GAP : 0;
}

/* After a write of len bytes of which sent went out (its first chunk carried the flag). */
static __always_inline void cw_gap_after(__u32 *gap, __u64 sent, __u64 len)
{
	if (sent)
		*gap = 0;
	if (sent < len)
		*gap = 1;
}

/* Fill the identity of the data events about to be sent; false when there is no scratch. */
static __always_inline bool cw_data_start(__u64 conn_id, __u32 fd, __u16 source, __u16 flags)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 zero = 0;
	struct cw_data_scratch *s = bpf_map_lookup_elem(&data_scratch, &zero);

	if (!s)
		return false;
	s->ev.hdr.type = source == CW_SRC_FILE ? CW_EV_FILE_DATA : CW_EV_DATA;
	s->ev.pid = id >> 32;
	s->ev.tid = (__u32)id;
	s->ev.fd = fd;
	s->ev.uid = (__u32)bpf_get_current_uid_gid();
	s->ev.cgroup_id = bpf_get_current_cgroup_id();
	s->ev.conn_id = conn_id;
	s->ev.source = source;
	s->ev.flags = flags;
	s->ev.pad = 0;
	bpf_get_current_comm(s->ev.comm, sizeof(s->ev.comm));
	return true;
}

#endif /* CREDWATCH_CAPTURE_BPF_H */
