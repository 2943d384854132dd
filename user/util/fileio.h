/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef CW_FILEIO_H
#define CW_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Write all n bytes (retrying short writes and EINTR): 0 or -errno. */
int cw_write_all(int fd, const void *buf, size_t n);
/* mkdir -p with mode for each directory made: 0 or -errno. */
int cw_mkdir_p(const char *dir, mode_t mode);

#endif
