// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The ring-buffer record decoder: every record is checked (size, type, each length against
 * its bound and against the record) and copied out before anything reads it.
 */
#include <errno.h>
#include <string.h>

#include "events/decoder.h"

static int bad(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -EINVAL;
}

/* A fixed-size record: at least n bytes, copied out (the ring buffer promises no alignment). */
static int copy_fixed(void *dst, size_t n, const void *data, size_t sz, const char **why,
		      const char *too_short)
{
	if (sz < n)
		return bad(why, too_short);
	memcpy(dst, data, n);
	return 0;
}

static int decode_exec(const char *p, size_t sz, struct cw_event *out, const char **why)
{
	struct cw_exec_event *e = &out->exec;
	size_t payload;

	if (copy_fixed(e, sizeof(*e), p, sz, why, "exec record shorter than its header"))
		return -EINVAL;
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

static int decode_conn(const void *data, size_t sz, struct cw_event *out, const char **why)
{
	if (copy_fixed(&out->conn, sizeof(out->conn), data, sz, why, "connect record too short"))
		return -EINVAL;
	if (out->conn.conn.family != 2 && out->conn.conn.family != 10)
		return bad(why, "connect record with an unknown address family");
	return 0;
}

/* Sent bytes (CW_EV_DATA) or bytes read from a watched file (CW_EV_FILE_DATA). */
static int decode_data(const void *data, size_t sz, struct cw_event *out, const char **why)
{
	if (copy_fixed(&out->data, sizeof(out->data), data, sz, why,
		       "data record shorter than its header"))
		return -EINVAL;
	if (out->data.len == 0 || out->data.len > CW_CHUNK_MAX)
		return bad(why, "data record length past its bound");
	if (out->data.len > sz - sizeof(out->data))
		return bad(why, "data record length past the end of the record");
	if (out->data.source < CW_SRC_TCP || out->data.source >= CW_SRC_MAX)
		return bad(why, "data record from an unknown source");
	if ((out->type == CW_EV_FILE_DATA) != (out->data.source == CW_SRC_FILE))
		return bad(why, "data record whose source does not fit its type");
	out->payload = (const char *)data + sizeof(out->data);
	return 0;
}

static int decode_bind(const void *data, size_t sz, struct cw_event *out, const char **why)
{
	if (copy_fixed(&out->bind, sizeof(out->bind), data, sz, why, "bind record too short"))
		return -EINVAL;
	if (out->bind.source < CW_SRC_OPENSSL || out->bind.source >= CW_SRC_MAX)
		return bad(why, "bind record from an unknown TLS library");
	return 0;
}

static int decode_file_open(const void *data, size_t sz, struct cw_event *out, const char **why)
{
	struct cw_file_open_event *f = &out->file_open;

	if (copy_fixed(f, sizeof(*f), data, sz, why, "file open record too short"))
		return -EINVAL;
	if (f->path_len == 0 || f->path_len >= CW_FILE_PATH_MAX)
		return bad(why, "file open record path length past its bound");
	if (memchr(f->path, '\0', f->path_len))
		return bad(why, "file open record path with a NUL inside");
	if ((f->flags & CW_FILE_CWD) &&
	    (f->cwd_len == 0 || f->cwd_len >= CW_FILE_PATH_MAX || memchr(f->cwd, '\0', f->cwd_len)))
		return bad(why, "file open record working directory past its bound");
	return 0;
}

static int decode_cgroup(const void *data, size_t sz, struct cw_event *out, const char **why)
{
	if (copy_fixed(&out->cgroup, sizeof(out->cgroup), data, sz, why, "cgroup record too short"))
		return -EINVAL;
	if (!memchr(out->cgroup.path, '\0', sizeof(out->cgroup.path)))
		return bad(why, "cgroup record path without its NUL");
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
		return copy_fixed(&out->exit, sizeof(out->exit), data, sz, why,
				  "exit record too short");
	case CW_EV_CONN: return decode_conn(data, sz, out, why);
	case CW_EV_DATA:
	case CW_EV_FILE_DATA: return decode_data(data, sz, out, why);
	case CW_EV_CLOSE:
	case CW_EV_FILE_CLOSE:
		return copy_fixed(&out->close, sizeof(out->close), data, sz, why,
				  "close record too short");
	case CW_EV_BIND: return decode_bind(data, sz, out, why);
	case CW_EV_FILE_OPEN: return decode_file_open(data, sz, out, why);
	case CW_EV_CGROUP_RMDIR:
	case CW_EV_CGROUP_MKDIR: return decode_cgroup(data, sz, out, why);
	default: return bad(why, "unknown event type");
	}
}
