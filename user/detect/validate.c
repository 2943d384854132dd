// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <ctype.h>
#include <string.h>

#include <zlib.h>

#include "detect/jwt.h"
#include "detect/validate.h"

static const char *const names[CW_VALIDATE_MAX] = {
	[CW_VALIDATE_GITHUB_CRC32] = "github-crc32",
	[CW_VALIDATE_NPM_CRC32] = "npm-crc32",
	[CW_VALIDATE_GRAFANA_CRC32] = "grafana-crc32",
	[CW_VALIDATE_ATLASSIAN_CRC32] = "atlassian-crc32",
	[CW_VALIDATE_AGE_BECH32] = "age-bech32",
	[CW_VALIDATE_JWT] = "jwt",
};

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const char cw_bech32_charset[33] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

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

uint32_t cw_crc32(const void *buf, size_t n)
{
	return (uint32_t)crc32(0L, buf, (uInt)n);
}

void cw_base62(uint64_t v, char *out, size_t n)
{
	for (size_t i = n; i > 0; i--) {
		out[i - 1] = base62[v % 62];
		v /= 62;
	}
}

static int base62_val(char c)
{
	const char *p = c ? strchr(base62, c) : NULL;

	return p ? (int)(p - base62) : -1;
}

/* prefix_ + body + 6 base62 digits of CRC32(body). */
static bool base62_crc32(const char *s, size_t n)
{
	const char *us = memchr(s, '_', n);
	uint64_t want = 0;
	size_t body;

	if (!us || (size_t)(us - s) + 1 + 6 >= n)
		return false;
	us++;
	body = n - (size_t)(us - s) - 6;
	for (size_t i = 0; i < 6; i++) {
		int d = base62_val(us[body + i]);

		if (d < 0)
			return false;
		want = want * 62 + (uint64_t)d;
	}
	return want == cw_crc32(us, body);
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

static uint32_t bech32_polymod(uint32_t chk, uint8_t v)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
					 0x2a1462b3 };
	uint8_t top = (uint8_t)(chk >> 25);

	chk = (chk & 0x1ffffff) << 5 ^ v;
	for (int i = 0; i < 5; i++)
		if ((top >> i) & 1)
			chk ^= gen[i];
	return chk;
}

static uint32_t bech32_hrp_state(const char *hrp)
{
	uint32_t chk = 1;
	size_t i, n = strlen(hrp);

	for (i = 0; i < n; i++)
		chk = bech32_polymod(chk, (uint8_t)(tolower((unsigned char)hrp[i]) >> 5));
	chk = bech32_polymod(chk, 0);
	for (i = 0; i < n; i++)
		chk = bech32_polymod(chk, (uint8_t)(tolower((unsigned char)hrp[i]) & 31));
	return chk;
}

void cw_bech32_checksum(const char *hrp, const uint8_t *data, size_t n, uint8_t out[6])
{
	uint32_t chk = bech32_hrp_state(hrp);

	for (size_t i = 0; i < n; i++)
		chk = bech32_polymod(chk, data[i]);
	for (int i = 0; i < 6; i++)
		chk = bech32_polymod(chk, 0);
	chk ^= 1;
	for (int i = 0; i < 6; i++)
		out[i] = (chk >> (5 * (5 - i))) & 31;
}

/* HRP "age-secret-key-", separator '1', data and checksum, in one case throughout. */
static bool age_bech32(const char *s, size_t n)
{
	static const char hrp[] = "age-secret-key-";
	const size_t hl = sizeof(hrp) - 1;
	uint32_t chk;
	bool upper = isupper((unsigned char)s[0]);

	if (n < hl + 1 + 6 || strncasecmp(s, hrp, hl) || s[hl] != '1')
		return false;
	chk = bech32_hrp_state(hrp);
	for (size_t i = hl + 1; i < n; i++) {
		char c = s[i];
		const char *p;

		if ((upper && islower((unsigned char)c)) || (!upper && isupper((unsigned char)c)))
			return false;
		p = strchr(cw_bech32_charset, tolower((unsigned char)c));
		if (!c || !p)
			return false;
		chk = bech32_polymod(chk, (uint8_t)(p - cw_bech32_charset));
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
