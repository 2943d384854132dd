// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * credwatch trace: the agent run exactly as `run` (run's options, cli/run.h) with a recorder
 * as its tap (trace/recorder.h); and `credwatch trace keygen`. Findings go to the outputs only
 * with --events (printed live, as run prints them); without it nothing but the log.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "cli/commands.h"
#include "cli/run.h"
#include "trace/recorder.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/tracefile.h"

enum {
	OPT_DURATION = CW_RUN_EXTRA_FIRST,
	OPT_MAX_SIZE,
	OPT_PID,
	OPT_CGROUP,
	OPT_POD,
	OPT_CONTAINER,
	OPT_EXE,
	OPT_RECIPIENT,
};

struct trace_args {
	const char *out;
	unsigned long long duration;
	unsigned long long max_size;
	const char *recipient;
	const char *cgroup_args[CW_RECORDER_FILTERS_MAX];
	size_t ncgroup_args;
	struct cw_recorder_filters filters;
};

/* run's SIGHUP re-read, which trace wraps (kept apart: a re-read parses the flags again,
 * trace_args with them) */
static int (*run_reread)(void *arg, struct cw_agent_opts *n, char *err, size_t errlen);
static void *run_reread_arg;

static void trace_usage(FILE *f)
{
	fprintf(f,
		"usage: credwatch trace -o FILE [OPTIONS] [RUN OPTIONS]\n"
		"       credwatch trace keygen -o PRIVATE [--pub PUBLIC]\n"
		"\n"
		"Records every raw event the kernel sends the agent (execs with argv and\n"
		"environment, watched files and the bytes read, TLS and TCP payloads, connects,\n"
		"closes, exits, cgroups) with what the agent learnt from the host, for\n"
		"'credwatch replay' and 'credwatch timeline'. Runs the agent exactly as 'run' "
		"does\n"
		"and takes every option of 'run' (credwatch run --help); findings are printed "
		"only\n"
		"with --events. A trace holds plaintext credentials: give --recipient to encrypt\n"
		"it (else it is created 0600). Stops on SIGINT/SIGTERM or --duration, closing the\n"
		"file; after a crash every chunk flushed (at most 1 s old) stays readable.\n"
		"\n"
		"  -o, --out FILE              the trace file (must not exist)\n"
		"  --duration SECONDS          stop after this long\n"
		"  --max-size BYTES            rotate at this size (k/M/G): FILE, FILE.1, FILE.2, "
		"...\n"
		"                              each replayable on its own\n"
		"  --pid N                     record process N and its descendants (repeatable)\n"
		"  --cgroup ID|PATH            record processes of this cgroup v2 (repeatable)\n"
		"  --pod NAME|NS/NAME          record this pod's processes (repeatable)\n"
		"  --container ID|NAME         record this container's processes (repeatable)\n"
		"  --exe PATH|GLOB             record processes of this executable (repeatable)\n"
		"  --recipient PUBKEY_FILE     encrypt to this X25519 public key (trace keygen)\n"
		"\n"
		"With filters, a process is recorded when it matches any of them or its parent "
		"was\n"
		"recorded when it exec'd; cgroup records are always written.\n"
		"\n"
		"keygen: a new X25519 key pair for --recipient (public) and replay --key "
		"(private);\n"
		"refuses to overwrite either file.\n"
		"\n"
		"Exit status: 0 after a clean stop, 1 on error.\n"
		"\n"
		"EXAMPLES\n"
		"  credwatch trace keygen -o responder.key          writes responder.key.pub too\n"
		"  sudo credwatch trace -o /var/tmp/incident.cwt --recipient responder.key.pub \\\n"
		"       --duration 600 --max-size 1G\n"
		"  sudo credwatch trace -o app.cwt --pod prod/api --events\n"
		"  credwatch replay /var/tmp/incident.cwt --key responder.key --rules "
		"new-rules/\n");
}

static void trace_reset(void *arg)
{
	struct trace_args *t = arg;

	memset(t, 0, sizeof(*t));
}

static int add_str(const char **v, size_t *n, const char *opt, const char *s)
{
	if (*n == CW_RECORDER_FILTERS_MAX) {
		cw_log("%s: at most %d", opt, CW_RECORDER_FILTERS_MAX);
		return -1;
	}
	v[(*n)++] = s;
	return 0;
}

static int trace_flag(void *arg, int c, const char *optarg)
{
	struct trace_args *t = arg;
	struct cw_recorder_filters *fl = &t->filters;
	unsigned long long v;

	switch (c) {
	case 'o': t->out = optarg; return 0;
	case OPT_DURATION:
		return cw_parse_u64("--duration", optarg, 1, 366ull * 86400, &t->duration) ? -1 : 0;
	case OPT_MAX_SIZE:
		return cw_parse_u64("--max-size", optarg, 64 << 10, 1ull << 50, &t->max_size) ? -1
											      : 0;
	case OPT_PID:
		if (cw_parse_u64("--pid", optarg, 1, 0x7fffffff, &v))
			return -1;
		if (fl->npids == CW_RECORDER_FILTERS_MAX) {
			cw_log("--pid: at most %d", CW_RECORDER_FILTERS_MAX);
			return -1;
		}
		fl->pids[fl->npids++] = (uint32_t)v;
		return 0;
	case OPT_CGROUP: return add_str(t->cgroup_args, &t->ncgroup_args, "--cgroup", optarg);
	case OPT_POD: return add_str(fl->pods, &fl->npods, "--pod", optarg);
	case OPT_CONTAINER: return add_str(fl->containers, &fl->ncontainers, "--container", optarg);
	case OPT_EXE: return add_str(fl->exes, &fl->nexes, "--exe", optarg);
	case OPT_RECIPIENT: t->recipient = optarg; return 0;
	default: return -1;
	}
}

/* --cgroup: an id, or a path (absolute, or below the cgroup2 mount) whose inode is its id. */
static int resolve_cgroups(struct trace_args *t)
{
	static const char *const roots[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	struct cw_recorder_filters *fl = &t->filters;

	for (size_t i = 0; i < t->ncgroup_args; i++) {
		const char *a = t->cgroup_args[i];
		char *end, path[4096];
		unsigned long long id = strtoull(a, &end, 10);
		struct stat st;
		bool found = false;

		if (*a && !*end && id) {
			fl->cgroups[fl->ncgroups++] = id;
			continue;
		}
		if (a[0] == '/' && !stat(a, &st) && S_ISDIR(st.st_mode) &&
		    !strncmp(a, "/sys/fs/cgroup", 14)) {
			fl->cgroups[fl->ncgroups++] = (uint64_t)st.st_ino;
			continue;
		}
		for (size_t r = 0; r < sizeof(roots) / sizeof(*roots) && !found; r++) {
			snprintf(path, sizeof(path), "%s%s%s", roots[r], a[0] == '/' ? "" : "/", a);
			if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
				fl->cgroups[fl->ncgroups++] = (uint64_t)st.st_ino;
				found = true;
			}
		}
		if (!found) {
			cw_log("--cgroup %s: neither a cgroup id nor a cgroup v2 directory", a);
			return -1;
		}
	}
	return 0;
}

static void report(const char *path, const struct cw_recorder_stats *st)
{
	cw_log("trace %s: %llu records, %llu raw bytes, %llu bytes on disk, %u file%s%s%llu left "
	       "out by the filters",
	       path, (unsigned long long)st->records, (unsigned long long)st->raw,
	       (unsigned long long)st->disk, st->files, st->files == 1 ? "" : "s", ", ",
	       (unsigned long long)st->filtered);
}

/* Without --events, findings go nowhere (the outputs a config file names included). */
static void quiet(struct cw_agent_opts *o)
{
	if (!o->events) {
		o->noutputs = 0;
		o->output = "file:/dev/null";
	}
}

/* SIGHUP: run's re-read, then the same rule. */
static int trace_reread(void *arg, struct cw_agent_opts *n, char *err, size_t errlen)
{
	int ret = run_reread(run_reread_arg, n, err, errlen);

	(void)arg;
	if (!ret)
		quiet(n);
	return ret;
}

static int trace_go(void *arg, struct cw_agent_opts *o)
{
	struct trace_args *t = arg;
	struct cw_recorder_opts ro = { .path = t->out, .max_size = t->max_size };
	struct cw_trace_key *key = NULL;
	struct cw_recorder *r = NULL;
	struct cw_recorder_stats st;
	struct cw_run_header_buf hb;
	char err[1024];
	int ret;

	if (!t->out) {
		cw_log("trace: -o FILE is required (credwatch trace --help)");
		return 1;
	}
	if (resolve_cgroups(t))
		return 1;
	if (t->recipient && cw_trace_key_load(t->recipient, &key, err, sizeof(err))) {
		cw_log("--recipient %s", err);
		return 1;
	}
	if (cw_run_trace_header(o, &hb, &ro.header)) {
		cw_trace_key_free(key);
		return 1;
	}
	ro.recipient = key;
	ro.filters = t->filters;
	ro.duration_s = t->duration;
	ret = cw_recorder_open(&ro, &r, err, sizeof(err));
	if (ret) {
		cw_log("trace: %s", err);
		cw_trace_key_free(key);
		return 1;
	}
	if (!key)
		cw_log("trace %s: no --recipient: the file holds plaintext credentials (mode "
		       "0600); keep it safe or record with --recipient",
		       t->out);
	else
		cw_log("trace %s: encrypted to %s", t->out, t->recipient);
	/* findings go out only with --events: a trace is for replay, not for alerting */
	quiet(o);
	run_reread = o->reread;
	run_reread_arg = o->reread_arg;
	o->reread = trace_reread;
	o->reread_arg = NULL;
	o->tap = cw_recorder_tap(r);
	o->beside_agent = true; /* beside a running agent: docs/forensics.md */
	ret = cw_agent_run(o);
	if (cw_recorder_close(r, &st, err, sizeof(err))) {
		cw_log("trace %s: %s", t->out, *err ? err : strerror(-st.error));
		ret = 1;
	}
	report(t->out, &st);
	/* an agent that never started (not root, no BPF) leaves no empty trace behind */
	if (ret && !st.records && st.files == 1 && !unlink(t->out))
		cw_log("trace %s: removed: the agent did not start, nothing was recorded", t->out);
	cw_trace_key_free(key);
	return ret;
}

static int keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "pub", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *priv = NULL, *pub = NULL;
	char pubbuf[4200], err[512];
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': priv = optarg; break;
		case 'p': pub = optarg; break;
		case 'h': trace_usage(stdout); return 0;
		default: trace_usage(stderr); return 2;
		}
	}
	if (!priv || optind < argc) {
		cw_log("trace keygen: -o PRIVATE is required, and nothing else");
		return 2;
	}
	if (!pub) {
		snprintf(pubbuf, sizeof(pubbuf), "%s.pub", priv);
		pub = pubbuf;
	}
	if (cw_trace_keygen(priv, pub, err, sizeof(err))) {
		cw_log("trace keygen: %s", err);
		return 1;
	}
	cw_log("private key %s (0600: for credwatch replay --key), public key %s (for "
	       "credwatch trace --recipient)",
	       priv, pub);
	return 0;
}

int cw_cmd_trace(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "pod", required_argument, NULL, OPT_POD },
		{ "container", required_argument, NULL, OPT_CONTAINER },
		{ "exe", required_argument, NULL, OPT_EXE },
		{ "recipient", required_argument, NULL, OPT_RECIPIENT },
		{ 0 },
	};
	static struct trace_args t;
	const struct cw_run_extra x = { .name = "trace",
					.opts = opts,
					.shortopts = "o:",
					.reset = trace_reset,
					.flag = trace_flag,
					.usage = trace_usage,
					.go = trace_go,
					.arg = &t };

	if (argc > 1 && !strcmp(argv[1], "keygen"))
		return keygen(argc - 1, argv + 1);
	return cw_run_command(argc, argv, &x);
}
