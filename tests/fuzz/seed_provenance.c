// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The seed corpus of fuzz_provenance: stores written by the real writer (cw_prov_save), as
 * the unit tests fill them: an empty one, one credential, and several with every kind of
 * origin, uses, full origin and use lists (so the dropped counts are written) and strings
 * that need escapes. Each file is fuzz_provenance's size byte, then the store.
 * usage: seed_provenance DIR [KEYFILE] (KEYFILE is not used)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "judge/provenance.h"
#include "util/fileio.h"

static int seed(const char *dir, const char *name, int ncred, int norigin)
{
	struct cw_provenance p;
	char path[4096], fp[65], err[256], w[64], d[64];
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "%s/%s.json", dir, name);
	unlink(path);
	if (cw_prov_open(&p, path, 64, err, sizeof(err))) {
		fprintf(stderr, "seed_provenance: %s\n", err);
		return 1;
	}
	for (int i = 0; i < ncred; i++) {
		struct cw_prov_cred *c;

		snprintf(fp, sizeof(fp), "%064x", 0xc0ffee + i);
		c = cw_prov_touch(&p, fp, "github-pat-classic", "github-token", "long-lived",
				  "ghp_****Ab12", 1700000000 + i);
		if (!c)
			return 1;
		for (int o = 0; o < norigin; o++) {
			snprintf(w, sizeof(w), "k8s:prod/api-%d \"x\"", o);
			snprintf(d, sizeof(d), "/etc/app/%d.env\t\\u", o);
			cw_prov_add_origin_as(&p, c, w, (enum cw_prov_source)(CW_PROV_FILE + o % 3),
					      d, 1700000000 + o, o % 4 != 3);
			cw_prov_add_use(&p, c, w, o % 2 ? "api.github.com:443" : "10.0.0.1:8443",
					1700000100 + o);
		}
	}
	ret = cw_prov_save(&p, err, sizeof(err));
	cw_prov_close(&p);
	if (ret || cw_read_file(path, 1 << 20, &buf, &len)) {
		fprintf(stderr, "seed_provenance: %s: %s\n", path, err);
		return 1;
	}
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	ret = !f || fputc(ncred > 2 ? 2 : 63, f) == EOF || fwrite(buf, 1, len, f) != len ||
	      fclose(f);
	free(buf);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: seed_provenance DIR [KEYFILE]\n");
		return 2;
	}
	return seed(argv[1], "empty", 0, 0) || seed(argv[1], "one", 1, 1) ||
	       seed(argv[1], "full-lists", 1, 10) || seed(argv[1], "evicts", 4, 2);
}
