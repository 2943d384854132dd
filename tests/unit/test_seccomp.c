// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * agent/seccomp: the list itself, and the filter installed in a forked child (no root needed:
 * no_new_privs is set first), where what the agent never does is refused and what it does
 * still works, threads included (clone3 answers ENOSYS, libc falls back to clone).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <seccomp.h>

#include "agent/seccomp.h"
#include "test.h"

TEST(seccomp_modes_parse)
{
	enum cw_seccomp_mode m = CW_SECCOMP_OFF;

	CHECK_EQ_INT(cw_seccomp_mode_parse("enforce", &m), 0);
	CHECK_EQ_INT(m, CW_SECCOMP_ENFORCE);
	CHECK_EQ_INT(cw_seccomp_mode_parse("log", &m), 0);
	CHECK_EQ_INT(m, CW_SECCOMP_LOG);
	CHECK_EQ_INT(cw_seccomp_mode_parse("off", &m), 0);
	CHECK_EQ_INT(m, CW_SECCOMP_OFF);
	CHECK_EQ_INT(cw_seccomp_mode_parse("Enforce", &m), -EINVAL);
	CHECK_EQ_INT(cw_seccomp_mode_parse("", &m), -EINVAL);
	CHECK_EQ_INT(cw_seccomp_mode_parse(NULL, &m), -EINVAL);
	CHECK_EQ_STR(cw_seccomp_mode_name(CW_SECCOMP_LOG), "log");
}

TEST(seccomp_list_has_no_escape_hatch)
{
	/* what would turn a compromised agent into more than it is */
	static const char *const never[] = {
		"execve",
		"execveat",
		"fork",
		"vfork",
		"clone3",
		"ptrace",
		"process_vm_readv",
		"process_vm_writev",
		"mount",
		"umount2",
		"pivot_root",
		"chroot",
		"setns",
		"unshare",
		"init_module",
		"finit_module",
		"delete_module",
		"kexec_load",
		"kexec_file_load",
		"reboot",
		"open_by_handle_at",
		"name_to_handle_at",
		"keyctl",
		"add_key",
		"setuid",
		"setresuid",
		"setgid",
		"capset",
		"seccomp",
		"io_uring_setup",
		"userfaultfd",
		"iopl",
		"ioperm",
		"settimeofday",
		"clock_settime",
		"swapon",
		"mknod",
		"mknodat",
		"chown",
		"fchown",
		"symlink",
		"memfd_create",
		"personality",
	};
	size_t n;
	const char *const *l = cw_seccomp_allowed(&n);

	REQUIRE(n > 50);
	for (size_t i = 0; i < n; i++) {
		/* each one a real system call here (x86-64: none is skipped), listed once */
		CHECK(seccomp_syscall_resolve_name(l[i]) != __NR_SCMP_ERROR);
		for (size_t j = i + 1; j < n; j++)
			CHECK(strcmp(l[i], l[j]));
		for (size_t k = 0; k < sizeof(never) / sizeof(*never); k++)
			if (!strcmp(l[i], never[k]))
				cw_test_fail(__FILE__, __LINE__, "%s is allowed", l[i]);
	}
}

static void *thread_fn(void *arg)
{
	*(int *)arg = 42;
	return NULL;
}

/* In the child, after the filter: what each probe got, as bits (0: all as expected). */
static int probe_enforced(void)
{
	char *const argv[] = { "/bin/true", NULL };
	char buf[4096];
	int bad = 0, v = 0, fd;
	pthread_t t;
	ssize_t r;

	/* what the agent does still works: files, threads, signals to itself */
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	r = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (r <= 0)
		bad |= 1;
	else {
		buf[r] = '\0';
		if (!strstr(buf, "Seccomp:\t2"))
			bad |= 2;
	}
	if (fd >= 0)
		close(fd);
	if (pthread_create(&t, NULL, thread_fn, &v) || pthread_join(t, NULL) || v != 42)
		bad |= 4;
	/* what it never does is refused with EPERM */
	if (execve(argv[0], argv, NULL) != -1 || errno != EPERM)
		bad |= 8;
	if (unshare(CLONE_NEWUTS) != -1 || errno != EPERM)
		bad |= 16;
	if (syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0) != -1 || errno != EPERM)
		bad |= 32;
	if (mount("none", "/", "tmpfs", 0, NULL) != -1 || errno != EPERM)
		bad |= 64;
	if (ptrace(PTRACE_PEEKDATA, getppid(), 0, 0) != -1 || errno != EPERM)
		bad |= 128;
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		bad |= 256;
	return bad;
}

/* In the child, log mode: nothing refused (a fork that execs runs). */
static int probe_logged(void)
{
	int st = 0;
	pid_t p = fork();

	if (p == 0) {
		char *const argv[] = { "/bin/true", NULL };

		execve(argv[0], argv, NULL);
		_exit(99);
	}
	if (p < 0 || waitpid(p, &st, 0) != p)
		return 1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 2;
}

static int in_child(enum cw_seccomp_mode mode)
{
	int st = 0;
	pid_t p = fork();

	if (p == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || cw_seccomp_install(mode))
			_exit(200);
		_exit(mode == CW_SECCOMP_ENFORCE ? probe_enforced() : probe_logged());
	}
	if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

TEST(seccomp_enforced_refuses_and_allows)
{
	CHECK_EQ_INT(in_child(CW_SECCOMP_ENFORCE), 0);
}

TEST(seccomp_log_mode_refuses_nothing)
{
	CHECK_EQ_INT(in_child(CW_SECCOMP_LOG), 0);
}

TEST(seccomp_off_installs_nothing)
{
	/* no filter: its fork can still exec */
	CHECK_EQ_INT(in_child(CW_SECCOMP_OFF), 0);
}
