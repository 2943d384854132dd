// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Trace records (record.h): the bytes of host and clock records, checked. */
#include <errno.h>
#include <string.h>

#include "trace/record.h"

int cw_host_rec_decode(const void *data, size_t len, struct cw_host_rec *out)
{
	const unsigned char *p = data;
	uint32_t k, v;

	if (!p || len < CW_HOST_REC_HDR)
		return -EINVAL;
	out->kind = (uint16_t)(p[0] | p[1] << 8);
	if (p[2] || p[3] || !out->kind || out->kind >= CW_HOST_KIND_MAX)
		return -EINVAL;
	k = cw_get_le32(p + 4);
	v = cw_get_le32(p + 8);
	if ((uint64_t)k + v != len - CW_HOST_REC_HDR)
		return -EINVAL;
	out->key = p + CW_HOST_REC_HDR;
	out->klen = k;
	out->val = p + CW_HOST_REC_HDR + k;
	out->vlen = v;
	return 0;
}

size_t cw_host_rec_encode(void *buf, size_t cap, uint16_t kind, const void *key, size_t klen,
			  const void *val, size_t vlen)
{
	unsigned char *p = buf;

	if (klen > UINT32_MAX || vlen > UINT32_MAX || cap < CW_HOST_REC_HDR ||
	    cap - CW_HOST_REC_HDR < klen || cap - CW_HOST_REC_HDR - klen < vlen)
		return 0;
	cw_host_rec_header(p, kind, (uint32_t)klen, (uint32_t)vlen);
	if (klen)
		memcpy(p + CW_HOST_REC_HDR, key, klen);
	if (vlen)
		memcpy(p + CW_HOST_REC_HDR + klen, val, vlen);
	return CW_HOST_REC_HDR + klen + vlen;
}

int cw_clock_rec_decode(const void *data, size_t len, int64_t *mono_to_real_ns)
{
	if (!data || len != 8)
		return -EINVAL;
	*mono_to_real_ns = (int64_t)cw_get_le64(data);
	return 0;
}

int cw_proc_state_decode(const struct cw_host_rec *r, struct cw_proc_info *i, char *exe, char *root)
{
	const unsigned char *p = r->val, *end = r->val + r->vlen;

	if (r->kind != CW_HOST_PROC_STATE || r->klen != 4 || r->vlen < 9)
		return -EINVAL;
	memset(i, 0, sizeof(*i));
	i->pid = cw_get_le32(r->key);
	i->ppid = cw_get_le32(p);
	i->top = cw_get_le32(p + 4);
	if (p[8] & ~3u)
		return -EINVAL;
	i->gone = p[8] & 1;
	i->root_known = p[8] & 2;
	p += 9;
	if (cw_get_str16(&p, end, exe, CW_PROCS_EXE_MAX) ||
	    cw_get_str16(&p, end, root, CW_PROCS_EXE_MAX) || p != end)
		return -EINVAL;
	i->exe = exe;
	i->root = root;
	return 0;
}

const char *cw_tap_type_name(uint16_t type)
{
	switch (type) {
	case CW_TAP_RAW: return "raw";
	case CW_TAP_HOST: return "host";
	case CW_TAP_TICK: return "tick";
	case CW_TAP_CLOCK: return "clock";
	default: return "?";
	}
}
