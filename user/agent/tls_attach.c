// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Uprobes attach to a file, not a process: one attachment per (device, inode) serves every
 * process that maps it, host or container. Where in the file they go is tls_symbols.c's.
 * Attachments stay when the last process using a file exits (the next run of a short-lived
 * client finds its probes in place); past CW_TLS_TARGETS_MAX files the least recently used
 * one is detached.
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* A table that cannot grow keeps what it has: the caller is told, nothing exits. */
static bool add_failed;
#define HASH_NONFATAL_OOM 1
#define uthash_nonfatal_oom(elt) (add_failed = true)
#include <uthash.h>

#include "credwatch.h"
#include "credwatch.skel.h"
#include "util/grow.h"
#include "util/log.h"
#include "agent/tls_attach.h"
#include "agent/tls_symbols.h"
#include "host/hostroot.h"
#include "host/procfile.h"

#define LINKS_PER_TARGET 8
#define PROC_PATH_MAX (CW_HOST_ROOT_MAX + 64) /* PROC/PID/exe, PROC under a host root */

struct cw_tls_target {
	uint32_t id;
	bool pinned; /* a system library: kept while the agent runs */
	bool has_exe;
	uint64_t last_use; /* cw_tls_attach.clock when a process last used it */
	dev_t dev;
	ino_t ino;
	struct timespec ctime; /* changed since: its offsets are stale, attached again */
	struct cw_exe_key exe; /* has_exe: its key in the kernel's exe_seen map */
	char path[512];
	struct bpf_link *links[LINKS_PER_TARGET];
	int nlinks;
};

/* A file by identity: the same file through any path or mount namespace, same contents. */
struct cw_file_id {
	dev_t dev;
	ino_t ino;
	int64_t ctime_sec;
	int64_t ctime_nsec;
};

/* Files looked at, in the order first seen (uthash keeps it): the oldest are forgotten first. */
struct cw_tls_checked {
	struct cw_file_id id;
	UT_hash_handle hh;
};

/* A filesystem root whose library directories were looked at (a container's, the host's). */
struct cw_tls_root {
	dev_t dev;
	ino_t ino;
};

/* The set's key: hashed as bytes, so no padding left unset. */
static struct cw_file_id file_id(dev_t dev, ino_t ino, const struct timespec *ctime)
{
	struct cw_file_id id;

	memset(&id, 0, sizeof(id));
	id.dev = dev;
	id.ino = ino;
	id.ctime_sec = ctime->tv_sec;
	id.ctime_nsec = ctime->tv_nsec;
	return id;
}

/* Has this file been looked at? If not, it is now marked as looked at. */
static bool checked_before(struct cw_tls_attach *a, const struct stat *st)
{
	struct cw_file_id id = file_id(st->st_dev, st->st_ino, &st->st_ctim);
	struct cw_tls_checked *c;

	HASH_FIND(hh, a->checked, &id, sizeof(id), c);
	if (c)
		return true;
	if (HASH_COUNT(a->checked) >= CW_TLS_CHECKED_MAX) {
		c = a->checked; /* the oldest: it is only looked at again */
		HASH_DEL(a->checked, c);
		free(c);
		a->checked_forgotten++;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return true; /* cannot remember it: do not attach twice */
	c->id = id;
	add_failed = false;
	HASH_ADD(hh, a->checked, id, sizeof(c->id), c);
	if (add_failed) {
		free(c);
		return true;
	}
	return false;
}

static void forget_checked(struct cw_tls_attach *a, const struct cw_tls_target *t)
{
	struct cw_file_id id = file_id(t->dev, t->ino, &t->ctime);
	struct cw_tls_checked *c;

	HASH_FIND(hh, a->checked, &id, sizeof(id), c);
	if (c) {
		HASH_DEL(a->checked, c);
		free(c);
	}
}

static void free_checked(struct cw_tls_attach *a)
{
	struct cw_tls_checked *c, *tmp;

	HASH_ITER (hh, a->checked, c, tmp) {
		HASH_DEL(a->checked, c);
		free(c);
	}
}

void cw_tls_attach_init(struct cw_tls_attach *a, struct credwatch_bpf *skel, bool inbound)
{
	memset(a, 0, sizeof(*a));
	a->skel = skel;
	a->inbound = inbound;
	a->seen_fd = -1;
	pthread_mutex_init(&a->lock, NULL);
}

void cw_tls_attach_free(struct cw_tls_attach *a)
{
	for (size_t i = 0; i < a->n; i++)
		for (int k = 0; k < a->t[i].nlinks; k++)
			bpf_link__destroy(a->t[i].links[k]);
	free(a->t);
	free_checked(a);
	free(a->scanned);
	free(a->roots);
	pthread_mutex_destroy(&a->lock);
	memset(a, 0, sizeof(*a));
}

/* The entry program for an entry point, and its return program (reads only). */
static struct bpf_program *entry_prog(struct credwatch_bpf *skel, size_t k,
				      struct bpf_program **ret)
{
	*ret = NULL;
	if (cw_tls_entry_points[k].kind != CW_TLS_WRITE) {
		*ret = skel->progs.tls_read_ret;
		if (cw_tls_entry_points[k].kind == CW_TLS_READ_EX)
			return skel->progs.openssl_read_ex;
		return cw_tls_entry_points[k].src == CW_SRC_GNUTLS ? skel->progs.gnutls_recv
								   : skel->progs.openssl_read;
	}
	switch (cw_tls_entry_points[k].src) {
	case CW_SRC_OPENSSL: return skel->progs.openssl_write;
	case CW_SRC_GNUTLS: return skel->progs.gnutls_send;
	case CW_SRC_NSS: return skel->progs.nss_write;
	case CW_SRC_GO: return skel->progs.go_tls_write;
	default: return NULL;
	}
}

/* Attach at a file offset, or by symbol name when the offset is not known (0). */
static bool attach_one(struct cw_tls_attach *a, struct cw_tls_target *t, const char *path, size_t k,
		       struct bpf_program *prog, bool retprobe, uint64_t offset)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = offset ? NULL : cw_tls_entry_points[k].sym,
		    .retprobe = retprobe);
	struct bpf_link *l;

	if (!prog || t->nlinks >= LINKS_PER_TARGET)
		return false;
	l = bpf_program__attach_uprobe_opts(prog, -1, path, offset, &uo);
	if (!l) {
		a->failures++;
		cw_debug("TLS probe %s%s on %s: %s", cw_tls_entry_points[k].sym,
			 retprobe ? " (return)" : "", path, strerror(errno));
		return false;
	}
	t->links[t->nlinks++] = l;
	a->links++;
	return true;
}

/* The target attached to this file, if any. */
static struct cw_tls_target *find_target(struct cw_tls_attach *a, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->t[i].dev == dev && a->t[i].ino == ino)
			return &a->t[i];
	return NULL;
}

static void release(struct cw_tls_attach *a, size_t i);

/* The least recently used target that is not a system library's; a->n when none. */
static size_t least_recent(const struct cw_tls_attach *a)
{
	size_t lru = a->n;

	for (size_t i = 0; i < a->n; i++)
		if (!a->t[i].pinned && (lru == a->n || a->t[i].last_use < a->t[lru].last_use))
			lru = i;
	return lru;
}

/*
 * A new target past the last one (counted in a->n once something attached); pid 0: pinned.
 * When the table is full the least recently used file's probes make room.
 */
static struct cw_tls_target *new_target(struct cw_tls_attach *a, const struct stat *st,
					const char *path, uint32_t pid)
{
	struct cw_tls_target *t;

	if (a->n >= CW_TLS_TARGETS_MAX && least_recent(a) < a->n)
		release(a, least_recent(a));
	if (a->n >= CW_TLS_TARGETS_MAX) {
		if (!a->limit_hits++)
			cw_log("TLS probes: %d system libraries already attached, not attaching %s "
			       "(and later ones: counted)",
			       CW_TLS_TARGETS_MAX, path);
		return NULL;
	}
	if (cw_grow((void **)&a->t, &a->cap, a->n + 1, sizeof(*a->t)))
		return NULL;
	t = &a->t[a->n];
	memset(t, 0, sizeof(*t));
	t->id = ++a->next_id;
	t->pinned = !pid;
	t->last_use = ++a->clock;
	t->dev = st->st_dev;
	t->ino = st->st_ino;
	t->ctime = st->st_ctim;
	snprintf(t->path, sizeof(t->path), "%s", path);
	return t;
}

/* Entry point k's probes: the return probe (reads), then the entry probe where cheapest. */
static void attach_entry_point(struct cw_tls_attach *a, struct cw_tls_target *t, const char *path,
			       size_t k, const struct cw_tls_entry_locs *loc)
{
	struct bpf_program *entry, *ret;

	entry = entry_prog(a->skel, k, &ret);
	/* The return probe first: an entry without its return would leak map slots. */
	if (ret && !attach_one(a, t, path, k, ret, true, loc->off[k]))
		return;
	if (loc->probe[k] == loc->off[k]) {
		attach_one(a, t, path, k, entry, false, loc->off[k]);
	} else if (attach_one(a, t, path, k, entry, false, loc->probe[k])) {
		a->moved++;
		cw_debug("TLS probe %s on %s at +%#llx, an emulated instruction",
			 cw_tls_entry_points[k].sym, path,
			 (unsigned long long)(loc->probe[k] - loc->off[k]));
	} else {
		/* the kernel refused that instruction after all: the entry always works */
		attach_one(a, t, path, k, entry, false, loc->off[k]);
	}
}

/*
 * Look at one file once; attach to its TLS entry points if it has any. pid 0: pinned. A file
 * whose change time moved since its probes went on (rewritten in place) is looked at afresh:
 * the old offsets may fall inside other instructions now. Its target, or NULL.
 */
static struct cw_tls_target *consider(struct cw_tls_attach *a, const char *path, uint32_t pid)
{
	struct cw_tls_entry_locs loc;
	struct cw_tls_target *t;
	struct stat st;

	if (a->off || stat(path, &st) || !S_ISREG(st.st_mode))
		return NULL;
	t = find_target(a, st.st_dev, st.st_ino);
	if (t && (t->ctime.tv_sec != st.st_ctim.tv_sec || t->ctime.tv_nsec != st.st_ctim.tv_nsec)) {
		release(a, (size_t)(t - a->t));
		t = NULL;
	}
	if (t) {
		if (pid)
			t->last_use = ++a->clock;
		return t;
	}
	if (checked_before(a, &st))
		return NULL;
	cw_tls_find_entry_points(path, &loc);
	if (!loc.found || !(t = new_target(a, &st, path, pid)))
		return NULL;
	for (size_t k = 0; k < CW_TLS_ENTRY_POINTS; k++)
		if ((loc.found & (1u << k)) &&
		    (cw_tls_entry_points[k].kind == CW_TLS_WRITE || a->inbound))
			attach_entry_point(a, t, path, k, &loc);
	if (!t->nlinks)
		return NULL;
	cw_debug("TLS probes attached to %s (%d)", path, t->nlinks);
	a->n++;
	return t;
}

/*
 * Detach target i and forget it was checked, so a later user attaches it again; an executable
 * is held at its next exec again (its exe_seen entry goes).
 */
static void release(struct cw_tls_attach *a, size_t i)
{
	struct cw_tls_target *t = &a->t[i];

	for (int k = 0; k < t->nlinks; k++)
		bpf_link__destroy(t->links[k]);
	a->links -= (uint64_t)t->nlinks;
	forget_checked(a, t);
	if (t->has_exe && a->seen_fd >= 0)
		bpf_map_delete_elem(a->seen_fd, &t->exe);
	cw_debug("TLS probes released from %s", t->path);
	a->released++;
	a->t[i] = a->t[--a->n];
}

/* Library directories, below a filesystem root, where the loader finds TLS libraries. */
static const char *const library_patterns[] = {
	"/usr/lib/*-linux-gnu/libssl.so*",
	"/lib/*-linux-gnu/libssl.so*",
	"/usr/lib64/libssl.so*",
	"/usr/lib/libssl.so*",
	"/lib/libssl.so*",
	"/usr/local/lib/libssl.so*",
	"/usr/local/lib64/libssl.so*",
	"/usr/lib/*-linux-gnu/libgnutls.so*",
	"/usr/lib64/libgnutls.so*",
	"/usr/lib/libgnutls.so*",
	"/usr/lib/*-linux-gnu/libnspr4.so",
	"/usr/lib64/libnspr4.so",
	"/usr/lib/libnspr4.so",
};

/*
 * The TLS libraries in root's library directories (root: "" for the agent's own, the host
 * root, or PROC/PID/root), attached before any program there loads them. pid 0: pinned.
 */
static void scan_root(struct cw_tls_attach *a, const char *root, uint32_t pid)
{
	char pat[PATH_MAX];

	for (size_t i = 0; i < sizeof(library_patterns) / sizeof(library_patterns[0]); i++) {
		glob_t g;

		snprintf(pat, sizeof(pat), "%s%s", root, library_patterns[i]);
		if (glob(pat, 0, NULL, &g))
			continue;
		for (size_t k = 0; k < g.gl_pathc; k++)
			consider(a, g.gl_pathv[k], pid);
		globfree(&g);
	}
}

/* Has this root been scanned? If not, it is now marked as scanned. */
static bool root_scanned(struct cw_tls_attach *a, const struct stat *st)
{
	for (size_t i = 0; i < a->nroots; i++)
		if (a->roots[i].dev == st->st_dev && a->roots[i].ino == st->st_ino)
			return true;
	if (cw_grow((void **)&a->roots, &a->caproots, a->nroots + 1, sizeof(*a->roots)))
		return true;
	a->roots[a->nroots++] = (struct cw_tls_root){ st->st_dev, st->st_ino };
	return false;
}

void cw_tls_scan_system(struct cw_tls_attach *a)
{
	struct stat st;

	pthread_mutex_lock(&a->lock);
	/* the host's libraries: its root is ours, or under --host-root */
	if (!stat(cw_host_root_is_set() ? cw_host_root() : "/", &st))
		root_scanned(a, &st);
	scan_root(a, cw_host_root(), 0);
	pthread_mutex_unlock(&a->lock);
}

static bool pid_scanned(struct cw_tls_attach *a, uint32_t pid)
{
	for (size_t i = 0; i < a->nscanned; i++)
		if (a->scanned[i] == pid)
			return true;
	return false;
}

void cw_tls_forget_pid(struct cw_tls_attach *a, uint32_t pid)
{
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->nscanned; i++)
		if (a->scanned[i] == pid) {
			a->scanned[i] = a->scanned[--a->nscanned];
			break;
		}
	pthread_mutex_unlock(&a->lock);
}

const char *const cw_tls_library_names[] = {
	"libssl.so.3",	   "libssl.so.1.1", "libssl.so.1.0.2",
	"libssl.so.1.0.0", "libssl.so",	    "libgnutls.so.30",
	"libgnutls.so.28", "libnspr4.so",   NULL,
};

bool cw_tls_library_name(const char *base)
{
	static const char *const prefixes[] = { "libssl.so", "libgnutls.so", "libnspr4.so" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(base, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

void cw_tls_scan_file(struct cw_tls_attach *a, uint32_t pid, const char *path)
{
	char p[PATH_MAX + CW_HOST_ROOT_MAX + 64];

	if (path[0] != '/')
		return;
	/* Through the process's root: a container's libraries are not the host's. */
	snprintf(p, sizeof(p), "%s/%u/root%s", cw_host_proc(), pid, path);
	pthread_mutex_lock(&a->lock);
	consider(a, p, pid);
	pthread_mutex_unlock(&a->lock);
}

void cw_tls_scan_exe(struct cw_tls_attach *a, uint32_t pid)
{
	char path[PROC_PATH_MAX];

	snprintf(path, sizeof(path), "%s/%u/exe", cw_host_proc(), pid);
	pthread_mutex_lock(&a->lock);
	consider(a, path, pid);
	pthread_mutex_unlock(&a->lock);
}

int cw_tls_inspect_exec(struct cw_tls_attach *a, uint32_t pid, const struct cw_exe_key *exe)
{
	char path[PROC_PATH_MAX];
	struct cw_tls_target *t;
	struct stat st;
	int ret;

	snprintf(path, sizeof(path), "%s/%u/exe", cw_host_proc(), pid);
	pthread_mutex_lock(&a->lock);
	if (stat(path, &st)) {
		pthread_mutex_unlock(&a->lock);
		return -errno;
	}
	t = consider(a, path, pid);
	if (t) {
		t->exe = *exe;
		t->has_exe = true;
	}
	ret = t ? 1 : 0;
	/* its libraries, wherever its loader will look for them (once per root) */
	snprintf(path, sizeof(path), "%s/%u/root", cw_host_proc(), pid);
	if (!a->off && !stat(path, &st) && !root_scanned(a, &st))
		scan_root(a, path, pid);
	pthread_mutex_unlock(&a->lock);
	return ret;
}

/* One process's executable file mappings, attached; the caller holds the lock. */
static void scan_maps(struct cw_tls_attach *a, uint32_t pid)
{
	char maps[PROC_PATH_MAX], line[1024], path[PROC_PATH_MAX + 1024];
	FILE *f;

	if (a->off || pid_scanned(a, pid))
		return;
	if (cw_grow((void **)&a->scanned, &a->capscanned, a->nscanned + 1, sizeof(*a->scanned)))
		return;
	a->scanned[a->nscanned++] = pid;
	snprintf(maps, sizeof(maps), "%s/%u/maps", cw_host_proc(), pid);
	f = fopen(maps, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *file = cw_maps_exec_file(line);

		if (!file)
			continue;
		/* Through the process's root: a container's libraries are not the host's. */
		snprintf(path, sizeof(path), "%s/%u/root%s", cw_host_proc(), pid, file);
		consider(a, path, pid);
	}
	fclose(f);
}

void cw_tls_scan_pid(struct cw_tls_attach *a, uint32_t pid)
{
	pthread_mutex_lock(&a->lock);
	scan_maps(a, pid);
	pthread_mutex_unlock(&a->lock);
}

void cw_tls_scan_all(struct cw_tls_attach *a)
{
	DIR *d = opendir(cw_host_proc());
	struct dirent *e;

	if (!d)
		return;
	pthread_mutex_lock(&a->lock);
	while ((e = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(e->d_name, &end, 10);

		if (*end || !pid)
			continue;
		scan_maps(a, (uint32_t)pid);
	}
	pthread_mutex_unlock(&a->lock);
	closedir(d);
}
