// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* util/path: paths joined and cleaned lexically. */
#include "test.h"
#include "util/path.h"

TEST(files_path_join)
{
	char out[4096];

	cw_path_join("/srv/app", ".env", out, sizeof(out));
	CHECK_EQ_STR(out, "/srv/app/.env");
	cw_path_join("/srv/app", "./conf/../.env", out, sizeof(out));
	CHECK_EQ_STR(out, "/srv/app/.env");
	cw_path_join("/", "../../etc//passwd", out, sizeof(out));
	CHECK_EQ_STR(out, "/etc/passwd");
	cw_path_join("/x", "/abs/./y", out, sizeof(out));
	CHECK_EQ_STR(out, "/abs/y");
	cw_path_join("/a/b", "..", out, sizeof(out));
	CHECK_EQ_STR(out, "/a");
	cw_path_join("/a", "..", out, sizeof(out));
	CHECK_EQ_STR(out, "/");
}
