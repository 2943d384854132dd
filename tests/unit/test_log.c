// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* util/log: one line per message, whatever the names in it hold. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "test.h"

/* What cw_log writes for this path, read back from a file standing in for stderr. */
static void logged(const char *path, char *out, size_t cap)
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	REQUIRE(f && saved >= 0);
	fflush(stderr);
	REQUIRE(dup2(fileno(f), STDERR_FILENO) == STDERR_FILENO);
	cw_log("TLS probes attached to %s (%d)", path, 2);
	fflush(stderr);
	REQUIRE(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
	close(saved);
	rewind(f);
	n = fread(out, 1, cap - 1, f);
	out[n] = '\0';
	fclose(f);
}

TEST(log_line_escapes_control_bytes_in_names)
{
	char out[512];

	/* a library named to forge a second log line and repaint the terminal */
	logged("/tmp/libssl.so\ncredwatch: all clear\x1b[2J\x7f\t\xff", out, sizeof(out));
	CHECK_EQ_STR(out, "credwatch: TLS probes attached to /tmp/libssl.so\\x0acredwatch: all "
			  "clear\\x1b[2J\\x7f\\x09\xff (2)\n");
	logged("/usr/lib/libssl.so.3", out, sizeof(out));
	CHECK_EQ_STR(out, "credwatch: TLS probes attached to /usr/lib/libssl.so.3 (2)\n");
}
