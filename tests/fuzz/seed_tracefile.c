// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The seed corpus of fuzz_tracefile, made at build time rather than committed: small traces
 * written by the real writer (plain and encrypted, several chunks, empty records, one cut
 * off, one with no records) and the private key of the encrypted ones.
 * usage: seed_tracefile DIR KEYFILE (DIR exists; old seeds in it are replaced; KEYFILE and
 * KEYFILE.pub are made when missing)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/tracefile.h"

static const struct cw_trace_header HDR = { .host = "fuzz-host",
					    .kernel = "6.1.0",
					    .boot_id = "00000000-0000-0000-0000-000000000000",
					    .version = "seed",
					    .rules_digest = "sha256:0",
					    .start_ns = 1 };

/*
 * nrec records of compressible text, so that several 256 KiB chunks still make a seed of a
 * few KiB (libFuzzer works best on small inputs).
 */
static int seed(const char *dir, const char *name, const struct cw_trace_key *k, int nrec,
		size_t cut)
{
	char path[4096], line[600], err[256];
	struct cw_trace_writer *w;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	ret = cw_trace_writer_open(path, &HDR, k, &w, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "seed_tracefile: %s\n", err);
		return ret;
	}
	for (int i = 0; i < nrec && !ret; i++) {
		int n = snprintf(line, sizeof(line), "record %d: exec /usr/bin/curl -H x-%d", i,
				 i % 13);

		memset(line + n, 'a' + i % 26, sizeof(line) - (size_t)n);
		ret = cw_trace_write(w, (uint16_t)(i % 5), 1000 + (uint64_t)i * 7, line,
				     i % 17 ? sizeof(line) : 0);
	}
	if (!ret)
		ret = cw_trace_writer_close(w, err, sizeof(err));
	else
		cw_trace_writer_close(w, err, sizeof(err));
	if (!ret && cut && truncate(path, (off_t)cut))
		ret = -errno;
	if (ret)
		fprintf(stderr, "seed_tracefile: %s: %s\n", path, strerror(-ret));
	return ret;
}

int main(int argc, char **argv)
{
	char pub[4096], err[256];
	struct cw_trace_key *k = NULL;
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: seed_tracefile DIR KEYFILE\n");
		return 2;
	}
	snprintf(pub, sizeof(pub), "%s.pub", argv[2]);
	/* Keep the key of an earlier run: the corpus grown from its seeds stays readable. */
	if (access(argv[2], R_OK) || access(pub, R_OK)) {
		unlink(argv[2]);
		unlink(pub);
		if (cw_trace_keygen(argv[2], pub, err, sizeof(err))) {
			fprintf(stderr, "seed_tracefile: %s\n", err);
			return 1;
		}
	}
	if (cw_trace_key_load(pub, &k, err, sizeof(err))) {
		fprintf(stderr, "seed_tracefile: %s\n", err);
		return 1;
	}
	ret = seed(argv[1], "plain-3chunks", NULL, 1500, 0) ||
	      seed(argv[1], "plain-small", NULL, 20, 0) ||
	      seed(argv[1], "plain-empty", NULL, 0, 0) ||
	      seed(argv[1], "plain-cut", NULL, 1500, 2000) ||
	      seed(argv[1], "sealed-3chunks", k, 1500, 0) ||
	      seed(argv[1], "sealed-small", k, 20, 0);
	cw_trace_key_free(k);
	return ret ? 1 : 0;
}
