// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Workload identity: cgroup id -> cgroup v2 path -> container, pod, unit. The path comes from
 * /proc/PID/cgroup when the pid is known (checked against the id: a process may have moved),
 * else from a walk of the hierarchy; names come from the kubelet's log directories.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host/mountinfo.h"
#include "host/workload.h"
#include "host/workload_test.h"
#include "util/log.h"
#include "util/table.h"

#define NSEC_PER_SEC 1000000000LL
#define WL_MAX_ENTRIES 4096
#define WALK_INTERVAL_NS NSEC_PER_SEC /* a full walk costs: at most one a second */
#define NEG_TTL_NS (2 * NSEC_PER_SEC)
/* log dirs appear a moment after the cgroup; for a pod without any, look less and less often */
#define NAMES_RETRY_NS (2 * NSEC_PER_SEC)
#define NAMES_RETRY_MAX_NS (64 * NSEC_PER_SEC)
#define WALK_MAX_DEPTH 32
#define WALK_MAX_DIRS 65536
#define PATH_MAX_COMPONENTS 64
#define ID_HEX 64

struct wl_entry {
	struct cw_workload wl;
	char *path;	       /* below the root, whatever its length; NULL: not found */
	int64_t expires_ns;    /* not found: when to look again */
	int64_t names_next_ns; /* when pod/container names may be looked up again */
	int64_t names_backoff_ns;
	UT_hash_handle hh;		      /* by wl.cgroup_id */
	struct wl_entry *lru_prev, *lru_next; /* least recently used first */
};

/* A directory seen by the last walk. */
struct wl_seen {
	uint64_t id;
	char *path;
};

struct cw_workloads {
	char *root, *pods_dir, *containers_dir, *proc_dir;
	bool have_root; /* false: no hierarchy to look in, every cgroup unknown */
	uint64_t root_ino;
	dev_t root_dev;
	struct wl_entry *by_id; /* the cache, by cgroup id */
	struct wl_entry *lru;	/* the same entries, least recently used first */
	struct wl_seen *seen;	/* sorted by id */
	size_t nseen;
	bool walked;
	int64_t last_walk_ns;
	int64_t clock_offset_ns;
	struct cw_workload unknown; /* handed out when an entry cannot be allocated */
};

/* ---- parsing ---- */

struct comp {
	const char *s;
	size_t n;
};

static bool comp_is(const struct comp *c, const char *s)
{
	return c->n == strlen(s) && !memcmp(c->s, s, c->n);
}

static bool has_prefix(const char *s, size_t n, const char *pre)
{
	size_t pl = strlen(pre);

	return n >= pl && !memcmp(s, pre, pl);
}

static bool has_suffix(const char *s, size_t n, const char *suf)
{
	size_t sl = strlen(suf);

	return n >= sl && !memcmp(s + n - sl, suf, sl);
}

static bool is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool is_id64(const char *s, size_t n)
{
	return n == ID_HEX && is_lower_hex(s, n);
}

/*
 * A pod UID: a UUID (8-4-4-4-12 lowercase hex, sep between the groups: '-' in cgroupfs and log
 * directory names, '_' in systemd slice names, where '-' is the hierarchy separator), or the 32
 * hex of a static pod's config hash. out receives the dashed form, as the API shows it.
 */
static bool parse_uid(const char *s, size_t n, char sep, char out[40])
{
	if (n == 32 && is_lower_hex(s, n)) {
		memcpy(out, s, n);
		out[n] = '\0';
		return true;
	}
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != sep)
				return false;
			out[i] = '-';
		} else if (is_lower_hex(s + i, 1)) {
			out[i] = s[i];
		} else {
			return false;
		}
	}
	out[n] = '\0';
	return true;
}

/*
 * Is component i a pod's cgroup? systemd driver: [PARENT-]kubepods[-QOS]-pod<UID>.slice (also
 * the slice part of containerd's "slice:prefix:id" form); cgroupfs driver: pod<UID> below
 * kubepods or kubepods/QOS.
 */
static bool parse_pod(const struct comp *c, size_t i, char uid[40], const char **qos)
{
	const char *s = c[i].s, *colon = memchr(s, ':', c[i].n), *p, *end;
	size_t n = colon ? (size_t)(colon - s) : c[i].n;

	if (has_suffix(s, n, ".slice")) {
		end = s + n - 6;
		for (p = s; p < end; p++) {
			p = memmem(p, (size_t)(end - p), "kubepods-", 9);
			if (!p || p == s || p[-1] == '-')
				break;
		}
		if (!p || p >= end)
			return false;
		p += 9;
		*qos = "guaranteed";
		if (has_prefix(p, (size_t)(end - p), "besteffort-")) {
			*qos = "besteffort";
			p += 11;
		} else if (has_prefix(p, (size_t)(end - p), "burstable-")) {
			*qos = "burstable";
			p += 10;
		}
		if (!has_prefix(p, (size_t)(end - p), "pod"))
			return false;
		p += 3;
		return parse_uid(p, (size_t)(end - p), '_', uid);
	}
	if (colon || !has_prefix(s, n, "pod") || !parse_uid(s + 3, n - 3, '-', uid))
		return false;
	if (i >= 1 && comp_is(&c[i - 1], "kubepods")) {
		*qos = "guaranteed";
		return true;
	}
	if (i >= 2 && comp_is(&c[i - 2], "kubepods")) {
		if (comp_is(&c[i - 1], "besteffort"))
			*qos = "besteffort";
		else if (comp_is(&c[i - 1], "burstable"))
			*qos = "burstable";
		else
			return false;
		return true;
	}
	return false;
}

static const struct {
	const char *prefix, *runtime;
} runtimes[] = {
	{ "cri-containerd-", "containerd" },
	{ "crio-", "cri-o" }, /* crio-conmon-<id> (the monitor) does not parse: no id */
	{ "docker-", "docker" },
	{ "libpod-", "podman" },
};

static void set_container(struct cw_workload *out, const char *id, const char *runtime)
{
	memcpy(out->container_id, id, ID_HEX);
	out->container_id[ID_HEX] = '\0';
	snprintf(out->runtime, sizeof(out->runtime), "%s", runtime);
}

/*
 * A container's cgroup: PREFIX<64 hex>[.scope], or a bare <64 hex> when bare_runtime says
 * whose it would be (NULL: not accepted here).
 */
static bool parse_container(const struct comp *c, const char *bare_runtime, struct cw_workload *out)
{
	size_t n = c->n;

	if (n == ID_HEX) {
		if (!bare_runtime || !is_id64(c->s, n))
			return false;
		set_container(out, c->s, bare_runtime);
		return true;
	}
	if (has_suffix(c->s, n, ".scope"))
		n -= 6;
	for (size_t r = 0; r < sizeof(runtimes) / sizeof(runtimes[0]); r++) {
		size_t pl = strlen(runtimes[r].prefix);

		if (n == pl + ID_HEX && !memcmp(c->s, runtimes[r].prefix, pl) &&
		    is_id64(c->s + pl, ID_HEX)) {
			set_container(out, c->s + pl, runtimes[r].runtime);
			return true;
		}
	}
	return false;
}

/* containerd's systemd_cgroup form taken as a plain path: SLICE:PREFIX:ID, prefix without '-'. */
static bool parse_colon_container(const struct comp *c, struct cw_workload *out)
{
	const char *a = memchr(c->s, ':', c->n), *b, *end = c->s + c->n;

	if (!a)
		return false;
	b = memchr(a + 1, ':', (size_t)(end - a - 1));
	if (!b || !is_id64(b + 1, (size_t)(end - b - 1)))
		return false;
	for (size_t r = 0; r < sizeof(runtimes) / sizeof(runtimes[0]); r++) {
		size_t pl = strlen(runtimes[r].prefix) - 1;

		if ((size_t)(b - a - 1) == pl && !memcmp(a + 1, runtimes[r].prefix, pl)) {
			set_container(out, b + 1, runtimes[r].runtime);
			return true;
		}
	}
	return false;
}

/* Characters Kubernetes uses in generated name suffixes (apimachinery's rand.String). */
static bool gen_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr("bcdfghjklmnpqrstvwxz2456789", s[i]))
			return false;
	return n > 0;
}

/*
 * The name of the controller that made a pod: a Deployment's pods are NAME-HASH-XXXXX (the
 * ReplicaSet's pod-template hash, then five generated characters), a DaemonSet's or a Job's
 * NAME-XXXXX. Replicas are one workload: they load the same credentials by design. Other
 * names (StatefulSet ordinals, bare pods) are kept whole.
 */
size_t cw_workload_owner_len(const char *pod)
{
	size_t n = strlen(pod);
	const char *d = strrchr(pod, '-');

	if (!d || d == pod || (size_t)(pod + n - d - 1) != 5 || !gen_chars(d + 1, 5))
		return n;
	n = (size_t)(d - pod);
	for (const char *h = d - 1; h > pod; h--)
		if (*h == '-') {
			size_t hl = (size_t)(d - h - 1);

			if (hl >= 6 && hl <= 10 && gen_chars(h + 1, hl))
				n = (size_t)(h - pod);
			break;
		}
	return n;
}

static void set_key(struct cw_workload *wl)
{
	int n;

	wl->key[0] = '\0';
	if (wl->pod_namespace[0] && wl->pod_name[0]) {
		n = snprintf(wl->key, sizeof(wl->key), "k8s:%s/%.*s", wl->pod_namespace,
			     (int)cw_workload_owner_len(wl->pod_name), wl->pod_name);
		/* a cut name could collide with another pod's: the UID then */
		if (n > 0 && (size_t)n < sizeof(wl->key))
			return;
	}
	if (wl->pod_uid[0])
		snprintf(wl->key, sizeof(wl->key), "pod:%s", wl->pod_uid);
	else if (wl->container_id[0])
		snprintf(wl->key, sizeof(wl->key), "container:%.12s", wl->container_id);
	else if (wl->unit[0])
		snprintf(wl->key, sizeof(wl->key), "unit:%s", wl->unit);
}

void cw_workload_parse_path(const char *path, struct cw_workload *out)
{
	struct comp c[PATH_MAX_COMPONENTS];
	const char *qos = NULL, *p;
	char uid[40];
	uint64_t id = out->cgroup_id;
	size_t nc = 0, len;
	long pod = -1, anchor = -1, i;

	memset(out, 0, sizeof(*out));
	out->cgroup_id = id;
	if (!path || path[0] != '/')
		return;
	len = strlen(path);
	/* an over-long path is not cut (a cut one would match the wrong globs), only omitted */
	if (len < sizeof(out->cgroup))
		memcpy(out->cgroup, path, len + 1);
	for (p = path; *p;) {
		const char *start;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && *p != '/')
			p++;
		/* "/.." is how another cgroup namespace's path looks: nothing to trust in it */
		if (nc == PATH_MAX_COMPONENTS || (p - start == 1 && start[0] == '.') ||
		    (p - start == 2 && start[0] == '.' && start[1] == '.'))
			return;
		c[nc].s = start;
		c[nc++].n = (size_t)(p - start);
	}

	/* the innermost pod: kind and nested nodes have their own kubepods below a container */
	for (i = (long)nc - 1; i >= 0; i--) {
		if (parse_pod(c, (size_t)i, uid, &qos)) {
			pod = i;
			break;
		}
	}
	if (pod >= 0) {
		memcpy(out->pod_uid, uid, sizeof(uid));
		snprintf(out->qos, sizeof(out->qos), "%s", qos);
		anchor = pod;
		if (memchr(c[pod].s, ':', c[pod].n))
			parse_colon_container(&c[pod], out);
		else if (pod + 1 < (long)nc && parse_container(&c[pod + 1], "", out))
			anchor = pod + 1;
	} else {
		for (i = (long)nc - 1; i >= 0; i--) {
			const char *bare = i > 0 && comp_is(&c[i - 1], "docker") ? "docker" : NULL;

			if (parse_container(&c[i], bare, out)) {
				anchor = i;
				break;
			}
		}
	}
	/*
	 * The unit: the innermost service below the container, if any (user@UID.service only
	 * when no service runs below it). containerd.service above a pod is not the workload.
	 */
	for (i = (long)nc - 1; i > anchor; i--) {
		if (c[i].n > 8 && has_suffix(c[i].s, c[i].n, ".service")) {
			if (c[i].n < sizeof(out->unit)) {
				memcpy(out->unit, c[i].s, c[i].n);
				out->unit[c[i].n] = '\0';
			}
			break;
		}
	}
	set_key(out);
}

/* ---- pod and container names ---- */

static bool copy_field(char *dst, size_t cap, const char *s, size_t n)
{
	if (!n || n >= cap)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

/*
 * CONTAINERS/<pod>_<namespace>_<container>-<id>.log: '_' is in none of those names (DNS
 * labels and subdomains), so the split is exact. Fills the container name, and the pod's
 * names if still unknown.
 */
static void names_from_containers(const struct cw_workloads *w, struct cw_workload *wl)
{
	struct dirent *de;
	DIR *d = opendir(w->containers_dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *s = de->d_name, *u1, *u2, *end;
		size_t n = strlen(s);

		if (n < 6 + ID_HEX + 4 || !has_suffix(s, n, ".log"))
			continue;
		end = s + n - 4 - ID_HEX;
		if (memcmp(end, wl->container_id, ID_HEX) || end[-1] != '-')
			continue;
		end--;
		u1 = memchr(s, '_', (size_t)(end - s));
		u2 = u1 ? memchr(u1 + 1, '_', (size_t)(end - u1 - 1)) : NULL;
		if (!u2 || memchr(u2 + 1, '_', (size_t)(end - u2 - 1)))
			continue;
		if (!copy_field(wl->container_name, sizeof(wl->container_name), u2 + 1,
				(size_t)(end - u2 - 1)))
			continue;
		if (!wl->pod_name[0] &&
		    copy_field(wl->pod_name, sizeof(wl->pod_name), s, (size_t)(u1 - s)) &&
		    !copy_field(wl->pod_namespace, sizeof(wl->pod_namespace), u1 + 1,
				(size_t)(u2 - u1 - 1)))
			wl->pod_name[0] = '\0';
		break;
	}
	closedir(d);
}

/* The only container directory in a pod's log directory, or nothing. */
static void single_container(int pdfd, struct cw_workload *wl)
{
	char name[sizeof(wl->container_name)] = "";
	struct dirent *de;
	struct stat st;
	int count = 0;
	DIR *d = fdopendir(pdfd);

	if (!d) {
		close(pdfd);
		return;
	}
	while ((de = readdir(d)) && count < 2) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type != DT_DIR &&
		    (de->d_type != DT_UNKNOWN ||
		     fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		     !S_ISDIR(st.st_mode)))
			continue;
		if (!count++ && !copy_field(name, sizeof(name), de->d_name, strlen(de->d_name)))
			count = 2; /* a name that does not fit is not a guess to make */
	}
	closedir(d);
	if (count == 1)
		memcpy(wl->container_name, name, sizeof(name));
}

/*
 * PODS/<namespace>_<pod>_<uid>/<container>/: the pod's names, and the container's when the
 * pod has only one (a container whose log link is not there yet, or has none).
 */
static void names_from_pods(const struct cw_workloads *w, struct cw_workload *wl)
{
	size_t ul = strlen(wl->pod_uid);
	struct dirent *de;
	DIR *d = opendir(w->pods_dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *s = de->d_name, *u, *end;
		size_t n = strlen(s);
		int fd;

		if (n < ul + 4 || memcmp(s + n - ul, wl->pod_uid, ul) || s[n - ul - 1] != '_')
			continue;
		end = s + n - ul - 1;
		u = memchr(s, '_', (size_t)(end - s));
		if (!u || memchr(u + 1, '_', (size_t)(end - u - 1)))
			continue;
		if (!wl->pod_name[0]) {
			if (!copy_field(wl->pod_namespace, sizeof(wl->pod_namespace), s,
					(size_t)(u - s)) ||
			    !copy_field(wl->pod_name, sizeof(wl->pod_name), u + 1,
					(size_t)(end - u - 1))) {
				wl->pod_namespace[0] = wl->pod_name[0] = '\0';
				continue;
			}
		}
		if (wl->container_id[0] && !wl->container_name[0]) {
			fd = openat(dirfd(d), s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				single_container(fd, wl);
		}
		break;
	}
	closedir(d);
}

static bool needs_names(const struct cw_workload *wl)
{
	return wl->pod_uid[0] &&
	       (!wl->pod_name[0] || (wl->container_id[0] && !wl->container_name[0]));
}

static void lookup_names(const struct cw_workloads *w, struct wl_entry *e, int64_t now)
{
	struct cw_workload *wl = &e->wl;

	/* the exact id match first: the single-container guess must not win over it */
	if (wl->container_id[0] && !wl->container_name[0])
		names_from_containers(w, wl);
	if (!wl->pod_name[0] || (wl->container_id[0] && !wl->container_name[0]))
		names_from_pods(w, wl);
	set_key(wl);
	e->names_backoff_ns = e->names_backoff_ns ? e->names_backoff_ns * 2 : NAMES_RETRY_NS;
	if (e->names_backoff_ns > NAMES_RETRY_MAX_NS)
		e->names_backoff_ns = NAMES_RETRY_MAX_NS;
	e->names_next_ns = now + e->names_backoff_ns;
}

/* ---- finding the path ---- */

static int64_t now_ns(const struct cw_workloads *w)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec + w->clock_offset_ns;
}

void cw_workloads_advance_clock(struct cw_workloads *w, int64_t ns)
{
	w->clock_offset_ns += ns;
}

/* Is ROOT/path the cgroup id? (Its directory's inode number on cgroup2.) */
static bool path_is(const struct cw_workloads *w, const char *path, uint64_t id)
{
	char full[PATH_MAX];
	struct stat st;
	int n = snprintf(full, sizeof(full), "%s%s", w->root, path);

	return n > 0 && (size_t)n < sizeof(full) && !lstat(full, &st) && S_ISDIR(st.st_mode) &&
	       (uint64_t)st.st_ino == id && st.st_dev == w->root_dev;
}

/* The cgroup v2 path of pid from its "0::PATH" line, or NULL. */
static char *path_from_proc(const struct cw_workloads *w, uint32_t pid)
{
	char file[PATH_MAX], *line = NULL, *path = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	if (snprintf(file, sizeof(file), "%s/%u/cgroup", w->proc_dir, pid) >= (int)sizeof(file))
		return NULL;
	f = fopen(file, "re");
	if (!f)
		return NULL;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		/* "/.." (another cgroup namespace's view) must not lead out of the root */
		if (n > 3 && !strncmp(line, "0::/", 4) && !strstr(line, "/./") &&
		    !strstr(line, "/../") && !has_suffix(line, (size_t)n, "/.") &&
		    !has_suffix(line, (size_t)n, "/..")) {
			path = strdup(line + 3);
			break;
		}
	}
	free(line);
	fclose(f);
	return path;
}

struct walk {
	const struct cw_workloads *w;
	struct wl_seen *v;
	size_t n, cap;
	char path[PATH_MAX];
	size_t len;
};

static void walk_dir(struct walk *wk, int dfd, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d = fdopendir(dfd);

	if (!d) {
		close(dfd);
		return;
	}
	while ((de = readdir(d)) && wk->n < WALK_MAX_DIRS) {
		size_t nl = strlen(de->d_name), saved = wk->len;
		int cfd;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue; /* the control files: most of what a cgroup dir holds */
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISDIR(st.st_mode) || st.st_dev != wk->w->root_dev)
			continue;
		if (wk->len + 1 + nl >= sizeof(wk->path))
			continue;
		wk->path[wk->len] = '/';
		memcpy(wk->path + wk->len + 1, de->d_name, nl + 1);
		wk->len += 1 + nl;
		if (wk->n == wk->cap) {
			size_t ncap = wk->cap ? wk->cap * 2 : 256;
			struct wl_seen *nv = realloc(wk->v, ncap * sizeof(*nv));

			if (!nv)
				break;
			wk->v = nv;
			wk->cap = ncap;
		}
		wk->v[wk->n].id = (uint64_t)st.st_ino;
		wk->v[wk->n].path = strdup(wk->path);
		if (wk->v[wk->n].path)
			wk->n++;
		if (depth < WALK_MAX_DEPTH) {
			cfd = openat(dirfd(d), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd >= 0)
				walk_dir(wk, cfd, depth + 1);
		}
		wk->len = saved;
		wk->path[saved] = '\0';
	}
	closedir(d);
}

static int seen_cmp(const void *a, const void *b)
{
	const struct wl_seen *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void seen_clear(struct cw_workloads *w)
{
	for (size_t i = 0; i < w->nseen; i++)
		free(w->seen[i].path);
	free(w->seen);
	w->seen = NULL;
	w->nseen = 0;
}

static struct wl_seen *seen_find(const struct cw_workloads *w, uint64_t id)
{
	struct wl_seen key = { .id = id };

	if (!w->nseen)
		return NULL;
	return bsearch(&key, w->seen, w->nseen, sizeof(*w->seen), seen_cmp);
}

/* Walk the whole hierarchy once, remembering every cgroup seen: the next misses are free. */
static void walk(struct cw_workloads *w)
{
	struct walk *wk = calloc(1, sizeof(*wk));
	int fd;

	if (!wk)
		return;
	wk->w = w;
	fd = open(*w->root ? w->root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		walk_dir(wk, fd, 1);
	qsort(wk->v, wk->n, sizeof(*wk->v), seen_cmp);
	seen_clear(w);
	w->seen = wk->v;
	w->nseen = wk->n;
	free(wk);
}

/*
 * The path of cgroup id, or NULL with *retry_ns set to when it is worth looking again.
 */
static char *find_path(struct cw_workloads *w, uint64_t id, uint32_t pid, int64_t now,
		       int64_t *retry_ns)
{
	struct wl_seen *s;
	char *path;

	if (id == 1 || (w->have_root && id == w->root_ino))
		return strdup("/");
	if (!w->have_root)
		return NULL;
	if (pid) {
		path = path_from_proc(w, pid);
		if (path && path_is(w, path, id))
			return path;
		free(path);
	}
	s = seen_find(w, id);
	if (s && path_is(w, s->path, id))
		return strdup(s->path);
	if (w->walked && now - w->last_walk_ns < WALK_INTERVAL_NS) {
		*retry_ns = w->last_walk_ns + WALK_INTERVAL_NS;
		return NULL;
	}
	walk(w);
	w->walked = true;
	w->last_walk_ns = now;
	*retry_ns = now + NEG_TTL_NS;
	s = seen_find(w, id);
	if (s && path_is(w, s->path, id))
		return strdup(s->path);
	return NULL;
}

/* ---- the cache ---- */

static struct wl_entry *lookup(const struct cw_workloads *w, uint64_t id)
{
	struct wl_entry *e;

	HASH_FIND(hh, w->by_id, &id, sizeof(id), e);
	return e;
}

static void drop(struct cw_workloads *w, struct wl_entry *e)
{
	HASH_DEL(w->by_id, e);
	DL_DELETE2(w->lru, e, lru_prev, lru_next);
	free(e->path);
	free(e);
}

static char *dup_or_default(const char *s, const char *def)
{
	return strdup(s ? s : def);
}

/* The mount point of the cgroup2 hierarchy, from PROC/mounts; says why when there is none. */
static int find_cgroup2(const char *proc, char **out)
{
	char file[PATH_MAX], *line = NULL;
	size_t cap = 0;
	int ret = -ENOENT;
	FILE *f;

	snprintf(file, sizeof(file), "%s/mounts", proc);
	f = fopen(file, "re");
	if (!f) {
		ret = -errno;
		cw_log("cannot read %s: %s: workloads are named by executable and uid", file,
		       strerror(-ret));
		return ret;
	}
	while (getline(&line, &cap, f) > 0) {
		char *save, *dev = strtok_r(line, " \t\n", &save);
		char *mnt = dev ? strtok_r(NULL, " \t\n", &save) : NULL;
		char *type = mnt ? strtok_r(NULL, " \t\n", &save) : NULL;

		if (!type || strcmp(type, "cgroup2"))
			continue;
		cw_mountinfo_unescape(mnt); /* "\040" for a space */
		*out = strdup(mnt);
		ret = *out ? 0 : -ENOMEM;
		break;
	}
	free(line);
	fclose(f);
	if (ret == -ENOENT)
		cw_log("no cgroup v2 mount in %s: workloads are named by executable and uid", file);
	return ret;
}

int cw_workloads_new(const struct cw_workload_opts *o, struct cw_workloads **out)
{
	static const struct cw_workload_opts none;
	struct cw_workloads *w;
	struct stat st;
	int err;

	*out = NULL;
	if (!o)
		o = &none;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->proc_dir = dup_or_default(o->proc_dir, "/proc");
	w->pods_dir = dup_or_default(o->pods_dir, "/var/log/pods");
	w->containers_dir = dup_or_default(o->containers_dir, "/var/log/containers");
	if (!w->proc_dir || !w->pods_dir || !w->containers_dir) {
		err = -ENOMEM;
		goto cleanup;
	}
	/*
	 * No cgroup v2 hierarchy to look in is not fatal: the agent still runs, naming every
	 * workload by executable and uid.
	 */
	if (o->cgroup_root) {
		w->root = strdup(o->cgroup_root);
		err = w->root ? 0 : -ENOMEM;
	} else {
		err = find_cgroup2(w->proc_dir, &w->root);
	}
	if (err == -ENOMEM)
		goto cleanup;
	if (w->root) {
		/* paths are joined as ROOT + "/a/b": no trailing slash (the root "/" becomes "") */
		for (size_t n = strlen(w->root); n && w->root[n - 1] == '/'; n--)
			w->root[n - 1] = '\0';
		if (stat(*w->root ? w->root : "/", &st) == 0 && S_ISDIR(st.st_mode)) {
			w->have_root = true;
			w->root_ino = (uint64_t)st.st_ino;
			w->root_dev = st.st_dev;
		} else {
			cw_debug("cgroup root %s: not a directory: workloads are named by "
				 "executable and uid",
				 w->root);
		}
	}
	*out = w;
	return 0;
cleanup:
	cw_workloads_free(w);
	return err;
}

void cw_workloads_free(struct cw_workloads *w)
{
	if (!w)
		return;
	while (w->lru)
		drop(w, w->lru);
	seen_clear(w);
	free(w->root);
	free(w->pods_dir);
	free(w->containers_dir);
	free(w->proc_dir);
	free(w);
}

/*
 * May this cgroup name the pod or container it says? A pod's must be made by root outside the
 * per-user systemd subtrees (a user may create cgroups there, named after anyone's pod). A
 * container's too, except in those subtrees: that is where rootless podman's live.
 */
static bool trusted_cgroup(const struct cw_workloads *w, const char *path, bool pod)
{
	char full[PATH_MAX];
	struct stat st;
	bool user = strstr(path, "/user.slice/") || strstr(path, "/user@");

	if (user)
		return !pod;
	if (snprintf(full, sizeof(full), "%s%s", w->root, path) >= (int)sizeof(full))
		return false;
	return !lstat(full, &st) && st.st_uid == 0;
}

static void resolve(struct cw_workloads *w, struct wl_entry *e, uint32_t pid, int64_t now)
{
	uint64_t id = e->wl.cgroup_id;
	int64_t retry = now + NEG_TTL_NS;

	free(e->path);
	e->path = find_path(w, id, pid, now, &retry);
	e->names_backoff_ns = 0;
	if (!e->path) {
		memset(&e->wl, 0, sizeof(e->wl));
		e->wl.cgroup_id = id;
		e->expires_ns = retry;
		return;
	}
	cw_workload_parse_path(e->path, &e->wl);
	if ((e->wl.pod_uid[0] || e->wl.container_id[0]) &&
	    !trusted_cgroup(w, e->path, e->wl.pod_uid[0] != '\0')) {
		/* a container or pod shape made where anyone could make it: a user's delegated
		 * subtree can name itself after another pod. Not that pod. */
		char cg[sizeof(e->wl.cgroup)];

		memcpy(cg, e->wl.cgroup, sizeof(cg));
		memset(&e->wl, 0, sizeof(e->wl));
		e->wl.cgroup_id = id;
		memcpy(e->wl.cgroup, cg, sizeof(cg));
		return;
	}
	if (e->wl.pod_uid[0])
		lookup_names(w, e, now);
}

const struct cw_workload *cw_workload_get(struct cw_workloads *w, uint64_t cgroup_id, uint32_t pid)
{
	static struct cw_workload none;
	struct wl_entry *e;
	int64_t now;

	if (!w) {
		memset(&none, 0, sizeof(none));
		return &none;
	}
	now = now_ns(w);
	e = lookup(w, cgroup_id);
	if (e) {
		DL_DELETE2(w->lru, e, lru_prev, lru_next);
		DL_APPEND2(w->lru, e, lru_prev, lru_next);
		if (!e->path && now >= e->expires_ns)
			resolve(w, e, pid, now);
		else if (e->path && needs_names(&e->wl) && now >= e->names_next_ns)
			lookup_names(w, e, now);
		return &e->wl;
	}
	if (HASH_COUNT(w->by_id) >= WL_MAX_ENTRIES)
		drop(w, w->lru);
	e = calloc(1, sizeof(*e));
	if (e) {
		e->wl.cgroup_id = cgroup_id;
		HASH_ADD(hh, w->by_id, wl.cgroup_id, sizeof(e->wl.cgroup_id), e);
		if (!CW_HASH_ADDED(e, hh)) {
			free(e);
			e = NULL;
		}
	}
	if (!e) {
		memset(&w->unknown, 0, sizeof(w->unknown));
		w->unknown.cgroup_id = cgroup_id;
		return &w->unknown;
	}
	DL_APPEND2(w->lru, e, lru_prev, lru_next);
	resolve(w, e, pid, now);
	return &e->wl;
}

void cw_workloads_learn(struct cw_workloads *w, uint64_t cgroup_id, const char *path)
{
	struct wl_entry *e;
	struct wl_seen *s, *v;
	size_t i;
	char *dup;

	if (!w || !w->have_root || path[0] != '/' || !path_is(w, path, cgroup_id))
		return;
	e = lookup(w, cgroup_id);
	if (e && !e->path) /* asked about before it was known: ask again */
		drop(w, e);
	s = seen_find(w, cgroup_id);
	if (s || w->nseen >= WALK_MAX_DIRS || !(dup = strdup(path)))
		return;
	v = realloc(w->seen, (w->nseen + 1) * sizeof(*v));
	if (!v) {
		free(dup);
		return;
	}
	w->seen = v;
	for (i = w->nseen; i > 0 && v[i - 1].id > cgroup_id; i--)
		v[i] = v[i - 1];
	memset(&v[i], 0, sizeof(v[i]));
	v[i].id = cgroup_id;
	v[i].path = dup;
	w->nseen++;
}

void cw_workloads_forget(struct cw_workloads *w, uint64_t cgroup_id)
{
	struct wl_entry *e;
	struct wl_seen *s;

	if (!w)
		return;
	e = lookup(w, cgroup_id);
	if (e)
		drop(w, e);
	/* the walk's snapshot must not bring it back */
	s = seen_find(w, cgroup_id);
	if (s) {
		free(s->path);
		memmove(s, s + 1, (size_t)(w->seen + w->nseen - s - 1) * sizeof(*s));
		w->nseen--;
	}
}

size_t cw_workloads_sweep(struct cw_workloads *w)
{
	struct wl_entry *e, *next;
	size_t gone = 0;
	int64_t now;

	if (!w)
		return 0;
	now = now_ns(w);
	DL_FOREACH_SAFE2(w->lru, e, next, lru_next)
	{
		if (e->path) {
			/* the root never goes (and "/" is all that is known without one) */
			if (strcmp(e->path, "/") && !path_is(w, e->path, e->wl.cgroup_id)) {
				drop(w, e);
				gone++;
			}
		} else if (now >= e->expires_ns) {
			drop(w, e); /* housekeeping: nothing found, nothing to count as gone */
		}
	}
	return gone;
}

/* ---- output ---- */

void cw_workload_json(struct cw_json *j, const struct cw_workload *wl)
{
	if (wl->container_id[0]) {
		cw_json_kobj(j, "container");
		cw_json_kstr(j, "id", wl->container_id);
		if (wl->runtime[0])
			cw_json_kstr(j, "runtime", wl->runtime);
		if (wl->container_name[0])
			cw_json_kstr(j, "name", wl->container_name);
		cw_json_obj_end(j);
	}
	if (wl->pod_uid[0]) {
		cw_json_kobj(j, "orchestrator");
		cw_json_kstr(j, "type", "kubernetes");
		if (wl->pod_namespace[0])
			cw_json_kstr(j, "namespace", wl->pod_namespace);
		cw_json_kobj(j, "resource");
		cw_json_kstr(j, "type", "pod");
		if (wl->pod_name[0])
			cw_json_kstr(j, "name", wl->pod_name);
		cw_json_kstr(j, "id", wl->pod_uid);
		cw_json_obj_end(j);
		cw_json_obj_end(j);
	}
}

void cw_workload_json_detail(struct cw_json *j, const struct cw_workload *wl)
{
	if (wl->cgroup[0])
		cw_json_kstr(j, "cgroup", wl->cgroup);
	if (wl->qos[0])
		cw_json_kstr(j, "qos", wl->qos);
	if (wl->unit[0])
		cw_json_kstr(j, "systemd_unit", wl->unit);
	if (wl->key[0])
		cw_json_kstr(j, "workload", wl->key);
}

const char *cw_workloads_root(const struct cw_workloads *w)
{
	return w->have_root ? w->root : NULL;
}
