// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* events/files: what the file handler decides without the kernel (mountinfo, image layers,
 * close-on-exec files forgotten at an exec). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events/files.h"
#include "exposure_fixture.h"
#include "test.h"
#include "testutil.h"

TEST(files_in_image)
{
	static const char container[] =
		"1020 900 0:120 / / rw,relatime master:500 - overlay overlay rw,lowerdir=/l\n"
		"1021 1020 0:121 / /proc rw,nosuid - proc proc rw\n"
		"1030 1020 0:130 / /var/run/secrets/kubernetes.io/serviceaccount ro,relatime - "
		"tmpfs tmpfs rw,size=1024k\n"
		"1031 1020 8:1 /var/lib/kubelet/pods/x/volumes/cfg /etc/app\\040config ro - ext4 "
		"/dev/sda1 rw\n";
	static const char host[] = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
				   "23 22 0:21 / /run rw - tmpfs tmpfs rw\n";

	CHECK(cw_path_in_image(container, "/app/.env"));
	CHECK(cw_path_in_image(container, "/root/.aws/credentials"));
	CHECK(!cw_path_in_image(container, "/var/run/secrets/kubernetes.io/serviceaccount/token"));
	CHECK(!cw_path_in_image(container, "/etc/app config/db.env"));
	CHECK(cw_path_in_image(container, "/etc/app configx/db.env"));
	CHECK(!cw_path_in_image(container, "/proc/1/environ"));
	CHECK(!cw_path_in_image(host, "/app/.env"));
	CHECK(!cw_path_in_image(host, "/run/secrets/x"));
	CHECK(!cw_path_in_image("", "/app/.env"));
}

TEST(files_mount_id_is_image_root)
{
	static const char mi[] =
		"1020 900 0:120 / / rw,relatime master:500 - overlay overlay rw,lowerdir=/l\n"
		"1030 1020 0:130 / /run rw,relatime - tmpfs tmpfs rw\n"
		"1031 1020 8:1 /x /srv/vol ro - ext4 /dev/sda1 rw\n";
	static const char host[] = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n";

	CHECK(cw_mount_is_image_root(mi, 1020));
	CHECK(!cw_mount_is_image_root(mi, 1030));
	CHECK(!cw_mount_is_image_root(mi, 1031));
	CHECK(!cw_mount_is_image_root(mi, 999));
	CHECK(!cw_mount_is_image_root(host, 22));
	CHECK(!cw_mount_is_image_root("", 1));
}

TEST(files_exec_forgets_close_on_exec_files)
{
	struct xfx x;
	struct cw_files fs;
	struct cw_event ev;
	char proc[300], fd3[340];

	REQUIRE(xfx_setup(&x, NULL));
	REQUIRE(cw_files_init(&fs, &x.x, -1) == 0);
	snprintf(proc, sizeof(proc), "%s/proc", x.dir);
	snprintf(fd3, sizeof(fd3), "%s/4242/fd", proc);
	{
		char d[340];

		snprintf(d, sizeof(d), "%s", proc);
		REQUIRE(mkdir(d, 0755) == 0);
		snprintf(d, sizeof(d), "%s/4242", proc);
		REQUIRE(mkdir(d, 0755) == 0);
		REQUIRE(mkdir(fd3, 0755) == 0);
	}
	strcat(fd3, "/3");
	REQUIRE(symlink("/srv/app/.env", fd3) == 0);
	fs.proc = proc;
	fs.capture_reads = true;
	memset(&ev, 0, sizeof(ev));
	ev.type = CW_EV_FILE_OPEN;
	ev.file_open.hdr.type = CW_EV_FILE_OPEN;
	ev.file_open.pid = 4242;
	ev.file_open.fd = 3;
	ev.file_open.file_id = 7;
	ev.file_open.dfd = -100;
	memcpy(ev.file_open.path, "/srv/app/.env", 13);
	ev.file_open.path_len = 13;
	CHECK_EQ_INT(cw_files_open(&fs, &ev), 0);
	CHECK_EQ_INT((int)fs.n, 1);
	/* still open after the exec: kept */
	CHECK_EQ_INT(cw_files_exec(&fs, 4242), 0);
	CHECK_EQ_INT((int)fs.n, 1);
	/* another pid's exec: nothing */
	CHECK_EQ_INT(cw_files_exec(&fs, 4243), 0);
	CHECK_EQ_INT((int)fs.n, 1);
	/* closed by the exec, the number reused by a pipe: forgotten */
	unlink(fd3);
	REQUIRE(symlink("pipe:[1234]", fd3) == 0);
	CHECK_EQ_INT(cw_files_exec(&fs, 4242), 0);
	CHECK_EQ_INT((int)fs.n, 0);
	cw_files_free(&fs);
	xfx_teardown(&x);
}

TEST(files_overlay_lower_layers)
{
	char dir[256], p[400], mi[2048];

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(p, sizeof(p), "%s/l1", dir);
	REQUIRE(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/l1/app", dir);
	REQUIRE(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/l1/app/.env", dir);
	REQUIRE(tu_write_file(p, "x", 1, 0600) == 0);
	snprintf(p, sizeof(p), "%s/l2", dir);
	REQUIRE(mkdir(p, 0755) == 0);
	snprintf(mi, sizeof(mi),
		 "7 1 0:1 / /proc rw - proc proc rw\n"
		 "1020 900 0:120 / / rw - overlay overlay rw,lowerdir=%s/l2:%s/l1,upperdir=%s/u,"
		 "workdir=%s/w\n"
		 "1021 900 0:121 / / rw - overlay overlay rw,lowerdir=%s/gone:%s/l1,upperdir=x\n"
		 "1022 900 0:122 / / rw - tmpfs tmpfs rw\n",
		 dir, dir, dir, dir, dir, dir);
	CHECK_EQ_INT(cw_overlay_lower_has(mi, 1020, "/app/.env"), 1);
	CHECK_EQ_INT(cw_overlay_lower_has(mi, 1020, "/cache/.env"), 0);
	/* a layer not visible from here: cannot tell, unless another has it */
	CHECK_EQ_INT(cw_overlay_lower_has(mi, 1021, "/cache/.env"), -1);
	CHECK_EQ_INT(cw_overlay_lower_has(mi, 1021, "/app/.env"), 1);
	CHECK_EQ_INT(cw_overlay_lower_has(mi, 1022, "/app/.env"), -1);
	CHECK_EQ_INT(cw_overlay_lower_has(mi, 999, "/app/.env"), -1);
	tu_rmtree(dir);
}
