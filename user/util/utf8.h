/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* UTF-8 (RFC 3629): the one decoder of the agent, and cutting a string without splitting it. */
#ifndef CW_UTIL_UTF8_H
#define CW_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of the valid UTF-8 sequence at s (1..4, n >= 1 bytes there), or 0 if the bytes there
 * are not one: overlong forms, surrogates and code points past U+10FFFF are invalid. *cp (when
 * not NULL) receives the code point of a valid sequence.
 */
size_t cw_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/*
 * How many bytes of the string s fit in max bytes without cutting a valid sequence in two (a
 * byte that starts none counts as one character).
 */
size_t cw_utf8_fit(const char *s, size_t max);

/*
 * The string in for a terminal, into out (cap bytes; cap >= strlen(in) + 6 holds all of it):
 * a character that must not reach a terminal as it is (a control, zero-width or bidi
 * character: names and paths come from watched processes) or a byte that starts no valid
 * sequence becomes '?'; cut to at most maxw columns (one per character), the last an ellipsis
 * when cut. Returns its width in columns.
 */
int cw_utf8_term_fit(char *out, size_t cap, const char *in, int maxw);

#endif
