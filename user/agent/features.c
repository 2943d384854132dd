// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Kernel feature probes (features.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/features.h"

static const char *const names[CW_FEAT_MAX] = {
	[CW_FEAT_RINGBUF] = "ringbuf",	   [CW_FEAT_BPF_LOOP] = "bpf_loop",
	[CW_FEAT_UPROBES] = "uprobes",	   [CW_FEAT_CGROUP_TP] = "cgroup-tracepoints",
	[CW_FEAT_HOLD_EXEC] = "hold-exec",
};

const char *cw_feature_name(enum cw_feature feat)
{
	return feat < CW_FEAT_MAX ? names[feat] : "?";
}

bool cw_tracepoint_exists(const char *category, const char *name)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[256];

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/%s/%s", roots[i], category, name);
		if (access(path, F_OK) == 0)
			return true;
	}
	return false;
}

/*
 * Does a hash map take BPF_MAP_LOOKUP_AND_DELETE_ELEM (5.14)? Releasing a held process reads
 * its flags and deletes it in one step (first_exec.c).
 */
static bool lookup_and_delete_works(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "cw_probe", 4, 4, 1, NULL);
	__u32 k = 1, v = 2, out = 0;
	bool ok;

	if (fd < 0)
		return false;
	ok = !bpf_map_update_elem(fd, &k, &v, BPF_ANY) &&
	     !bpf_map_lookup_and_delete_elem(fd, &k, &out) && out == v;
	close(fd);
	return ok;
}

/* Is name in the comma-separated list? */
static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	while (list && *list) {
		if (!strncmp(list, name, n) && (list[n] == ',' || list[n] == '\0'))
			return true;
		list = strchr(list, ',');
		if (list)
			list++;
	}
	return false;
}

void cw_features_probe(struct cw_features *f)
{
	const char *hide = getenv("CREDWATCH_TEST_HIDE_FEATURES");

	f->have[CW_FEAT_RINGBUF] = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) > 0;
	f->have[CW_FEAT_BPF_LOOP] =
		libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_loop, NULL) > 0;
	/* the PMU uprobes are created through (CONFIG_UPROBE_EVENTS) */
	f->have[CW_FEAT_UPROBES] = access("/sys/bus/event_source/devices/uprobe/type", F_OK) == 0;
	f->have[CW_FEAT_CGROUP_TP] = cw_tracepoint_exists("cgroup", "cgroup_rmdir");
	f->have[CW_FEAT_HOLD_EXEC] =
		libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_send_signal, NULL) > 0 &&
		cw_tracepoint_exists("signal", "signal_generate") && lookup_and_delete_works();
	for (int i = 0; i < CW_FEAT_MAX; i++)
		if (listed(hide, names[i]))
			f->have[i] = false;
	/* holding a new executable only serves its TLS probes */
	f->have[CW_FEAT_HOLD_EXEC] = f->have[CW_FEAT_HOLD_EXEC] && f->have[CW_FEAT_UPROBES];
}

void cw_features_describe(const struct cw_features *f, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < CW_FEAT_MAX && o < len; i++)
		if (f->have[i])
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", names[i]);
}
