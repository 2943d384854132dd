/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Just enough JWT decoding to classify a token: who issued it, for whom, for how long. */
#ifndef CW_JWT_H
#define CW_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cw_jwt {
	char alg[16];
	char iss[256];
	char sub[256];
	int64_t iat, exp, nbf;
	bool has_iat, has_exp, has_nbf;
	bool kubernetes; /* a Kubernetes service-account token */
};

/*
 * Parse header.payload.signature (base64url, no padding required): header and payload must
 * decode to JSON objects and the header must name an "alg". Returns 0 or -EINVAL.
 */
int cw_jwt_parse(const char *s, size_t n, struct cw_jwt *out);

/* Lifetime in seconds (exp - iat, else exp - nbf), or -1 when it cannot be known. */
int64_t cw_jwt_lifetime(const struct cw_jwt *j);

#endif
