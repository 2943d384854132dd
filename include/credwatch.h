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
#define CW_COMM_LEN 16
#define CW_PATH_MAX 4096  /* executable path, power of two */
#define CW_ARGV_MAX 16384 /* argv bytes captured per exec, power of two */
#define CW_ENV_MAX 32768  /* environment bytes captured per exec, power of two */
/*
 * Lengths and offsets are masked to the next power of two so the verifier can bound them;
 * the scratch buffer (struct cw_exec_scratch, maps.bpf.h) is large enough for a masked offset
 * plus a masked length.
 */
#define CW_ARGV_MASK (2 * CW_ARGV_MAX - 1)
#define CW_ENV_MASK (2 * CW_ENV_MAX - 1)
#define CW_SCRATCH_DATA (2 * CW_ENV_MASK + 2)
_Static_assert(CW_PATH_MAX + CW_ARGV_MASK <= CW_SCRATCH_DATA, "argv region bound");
#define CW_RINGBUF_DEFAULT (8u << 20)

/* Network egress. */
#define CW_CHUNK_MAX 16384	     /* payload bytes per data event, power of two */
#define CW_PAYLOAD_CAP_DEFAULT 16384 /* bytes captured per write by default */
#define CW_CHUNKS_PER_WRITE 4	     /* so at most 64 KiB of one write */
#define CW_PAYLOAD_CAP_MAX (CW_CHUNKS_PER_WRITE * CW_CHUNK_MAX)
#define CW_IOV_MAX 8 /* iovecs looked at in one writev/sendmsg */
/*
 * Past this many bytes captured on one connection or TLS session, only the first
 * CW_HEAD_CAPTURE bytes of each further write are (CW_REQUEST_HEAD, or an h2 HEADERS frame,
 * of one that starts a request): requests and their headers start writes, bulk bodies (an
 * upload) are not worth copying whole. A write of at least CW_BULK_WRITE bytes right after
 * another one is the middle of a bulk transfer, unless it starts a request: nothing of it is
 * copied (budget.bpf.h, cw_capture_len). An HTTP/2 client stream has its frames followed
 * instead, and past the budget only its header block frames are copied (cw_h2_capture).
 */
#define CW_PAYLOAD_BUDGET_DEFAULT (64u << 10)
#define CW_HEAD_CAPTURE 1024
#define CW_REQUEST_HEAD 8192 /* of a write past the budget that starts an HTTP/1 request */
#define CW_BULK_WRITE 8192
#define CW_SESSIONS_MAX 65536 /* TLS sessions with a byte count */
#define CW_CONN_MAX 65536     /* tracked connected sockets */
/* Threads inside a TLS write or read call at once (the entry to socket-write/return maps). */
#define CW_TLS_CALLS_MAX 16384
/* Threads inside a connect, open or read syscall at once (the entry-to-exit maps). */
#define CW_SYSCALLS_IN_FLIGHT_MAX 4096

enum cw_event_type {
	CW_EV_EXEC = 1,
	CW_EV_EXIT = 2,
	CW_EV_CONN = 3,		 /* a TCP socket connected (or connecting) */
	CW_EV_DATA = 4,		 /* bytes a process sent on a tracked socket */
	CW_EV_CLOSE = 5,	 /* a tracked socket was closed */
	CW_EV_BIND = 6,		 /* a TLS session wrote to a socket: which fd it is */
	CW_EV_FILE_OPEN = 7,	 /* a process opened a file the watch prefilter matched */
	CW_EV_FILE_DATA = 8,	 /* bytes read from such a file (struct cw_data_event) */
	CW_EV_FILE_CLOSE = 9,	 /* it closed it (struct cw_close_event, conn_id: file id) */
	CW_EV_CGROUP_RMDIR = 10, /* a cgroup went away: its workload identity is stale */
	CW_EV_CGROUP_MKDIR = 11, /* a cgroup was made: its id and path, before any use */
	CW_EV_MAX,		 /* size of the drop-counter map */
};

/* exec_event.flags */
#define CW_EXEC_PATH_TRUNC (1u << 0)
#define CW_EXEC_ARGV_TRUNC (1u << 1)
#define CW_EXEC_ENV_TRUNC (1u << 2)
#define CW_EXEC_ARGV_FAULT (1u << 3) /* argv could not be read */
#define CW_EXEC_ENV_FAULT (1u << 4)  /* env could not be read */

struct cw_event_hdr {
	__u32 type; /* enum cw_event_type */
	__u32 cpu;
	__u64 ktime_ns; /* bpf_ktime_get_ns() */
};
_Static_assert(sizeof(struct cw_event_hdr) == 16, "cw_event_hdr layout");

/*
 * One exec. Followed by path_len + argv_len + env_len bytes of data in that order:
 * the path without its NUL, then argv and env exactly as the kernel laid them out
 * (NUL-separated strings).
 */
#define CW_ANCESTRY_MAX 48 /* ancestors an exec event looks through */

struct cw_exec_event {
	struct cw_event_hdr hdr;
	__u32 pid; /* tgid */
	__u32 tid;
	__u32 ppid; /* real parent's tgid */
	__u32 uid;
	__u32 gid;
	__u32 flags;
	__u64 cgroup_id;
	__u32 path_len;
	__u32 argv_len;
	__u32 env_len;
	__u32 argv_full_len; /* arg_end - arg_start in the new image */
	__u32 env_full_len;  /* env_end - env_start */
	/*
	 * The nearest ancestor that exec'd (not a fork without exec: a subshell): the image whose
	 * environment this one inherited; 0 when not found within CW_ANCESTRY_MAX.
	 */
	__u32 env_ppid;
	/* The top of its process tree: the ancestor whose parent is init or the kernel (pid 0..2
	 * in the initial pid namespace), itself when it is one; 0 when deeper than
	 * CW_ANCESTRY_MAX. */
	__u32 top_pid;
	__u32 pad;
	/* Start times (task start_time, ns since boot) of the process and of env_ppid: with the
	 * pid, they name a process; a pid alone may have been reused. */
	__u64 start_ns;
	__u64 env_ppid_start_ns;
	char comm[CW_COMM_LEN];
	/* char data[]: path, argv, env */
};
_Static_assert(sizeof(struct cw_exec_event) == 112, "cw_exec_event layout");

struct cw_exit_event {
	struct cw_event_hdr hdr;
	__u32 pid; /* tgid of the process that ended */
	__s32 exit_code;
	__u64 cgroup_id;
};
_Static_assert(sizeof(struct cw_exit_event) == 32, "cw_exit_event layout");

/* Tracked connections, by (tgid, fd). */
struct cw_conn_key {
	__u32 tgid;
	__u32 fd;
};
_Static_assert(sizeof(struct cw_conn_key) == 8, "cw_conn_key layout");

/*
 * The filter in front of the kernel's per-(process, fd) and per-thread tables (conns, files,
 * tls_pending): 2^CW_MARK_BITS counters each, a slot chosen by a hash of the key, raised when
 * an entry is added, lowered when one is deleted, zero only when no entry can be there. The
 * probes raise and lower them (common.bpf.h); the agent lowers a slot of the (process, fd)
 * filter when it deletes an entry itself, through the mapped .bss, so that slot's hash is
 * here. The per-thread filter is the kernel's alone (cw_tid_slot, common.bpf.h).
 */
#define CW_MARK_BITS 13

static inline __u32 cw_fd_slot(__u32 tgid, __u32 fd)
{
	return (tgid * 0x9e3779b1u ^ fd * 0x85ebca6bu) >> (32 - CW_MARK_BITS);
}

/* cw_budget.h2 */
#define CW_H2_FOLLOWED 1 /* an HTTP/2 client stream whose frames the kernel follows */
#define CW_H2_LOST 2	 /* an HTTP/2 client stream whose frame boundaries were lost */

/*
 * What one stream (a TCP connection, a TLS session) has been sent, for the payload budget,
 * and where its HTTP/2 frames are (h2.bpf.h): an h2 client stream, known by its preface,
 * has its frames followed from write to write so that, past the budget, its header block
 * frames are copied wherever they are.
 */
struct cw_budget {
	__u64 captured;	  /* payload bytes captured so far */
	__u32 last_len;	  /* length of the last write (capped) */
	__u32 gap;	  /* a write was not copied whole since the last data sent */
	__u32 h2_next;	  /* followed: the next frame header's offset into the next write */
	__u32 h2_copy;	  /* bytes that start the next write and end a region being copied */
	__u8 h2;	  /* CW_H2_* or 0 */
	__u8 h2_part_len; /* bytes of a frame header the last write ended in (h2_next 0) */
	__u8 pad[6];
	__u8 h2_part[8]; /* those bytes */
};
_Static_assert(sizeof(struct cw_budget) == 40, "cw_budget layout");

/* cw_conn.flags */
#define CW_CONN_LOOPBACK (1u << 0)   /* destination is 127/8 or ::1 */
#define CW_CONN_NO_PAYLOAD (1u << 1) /* TLS after its ClientHello: stop capturing */

struct cw_conn {
	__u64 id;	/* unique per connection: the fd number is reused */
	__u8 daddr[16]; /* IPv4 in the first 4 bytes */
	__u16 dport;	/* host byte order */
	__u16 family;	/* AF_INET or AF_INET6 */
	__u32 flags;
	struct cw_budget budget;
};
_Static_assert(sizeof(struct cw_conn) == 72, "cw_conn layout");

/*
 * The kernel's entry for a tracked connection (map conns, key cw_conn_key): the connection,
 * and which open file the fd was when it connected. A write on that fd to any other file (the
 * socket closed on exec, an fd number reused after a close the probes did not see) is not
 * taken for the connection: the entry is stale and goes.
 */
struct cw_conn_entry {
	struct cw_conn conn;
	__u64 ident; /* the open file: cw_file_ident() (common.bpf.h) */
};
_Static_assert(sizeof(struct cw_conn_entry) == 80, "cw_conn_entry layout");

struct cw_conn_event {
	struct cw_event_hdr hdr;
	__u32 pid;
	__u32 tid;
	__u32 fd;
	__u32 uid;
	__u64 cgroup_id;
	struct cw_conn conn;
	char comm[CW_COMM_LEN];
};
_Static_assert(sizeof(struct cw_conn_event) == 128, "cw_conn_event layout");

/* cw_data_event.source */
enum cw_source {
	CW_SRC_TCP = 1,	    /* write/writev/sendto/sendmsg on a connected TCP socket */
	CW_SRC_OPENSSL = 2, /* SSL_write / SSL_write_ex plaintext (OpenSSL, BoringSSL) */
	CW_SRC_GNUTLS = 3,  /* gnutls_record_send */
	CW_SRC_NSS = 4,	    /* PR_Write / PR_Send */
	CW_SRC_GO = 5,	    /* crypto/tls.(*Conn).Write */
	CW_SRC_FILE = 6,    /* read/pread64/readv of a watched file */
	CW_SRC_MAX,
};

/* A TLS write's session object (SSL *, gnutls_session_t, PRFileDesc *, *tls.Conn) is its
 * stream key until a nested socket write binds it to an fd. */
struct cw_bind_event {
	struct cw_event_hdr hdr;
	__u32 pid;
	__u32 tid;
	__u32 fd;
	__u16 source;
	__u16 pad;
	__u64 key;     /* the session object's address */
	__u64 conn_id; /* the tracked connection on fd, 0 when untracked */
};
_Static_assert(sizeof(struct cw_bind_event) == 48, "cw_bind_event layout");

/* A TLS session: process and session object. The agent deletes a session's "bound" entry
 * when the session ends, so that an address reused by a new session binds again. */
struct cw_session_key {
	__u64 key;
	__u32 tgid;
	__u32 pad;
};
_Static_assert(sizeof(struct cw_session_key) == 16, "cw_session_key layout");

/* A TLS write waiting for the socket write it makes (tls_pending, maps.bpf.h): older ones
 * bind nothing. */
#define CW_TLS_BIND_WINDOW_NS (50ull * 1000 * 1000)
/* A session bound this recently skips the bind work on its writes (tls_bound, maps.bpf.h). */
#define CW_TLS_REBIND_NS (100ull * 1000 * 1000)

/* cw_data_event.flags */
#define CW_DATA_INBOUND (1u << 0) /* TLS plaintext the process received */
/* Bytes of this stream before this chunk were not copied (the payload budget): do not join.
 * Only on the first chunk after the hole, which need not start its write. */
#define CW_DATA_GAP (1u << 1)

/* One chunk of one write, followed by len bytes. */
struct cw_data_event {
	struct cw_event_hdr hdr;
	__u32 pid;
	__u32 tid;
	__u32 fd;
	__u32 uid;
	__u64 cgroup_id;
	__u64 conn_id; /* TCP: the connection; TLS: the session object (stream key) */
	__u32 len;     /* bytes in this chunk */
	__u32 offset;  /* of this chunk within the write */
	__u64 total;   /* bytes the write (writev: this iovec) asked to send */
	__u16 source;  /* enum cw_source */
	__u16 flags;
	__u32 pad;
	char comm[CW_COMM_LEN];
	/* char data[len] */
};
_Static_assert(sizeof(struct cw_data_event) == 88, "cw_data_event layout");

struct cw_close_event {
	struct cw_event_hdr hdr;
	__u32 pid;
	__u32 fd;
	__u64 conn_id;
};
_Static_assert(sizeof(struct cw_close_event) == 32, "cw_close_event layout");

/*
 * Watched credential files. The kernel filters opens cheaply with hashes of the path's
 * basename, extension, directory prefixes and directory components (maps filled by the agent
 * from the policy's watch list); the agent then decides exactly and forgets the file when it
 * is not watched after all.
 */
#define CW_FILE_PATH_MAX 256		/* path bytes looked at and sent, power of two */
#define CW_FILE_CAP_DEFAULT (64u << 10) /* bytes captured per open file */
#define CW_FILE_CAP_MAX (1u << 20)
#define CW_FILES_MAX 16384 /* tracked open files */
#define CW_WATCH_MAX 1024  /* entries in each prefilter map */

/*
 * FNV-1a, 64 bit: the prefilter's hash, computed the same way on both sides. Names, extensions
 * and components are hashed as strings; a directory ("/run/secrets/") as the FNV-1a fold of
 * its components' hashes, so the kernel hashes each character once (cw_watch_dir_hash).
 */
#define CW_FNV_OFFSET 0xcbf29ce484222325ull
#define CW_FNV_PRIME 0x100000001b3ull

/* cw_watch maps' values: which kind of entry matched (for the agent's statistics). */
#define CW_WATCH_NAME (1u << 0)
#define CW_WATCH_EXT (1u << 1)
#define CW_WATCH_DIR (1u << 2)
#define CW_WATCH_COMP (1u << 3)

/* The prefilter's bitmap (a one-hash Bloom filter) in front of the map: 64 Ki bits. */
#define CW_WATCH_BLOOM_WORDS 1024
static inline __u32 cw_watch_bloom_bit(__u64 hash, __u32 kind)
{
	return (__u32)(((hash ^ ((__u64)kind * 0x9E3779B97F4A7C15ull)) >> 40) &
		       (CW_WATCH_BLOOM_WORDS * 64 - 1));
}

struct cw_watch_key {
	__u64 hash;
	__u32 kind; /* CW_WATCH_NAME, _EXT, _DIR or _COMP */
	__u32 pad;
};
_Static_assert(sizeof(struct cw_watch_key) == 16, "cw_watch_key layout");

/* A tracked open file, by (tgid, fd) (struct cw_conn_key). */
struct cw_file {
	__u64 id;	/* unique per open: fds are reused */
	__u64 captured; /* bytes sent so far */
	__u64 ident;	/* the open file (cw_file_ident): a read of the fd on another is not its */
};
_Static_assert(sizeof(struct cw_file) == 24, "cw_file layout");

/* cw_file_open_event.flags */
#define CW_FILE_PATH_TRUNC (1u << 0)
#define CW_FILE_CWD (1u << 1)	  /* cwd holds the working directory (relative path) */
#define CW_FILE_TLS_LIB (1u << 2) /* a TLS library: the agent attaches its probes now */

/* Values in the watch map: what an entry is for. */
#define CW_WATCH_CRED 1	   /* a credential file (the policy's watch list) */
#define CW_WATCH_TLS_LIB 2 /* a TLS library's file name: wake the agent at once */

struct cw_file_open_event {
	struct cw_event_hdr hdr;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u32 fd;
	__s32 dfd; /* openat's directory fd (AT_FDCWD = -100) for a relative path */
	__u32 flags;
	__u32 open_flags; /* O_* */
	__u32 path_len;	  /* bytes of path, without NUL */
	__u64 cgroup_id;
	__u64 file_id;
	char comm[CW_COMM_LEN];
	char path[CW_FILE_PATH_MAX];
	__u32 cwd_len; /* bytes of cwd, without NUL (CW_FILE_CWD) */
	__u32 pad2;
	char cwd[CW_FILE_PATH_MAX]; /* as the process sees it, from its root */
};
_Static_assert(sizeof(struct cw_file_open_event) == 600, "cw_file_open_event layout");

#define CW_CGROUP_PATH_MAX 512

struct cw_cgroup_event {
	struct cw_event_hdr hdr;
	__u64 id;   /* the cgroup id (kernfs inode number) */
	__s32 root; /* hierarchy id */
	__s32 level;
	char path[CW_CGROUP_PATH_MAX]; /* mkdir: below the hierarchy's root, NUL-terminated */
};
_Static_assert(sizeof(struct cw_cgroup_event) == 544, "cw_cgroup_event layout");

/*
 * The first exec of an executable the agent has not inspected yet is held (SIGSTOP from the
 * exec tracepoint) until its TLS probes are attached (user/agent/first_exec.c). An executable
 * is known by its inode as the kernel sees it: device, inode number and change time, so a file
 * rewritten in place is inspected again.
 */
#define CW_EXES_MAX 16384	/* executables inspected (LRU): one evicted is held once more */
#define CW_HOLDS_MAX 256	/* processes held at once; past that, not held (counted) */
#define CW_HOLD_DEADLINE_MS 500 /* the longest a process is held, agent alive or not */

/* Nanoseconds fit in 30 bits; Linux 6.13+ keeps a flag in the top bit of i_ctime_nsec. */
#define CW_CTIME_NSEC_MASK 0x3fffffffu

struct cw_exe_key {
	__u64 ino;
	__s64 ctime_sec;
	__u32 dev; /* the kernel's dev_t (MAJOR << 20 | MINOR), not stat's encoding */
	__u32 ctime_nsec;
};
_Static_assert(sizeof(struct cw_exe_key) == 24, "cw_exe_key layout");

/* A held process (map held, by tgid): what the agent and its watchdog release. */
struct cw_hold {
	__u64 start_ns; /* the process's start time: with the pid, which process */
	__u64 ktime_ns; /* when it was held (bpf_ktime_get_ns) */
	__u32 flags;	/* CW_HOLD_* */
	__u32 pad;
};
_Static_assert(sizeof(struct cw_hold) == 24, "cw_hold layout");

/* Someone else sent it a stop signal while held: its SIGCONT is theirs to send. */
#define CW_HOLD_FOREIGN_STOP (1u << 0)

/* To the agent's hold thread (ring buffer holds): a process held at its exec. */
struct cw_hold_event {
	__u64 ktime_ns;
	__u64 start_ns;
	__u32 pid; /* tgid */
	__u32 pad;
	struct cw_exe_key exe;
};
_Static_assert(sizeof(struct cw_hold_event) == 48, "cw_hold_event layout");

/* Execs not held although their executable was new, by reason (per-CPU map hold_skips). */
enum cw_hold_skip {
	CW_HOLD_SKIP_TRACED,	  /* ptraced: the tracer would see the stop */
	CW_HOLD_SKIP_JOB_CONTROL, /* a terminal job's process group: its shell would see it */
	CW_HOLD_SKIP_FULL,	  /* CW_HOLDS_MAX held already, or no room in the ring */
	CW_HOLD_SKIP_SIGNAL,	  /* bpf_send_signal failed */
	CW_HOLD_SKIP_NO_EXE,	  /* no executable file to name it by */
	CW_HOLD_HELD,		  /* not a skip: held */
	CW_HOLD_SKIP_MAX,
};

#endif /* CREDWATCH_H */
