/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Structs and bounds shared by the kernel probes and the agent. Fixed-width types only; every
 * layout is pinned by _Static_assert so both compilers agree on it.
 */
#ifndef CREDWATCH_H
#define CREDWATCH_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Every bound used by a probe lives here, never as a literal in a probe. */
#define CW_COMM_LEN		16
#define CW_PATH_MAX		4096	/* executable path, power of two */
#define CW_ARGV_MAX		16384	/* argv bytes captured per exec, power of two */
#define CW_ENV_MAX		32768	/* environment bytes captured per exec, power of two */
#define CW_EXEC_DATA_MAX	(CW_PATH_MAX + CW_ARGV_MAX + CW_ENV_MAX)
/*
 * Lengths and offsets are masked to the next power of two so the verifier can bound them;
 * the scratch buffer is large enough for a masked offset plus a masked length.
 */
#define CW_ARGV_MASK		(2 * CW_ARGV_MAX - 1)
#define CW_ENV_MASK		(2 * CW_ENV_MAX - 1)
#define CW_SCRATCH_DATA		(2 * CW_ENV_MASK + 2)
_Static_assert(CW_PATH_MAX + CW_ARGV_MASK <= CW_SCRATCH_DATA, "argv region bound");
#define CW_RINGBUF_DEFAULT	(8u << 20)

enum cw_event_type {
	CW_EV_EXEC = 1,
	CW_EV_EXIT = 2,
	CW_EV_MAX,		/* size of the drop-counter map */
};

/* exec_event.flags */
#define CW_EXEC_PATH_TRUNC	(1u << 0)
#define CW_EXEC_ARGV_TRUNC	(1u << 1)
#define CW_EXEC_ENV_TRUNC	(1u << 2)
#define CW_EXEC_ARGV_FAULT	(1u << 3)	/* argv could not be read */
#define CW_EXEC_ENV_FAULT	(1u << 4)	/* env could not be read */

struct cw_event_hdr {
	__u32 type;		/* enum cw_event_type */
	__u32 cpu;
	__u64 ktime_ns;		/* bpf_ktime_get_ns() */
};
_Static_assert(sizeof(struct cw_event_hdr) == 16, "cw_event_hdr layout");

/*
 * One exec. Followed by path_len + argv_len + env_len bytes of data in that order:
 * the path without its NUL, then argv and env exactly as the kernel laid them out
 * (NUL-separated strings).
 */
struct cw_exec_event {
	struct cw_event_hdr hdr;
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 ppid;		/* real parent's tgid */
	__u32 uid;
	__u32 gid;
	__u32 flags;
	__u64 cgroup_id;
	__u32 path_len;
	__u32 argv_len;
	__u32 env_len;
	__u32 argv_full_len;	/* arg_end - arg_start in the new image */
	__u32 env_full_len;	/* env_end - env_start */
	__u32 pad;
	char comm[CW_COMM_LEN];
	/* char data[]: path, argv, env */
};
_Static_assert(sizeof(struct cw_exec_event) == 88, "cw_exec_event layout");

struct cw_exit_event {
	struct cw_event_hdr hdr;
	__u32 pid;		/* tgid of the process that ended */
	__s32 exit_code;
	__u64 cgroup_id;
};
_Static_assert(sizeof(struct cw_exit_event) == 32, "cw_exit_event layout");

/* The per-CPU scratch value in which an exec event is built before it is copied out. */
struct cw_exec_scratch {
	struct cw_exec_event ev;
	char data[CW_SCRATCH_DATA];
};

#endif /* CREDWATCH_H */
