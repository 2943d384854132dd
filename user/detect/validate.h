/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Offline checksums of credential formats that carry one. A valid checksum makes a finding
 * near-certain; an invalid one means a typo, a truncation or a made-up string.
 */
#ifndef CW_VALIDATE_H
#define CW_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cw_validator {
	CW_VALIDATE_NONE = 0,
	CW_VALIDATE_GITHUB_CRC32,    /* gh?_ + 30 base62 + 6 base62 CRC32 of the 30 */
	CW_VALIDATE_NPM_CRC32,	     /* npm_: the same scheme */
	CW_VALIDATE_GRAFANA_CRC32,   /* glsa_ + 32 + '_' + 8 hex: CRC32 (LE) of the first 37 */
	CW_VALIDATE_ATLASSIAN_CRC32, /* ATATT/ATCTT...: last 8 hex = CRC32 of the rest */
	CW_VALIDATE_AGE_BECH32,	     /* AGE-SECRET-KEY-1...: bech32 checksum */
	CW_VALIDATE_JWT,	     /* three base64url parts, header and payload JSON objects */
	CW_VALIDATE_MAX,
};

/* The validator called name, or -1. */
int cw_validator_lookup(const char *name);
const char *cw_validator_name(enum cw_validator v);
bool cw_validate(enum cw_validator v, const char *s, size_t n);

#endif
