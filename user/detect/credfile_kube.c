// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * kubeconfig files, as kubectl reads them: the secrets are in users[].user (token, password,
 * client-key-data, an auth-provider's id-token, refresh-token and client-secret). The YAML is
 * read by lines and indentation, which is how kubectl and every tool write it; a user's name
 * (`- name: admin@prod`) names the field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/credfile_int.h"
#include "util/codec.h"

#define PEM_MAX 16384

/* client-key-data is a base64 PEM key: reported decoded, saying whether it is encrypted. */
static void key_data(struct cf_scan *s, size_t va, size_t ve, const char *user)
{
	unsigned char *pem = malloc(PEM_MAX);
	const char *begin, *end;
	long n = pem ? cw_base64_decode(s->buf + va, ve - va, pem, PEM_MAX - 1) : -1;

	if (n <= 0) {
		free(pem);
		cf_emit_raw(s, CF_KUBE_KEY, va, ve - va, CF_SECRET, "client-key-data");
		return;
	}
	pem[n] = '\0';
	/*
	 * What is inside is reported, as the text scan's decoding does: the PEM block under the
	 * private-key rule, the same bytes (and fingerprint) as the key found anywhere else.
	 */
	begin = strstr((const char *)pem, "-----BEGIN ");
	end = begin ? strstr(begin, "-----END ") : NULL;
	end = end ? strstr(end + 9, "-----") : NULL;
	if (begin && end)
		cf_emit(s, CF_PRIVATE_KEY, va, ve - va, begin, (size_t)(end + 5 - begin),
			CF_STRUCTURED | CF_ENC_B64, "users[%s] client-key-data (%s)", user,
			strstr(begin, "ENCRYPTED") ? "encrypted" : "unencrypted");
	else
		cf_emit(s, CF_KUBE_KEY, va, ve - va, (const char *)pem, (size_t)n,
			CF_STRUCTURED | CF_ENC_B64, "users[%s] client-key-data", user);
	explicit_bzero(pem, (size_t)n);
	free(pem);
}

int cf_scan_kubeconfig(struct cf_scan *s)
{
	static const char *const secrets[] = { "token", "password", "id-token", "refresh-token",
					       "client-secret" };
	size_t pos = 0, a, e;
	char user[128] = "";
	bool in_users = false;

	while (!s->stop && cf_next_line(s->buf, s->len, &pos, &a, &e)) {
		const char *b = s->buf, *c;
		size_t ka, ke, va, ve;

		if (a == e)
			continue;
		if (b[a] != ' ' && b[a] != '-' && b[a] != '#')
			in_users = e - a >= 6 && !strncmp(b + a, "users:", 6);
		cf_trim(b, &a, &e);
		if (!in_users || a == e || b[a] == '#' || !(c = memchr(b + a, ':', e - a)))
			continue;
		ka = a + (b[a] == '-' ? 1 : 0);
		ke = (size_t)(c - b);
		cf_trim(b, &ka, &ke);
		va = ke + 1;
		ve = e;
		cf_trim(b, &va, &ve);
		if (ve > va && b[ve - 1] != '"' && b[ve - 1] != '\'') {
			const char *h = memmem(b + va, ve - va, " #", 2);

			if (h)
				ve = (size_t)(h - b);
			cf_trim(b, &va, &ve);
		}
		cf_unquote(b, &va, &ve);
		if (b[a] == '-' && cf_eq(b, ka, ke, "name")) {
			snprintf(user, sizeof(user), "%.*s", (int)(ve - va), b + va);
			continue;
		}
		if (cf_eq(b, ka, ke, "client-key-data")) {
			key_data(s, va, ve, user);
			continue;
		}
		for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
			if (cf_eq(b, ka, ke, secrets[i]))
				cf_emit(s, i == 1 ? CF_PASSWORD : CF_KUBE_TOKEN, va, ve - va,
					b + va, ve - va, i == 1 ? CF_PASSWORDLIKE : CF_SECRET,
					"users[%s] %s", user, secrets[i]);
	}
	return 0;
}
