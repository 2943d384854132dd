// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target: a candidate secret, as a matcher hands it to the validators. Byte 0
 * picks the size of the decode buffer; the rest goes to every codec and validator: base64
 * (into a buffer allocated at exactly that size, so ASan sees a write past it), base62, each
 * offline checksum and the JWT parser, whose output is read and checked.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/jwt.h"
#include "detect/validate.h"
#include "util/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned sink;

/* A fixed-size string field must be NUL-terminated inside its array. */
static void check_str(const char *s, size_t cap)
{
	if (strnlen(s, cap) == cap)
		abort();
	sink += (unsigned)strlen(s);
}

static void jwt(const char *s, size_t n)
{
	struct cw_jwt j;

	memset(&j, 0x5a, sizeof(j)); /* no field may be left as it was */
	if (cw_jwt_parse(s, n, &j))
		return;
	check_str(j.alg, sizeof(j.alg));
	check_str(j.iss, sizeof(j.iss));
	check_str(j.sub, sizeof(j.sub));
	if (!j.alg[0])
		abort(); /* the header must name an alg */
	sink += (unsigned)cw_jwt_lifetime(&j) + j.kubernetes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;
	size_t n = size - 1, cap;
	unsigned char *out;
	uint64_t v;
	long got;

	if (size < 1)
		return 0;
	cap = data[0];
	out = malloc(cap ? cap : 1);
	if (!out)
		abort();
	got = cw_base64_decode(s, n, out, cap);
	if (got < -1 || got > (long)cap)
		abort();
	for (long i = 0; i < got; i++)
		sink += out[i];
	free(out);
	if (cw_base62_decode(s, n < 10 ? n : 10, &v))
		sink += (unsigned)v;
	for (int k = CW_VALIDATE_NONE + 1; k < CW_VALIDATE_MAX; k++)
		sink += cw_validate((enum cw_validator)k, s, n);
	jwt(s, n);
	sink += cw_crc32(s, n) + cw_crc32c(s, n);
	return 0;
}
