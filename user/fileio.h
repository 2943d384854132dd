/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef CW_FILEIO_H
#define CW_FILEIO_H

#include <stddef.h>

/* Write all n bytes (retrying short writes and EINTR): 0 or -errno. */
int cw_write_all(int fd, const void *buf, size_t n);

#endif
