/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Finding TLS libraries and binaries and attaching the TLS probes to them (where in each file:
 * tls_symbols.h), once per file (device, inode, change time), wherever the process sees it
 * (/proc/PID/root). Attachments are kept when no process uses the file any more, the least
 * recently used detached past CW_TLS_TARGETS_MAX. Every entry point takes the lock: the hold
 * thread (first_exec.h) attaches beside the ring-buffer loop.
 */
#ifndef CW_TLS_ATTACH_H
#define CW_TLS_ATTACH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct credwatch_bpf;
struct cw_tls_target;
struct cw_tls_checked;
struct cw_tls_root;
struct cw_exe_key;

#define CW_TLS_TARGETS_MAX 256	 /* files with probes attached at once */
#define CW_TLS_CHECKED_MAX 65536 /* files remembered as looked at (the oldest forgotten) */

struct cw_tls_attach {
	struct credwatch_bpf *skel;
	bool inbound;
	bool off;    /* no uprobes on this kernel: every scan is a no-op */
	int seen_fd; /* exe_seen: an executable whose probes go is forgotten there (-1: none) */
	pthread_mutex_t lock;
	struct cw_tls_target *t;
	size_t n, cap;
	struct cw_tls_checked *checked; /* files already looked at (uthash): every exec asks */
	uint32_t *scanned;		/* pids whose maps were read since their last exec */
	size_t nscanned, capscanned;
	struct cw_tls_root *roots; /* filesystem roots whose library directories were looked at */
	size_t nroots, caproots;
	uint32_t next_id;
	uint64_t clock; /* ticks at each use of a target: the least recent is detached first */
	uint64_t links, limit_hits, failures, released, checked_forgotten;
	uint64_t moved; /* entry probes placed past the entry (probepoint.h) */
};

/* inbound: also the read functions (--capture-inbound). */
void cw_tls_attach_init(struct cw_tls_attach *a, struct credwatch_bpf *skel, bool inbound);
void cw_tls_attach_free(struct cw_tls_attach *a);

/* The system's own TLS libraries (pinned), and every running process's mappings. */
void cw_tls_scan_system(struct cw_tls_attach *a);
void cw_tls_scan_all(struct cw_tls_attach *a);
/* A process's mapped files (once per exec), or only its executable (right after exec). */
void cw_tls_scan_pid(struct cw_tls_attach *a, uint32_t pid);
void cw_tls_scan_exe(struct cw_tls_attach *a, uint32_t pid);
/* Forget a pid (it exec'd or exited): its maps are read again on its next connect. */
void cw_tls_forget_pid(struct cw_tls_attach *a, uint32_t pid);

/*
 * A process held at its exec (first_exec.h): its executable, and once per filesystem root the
 * TLS libraries in the root's library directories, which its loader or a dlopen will map. exe:
 * the executable's key in the kernel's exe_seen map, forgotten there when its probes are
 * detached. 1 when the executable itself has probes, 0 when not, -errno when it cannot be
 * looked at (the process is gone).
 */
int cw_tls_inspect_exec(struct cw_tls_attach *a, uint32_t pid, const struct cw_exe_key *exe);

/*
 * A TLS library being opened by pid (path as the process sees it): attach now, before it is
 * mapped and used, rather than on the process's first connect.
 */
void cw_tls_scan_file(struct cw_tls_attach *a, uint32_t pid, const char *path);
/* The file names of TLS libraries the kernel watches opens of (NULL-terminated). */
extern const char *const cw_tls_library_names[];
/* Is basename one of them (any version suffix)? */
bool cw_tls_library_name(const char *basename);

#endif
