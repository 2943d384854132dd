// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Image references split into repository, tag and digest (cw_image_split, podmeta.h). */
#include <string.h>

#include "host/podmeta.h"
#include "util/str.h"
#include "util/utf8.h"

static void copy_cut(char *dst, size_t cap, const char *s, size_t n)
{
	if (!cap)
		return;
	if (n >= cap)
		n = cw_utf8_fit(s, cap - 1);
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Without a "docker-pullable://" or "docker://" scheme (Docker's imageIDs). */
static const char *no_scheme(const char *s)
{
	const char *sep = s ? strstr(s, "://") : NULL;

	return sep ? sep + 3 : s;
}

void cw_image_split(const char *image, const char *image_id, char *name, size_t namelen, char *tag,
		    size_t taglen, char *digest, size_t digestlen)
{
	const char *img = no_scheme(image ? image : ""), *id = no_scheme(image_id ? image_id : "");
	const char *at = strchr(img, '@'), *end = at ? at : img + strlen(img);
	const char *slash = memrchr(img, '/', (size_t)(end - img));
	const char *colon = memchr(slash ? slash : img, ':', (size_t)(end - (slash ? slash : img)));
	const char *nend = colon ? colon : end;

	/* a registry's port ("host:5000/repo") is before the last '/': not a tag */
	copy_cut(name, namelen, img, (size_t)(nend - img));
	if (colon)
		copy_cut(tag, taglen, colon + 1, (size_t)(end - colon - 1));
	else
		copy_cut(tag, taglen, at ? "" : "latest", at ? 0 : 6);
	if (at && strchr(at + 1, ':')) {
		copy_cut(digest, digestlen, at + 1, strlen(at + 1));
		return;
	}
	/* the digest the runtime pulled: "repo@sha256:..." (or Docker's own "sha256:<id>") */
	at = strchr(id, '@');
	if (at && strchr(at + 1, ':'))
		copy_cut(digest, digestlen, at + 1, strlen(at + 1));
	else if (cw_starts_with(id, strlen(id), "sha256:"))
		copy_cut(digest, digestlen, id, strlen(id));
	else
		copy_cut(digest, digestlen, "", 0);
}
