// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The ring-buffer loop: drain the kernel's events into the decoder and hand each to the
 * handler of its family (exec and exit, files, cgroups, connections), tick the handlers'
 * timers, reload the policy on SIGHUP and report drops every --stats-interval.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "credwatch.skel.h"
#include "agent/state.h"
#include "events/decoder.h"
#include "host/hostroot.h"
#include "util/clock.h"
#include "util/log.h"

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t reload_flag;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_flag = 1;
	else
		stop_flag = 1;
}

void cw_agent_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * The new image's binary itself (a script's interpreter, python3.11 for python3), as
 * /proc/PID/exe names it elsewhere; the exec'd name when it is gone.
 */
static void record_exec_image(struct cw_agent *a, const struct cw_event *ev)
{
	char real[CW_PROCS_EXE_MAX];

	cw_procs_read_exe(a->procs, ev->exec.pid, real); /* through the host tap */
	if (real[0])
		cw_procs_exec(a->procs, ev->exec.pid, ev->exec.ppid, ev->exec.top_pid, real,
			      strlen(real));
	else
		cw_procs_exec(a->procs, ev->exec.pid, ev->exec.ppid, ev->exec.top_pid, ev->path,
			      ev->exec.path_len);
}

static int on_exec_event(struct cw_agent *a, const struct cw_event *ev)
{
	/* The old image's TLS sessions end with it, reported as the old image's. */
	int ret = a->egress.nconns ? cw_conns_exec(&a->egress, ev->exec.pid) : 0;

	/* A new image: its own binary may carry TLS (node, Go); its libraries are read
	 * from its maps when it first connects. */
	if (!a->replay) {
		cw_tls_forget_pid(&a->tls, ev->exec.pid);
		cw_tls_scan_exe(&a->tls, ev->exec.pid);
	}
	record_exec_image(a, ev);
	cw_exposure_exec(&a->x, ev->exec.pid, ev->exec.start_ns, ev->exec.hdr.ktime_ns);
	/* its close-on-exec files closed without a close() */
	if (!ret)
		ret = cw_files_exec(&a->files, ev->exec.pid);
	if (!ret)
		ret = cw_exec_handle(&a->exec, ev);
	return ret;
}

static int on_exit_event(struct cw_agent *a, const struct cw_event *ev)
{
	int ret;

	if (!a->replay)
		cw_tls_forget_pid(&a->tls, ev->exit.pid);
	ret = a->egress.nconns ? cw_conns_exit(&a->egress, ev->exit.pid) : 0;
	if (!ret)
		ret = cw_files_exit(&a->files, ev->exit.pid);
	cw_procs_exit(a->procs, ev->exit.pid);
	cw_exposure_exit(&a->x, ev->exit.pid);
	return ret;
}

/*
 * The agent's own connections are not a workload's: the pod metadata client sends its
 * service-account token to the API server or the kubelet, HTTPS outputs send theirs. (Its
 * own file opens are left out in the kernel, cw_self_tgid.)
 */
static __u32 self_pid;

/* A replay: the recording agent's pid (its CW_HOST_SETTING "self_pid"). */
void cw_agent_set_self_pid(uint32_t pid)
{
	self_pid = pid;
}

static bool own_socket_event(const struct cw_event *ev)
{
	if (!self_pid)
		return false;
	switch (ev->type) {
	case CW_EV_CONN: return ev->conn.pid == self_pid;
	case CW_EV_BIND: return ev->bind.pid == self_pid;
	case CW_EV_DATA: return ev->data.pid == self_pid;
	default: return false;
	}
}

/* The handler of each event type: 0, or -errno when findings cannot be written. */
static int dispatch(struct cw_agent *a, const struct cw_event *ev)
{
	if (own_socket_event(ev))
		return 0;
	switch (ev->type) {
	case CW_EV_EXEC: return on_exec_event(a, ev);
	case CW_EV_EXIT: return on_exit_event(a, ev);
	case CW_EV_FILE_OPEN: return cw_files_open(&a->files, ev);
	case CW_EV_FILE_DATA: return cw_files_data(&a->files, ev);
	case CW_EV_FILE_CLOSE:
		return cw_files_close(&a->files, ev->close.pid, ev->close.fd, ev->close.conn_id);
	case CW_EV_CGROUP_RMDIR: cw_workloads_forget(a->wls, ev->cgroup.id); return 0;
	case CW_EV_CGROUP_MKDIR:
		cw_workloads_learn(a->wls, ev->cgroup.id, ev->cgroup.path);
		return 0;
	case CW_EV_CONN:
		if (!a->replay)
			cw_tls_scan_pid(&a->tls, ev->conn.pid);
		return cw_conns_conn(&a->egress, ev);
	case CW_EV_BIND: return cw_conns_bind(&a->egress, ev);
	case CW_EV_DATA: return cw_conns_data(&a->egress, ev);
	case CW_EV_CLOSE:
		return cw_conns_close(&a->egress, ev->close.pid, ev->close.fd, ev->close.conn_id);
	default: return 0;
	}
}

int cw_agent_handle_record(struct cw_agent *a, const void *data, size_t sz)
{
	struct cw_event ev;
	const char *why = NULL;
	int ret;

	/* recorded before anything is made of it: a replay sees what the agent saw */
	if (a->tap) {
		struct cw_event_hdr h = { 0 };

		if (sz >= sizeof(h))
			memcpy(&h, data, sizeof(h));
		a->tap_ts = h.ktime_ns;
		a->tap->record(a->tap->arg, CW_TAP_RAW, h.ktime_ns, data, sz);
	}
	if (cw_decode(data, sz, &ev, &why)) {
		a->malformed++;
		cw_debug("malformed event (%zu bytes): %s", sz, why);
		return 0;
	}
	a->events[ev.type]++;
	ret = dispatch(a, &ev);
	if (ret && !a->out_err) {
		a->out_err = ret;
		cw_log("cannot write findings: %s", strerror(-ret));
		return ret; /* stops the poll loop */
	}
	return 0;
}

static int handle_event(void *ctx, void *data, size_t sz)
{
	return cw_agent_handle_record(ctx, data, sz);
}

int cw_agent_open_ringbuf(struct cw_agent *a)
{
	int ret;

	self_pid = (__u32)getpid();
	a->rb = ring_buffer__new(bpf_map__fd(a->skel->maps.events), handle_event, a, NULL);
	if (!a->rb) {
		ret = -errno;
		cw_log("cannot open ring buffer: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

/*
 * The longest a quiet event waits: the probes wake the agent only when data piles up (a
 * sixteenth of the ring), so a lone exec with a token in its argv is read at the next timeout.
 * 25 ms keeps an alert's p99 well under 100 ms for 40 idle wakeups a second.
 */
#define POLL_MS 25

/* Wait for events and handle them: 0, -EINTR (a signal), or another -errno. */
static int poll_events(struct cw_agent *a)
{
	int n = ring_buffer__poll(a->rb, POLL_MS);

	/* Probes wake us only when data piles up: drain what came quietly, too. */
	if (n >= 0)
		n = ring_buffer__consume(a->rb);
	return n < 0 ? n : 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int cw_agent_tick(struct cw_agent *a, uint64_t now_ns)
{
	if (a->tap) {
		cw_agent_tap_clock(a, now_ns);
		a->tap_ts = now_ns;
		a->tap->record(a->tap->arg, CW_TAP_TICK, now_ns, NULL, 0);
	}
	return cw_conns_tick(&a->egress, now_ns) || cw_files_tick(&a->files, now_ns) ||
	       cw_exposure_tick(&a->x);
}

/* What the handlers do on their own time: flush quiet streams, expire windows. */
static int tick_handlers(struct cw_agent *a)
{
	return cw_agent_tick(a, mono_ns());
}

int cw_agent_poll(struct cw_agent *a, const struct cw_agent_opts *o)
{
	double next_stats = cw_mono_s() + (double)o->stats_interval;
	int ret = 0;

	while (!stop_flag) {
		int n = poll_events(a);

		if (n == -EINTR)
			continue;
		if (n < 0) {
			if (!a->out_err)
				cw_log("ring buffer poll: %s", strerror(-n));
			ret = 1;
			break;
		}
		if (tick_handlers(a)) {
			ret = 1;
			break;
		}
		/* this iteration's findings to the files and spools, in one write each */
		cw_outputs_tick(a->outputs);
		if (reload_flag) {
			reload_flag = 0;
			cw_agent_reload(a);
		}
		cw_agent_ops_tick(a);
		if (cw_mono_s() >= next_stats) {
			cw_agent_report_drops(a, o->stats_interval);
			next_stats = cw_mono_s() + (double)o->stats_interval;
		}
	}
	/* Drain what is already in the ring. */
	if (!ret)
		ring_buffer__consume(a->rb);
	return ret;
}
