// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* host/hostroot: host paths routed under --host-root; the pid namespace check. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/hostroot.h"
#include "host/procfile.h"
#include "test.h"
#include "testutil.h"

/* A fixture host root: DIR/proc/1/mounts, DIR/etc/app.env. */
static int make_host(char *dir, size_t len, const char *mounts)
{
	char p[512];

	if (tu_mkdtemp(dir, len))
		return -1;
	snprintf(p, sizeof(p), "%s/proc", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/proc/1", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/proc/1/mounts", dir);
	if (tu_write_file(p, mounts, strlen(mounts), 0644))
		return -1;
	snprintf(p, sizeof(p), "%s/etc", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/etc/app.env", dir);
	return tu_write_file(p, "host file", 9, 0600);
}

TEST(hostroot_unset_paths_are_what_they_say)
{
	char buf[64], err[256];

	REQUIRE(cw_host_root_set(NULL, err, sizeof(err)) == 0);
	CHECK(!cw_host_root_is_set());
	CHECK_EQ_STR(cw_host_proc(), "/proc");
	CHECK_EQ_STR(cw_host_path(buf, sizeof(buf), "/var/log/pods"), "/var/log/pods");
	REQUIRE(cw_host_root_set("/", err, sizeof(err)) == 0);
	CHECK(!cw_host_root_is_set());
	CHECK_EQ_STR(cw_host_path(buf, sizeof(buf), "/proc/12/exe"), "/proc/12/exe");
	REQUIRE(cw_host_root_set("", err, sizeof(err)) == 0);
	CHECK_EQ_STR(cw_host_root(), "");
}

TEST(hostroot_set_routes_every_host_path_under_it)
{
	char dir[256], slash[300], buf[600], small[16], err[256];

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(slash, sizeof(slash), "%s//./", dir); /* cleaned: no trailing '/' */
	REQUIRE(cw_host_root_set(slash, err, sizeof(err)) == 0);
	CHECK(cw_host_root_is_set());
	CHECK_EQ_STR(cw_host_root(), dir);
	snprintf(slash, sizeof(slash), "%s/proc", dir);
	CHECK_EQ_STR(cw_host_proc(), slash);
	snprintf(slash, sizeof(slash), "%s/proc/123/root/etc/x", dir);
	CHECK_EQ_STR(cw_host_path(buf, sizeof(buf), "/proc/123/root/etc/x"), slash);
	snprintf(slash, sizeof(slash), "%s/var/lib/kubelet/config.yaml", dir);
	CHECK_EQ_STR(cw_host_path(buf, sizeof(buf), "/var/lib/kubelet/config.yaml"), slash);
	/* a path that does not fit is none, never a cut one */
	CHECK(cw_host_path(small, sizeof(small), "/var/log/containers") == NULL);
	CHECK_EQ_STR(small, "");
	REQUIRE(cw_host_root_set(NULL, err, sizeof(err)) == 0);
	tu_rmtree(dir);
}

TEST(hostroot_refuses_what_is_not_a_directory)
{
	char dir[256], file[300], err[1024] = "", longp[CW_HOST_ROOT_MAX + 16];

	CHECK(cw_host_root_set("host", err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "not an absolute path");
	CHECK(cw_host_root_set("/nonexistent/cw-host", err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "--host-root /nonexistent/cw-host: No such file or directory");
	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(file, sizeof(file), "%s/f", dir);
	REQUIRE(tu_write_file(file, "x", 1, 0644) == 0);
	CHECK(cw_host_root_set(file, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "Not a directory");
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	CHECK(cw_host_root_set(longp, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "longer than");
	/* a refused root leaves none set */
	CHECK(!cw_host_root_is_set());
	CHECK_EQ_STR(cw_host_proc(), "/proc");
	tu_rmtree(dir);
}

TEST(hostroot_cgroup2_from_the_hosts_init_mount_table)
{
	char dir[256], want[400], err[256], *cg = NULL;

	REQUIRE(make_host(dir, sizeof(dir),
			  "sysfs /sys sysfs rw 0 0\n"
			  "tmpfs /sys/fs/cgroup tmpfs ro 0 0\n"
			  "cgroup2 /sys/fs/cgroup/unified\\040v2 cgroup2 rw 0 0\n") == 0);
	REQUIRE(cw_host_root_set(dir, err, sizeof(err)) == 0);
	REQUIRE(cw_host_cgroup2_root(&cg) == 0);
	snprintf(want, sizeof(want), "%s/sys/fs/cgroup/unified v2", dir);
	CHECK_EQ_STR(cg, want);
	free(cg);
	REQUIRE(cw_host_root_set(NULL, err, sizeof(err)) == 0);
	tu_rmtree(dir);

	REQUIRE(make_host(dir, sizeof(dir), "proc /proc proc rw 0 0\n") == 0);
	REQUIRE(cw_host_root_set(dir, err, sizeof(err)) == 0);
	CHECK_EQ_INT(cw_host_cgroup2_root(&cg), -ENOENT);
	CHECK(cg == NULL);
	REQUIRE(cw_host_root_set(NULL, err, sizeof(err)) == 0);
	tu_rmtree(dir);
}

/* A host process's file (not in a container, its opener gone): under the host root, not
 * through the agent's own root. */
TEST(hostroot_host_process_file_under_the_host_root)
{
	char dir[256], proc[300], err[256], buf[32];
	struct cw_proc_file pf = { .pid = 0x3ffffff0, .fd = 3, .uid = 0, .path = "/etc/app.env" };
	uint32_t ns = 0;
	ssize_t n;
	int fd;

	REQUIRE(make_host(dir, sizeof(dir), "") == 0);
	snprintf(proc, sizeof(proc), "%s/proc", dir);
	pf.proc = proc;
	pf.uid = getuid();
	/* without a host root, the agent's own root: the fixture's file is not at /etc */
	fd = cw_proc_file_open(&pf, &ns);
	CHECK(fd < 0 || ns == (uint32_t)getpid());
	if (fd >= 0)
		close(fd);
	REQUIRE(cw_host_root_set(dir, err, sizeof(err)) == 0);
	fd = cw_proc_file_open(&pf, &ns);
	REQUIRE(fd >= 0);
	CHECK_EQ_INT(ns, 1);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_EQ_STR(buf, "host file");
	close(fd);
	REQUIRE(cw_host_root_set(NULL, err, sizeof(err)) == 0);
	tu_rmtree(dir);
}

TEST(hostroot_pid_namespace_must_be_the_hosts)
{
	CHECK(cw_host_pidns_same(CW_INIT_PID_NS_INO, 0));
	CHECK(cw_host_pidns_same(CW_INIT_PID_NS_INO, CW_INIT_PID_NS_INO));
	/* a container's own pid namespace (no hostPID) */
	CHECK(!cw_host_pidns_same(4026532710ULL, 0));
	CHECK(!cw_host_pidns_same(4026532710ULL, CW_INIT_PID_NS_INO));
	/* a host root whose /proc is another pid namespace's */
	CHECK(!cw_host_pidns_same(CW_INIT_PID_NS_INO, 4026532710ULL));
}
