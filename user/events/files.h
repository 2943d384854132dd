/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Watched credential files: each open the kernel's prefilter passed is resolved to a full path
 * and checked against the policy's watch list. By default the agent then reads the file itself,
 * as the process sees it (host/procfile.h); with --capture-reads the kernel copies what the
 * process reads, one matcher stream per open file. What is found is a load. Whether a file is
 * baked into a container's image is host/mountinfo.h's to say.
 */
#ifndef CW_FILES_H
#define CW_FILES_H

#include <stdint.h>

#include "events/decoder.h"
#include "events/handler.h"
#include "judge/exposure.h"

struct cw_file_track;

struct cw_files {
	struct cw_finding_writer *f;
	struct cw_matcher *matcher;
	struct cw_credfiles *credfiles; /* credential files' parsers (detect/credfile.h) */
	struct cw_exposure *x;		/* the judge: every credential found is a load */
	struct cw_procs *procs;		/* executables by pid; may be NULL */
	struct cw_workloads *wls;	/* workload identity; may be NULL */
	const struct cw_policy *policy; /* its watch list (reloaded in place on SIGHUP) */
	const char *proc;		/* "/proc" (tests: a fixture) */
	int files_map_fd;		/* the kernel's tracked files: -1 in tests */
	uint32_t *fd_marks;		/* the kernel's filter in front of them (kernel_marks.h) */
	bool capture_reads; /* the kernel copies reads; else we read the file ourselves */
	/*
	 * The agent's hook: a file the kernel flagged CW_FILE_TLS_LIB (its name hashes like a TLS
	 * library's) was opened by pid; the agent checks the name and attaches the library's
	 * probes. May be NULL.
	 */
	void (*on_tls_library)(void *ctx, uint32_t pid, const char *path);
	void *tls_ctx;
	size_t file_cap;	     /* bytes read per file when we read it ourselves */
	struct cw_file_track *table; /* internal: open files followed (--capture-reads), uthash */
	size_t n;
	/* counters */
	uint64_t opened, not_watched, unreadable, bytes, found;
};

int cw_files_init(struct cw_files *fs, const struct cw_handler_deps *d, int files_map_fd);
void cw_files_free(struct cw_files *fs);

/* Each returns 0 or -errno (an output error). */
int cw_files_open(struct cw_files *fs, const struct cw_event *ev);
int cw_files_data(struct cw_files *fs, const struct cw_event *ev);
int cw_files_close(struct cw_files *fs, uint32_t pid, uint32_t fd, uint64_t file_id);
int cw_files_exit(struct cw_files *fs, uint32_t pid);
/* pid exec'd: its close-on-exec files are closed without a close(); forget those gone. */
int cw_files_exec(struct cw_files *fs, uint32_t pid);
/* Flush the streams of files quiet for a while (a daemon that keeps its file open). */
int cw_files_tick(struct cw_files *fs, uint64_t now_ns);

#endif
