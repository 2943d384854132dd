// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* util/codec: base64, base62, CRC-32, bech32. */
#include <stdint.h>
#include <string.h>

#include "util/codec.h"
#include "test.h"

TEST(codec_crc32_check_value)
{
	CHECK_EQ_INT(cw_crc32("123456789", 9), 0xCBF43926); /* the CRC-32 check value */
	CHECK_EQ_INT(cw_crc32("", 0), 0);
	/* python3 -c 'import zlib; print(hex(zlib.crc32(b"a"*30)))' */
	CHECK_EQ_INT(cw_crc32("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 30), 0x6bc1d3c1);
}

/* RFC 3720's CRC-32C examples (B.4) and the check value: whole 8-byte words and a tail. */
TEST(codec_crc32c_check_values)
{
	unsigned char b[32];

	CHECK_EQ_INT(cw_crc32c("123456789", 9), 0xE3069283);
	CHECK_EQ_INT(cw_crc32c("", 0), 0);
	memset(b, 0, sizeof(b));
	CHECK_EQ_INT(cw_crc32c(b, 32), 0x8A9136AA);
	memset(b, 0xff, sizeof(b));
	CHECK_EQ_INT(cw_crc32c(b, 32), 0x62A8AB43);
	for (int i = 0; i < 32; i++)
		b[i] = (unsigned char)i;
	CHECK_EQ_INT(cw_crc32c(b, 32), 0x46DD794E);
	/* the table agrees with the instruction, whatever the length */
	CHECK_EQ_INT(cw_crc32c_table("123456789", 9), 0xE3069283);
	for (size_t n = 0; n <= 32; n++)
		CHECK_EQ_INT(cw_crc32c_table(b, n), cw_crc32c(b, n));
}

TEST(codec_base62_digits)
{
	char digits[7] = { 0 };
	uint64_t v;

	cw_base62_encode(61, digits, 6);
	CHECK_EQ_STR(digits, "00000z");
	cw_base62_encode(62, digits, 6);
	CHECK_EQ_STR(digits, "000010");
	cw_base62_encode(0x2a66c61e, digits, 6);
	REQUIRE(cw_base62_decode(digits, 6, &v));
	CHECK_EQ_INT(v, 0x2a66c61e);
	CHECK(cw_base62_decode("00000z", 6, &v) && v == 61);
	CHECK(cw_base62_decode("", 0, &v) && v == 0);
	CHECK(!cw_base62_decode("0000-1", 6, &v));
	CHECK(!cw_base62_decode("00\0000", 6, &v)); /* a NUL is no digit */
}

TEST(codec_base64_decodes_both_alphabets_with_or_without_padding)
{
	unsigned char out[16];

	CHECK_EQ_INT(cw_base64_decode("aGVsbG8=", 8, out, sizeof(out)), 5);
	CHECK(!memcmp(out, "hello", 5));
	CHECK_EQ_INT(cw_base64_decode("aGVsbG8", 7, out, sizeof(out)), 5);
	CHECK(!memcmp(out, "hello", 5));
	/* 0xfb 0xff: "+/8" in base64, "-_8" in base64url */
	CHECK_EQ_INT(cw_base64_decode("+/8=", 4, out, sizeof(out)), 2);
	CHECK(out[0] == 0xfb && out[1] == 0xff);
	CHECK_EQ_INT(cw_base64_decode("-_8", 3, out, sizeof(out)), 2);
	CHECK(out[0] == 0xfb && out[1] == 0xff);
	CHECK_EQ_INT(cw_base64_decode("", 0, out, sizeof(out)), 0);
	/* not base64: a bad character, an impossible length, no room */
	CHECK_EQ_INT(cw_base64_decode("aGV!", 4, out, sizeof(out)), -1);
	CHECK_EQ_INT(cw_base64_decode("aGVsb", 5, out, sizeof(out)), -1);
	CHECK_EQ_INT(cw_base64_decode("aGVsbG8", 7, out, 4), -1);
}

TEST(codec_bech32_checksum_verifies)
{
	uint8_t data[10 + 6];
	uint32_t chk;

	for (int i = 0; i < 10; i++)
		data[i] = (uint8_t)(i * 3 % 32);
	cw_bech32_checksum("age-secret-key-", data, 10, data + 10);
	chk = cw_bech32_start("age-secret-key-");
	for (int i = 0; i < 16; i++)
		chk = cw_bech32_step(chk, data[i]);
	CHECK_EQ_INT(chk, 1);
	/* the hrp is case-insensitive */
	chk = cw_bech32_start("AGE-SECRET-KEY-");
	for (int i = 0; i < 16; i++)
		chk = cw_bech32_step(chk, data[i]);
	CHECK_EQ_INT(chk, 1);
	data[3] ^= 1;
	chk = cw_bech32_start("age-secret-key-");
	for (int i = 0; i < 16; i++)
		chk = cw_bech32_step(chk, data[i]);
	CHECK(chk != 1);
	/* BIP-173's valid test vector "a12uel5l": hrp "a", no data, checksum "2uel5l" */
	chk = cw_bech32_start("a");
	for (const char *p = "2uel5l"; *p; p++)
		chk = cw_bech32_step(chk,
				     (uint8_t)(strchr(cw_bech32_charset, *p) - cw_bech32_charset));
	CHECK_EQ_INT(chk, 1);
}

TEST(codec_base64url_encode_round_trips)
{
	unsigned char in[64], back[64];
	char out[96];

	CHECK_EQ_INT(cw_base64url_encode((const unsigned char *)"hello", 5, out), 7);
	CHECK_EQ_STR(out, "aGVsbG8");
	CHECK_EQ_INT(cw_base64url_encode((const unsigned char *)"\xfb\xff", 2, out), 3);
	CHECK_EQ_STR(out, "-_8");
	CHECK_EQ_INT(cw_base64url_encode(in, 0, out), 0);
	CHECK_EQ_STR(out, "");
	for (size_t n = 0; n < sizeof(in); n++) {
		size_t len;

		for (size_t i = 0; i < n; i++)
			in[i] = (unsigned char)(i * 37 + n);
		len = cw_base64url_encode(in, n, out);
		CHECK_EQ_INT(len, (4 * n + 2) / 3);
		CHECK_EQ_INT(cw_base64_decode(out, len, back, sizeof(back)), (long)n);
		CHECK(!memcmp(in, back, n));
	}
}
