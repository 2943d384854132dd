// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * What a uprobe costs before any program does any work: the breakpoint trap.
 *
 *   uprobe-trap micro [CALLS]        per-hit cost of a uprobe whose program only counts, by the
 *                                    kind of instruction it sits on, each measured side by side
 *                                    with the same loop unprobed
 *   uprobe-trap hold FILE SYM...     the same counting probe on each SYM of FILE, where the agent
 *                                    places its own (cw_tls_probe_offsets), until SIGINT/SIGTERM;
 *                                    prints the hits so far on SIGUSR1, and at the end
 *
 * bench/tls_overhead uses "hold" as the floor of any uprobe-based capture: the cost a workload
 * pays for the traps alone.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "agent/tls_symbols.h"

#define MAX_PROBES 16

/* Functions that differ only in their first instruction. */
__attribute__((noinline, naked, used)) void cw_trap_emulated(void)
{
	__asm__ volatile("push %rbp\n\tpop %rbp\n\tret\n"); /* push: the kernel emulates it */
}

__attribute__((noinline, naked, used)) void cw_trap_jcc(void)
{
	__asm__ volatile("js 1f\n1:\tret\n"); /* a conditional jump, emulated: OpenSSL's SSL_write
						 probe sits on one */
}

__attribute__((noinline, naked, used)) void cw_trap_stepped(void)
{
	__asm__ volatile("sub $0x18,%rsp\n\tadd $0x18,%rsp\n\tret\n"); /* single-stepped */
}

__attribute__((noinline, naked, used)) void cw_trap_nop5(void)
{
	/* nopl 0x0(%rax,%rax,1): a 5-byte nop, which a 6.18 kernel may turn into a call */
	__asm__ volatile(".byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n\tret\n");
}

static volatile sig_atomic_t stop, report;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		report = 1;
	else
		stop = 1;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct counter {
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *bss; /* holds the hit counter */
	struct bpf_link *links[MAX_PROBES];
	int nlinks;
};

static int counter_open(struct counter *c, const char *objpath)
{
	struct bpf_map *bss = NULL, *m;

	memset(c, 0, sizeof(*c));
	c->obj = bpf_object__open_file(objpath, NULL);
	if (!c->obj) {
		fprintf(stderr, "uprobe-trap: %s: %s\n", objpath, strerror(errno));
		return -1;
	}
	if (bpf_object__load(c->obj)) {
		fprintf(stderr, "uprobe-trap: loading %s: %s\n", objpath, strerror(errno));
		return -1;
	}
	c->prog = bpf_object__find_program_by_name(c->obj, "count_hit");
	bpf_object__for_each_map(m, c->obj) if (strstr(bpf_map__name(m), ".bss")) bss = m;
	if (!c->prog || !bss) {
		fprintf(stderr, "uprobe-trap: %s lacks count_hit or its counter\n", objpath);
		return -1;
	}
	c->bss = bss;
	return 0;
}

static uint64_t counter_hits(const struct counter *c)
{
	uint32_t key = 0;
	uint64_t hits = 0;

	if (bpf_map__lookup_elem(c->bss, &key, sizeof(key), &hits, sizeof(hits), 0))
		fprintf(stderr, "uprobe-trap: reading the counter: %s\n", strerror(errno));
	return hits;
}

/* At file offset off, or (func) at that function's first instruction, found by libbpf. */
static int counter_attach(struct counter *c, const char *path, uint64_t off, const char *func)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = func);
	struct bpf_link *l;

	if (c->nlinks == MAX_PROBES)
		return -1;
	l = bpf_program__attach_uprobe_opts(c->prog, -1, path, off, &uo);
	if (!l) {
		fprintf(stderr, "uprobe-trap: attaching to %s+%#llx %s: %s\n", path,
			(unsigned long long)off, func ? func : "", strerror(errno));
		return -1;
	}
	c->links[c->nlinks++] = l;
	return 0;
}

static void counter_detach(struct counter *c)
{
	while (c->nlinks)
		bpf_link__destroy(c->links[--c->nlinks]);
}

static double loop_ns(void (*fn)(void), long calls)
{
	double t0 = now_ns();

	for (long i = 0; i < calls; i++)
		fn();
	return (now_ns() - t0) / calls;
}

static int micro(struct counter *c, long calls)
{
	static const struct {
		const char *sym, *what;
		void (*fn)(void);
	} kinds[] = {
		{ "cw_trap_emulated", "emulated (push)", cw_trap_emulated },
		{ "cw_trap_jcc", "emulated (js)", cw_trap_jcc },
		{ "cw_trap_stepped", "single-stepped (sub rsp)", cw_trap_stepped },
		{ "cw_trap_nop5", "5-byte nop", cw_trap_nop5 },
	};
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return 1;
	self[n] = 0;
	printf("uprobe-trap: extra cost per call of a counting uprobe, probed loop against the "
	       "same "
	       "loop unprobed (%ld calls each, best of 3)\n",
	       calls);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		uint64_t before;
		double bare = 1e18, probed = 1e18;

		for (int round = 0; round < 3; round++) {
			double t = loop_ns(kinds[k].fn, calls);

			bare = t < bare ? t : bare;
		}
		if (counter_attach(c, self, 0, kinds[k].sym))
			return 1;
		kinds[k].fn(); /* the first hit: a nop5 is optimized after it */
		before = counter_hits(c);
		for (int round = 0; round < 3; round++) {
			double t = loop_ns(kinds[k].fn, calls);

			probed = t < probed ? t : probed;
		}
		if (counter_hits(c) - before != 3 * (uint64_t)calls) {
			fprintf(stderr, "uprobe-trap: %s: %llu hits for %ld calls\n", kinds[k].sym,
				(unsigned long long)(counter_hits(c) - before), 3 * calls);
			return 1;
		}
		counter_detach(c);
		printf("  %-26s +%6.0f ns per call\n", kinds[k].what, probed - bare);
	}
	return 0;
}

static int hold(struct counter *c, const char *file, char **syms, int nsyms)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, waitmask;

	for (int i = 0; i < nsyms; i++) {
		uint64_t entry, probe;
		int err = cw_tls_probe_offsets(file, syms[i], &entry, &probe);

		if (err) {
			fprintf(stderr, "uprobe-trap: %s: %s: %s\n", file, syms[i], strerror(-err));
			return 1;
		}
		if (counter_attach(c, file, probe, NULL))
			return 1;
	}
	/* Blocked but while waiting (sigsuspend), so none arrives unseen between check and wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	printf("uprobe-trap: holding %d probes\n", c->nlinks);
	fflush(stdout);
	while (!stop) {
		sigsuspend(&waitmask);
		if (report) {
			report = 0;
			printf("uprobe-trap: %llu hits so far\n",
			       (unsigned long long)counter_hits(c));
			fflush(stdout);
		}
	}
	printf("uprobe-trap: %llu hits\n", (unsigned long long)counter_hits(c));
	counter_detach(c);
	return 0;
}

int main(int argc, char **argv)
{
	char obj[4096];
	const char *dir;
	struct counter c;
	int ret;

	/* The BPF object sits beside this binary. */
	dir = getenv("UPROBE_TRAP_OBJ");
	if (dir)
		snprintf(obj, sizeof(obj), "%s", dir);
	else {
		ssize_t n = readlink("/proc/self/exe", obj, sizeof(obj) - 32);

		if (n < 0)
			return 1;
		obj[n] = 0;
		strcpy(strrchr(obj, '/') + 1, "uprobe_count.bpf.o");
	}
	if (argc >= 2 && !strcmp(argv[1], "micro")) {
		if (counter_open(&c, obj))
			return 1;
		ret = micro(&c, argc > 2 ? atol(argv[2]) : 20000);
	} else if (argc >= 4 && !strcmp(argv[1], "hold")) {
		if (counter_open(&c, obj))
			return 1;
		ret = hold(&c, argv[2], argv + 3, argc - 3);
	} else {
		fprintf(stderr,
			"usage: uprobe-trap micro [CALLS] | uprobe-trap hold FILE SYM...\n");
		return 2;
	}
	bpf_object__close(c.obj);
	return ret;
}
