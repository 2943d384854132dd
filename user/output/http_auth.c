// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* HTTPS sinks' credentials (see http_auth.h). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/http_auth.h"
#include "util/fileio.h"

#define TOKEN_FILE_MAX 16384

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void cw_http_auth_wipe(struct cw_http_auth *a)
{
	wipe_free(a->header);
	wipe_free(a->userpwd);
	a->header = a->userpwd = NULL;
}

static char *joined(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	if (s) {
		memcpy(s, a, la);
		memcpy(s + la, b, lb + 1);
	}
	return s;
}

static bool starts_with(const char *s, const char *pre)
{
	return !strncmp(s, pre, strlen(pre));
}

/* "Name: value" with Name an HTTP field name (RFC 9110 token, kept to the usual letters). */
static bool is_header_line(const char *s)
{
	const char *p = s;

	while (isalnum((unsigned char)*p) || *p == '-' || *p == '_')
		p++;
	return p > s && p[0] == ':' && p[1] == ' ';
}

static int from_token(enum cw_sink_kind kind, const char *tok, struct cw_http_auth *a)
{
	switch (kind) {
	case CW_SINK_HEC:
		a->header = joined("Authorization: ", tok);
		if (a->header && !starts_with(tok, "Splunk ")) {
			wipe_free(a->header);
			a->header = joined("Authorization: Splunk ", tok);
		}
		break;
	case CW_SINK_BULK:
		if (starts_with(tok, "ApiKey ") || starts_with(tok, "Bearer ") ||
		    starts_with(tok, "Basic "))
			a->header = joined("Authorization: ", tok);
		else if (strchr(tok, ':'))
			a->userpwd = joined("", tok);
		else
			a->header = joined("Authorization: ApiKey ", tok);
		break;
	default:
		if (is_header_line(tok))
			a->header = joined("", tok);
		else
			a->header = joined("Authorization: Bearer ", tok);
		break;
	}
	return a->header || a->userpwd ? 0 : -ENOMEM;
}

int cw_http_auth_load(enum cw_sink_kind kind, const char *path, struct cw_http_auth *a, char *err,
		      size_t errlen)
{
	char *buf = NULL, *tok;
	size_t len = 0, n;
	int ret;

	a->header = a->userpwd = NULL;
	if (!*path) {
		if (kind != CW_SINK_HEC)
			return 0;
		snprintf(err, errlen, "Splunk HEC needs its token: token-file=FILE");
		return -EINVAL;
	}
	ret = cw_read_file(path, TOKEN_FILE_MAX, &buf, &len);
	if (ret) {
		snprintf(err, errlen, "cannot read token file %s: %s", path,
			 ret == -EFBIG ? "larger than 16 KiB" : strerror(-ret));
		return ret;
	}
	tok = buf;
	while (isspace((unsigned char)*tok))
		tok++;
	n = strlen(tok);
	while (n && isspace((unsigned char)tok[n - 1]))
		n--;
	tok[n] = '\0';
	if (!n || strlen(tok) != n || strpbrk(tok, "\r\n")) {
		snprintf(err, errlen, "token file %s: %s", path,
			 !n ? "empty" : "must hold one line of text");
		ret = -EINVAL;
	} else {
		ret = from_token(kind, tok, a);
		if (ret)
			snprintf(err, errlen, "token file %s: out of memory", path);
	}
	explicit_bzero(buf, len);
	free(buf);
	return ret;
}
