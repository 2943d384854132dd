// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Redaction (see redact.h): how much of each end a secret of a given length shows. */
#include <string.h>

#include "detect/redact.h"

/* Bytes shown at each end: 4 for secrets of 24+ bytes, 2 for 12+, otherwise none. */
static size_t shown(size_t len)
{
	if (len >= 24)
		return 4;
	if (len >= 12)
		return 2;
	return 0;
}

static char printable(char c)
{
	return (c > 0x20 && c < 0x7F) ? c : '?';
}

void cw_redact(const char *secret, size_t len, char out[CW_REDACT_MAX])
{
	size_t k = shown(len), i, o = 0;

	for (i = 0; i < k; i++)
		out[o++] = printable(secret[i]);
	memcpy(out + o, "****", 4);
	o += 4;
	for (i = 0; i < k; i++)
		out[o++] = printable(secret[len - k + i]);
	out[o] = '\0';
}
