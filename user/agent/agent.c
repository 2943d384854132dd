// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * credwatch run: the host agent's lifecycle as a list of steps. Detection, output and
 * judgement are set up first (they fail without root and cost nothing in the kernel), then
 * the BPF side: load (load.c), attach (attach.c), maps (maps.c), the ring-buffer loop
 * (ringbuf.c), and at the stop the statistics (stats.c) and an orderly teardown.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "credwatch.skel.h"
#include "agent/agent.h"
#include "agent/caps.h"
#include "agent/instance.h"
#include "agent/state.h"
#include "host/hostroot.h"
#include "util/fileperm.h"
#include "util/log.h"

static void teardown(struct cw_agent *a);

/*
 * Where the host is (--host-root), set before anything reads it, and the pid namespace the
 * kernel's pids are from: the agent must be in it (hostroot.h). 0, or 1 (the exit status).
 */
static int set_host_root(const struct cw_agent_opts *o)
{
	char err[512];

	if (cw_host_root_set(o->host_root, err, sizeof(err)) ||
	    cw_host_pidns_check(err, sizeof(err))) {
		cw_log("%s", err);
		return 1;
	}
	if (cw_host_root_is_set())
		cw_log("host root %s: the host's /proc, cgroups, pod logs and kubelet files are "
		       "read under it",
		       cw_host_root());
	return 0;
}

/* The workload cache, reading the host's cgroups and pod logs (under --host-root). */
static int new_workloads(struct cw_workloads **out)
{
	char pods[CW_HOST_ROOT_MAX + 32], containers[CW_HOST_ROOT_MAX + 32];
	char fallback[CW_HOST_ROOT_MAX + 32], *cg = NULL;
	struct cw_workload_opts wo = { 0 };
	int ret;

	if (!cw_host_root_is_set())
		return cw_workloads_new(NULL, out);
	wo.proc_dir = cw_host_proc();
	wo.pods_dir = cw_host_path(pods, sizeof(pods), "/var/log/pods");
	wo.containers_dir = cw_host_path(containers, sizeof(containers), "/var/log/containers");
	ret = cw_host_cgroup2_root(&cg);
	if (ret == -ENOMEM)
		return ret;
	if (ret)
		cw_log("no cgroup v2 mount in %s/1/mounts (%s): trying %s", cw_host_proc(),
		       strerror(-ret), cw_host_path(fallback, sizeof(fallback), "/sys/fs/cgroup"));
	wo.cgroup_root = cg ? cg : fallback;
	ret = cw_workloads_new(&wo, out);
	free(cg);
	return ret;
}

/* Root, the kernel's BTF, tracefs: without them nothing loads. 0, or 1 (the exit status). */
static int preflight(const struct cw_agent_opts *o)
{
	if (geteuid() != 0) {
		cw_log("not root: credwatch run loads BPF programs and needs root "
		       "(with the capabilities docs/capabilities.md lists)");
		return 1;
	}
	if (!o->btf && access(CW_AGENT_KERNEL_BTF, R_OK)) {
		cw_log("no BTF: " CW_AGENT_KERNEL_BTF " is missing (kernel built without "
		       "CONFIG_DEBUG_INFO_BTF); pass --btf FILE with this kernel's BTF");
		return 1;
	}
	if (o->btf && access(o->btf, R_OK)) {
		cw_log("--btf %s: %s", o->btf, strerror(errno));
		return 1;
	}
	if (set_host_root(o))
		return 1;
	return cw_agent_ensure_tracefs() ? 1 : 0;
}

/*
 * What the agent trusts, run as root: its config, policy, rules, provenance store,
 * fingerprint key and spool directory are root's and nobody else may write them
 * (util/fileperm.h). 0, or 2 (the exit status) after one line naming the file.
 */
static int check_files(const struct cw_agent_opts *o)
{
	const struct {
		const char *what, *path;
		int entries;
	} f[] = {
		{ "config file", o->config, 0 },
		{ "policy file", o->policy, 0 },
		{ "rules directory", o->rules_dir, 1 },
		{ "provenance store", o->state && strcmp(o->state, "none") ? o->state : NULL, 0 },
		{ "fingerprint key", o->key_file ? o->key_file : CW_FP_DEFAULT_FILE, 0 },
		{ "spool directory", o->spool_dir ? o->spool_dir : CW_SPOOL_DEFAULT_DIR, 0 },
	};
	char err[1024];

	for (size_t i = 0; i < sizeof(f) / sizeof(*f); i++)
		if (cw_fileperm_check(f[i].path, f[i].what, 0, f[i].entries, err, sizeof(err))) {
			cw_log("%s", err);
			return 2;
		}
	return 0;
}

/* Rules, the matcher compiled from them, the fingerprint key. */
static int load_detection(struct cw_agent *a, const struct cw_agent_opts *o)
{
	char err[1024];

	if (cw_rules_load_default(&a->rs, o->rules_dir, err, sizeof(err)) ||
	    cw_matcher_new(&a->rs, &a->m, err, sizeof(err))) {
		cw_log("%s", err);
		return -EINVAL;
	}
	/* A replay takes the key the trace carries (cw_agent_replay_fp_key); until then, and for a
	 * trace without one, a key of its own that no file keeps. */
	if (a->replay && !o->key_file) {
		if (getrandom(a->key.key, sizeof(a->key.key), 0) != (ssize_t)sizeof(a->key.key)) {
			cw_log("cannot make a fingerprint key: %s", strerror(errno));
			return -EINVAL;
		}
		snprintf(a->key.path, sizeof(a->key.path), "(random: the trace carries none)");
		return 0;
	}
	if (cw_fp_key_load(&a->key, o->key_file, err, sizeof(err))) {
		cw_log("%s", err);
		return -EINVAL;
	}
	return 0;
}

/* The outputs given (stdout when none), each behind its spool (output/outputs.h). */
static int open_outputs(struct cw_agent *a, const struct cw_agent_opts *o)
{
	struct cw_outputs_opts oo = { .spool_dir = o->spool_dir,
				      .spool_max = o->spool_max,
				      .sync_ms = o->spool_sync_ms };
	struct cw_output_spec def;
	char err[1024];
	int ret;

	if (!o->noutputs &&
	    cw_output_spec_parse(o->output ? o->output : "stdout", &def, err, sizeof(err))) {
		cw_log("--output %s", err);
		return -EINVAL;
	}
	ret = cw_outputs_open(o->noutputs ? o->outputs : &def, o->noutputs ? o->noutputs : 1, &oo,
			      &a->outputs, err, sizeof(err));
	if (ret)
		cw_log("%s", err);
	return ret;
}

/* The node's API servers, when its kubelet's kubeconfig names them (judge/apiserver.h). */
static void log_apiservers(const struct cw_apiservers *apis)
{
	const struct cw_apiserver_ep *eps;
	const char *file;
	size_t n = cw_apiservers_node(apis, &eps, &file);

	for (size_t i = 0; i < n; i++)
		cw_log("kubernetes API server %s port %u (from %s)", eps[i].host, eps[i].port,
		       file);
}

/* The finding writer's put: counted by action and rule (metrics), then to every output. */
static int put_finding(void *arg, const char *line, size_t len, const char *event_id, bool alert)
{
	struct cw_agent *a = arg;

	cw_agent_ops_count(a, a->f.cur_action, a->f.cur_rule, alert);
	return cw_outputs_put(a->outputs, line, len, event_id, alert);
}

static const char *env_lookup(const char *name)
{
	return getenv(name);
}

/*
 * Kubernetes pod metadata (host/kubeclient.h): the cache, the client thread that feeds it
 * from the API server or the kubelet, and the join that hands it to workloads. Off: nothing.
 * 0, or -EINVAL with the reason logged (options that name no source).
 */
static int start_pod_metadata(struct cw_agent *a, const struct cw_agent_opts *o)
{
	struct cw_kube_opts ko = { .source = o->kube_metadata,
				   .apiserver = o->kube_apiserver,
				   .kubelet_url = o->kubelet_url,
				   .kubelet_insecure_tls = o->kubelet_insecure_tls,
				   .token_file = o->kube_token_file,
				   .ca_file = o->kube_ca_file,
				   .node_name = o->node_name,
				   .timeout_ms = (unsigned)o->kube_timeout_ms };
	struct cw_kube_config c;
	char host[256] = "", err[512];
	int ret;

	gethostname(host, sizeof(host) - 1);
	if (cw_kube_resolve(&ko, env_lookup, host, &c, err, sizeof(err))) {
		cw_log("%s", err);
		return -EINVAL;
	}
	if (c.source == CW_KUBE_OFF) {
		cw_debug("kubernetes metadata: off (%s)", *c.why ? c.why : "kube_metadata off");
		return 0;
	}
	ret = cw_pods_new(
		&(struct cw_pods_opts){ .max_pods = o->kube_max_pods,
					.annotations = o->kube_annotations,
					.nannotations = o->nkube_annotations,
					/* the kubelet lists its own pods only */
					.node = c.source == CW_KUBE_APISERVER ? c.node : NULL },
		&a->pods);
	if (!ret)
		ret = cw_kube_start(&c, a->pods, &a->kube);
	if (ret) {
		cw_log("kubernetes metadata: cannot start: %s", strerror(-ret));
		return ret;
	}
	cw_workloads_set_pods(a->wls, a->pods, cw_kube_want, a->kube);
	cw_log("kubernetes metadata: from %s %s, node %s%s%s%s", cw_kube_source_name(c.source),
	       c.url, *c.node ? c.node : "(any)", *c.why ? " (" : "", c.why, *c.why ? ")" : "");
	return 0;
}

/* A policy that selects pods by their metadata, with no metadata source: say once that those
 * selectors decide nothing (judge/policy.h: what cannot be known does not match). */
static void warn_policy_without_metadata(const struct cw_agent *a)
{
	if (!a->pods && cw_policy_uses_pod_metadata(&a->policy))
		cw_log("policy %s selects pods by labels, service account, owner, image or "
		       "annotations, but no pod metadata source is on (--kube-metadata): those "
		       "selectors match nothing",
		       a->policy.file);
}

/* Where the API server is (judge/apiserver.h); logged when live. 0 or -ENOMEM. */
static int new_apiservers(struct cw_agent *a)
{
	struct cw_apiservers_opts ao = { .proc = cw_host_proc(),
					 .root = cw_host_root_is_set() ? cw_host_root() : NULL };
	int ret = cw_apiservers_new(&ao, &a->apis);

	if (!ret && !a->replay)
		log_apiservers(a->apis);
	return ret;
}

/* Findings, policy, provenance, workload identity, exposure and the file handler. */
static int setup_judgement(struct cw_agent *a, const struct cw_agent_opts *o)
{
	const char *node;
	char err[1024];
	int ret;

	cw_finding_writer_init(&a->f, &a->key, a->out, o->events);
	/* In a pod, the host name is the pod's: findings name the node (--node-name, else the
	 * downward API's $NODE_NAME) */
	if ((node = o->node_name ? o->node_name : getenv("NODE_NAME")) && *node)
		snprintf(a->f.host, sizeof(a->f.host), "%s", node);
	a->f.put = put_finding;
	a->f.put_arg = a;
	if (o->tap && o->tap->alert) { /* alerts name the recorder's trace */
		a->f.trace_path = o->tap->alert;
		a->f.trace_arg = o->tap->arg;
	}
	a->policy_path = o->policy;
	/* a replay's provenance is in memory only: never the live store */
	if (cw_policy_load_default(&a->policy, o->policy, err, sizeof(err)) ||
	    cw_prov_open(&a->prov,
			 !a->replay && o->state && strcmp(o->state, "none") ? o->state : NULL,
			 o->state_max, err, sizeof(err))) {
		cw_log("%s", err);
		return -EINVAL;
	}
	a->procs = cw_procs_new(cw_host_proc());
	/* a replay: the host tap answers (host/hosttap.h), no pod metadata, no kubeconfig */
	ret = a->replay ? cw_workloads_new(NULL, &a->wls) : new_workloads(&a->wls);
	if (!ret && !a->replay)
		ret = start_pod_metadata(a, o);
	if (!ret)
		warn_policy_without_metadata(a);
	/* a replay's: the senders' environments as recorded, no kubeconfig (apiserver.c) */
	if (!ret)
		ret = new_apiservers(a);
	if (!ret)
		ret = cw_exposure_init(&a->x, &a->f, &a->policy, &a->prov, a->wls);
	a->x.procs = a->procs;
	a->deps = (struct cw_handler_deps){ .f = &a->f,
					    .matcher = a->m,
					    .x = &a->x,
					    .procs = a->procs,
					    .wls = a->wls,
					    .policy = &a->policy,
					    .apis = a->apis };
	if (!ret)
		ret = cw_files_init(&a->files, &a->deps, -1);
	if (ret) {
		cw_log("cannot set up: %s", strerror(-ret));
		return ret;
	}
	a->f.wls = a->wls;
	cw_exec_init(&a->exec, &a->deps);
	return 0;
}

/* Everything userspace: detection, the output, judgement. */
static int setup_pipeline(struct cw_agent *a, const struct cw_agent_opts *o)
{
	if (load_detection(a, o))
		return -EINVAL;
	a->out = stdout;
	if (open_outputs(a, o))
		return -EINVAL;
	return setup_judgement(a, o);
}

/* The kernel side: load, attach, the watch map, TLS probes, handler maps, the ring buffer. */
static int start_probes(struct cw_agent *a, const struct cw_agent_opts *o)
{
	int ret = cw_agent_load(a, o);

	if (!ret)
		ret = cw_agent_attach(a);
	if (!ret && !o->no_files)
		ret = cw_agent_fill_watch(a);
	if (ret)
		return ret;
	cw_agent_attach_tls(a, o->capture_inbound && a->feats.have[CW_FEAT_UPROBES],
			    a->feats.have[CW_FEAT_UPROBES]);
	ret = cw_agent_connect_maps(a, o);
	if (!ret)
		ret = cw_agent_open_ringbuf(a);
	/* last: a held process is released only once everything above runs */
	if (!ret && a->skel->rodata->cw_hold_new_exes)
		cw_first_exec_start(&a->fe, a->skel, &a->tls, a->ncpus, o->seccomp);
	/* loaded and attached: only what runs later needs stays (caps.h) */
	if (!ret) {
		cw_caps_drop(cw_caps_runtime(cw_caps_effective(), a->feats.have[CW_FEAT_UPROBES]));
		cw_seccomp_install(o->seccomp); /* after the drop: every thread has no_new_privs */
	}
	return ret;
}

void cw_agent_reload_policy(struct cw_agent *a)
{
	struct cw_policy np = { 0 };
	char err[1024];

	if (!a->replay && !geteuid() &&
	    cw_fileperm_check(a->policy_path, "policy file", 0, 0, err, sizeof(err))) {
		cw_log("policy reload refused, keeping the previous policy: %s", err);
		return;
	}
	if (cw_policy_load_default(&np, a->policy_path, err, sizeof(err))) {
		cw_log("policy reload failed, keeping the previous policy: %s", err);
		return;
	}
	cw_policy_free(&a->policy);
	a->policy = np;
	if (a->skel && cw_agent_fill_watch(a) == 0)
		cw_log("policy reloaded from %s: %zu watch patterns, %zu workloads, %zu "
		       "credential bindings, %zu reader rules",
		       a->policy.file, a->policy.watch.n, a->policy.nworkloads, a->policy.ncreds,
		       a->policy.nreaders);
	warn_policy_without_metadata(a);
}

/* SIGHUP: the outputs reopen (a rotated file, new credentials) or change to o's specs. */
static void reload_outputs(struct cw_agent *a, const struct cw_agent_opts *o)
{
	struct cw_output_spec def;
	char err[1024];

	if (!o->noutputs &&
	    cw_output_spec_parse(o->output ? o->output : "stdout", &def, err, sizeof(err)))
		return;
	if (cw_outputs_reload(a->outputs, o->noutputs ? o->outputs : &def,
			      o->noutputs ? o->noutputs : 1, err, sizeof(err)))
		cw_log("outputs reload failed, keeping the outputs: %s", err);
}

/* SIGHUP: the config file again with the flags over it (its outputs and policy path), then
 * the outputs and the policy. A config that does not parse changes nothing. */
void cw_agent_reload(struct cw_agent *a)
{
	struct cw_agent_opts *n = NULL;
	char err[1024];

	if (a->opts->config && !geteuid() &&
	    cw_fileperm_check(a->opts->config, "config file", 0, 0, err, sizeof(err))) {
		cw_log("config reload refused, keeping the outputs and the policy: %s", err);
		return;
	}
	if (a->opts->reread) {
		n = calloc(1, sizeof(*n)); /* 16 output specs: too large for the stack */
		if (!n || a->opts->reread(a->opts->reread_arg, n, err, sizeof(err))) {
			cw_log("config reload failed, keeping the outputs and the policy: %s",
			       n ? err : strerror(ENOMEM));
			free(n);
			return;
		}
		a->policy_path = n->policy;
	}
	reload_outputs(a, n ? n : a->opts);
	cw_agent_reload_policy(a);
	free(n);
}

/* The agent's pipeline without the kernel, for a replay (agent.h). */
int cw_agent_replay_open(const struct cw_agent_opts *o, int64_t (*now)(void), struct cw_agent **out)
{
	struct cw_agent *a = calloc(1, sizeof(*a));
	int ret;

	*out = NULL;
	if (!a)
		return -ENOMEM;
	a->opts = o;
	a->drops_fd = a->h2_streams_fd = -1;
	a->replay = true;
	ret = setup_pipeline(a, o);
	if (!ret)
		ret = cw_conns_init(&a->egress, &a->deps,
				    &(struct cw_conns_kernel){ .conns_map_fd = -1,
							       .bound_map_fd = -1,
							       .captured_map_fd = -1 });
	if (ret) {
		teardown(a);
		free(a);
		return ret < 0 ? ret : -EINVAL;
	}
	a->files.capture_reads = o->capture_reads;
	a->files.file_cap = o->file_cap ? o->file_cap : CW_FILE_CAP_DEFAULT;
	if (now)
		a->x.now = now;
	*out = a;
	return 0;
}

int cw_agent_replay_record(struct cw_agent *a, const void *data, size_t sz)
{
	return cw_agent_handle_record(a, data, sz);
}

int cw_agent_replay_tick(struct cw_agent *a, uint64_t now_ns)
{
	int ret = cw_agent_tick(a, now_ns);

	cw_outputs_tick(a->outputs);
	return ret;
}

void cw_agent_replay_clock(struct cw_agent *a, int64_t mono_to_real_ns)
{
	a->f.mono_to_real_ns = mono_to_real_ns;
}

void cw_agent_replay_setting(struct cw_agent *a, const char *name, size_t nlen, uint64_t v)
{
	if (nlen == 8 && !memcmp(name, "self_pid", 8))
		cw_agent_set_self_pid((uint32_t)v);
	else if (nlen == 13 && !memcmp(name, "capture_reads", 13))
		a->files.capture_reads = v != 0;
	else if (nlen == 8 && !memcmp(name, "file_cap", 8) && v && v <= CW_FILE_CAP_MAX)
		a->files.file_cap = (size_t)v;
}

void cw_agent_replay_fp_key(struct cw_agent *a, const unsigned char *key, size_t len)
{
	if (a->opts->key_file || len != sizeof(a->key.key))
		return;
	memcpy(a->key.key, key, len);
	snprintf(a->key.path, sizeof(a->key.path), "(the recording host's, from the trace)");
}

struct cw_procs *cw_agent_replay_procs(struct cw_agent *a)
{
	return a->procs;
}

struct cw_finding_writer *cw_agent_replay_findings(struct cw_agent *a)
{
	return &a->f;
}

int cw_agent_replay_close(struct cw_agent *a, unsigned long long *alerts,
			  unsigned long long *observations)
{
	int ret;

	if (!a)
		return 0;
	/* the handlers' open streams end as at the live agent's stop */
	cw_conns_free(&a->egress);
	cw_files_free(&a->files);
	memset(&a->egress, 0, sizeof(a->egress));
	memset(&a->files, 0, sizeof(a->files));
	cw_outputs_drain(a->outputs, CW_AGENT_DRAIN_MS);
	ret = a->out_err ? 1 : 0;
	if (alerts)
		*alerts = a->f.alerts;
	if (observations)
		*observations = a->f.observations;
	cw_agent_set_self_pid(0);
	teardown(a);
	free(a);
	return ret;
}

static void log_running(const struct cw_agent *a, const struct cw_agent_opts *o)
{
	char feats[128];

	cw_features_describe(&a->feats, feats, sizeof(feats));
	cw_log("running: %zu rules, ring buffer %llu KiB, env capture %s, TLS probes on %zu files "
	       "(%llu on an emulated instruction past the entry), "
	       "file capture %s (%zu watch patterns, %zu prefilter entries), policy %s, "
	       "provenance %s (%zu credentials), fingerprint key %s, kernel features: %s",
	       a->rs.n, o->ringbuf_size >> 10, o->no_env ? "off" : "on", a->tls.n,
	       (unsigned long long)a->tls.moved,
	       o->no_files	  ? "off"
	       : o->capture_reads ? "on, reads copied in the kernel"
				  : "on, files read on open",
	       a->policy.watch.n, a->watch_entries, a->policy.file,
	       a->prov.path ? a->prov.path : "in memory", a->prov.n, a->key.path, feats);
}

/*
 * Users before what they use: the ring buffer before the handlers it feeds, the handlers
 * before the findings, the findings before the output and the matcher. Each step copes with
 * what was never set up.
 */
static void teardown(struct cw_agent *a)
{
	char err[1024];

	cw_agent_ops_stop(a);	    /* the last status, from counters still there */
	cw_first_exec_stop(&a->fe); /* nothing stays held: before the probes and the maps go */
	ring_buffer__free(a->rb);
	cw_conns_free(&a->egress);
	cw_files_free(&a->files); /* reports what open files' streams still hold */
	cw_exec_free(&a->exec);
	cw_agent_tap_stop(a); /* the last findings' host answers recorded */
	if (a->prov.dirty && cw_prov_save(&a->prov, err, sizeof(err)))
		cw_log("cannot save the provenance store: %s", err);
	cw_exposure_free(&a->x);
	cw_workloads_free(a->wls); /* drops its pod references */
	cw_kube_stop(a->kube);
	cw_pods_free(a->pods);
	cw_apiservers_free(a->apis);
	cw_procs_free(a->procs);
	cw_prov_close(&a->prov);
	cw_policy_free(&a->policy);
	cw_tls_attach_free(&a->tls);
	credwatch_bpf__destroy(a->skel);
	cw_finding_writer_free(&a->f);
	cw_outputs_close(a->outputs, 0);
	cw_matcher_free(a->m);
	cw_rules_free(&a->rs);
}

int cw_agent_run(const struct cw_agent_opts *o)
{
	struct cw_agent a = { .drops_fd = -1, .h2_streams_fd = -1, .opts = o };
	int ret, lock = -1;

	if (preflight(o))
		return 1;
	if ((ret = check_files(o)))
		return ret;
	if (cw_instance_lock(CW_AGENT_LOCK_FILE,
			     o->beside_agent	     ? CW_INSTANCE_BESIDE
			     : o->allow_second_agent ? CW_INSTANCE_RUN_ALLOWED
						     : CW_INSTANCE_RUN,
			     &lock))
		return 1;
	/*
	 * Caught before the start, which takes seconds (rules, BPF load): a stop asked for then
	 * (systemd stopping a unit that is starting) ends the agent as cleanly as a later one.
	 */
	cw_agent_catch_signals();
	ret = setup_pipeline(&a, o) || cw_agent_ops_start(&a, o) ? 1 : 0;
	if (!ret)
		cw_agent_tap_start(&a); /* before the probes: their first record is recorded */
	if (!ret)
		ret = start_probes(&a, o) ? 1 : 0;
	if (!ret) {
		log_running(&a, o);
		ret = cw_agent_poll(&a, o);
		cw_outputs_drain(a.outputs, CW_AGENT_DRAIN_MS);
		cw_agent_report_drops(&a, o->stats_interval);
		cw_agent_report_summary(&a);
	}
	teardown(&a);
	if (lock >= 0)
		close(lock); /* the lock file stays: the next run writes its pid in it */
	return ret;
}
