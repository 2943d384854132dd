/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What libbpf's warnings say about a program the kernel refused: its name and the verifier's
 * last word (the limit it hit), so that a refusal is one clear line without -v.
 */
#ifndef CW_LIBBPF_LOG_H
#define CW_LIBBPF_LOG_H

struct cw_refusal {
	char prog[64]; /* the program libbpf says failed to load; "" when none */
	char why[256]; /* the verifier log's last line before its statistics; "" when none */
};

/* Take what one formatted libbpf warning says into r (lines it does not concern change nothing). */
void cw_refusal_note(struct cw_refusal *r, const char *msg);

#endif
