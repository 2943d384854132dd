// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The agent's side of the tap (tap.h): what the host modules learn goes to the recorder as
 * CW_TAP_HOST records (the host tap, host/hosttap.h, forwards here), the wall clock as
 * CW_TAP_CLOCK, and on the recorder's demand the agent's tables as they are now.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/state.h"
#include "host/hosttap.h"

/* The agent whose tap is live: one agent a process. */
static struct cw_agent *tapped;

/* The record's bytes (CW_HOST_REC_HDR header, key, value) in a->tap_buf; false: no memory. */
static bool build(struct cw_agent *a, uint16_t kind, const void *key, size_t klen, const void *val,
		  size_t vlen)
{
	size_t need = CW_HOST_REC_HDR + klen + vlen;

	if (need > a->tap_cap) {
		size_t cap = a->tap_cap ? a->tap_cap : 4096;
		unsigned char *nb;

		while (cap < need)
			cap *= 2;
		if (!(nb = realloc(a->tap_buf, cap)))
			return false;
		a->tap_buf = nb;
		a->tap_cap = cap;
	}
	cw_host_rec_header(a->tap_buf, kind, (uint32_t)klen, (uint32_t)vlen);
	if (klen)
		memcpy(a->tap_buf + CW_HOST_REC_HDR, key, klen);
	if (vlen)
		memcpy(a->tap_buf + CW_HOST_REC_HDR + klen, val, vlen);
	return true;
}

static void host_record(void *arg, uint16_t kind, const void *key, size_t klen, const void *val,
			size_t vlen)
{
	struct cw_agent *a = arg;

	if (!a->tap || !build(a, kind, key, klen, val, vlen))
		return;
	a->tap->record(a->tap->arg, CW_TAP_HOST, a->tap_ts, a->tap_buf,
		       CW_HOST_REC_HDR + klen + vlen);
	/* a file's bytes may be a credential's: not left in the buffer */
	if (kind == CW_HOST_FILE || kind == CW_HOST_ENVIRON)
		explicit_bzero(a->tap_buf, CW_HOST_REC_HDR + klen + vlen);
}

static void emit_clock(struct cw_agent *a, uint64_t now_ns)
{
	unsigned char v[8];

	cw_le64(v, (uint64_t)a->f.mono_to_real_ns);
	a->tap->record(a->tap->arg, CW_TAP_CLOCK, now_ns, v, sizeof(v));
	a->tap_clock = a->f.mono_to_real_ns;
}

static void emit_setting(struct cw_agent *a, const char *name, uint64_t v)
{
	unsigned char b[8];

	cw_le64(b, v);
	host_record(a, CW_HOST_SETTING, name, strlen(name), b, sizeof(b));
}

/* How this agent handles what it is sent: a replay must handle it the same way. */
static void emit_settings(struct cw_agent *a)
{
	emit_setting(a, "self_pid", (uint64_t)getpid());
	emit_setting(a, "capture_reads", a->opts->capture_reads);
	emit_setting(a, "file_cap", a->opts->file_cap);
	/* The fingerprint key: a replay elsewhere prints the fingerprints this host printed (the
	 * SIEM joins on them). A trace holds credentials in plaintext already; --recipient
	 * encrypts both. */
	host_record(a, CW_HOST_SETTING, "fingerprint_key", 15, a->key.key, sizeof(a->key.key));
}

void cw_agent_tap_clock(struct cw_agent *a, uint64_t now_ns)
{
	if (a->tap && a->tap_clock != a->f.mono_to_real_ns)
		emit_clock(a, now_ns);
}

void cw_agent_tap_start(struct cw_agent *a)
{
	struct timespec ts;

	a->tap = a->opts->tap && a->opts->tap->record ? a->opts->tap : NULL;
	if (!a->tap)
		return;
	tapped = a;
	cw_host_tap_set(&(struct cw_host_tap){ .record = host_record, .arg = a });
	clock_gettime(CLOCK_MONOTONIC, &ts);
	a->tap_ts = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	emit_clock(a, a->tap_ts);
	emit_settings(a);
}

void cw_agent_tap_stop(struct cw_agent *a)
{
	if (tapped == a) {
		cw_host_tap_set(NULL);
		tapped = NULL;
	}
	a->tap = NULL;
	free(a->tap_buf);
	a->tap_buf = NULL;
	a->tap_cap = 0;
}

static void emit_proc(void *arg, const struct cw_proc_info *i)
{
	struct cw_agent *a = arg;
	unsigned char k[4], v[CW_PROC_STATE_MAX];
	size_t n = cw_proc_state_encode(i, k, v);

	host_record(a, CW_HOST_PROC_STATE, k, sizeof(k), v, n);
}

static void emit_workload(void *arg, const struct cw_workload *wl)
{
	(void)arg;
	cw_workload_note(wl);
}

void cw_agent_tap_state(const struct cw_tap *tap)
{
	struct cw_agent *a = tapped;

	unsigned char *held;
	size_t cap;

	if (!a || a->tap != tap)
		return;
	/* a buffer of its own: the caller may be inside record() with a host record's bytes */
	held = a->tap_buf;
	cap = a->tap_cap;
	a->tap_buf = NULL;
	a->tap_cap = 0;
	emit_clock(a, a->tap_ts);
	emit_settings(a);
	cw_procs_each(a->procs, emit_proc, a);
	cw_workloads_each(a->wls, emit_workload, NULL);
	free(a->tap_buf);
	a->tap_buf = held;
	a->tap_cap = cap;
}
