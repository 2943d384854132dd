/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Finding TLS libraries and binaries and attaching the TLS probes to them (where in each file:
 * tls_symbols.h), once per file (device, inode), wherever the process sees it
 * (/proc/PID/root), and detaching them when no process uses the file any more.
 */
#ifndef CW_TLS_ATTACH_H
#define CW_TLS_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct credwatch_bpf;
struct cw_tls_target;
struct cw_tls_checked;

#define CW_TLS_TARGETS_MAX 256 /* files with probes attached at once */

struct cw_tls_attach {
	struct credwatch_bpf *skel;
	bool inbound;
	bool off; /* no uprobes on this kernel: every scan is a no-op */
	struct cw_tls_target *t;
	size_t n, cap;
	struct cw_tls_checked *checked; /* files already looked at (uthash): every exec asks */
	uint32_t *scanned;		/* pids whose maps were read since their last exec */
	size_t nscanned, capscanned;
	struct cw_tls_use {
		uint32_t pid;
		uint32_t target; /* cw_tls_target.id */
	} * uses;		 /* which process maps which probed file */
	size_t nuses, capuses;
	uint32_t next_id;
	uint64_t links, limit_hits, failures, released;
	uint64_t moved; /* entry probes placed past the entry (probepoint.h) */
};

/* inbound: also the read functions (--capture-inbound). */
void cw_tls_attach_init(struct cw_tls_attach *a, struct credwatch_bpf *skel, bool inbound);
void cw_tls_attach_free(struct cw_tls_attach *a);

/* The system's own TLS libraries, and every running process's mappings. */
void cw_tls_scan_system(struct cw_tls_attach *a);
void cw_tls_scan_all(struct cw_tls_attach *a);
/* A process's mapped files (once per exec), or only its executable (right after exec). */
void cw_tls_scan_pid(struct cw_tls_attach *a, uint32_t pid);
void cw_tls_scan_exe(struct cw_tls_attach *a, uint32_t pid);
/*
 * Forget a pid (it exec'd or exited): its maps are read again on its next connect, and a
 * probed file no process uses any more is detached (the system's own libraries stay).
 */
void cw_tls_forget_pid(struct cw_tls_attach *a, uint32_t pid);

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
