/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Rule examples are templates so that the repository never holds a credential-shaped literal:
 * "%{CLASS:N}" expands to N random characters of CLASS, fresh on every expansion.
 * Classes: alnum upper lower digit hex HEX upperdigit lowerdigit base64 base64url base32.
 * "%{gen:NAME[:ARG]}" expands to a whole token with a valid checksum or structure:
 *   gen:github:PREFIX (e.g. ghp_), gen:npm, gen:grafana, gen:atlassian:PREFIX (e.g. ATATT3xFfGF0),
 *   gen:age, gen:jwt:LIFETIME_SECONDS, gen:k8s-jwt:LIFETIME_SECONDS.
 */
#ifndef CW_EXAMPLE_GEN_H
#define CW_EXAMPLE_GEN_H

#include <stddef.h>

/* Returns a malloc'ed string, or NULL with a reason in err (bad template or no memory). */
char *cw_example_expand(const char *tmpl, char *err, size_t errlen);

#endif
