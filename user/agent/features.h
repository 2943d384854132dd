/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the running kernel offers the probes, probed once at start: the agent loads what works,
 * says in one line what it left out and why, and names the set in its start line.
 */
#ifndef CW_FEATURES_H
#define CW_FEATURES_H

#include <stdbool.h>
#include <stddef.h>

enum cw_feature {
	CW_FEAT_RINGBUF,   /* BPF ring buffer (5.8): without it nothing runs */
	CW_FEAT_BPF_LOOP,  /* bpf_loop (5.17): the path filter and HTTP/2 frame following */
	CW_FEAT_UPROBES,   /* uprobe events: TLS plaintext */
	CW_FEAT_CGROUP_TP, /* cgroup_mkdir/rmdir tracepoints: cgroups named as they are made */
	/* bpf_send_signal (5.3) and lookup-and-delete on a hash map (5.14): a new executable's
	 * first exec held until its TLS probes are attached (first_exec.h) */
	CW_FEAT_HOLD_EXEC,
	CW_FEAT_MAX,
};

struct cw_features {
	bool have[CW_FEAT_MAX];
};

/*
 * Probe the kernel. CREDWATCH_TEST_HIDE_FEATURES (a comma-separated list of feature names, for
 * tests only) makes the named ones look missing, so degradation can be tested on a kernel
 * that has them.
 */
void cw_features_probe(struct cw_features *f);
/* Its name as the start line and CREDWATCH_TEST_HIDE_FEATURES spell it ("uprobes"). */
const char *cw_feature_name(enum cw_feature feat);
/* Does the tracepoint CATEGORY/NAME exist (tracefs, or its debugfs view)? */
bool cw_tracepoint_exists(const char *category, const char *name);
/* The features present, comma-separated, into buf. */
void cw_features_describe(const struct cw_features *f, char *buf, size_t len);

#endif
