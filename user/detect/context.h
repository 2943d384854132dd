/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What surrounds a match and says it is no secret: the name it is assigned to (NextToken,
 * --change-token), or the encoded run it sits inside (a digest, a data URI, a base64 blob).
 */
#ifndef CW_CONTEXT_H
#define CW_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strv.h"

/*
 * Is the key (a variable, field or flag name) one of names, written any way: compared
 * lower-cased with everything but letters and digits dropped, and a name also matches the
 * end of a longer key (pagetoken: page_token, nextPageToken, --page-token), unless it is
 * written with '=' first: then only the whole key ("=verificationtoken": VerificationToken,
 * not SLACK_VERIFICATION_TOKEN).
 */
bool cw_key_listed(const struct cw_strv *names, const char *key, size_t n);

/*
 * Does the token that starts at buf[start] lie inside a longer encoded run rather than start
 * one of its own: inside a labelled digest or data URI (sha256=…, sha512-…, md5:…, base64,…),
 * or glued by '+', '/', '-' or '_' to mixed-case base64 before it (qaN-fw_…). Only the bytes
 * before start are read: buf[0] is the oldest byte the caller still has.
 */
bool cw_in_encoded_run(const char *buf, size_t start);

/* Where the line holding buf[pos] starts: after the last '\n' or NUL, at most max bytes back. */
size_t cw_line_start(const char *buf, size_t pos, size_t max);

#endif
