// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A refused program's name and reason from libbpf's warnings (libbpf_log.h). */
#include <stdio.h>
#include <string.h>

#include "agent/libbpf_log.h"

#define LOG_BEGIN "-- BEGIN PROG LOAD LOG --\n"
#define LOG_END "-- END PROG LOAD LOG --"

/* The statistics the verifier and libbpf end a log with: not the reason. */
static int is_statistics(const char *line, size_t n)
{
	static const char *const prefixes[] = { "processed ", "verification time", "stack depth" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (n >= strlen(prefixes[i]) && !strncmp(line, prefixes[i], strlen(prefixes[i])))
			return 1;
	return 0;
}

void cw_refusal_note(struct cw_refusal *r, const char *msg)
{
	const char *p = strstr(msg, "prog '"), *log = strstr(msg, LOG_BEGIN);
	const char *end = log ? strstr(log, LOG_END) : NULL, *q;

	if (p && strstr(msg, "BPF program load failed") && (q = strchr(p + 6, '\'')))
		snprintf(r->prog, sizeof(r->prog), "%.*s", (int)(q - p - 6), p + 6);
	if (!log || !end)
		return;
	for (q = log + strlen(LOG_BEGIN); q < end;) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));
		size_t n = nl ? (size_t)(nl - q) : (size_t)(end - q);

		if (n && !is_statistics(q, n))
			snprintf(r->why, sizeof(r->why), "%.*s", (int)n, q);
		q += n + 1;
	}
}
