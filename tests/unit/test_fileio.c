// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* util/fileio: whole-file reads (to the end, bounded), mkdir -p. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/fileio.h"
#include "test.h"
#include "testutil.h"

TEST(fileio_read_file_whole_and_bounded)
{
	char dir[256], path[300], *big, *buf = NULL;
	size_t len = 0, n = 300000;

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/f", dir);
	big = malloc(n);
	REQUIRE(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	REQUIRE(tu_write_file(path, big, n, 0600) == 0);

	CHECK_EQ_INT(cw_read_file(path, n, &buf, &len), 0);
	CHECK_EQ_INT(len, n);
	CHECK(buf && !memcmp(buf, big, n) && buf[n] == '\0');
	free(buf);
	buf = NULL;
	CHECK_EQ_INT(cw_read_file(path, n - 1, &buf, &len), -EFBIG);
	CHECK(buf == NULL);
	CHECK_EQ_INT(cw_read_file(path, (size_t)-1, &buf, &len), 0);
	CHECK_EQ_INT(len, n);
	free(buf);

	REQUIRE(tu_write_file(path, "", 0, 0600) == 0);
	CHECK_EQ_INT(cw_read_file(path, 10, &buf, &len), 0);
	CHECK_EQ_INT(len, 0);
	CHECK_EQ_STR(buf, "");
	free(buf);
	CHECK_EQ_INT(cw_read_file(path, 0, &buf, &len), 0);
	free(buf);
	REQUIRE(tu_write_file(path, "x", 1, 0600) == 0);
	CHECK_EQ_INT(cw_read_file(path, 0, &buf, &len), -EFBIG);

	snprintf(path, sizeof(path), "%s/missing", dir);
	CHECK_EQ_INT(cw_read_file(path, 10, &buf, &len), -ENOENT);
	tu_rmtree(dir);
	free(big);
}

/* A file that is not what stat says (procfs: size 0) is read to its end. */
TEST(fileio_read_file_reads_past_the_stat_size)
{
	char *buf = NULL;
	size_t len = 0;

	REQUIRE(cw_read_file("/proc/self/status", 1 << 20, &buf, &len) == 0);
	CHECK(len > 0);
	CHECK(strstr(buf, "Pid:") != NULL);
	free(buf);
}

TEST(fileio_mkdir_p_makes_each_level)
{
	char dir[256], path[400];
	struct stat st;

	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	CHECK_EQ_INT(cw_mkdir_p(path, 0700), 0);
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700);
	CHECK_EQ_INT(cw_mkdir_p(path, 0700), 0); /* already there */
	tu_rmtree(dir);
}
