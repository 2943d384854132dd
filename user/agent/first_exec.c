// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Holding a new executable's first exec (first_exec.h): the hold thread, the release of a
 * held process (shared with the watchdog), and the watchdog process.
 *
 * Who continues a held process is decided by the kernel: the delete of its entry in the held
 * map that succeeds (the agent's, the watchdog's, or the exit probe's when it died) owns the
 * SIGCONT. The entry is read and deleted in one step, so a stop someone else sent (the signal
 * probe flags it) is seen up to the moment of the delete; one sent in the microseconds between
 * that delete and the SIGCONT is undone by it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "credwatch.skel.h"
#include "agent/caps.h"
#include "agent/first_exec.h"
#include "agent/tls_attach.h"
#include "util/log.h"

#define HOLD_POLL_MS 100    /* the hold thread's look at its stop flag and the watchdog */
#define WATCHDOG_TICK_MS 50 /* the watchdog's look at the held map: the deadline's slack */

enum release_result {
	REL_CONTINUED,
	REL_DENIED,	  /* SIGCONT refused (an LSM): holding goes off */
	REL_LEFT_STOPPED, /* someone else stopped it meanwhile */
	REL_GONE,	  /* it ended */
	REL_NOT_OURS,	  /* released already, or another process now has the pid */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* bpf_ktime_get_ns()'s clock */
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Continue pid if it is still held (by the process that started at start_ns; 0: whichever
 * holds the pid). Async-signal-safe: the watchdog, a fork of a threaded process, runs it. The
 * pidfd is opened before the entry is looked at: while the entry is there the process has not
 * exited (the exit probe deletes it), so the pidfd names the held process.
 */
static enum release_result release_pid(int held_fd, uint32_t pid, uint64_t start_ns)
{
	struct cw_hold h;
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	enum release_result r = REL_CONTINUED;

	if (pidfd < 0 && errno == ESRCH) {
		bpf_map_delete_elem(held_fd, &pid);
		return REL_GONE;
	}
	if (pidfd < 0)
		return REL_NOT_OURS; /* out of fds: the entry stays for the watchdog's next sweep */
	if (start_ns && (bpf_map_lookup_elem(held_fd, &pid, &h) || h.start_ns != start_ns))
		r = REL_NOT_OURS;
	else if (bpf_map_lookup_and_delete_elem(held_fd, &pid, &h))
		r = REL_NOT_OURS;
	else if (h.flags & CW_HOLD_FOREIGN_STOP)
		r = REL_LEFT_STOPPED;
	else if (syscall(SYS_pidfd_send_signal, pidfd, SIGCONT, NULL, 0))
		r = errno == EPERM || errno == EACCES ? REL_DENIED : REL_GONE;
	close(pidfd);
	return r;
}

static void count_release(struct cw_hold_counts *c, enum release_result r, uint64_t *done)
{
	switch (r) {
	case REL_CONTINUED: __atomic_add_fetch(done, 1, __ATOMIC_RELAXED); break;
	case REL_LEFT_STOPPED: __atomic_add_fetch(&c->left_stopped, 1, __ATOMIC_RELAXED); break;
	case REL_GONE: __atomic_add_fetch(&c->gone, 1, __ATOMIC_RELAXED); break;
	case REL_DENIED: __atomic_add_fetch(&c->denied, 1, __ATOMIC_RELAXED); break;
	case REL_NOT_OURS: break;
	}
}

/*
 * Release the held processes: all of them (all), or those held longer than the deadline.
 * Continues counted in *done. Async-signal-safe. True when one was past the deadline.
 */
static bool sweep(int held_fd, struct cw_hold_counts *c, bool all, uint64_t *done)
{
	uint32_t pids[CW_HOLDS_MAX], key, *prev = NULL;
	uint64_t now = mono_ns(), deadline = (uint64_t)CW_HOLD_DEADLINE_MS * 1000000ull;
	bool late = false;
	size_t n = 0;

	while (n < CW_HOLDS_MAX && !bpf_map_get_next_key(held_fd, prev, &key)) {
		pids[n++] = key;
		prev = &pids[n - 1];
	}
	for (size_t i = 0; i < n; i++) {
		struct cw_hold h;

		if (bpf_map_lookup_elem(held_fd, &pids[i], &h))
			continue;
		if (now - h.ktime_ns >= deadline)
			late = true;
		if (all || now - h.ktime_ns >= deadline)
			count_release(c, release_pid(held_fd, pids[i], h.start_ns), done);
	}
	return late;
}

/* The watchdog: pipe EOF (the agent gone or stopping) or SIGTERM, and it releases all. */
static volatile sig_atomic_t watchdog_term;

static void on_watchdog_term(int sig)
{
	(void)sig;
	watchdog_term = 1;
}

/* Close every fd but stderr, a and b (a < b). */
static void close_all_but(int a, int b)
{
	if (a > 3)
		syscall(SYS_close_range, 3, a - 1, 0);
	if (b > a + 1)
		syscall(SYS_close_range, a + 1, b - 1, 0);
	syscall(SYS_close_range, b + 1, ~0u, 0);
}

/* What the watchdog is limited to, made before the fork (nothing is allocated after it). */
struct watchdog_limits {
	uint64_t effective, bounding;
	struct cw_seccomp_prog filter;
};

/*
 * The watchdog process: a fork of the agent (threads and all), so only system calls here, no
 * allocation, no stdio. It holds the held map, the pipe, and the mapping of the kernel's
 * switch; every link and every other fd of the agent is closed, so the probes go when the
 * agent does. Its own process group: a terminal's ^C stops the agent, which closes the pipe.
 * Once set up it keeps CAP_BPF (the held map) and CAP_KILL (SIGCONT to any user's process),
 * no_new_privs, and its own allow-list (agent/seccomp.h).
 */
static void __attribute__((noreturn))
watchdog_main(int held_fd, int rfd, bool *hold_on, struct cw_hold_counts *c,
	      const struct watchdog_limits *lim)
{
	struct sigaction sa = { .sa_handler = on_watchdog_term };
	struct pollfd p = { .fd = rfd, .events = POLLIN };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	uint64_t before;
	char msg[160];
	int n;

	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1); /* never keep the agent's output open past it */
	}
	close_all_but(held_fd < rfd ? held_fd : rfd, held_fd < rfd ? rfd : held_fd);
	setpgid(0, 0);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (cw_caps_limit_self(CW_CAP_BIT(CAP_BPF) | CW_CAP_BIT(CAP_KILL), lim->effective,
			       lim->bounding)) {
		static const char m[] = "credwatch: hold watchdog: cannot drop its capabilities\n";

		if (write(2, m, sizeof(m) - 1) < 0)
			_exit(1);
		_exit(1); /* the agent sees it gone and stops holding */
	}
	if (cw_seccomp_apply_prepared(&lim->filter)) {
		static const char m[] = "credwatch: hold watchdog: no seccomp filter\n";

		if (write(2, m, sizeof(m) - 1) < 0)
			_exit(1);
	}
	if (getppid() == 1)
		watchdog_term = 1; /* the agent died before the line above */
	while (!watchdog_term) {
		int r = poll(&p, 1, WATCHDOG_TICK_MS);

		if (r > 0)
			break; /* EOF: the agent closed the pipe, or died */
		/*
		 * An agent past the deadline is behind (stopped, swamped): every new executable
		 * would wait the whole deadline. Holding goes off until its hold thread catches up.
		 */
		if (sweep(held_fd, c, false, &c->deadline)) {
			*hold_on = false; /* before the flag: the hold thread clears both in turn */
			if (!__atomic_exchange_n(&c->tripped, 1, __ATOMIC_SEQ_CST))
				__atomic_add_fetch(&c->paused, 1, __ATOMIC_RELAXED);
		}
	}
	/*
	 * No new holds (the agent may be dead with its probes not yet detached), then everything
	 * held, twice: a hold placed while the first sweep ran is in the second.
	 */
	*hold_on = false;
	before = c->orphaned;

	sweep(held_fd, c, true, &c->orphaned);
	usleep(WATCHDOG_TICK_MS * 1000);
	sweep(held_fd, c, true, &c->orphaned);
	if (c->orphaned > before) {
		n = snprintf(
			msg, sizeof(msg),
			"credwatch: hold watchdog: agent gone, %llu held processes continued\n",
			(unsigned long long)(c->orphaned - before));
		if (n > 0 && write(2, msg, (size_t)n) < 0)
			_exit(1);
	}
	_exit(0);
}

static int start_watchdog(struct cw_first_exec *fe, bool *hold_on, enum cw_seccomp_mode mode)
{
	static struct watchdog_limits lim;
	int p[2];
	pid_t pid;

	lim.effective = cw_caps_effective();
	lim.bounding = cw_caps_bounding();
	cw_seccomp_prepare_watchdog(mode, &lim.filter); /* none when it fails (said) */
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int ret = -errno;

		close(p[0]);
		close(p[1]);
		return ret;
	}
	if (pid == 0)
		watchdog_main(fe->held_fd, p[0], hold_on, fe->c, &lim);
	close(p[0]);
	fe->watchdog = pid; /* set with watchdog_fd: cw_first_exec_stop closes it */
	fe->watchdog_fd = p[1];
	return 0;
}

static void record_wait(struct cw_first_exec *fe, uint64_t ktime_ns)
{
	uint64_t now = mono_ns(), us = now > ktime_ns ? (now - ktime_ns) / 1000 : 0;

	pthread_mutex_lock(&fe->lock);
	fe->waits_us[fe->nwaits++ % CW_HOLD_WAITS] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	pthread_mutex_unlock(&fe->lock);
}

/*
 * A held process: its executable's and libraries' probes attached, the executable marked seen
 * (its later execs run unheld), then SIGCONT. An executable that could not be looked at (the
 * process already gone) is not marked: its next exec is held again.
 */
static int on_hold(void *ctx, void *data, size_t sz)
{
	struct cw_first_exec *fe = ctx;
	struct cw_hold_event e;
	enum release_result r;
	__u32 verdict = 1;
	int found;

	if (sz < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	for (unsigned ms = 0; ms < fe->delay_ms && !fe->stop; ms += 10)
		usleep(10000);
	found = cw_tls_inspect_exec(fe->tls, e.pid, &e.exe);
	if (found >= 0) {
		bpf_map_update_elem(fe->seen_fd, &e.exe, &verdict, BPF_ANY);
		__atomic_add_fetch(&fe->inspected, 1, __ATOMIC_RELAXED);
		if (found)
			__atomic_add_fetch(&fe->with_probes, 1, __ATOMIC_RELAXED);
	}
	r = release_pid(fe->held_fd, e.pid, e.start_ns);
	count_release(fe->c, r, &fe->c->released);
	if (r == REL_CONTINUED)
		record_wait(fe, e.ktime_ns);
	if (r == REL_DENIED && *fe->hold_on) {
		*fe->hold_on = false; /* never hold what cannot be continued */
		cw_log("cannot continue held process %u: %s; new executables are no longer held at "
		       "their first exec",
		       e.pid, strerror(EPERM));
	}
	return 0;
}

/* The watchdog ended (killed): nothing would bound a hold any more, so holding stops. */
static void check_watchdog(struct cw_first_exec *fe)
{
	if (fe->watchdog <= 0 || waitpid(fe->watchdog, NULL, WNOHANG) != fe->watchdog)
		return;
	fe->watchdog = 0;
	*fe->hold_on = false;
	sweep(fe->held_fd, fe->c, true, &fe->c->released);
	cw_log("hold watchdog exited: new executables are no longer held at their first exec");
}

static void *hold_thread(void *arg)
{
	struct cw_first_exec *fe = arg;

	while (!fe->stop) {
		int n = ring_buffer__poll(fe->rb, HOLD_POLL_MS);

		if (n < 0 && n != -EINTR) {
			cw_log("hold ring buffer poll: %s", strerror(-n));
			break;
		}
		check_watchdog(fe);
		/* caught up (a quiet poll) after the watchdog paused holding: on again */
		if (n == 0 && fe->watchdog > 0 &&
		    __atomic_exchange_n(&fe->c->tripped, 0, __ATOMIC_SEQ_CST))
			*fe->hold_on = true;
	}
	return NULL;
}

/* CREDWATCH_TEST_HOLD_DELAY_MS: how long each inspection is made to take (tests only). */
static unsigned test_delay_ms(void)
{
	const char *s = getenv("CREDWATCH_TEST_HOLD_DELAY_MS");
	char *end;
	unsigned long v;

	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	return errno || *end || v > 60000 ? 0 : (unsigned)v;
}

/* CAP_KILL in the effective set: SIGCONT to any user's process (a held one may be anyone's). */
static bool can_kill_any(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return false;
	return d[CAP_KILL / 32].effective & (1u << (CAP_KILL % 32));
}

int cw_first_exec_start(struct cw_first_exec *fe, struct credwatch_bpf *skel,
			struct cw_tls_attach *tls, int ncpus, enum cw_seccomp_mode seccomp)
{
	int ret;

	if (!can_kill_any()) {
		cw_log("no CAP_KILL: a new executable is not held at its first exec (it could not "
		       "be "
		       "continued), and what it sends before its TLS probes attach is not seen");
		return -EPERM;
	}

	memset(fe, 0, sizeof(*fe));
	fe->tls = tls;
	fe->ncpus = ncpus;
	fe->watchdog_fd = -1;
	fe->held_fd = bpf_map__fd(skel->maps.held);
	fe->seen_fd = bpf_map__fd(skel->maps.exe_seen);
	fe->skips_fd = bpf_map__fd(skel->maps.hold_skips);
	fe->hold_on = &skel->bss->cw_hold_on;
	fe->delay_ms = test_delay_ms();
	tls->seen_fd = fe->seen_fd;
	pthread_mutex_init(&fe->lock, NULL);
	fe->c = mmap(NULL, sizeof(*fe->c), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		     0);
	if (fe->c == MAP_FAILED) {
		fe->c = NULL;
		ret = -errno;
		goto fail;
	}
	fe->rb = ring_buffer__new(bpf_map__fd(skel->maps.holds), on_hold, fe, NULL);
	if (!fe->rb) {
		ret = -errno;
		goto fail;
	}
	ret = start_watchdog(fe, fe->hold_on, seccomp);
	if (ret)
		goto fail;
	ret = -pthread_create(&fe->thread, NULL, hold_thread, fe);
	if (ret)
		goto fail;
	fe->started = true;
	fe->on = true;
	*fe->hold_on = true;
	return 0;
fail:
	cw_log("cannot hold new executables at their first exec: %s (their TLS probes attach "
	       "after they start)",
	       strerror(-ret));
	cw_first_exec_stop(fe);
	return ret;
}

void cw_first_exec_stop(struct cw_first_exec *fe)
{
	if (fe->hold_on)
		*fe->hold_on = false;
	if (fe->started) {
		fe->stop = true;
		pthread_join(fe->thread, NULL);
		fe->started = false;
	}
	if (fe->c && fe->rb)
		sweep(fe->held_fd, fe->c, true, &fe->c->released);
	if (fe->watchdog > 0) {
		close(fe->watchdog_fd); /* the watchdog sweeps once more and exits */
		waitpid(fe->watchdog, NULL, 0);
		fe->watchdog = 0;
	}
	ring_buffer__free(fe->rb);
	fe->rb = NULL;
	fe->on = false;
}

void cw_first_exec_skips(const struct cw_first_exec *fe, uint64_t out[CW_HOLD_SKIP_MAX])
{
	memset(out, 0, sizeof(uint64_t) * CW_HOLD_SKIP_MAX);
	if (fe->skips_fd <= 0)
		return;
	for (__u32 k = 0; k < CW_HOLD_SKIP_MAX; k++) {
		__u64 vals[fe->ncpus];

		if (bpf_map_lookup_elem(fe->skips_fd, &k, vals))
			continue;
		for (int c = 0; c < fe->ncpus; c++)
			out[k] += vals[c];
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

uint32_t cw_hold_percentile(uint32_t *v, size_t n, double p)
{
	size_t rank;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u32);
	rank = (size_t)(p * (double)n + 0.999999);
	return v[rank ? (rank > n ? n : rank) - 1 : 0];
}

void cw_first_exec_waits(const struct cw_first_exec *fe, struct cw_hold_waits *w)
{
	uint32_t v[CW_HOLD_WAITS];
	size_t n;

	memset(w, 0, sizeof(*w));
	if (!fe->c)
		return;
	pthread_mutex_lock((pthread_mutex_t *)&fe->lock); /* a reader's lock: not a change */
	n = fe->nwaits < CW_HOLD_WAITS ? (size_t)fe->nwaits : CW_HOLD_WAITS;
	memcpy(v, fe->waits_us, n * sizeof(*v));
	w->n = fe->nwaits;
	pthread_mutex_unlock((pthread_mutex_t *)&fe->lock);
	w->p50_ms = cw_hold_percentile(v, n, 0.50) / 1000.0;
	w->p99_ms = cw_hold_percentile(v, n, 0.99) / 1000.0;
	w->max_ms = n ? v[n - 1] / 1000.0 : 0;
}

void cw_first_exec_stats(const struct cw_first_exec *fe, struct cw_hold_stats *s)
{
	uint64_t k[CW_HOLD_SKIP_MAX];

	memset(s, 0, sizeof(*s));
	if (!fe->c)
		return;
	s->on = fe->on;
	cw_first_exec_skips(fe, k);
	s->held = k[CW_HOLD_HELD];
	s->traced = k[CW_HOLD_SKIP_TRACED];
	s->terminal_jobs = k[CW_HOLD_SKIP_JOB_CONTROL];
	s->full = k[CW_HOLD_SKIP_FULL];
	s->signal_failed = k[CW_HOLD_SKIP_SIGNAL];
	s->no_exe = k[CW_HOLD_SKIP_NO_EXE];
	s->continued = __atomic_load_n(&fe->c->released, __ATOMIC_RELAXED);
	s->deadline = __atomic_load_n(&fe->c->deadline, __ATOMIC_RELAXED);
	s->orphaned = __atomic_load_n(&fe->c->orphaned, __ATOMIC_RELAXED);
	s->left_stopped = __atomic_load_n(&fe->c->left_stopped, __ATOMIC_RELAXED);
	s->gone = __atomic_load_n(&fe->c->gone, __ATOMIC_RELAXED);
	s->paused = __atomic_load_n(&fe->c->paused, __ATOMIC_RELAXED);
	s->denied = __atomic_load_n(&fe->c->denied, __ATOMIC_RELAXED);
	cw_first_exec_waits(fe, &s->waits);
}
