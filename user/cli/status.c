// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * credwatch status: the running agent's health from the status file it rewrites every
 * second (agent/status.h): each output healthy or not and how far behind (queued findings,
 * the oldest one's age, spool bytes, drops, last error), the agent's uptime and kernel drops.
 * A file older than --max-age means the agent is not running. Exit status for probes:
 * 0 every output healthy, 1 an output unhealthy, 2 the agent not running or no status.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "agent/status.h"
#include "cli/commands.h"
#include "util/log.h"
#include "util/parse.h"

enum { STATUS_OK = 0, STATUS_UNHEALTHY = 1, STATUS_DOWN = 2 };

static void status_usage(FILE *f)
{
	fprintf(f,
		"usage: credwatch status [--json] [--file FILE] [--max-age SECONDS]\n"
		"\n"
		"The running agent's health, from the status file it rewrites every second:\n"
		"each output healthy or not and how far behind it is (findings queued, the\n"
		"oldest one's age, spool bytes, drops, last error), uptime and kernel drops.\n"
		"\n"
		"  --json              the status as one JSON object (the file's, plus state,\n"
		"                      age_ms and healthy)\n"
		"  --file FILE         the agent's --status-file (default " CW_STATUS_DEFAULT_FILE
		")\n"
		"  --max-age SECONDS   older than this, the agent is not running (default 10)\n"
		"  -h, --help          this text\n"
		"\n"
		"Exit status: 0 running, every output healthy; 1 an output unhealthy; 2 the agent\n"
		"is not running (stopped, or its status is stale or missing).\n"
		"\n"
		"EXAMPLES\n"
		"  credwatch status\n"
		"  credwatch status --json | jq '.outputs[] | {spec, queued}'\n"
		"  credwatch status >/dev/null || echo 'credwatch needs attention'\n");
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long num(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* "4m12s", "2h03m", "3d04h" */
static const char *duration(long long ms, char *buf, size_t cap)
{
	long long s = ms / 1000;

	if (s < 60)
		snprintf(buf, cap, "%llds", s);
	else if (s < 3600)
		snprintf(buf, cap, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, cap, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, cap, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
	return buf;
}

static const char *bytes(long long b, char *buf, size_t cap)
{
	if (b < 1024)
		snprintf(buf, cap, "%lld B", b);
	else if (b < (1LL << 20))
		snprintf(buf, cap, "%.1f KiB", (double)b / 1024);
	else
		snprintf(buf, cap, "%.1f MiB", (double)b / (1 << 20));
	return buf;
}

/* "running", "stopped" or "stale" (no update for max_age: killed, or hung). */
static const char *agent_state(const json_t *st, long long age_ms, long long max_age_ms)
{
	if (!json_is_true(json_object_get(st, "running")))
		return "stopped";
	return age_ms > max_age_ms ? "stale" : "running";
}

static bool outputs_healthy(const json_t *st)
{
	const json_t *o;
	size_t i;

	json_array_foreach (json_object_get(st, "outputs"), i, o)
		if (!json_is_true(json_object_get(o, "healthy")))
			return false;
	return true;
}

static void print_output(const json_t *o)
{
	char d[32], b[32];
	bool ok = json_is_true(json_object_get(o, "healthy"));

	printf("  %-5s %s (%s, %s): %lld queued", ok ? "ok" : "DOWN", str(o, "spec"),
	       str(o, "sink"), str(o, "format"), num(o, "queued"));
	if (num(o, "oldest_queued_ms") > 0)
		printf(" (oldest %s)", duration(num(o, "oldest_queued_ms"), d, sizeof(d)));
	printf(", spool %s, %lld delivered, %lld failures, %lld retries, dropped %lld alerts "
	       "%lld events",
	       bytes(num(o, "spool_bytes"), b, sizeof(b)), num(o, "delivered"), num(o, "failures"),
	       num(o, "retries"), num(o, "dropped_alerts"), num(o, "dropped_events"));
	if (*str(o, "last_error"))
		printf("; last error: %s", str(o, "last_error"));
	printf("\n");
}

static void print_text(const json_t *st, const char *state, long long age_ms)
{
	const json_t *ev = json_object_get(st, "events"), *o;
	char up[32], age[32];
	size_t i;

	printf("credwatch %s (pid %lld): %s", str(st, "version"), num(st, "pid"), state);
	if (!strcmp(state, "running"))
		printf(", up %s", duration(num(st, "updated_unix_ms") - num(st, "started_unix_ms"),
					   up, sizeof(up)));
	printf(", status updated %s ago (%s)%s\n", duration(age_ms, age, sizeof(age)),
	       str(st, "updated"),
	       strcmp(state, "stale") ? "" : ": the agent was killed or is hung");
	printf("events: %lld received, %lld dropped in the kernel (ring buffer full); %lld "
	       "alerts, %lld observations\n",
	       num(ev, "received"), num(ev, "dropped"), num(st, "alerts"), num(st, "observations"));
	printf("outputs:\n");
	json_array_foreach (json_object_get(st, "outputs"), i, o)
		print_output(o);
}

static int print_json(json_t *st, const char *state, long long age_ms, bool healthy)
{
	json_object_set_new(st, "state", json_string(state));
	json_object_set_new(st, "age_ms", json_integer(age_ms));
	json_object_set_new(st, "healthy", json_boolean(healthy));
	if (json_dumpf(st, stdout, JSON_COMPACT) || puts("") == EOF)
		return -EIO;
	return 0;
}

static int show(const char *file, bool as_json, unsigned long long max_age_s)
{
	json_error_t jerr;
	json_t *st = json_load_file(file, 0, &jerr);
	long long age_ms;
	const char *state;
	bool healthy;
	int ret;

	if (!st || !json_is_object(st)) {
		if (errno == ENOENT || strstr(jerr.text, "No such file"))
			cw_log("status: %s does not exist: the agent is not running (or runs with "
			       "another --status-file)",
			       file);
		else
			cw_log("status: %s: %s", file, st ? "not a JSON object" : jerr.text);
		json_decref(st);
		return STATUS_DOWN;
	}
	age_ms = now_ms() - num(st, "updated_unix_ms");
	state = agent_state(st, age_ms, (long long)max_age_s * 1000);
	healthy = outputs_healthy(st);
	ret = 0;
	if (as_json)
		ret = print_json(st, state, age_ms, healthy);
	else
		print_text(st, state, age_ms);
	json_decref(st);
	if (ret)
		return STATUS_DOWN;
	return strcmp(state, "running") ? STATUS_DOWN : healthy ? STATUS_OK : STATUS_UNHEALTHY;
}

int cw_cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "file", required_argument, NULL, 'f' },
		{ "max-age", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *file = CW_STATUS_DEFAULT_FILE;
	unsigned long long max_age = 10;
	bool as_json = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': as_json = true; break;
		case 'f': file = optarg; break;
		case 'a':
			if (cw_parse_u64("--max-age", optarg, 1, 86400, &max_age))
				return STATUS_DOWN;
			break;
		case 'h': status_usage(stdout); return 0;
		default: status_usage(stderr); return STATUS_DOWN;
		}
	}
	if (optind < argc) {
		cw_log("status: unexpected argument '%s'", argv[optind]);
		return STATUS_DOWN;
	}
	return show(file, as_json, max_age);
}
