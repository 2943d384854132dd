// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The status file (status.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/stats.h"
#include "agent/status.h"
#include "util/fileio.h"

static void render_events(const struct cw_ops_snapshot *s, struct cw_json *j)
{
	uint64_t received = 0, dropped = 0;

	for (int t = 1; t < CW_EV_MAX; t++) {
		received += s->events[t];
		dropped += s->dropped[t];
	}
	cw_json_kobj(j, "events");
	cw_json_kuint(j, "received", received);
	cw_json_kuint(j, "dropped", dropped);
	cw_json_kobj(j, "dropped_by_kind");
	for (int t = 1; t < CW_EV_MAX; t++)
		if (s->dropped[t])
			cw_json_kuint(j, cw_agent_event_names[t], s->dropped[t]);
	cw_json_obj_end(j);
	cw_json_kuint(j, "malformed", s->malformed);
	cw_json_obj_end(j);
}

static void render_output(const struct cw_output_stats *o, struct cw_json *j)
{
	cw_json_obj_begin(j);
	cw_json_kstr(j, "spec", o->spec);
	cw_json_kstr(j, "sink", cw_sink_kind_name(o->kind));
	cw_json_kstr(j, "format", cw_format_name(o->format));
	cw_json_kbool(j, "healthy", o->healthy);
	cw_json_kuint(j, "written", o->written);
	cw_json_kuint(j, "delivered", o->delivered);
	cw_json_kuint(j, "failures", o->failures);
	cw_json_kuint(j, "retries", o->retries);
	cw_json_kuint(j, "rejected", o->rejected);
	cw_json_kuint(j, "queued", o->queued);
	cw_json_kint(j, "oldest_queued_ms", o->oldest_queued_ms);
	cw_json_kuint(j, "spool_bytes", o->spool_bytes);
	cw_json_kuint(j, "dropped_alerts", o->dropped_alerts);
	cw_json_kuint(j, "dropped_events", o->dropped_events);
	cw_json_kstr(j, "last_error", o->last_error);
	cw_json_obj_end(j);
}

void cw_status_render(const struct cw_ops_snapshot *s, struct cw_json *j)
{
	char ts[32];

	cw_json_reset(j);
	cw_json_obj_begin(j);
	cw_json_kstr(j, "version", s->version);
	cw_json_kint(j, "pid", s->pid);
	cw_json_kbool(j, "running", s->running);
	cw_json_timestamp(ts, s->start_unix_ms * 1000000);
	cw_json_kstr(j, "started", ts);
	cw_json_kint(j, "started_unix_ms", s->start_unix_ms);
	cw_json_timestamp(ts, s->now_unix_ms * 1000000);
	cw_json_kstr(j, "updated", ts);
	cw_json_kint(j, "updated_unix_ms", s->now_unix_ms);
	cw_json_kint(j, "interval_s", CW_STATUS_INTERVAL_S);
	render_events(s, j);
	cw_json_kuint(j, "alerts", s->alerts);
	cw_json_kuint(j, "observations", s->observations);
	cw_json_kuint(j, "rss_bytes", s->rss_bytes);
	cw_json_key(j, "cpu_seconds");
	cw_json_double(j, s->cpu_seconds);
	cw_json_key(j, "outputs");
	cw_json_arr_begin(j);
	for (size_t i = 0; i < s->noutputs; i++)
		render_output(&s->outputs[i], j);
	cw_json_arr_end(j);
	cw_json_obj_end(j);
}

int cw_status_write(const char *path, const struct cw_ops_snapshot *s, struct cw_json *j)
{
	char tmp[4096], dir[4096];
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	snprintf(dir, sizeof(dir), "%s", path);
	if ((ret = cw_mkdir_p(dirname(dir), 0755)))
		return ret;
	cw_status_render(s, j);
	if (j->oom)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	ret = fchmod(fd, 0644) ? -errno : 0; /* whatever the umask */
	if (!ret)
		ret = cw_write_all(fd, j->buf, j->len);
	if (!ret)
		ret = cw_write_all(fd, "\n", 1);
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}
