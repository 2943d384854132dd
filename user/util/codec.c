// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Codecs (see codec.h). */
#include <ctype.h>
#include <pthread.h>
#include <string.h>

#include <zlib.h>

#include "util/codec.h"

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const char cw_bech32_charset[33] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t cw_base64url_encode(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0, i;

	for (i = 0; i + 2 < n; i += 3) {
		out[o++] = b64url[in[i] >> 2];
		out[o++] = b64url[(in[i] & 3) << 4 | in[i + 1] >> 4];
		out[o++] = b64url[(in[i + 1] & 15) << 2 | in[i + 2] >> 6];
		out[o++] = b64url[in[i + 2] & 63];
	}
	if (n - i == 1) {
		out[o++] = b64url[in[i] >> 2];
		out[o++] = b64url[(in[i] & 3) << 4];
	} else if (n - i == 2) {
		out[o++] = b64url[in[i] >> 2];
		out[o++] = b64url[(in[i] & 3) << 4 | in[i + 1] >> 4];
		out[o++] = b64url[(in[i + 1] & 15) << 2];
	}
	out[o] = '\0';
	return o;
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

long cw_base64_decode(const char *in, size_t n, unsigned char *out, size_t outcap)
{
	uint32_t acc = 0;
	size_t o = 0;
	int bits = 0;

	while (n && in[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)in[i]);

		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outcap)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return (long)o;
}

void cw_base62_encode(uint64_t v, char *out, size_t n)
{
	for (size_t i = n; i > 0; i--) {
		out[i - 1] = base62[v % 62];
		v /= 62;
	}
}

bool cw_base62_decode(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		const char *p = s[i] ? strchr(base62, s[i]) : NULL;

		if (!p)
			return false;
		v = v * 62 + (uint64_t)(p - base62);
	}
	*out = v;
	return true;
}

uint32_t cw_crc32(const void *buf, size_t n)
{
	return (uint32_t)crc32(0L, buf, (uInt)n);
}

/* ---- CRC-32C: the SSE4.2 instruction where there is one, else a table ---- */

#define CRC32C_POLY 0x82f63b78u /* Castagnoli, reflected */

static uint32_t crc32c_table[256];
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;
static bool crc32c_hw_ok;

static void crc32c_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc32c_table[i] = c;
	}
#if defined(__x86_64__)
	crc32c_hw_ok = __builtin_cpu_supports("sse4.2");
#endif
}

static uint32_t crc32c_sw(uint32_t c, const unsigned char *p, size_t n)
{
	while (n--)
		c = crc32c_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t c, const unsigned char *p,
							    size_t n)
{
	uint64_t c64 = c;

	for (; n >= 8; p += 8, n -= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c64 = __builtin_ia32_crc32di(c64, v);
	}
	c = (uint32_t)c64;
	while (n--)
		c = __builtin_ia32_crc32qi(c, *p++);
	return c;
}
#endif

uint32_t cw_crc32c(const void *buf, size_t n)
{
	uint32_t c = 0xffffffffu;

	pthread_once(&crc32c_once, crc32c_init);
#if defined(__x86_64__)
	if (crc32c_hw_ok)
		return ~crc32c_hw(c, buf, n);
#endif
	return ~crc32c_sw(c, buf, n);
}

uint32_t cw_crc32c_table(const void *buf, size_t n)
{
	pthread_once(&crc32c_once, crc32c_init);
	return ~crc32c_sw(0xffffffffu, buf, n);
}

uint32_t cw_bech32_step(uint32_t chk, uint8_t v)
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

uint32_t cw_bech32_start(const char *hrp)
{
	uint32_t chk = 1;
	size_t i, n = strlen(hrp);

	for (i = 0; i < n; i++)
		chk = cw_bech32_step(chk, (uint8_t)(tolower((unsigned char)hrp[i]) >> 5));
	chk = cw_bech32_step(chk, 0);
	for (i = 0; i < n; i++)
		chk = cw_bech32_step(chk, (uint8_t)(tolower((unsigned char)hrp[i]) & 31));
	return chk;
}

void cw_bech32_checksum(const char *hrp, const uint8_t *data, size_t n, uint8_t out[6])
{
	uint32_t chk = cw_bech32_start(hrp);

	for (size_t i = 0; i < n; i++)
		chk = cw_bech32_step(chk, data[i]);
	for (int i = 0; i < 6; i++)
		chk = cw_bech32_step(chk, 0);
	chk ^= 1;
	for (int i = 0; i < 6; i++)
		out[i] = (chk >> (5 * (5 - i))) & 31;
}
