/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Validate ring buffer records before anything reads them. */
#ifndef CW_DECODER_H
#define CW_DECODER_H

#include <stddef.h>

#include "credwatch.h"

struct cw_event {
	__u32 type;
	union {
		struct cw_exec_event exec; /* aligned copy of the fixed part */
		struct cw_exit_event exit;
		struct cw_conn_event conn;
		struct cw_data_event data;
		struct cw_close_event close;
		struct cw_bind_event bind;
		struct cw_file_open_event file_open;
		struct cw_cgroup_event cgroup;
	};
	/* exec: views into the record's payload (not NUL-terminated) */
	const char *path;
	const char *argv;
	const char *env;
	/* data: the chunk's bytes */
	const char *payload;
};

/*
 * Decode one record of size sz. Returns 0, or -EINVAL with *why set to a static reason
 * (too short, unknown type, lengths past the record or past their bounds).
 */
int cw_decode(const void *data, size_t sz, struct cw_event *out, const char **why);

#endif
