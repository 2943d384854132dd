/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Find secrets with the loaded rules: one Vectorscan database for every rule, in block mode
 * for whole buffers and in streaming mode for data that arrives in pieces (a TLS connection,
 * a file's reads, an env block), so a secret split across two writes is still found. Each
 * Vectorscan hit is confirmed by the rule's PCRE2 pattern, which also extracts the secret
 * (group 1, or the whole match), then filtered: entropy, placeholders, checksums.
 */
#ifndef CW_MATCHER_H
#define CW_MATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/rules.h"

/* How a rule is matched; `rules check` reports it. */
enum cw_engine {
	CW_ENGINE_VECTORSCAN, /* exact in Vectorscan, confirmed by PCRE2 for the capture */
	CW_ENGINE_PREFILTER,  /* Vectorscan prefilter (e.g. lookarounds), PCRE2 decides */
	CW_ENGINE_PCRE2,      /* Vectorscan cannot compile it: PCRE2 alone, behind keywords */
};

enum cw_checksum {
	CW_CHECKSUM_NONE, /* the rule has no validator */
	CW_CHECKSUM_VALID,
	CW_CHECKSUM_INVALID, /* kept only when the rule says on_invalid: demote */
};

/* How guessable a password from a credential file is (detect/credfile.h); NONE: not a password. */
enum cw_strength {
	CW_STRENGTH_NONE,
	CW_STRENGTH_WEAK,
	CW_STRENGTH_FAIR,
	CW_STRENGTH_STRONG,
};

struct cw_match {
	const struct cw_rule *rule;
	uint64_t start; /* the secret's offset: in the buffer, or in the stream */
	size_t len;
	const char *secret; /* the secret's bytes, valid during the callback only */
	enum cw_checksum checksum;
	/*
	 * Found inside an encoding (detect/decode.h): the decoding path, outermost step in the
	 * low byte (cw_enc_step, cw_enc_name), and the bytes of the data the finding covers from
	 * `start` (the encoded span: the whole base64 value, or the escaped form of the secret),
	 * while secret and len are the decoded secret's. 0 and 0 when found as is.
	 */
	uint32_t encoding;
	size_t span;
	/* Found by a credential file's parser: the field it came from, valid during the callback
	 * only; NULL for text matches. */
	const char *field;
	enum cw_strength strength;
};

struct cw_matcher;

/*
 * Compile every rule. A pattern that does not compile is an error naming its file:line.
 * Decoding layers (detect/decode.h) are on unless the environment says CREDWATCH_DECODE=0.
 */
int cw_matcher_new(const struct cw_ruleset *rs, struct cw_matcher **out, char *err, size_t errlen);
/*
 * A matcher for another thread: it shares m's compiled rules and databases (m must outlive
 * it) and has its own scratch space. Free it with cw_matcher_free.
 */
int cw_matcher_clone(const struct cw_matcher *m, struct cw_matcher **out);
void cw_matcher_free(struct cw_matcher *m);
enum cw_engine cw_matcher_engine(const struct cw_matcher *m, size_t idx);
const char *cw_engine_name(enum cw_engine e);

/*
 * Report each secret in buf once, in order of offset. Where rules overlap on the same bytes
 * the one with the higher priority (then the longer secret, then the earlier rule) wins. The
 * callback returns nonzero to stop. Returns the number of matches reported or -errno.
 */
typedef int (*cw_match_cb)(const struct cw_match *m, void *arg);
int cw_matcher_scan(struct cw_matcher *m, const char *buf, size_t len, cw_match_cb cb, void *arg);

/*
 * Number of secrets rule number idx alone (filters included, no overlap resolution) finds
 * with confidence: a match kept only as checksum-invalid does not count.
 */
int cw_matcher_count_rule(struct cw_matcher *m, size_t idx, const char *buf, size_t len);

/*
 * Streams. A stream keeps the tail of its data that a match can still span and reports each
 * secret once, with its offset in the stream, as soon as it is certain (a match that may still
 * grow is held until more data or the close). Streams of one matcher must be used from one
 * thread.
 */
struct cw_stream;
struct cw_stream *cw_stream_open(struct cw_matcher *m);
int cw_stream_write(struct cw_stream *s, const char *buf, size_t len, cw_match_cb cb, void *arg);
/*
 * The stream offset before which no secret reported from now on starts: the stream's own
 * copy of older data is gone. A caller keeping the data for line numbers keeps it from here.
 */
uint64_t cw_stream_base(const struct cw_stream *s);
/*
 * For a stream gone quiet (a keep-alive connection between requests): what has come is all
 * there is for now. Hits waiting for data after them (up to 256 bytes, for a boundary or a
 * longer match) are confirmed as at the end, and every confirmed secret still held (each is
 * held until 1 KiB follows it, so that a better rule on the same bytes can win) is reported.
 * Later writes go on where this left off. Cheap when nothing came since the last call.
 */
int cw_stream_flush(struct cw_stream *s, cw_match_cb cb, void *arg);
/* Report what remains and free the stream. */
int cw_stream_close(struct cw_stream *s, cw_match_cb cb, void *arg);

/* The rules m was compiled from (the rule set's array) and their number. */
const struct cw_rule *cw_matcher_rules(const struct cw_matcher *m, size_t *n);

/* Shannon entropy of the bytes, in bits per byte. */
double cw_entropy(const char *s, size_t n);

#endif
