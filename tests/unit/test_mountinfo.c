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
