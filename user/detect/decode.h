/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Decoding layers: credentials sent or kept inside an encoding (an HTTP Basic header, a base64
 * value of a Kubernetes Secret or a docker config.json, a percent-encoded query, a JSON string
 * with \u escapes, a URL's userinfo). The matcher finds *carriers* (the cheap Vectorscan
 * patterns below) in the same pass as the rules; this file turns a carrier hit into the
 * region it encodes and the decoded bytes, with a map back to the region, so that a finding
 * inside is located on the encoded bytes of the original data.
 */
#ifndef CW_DECODE_H
#define CW_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One decoding step; a finding's path lists them as undone, outermost first. */
enum cw_enc {
	CW_ENC_NONE,
	CW_ENC_BASE64,	    /* "base64" */
	CW_ENC_BASIC_AUTH,  /* "basic-auth": user:password split in two */
	CW_ENC_PERCENT,	    /* "percent": RFC 3986 %XX */
	CW_ENC_JSON_ESCAPE, /* "json-escape": \uXXXX (RFC 8259) and \/ */
	CW_ENC_USERINFO,    /* "userinfo": scheme://user:password@host */
};

/*
 * A decoding path: up to CW_ENC_STEPS steps of 8 bits, the outermost in the low bits, 0 for
 * none. One integer, so that a match copied by value keeps it.
 */
#define CW_ENC_STEPS 4
const char *cw_enc_name(unsigned step);
static inline unsigned cw_enc_step(uint32_t path, unsigned i)
{
	return i < CW_ENC_STEPS ? (path >> (8 * i)) & 0xff : 0;
}
/* The path of `inner` found inside a layer decoded by `outer` (steps past the fourth are cut). */
uint32_t cw_enc_join(uint32_t outer, uint32_t inner);

/* The carriers: Vectorscan patterns, in the order of this enum. */
enum cw_carrier {
	CW_CAR_BASIC,	 /* Basic <base64>: a header, a variable, a curl -H */
	CW_CAR_B64,	 /* a value after ':' or '=' (YAML, JSON, INI, .npmrc) that is base64 */
	CW_CAR_PERCENT,	 /* %XX of a reserved character in a URL, query or form body */
	CW_CAR_JSON,	 /* \uXXXX or \/ in a JSON string */
	CW_CAR_USERINFO, /* scheme://user:pass@ with a %XX in user:pass */
	CW_CAR_N,
};
extern const char *const cw_carrier_pattern[CW_CAR_N];

#define CW_DECODE_DEPTH 2	     /* layers inside layers: Secret base64 -> Basic base64 */
#define CW_DECODE_BACK 1024	     /* a region starts at most this far before its carrier */
#define CW_DECODE_SPAN_MAX 8192	     /* the longest region decoded */
#define CW_DECODE_BUDGET (64u << 10) /* decoded bytes per block scan or stream write */

/* The decoded bytes of one region. */
struct cw_decoded {
	char *buf;
	uint32_t *map; /* exact: input offset of each decoded byte, map[len] = re */
	size_t len, cap;
	size_t rs, re; /* the region: input offsets */
	uint32_t path; /* this layer's steps */
	bool exact;    /* map holds; else every decoded byte stands for the whole region */
};

/*
 * Decode the region of a carrier of kind k whose hit ends at `end` in buf[0, len). No region
 * starts before `from` (what a stream no longer holds, or what was decoded already); `eof`:
 * nothing follows buf[len - 1]. Returns 1 with *out filled, 0 when the bytes there are no
 * encoding worth matching (not base64 of text, no user:password), -EAGAIN when the region may
 * run past the data, -ENOMEM.
 */
int cw_decode_carrier(enum cw_carrier k, const char *buf, size_t len, size_t from, size_t end,
		      bool eof, struct cw_decoded *out);
/* The input span of decoded bytes [ds, de). */
void cw_decoded_span(const struct cw_decoded *d, size_t ds, size_t de, size_t *os, size_t *oe);
/* Wipe (the bytes may be a secret) and free. */
void cw_decoded_free(struct cw_decoded *d);

#endif
