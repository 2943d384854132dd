/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Every map, global variable and setting of the kernel side: what each holds, who writes it
 * and who reads it. BPF side only; the types the agent shares are in credwatch.h.
 *
 * Every probe file includes this header, so each of its objects has these definitions: they
 * are weak, and the static linker (bpftool gen object) keeps one of each. Not defined here:
 *  - global variables (.bss, one array map the agent also maps): declared here, each defined
 *    once in the probe file named beside it. A weak definition in a header would leave a dead
 *    copy of its bytes in the linked .bss per object (the linker keeps the space of the copies
 *    it drops): 3 x 72 KiB for these.
 *  - the working space of one piece of code, whose value type means nothing elsewhere: defined
 *    beside that code, listed at the end of this file.
 */
#ifndef CREDWATCH_MAPS_BPF_H
#define CREDWATCH_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "credwatch.h"

/*
 * Settings (.rodata): set by the agent between open and load (user/agent/load.c), read-only
 * for the probes, so the verifier knows their values and prunes what they turn off.
 */

/* Wake the agent only once this much data waits in events (cw_rb_flags, common.bpf.h); a
 * sixteenth of --ringbuf-size. The agent also drains on a timer. */
const volatile __u64 cw_wakeup_bytes __weak = 65536;
/* exec.bpf.c: capture each exec's environment (off with --no-env). */
const volatile bool cw_capture_env __weak = true;
/* net.bpf.c, --include-loopback: track connections to 127/8 and ::1 too. */
const volatile bool cw_include_loopback __weak = false;
/* --payload-cap: bytes captured of one write; --payload-budget: of one stream before only
 * request heads are (0: no budget). Network and TLS writes (budget.bpf.h). */
const volatile __u32 cw_payload_cap __weak = CW_PAYLOAD_CAP_DEFAULT;
const volatile __u64 cw_payload_budget __weak = CW_PAYLOAD_BUDGET_DEFAULT;
/* tls.bpf.c, --capture-inbound: copy the TLS plaintext processes read too. */
const volatile bool cw_capture_inbound __weak = false;
/* files.bpf.c: the agent's own pid, whose opens are not looked at; --file-cap: bytes captured
 * per open file; --capture-reads: copy what processes read from watched files (read probes
 * attached), else the agent reads the files itself when told of the open. */
const volatile __u32 cw_self_tgid __weak = 0;
/* files.bpf.c: the agent's executable (inode number and the kernel's dev_t of its file
 * system): another credwatch agent running as root (`credwatch trace` beside `run`) is left
 * out like this one (docs/capabilities.md, "Self-protection"). 0: none. */
const volatile __u64 cw_self_exe_ino __weak = 0;
const volatile __u32 cw_self_exe_dev __weak = 0;
const volatile __u32 cw_file_cap __weak = CW_FILE_CAP_DEFAULT;
const volatile bool cw_capture_reads __weak = false;
/* exec.bpf.c: hold the first exec of an executable not inspected yet (off when this kernel
 * has no bpf_send_signal, or for tests: the branch is not even verified then). */
const volatile bool cw_hold_new_exes __weak = false;

/*
 * To the agent: events and counters.
 */

/* Every event of every probe, read by the agent's ring-buffer loop. Sized by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, CW_RINGBUF_DEFAULT);
} events SEC(".maps") __weak;

/* Failed ring buffer writes, per CPU, indexed by enum cw_event_type (cw_count_drop): the
 * agent reports them. Never drop silently. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CW_EV_MAX);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps") __weak;

/* HTTP/2 client streams whose frames were followed [0], and lost track of [1], per CPU:
 * counted by the follower (h2.bpf.h) and net.bpf.c's writev/sendmsg, read by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} h2_streams SEC(".maps") __weak;

/*
 * Per-CPU scratch: events built here, not on the 512-byte stack.
 */

/*
 * An exec event (exec.bpf.c). Up to ~52 KiB: larger than a per-CPU map value may be, so a
 * plain array with one slot per possible CPU (sized by the agent), indexed by CPU id.
 */
struct cw_exec_scratch {
	struct cw_exec_event ev;
	char data[CW_SCRATCH_DATA]; /* path, argv, env */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cw_exec_scratch);
} exec_scratch SEC(".maps") __weak;

/* A data event and its chunk of payload (cw_data_start, cw_emit_data: capture.bpf.h). */
struct cw_data_scratch {
	struct cw_data_event ev;
	char data[CW_CHUNK_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cw_data_scratch);
} data_scratch SEC(".maps") __weak;

/* A file open event, while the prefilter looks at its path (files.bpf.c). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cw_file_open_event);
} open_scratch SEC(".maps") __weak;

/*
 * Tracked connections and open files, by (tgid, fd). The probes add and delete entries; the
 * agent deletes one too: a connection whose process ended without a close, a file that is not
 * watched after all.
 */

/* Connected TCP sockets: added at connect (net.bpf.c), gone at close or when the fd is found
 * to be another file. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CW_CONN_MAX);
	__type(key, struct cw_conn_key);
	__type(value, struct cw_conn_entry);
} conns SEC(".maps") __weak;

/* Watched files being captured (--capture-reads): added at open (files.bpf.c), gone on close
 * (net.bpf.c's close probe), on a new open of the same fd, or when the agent decides the file
 * is not watched after all. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CW_FILES_MAX);
	__type(key, struct cw_conn_key);
	__type(value, struct cw_file);
} files SEC(".maps") __weak;

/*
 * The filters in front of conns, files and tls_pending (credwatch.h, common.bpf.h): raised by
 * every probe that adds an entry, lowered by every delete that succeeds; the agent lowers a
 * slot of cw_fd_marks when it deletes an entry itself. Defined in net.bpf.c.
 */
extern __u32 cw_fd_marks[1u << CW_MARK_BITS];
extern __u32 cw_tid_marks[1u << CW_MARK_BITS];

/*
 * TLS sessions, by (process, session object): struct cw_session_key. The agent deletes a
 * session's entries when it ends, so that an address reused by a new session starts afresh.
 */

/* What each session has been sent, for the payload budget (tls.bpf.c). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CW_SESSIONS_MAX);
	__type(key, struct cw_session_key);
	__type(value, struct cw_budget);
} tls_captured SEC(".maps") __weak;

/*
 * When each session was last bound to its socket: written by net.bpf.c's bind, read by
 * tls.bpf.c. A bound session skips the bind work on its following writes for CW_TLS_REBIND_NS
 * (credwatch.h): the socket a session writes to does not change within a connection, and the
 * bind work on every TLS write (a connection lookup and a walk task->files->socket) cost as
 * much as the capture. Short, because a freed session object's address is soon reused by the
 * next session, which must bind again: the agent also forgets a session's entry when its
 * socket closes, and a bind to another fd re-targets the session.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CW_SESSIONS_MAX);
	__type(key, struct cw_session_key);
	__type(value, __u64);
} tls_bound SEC(".maps") __weak;

/*
 * By thread: what one probe leaves for a later one of the same thread (a call's return, the
 * socket write a TLS write makes).
 */

/* TLS writes waiting for the socket write that binds them (tls.bpf.c adds; net.bpf.c binds
 * and deletes; exec.bpf.c deletes at the thread's exit). */
struct cw_tls_pending {
	__u64 key; /* the session object */
	__u64 ktime_ns;
	__u16 source;
	__u16 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CW_TLS_CALLS_MAX);
	__type(key, __u32);
	__type(value, struct cw_tls_pending);
} tls_pending SEC(".maps") __weak;

/* A TLS read (--capture-inbound): its buffer, copied by the return probe (tls.bpf.c). */
struct cw_tls_read_args {
	__u64 key;
	__u64 buf;
	__u64 readbytes; /* SSL_read_ex: where the count is written; 0: the return value */
	__u16 source;
	__u16 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CW_TLS_CALLS_MAX);
	__type(key, __u32);
	__type(value, struct cw_tls_read_args);
} tls_reads SEC(".maps") __weak;

/* connect()'s socket and destination, between syscall entry and exit (net.bpf.c). */
struct cw_connect_args {
	__u32 fd;
	__u32 pad;
	struct cw_conn_entry entry;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CW_SYSCALLS_IN_FLIGHT_MAX);
	__type(key, __u32);
	__type(value, struct cw_connect_args);
} connecting SEC(".maps") __weak;

/* An open the prefilter matched, between syscall entry and exit (files.bpf.c). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CW_SYSCALLS_IN_FLIGHT_MAX);
	__type(key, __u32);
	__type(value, struct cw_file_open_event);
} opening SEC(".maps") __weak;

/* A read on a tracked file, between syscall entry and exit (files.bpf.c). */
struct cw_file_read_args {
	__u64 buf;    /* read: the buffer; readv: the iovec array */
	__u64 iovcnt; /* 0 for read and pread64 */
	__u32 fd;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CW_SYSCALLS_IN_FLIGHT_MAX);
	__type(key, __u32);
	__type(value, struct cw_file_read_args);
} reading SEC(".maps") __weak;

/*
 * Watched files: the prefilter the agent fills from the policy's watch list, read by
 * files.bpf.c at every open.
 */

/* (hash, kind) of the watch list's names, extensions, dirs and components. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4 * CW_WATCH_MAX);
	__type(key, struct cw_watch_key);
	__type(value, __u8);
} watch SEC(".maps") __weak;

/*
 * The first exec of a new executable (exec.bpf.c holds it, user/agent/first_exec.c inspects
 * and releases it).
 */

/* Executables inspected (struct cw_exe_key): written by the agent after inspecting one, read
 * by every exec. An entry evicted only means one more hold, answered from the agent's cache. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CW_EXES_MAX);
	__type(key, struct cw_exe_key);
	__type(value, __u32);
} exe_seen SEC(".maps") __weak;

/* Held processes by tgid: added by exec.bpf.c before its SIGSTOP, flagged by the signal probe
 * when someone else stops one, deleted at exit, and by whoever releases it (the agent or its
 * watchdog: the delete that succeeds owns the SIGCONT). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CW_HOLDS_MAX);
	__type(key, __u32);
	__type(value, struct cw_hold);
} held SEC(".maps") __weak;

/* Hold events (struct cw_hold_event) for the agent's hold thread: its own ring, so a hold is
 * never queued behind the event stream. Each record wakes the thread. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} holds SEC(".maps") __weak;

/* Execs of a new executable, by enum cw_hold_skip (held, or why not), per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CW_HOLD_SKIP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} hold_skips SEC(".maps") __weak;

/* exec.bpf.c: holding is on (the agent sets it once its hold thread and watchdog run, and
 * clears it when it stops). Defined in exec.bpf.c. */
extern bool cw_hold_on;

/*
 * Global variables of files.bpf.c, defined there. cw_watch_bloom: a bitmap over watch's
 * entries, set by the agent with the map (cw_watch_bloom_bit, credwatch.h). The others count
 * entries in opening and reading (their exit probes skip the lookup while these are 0) and
 * number the files opened.
 */
extern __u64 cw_watch_bloom[CW_WATCH_BLOOM_WORDS];
extern __u64 cw_opens_pending;
extern __u64 cw_reads_pending;
extern __u64 cw_next_file_id;

/*
 * Defined beside the one piece of code that uses them, as their value types are its working
 * space:
 *   h2_write     per CPU: the write an HTTP/2 stream's frames are followed in (struct
 *                cw_h2_write, h2.bpf.h)
 *   iov_scratch  per CPU: a writev/sendmsg's iovecs, read once (struct iov_scratch, net.bpf.c)
 *   cwd_scratch  per CPU: the walk up a process's working directory (struct cwd_walk,
 *                files.bpf.c)
 */

#endif /* CREDWATCH_MAPS_BPF_H */
