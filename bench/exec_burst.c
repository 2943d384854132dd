// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * bench/outputs_overhead's load: one exec of /bin/true per token read from stdin (one a line),
 * the token in argv (`--token=T`, a credential-in-argv alert each) and ENV_BYTES of ordinary
 * environment for the agent to scan, back to back (posix_spawn, then wait), as fast as it can.
 * The tokens come on stdin so that they are never on this process's command line or in any
 * output; it prints only "start_ns end_ns execs" (CLOCK_REALTIME: the first spawn, the last
 * exit) for the caller to compare with when findings arrive.
 *   exec-burst ENV_BYTES < tokens
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define MAX_TOKEN 256
#define PAD_VAR 96 /* bytes per padding variable, as a shell's typical variables */

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Lowercase words, no digits: text the rules scan without finding a credential. */
static char **make_env(long bytes)
{
	static const char *const words[] = { "alpha",  "build",	 "cache",   "deploy",  "editor",
					     "format", "global", "history", "install", "journal" };
	static const char *const fixed[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root",
					     "LANG=C.UTF-8", "SHELL=/bin/bash", "TERM=xterm" };
	size_t nwords = sizeof(words) / sizeof(words[0]), nfixed = sizeof(fixed) / sizeof(fixed[0]);
	size_t npad = bytes > 0 ? (size_t)(bytes + PAD_VAR - 1) / PAD_VAR : 0;
	char **env = calloc(nfixed + npad + 1, sizeof(*env));

	if (!env)
		return NULL;
	for (size_t i = 0; i < nfixed; i++)
		env[i] = (char *)fixed[i];
	for (size_t i = 0; i < npad; i++) {
		char *v = malloc(PAD_VAR + 1);
		int n;

		if (!v)
			return NULL;
		n = snprintf(v, PAD_VAR + 1, "BENCH_PAD_%zu=", i);
		for (size_t w = i % nwords; n < PAD_VAR; w = (w * 7 + 3) % nwords) {
			n += snprintf(v + n, (size_t)(PAD_VAR + 1 - n), "%s ", words[w]);
			if (n > PAD_VAR)
				n = PAD_VAR;
		}
		v[PAD_VAR] = '\0';
		env[nfixed + i] = v;
	}
	return env;
}

static size_t read_tokens(char (**out)[MAX_TOKEN])
{
	char(*t)[MAX_TOKEN] = NULL;
	char line[MAX_TOKEN - 8]; /* room for "--token=" */
	size_t n = 0, cap = 0;

	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		if (n == cap) {
			void *p;

			cap = cap ? cap * 2 : 1024;
			p = realloc(t, cap * sizeof(*t));
			if (!p)
				exit(1);
			t = p;
		}
		snprintf(t[n++], MAX_TOKEN, "--token=%s", line);
	}
	*out = t;
	return n;
}

int main(int argc, char **argv)
{
	char(*tokens)[MAX_TOKEN];
	long long start, end;
	char **env;
	size_t n;
	long bytes;
	char *endp;

	if (argc != 2) {
		fprintf(stderr, "usage: exec-burst ENV_BYTES < tokens\n");
		return 2;
	}
	errno = 0;
	bytes = strtol(argv[1], &endp, 10);
	if (errno || *endp || bytes < 0) {
		fprintf(stderr, "exec-burst: bad ENV_BYTES '%s'\n", argv[1]);
		return 2;
	}
	env = make_env(bytes);
	n = read_tokens(&tokens);
	if (!env || !n) {
		fprintf(stderr, "exec-burst: no tokens on stdin\n");
		return 1;
	}
	start = now_ns();
	for (size_t i = 0; i < n; i++) {
		char *args[] = { "/bin/true", tokens[i], NULL };
		pid_t pid;
		int st, err = posix_spawn(&pid, "/bin/true", NULL, NULL, args, env);

		if (err) {
			fprintf(stderr, "exec-burst: posix_spawn: %s\n", strerror(err));
			return 1;
		}
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	end = now_ns();
	printf("%lld %lld %zu\n", start, end, n);
	return 0;
}
