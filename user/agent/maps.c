// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Map setup. The policy's watch list goes into the kernel as a prefilter: a hash map of name,
 * extension, directory and path-component hashes, with a bitmap in front of it that most
 * opens stop at. Then the connection and file handlers are handed the kernel maps they read
 * and update.
 */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "credwatch.skel.h"
#include "agent/state.h"
#include "util/hash.h"
#include "util/log.h"

/* A directory as the kernel hashes it: the fold of its components' hashes. */
static __u64 watch_dir_hash(const char *dir)
{
	__u64 h = CW_FNV_OFFSET;

	while (*dir) {
		size_t n = strcspn(dir, "/");

		if (n)
			h = (h ^ cw_fnv1a(CW_FNV_OFFSET, dir, n)) * CW_FNV_PRIME;
		dir += n + (dir[n] == '/');
	}
	return h;
}

static void set_bloom_bit(struct cw_agent *a, __u64 hash, __u32 kind)
{
	__u32 bit = cw_watch_bloom_bit(hash, kind);

	a->skel->bss->cw_watch_bloom[bit >> 6] |= 1ull << (bit & 63);
}

/* The old entries go first (a reload). */
static void clear_watch(struct cw_agent *a, int fd)
{
	struct cw_watch_key next;

	/* Readers of the bitmap may see it half-built during a reload: at worst a few opens go
	 * to the map lookup, or one is missed, while it changes. */
	memset(a->skel->bss->cw_watch_bloom, 0, sizeof(a->skel->bss->cw_watch_bloom));
	while (!bpf_map_get_next_key(fd, NULL, &next))
		bpf_map_delete_elem(fd, &next);
}

/* Each of the prefilter's sets under its kind; a full map is an error naming the entry. */
static int add_prefilter(struct cw_agent *a, int fd, const struct cw_prefilter *pf)
{
	const struct cw_strv *sets[] = { &pf->names, &pf->exts, &pf->dirs, &pf->comps };
	const __u32 kinds[] = { CW_WATCH_NAME, CW_WATCH_EXT, CW_WATCH_DIR, CW_WATCH_COMP };
	__u8 one = CW_WATCH_CRED;
	struct cw_watch_key k;
	int ret;

	a->watch_entries = 0;
	for (size_t s = 0; s < 4; s++)
		for (size_t i = 0; i < sets[s]->n; i++) {
			const char *p = sets[s]->v[i];
			__u64 h = kinds[s] == CW_WATCH_DIR ? watch_dir_hash(p)
							   : cw_fnv1a(CW_FNV_OFFSET, p, strlen(p));
			memset(&k, 0, sizeof(k));
			k.hash = h;
			k.kind = kinds[s];
			if (bpf_map_update_elem(fd, &k, &one, BPF_ANY)) {
				ret = -errno;
				cw_log("watch prefilter map full at '%s': %s (at most %d entries)",
				       sets[s]->v[i], strerror(-ret), 4 * CW_WATCH_MAX);
				return ret;
			}
			set_bloom_bit(a, h, kinds[s]);
			a->watch_entries++;
		}
	return 0;
}

/* TLS libraries being loaded: their probes go on before the process's first write. */
static void add_tls_libraries(struct cw_agent *a, int fd)
{
	struct cw_watch_key k;

	for (size_t i = 0; cw_tls_library_names[i]; i++) {
		const char *p = cw_tls_library_names[i];
		__u8 val = CW_WATCH_TLS_LIB, cur;

		memset(&k, 0, sizeof(k));
		k.hash = cw_fnv1a(CW_FNV_OFFSET, p, strlen(p));
		k.kind = CW_WATCH_NAME;
		if (!bpf_map_lookup_elem(fd, &k, &cur))
			val |= cur; /* also a credential file's name: both */
		if (bpf_map_update_elem(fd, &k, &val, BPF_ANY))
			continue;
		set_bloom_bit(a, k.hash, CW_WATCH_NAME);
	}
}

int cw_agent_fill_watch(struct cw_agent *a)
{
	struct cw_prefilter pf = { 0 };
	int fd = bpf_map__fd(a->skel->maps.watch), ret;

	clear_watch(a, fd);
	ret = cw_policy_prefilter(&a->policy, &pf);
	if (ret) {
		cw_log("cannot build the watch prefilter: %s", strerror(-ret));
		return ret;
	}
	ret = add_prefilter(a, fd, &pf);
	cw_prefilter_free(&pf);
	if (ret)
		return ret;
	add_tls_libraries(a, fd);
	return 0;
}

int cw_agent_connect_maps(struct cw_agent *a, const struct cw_agent_opts *o)
{
	int ret = cw_conns_init(&a->egress, &a->deps,
				&(struct cw_conns_kernel){
					.conns_map_fd = bpf_map__fd(a->skel->maps.conns),
					.bound_map_fd = bpf_map__fd(a->skel->maps.tls_bound),
					.captured_map_fd = bpf_map__fd(a->skel->maps.tls_captured),
					.fd_marks = a->skel->bss->cw_fd_marks,
				});

	if (ret) {
		cw_log("cannot set up egress tracking: %s", strerror(-ret));
		return ret;
	}
	a->files.files_map_fd = bpf_map__fd(a->skel->maps.files);
	a->files.fd_marks = a->skel->bss->cw_fd_marks;
	a->files.capture_reads = o->capture_reads;
	a->files.file_cap = o->file_cap;
	return 0;
}
