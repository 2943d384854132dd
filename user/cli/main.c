// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* credwatch: one binary, subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "util/version.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: credwatch COMMAND [OPTIONS]\n"
		   "\n"
		   "Runtime credential exposure monitor (eBPF).\n"
		   "\n"
		   "Commands:\n"
		   "  run            the host agent: findings as ECS JSON lines (needs root)\n"
		   "  scan PATH...   find credentials in files, directories or stdin (-)\n"
		   "  rules check    validate rules: patterns compile, examples match\n"
		   "  rules profile  the cost of each rule over a sample file\n"
		   "  inventory      the credentials the agent has seen: where, who, when\n"
		   "  status         the running agent's health: outputs, backlog, drops\n"
		   "  trace -o FILE  record raw events for replay (needs root)\n"
		   "  replay FILE    findings of a trace with today's rules and policy\n"
		   "  timeline       each credential's story: loaded, read, sent, alerted\n"
		   "  version        print the version\n"
		   "\n"
		   "'credwatch COMMAND --help' describes each command.\n"
		   "\n"
		   "EXAMPLES\n"
		   "  sudo credwatch run\n"
		   "  credwatch scan --format text ~/project\n"
		   "  credwatch rules check rules/\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "run"))
		return cw_cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "scan"))
		return cw_cmd_scan(argc - 1, argv + 1);
	if (!strcmp(argv[1], "rules"))
		return cw_cmd_rules(argc - 1, argv + 1);
	if (!strcmp(argv[1], "inventory"))
		return cw_cmd_inventory(argc - 1, argv + 1);
	if (!strcmp(argv[1], "status"))
		return cw_cmd_status(argc - 1, argv + 1);
	if (!strcmp(argv[1], "trace"))
		return cw_cmd_trace(argc - 1, argv + 1);
	if (!strcmp(argv[1], "replay"))
		return cw_cmd_replay(argc - 1, argv + 1);
	if (!strcmp(argv[1], "timeline"))
		return cw_cmd_timeline(argc - 1, argv + 1);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("credwatch %s\n", cw_version);
		return 0;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "credwatch: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
