// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <string.h>

#include "events/decoder.h"

static int bad(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -EINVAL;
}

static int decode_exec(const char *p, size_t sz, struct cw_event *out, const char **why)
{
	struct cw_exec_event *e = &out->exec;
	size_t payload;

	if (sz < sizeof(*e))
		return bad(why, "exec record shorter than its header");
	memcpy(e, p, sizeof(*e)); /* the ring buffer gives no alignment promise we rely on */
	if (e->path_len >= CW_PATH_MAX || e->argv_len > CW_ARGV_MAX || e->env_len > CW_ENV_MAX)
		return bad(why, "exec record length past its bound");
	payload = (size_t)e->path_len + e->argv_len + e->env_len;
	if (payload > sz - sizeof(*e))
		return bad(why, "exec record lengths past the end of the record");
	if (e->argv_len > e->argv_full_len || e->env_len > e->env_full_len)
		return bad(why, "exec record captured more than the process had");
	out->path = p + sizeof(*e);
	out->argv = out->path + e->path_len;
	out->env = out->argv + e->argv_len;
	return 0;
}

int cw_decode(const void *data, size_t sz, struct cw_event *out, const char **why)
{
	struct cw_event_hdr h;

	memset(out, 0, sizeof(*out));
	if (!data || sz < sizeof(h))
		return bad(why, "record shorter than the event header");
	memcpy(&h, data, sizeof(h));
	out->type = h.type;
	switch (h.type) {
	case CW_EV_EXEC: return decode_exec(data, sz, out, why);
	case CW_EV_EXIT:
		if (sz < sizeof(out->exit))
			return bad(why, "exit record too short");
		memcpy(&out->exit, data, sizeof(out->exit));
		return 0;
	case CW_EV_CONN:
		if (sz < sizeof(out->conn))
			return bad(why, "connect record too short");
		memcpy(&out->conn, data, sizeof(out->conn));
		if (out->conn.conn.family != 2 && out->conn.conn.family != 10)
			return bad(why, "connect record with an unknown address family");
		return 0;
	case CW_EV_DATA:
	case CW_EV_FILE_DATA:
		if (sz < sizeof(out->data))
			return bad(why, "data record shorter than its header");
		memcpy(&out->data, data, sizeof(out->data));
		if (out->data.len == 0 || out->data.len > CW_CHUNK_MAX)
			return bad(why, "data record length past its bound");
		if (out->data.len > sz - sizeof(out->data))
			return bad(why, "data record length past the end of the record");
		if (out->data.source < CW_SRC_TCP || out->data.source >= CW_SRC_MAX)
			return bad(why, "data record from an unknown source");
		if ((h.type == CW_EV_FILE_DATA) != (out->data.source == CW_SRC_FILE))
			return bad(why, "data record whose source does not fit its type");
		out->payload = (const char *)data + sizeof(out->data);
		return 0;
	case CW_EV_CLOSE:
	case CW_EV_FILE_CLOSE:
		if (sz < sizeof(out->close))
			return bad(why, "close record too short");
		memcpy(&out->close, data, sizeof(out->close));
		return 0;
	case CW_EV_BIND:
		if (sz < sizeof(out->bind))
			return bad(why, "bind record too short");
		memcpy(&out->bind, data, sizeof(out->bind));
		if (out->bind.source < CW_SRC_OPENSSL || out->bind.source >= CW_SRC_MAX)
			return bad(why, "bind record from an unknown TLS library");
		return 0;
	case CW_EV_FILE_OPEN:
		if (sz < sizeof(out->file_open))
			return bad(why, "file open record too short");
		memcpy(&out->file_open, data, sizeof(out->file_open));
		if (out->file_open.path_len == 0 || out->file_open.path_len >= CW_FILE_PATH_MAX)
			return bad(why, "file open record path length past its bound");
		if (memchr(out->file_open.path, '\0', out->file_open.path_len))
			return bad(why, "file open record path with a NUL inside");
		if ((out->file_open.flags & CW_FILE_CWD) &&
		    (out->file_open.cwd_len == 0 || out->file_open.cwd_len >= CW_FILE_PATH_MAX ||
		     memchr(out->file_open.cwd, '\0', out->file_open.cwd_len)))
			return bad(why, "file open record working directory past its bound");
		return 0;
	case CW_EV_CGROUP_RMDIR:
	case CW_EV_CGROUP_MKDIR:
		if (sz < sizeof(out->cgroup))
			return bad(why, "cgroup record too short");
		memcpy(&out->cgroup, data, sizeof(out->cgroup));
		if (!memchr(out->cgroup.path, '\0', sizeof(out->cgroup.path)))
			return bad(why, "cgroup record path without its NUL");
		return 0;
	default: return bad(why, "unknown event type");
	}
}
