/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Redaction: the only form of a secret that findings and logs carry. */
#ifndef CW_REDACT_H
#define CW_REDACT_H

#include <stddef.h>

#define CW_REDACT_MAX 16 /* longest redacted form, with its NUL */

/*
 * The only form of a secret the agent ever prints: a few characters of each end around "****",
 * fewer for short secrets, none for very short ones. Never more than 8 of the secret's bytes,
 * never more than a third of them.
 */
void cw_redact(const char *secret, size_t len, char out[CW_REDACT_MAX]);

#endif
