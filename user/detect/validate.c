// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Offline checksums of credential formats (see validate.h), built on util/codec. */
#include <ctype.h>
#include <string.h>

#include "detect/jwt.h"
#include "detect/validate.h"
#include "util/codec.h"

static const char *const names[CW_VALIDATE_MAX] = {
	[CW_VALIDATE_GITHUB_CRC32] = "github-crc32",
	[CW_VALIDATE_NPM_CRC32] = "npm-crc32",
	[CW_VALIDATE_GRAFANA_CRC32] = "grafana-crc32",
	[CW_VALIDATE_ATLASSIAN_CRC32] = "atlassian-crc32",
	[CW_VALIDATE_AGE_BECH32] = "age-bech32",
	[CW_VALIDATE_JWT] = "jwt",
};

int cw_validator_lookup(const char *name)
{
	for (int i = 1; i < CW_VALIDATE_MAX; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

const char *cw_validator_name(enum cw_validator v)
{
	return v > 0 && v < CW_VALIDATE_MAX ? names[v] : "none";
}

/* prefix_ + body + 6 base62 digits of CRC32(body). */
static bool base62_crc32(const char *s, size_t n)
{
	const char *us = memchr(s, '_', n);
	uint64_t want;
	size_t body;

	if (!us || (size_t)(us - s) + 1 + 6 >= n)
		return false;
	us++;
	body = n - (size_t)(us - s) - 6;
	return cw_base62_decode(us + body, 6, &want) && want == cw_crc32(us, body);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool hex32(const char *s, uint32_t *out, bool little_endian)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		int d = hexval(s[i]);

		if (d < 0)
			return false;
		v = v << 4 | (uint32_t)d;
	}
	if (little_endian)
		v = __builtin_bswap32(v);
	*out = v;
	return true;
}

static bool grafana_crc32(const char *s, size_t n)
{
	uint32_t want;

	if (n != 46 || s[37] != '_' || !hex32(s + 38, &want, true))
		return false;
	return want == cw_crc32(s, 37);
}

static bool atlassian_crc32(const char *s, size_t n)
{
	uint32_t want;

	if (n <= 8 || !hex32(s + n - 8, &want, false))
		return false;
	return want == cw_crc32(s, n - 8);
}

/* HRP "age-secret-key-", separator '1', data and checksum, in one case throughout. */
static bool age_bech32(const char *s, size_t n)
{
	static const char hrp[] = "age-secret-key-";
	const size_t hl = sizeof(hrp) - 1;
	uint32_t chk;
	bool upper;

	if (n < hl + 1 + 6 || strncasecmp(s, hrp, hl) || s[hl] != '1')
		return false;
	upper = isupper((unsigned char)s[0]);
	chk = cw_bech32_start(hrp);
	for (size_t i = hl + 1; i < n; i++) {
		char c = s[i];
		const char *p;

		if ((upper && islower((unsigned char)c)) || (!upper && isupper((unsigned char)c)))
			return false;
		p = strchr(cw_bech32_charset, tolower((unsigned char)c));
		if (!c || !p)
			return false;
		chk = cw_bech32_step(chk, (uint8_t)(p - cw_bech32_charset));
	}
	return chk == 1;
}

bool cw_validate(enum cw_validator v, const char *s, size_t n)
{
	switch (v) {
	case CW_VALIDATE_NONE: return true;
	case CW_VALIDATE_GITHUB_CRC32:
	case CW_VALIDATE_NPM_CRC32: return base62_crc32(s, n);
	case CW_VALIDATE_GRAFANA_CRC32: return grafana_crc32(s, n);
	case CW_VALIDATE_ATLASSIAN_CRC32: return atlassian_crc32(s, n);
	case CW_VALIDATE_AGE_BECH32: return age_bech32(s, n);
	case CW_VALIDATE_JWT: {
		struct cw_jwt j;

		return cw_jwt_parse(s, n, &j) == 0;
	}
	default: return false;
	}
}
