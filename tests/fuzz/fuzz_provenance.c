// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target: the provenance store's file as the agent finds it at start (damaged by a
 * crash, a full disk, or someone's editor). Byte 0 is the store's size limit (1..256
 * credentials), the rest the file. What loads is walked; then it is saved and read back, and
 * must come back the same: the writer writes only what the reader takes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture_dir.h"
#include "judge/provenance.h"
#include "util/fileio.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/dev/shm/cw-fuzz-prov.XXXXXX", path[256];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(dir) && !mkdtemp(strcpy(dir, "/tmp/cw-fuzz-prov.XXXXXX")))
		abort();
	fixture_remove_at_exit(dir);
	snprintf(path, sizeof(path), "%s/provenance.json", dir);
	return 0;
}

static void check_str(const char *s, size_t cap)
{
	if (strnlen(s, cap) == cap)
		abort();
}

/* Walk the store from most to least recent; a digest of what it holds. */
static uint64_t walk(const struct cw_provenance *p)
{
	uint64_t h = 1469598103934665603ull;
	size_t n = 0;

	for (const struct cw_prov_cred *c = cw_prov_first(p); c; c = cw_prov_next(p, c), n++) {
		check_str(c->fingerprint, sizeof(c->fingerprint));
		check_str(c->rule, sizeof(c->rule));
		check_str(c->kind, sizeof(c->kind));
		check_str(c->lifetime, sizeof(c->lifetime));
		check_str(c->redacted, sizeof(c->redacted));
		if (c->norigins > CW_PROV_ORIGINS_MAX || c->nuses > CW_PROV_WORKLOADS_MAX)
			abort();
		for (size_t i = 0; i < c->norigins; i++) {
			check_str(c->origins[i].workload, CW_PROV_STR);
			check_str(c->origins[i].detail, CW_PROV_STR);
			if (!cw_prov_source_name(c->origins[i].source))
				abort();
			h = (h ^ c->origins[i].count) * 1099511628211ull;
			/* an optional member read back as something else than written */
			h = (h ^ c->origins[i].not_owner ^ (uint64_t)c->origins[i].source) *
			    1099511628211ull;
		}
		for (size_t i = 0; i < c->nuses; i++) {
			check_str(c->uses[i].workload, CW_PROV_STR);
			check_str(c->uses[i].destination, CW_PROV_STR);
			h = (h ^ c->uses[i].count) * 1099511628211ull;
		}
		h = (h ^ (uint64_t)c->last_seen ^ cw_prov_count_workloads(c, NULL)) *
		    1099511628211ull;
		h = (h ^ c->origins_dropped ^ (c->uses_dropped << 1)) * 1099511628211ull;
		for (const char *s = c->fingerprint; *s; s++)
			h = (h ^ (uint8_t)*s) * 1099511628211ull;
	}
	if (n != p->n)
		abort();
	return h ^ n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_provenance p;
	char err[512] = "";
	uint64_t before;
	size_t max;
	FILE *f;

	if (size < 1)
		return 0;
	max = (size_t)data[0] + 1;
	f = fopen(path, "we");
	if (!f || fwrite(data + 1, 1, size - 1, f) != size - 1 || fclose(f))
		abort();
	if (cw_prov_open(&p, path, max, err, sizeof(err))) {
		if (!err[0]) /* a store refused says why */
			abort();
		return 0;
	}
	if (p.n > max)
		abort();
	before = walk(&p);
	if (cw_prov_save(&p, err, sizeof(err)))
		abort();
	cw_prov_close(&p);
	if (cw_prov_open(&p, path, max, err, sizeof(err))) {
		fprintf(stderr, "fuzz_provenance: a saved store is refused: %s\n", err);
		abort();
	}
	if (walk(&p) != before)
		abort();
	cw_prov_close(&p);
	return 0;
}
