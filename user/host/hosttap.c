// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The host tap (hosttap.h): one hook, set by the agent, for every host module. */
#include <errno.h>
#include <string.h>

#include "host/hosttap.h"

static struct cw_host_tap tap;

void cw_host_tap_set(const struct cw_host_tap *t)
{
	if (t)
		tap = *t;
	else
		memset(&tap, 0, sizeof(tap));
}

bool cw_host_replaying(void)
{
	return tap.recall != NULL;
}

bool cw_host_recording(void)
{
	return tap.record != NULL;
}

void cw_host_note(uint16_t kind, const void *key, size_t klen, const void *val, size_t vlen)
{
	if (tap.record)
		tap.record(tap.arg, kind, key, klen, val, vlen);
}

const void *cw_host_recall(uint16_t kind, const void *key, size_t klen, size_t *vlen)
{
	*vlen = 0;
	return tap.recall ? tap.recall(tap.arg, kind, key, klen, vlen) : NULL;
}

int cw_get_str16(const unsigned char **p, const unsigned char *end, char *dst, size_t cap)
{
	size_t n;

	if (end - *p < 2)
		return -EINVAL;
	n = (size_t)(*p)[0] | (size_t)(*p)[1] << 8;
	*p += 2;
	if ((size_t)(end - *p) < n || n >= cap || memchr(*p, '\0', n))
		return -EINVAL;
	memcpy(dst, *p, n);
	dst[n] = '\0';
	*p += n;
	return 0;
}
