/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The credential of an HTTPS sink, read from its token file (never from argv, never logged):
 *   hec      TOKEN                    -> Authorization: Splunk TOKEN
 *   bulk     user:password            -> HTTP Basic
 *            ApiKey .. / Bearer .. / Basic ..  -> Authorization: as written
 *            TOKEN (no colon)         -> Authorization: ApiKey TOKEN (an encoded API key)
 *   webhook  Header-Name: value       -> that header as written
 *            TOKEN                    -> Authorization: Bearer TOKEN
 * The file holds one line (a trailing newline and surrounding blanks are ignored).
 */
#ifndef CW_HTTP_AUTH_H
#define CW_HTTP_AUTH_H

#include <stddef.h>

#include "output/output_spec.h"

struct cw_http_auth {
	char *header;  /* a whole request header line, or NULL */
	char *userpwd; /* "user:password" for HTTP Basic, or NULL */
};

/*
 * Read path's credential for a sink of kind into a (both NULL when path is ""). 0; or -errno
 * and a one-line reason naming the file, never its content.
 */
int cw_http_auth_load(enum cw_sink_kind kind, const char *path, struct cw_http_auth *a, char *err,
		      size_t errlen);
/* Zero and free what a holds. */
void cw_http_auth_wipe(struct cw_http_auth *a);

#endif
