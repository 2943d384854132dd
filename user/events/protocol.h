/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Recognize the protocol a connection starts with, and the server name it names. */
#ifndef CW_PROTOCOL_H
#define CW_PROTOCOL_H

#include <stddef.h>

enum cw_proto {
	CW_PROTO_UNKNOWN = 0, /* not enough bytes yet to say */
	CW_PROTO_TLS,	      /* a TLS ClientHello: the rest is ciphertext */
	CW_PROTO_HTTP,	      /* an HTTP/1.x request */
	CW_PROTO_HTTP2,	      /* the HTTP/2 connection preface */
	CW_PROTO_OTHER,
};

const char *cw_proto_name(enum cw_proto p);

/*
 * Look at the first bytes a client sent. For TLS, name receives the SNI server name (empty
 * when the ClientHello has none or is cut short); for HTTP, the Host header without its port
 * (empty when it is not in these bytes). name is always NUL-terminated.
 */
enum cw_proto cw_proto_detect(const char *buf, size_t n, char *name, size_t cap);

/* The Host header of an HTTP request head in buf, without the port: 1 found, 0 not. */
int cw_http_host(const char *buf, size_t n, char *name, size_t cap);

#endif
