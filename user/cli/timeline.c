// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * credwatch timeline: each credential's story in time order, from findings (a file the agent
 * wrote, a SIEM export, stdin) or from the provenance store. Options, usage and exit codes;
 * trace/timeline.c builds and writes the stories.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "cli/commands.h"
#include "judge/provenance.h"
#include "trace/replay.h"
#include "trace/timeline.h"
#include "util/log.h"
#include "util/tracefile.h"

static void timeline_usage(FILE *f)
{
	fprintf(f,
		"usage: credwatch timeline [FILE | --findings FILE | --state FILE] [OPTIONS]\n"
		"\n"
		"Each credential's story in time order: loaded by which workload and from where\n"
		"(environment variable, file, argv), read by whom, sent by whom to which\n"
		"destination through which TLS library, and the alerts it raised (action,\n"
		"severity, event.id, trace file). One story per credential (by fingerprint),\n"
		"credentials in the order they were first seen. Never the secret: findings and\n"
		"the store hold only its redacted form and keyed fingerprint.\n"
		"\n"
		"  --findings FILE       finding lines (ECS or OCSF JSON, one per line) as\n"
		"                        'run --events --output file:FILE' or a SIEM export\n"
		"                        writes them; '-' reads stdin\n"
		"  --state FILE          the agent's provenance store, with less detail: each\n"
		"                        origin and use with first and last seen and a count\n"
		"                        (default " CW_PROV_DEFAULT_FILE " when no\n"
		"                        FILE or --findings is given)\n"
		"  FILE                  findings, a store or a trace ('credwatch trace', a\n"
		"                        flight-recorder dump), told apart by their content; a\n"
		"                        trace is replayed with observations on (as 'credwatch\n"
		"                        replay --events') and its findings told\n"
		"  --key PRIVATE         a trace's private key, when it is encrypted\n"
		"  --rules DIR           a trace's replay: these rules (default: embedded)\n"
		"  --policy FILE         a trace's replay: this policy (default: embedded)\n"
		"  --credential PREFIX   only the credential(s) whose fingerprint starts so\n"
		"  --rule ID             only credentials of this rule\n"
		"  --workload W          only credentials whose story names workload W (exact,\n"
		"                        or a glob: 'k8s:shop/*'), with their whole story\n"
		"  --format table|json   a table for a %d-column terminal (default), or one\n"
		"                        JSON object per credential per line\n"
		"  -h, --help            this text\n"
		"\n"
		"Filters combine: every one given must hold. Lines that are not credwatch\n"
		"findings are counted and skipped, with one warning naming the first.\n"
		"\n"
		"Exit status: 0 ok (also when no credential matches), 2 error (unreadable\n"
		"input, a trace that cannot be read, bad option).\n"
		"\n"
		"EXAMPLES\n"
		"  credwatch timeline --findings /var/log/credwatch/findings.json\n"
		"  credwatch timeline --findings export.json --credential 9c1e2f --format json\n"
		"  credwatch timeline incident.cwt --key responder.key --rules rules-today/\n"
		"  zcat f.json.gz | credwatch timeline --findings - --rule "
		"github-pat-classic\n"
		"  sudo credwatch timeline --workload 'k8s:shop/*'     from the live store\n",
		CW_TL_WIDTH);
}

enum source { SRC_NONE, SRC_FINDINGS, SRC_STATE, SRC_FILE, SRC_TRACE };

struct tl_opts {
	enum source src;
	const char *path;
	const char *key, *rules, *policy; /* a trace's replay */
	bool json;
	struct cw_tl_filter filter;
};

/*
 * What a FILE given as it is holds, by how it starts: a trace (docs/forensics.md: magic
 * "CWTRACE\0"), the provenance store (the document cw_prov_save writes), else finding lines.
 */
static enum source sniff(const char *path)
{
	static const char trace_magic[8] = "CWTRACE", store_head[] = "{\"version\":";
	char head[16];
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : NULL;
	size_t n;

	if (!f)
		return SRC_FINDINGS; /* stdin, or an error that reading it will say */
	n = fread(head, 1, sizeof(head), f);
	fclose(f);
	if (n >= sizeof(trace_magic) && !memcmp(head, trace_magic, sizeof(trace_magic)))
		return SRC_TRACE;
	if (n >= sizeof(store_head) - 1 && !memcmp(head, store_head, sizeof(store_head) - 1))
		return SRC_STATE;
	return SRC_FINDINGS;
}

static int from_findings(struct cw_timeline *t, const char *path)
{
	FILE *in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	int ret;

	if (!in) {
		cw_log("timeline: %s: %s", path, strerror(errno));
		return -errno;
	}
	ret = cw_timeline_read_findings(t, in);
	if (in != stdin)
		fclose(in);
	if (ret)
		cw_log("timeline: %s: %s", path, strerror(-ret));
	else if (t->malformed)
		cw_log("timeline: %s: %llu line(s) skipped, not credwatch findings; the first is "
		       "line %llu (%s)",
		       path, (unsigned long long)t->malformed,
		       (unsigned long long)t->first_malformed, t->first_malformed_why);
	return ret;
}

static int from_state(struct cw_timeline *t, const char *path)
{
	struct cw_provenance p;
	char err[1024];
	int ret;

	/* No limit: show all the agent kept, whatever its own limit was. */
	ret = cw_prov_open(&p, path, SIZE_MAX, err, sizeof(err));
	if (ret) {
		cw_log("%s%s", err, ret == -EACCES ? " (the agent's state is for root only)" : "");
		return ret;
	}
	if (!p.n)
		cw_log("timeline: no credentials recorded in %s", path);
	ret = cw_timeline_add_store(t, &p);
	cw_prov_close(&p);
	if (ret)
		cw_log("timeline: %s", strerror(-ret));
	return ret;
}

/* A finding line of the replay: a line the timeline cannot take is counted there, not fatal. */
static int add_replayed(void *arg, const char *line, size_t len, bool alert)
{
	int ret = cw_timeline_add_finding(arg, line, len);

	(void)alert;
	return ret == -EINVAL ? 0 : ret;
}

/* A trace: replayed through run's pipeline with observations on (trace/replay.h). */
static int from_trace(struct cw_timeline *t, const struct tl_opts *o)
{
	static struct cw_agent_opts ao; /* 16 output specs: too large for the stack */
	struct cw_trace_key *key = NULL;
	struct cw_replay_stats st;
	char err[1024];
	int ret;

	cw_replay_opts_default(&ao);
	ao.events = true;
	ao.rules_dir = o->rules;
	ao.policy = o->policy;
	if (o->key && cw_trace_key_load(o->key, &key, err, sizeof(err))) {
		cw_log("--key %s", err);
		return -EINVAL;
	}
	ret = cw_replay_run(o->path, key, &ao, add_replayed, t, NULL, &st, err, sizeof(err));
	cw_trace_key_free(key);
	if (ret < 0) {
		cw_log("timeline %s: %s", o->path, err);
		return ret;
	}
	if (st.cut_off)
		cw_log("timeline %s: no footer index: the recording was cut off; every complete "
		       "chunk was read",
		       o->path);
	if (st.skipped)
		cw_log("timeline %s: %u damaged chunk%s skipped", o->path, st.skipped,
		       st.skipped == 1 ? "" : "s");
	return ret ? -EIO : 0;
}

/* Two sources named: which the user meant is not for us to guess. */
static int set_source(struct tl_opts *o, enum source src, const char *path)
{
	if (o->src != SRC_NONE) {
		cw_log("timeline: give one of FILE, --findings and --state");
		return -EINVAL;
	}
	o->src = src;
	o->path = path;
	return 0;
}

static int parse(int argc, char **argv, struct tl_opts *o)
{
	static const struct option opts[] = {
		{ "findings", required_argument, NULL, 'F' },
		{ "state", required_argument, NULL, 's' },
		{ "credential", required_argument, NULL, 'c' },
		{ "rule", required_argument, NULL, 'r' },
		{ "workload", required_argument, NULL, 'w' },
		{ "format", required_argument, NULL, 'f' },
		{ "key", required_argument, NULL, 'k' },
		{ "rules", required_argument, NULL, 'R' },
		{ "policy", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'F':
			if (set_source(o, SRC_FINDINGS, optarg))
				return 2;
			break;
		case 's':
			if (set_source(o, SRC_STATE, optarg))
				return 2;
			break;
		case 'c': o->filter.fingerprint = optarg; break;
		case 'r': o->filter.rule = optarg; break;
		case 'w': o->filter.workload = optarg; break;
		case 'f':
			if (strcmp(optarg, "table") && strcmp(optarg, "json")) {
				cw_log("--format: '%s' is not table or json", optarg);
				return 2;
			}
			o->json = !strcmp(optarg, "json");
			break;
		case 'k': o->key = optarg; break;
		case 'R': o->rules = optarg; break;
		case 'p': o->policy = optarg; break;
		case 'h': timeline_usage(stdout); return 0;
		default: timeline_usage(stderr); return 2;
		}
	}
	if (optind < argc && set_source(o, SRC_FILE, argv[optind++]))
		return 2;
	if (optind < argc) {
		cw_log("timeline: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (o->filter.fingerprint && !o->filter.fingerprint[0]) {
		cw_log("--credential: give a fingerprint or a prefix of one");
		return 2;
	}
	if (o->src == SRC_NONE) {
		o->src = SRC_STATE;
		o->path = CW_PROV_DEFAULT_FILE;
	}
	return -1;
}

int cw_cmd_timeline(int argc, char **argv)
{
	struct tl_opts o = { 0 };
	struct cw_timeline t;
	int ret = parse(argc, argv, &o);

	if (ret >= 0)
		return ret;
	if (o.src == SRC_FILE)
		o.src = sniff(o.path);
	if (o.src != SRC_TRACE && (o.key || o.rules || o.policy)) {
		cw_log("timeline: --key, --rules and --policy are for a trace FILE");
		return 2;
	}
	cw_timeline_init(&t, &o.filter);
	/* reading says what went wrong itself */
	ret = o.src == SRC_STATE   ? from_state(&t, o.path)
	      : o.src == SRC_TRACE ? from_trace(&t, &o)
				   : from_findings(&t, o.path);
	if (!ret) {
		ret = o.json ? cw_timeline_write_json(stdout, &t)
			     : cw_timeline_write_table(stdout, &t);
		if (ret)
			cw_log("timeline: cannot write: %s", strerror(-ret));
	}
	cw_timeline_free(&t);
	return ret ? 2 : 0;
}
