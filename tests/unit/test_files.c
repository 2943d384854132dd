// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* events/files: what the file handler decides without the kernel (close-on-exec files
 * forgotten at an exec). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events/files.h"
#include "exposure_fixture.h"
#include "test.h"
#include "testutil.h"

TEST(files_exec_forgets_close_on_exec_files)
{
	struct xfx x;
	struct cw_files fs;
	struct cw_event ev;
	char proc[300], fd3[340];

	REQUIRE(xfx_setup(&x, NULL));
	REQUIRE(cw_files_init(&fs, &x.deps, -1) == 0);
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
