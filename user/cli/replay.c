// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * credwatch replay FILE: a trace through run's pipeline (trace/replay.h), with today's rules
 * and policy; its findings to the outputs (stdout by default), as run would have printed them.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "agent/agent.h"
#include "cli/commands.h"
#include "credwatch.h"
#include "detect/fingerprint.h"
#include "judge/provenance.h"
#include "output/output_spec.h"
#include "trace/replay.h"
#include "util/log.h"
#include "util/tracefile.h"

static void replay_usage(FILE *f)
{
	fprintf(f,
		"usage: credwatch replay FILE [--key PRIVATE] [--rules DIR] [--policy FILE]\n"
		"                        [--format ecs|ocsf] [--events] [--output SPEC]...\n"
		"\n"
		"Runs a trace ('credwatch trace') through the same pipeline as 'run' - decoding,\n"
		"matching, workload identity as recorded, provenance in memory, policy - and "
		"prints\n"
		"the findings run would have printed with these rules. @timestamp is the event's\n"
		"recorded time; credwatch.replay.time is when the replay ran. Needs no root, "
		"loads\n"
		"no BPF and reads nothing of this machine's processes, cgroups or pods.\n"
		"\n"
		"  --key PRIVATE               the private key of an encrypted trace\n"
		"  --rules DIR                 rules (default: the embedded set)\n"
		"  --policy FILE               policy (default: the embedded one)\n"
		"  --format ecs|ocsf           stdout's format when no --output (default ecs)\n"
		"  --events                    also print observations\n"
		"  --output TARGET[,K=V]...    where findings go (as run; default stdout)\n"
		"  --fingerprint-key-file F    fingerprint key (default: the recording host's,\n"
		"                              which the trace carries: the same fingerprints)\n"
		"  -v, --verbose               more log\n"
		"  -h, --help                  this text\n"
		"\n"
		"A damaged chunk is skipped with a warning naming its offset; a trace cut off by "
		"a\n"
		"crash replays up to its last complete chunk.\n"
		"\n"
		"Exit status: 0 replayed, 1 findings could not be written, 2 the trace cannot be\n"
		"read (not a trace, a newer version, encrypted without the right --key).\n"
		"\n"
		"EXAMPLES\n"
		"  credwatch replay incident.cwt --key responder.key --rules rules-today/\n"
		"  credwatch replay app.cwt --format ocsf --output file:/tmp/findings.json\n");
}

int cw_cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "rules", required_argument, NULL, 'r' },
		{ "policy", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' },
		{ "events", no_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'o' },
		{ "fingerprint-key-file", required_argument, NULL, 'K' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct cw_agent_opts o;
	const char *key_path = NULL, *format = "ecs";
	struct cw_trace_key *key = NULL;
	struct cw_replay_stats st;
	char err[1024], spec[64];
	int c, ret;

	cw_replay_opts_default(&o);
	optind = 0;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'k': key_path = optarg; break;
		case 'r': o.rules_dir = optarg; break;
		case 'p': o.policy = optarg; break;
		case 'f':
			if (strcmp(optarg, "ecs") && strcmp(optarg, "ocsf")) {
				cw_log("--format %s: ecs or ocsf", optarg);
				return 2;
			}
			format = optarg;
			break;
		case 'e': o.events = true; break;
		case 'o':
			if (o.noutputs == CW_OUTPUTS_MAX) {
				cw_log("--output: at most %d outputs", CW_OUTPUTS_MAX);
				return 2;
			}
			if (cw_output_spec_parse(optarg, &o.outputs[o.noutputs], err,
						 sizeof(err))) {
				cw_log("--output %s", err);
				return 2;
			}
			o.noutputs++;
			break;
		case 'K': o.key_file = optarg; break;
		case 'v': cw_verbose++; break;
		case 'h': replay_usage(stdout); return 0;
		default: replay_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		cw_log("replay: one trace FILE (credwatch replay --help)");
		return 2;
	}
	snprintf(spec, sizeof(spec), "stdout,format=%s", format);
	o.output = spec;
	if (key_path && cw_trace_key_load(key_path, &key, err, sizeof(err))) {
		cw_log("--key %s", err);
		return 2;
	}
	ret = cw_replay_run(argv[optind], key, &o, NULL, NULL, NULL, &st, err, sizeof(err));
	cw_trace_key_free(key);
	if (ret < 0) {
		cw_log("replay %s: %s", argv[optind], err);
		return 2;
	}
	if (st.cut_off)
		cw_log("replay %s: no footer index: the recording was cut off (a crash, a kill, a "
		       "full disk); every complete chunk was read",
		       argv[optind]);
	if (st.rules_differ)
		cw_log("replay %s: the rules are not those of the recording (its rules digest "
		       "differs): findings may differ from what was printed then",
		       argv[optind]);
	cw_log("replayed %s: %llu records (%llu events, %llu host answers, %llu ticks) over "
	       "%.1f s recorded, %u damaged chunk%s skipped: %llu alerts, %llu observations",
	       argv[optind], (unsigned long long)st.records, (unsigned long long)st.raw,
	       (unsigned long long)st.host, (unsigned long long)st.ticks,
	       st.last_ns > st.first_ns ? (double)(st.last_ns - st.first_ns) / 1e9 : 0.0,
	       st.skipped, st.skipped == 1 ? "" : "s", st.alerts, st.observations);
	return ret;
}
