/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Helpers shared by every credwatch probe. BPF side only. */
#ifndef CREDWATCH_COMMON_BPF_H
#define CREDWATCH_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "credwatch.h"

/* One iovec of a writev, sendmsg or readv, as the process passed it. */
struct cw_iovec_user {
	__u64 base;
	__u64 len;
};
#include "maps.bpf.h"

/*
 * Waking the agent for every record costs the writing thread more than the capture itself
 * (a wakeup per TLS write): wake it when enough has gathered; its poll timeout drains the
 * rest within a tenth of a second.
 */
static __always_inline __u64 cw_rb_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cw_wakeup_bytes
		       ? BPF_RB_FORCE_WAKEUP
		       : BPF_RB_NO_WAKEUP;
}

static __always_inline void cw_count_drop(__u32 type)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &type);

	if (n)
		*n += 1;
}

/*
 * v & mask, as an instruction the compiler cannot drop or move: clang otherwise proves the
 * mask redundant and hands the verifier an unbounded copy of the same value.
 */
static __always_inline __u32 cw_bound(__u32 v, __u32 mask)
{
	__u64 x = v;

	asm volatile("%0 &= %1" : "+r"(x) : "i"(mask));
	return (__u32)x;
}

/*
 * The filter in front of conns, files and tls_pending (credwatch.h): a zero slot proves there
 * is no entry, so the write and close probes, which run for every write and close on the
 * host, are done after one load instead of two hash lookups. An entry an LRU map evicts, or a
 * slot two keys share, leaves a slot raised: that costs only the lookup the filter would have
 * saved. Every probe that adds an entry to those maps raises its slot; every delete that
 * succeeds lowers it.
 */
static __always_inline __u32 *cw_fd_mark(__u32 tgid, __u32 fd)
{
	return &cw_fd_marks[cw_bound(cw_fd_slot(tgid, fd), (1u << CW_MARK_BITS) - 1)];
}

/* The per-thread filter's slot (cw_fd_slot's, credwatch.h, is shared with the agent). */
static __always_inline __u32 cw_tid_slot(__u32 tid)
{
	return (tid * 0x9e3779b1u) >> (32 - CW_MARK_BITS);
}

static __always_inline __u32 *cw_tid_mark(__u32 tid)
{
	return &cw_tid_marks[cw_bound(cw_tid_slot(tid), (1u << CW_MARK_BITS) - 1)];
}

static __always_inline void cw_mark_raise(__u32 *m)
{
	__sync_fetch_and_add(m, 1);
}

/* After a delete that succeeded (so the entry had raised the slot). */
static __always_inline void cw_mark_lower(__u32 *m)
{
	if (*m)
		__sync_fetch_and_add(m, -1);
}

/* The open file fd of the current task is, or NULL. */
static __always_inline struct file *cw_fd_file(__u32 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	struct file *f = NULL;

	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]))
		return NULL;
	return f;
}

/*
 * Which open file f is, to tell whether an fd still holds the file a probe saw: its address
 * and its inode's number together (0: none). The address alone is not enough: a freed struct
 * file is soon handed out again; a socket's inode number is new for every socket.
 */
static __always_inline __u64 cw_file_ident(struct file *f)
{
	if (!f)
		return 0;
	return (__u64)f ^ ((__u64)BPF_CORE_READ(f, f_inode, i_ino) * 0x9e3779b97f4a7c15ull);
}

static __always_inline void cw_fill_hdr(struct cw_event_hdr *h, __u32 type)
{
	h->type = type;
	h->cpu = bpf_get_smp_processor_id();
	h->ktime_ns = bpf_ktime_get_ns();
}

#endif /* CREDWATCH_COMMON_BPF_H */
