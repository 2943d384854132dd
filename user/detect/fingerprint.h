/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Keyed fingerprints of credentials: HMAC-SHA-256 under a per-host (or fleet) key. */
#ifndef CW_FINGERPRINT_H
#define CW_FINGERPRINT_H

#include <stddef.h>

#define CW_FP_KEY_LEN 32
#define CW_FP_HEX_LEN 64
#define CW_FP_DEFAULT_DIR "/var/lib/credwatch"
#define CW_FP_DEFAULT_FILE CW_FP_DEFAULT_DIR "/fingerprint.key"

struct cw_fp_key {
	unsigned char key[CW_FP_KEY_LEN];
	char path[4096]; /* where it came from, for messages */
};

/*
 * Load the key from path; with path NULL use the host key under /var/lib/credwatch, generating
 * it (mode 0600, atomically) on first use. A key file holds 32 or more bytes; only the first 32
 * are used. Returns 0 or -errno with a one-line reason in err.
 */
int cw_fp_key_load(struct cw_fp_key *k, const char *path, char *err, size_t errlen);

/* Generate a new key file at path (mode 0600, created atomically; an existing file is kept). */
int cw_fp_key_create(const char *path, char *err, size_t errlen);

/* out receives 64 lowercase hex digits and a NUL. */
void cw_fingerprint(const struct cw_fp_key *k, const char *secret, size_t len,
		    char out[CW_FP_HEX_LEN + 1]);

/*
 * For commands that may run unprivileged (scan): path if given, else the host key, else — when
 * the host key cannot be read or created — a per-user key under $XDG_STATE_HOME/credwatch
 * (default ~/.local/state/credwatch), so fingerprints are stable per user.
 */
int cw_fp_key_load_any(struct cw_fp_key *k, const char *path, char *err, size_t errlen);
#endif
