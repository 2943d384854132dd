// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* util/fileperm: what a root process trusts. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fileperm.h"
#include "test.h"

static void make(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0);
	close(fd);
	CHECK(!chmod(path, mode));
}

TEST(fileperm_refuses_what_others_can_write)
{
	char dir[] = "/tmp/cw-fileperm-XXXXXX", f[128], err[512];
	uid_t me = getuid();

	CHECK(mkdtemp(dir));
	snprintf(f, sizeof(f), "%s/policy.yaml", dir);
	make(f, 0644);
	CHECK_EQ_INT(cw_fileperm_check(f, "policy file", me, 0, err, sizeof(err)), 0);
	make(f, 0600);
	CHECK_EQ_INT(cw_fileperm_check(f, "policy file", me, 0, err, sizeof(err)), 0);
	make(f, 0664);
	CHECK_EQ_INT(cw_fileperm_check(f, "policy file", me, 0, err, sizeof(err)), -EPERM);
	CHECK(strstr(err, "policy file ") && strstr(err, f) &&
	      strstr(err, "group-writable (mode 0664)"));
	make(f, 0646);
	CHECK_EQ_INT(cw_fileperm_check(f, "config file", me, 0, err, sizeof(err)), -EPERM);
	CHECK(strstr(err, "config file ") && strstr(err, "world-writable (mode 0646)"));
	/* another owner than the one expected */
	make(f, 0600);
	CHECK_EQ_INT(cw_fileperm_check(f, "key", me + 1, 0, err, sizeof(err)), -EPERM);
	CHECK(strstr(err, "owned by uid") && strstr(err, "key "));
	/* not there yet: the agent makes it */
	snprintf(f, sizeof(f), "%s/none", dir);
	CHECK_EQ_INT(cw_fileperm_check(f, "provenance store", me, 0, err, sizeof(err)), 0);
	CHECK_EQ_INT(cw_fileperm_check(NULL, "provenance store", me, 0, err, sizeof(err)), 0);
	/* a directory, and with its entries: a file in it others can write */
	CHECK_EQ_INT(cw_fileperm_check(dir, "rules directory", me, 1, err, sizeof(err)), 0);
	snprintf(f, sizeof(f), "%s/policy.yaml", dir);
	make(f, 0666);
	CHECK_EQ_INT(cw_fileperm_check(dir, "rules directory", me, 0, err, sizeof(err)), 0);
	CHECK_EQ_INT(cw_fileperm_check(dir, "rules directory", me, 1, err, sizeof(err)), -EPERM);
	CHECK(strstr(err, f) && strstr(err, "world-writable"));
	CHECK(!chmod(dir, 0777));
	CHECK_EQ_INT(cw_fileperm_check(dir, "spool directory", me, 0, err, sizeof(err)), -EPERM);
	CHECK(strstr(err, "spool directory ") && strstr(err, "world-writable (mode 0777)"));
	unlink(f);
	rmdir(dir);
}
