/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * HTTP/2 client streams, decoded for the matcher: request headers come out of HPACK (with
 * its per-connection dynamic table and Huffman coding) as "name: value" lines, DATA frames as
 * they are. Without this an Authorization header in h2 traffic is invisible.
 */
#ifndef CW_HTTP2_H
#define CW_HTTP2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define CW_H2_PREFACE_LEN 24
#define CW_H2_BLOCK_MAX 65536 /* a header block larger than this is not decoded */

struct cw_h2;

/* Decoded bytes for the matcher. Returns nonzero to stop. */
typedef int (*cw_h2_out)(const char *buf, size_t n, void *arg);

struct cw_h2 *cw_h2_new(void);
void cw_h2_free(struct cw_h2 *h);

/*
 * Feed client bytes in order, starting with the connection preface. Returns 0, the first
 * nonzero value of out, or -EPROTO once the stream stops making sense (it then ignores
 * everything after). authority (if not NULL) receives the first :authority seen.
 */
int cw_h2_feed(struct cw_h2 *h, const char *buf, size_t n, cw_h2_out out, void *arg,
	       char *authority, size_t cap);

/*
 * Bytes were lost before what comes next (not captured): forget the frame being read and any
 * header block being gathered, and expect a frame header next. The HPACK table stays: a lost
 * header block makes later references fail, and the decoder then gives up (-EPROTO).
 */
void cw_h2_gap(struct cw_h2 *h);

#endif
