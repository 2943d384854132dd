// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Finding TLS entry points in ELF files. */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "credwatch.h"
#include "agent/tls_symbols.h"
#include "test.h"
#include "testutil.h"

TEST(tls_symbols_in_system_libraries)
{
	glob_t g;

	/* libssl is a build dependency of the agent itself: it is there. */
	REQUIRE(glob("/usr/lib/*-linux-gnu/libssl.so.3", 0, NULL, &g) == 0);
	CHECK(cw_tls_symbols(g.gl_pathv[0]) & (1u << CW_SRC_OPENSSL));
	globfree(&g);
	CHECK_EQ_INT(cw_tls_symbols("/bin/true"), 0);
	CHECK_EQ_INT(cw_tls_symbols("/nonexistent"), 0);
	CHECK_EQ_INT(cw_tls_symbols("/etc/passwd"), 0); /* not ELF */
	/* a Go binary given by the e2e suite, stripped or not */
	if (getenv("CW_TEST_GO_BINARY"))
		CHECK(cw_tls_symbols(getenv("CW_TEST_GO_BINARY")) & (1u << CW_SRC_GO));
}

/*
 * The system's SSL_write: its entry probe goes on an instruction within the function's first
 * bytes, and past the entry only where the first instruction is not already emulated.
 */
TEST(tls_probe_offsets_in_system_libssl)
{
	uint64_t entry = 0, probe = 0;
	glob_t g;

	REQUIRE(glob("/usr/lib/*-linux-gnu/libssl.so.3", 0, NULL, &g) == 0);
	REQUIRE(cw_tls_probe_offsets(g.gl_pathv[0], "SSL_write", &entry, &probe) == 0);
	CHECK(entry > 0);
	CHECK(probe >= entry && probe < entry + 128);
	/* Debian's and Ubuntu's builds start with `sub rsp` or endbr64: neither is emulated */
	CHECK(probe > entry);
	/* SSL_read has a return probe: its entry probe shares the entry's trap */
	if (cw_tls_probe_offsets(g.gl_pathv[0], "SSL_read", &entry, &probe) == 0)
		CHECK(probe == entry);
	CHECK(cw_tls_probe_offsets(g.gl_pathv[0], "no_such_function", &entry, &probe) == -ENOENT);
	globfree(&g);
}

/* The same library labelled as another machine: its probes stay at the entry. */
TEST(tls_probe_offsets_only_move_on_x86_64)
{
	uint64_t entry = 0, probe = 0;
	char dir[256], path[300];
	unsigned char buf[65536];
	glob_t g;
	FILE *in, *out;
	size_t n;

	REQUIRE(glob("/usr/lib/*-linux-gnu/libssl.so.3", 0, NULL, &g) == 0);
	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	snprintf(path, sizeof(path), "%s/libssl.so.3", dir);
	in = fopen(g.gl_pathv[0], "rb");
	out = fopen(path, "wb");
	globfree(&g);
	REQUIRE(in && out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		REQUIRE(fwrite(buf, 1, n, out) == n);
	fclose(in);
	/* e_machine, at offset 18: EM_AARCH64 (183) */
	REQUIRE(fseek(out, 18, SEEK_SET) == 0);
	REQUIRE(fputc(183, out) != EOF && fputc(0, out) != EOF);
	fclose(out);
	REQUIRE(cw_tls_probe_offsets(path, "SSL_write", &entry, &probe) == 0);
	CHECK(entry > 0);
	CHECK(probe == entry);
	unlink(path);
	rmdir(dir);
}
