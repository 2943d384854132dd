/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Watched credential files: each open the kernel's prefilter passed is resolved to a full path
 * and checked against the policy's watch list. By default the agent then reads the file itself,
 * as the process sees it (through its open fd, its root, or a live process of the same
 * container); with --capture-reads the kernel copies what the process reads, one matcher
 * stream per open file. What is found is a load.
 */
#ifndef CW_FILES_H
#define CW_FILES_H

#include <stdint.h>

#include "events/decoder.h"
#include "judge/exposure.h"

struct cw_file_track;

struct cw_files {
	struct cw_exposure *x;
	const char *proc;   /* "/proc" (tests: a fixture) */
	int files_map_fd;   /* the kernel's tracked files: -1 in tests */
	uint32_t *fd_marks; /* the kernel's filter in front of them (kmarks.h) */
	bool capture_reads; /* the kernel copies reads; else we read the file ourselves */
	/* A TLS library being opened (CW_FILE_TLS_LIB): attach its probes. May be NULL. */
	void (*on_tls_library)(void *ctx, uint32_t pid, const char *path);
	void *tls_ctx;
	size_t file_cap; /* bytes read per file when we read it ourselves */
	struct cw_file_track **buckets;
	size_t nbuckets, n;
	/* counters */
	uint64_t opened, not_watched, unreadable, bytes, found;
};

int cw_files_init(struct cw_files *fs, struct cw_exposure *x, int files_map_fd);
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

/*
 * Is path, opened by a process whose mount table is mountinfo (the text of
 * /proc/PID/mountinfo), on the container image's root filesystem (an overlay mounted at
 * "/") rather than on a mounted secret, volume or bind mount?
 */
bool cw_path_in_image(const char *mountinfo, const char *path);
/* Is mount id mnt_id the container's root overlay in the mount table mountinfo? */
bool cw_mount_is_image_root(const char *mountinfo, long mnt_id);
/* Is path in one of overlay mount mnt_id's lower layers: 1 yes, 0 no, -1 cannot tell (a
 * layer not visible from here, or no lowerdir option). */
int cw_overlay_lower_has(const char *mountinfo, long mnt_id, const char *path);

#endif
