// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The seccomp allow-list (seccomp.h), built with libseccomp. The list is what the agent's
 * steady state was measured to call: the whole e2e suite run with `--seccomp log`, where a
 * call outside the list is allowed and logged by the kernel (docs/capabilities.md says how
 * to repeat it). Names this architecture does not have (open on arm64) are skipped.
 */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <seccomp.h>

#include "agent/seccomp.h"
#include "util/log.h"

/* Namespaces: a clone making any of them is refused (the agent never makes one). */
#define NS_FLAGS                                                                                   \
	((scmp_datum_t)(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
			CLONE_NEWNET | CLONE_NEWCGROUP))

/* In groups, as docs/capabilities.md explains them. clone is below (its flags looked at). */
static const char *const allowed[] = {
	/* memory: malloc, the matcher's scratch and databases, libbpf's ring-buffer mapping */
	"brk",
	"mmap",
	"munmap",
	"mremap",
	"mprotect",
	"madvise",
	/* threads: the outputs', the metrics server's, the hold and flight threads, libcurl's
	 * resolver; their locks and their end */
	"futex",
	"set_robust_list",
	"get_robust_list",
	"rseq",
	"set_tid_address",
	"exit",
	"exit_group",
	"gettid",
	"getpid",
	"getppid",
	"sched_yield",
	"sched_getaffinity",
	"getpriority",
	"setpriority",
	"wait4",
	"waitid",
	/* signals: stop/reload handlers, the capability drop's per-thread signal, SIGCONT to a
	 * held process (pidfd), abort() */
	"rt_sigaction",
	"rt_sigprocmask",
	"rt_sigreturn",
	"sigaltstack",
	"restart_syscall",
	"tgkill",
	"kill",
	"pidfd_open",
	"pidfd_send_signal",
	"pidfd_getfd",
	/* time */
	"clock_gettime",
	"clock_getres",
	"gettimeofday",
	"time",
	"nanosleep",
	"clock_nanosleep",
	"timer_delete",
	/* files: /proc, watched files, ELF images, rules/policy/config on SIGHUP, the
	 * provenance store, spools, traces, the status file (written beside, then renamed) */
	"open",
	"openat",
	"openat2",
	"read",
	"pread64",
	"readv",
	"write",
	"pwrite64",
	"writev",
	"close",
	"close_range",
	"lseek",
	"fstat",
	"stat",
	"lstat",
	"newfstatat",
	"statx",
	"statfs",
	"fstatfs",
	"readlink",
	"readlinkat",
	"getdents64",
	"fcntl",
	"flock",
	"fsync",
	"fdatasync",
	"ftruncate",
	"fallocate",
	"rename",
	"renameat",
	"renameat2",
	"unlink",
	"unlinkat",
	"mkdir",
	"mkdirat",
	"link",
	"linkat",
	"fchmod",
	"access",
	"faccessat",
	"faccessat2",
	"dup",
	"dup2",
	"dup3",
	"pipe2",
	"getcwd",
	"umask",
	"ioctl",
	/* BPF: map updates (policy reload, held executables), TLS probes attached to libraries
	 * and executables seen later (uprobe perf events; libbpf reads the kernel release) */
	"bpf",
	"perf_event_open",
	"uname",
	/* network: outputs (HTTP/TLS, syslog, Splunk HEC), the metrics server, Kubernetes
	 * metadata, name resolution */
	"socket",
	"socketpair",
	"connect",
	"bind",
	"listen",
	"accept",
	"accept4",
	"sendto",
	"recvfrom",
	"sendmsg",
	"recvmsg",
	"sendmmsg",
	"recvmmsg",
	"setsockopt",
	"getsockopt",
	"getsockname",
	"getpeername",
	"shutdown",
	"poll",
	"ppoll",
	"select",
	"pselect6",
	"epoll_create1",
	"epoll_ctl",
	"epoll_wait",
	"epoll_pwait",
	"eventfd2",
	/* who it is, what it used: metrics, the capability checks, random numbers */
	"getuid",
	"geteuid",
	"getgid",
	"getegid",
	"getresuid",
	"getresgid",
	"getgroups",
	"getrusage",
	"times",
	"sysinfo",
	"prctl",
	"capget",
	"getrandom",
	"getrlimit",
	"prlimit64",
};

const char *const *cw_seccomp_allowed(size_t *n)
{
	*n = sizeof(allowed) / sizeof(*allowed);
	return allowed;
}

int cw_seccomp_mode_parse(const char *s, enum cw_seccomp_mode *out)
{
	static const char *const names[] = { "enforce", "log", "off" };

	for (int i = 0; i < 3; i++)
		if (s && !strcmp(s, names[i])) {
			*out = (enum cw_seccomp_mode)i;
			return 0;
		}
	return -EINVAL;
}

const char *cw_seccomp_mode_name(enum cw_seccomp_mode m)
{
	switch (m) {
	case CW_SECCOMP_ENFORCE: return "enforce";
	case CW_SECCOMP_LOG: return "log";
	case CW_SECCOMP_OFF: return "off";
	}
	return "?";
}

/* What a call outside the list gets in mode (not OFF). */
static uint32_t deny_action(enum cw_seccomp_mode mode)
{
	return mode == CW_SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_ERRNO(EPERM);
}

/* Allow each of names[0..n) that is a system call on this architecture (others are skipped);
 * how many were added in *added. 0 or libseccomp's -errno. */
static int allow_names(scmp_filter_ctx ctx, const char *const *names, size_t n, size_t *added)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]), r;

		if (nr == __NR_SCMP_ERROR)
			continue; /* not a system call on this architecture */
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)))
			return r;
		++*added;
	}
	return 0;
}

/* The filter for mode; NULL with *what naming the step that failed. */
static scmp_filter_ctx build(enum cw_seccomp_mode mode, const char **what, int *err,
			     size_t *nallowed)
{
	scmp_filter_ctx ctx = seccomp_init(deny_action(mode));
	int r = 0;

	*what = "seccomp_init";
	if (!ctx) {
		*err = -ENOMEM;
		return NULL;
	}
	/* every thread now, and what is refused in the kernel's log (Linux 4.14) */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1))) {
		*what = "thread synchronisation";
		goto fail;
	}
	if (mode == CW_SECCOMP_ENFORCE && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1))
		cw_log("seccomp: this kernel does not log refused system calls");
	*what = "allow rules";
	if ((r = allow_names(ctx, allowed, sizeof(allowed) / sizeof(*allowed), nallowed)))
		goto fail;
	/* clone3 here; the unlogged filter below makes it ENOSYS. clone: no namespaces */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone3), 0)) ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				  SCMP_A0(SCMP_CMP_MASKED_EQ, NS_FLAGS, 0))))
		goto fail;
	++*nallowed;
	return ctx;
fail:
	seccomp_release(ctx);
	*err = r < 0 ? r : -EINVAL;
	return NULL;
}

/*
 * clone3's flags are in memory a filter cannot read: it answers ENOSYS, and libc's
 * pthread_create falls back to clone, whose flags the allow-list sees. In a filter of its own
 * without the log flag: every new thread (libcurl's resolver makes one per lookup) would
 * otherwise put a line in the kernel's log. The kernel takes the strictest answer of all
 * filters, and logs it only when the filter that gave it asks to.
 */
static int load_clone3_enosys(const char **what)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	*what = "the clone3 filter";
	if (!ctx)
		return -ENOMEM;
	if (!(r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) &&
	    !(r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)))
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

int cw_seccomp_install(enum cw_seccomp_mode mode)
{
	const char *what = NULL;
	scmp_filter_ctx ctx;
	size_t n = 0;
	int err = 0;

	if (mode == CW_SECCOMP_OFF) {
		cw_log("seccomp: off (--no-seccomp): no system-call filter");
		return 0;
	}
	if (!(ctx = build(mode, &what, &err, &n))) {
		cw_log("seccomp: no filter installed (%s: %s): the agent goes on without one", what,
		       strerror(-err));
		return err;
	}
	if (!(err = load_clone3_enosys(&what))) {
		what = "the allow-list";
		err = seccomp_load(ctx);
	}
	seccomp_release(ctx);
	if (err) {
		/* TSYNC names a thread it could not bring along with a positive thread id */
		cw_log("seccomp: %s not installed (%s): the agent goes on without it", what,
		       err > 0 ? "a thread could not take the filter" : strerror(-err));
		return err > 0 ? -EPERM : err;
	}
	cw_log("seccomp: allow-list installed in every thread (%zu system calls; %s)", n,
	       mode == CW_SECCOMP_LOG ? "others allowed and logged: --seccomp log"
				      : "others refused with EPERM and logged by the kernel");
	return 0;
}

/* What the hold watchdog calls after it is set up (agent/first_exec.c, watchdog_main). */
static const char *const watchdog_allowed[] = {
	"poll",
	"ppoll",
	"bpf",
	"pidfd_open",
	"pidfd_send_signal",
	"close",
	"write",
	"clock_gettime",
	"clock_nanosleep",
	"nanosleep",
	"getppid",
	"rt_sigreturn",
	"restart_syscall",
	"exit",
	"exit_group",
};

int cw_seccomp_prepare_watchdog(enum cw_seccomp_mode mode, struct cw_seccomp_prog *p)
{
	scmp_filter_ctx ctx;
	int fd = -1, r;
	size_t added = 0;
	ssize_t n;

	memset(p, 0, sizeof(*p));
	if (mode == CW_SECCOMP_OFF)
		return 0;
	if (!(ctx = seccomp_init(deny_action(mode))))
		return -ENOMEM;
	/* the child sets no_new_privs itself; libseccomp exports, the child loads */
	r = allow_names(ctx, watchdog_allowed, sizeof(watchdog_allowed) / sizeof(*watchdog_allowed),
			&added);
	if (!r && (fd = (int)syscall(SYS_memfd_create, "cw-seccomp", MFD_CLOEXEC)) < 0)
		r = -errno;
	if (!r)
		r = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	if (!r) {
		n = pread(fd, p->insns, sizeof(p->insns), 0);
		if (n <= 0 || n % (ssize_t)sizeof(struct sock_filter) ||
		    n == (ssize_t)sizeof(p->insns))
			r = n < 0 ? -errno : -E2BIG;
		else
			p->len = (unsigned short)(n / (ssize_t)sizeof(struct sock_filter));
	}
	if (fd >= 0)
		close(fd);
	if (r) {
		p->len = 0;
		cw_log("seccomp: no filter for the hold watchdog: %s", strerror(-r));
		return r;
	}
	p->flags = mode == CW_SECCOMP_ENFORCE ? SECCOMP_FILTER_FLAG_LOG : 0;
	return 0;
}

int cw_seccomp_apply_prepared(const struct cw_seccomp_prog *p)
{
	struct sock_fprog prog = { .len = p->len, .filter = (struct sock_filter *)p->insns };

	if (!p->len)
		return 0;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &prog);
}
