/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Whole-file reads and writes that retry what the kernel cuts short, and mkdir -p. */
#ifndef CW_FILEIO_H
#define CW_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Write all n bytes (retrying short writes and EINTR): 0 or -errno. */
int cw_write_all(int fd, const void *buf, size_t n);
/*
 * Read the whole file at path into a malloc'ed *buf (its length in *len, a NUL after it), to
 * its end rather than to the size it had when opened. 0; -EFBIG when it holds more than max
 * bytes; else -errno (opening, reading, memory). *buf is set only on success.
 */
int cw_read_file(const char *path, size_t max, char **buf, size_t *len);
/* mkdir -p with mode for each directory made: 0 or -errno. */
int cw_mkdir_p(const char *dir, mode_t mode);

#endif
