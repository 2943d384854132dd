/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Tracked open credential files: shared by files.bpf.c and the close probe in net.bpf.c. */
#ifndef CREDWATCH_FILES_BPF_H
#define CREDWATCH_FILES_BPF_H

#include "common.bpf.h"

/* A tracked file's fd is being closed: tell the agent (its stream ends) and forget it. */
static __always_inline void cw_file_closed(__u32 tgid, __u32 fd)
{
	struct cw_conn_key key = { .tgid = tgid, .fd = fd };
	struct cw_file *f = bpf_map_lookup_elem(&files, &key);
	struct cw_close_event *e;

	if (!f)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e) {
		cw_fill_hdr(&e->hdr, CW_EV_FILE_CLOSE);
		e->pid = tgid;
		e->fd = fd;
		e->conn_id = f->id;
		bpf_ringbuf_submit(e, cw_rb_flags());
	} else {
		cw_count_drop(CW_EV_FILE_CLOSE);
	}
	if (!bpf_map_delete_elem(&files, &key))
		cw_mark_lower(cw_fd_mark(tgid, fd));
}

#endif /* CREDWATCH_FILES_BPF_H */
