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

/* A u16-length string (its length below CW_PROCS_EXE_MAX) at v + n: the new n. */
static size_t put_str16(unsigned char *v, size_t n, const char *s, size_t len)
{
	v[n++] = (unsigned char)len;
	v[n++] = (unsigned char)(len >> 8);
	memcpy(v + n, s, len);
	return n + len;
}

size_t cw_proc_state_encode(const struct cw_proc_info *i, unsigned char k[4],
			    unsigned char v[CW_PROC_STATE_MAX])
{
	size_t el = strnlen(i->exe, CW_PROCS_EXE_MAX - 1);
	size_t rl = i->root_known ? strnlen(i->root, CW_PROCS_EXE_MAX - 1) : 0;

	cw_le32(k, i->pid);
	cw_le32(v, i->ppid);
	cw_le32(v + 4, i->top);
	v[8] = (unsigned char)((i->gone ? 1 : 0) | (i->root_known ? 2 : 0));
	return put_str16(v, put_str16(v, 9, i->exe, el), i->root, rl);
}
