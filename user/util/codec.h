/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Codecs with no credwatch knowledge: base64, base62 digits, CRC-32 (zlib's), CRC-32C and the
 * bech32 checksum. Credential formats are built from them in detect/ (validate.c, jwt.c,
 * example_gen.c).
 */
#ifndef CW_UTIL_CODEC_H
#define CW_UTIL_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* base64url of n bytes, no padding, NUL-terminated (out: 4 * ((n + 2) / 3) + 1 bytes); its length.
 */
size_t cw_base64url_encode(const unsigned char *in, size_t n, char *out);
/* Decode base64url or base64 (padding optional). Returns the length or -1. */
long cw_base64_decode(const char *in, size_t n, unsigned char *out, size_t outcap);

/* n digits of v in base 62 (0-9A-Za-z), most significant first, zero-padded. */
void cw_base62_encode(uint64_t v, char *out, size_t n);
/* The value of n base 62 digits (n <= 10), or false when one is not a digit. */
bool cw_base62_decode(const char *s, size_t n, uint64_t *out);

/* CRC-32 (ISO-HDLC, as zlib, gzip and PNG compute it). */
uint32_t cw_crc32(const void *buf, size_t n);
/* CRC-32C (Castagnoli, as iSCSI and ext4 compute it): the CPU's instruction where it has one
 * (x86-64 SSE4.2, several bytes a cycle), else a table. */
uint32_t cw_crc32c(const void *buf, size_t n);
/* The same from the table alone (what a CPU without the instruction computes). */
uint32_t cw_crc32c_table(const void *buf, size_t n);

/* The bech32 alphabet: the character of each 5-bit value. */
extern const char cw_bech32_charset[33];
/* bech32 checksum of hrp + data (5-bit values), as the 6 values to append. */
void cw_bech32_checksum(const char *hrp, const uint8_t *data, size_t n, uint8_t out[6]);
/*
 * Checking a bech32 string a value at a time: start from cw_bech32_start(hrp), fold in each
 * 5-bit value of the data and checksum with cw_bech32_step; the checksum holds when the result
 * is 1.
 */
uint32_t cw_bech32_start(const char *hrp);
uint32_t cw_bech32_step(uint32_t chk, uint8_t v);

#endif
