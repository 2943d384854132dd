// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Finding TLS entry points in ELF files. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

/* The bytes this process has read so far (rchar in /proc/self/io). */
static unsigned long long bytes_read(void)
{
	unsigned long long n = 0;
	char line[128];
	FILE *f = fopen("/proc/self/io", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "rchar: %llu", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

/*
 * A copy of libssl whose section `type`'s link (its string table; 0: the section itself) says
 * it is 4 GiB long, the file made that long (sparse): libelf would read the whole section into
 * memory. It is not read; the table is skipped.
 */
static void check_huge_section(const char *dir, const void *lib, size_t n, unsigned type,
			       bool linked)
{
	const unsigned char *b = lib;
	uint64_t shoff, size = 4ull << 30, off;
	uint16_t shnum;
	unsigned long long before;
	char path[300];
	int fd;

	memcpy(&shoff, b + 0x28, 8);
	memcpy(&shnum, b + 0x3c, 2);
	REQUIRE(shoff + 64ull * shnum <= n);
	for (uint16_t i = 0; i < shnum; i++) {
		const unsigned char *sh = b + shoff + 64ull * i;
		uint32_t t, link;

		memcpy(&t, sh + 4, 4);
		memcpy(&link, sh + 40, 4);
		if (t != type)
			continue;
		if (linked)
			sh = b + shoff + 64ull * link;
		memcpy(&off, sh + 24, 8);
		snprintf(path, sizeof(path), "%s/libssl-%u-%d.so", dir, type, linked);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		REQUIRE(fd >= 0);
		REQUIRE(write(fd, lib, n) == (ssize_t)n);
		REQUIRE(pwrite(fd, &size, 8, (off_t)(sh - b) + 32) == 8);
		REQUIRE(ftruncate(fd, (off_t)(off + size)) == 0);
		close(fd);
		before = bytes_read();
		CHECK_EQ_INT(cw_tls_symbols(path) & (1u << CW_SRC_OPENSSL), 0);
		CHECK(bytes_read() - before < (64ull << 20));
		unlink(path);
		return;
	}
	REQUIRE(!"no such section in libssl");
}

TEST(tls_symbols_lying_section_sizes_are_not_read)
{
	static unsigned char lib[16 << 20];
	char dir[256];
	ssize_t n;
	glob_t g;

	REQUIRE(glob("/usr/lib/*-linux-gnu/libssl.so.3", 0, NULL, &g) == 0);
	n = tu_read_file(g.gl_pathv[0], lib, sizeof(lib));
	globfree(&g);
	REQUIRE(n > 64 && (size_t)n < sizeof(lib));
	REQUIRE(tu_mkdtemp(dir, sizeof(dir)) == 0);
	check_huge_section(dir, lib, (size_t)n, 11 /* SHT_DYNSYM */, false);
	check_huge_section(dir, lib, (size_t)n, 11, true); /* its .dynstr */
	rmdir(dir);
}
