// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Capabilities (see caps.h), through the raw capget/capset and prctl calls (no libcap). A
 * thread's capabilities are its own: after the start the main thread drops its own, then each
 * other thread (the outputs', the metrics server's, the hold thread) is sent CAPS_SIGNAL, whose
 * handler applies the same sets, and is checked in /proc/self/task/TID/status until every one
 * shows them. Each thread also sets PR_SET_NO_NEW_PRIVS (a per-thread flag; threads started
 * later inherit it).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "agent/caps.h"
#include "util/log.h"

#define CAPS_SIGNAL (SIGRTMIN + 5)
#define CAPS_ROUNDS 20		/* threads signalled again when still not down */
#define CAPS_WAIT_NS 200000000L /* per round, for the handlers to run */
#define CAPS_MAX 64

static const char *const names[] = {
	[CAP_CHOWN] = "CAP_CHOWN",
	[CAP_DAC_OVERRIDE] = "CAP_DAC_OVERRIDE",
	[CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
	[CAP_FOWNER] = "CAP_FOWNER",
	[CAP_FSETID] = "CAP_FSETID",
	[CAP_KILL] = "CAP_KILL",
	[CAP_SETGID] = "CAP_SETGID",
	[CAP_SETUID] = "CAP_SETUID",
	[CAP_SETPCAP] = "CAP_SETPCAP",
	[CAP_LINUX_IMMUTABLE] = "CAP_LINUX_IMMUTABLE",
	[CAP_NET_BIND_SERVICE] = "CAP_NET_BIND_SERVICE",
	[CAP_NET_BROADCAST] = "CAP_NET_BROADCAST",
	[CAP_NET_ADMIN] = "CAP_NET_ADMIN",
	[CAP_NET_RAW] = "CAP_NET_RAW",
	[CAP_IPC_LOCK] = "CAP_IPC_LOCK",
	[CAP_IPC_OWNER] = "CAP_IPC_OWNER",
	[CAP_SYS_MODULE] = "CAP_SYS_MODULE",
	[CAP_SYS_RAWIO] = "CAP_SYS_RAWIO",
	[CAP_SYS_CHROOT] = "CAP_SYS_CHROOT",
	[CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
	[CAP_SYS_PACCT] = "CAP_SYS_PACCT",
	[CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
	[CAP_SYS_BOOT] = "CAP_SYS_BOOT",
	[CAP_SYS_NICE] = "CAP_SYS_NICE",
	[CAP_SYS_RESOURCE] = "CAP_SYS_RESOURCE",
	[CAP_SYS_TIME] = "CAP_SYS_TIME",
	[CAP_SYS_TTY_CONFIG] = "CAP_SYS_TTY_CONFIG",
	[CAP_MKNOD] = "CAP_MKNOD",
	[CAP_LEASE] = "CAP_LEASE",
	[CAP_AUDIT_WRITE] = "CAP_AUDIT_WRITE",
	[CAP_AUDIT_CONTROL] = "CAP_AUDIT_CONTROL",
	[CAP_SETFCAP] = "CAP_SETFCAP",
	[CAP_MAC_OVERRIDE] = "CAP_MAC_OVERRIDE",
	[CAP_MAC_ADMIN] = "CAP_MAC_ADMIN",
	[CAP_SYSLOG] = "CAP_SYSLOG",
	[CAP_WAKE_ALARM] = "CAP_WAKE_ALARM",
	[CAP_BLOCK_SUSPEND] = "CAP_BLOCK_SUSPEND",
	[CAP_AUDIT_READ] = "CAP_AUDIT_READ",
	[CAP_PERFMON] = "CAP_PERFMON",
	[CAP_BPF] = "CAP_BPF",
	[CAP_CHECKPOINT_RESTORE] = "CAP_CHECKPOINT_RESTORE",
};

#define HAS(set, c) (((set)&CW_CAP_BIT(c)) != 0)

uint64_t cw_caps_effective(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return 0;
	return (uint64_t)d[0].effective | (uint64_t)d[1].effective << 32;
}

int cw_caps_check(uint64_t eff, bool *uprobes)
{
	bool admin = HAS(eff, CAP_SYS_ADMIN);

	if (!admin && !HAS(eff, CAP_BPF)) {
		cw_log("BPF not permitted: no CAP_BPF (nor CAP_SYS_ADMIN): the BPF programs cannot "
		       "be loaded");
		return -EPERM;
	}
	if (!admin && !HAS(eff, CAP_PERFMON)) {
		cw_log("BPF not permitted: no CAP_PERFMON (nor CAP_SYS_ADMIN): the tracing "
		       "programs cannot be loaded and attached");
		return -EPERM;
	}
	if (!admin && *uprobes) {
		cw_log("no CAP_SYS_ADMIN: TLS plaintext is not captured (this kernel makes uprobes "
		       "only for CAP_SYS_ADMIN)");
		*uprobes = false;
	}
	if (!HAS(eff, CAP_SYS_PTRACE))
		cw_log("no CAP_SYS_PTRACE: other users' processes are not looked into (their open "
		       "files are read by path only, their TLS libraries are not attached)");
	if (!HAS(eff, CAP_DAC_READ_SEARCH))
		cw_log("no CAP_DAC_READ_SEARCH: a watched file another user owns is not read once "
		       "its opener is gone");
	/* CAP_KILL: first_exec.c says what holding does without it */
	return 0;
}

uint64_t cw_caps_runtime(uint64_t have, bool uprobes)
{
	uint64_t keep = CW_CAP_BIT(CAP_BPF) | CW_CAP_BIT(CAP_SYS_PTRACE) |
			CW_CAP_BIT(CAP_DAC_READ_SEARCH) | CW_CAP_BIT(CAP_KILL);

	if (uprobes)
		keep |= CW_CAP_BIT(CAP_SYS_ADMIN);
	return keep & have;
}

void cw_caps_describe(uint64_t set, char *buf, size_t len)
{
	size_t o = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (unsigned c = 0; c < CAPS_MAX && o < len; c++) {
		if (!HAS(set, c))
			continue;
		if (c < sizeof(names) / sizeof(*names) && names[c])
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", names[c]);
		else
			o += (size_t)snprintf(buf + o, len - o, "%scap_%u", o ? ", " : "", c);
	}
	if (!o)
		snprintf(buf, len, "none");
}

/* What every thread applies: read by the signal handler, so set before any signal. */
static struct __user_cap_data_struct want[2];
static uint64_t bnd_drop; /* bounding-set capabilities to drop (with CAP_SETPCAP) */
static int acked, failed;

/* This thread down to w, bdrop out of its bounding set; async-signal-safe (raw calls only). */
static int apply_sets(const struct __user_cap_data_struct w[2], uint64_t bdrop)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	for (unsigned c = 0; c < CAPS_MAX; c++)
		if (HAS(bdrop, c))
			prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	/* nothing the agent might exec gains privileges (setuid, file capabilities) */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return syscall(SYS_capset, &h, w) ? -1 : 0;
}

static int apply(void)
{
	return apply_sets(want, bnd_drop);
}

int cw_caps_limit_self(uint64_t keep, uint64_t effective, uint64_t bounding_set)
{
	struct __user_cap_data_struct w[2] = { 0 };

	keep &= effective;
	w[0].effective = w[0].permitted = (uint32_t)keep;
	w[1].effective = w[1].permitted = (uint32_t)(keep >> 32);
	return apply_sets(w, HAS(effective, CAP_SETPCAP) ? bounding_set & ~keep : 0);
}

static void on_caps_signal(int sig)
{
	int e = errno;

	(void)sig;
	if (apply())
		__atomic_add_fetch(&failed, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&acked, 1, __ATOMIC_SEQ_CST);
	errno = e;
}

/* A capability set line ("CapEff:\t000001ffffffffff") of a thread's status, or -1. */
static int64_t status_caps(long tid, const char *field)
{
	char path[64], line[128];
	size_t n = strlen(field);
	int64_t v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/status", tid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':') {
			v = (int64_t)strtoull(line + n + 1, NULL, 16);
			break;
		}
	fclose(f);
	return v;
}

/* Is thread tid down (or gone)? */
static bool thread_down(long tid, uint64_t keep, uint64_t bnd_keep)
{
	int64_t eff = status_caps(tid, "CapEff"), prm = status_caps(tid, "CapPrm");
	int64_t bnd = status_caps(tid, "CapBnd"), nnp = status_caps(tid, "NoNewPrivs");

	if (eff < 0 || prm < 0 || bnd < 0 || nnp < 0)
		return true; /* exited */
	return !((uint64_t)eff & ~keep) && !((uint64_t)prm & ~keep) &&
	       !((uint64_t)bnd & ~bnd_keep) && nnp == 1;
}

/* Signal the threads not yet down; how many were signalled (0: all are down), or -errno. */
static int signal_threads(uint64_t keep, uint64_t bnd_keep)
{
	long self = syscall(SYS_gettid);
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		long tid = strtol(e->d_name, NULL, 10);

		if (tid <= 0 || tid == self || thread_down(tid, keep, bnd_keep))
			continue;
		if (!syscall(SYS_tgkill, getpid(), tid, CAPS_SIGNAL))
			n++;
	}
	closedir(d);
	return n;
}

/* Wait for n more handlers than before (before: acked then). */
static void wait_acks(int before, int n)
{
	struct timespec step = { 0, 1000000 };
	long waited = 0;

	while (__atomic_load_n(&acked, __ATOMIC_SEQ_CST) < before + n && waited < CAPS_WAIT_NS) {
		nanosleep(&step, NULL);
		waited += step.tv_nsec;
	}
}

uint64_t cw_caps_bounding(void)
{
	uint64_t b = 0;

	for (unsigned c = 0; c < CAPS_MAX; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);

		if (r < 0)
			break; /* past the kernel's last capability */
		if (r)
			b |= CW_CAP_BIT(c);
	}
	return b;
}

int cw_caps_drop(uint64_t keep)
{
	struct sigaction sa = { .sa_handler = on_caps_signal, .sa_flags = SA_RESTART };
	uint64_t eff = cw_caps_effective(), bnd = cw_caps_bounding(), bnd_keep;
	bool setpcap = HAS(eff, CAP_SETPCAP);
	char kept[512];
	int round, n = 0;

	keep &= eff;
	bnd_drop = setpcap ? bnd & ~keep : 0;
	bnd_keep = bnd & ~bnd_drop;
	memset(want, 0, sizeof(want));
	want[0].effective = want[0].permitted = (uint32_t)keep;
	want[1].effective = want[1].permitted = (uint32_t)(keep >> 32);
	sigemptyset(&sa.sa_mask);
	if (sigaction(CAPS_SIGNAL, &sa, NULL) || apply()) {
		cw_log("cannot drop capabilities: %s", strerror(errno));
		return -errno;
	}
	for (round = 0; round < CAPS_ROUNDS; round++) {
		int before = __atomic_load_n(&acked, __ATOMIC_SEQ_CST);

		if ((n = signal_threads(keep, bnd_keep)) <= 0)
			break;
		wait_acks(before, n);
	}
	cw_caps_describe(keep, kept, sizeof(kept));
	if (n || __atomic_load_n(&failed, __ATOMIC_SEQ_CST)) {
		cw_log("capabilities: %s kept, but %s thread(s) could not drop the rest", kept,
		       n < 0 ? "some" : "other");
		return n < 0 ? n : -EPERM;
	}
	cw_log("capabilities after the start: %s; the rest dropped%s; no new privileges", kept,
	       setpcap ? " (and from the bounding set)"
		       : ", the bounding set kept (no CAP_SETPCAP to clear it)");
	return 0;
}
