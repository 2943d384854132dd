// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The seed corpus of fuzz_codec: one token of each checksummed format, made fresh by
 * example_gen (so that no credential-shaped literal is committed), each behind fuzz_codec's
 * buffer-size byte, plus plain base64 with and without padding.
 * usage: seed_codec DIR [KEYFILE] (KEYFILE is not used)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/example_gen.h"

static const char *const templates[] = {
	"%{gen:github:ghp_}",	"%{gen:npm}",
	"%{gen:grafana}",	"%{gen:atlassian:ATATT3xFfGF0}",
	"%{gen:age}",		"%{gen:jwt:3600}",
	"%{gen:k8s-jwt:86400}", "dXNlcjpwYXNzd29yZA==",
	"%{base64url:43}",
};

int main(int argc, char **argv)
{
	char path[4096], err[256];

	if (argc < 2) {
		fprintf(stderr, "usage: seed_codec DIR [KEYFILE]\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++) {
		char *s = cw_example_expand(templates[i], err, sizeof(err));
		FILE *f;

		if (!s) {
			fprintf(stderr, "seed_codec: %s: %s\n", templates[i], err);
			return 1;
		}
		snprintf(path, sizeof(path), "%s/seed-%zu", argv[1], i);
		f = fopen(path, "wb");
		/* a decode buffer of 3/4 of the text: room for all of it */
		if (!f ||
		    fputc((int)(strlen(s) * 3 / 4 > 255 ? 255 : strlen(s) * 3 / 4), f) == EOF ||
		    fputs(s, f) == EOF || fclose(f)) {
			perror(path);
			return 1;
		}
		free(s);
	}
	return 0;
}
