// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Private keys and key files: PEM blocks (PKCS#1, SEC1, PKCS#8, encrypted PKCS#8 and
 * OpenSSL's Proc-Type encryption), OpenSSH's own format (encrypted when its cipher is not
 * "none", which the base64 body says), PuTTY .ppk files (their Encryption: line), PKCS#12
 * bundles (binary DER: its outer PFX structure) and Rails' master key. A key nobody needs a
 * passphrase for is worse than an encrypted one: the field says which.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/credfile_int.h"
#include "util/codec.h"

#define B64_MAX 64 /* base64 characters of an OpenSSH body needed to reach its cipher name */

/* The cipher of an OpenSSH key body (its first base64 line(s)): "none" when unencrypted. */
static void openssh_cipher(const char *b, size_t at, size_t end, char *out, size_t cap)
{
	char b64[B64_MAX + 1];
	unsigned char raw[B64_MAX];
	size_t n = 0;
	long d;

	snprintf(out, cap, "unknown");
	for (size_t i = at; i < end && n < B64_MAX; i++)
		if (b[i] != '\n' && b[i] != '\r' && b[i] != ' ' && b[i] != '\t')
			b64[n++] = b[i];
	n -= n % 4;
	d = cw_base64_decode(b64, n, raw, sizeof(raw));
	/* "openssh-key-v1\0", then the cipher name as a uint32 length and bytes */
	if (d > 19 && !memcmp(raw, "openssh-key-v1", 15)) {
		uint32_t l = (uint32_t)raw[15] << 24 | (uint32_t)raw[16] << 16 |
			     (uint32_t)raw[17] << 8 | raw[18];

		if (l < cap && 19 + (long)l <= d)
			snprintf(out, cap, "%.*s", (int)l, raw + 19);
	}
}

/* One PEM block: BEGIN at b[at], its type b[ta, te), the END line ending at end. */
static void pem_key(struct cf_scan *s, size_t at, size_t ta, size_t te, size_t body, size_t end)
{
	const char *b = s->buf, *type = b + ta;
	size_t tl = te - ta;
	char cipher[64], what[128];

	if (tl == 7 && !memcmp(type, "OPENSSH", 7)) {
		openssh_cipher(b, body, end, cipher, sizeof(cipher));
		if (!strcmp(cipher, "none"))
			snprintf(what, sizeof(what), "OpenSSH private key (unencrypted)");
		else
			snprintf(what, sizeof(what), "OpenSSH private key (encrypted: %s)", cipher);
	} else if (tl == 9 && !memcmp(type, "ENCRYPTED", 9)) {
		snprintf(what, sizeof(what), "PKCS#8 private key (encrypted)");
	} else if (memmem(b + body, end - body, "Proc-Type: 4,ENCRYPTED", 22)) {
		snprintf(what, sizeof(what), "%.*s%sprivate key (PEM, encrypted)", (int)tl, type,
			 tl ? " " : "");
	} else {
		snprintf(what, sizeof(what), "%s%.*s%sprivate key (unencrypted)",
			 tl ? "" : "PKCS#8 ", (int)tl, type, tl ? " " : "");
	}
	cf_emit(s, CF_PRIVATE_KEY, at, end - at, b + at, end - at, CF_STRUCTURED, "%s", what);
}

#define PEM_BODY_MIN 64 /* base64 characters: less is an elided or made-up key */

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=';
}

/*
 * A PEM body as RFC 7468 (and RFC 1421's headers before it: Proc-Type, DEK-Info) writes it:
 * base64 lines, nothing else. Code that names the markers, and documentation that elides the
 * key ("MIIE...") or writes it in a string with \n escapes, are no key here.
 */
static bool pem_body_ok(const char *b, size_t from, size_t to)
{
	size_t pos = from, a, e, n = 0;
	bool body = false;

	while (pos < to && cf_next_line(b, to, &pos, &a, &e)) {
		cf_trim(b, &a, &e);
		if (a == e)
			continue;
		if (!body && memchr(b + a, ':', e - a) && ((b[a] >= 'A' && b[a] <= 'Z')))
			continue; /* a header line */
		body = true;
		for (size_t i = a; i < e; i++)
			if (!b64_char(b[i]))
				return false;
		n += e - a;
	}
	return n >= PEM_BODY_MIN;
}

static void pem_blocks(struct cf_scan *s)
{
	const char *b = s->buf, *p = b;

	while (!s->stop && (p = memmem(p, s->len - (size_t)(p - b), "-----BEGIN ", 11))) {
		const char *t = p + 11, *pk, *eol, *endm, *endl;
		size_t ta, te;

		eol = memchr(t, '\n', s->len - (size_t)(t - b));
		pk = memmem(t, s->len - (size_t)(t - b), "PRIVATE KEY-----", 16);
		if (!pk || (eol && pk > eol)) {
			p = t;
			continue;
		}
		ta = (size_t)(t - b);
		te = (size_t)(pk - b);
		while (te > ta && b[te - 1] == ' ')
			te--;
		endm = memmem(pk, s->len - (size_t)(pk - b), "-----END ", 9);
		if (!endm)
			break;
		endl = memmem(endm + 9, s->len - (size_t)(endm + 9 - b), "-----", 5);
		if (!endl)
			break;
		if (!pem_body_ok(b, (size_t)(pk - b) + 16, (size_t)(endm - b))) {
			p = pk;
			continue;
		}
		pem_key(s, (size_t)(p - b), ta, te, (size_t)(pk - b) + 16, (size_t)(endl - b) + 5);
		p = endl + 5;
	}
}

static void ppk(struct cf_scan *s)
{
	const char *b = s->buf, *p = memmem(b, s->len, "PuTTY-User-Key-File-", 20), *enc, *mac;
	size_t end;

	if (!p)
		return;
	enc = memmem(p, s->len - (size_t)(p - b), "Encryption: ", 12);
	mac = memmem(p, s->len - (size_t)(p - b), "Private-MAC: ", 13);
	end = mac ? (size_t)(mac - b) : s->len;
	while (end < s->len && b[end] != '\n' && b[end] != '\r')
		end++;
	cf_emit(s, CF_PUTTY, (size_t)(p - b), end - (size_t)(p - b), p, end - (size_t)(p - b),
		CF_STRUCTURED, "PuTTY private key (%s)",
		enc && enc + 16 <= b + s->len && !memcmp(enc + 12, "none", 4) ? "unencrypted"
									      : "encrypted");
}

/* A PFX: a DER SEQUENCE holding version 3 and PKCS#7 data (OID 1.2.840.113549.1.7.1). */
static void pkcs12(struct cf_scan *s)
{
	static const unsigned char data_oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
						  0xf7, 0x0d, 0x01, 0x07, 0x01 };
	size_t probe = s->len < 64 ? s->len : 64;

	if (s->len < 16 || (unsigned char)s->buf[0] != 0x30 ||
	    !memmem(s->buf, probe, "\x02\x01\x03", 3) || !memmem(s->buf, probe, data_oid, 11))
		return;
	cf_emit_raw(s, CF_PKCS12, 0, s->len, CF_STRUCTURED, "PKCS#12 bundle (private key inside)");
}

/* config/master.key: 32 hex digits that decrypt config/credentials.yml.enc. */
static void rails_key(struct cf_scan *s)
{
	size_t a = 0, e = s->len;

	while (e > a && (s->buf[e - 1] == '\n' || s->buf[e - 1] == '\r' || s->buf[e - 1] == ' '))
		e--;
	if (e - a != 32)
		return;
	for (size_t i = a; i < e; i++)
		if (!((s->buf[i] >= '0' && s->buf[i] <= '9') ||
		      (s->buf[i] >= 'a' && s->buf[i] <= 'f')))
			return;
	cf_emit_raw(s, CF_RAILS_MASTER, a, e - a, CF_STRUCTURED, "master key");
}

int cf_scan_keys(struct cf_scan *s, enum cw_credfile_kind k)
{
	if (k == CW_CF_PKCS12)
		pkcs12(s);
	else if (k == CW_CF_RAILS_KEY)
		rails_key(s);
	else {
		pem_blocks(s);
		ppk(s);
	}
	return 0;
}
