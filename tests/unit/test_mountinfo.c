// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* host/mountinfo: reading a mount table. (Image detection is tested in test_exposure.c.) */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/mountinfo.h"
#include "test.h"
#include "testutil.h"

TEST(mountinfo_unescape_octal)
{
	char a[] = "/mnt/my\\040dir\\011tab\\012nl\\134bs";
	char b[] = "/plain";
	char c[] = "\\04";   /* cut short: left as it is */
	char d[] = "\\400x"; /* not a byte: left as it is */

	cw_mountinfo_unescape(a);
	CHECK_EQ_STR(a, "/mnt/my dir\ttab\nnl\\bs");
	cw_mountinfo_unescape(b);
	CHECK_EQ_STR(b, "/plain");
	cw_mountinfo_unescape(c);
	CHECK_EQ_STR(c, "\\04");
	cw_mountinfo_unescape(d);
	CHECK_EQ_STR(d, "\\400x");
}

TEST(mountinfo_read_and_escaped_mount_points)
{
	char dir[256], p[400], *mi;
	static const char table[] = "22 1 0:21 / / rw - overlay overlay rw\n"
				    "30 22 0:30 / /srv/my\\040data rw - tmpfs tmpfs rw\n";

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(p, sizeof(p), "%s/77", dir);
	REQUIRE(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/77/mountinfo", dir);
	REQUIRE(tu_write_file(p, table, sizeof(table) - 1, 0644) == 0);
	mi = cw_mountinfo_read(dir, 77);
	REQUIRE(mi);
	CHECK_EQ_STR(mi, table);
	/* the space in the mount point is unescaped before it is compared */
	CHECK(!cw_path_in_image(mi, "/srv/my data/x"));
	CHECK(cw_path_in_image(mi, "/srv/my/x"));
	free(mi);
	CHECK(cw_mountinfo_read(dir, 78) == NULL);
	tu_rmtree(dir);
}

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
