/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What a process's mount table (/proc/PID/mountinfo) says about a file: is it on the container
 * image's root filesystem (an overlay mounted at "/"), and in one of that overlay's lower
 * (image) layers, rather than on a mounted secret, volume or bind mount?
 */
#ifndef CW_MOUNTINFO_H
#define CW_MOUNTINFO_H

#include <stdbool.h>
#include <stdint.h>

/* pid's mount table from PROC/PID/mountinfo, NUL-terminated (at most 1 MiB), or NULL. Free it. */
char *cw_mountinfo_read(const char *proc, uint32_t pid);

/* Unescape a mount table field in place: the kernel writes space, tab, newline and '\' as
 * octal escapes ("\040"). */
void cw_mountinfo_unescape(char *s);

/*
 * The mount point of the first cgroup2 mount in a mounts file (PROC/mounts, PROC/1/mounts: one
 * "device mountpoint type ..." line per mount), unescaped, in *out (free it). 0; -ENOENT when
 * there is none; -errno when the file cannot be read.
 */
int cw_mounts_cgroup2(const char *mounts_file, char **out);

/* Is path, opened by a process whose mount table is mountinfo, on the image's root overlay? */
bool cw_path_in_image(const char *mountinfo, const char *path);
/* Is mount id mnt_id the container's root overlay in the mount table mountinfo? */
bool cw_mount_is_image_root(const char *mountinfo, long mnt_id);
/* Is path in one of overlay mount mnt_id's lower layers: 1 yes, 0 no, -1 cannot tell (a
 * layer not visible from here, or no lowerdir option). */
int cw_overlay_lower_has(const char *mountinfo, long mnt_id, const char *path);

/*
 * Is the file open as fd (ours), which process pid opened as path, baked into its image: on
 * the root overlay and in one of its lower layers? A file only in the upper layer was written
 * at run time (a token cache), not shipped. When a layer cannot be looked at from here, on the
 * root overlay is taken as from the image.
 */
bool cw_fd_in_image(const char *proc, uint32_t pid, int fd, const char *path);

#endif
