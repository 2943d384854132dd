// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* util/utf8: the decoder every writer and reader of text uses. */
#include <stdint.h>

#include "util/utf8.h"
#include "test.h"

#define DECODE(bytes, want_len, want_cp)                                                         \
	do {                                                                                     \
		uint32_t cp_ = 0xdeadbeef;                                                       \
		size_t l_ =                                                                      \
			cw_utf8_decode((const unsigned char *)(bytes), sizeof(bytes) - 1, &cp_); \
		CHECK_EQ_INT(l_, want_len);                                                      \
		if (l_)                                                                          \
			CHECK_EQ_INT(cp_, want_cp);                                              \
	} while (0)

TEST(utf8_decode_valid_sequences)
{
	DECODE("A", 1, 0x41);
	DECODE("\x7f", 1, 0x7f);
	DECODE("\xc2\x80", 2, 0x80);
	DECODE("\xc3\xa9x", 2, 0xe9);
	DECODE("\xe0\xa0\x80", 3, 0x800);
	DECODE("\xe2\x82\xac", 3, 0x20ac);
	DECODE("\xef\xbf\xbd", 3, 0xfffd);
	DECODE("\xf0\x90\x80\x80", 4, 0x10000);
	DECODE("\xf0\x9f\x98\x80", 4, 0x1f600);
	DECODE("\xf4\x8f\xbf\xbf", 4, 0x10ffff);
	/* the code point is optional */
	CHECK_EQ_INT(cw_utf8_decode((const unsigned char *)"\xe2\x82\xac", 3, NULL), 3);
}

TEST(utf8_decode_rejects_invalid_sequences)
{
	DECODE("\x80", 0, 0);		  /* a continuation byte first */
	DECODE("\xc0\xaf", 0, 0);	  /* overlong '/' */
	DECODE("\xc1\xbf", 0, 0);	  /* overlong */
	DECODE("\xe0\x9f\xbf", 0, 0);	  /* overlong 3-byte form */
	DECODE("\xf0\x8f\xbf\xbf", 0, 0); /* overlong 4-byte form */
	DECODE("\xed\xa0\x80", 0, 0);	  /* a surrogate */
	DECODE("\xed\xbf\xbf", 0, 0);	  /* a surrogate */
	DECODE("\xf4\x90\x80\x80", 0, 0); /* past U+10FFFF */
	DECODE("\xf5\x80\x80\x80", 0, 0); /* no such lead byte */
	DECODE("\xff", 0, 0);
	DECODE("\xc3\x28", 0, 0); /* not a continuation */
	DECODE("\xe2\x82", 0, 0); /* cut short */
	/* a sequence longer than the bytes given is cut short too */
	CHECK_EQ_INT(cw_utf8_decode((const unsigned char *)"\xe2\x82\xac", 2, NULL), 0);
}

TEST(utf8_fit_never_splits_a_character)
{
	CHECK_EQ_INT(cw_utf8_fit("", 10), 0);
	CHECK_EQ_INT(cw_utf8_fit("abc", 10), 3);
	CHECK_EQ_INT(cw_utf8_fit("abc", 2), 2);
	CHECK_EQ_INT(cw_utf8_fit("abc", 0), 0);
	CHECK_EQ_INT(cw_utf8_fit("a\xc3\xa9", 2), 1); /* é does not fit whole */
	CHECK_EQ_INT(cw_utf8_fit("a\xc3\xa9", 3), 3);
	CHECK_EQ_INT(cw_utf8_fit("\xf0\x9f\x98\x80z", 3), 0);
	CHECK_EQ_INT(cw_utf8_fit("\xf0\x9f\x98\x80z", 4), 4);
	/* invalid bytes count one each */
	CHECK_EQ_INT(cw_utf8_fit("\xff\xfe\xfd", 2), 2);
	CHECK_EQ_INT(cw_utf8_fit("\xe2\x82z", 1), 1);
}
