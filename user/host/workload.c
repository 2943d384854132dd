// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The workload cache (see workload.h): cgroup id -> cgroup v2 path -> what the path says
 * (cgroup_path.c) and the pod's names (pod_names.c). The path comes from /proc/PID/cgroup when
 * the pid is known (checked against the id: a process may have moved), else from a walk of the
 * hierarchy, at most one a second, whose snapshot answers the next misses. Entries are kept in
 * a uthash table by id, least recently used dropped first past WL_MAX_ENTRIES.
 *
 * Pod metadata (cw_workloads_set_pods): an entry in a pod holds a reference to its pod's
 * snapshot, taken again only when the metadata cache's version moved since the entry last
 * looked (a lock-free read), and dropped with the entry. When /var/log/pods did not name the
 * pod, the snapshot does; the key then follows cw_workload_set_key (k8s:NAMESPACE/OWNER, OWNER
 * from the pod's name), except that a controller the name heuristic did not see (it kept the
 * whole name) is taken from the metadata when its kind groups replicas (Deployment,
 * ReplicaSet, DaemonSet, Job, CronJob) and the pod's name starts with its name and '-'. A key
 * once named (k8s:...) never changes for the entry: what provenance remembered stays valid.
 *
 * The host tap (hosttap.h): with a recorder, an entry is handed to it (CW_HOST_WORKLOAD) when
 * first resolved and whenever it changes (names found, the pod's metadata joined); replaying,
 * cw_workload_get answers from the recorded entries alone and nothing here reads the host.
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

#include <jansson.h>

#include "host/hosttap.h"
#include "host/mountinfo.h"
#include "host/pod_names.h"
#include "host/pod_snapshot.h"
#include "host/podmeta.h"
#include "host/workload.h"
#include "host/workload_test.h"
#include "util/log.h"
#include "util/str.h"
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
#define WANTED_MAX 4096 /* pod UIDs asked for and not yet known */

struct wl_entry {
	struct cw_workload wl;
	char *path;	       /* below the root, whatever its length; NULL: not found */
	int64_t expires_ns;    /* not found: when to look again */
	int64_t names_next_ns; /* when pod/container names may be looked up again */
	int64_t names_backoff_ns;
	uint64_t pods_version;	 /* the metadata cache's version when wl.pod was last looked up */
	bool pods_looked;	 /* ... at all */
	bool noted;		 /* handed to the host tap as it is now */
	unsigned char *replayed; /* a replay: the recorded bytes it was decoded from */
	size_t nreplayed;
	UT_hash_handle hh;		      /* by wl.cgroup_id */
	struct wl_entry *lru_prev, *lru_next; /* least recently used first */
};

/* A pod UID the metadata client was asked about (want), not known yet. */
struct wl_wanted {
	char uid[40];
	UT_hash_handle hh;
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
	struct cw_pods *pods;	    /* pod metadata, NULL: none */
	void (*want)(void *arg, const char *pod_uid);
	void *want_arg;
	struct wl_wanted *wanted;
	size_t nwanted;
	struct cw_pods *replay_pods; /* a replay: parses the recorded pods (every annotation) */
};

/* The entry's pod snapshot goes (its container's pointer with it); look again next time. */
static void pod_release(struct wl_entry *e)
{
	cw_pod_put(e->wl.pod);
	e->wl.pod = NULL;
	e->wl.pod_container = NULL;
	e->pods_looked = false;
	e->noted = false;
}

static bool needs_names(const struct cw_workload *wl)
{
	return wl->pod_uid[0] &&
	       (!wl->pod_name[0] || (wl->container_id[0] && !wl->container_name[0]));
}

static bool key_named(const struct cw_workload *wl)
{
	return !strncmp(wl->key, "k8s:", 4);
}

/* A controller kind whose pods are replicas of one workload. */
static bool groups_replicas(const char *kind)
{
	static const char *const kinds[] = { "Deployment", "ReplicaSet", "DaemonSet", "Job",
					     "CronJob" };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kind, kinds[i]))
			return true;
	return false;
}

/* wl's key from its names (cw_workload_set_key), the metadata's controller where the name
 * heuristic saw none (see the top of this file). */
static void set_key(struct cw_workload *wl)
{
	const struct cw_pod *p = wl->pod;
	size_t on;

	cw_workload_set_key(wl);
	if (!p || !key_named(wl) || !groups_replicas(p->owner_kind) ||
	    cw_workload_owner_len(wl->pod_name) != strlen(wl->pod_name))
		return;
	on = strlen(p->owner_name);
	if (on && strlen(wl->pod_name) > on + 1 && !strncmp(wl->pod_name, p->owner_name, on) &&
	    wl->pod_name[on] == '-')
		snprintf(wl->key, sizeof(wl->key), "k8s:%s/%s", wl->pod_namespace, p->owner_name);
}

/* Look the names up, and when to look again if some are still missing (less and less often). */
static void lookup_names(const struct cw_workloads *w, struct wl_entry *e, int64_t now)
{
	char saved[CW_WL_KEY_MAX];
	bool named = key_named(&e->wl);

	if (named)
		memcpy(saved, e->wl.key, sizeof(saved));
	cw_pod_names(w->pods_dir, w->containers_dir, &e->wl);
	if (named) /* a key once named stays */
		memcpy(e->wl.key, saved, sizeof(saved));
	else
		set_key(&e->wl);
	e->names_backoff_ns = e->names_backoff_ns ? e->names_backoff_ns * 2 : NAMES_RETRY_NS;
	if (e->names_backoff_ns > NAMES_RETRY_MAX_NS)
		e->names_backoff_ns = NAMES_RETRY_MAX_NS;
	e->names_next_ns = now + e->names_backoff_ns;
	e->noted = false;
}

static void copy_name(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (n && n < cap)
		memcpy(dst, s, n + 1);
}

/* What the pod's metadata says that the log directories did not. */
static void names_from_pod(struct wl_entry *e)
{
	struct cw_workload *wl = &e->wl;
	bool named = key_named(wl);

	if (!wl->pod_name[0] && wl->pod->namespace_[0] && wl->pod->name[0]) {
		copy_name(wl->pod_namespace, sizeof(wl->pod_namespace), wl->pod->namespace_);
		copy_name(wl->pod_name, sizeof(wl->pod_name), wl->pod->name);
		if (!wl->pod_namespace[0] || !wl->pod_name[0])
			wl->pod_namespace[0] = wl->pod_name[0] = '\0';
	}
	if (wl->pod_container && !wl->container_name[0])
		copy_name(wl->container_name, sizeof(wl->container_name), wl->pod_container->name);
	if (!named)
		set_key(wl);
}

static void wanted_clear(struct cw_workloads *w)
{
	struct wl_wanted *x, *tmp;

	HASH_ITER (hh, w->wanted, x, tmp) {
		HASH_DEL(w->wanted, x);
		free(x);
	}
	w->nwanted = 0;
}

/* Ask the metadata client about a pod it does not know, once per UID. */
static void want_pod(struct cw_workloads *w, const char *uid)
{
	struct wl_wanted *x;

	if (!w->want)
		return;
	HASH_FIND_STR(w->wanted, uid, x);
	if (x)
		return;
	if (w->nwanted >= WANTED_MAX)
		wanted_clear(w); /* pods that never came: asking again is cheap */
	x = calloc(1, sizeof(*x));
	if (x) {
		snprintf(x->uid, sizeof(x->uid), "%s", uid);
		HASH_ADD_STR(w->wanted, uid, x);
		if (CW_HASH_ADDED(x, hh))
			w->nwanted++;
		else
			free(x);
	}
	w->want(w->want_arg, uid);
}

static void wanted_done(struct cw_workloads *w, const char *uid)
{
	struct wl_wanted *x;

	HASH_FIND_STR(w->wanted, uid, x);
	if (x) {
		HASH_DEL(w->wanted, x);
		free(x);
		w->nwanted--;
	}
}

/*
 * The entry's pod metadata, looked up again only when the cache changed since (its version,
 * read without a lock, is the whole cost when nothing did).
 */
static void join_pod(struct cw_workloads *w, struct wl_entry *e)
{
	const struct cw_pod *p;
	uint64_t v;

	if (!w->pods || !e->wl.pod_uid[0])
		return;
	v = cw_pods_version(w->pods);
	if (e->pods_looked && v == e->pods_version)
		return;
	e->pods_looked = true;
	e->pods_version = v;
	p = cw_pods_get(w->pods, e->wl.pod_uid);
	if (p != e->wl.pod)
		e->noted = false;
	cw_pod_put(e->wl.pod);
	e->wl.pod = p;
	e->wl.pod_container = cw_pod_container(p, e->wl.container_id);
	if (!p) {
		want_pod(w, e->wl.pod_uid);
		return;
	}
	wanted_done(w, e->wl.pod_uid);
	names_from_pod(e);
}

void cw_workloads_set_pods(struct cw_workloads *w, struct cw_pods *pods,
			   void (*want)(void *arg, const char *pod_uid), void *arg)
{
	struct wl_entry *e;

	if (!w)
		return;
	DL_FOREACH2 (w->lru, e, lru_next)
		pod_release(e);
	wanted_clear(w);
	w->pods = pods;
	w->want = want;
	w->want_arg = arg;
}

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
		    !strstr(line, "/../") && !cw_ends_with(line, (size_t)n, "/.") &&
		    !cw_ends_with(line, (size_t)n, "/..")) {
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
	if (wk->n) /* qsort(NULL, 0, ...) is undefined */
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

static struct wl_entry *lookup(const struct cw_workloads *w, uint64_t id)
{
	struct wl_entry *e;

	HASH_FIND(hh, w->by_id, &id, sizeof(id), e);
	return e;
}

static void drop(struct cw_workloads *w, struct wl_entry *e)
{
	pod_release(e);
	HASH_DEL(w->by_id, e);
	DL_DELETE2(w->lru, e, lru_prev, lru_next);
	free(e->path);
	free(e->replayed);
	free(e);
}

static char *dup_or_default(const char *s, const char *def)
{
	return strdup(s ? s : def);
}

/* The mount point of the cgroup2 hierarchy, from PROC/mounts; says why when there is none. */
static int find_cgroup2(const char *proc, char **out)
{
	char file[PATH_MAX];
	int ret;

	snprintf(file, sizeof(file), "%s/mounts", proc);
	ret = cw_mounts_cgroup2(file, out);
	if (ret == -ENOENT)
		cw_log("no cgroup v2 mount in %s: host workloads are named by process tree", file);
	else if (ret)
		cw_log("cannot read %s: %s: host workloads are named by process tree", file,
		       strerror(-ret));
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
	if (cw_host_replaying()) {
		/* a replay: the recorded workloads answer, the host is never looked at */
		static const char *const every[] = { "*" };

		err = cw_pods_new(&(struct cw_pods_opts){ .annotations = every, .nannotations = 1 },
				  &w->replay_pods);
		if (err)
			goto cleanup;
		*out = w;
		return 0;
	}
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
	wanted_clear(w);
	seen_clear(w);
	cw_pods_free(w->replay_pods);
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

	pod_release(e); /* the fields below are rewritten from scratch (noted again) */
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

/* Hand the entry to the host tap when it changed since it last was (recording only). */
static const struct cw_workload *noted(struct wl_entry *e)
{
	if (!e->noted && cw_host_recording()) {
		cw_workload_note(&e->wl);
		e->noted = true;
	}
	return &e->wl;
}

static const struct cw_workload *unknown_entry(struct cw_workloads *w, uint64_t cgroup_id)
{
	memset(&w->unknown, 0, sizeof(w->unknown));
	w->unknown.cgroup_id = cgroup_id;
	return &w->unknown;
}

static struct wl_entry *new_entry(struct cw_workloads *w, uint64_t cgroup_id)
{
	struct wl_entry *e;

	if (HASH_COUNT(w->by_id) >= WL_MAX_ENTRIES)
		drop(w, w->lru);
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->wl.cgroup_id = cgroup_id;
	HASH_ADD(hh, w->by_id, wl.cgroup_id, sizeof(e->wl.cgroup_id), e);
	if (!CW_HASH_ADDED(e, hh)) {
		free(e);
		return NULL;
	}
	DL_APPEND2(w->lru, e, lru_prev, lru_next);
	return e;
}

/* A replay: the workload recorded for the cgroup last, or an unknown one. */
static const struct cw_workload *replayed(struct cw_workloads *w, uint64_t cgroup_id)
{
	unsigned char k[8];
	const void *v;
	struct wl_entry *e;
	size_t n;

	cw_le64(k, cgroup_id);
	v = cw_host_recall(CW_HOST_WORKLOAD, k, sizeof(k), &n);
	if (!v)
		return unknown_entry(w, cgroup_id);
	e = lookup(w, cgroup_id);
	if (e && e->nreplayed == n && !memcmp(e->replayed, v, n))
		return &e->wl;
	if (!e && !(e = new_entry(w, cgroup_id)))
		return unknown_entry(w, cgroup_id);
	pod_release(e);
	free(e->replayed);
	e->nreplayed = 0;
	if ((e->replayed = malloc(n ? n : 1))) {
		memcpy(e->replayed, v, n);
		e->nreplayed = n;
	}
	if (cw_workload_decode(w->replay_pods, v, n, &e->wl))
		memset(&e->wl, 0, sizeof(e->wl));
	e->wl.cgroup_id = cgroup_id;
	return &e->wl;
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
	if (cw_host_replaying())
		return replayed(w, cgroup_id);
	now = now_ns(w);
	e = lookup(w, cgroup_id);
	if (e) {
		DL_DELETE2(w->lru, e, lru_prev, lru_next);
		DL_APPEND2(w->lru, e, lru_prev, lru_next);
		if (!e->path && now >= e->expires_ns)
			resolve(w, e, pid, now);
		else if (e->path && needs_names(&e->wl) && now >= e->names_next_ns)
			lookup_names(w, e, now);
		join_pod(w, e);
		return noted(e);
	}
	if (!(e = new_entry(w, cgroup_id))) {
		unknown_entry(w, cgroup_id);
		if (cw_host_recording())
			cw_workload_note(&w->unknown);
		return &w->unknown;
	}
	resolve(w, e, pid, now);
	join_pod(w, e);
	return noted(e);
}

void cw_workloads_each(struct cw_workloads *w, void (*fn)(void *arg, const struct cw_workload *wl),
		       void *arg)
{
	struct wl_entry *e;

	if (!w)
		return;
	DL_FOREACH2 (w->lru, e, lru_next)
		fn(arg, &e->wl);
}

void cw_workloads_learn(struct cw_workloads *w, uint64_t cgroup_id, const char *path)
{
	struct wl_entry *e;
	struct wl_seen *s, *v;
	size_t i;
	char *dup;

	if (!w || !w->have_root || cw_host_replaying() || path[0] != '/' ||
	    !path_is(w, path, cgroup_id))
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

	if (!w || cw_host_replaying())
		return 0;
	now = now_ns(w);
	DL_FOREACH_SAFE2 (w->lru, e, next, lru_next) {
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

const char *cw_workloads_root(const struct cw_workloads *w)
{
	return w->have_root ? w->root : NULL;
}

/* ---- the workload as a host tap record (hosttap.h, CW_HOST_WORKLOAD) ---- */

struct wl_buf {
	unsigned char *p;
	size_t len, cap;
	bool oom;
};

static void buf_put(struct wl_buf *b, const void *d, size_t n)
{
	if (b->oom || !n)
		return;
	if (b->len + n > b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 1024;
		unsigned char *np;

		while (ncap < b->len + n)
			ncap *= 2;
		if (!(np = realloc(b->p, ncap))) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void buf_str16(struct wl_buf *b, const char *s)
{
	size_t n = strlen(s);
	unsigned char l[2] = { (unsigned char)n, (unsigned char)(n >> 8) };

	buf_put(b, l, 2);
	buf_put(b, s, n);
}

/* The pod snapshot as a Pod object that cw_pod_parse reads back to the same snapshot. */
static json_t *pod_json(const struct cw_pod *p)
{
	json_t *pod = json_object(), *md = json_object(), *spec = json_object();
	json_t *status = json_object(), *labels = json_object(), *ann = json_object();
	json_t *ctrs = json_array(), *inits = json_array(), *sts = json_array();
	json_t *ists = json_array(), *owners = json_array();
	char rv[24];

	json_object_set_new(md, "uid", json_string(p->uid));
	json_object_set_new(md, "namespace", json_string(p->namespace_));
	json_object_set_new(md, "name", json_string(p->name));
	snprintf(rv, sizeof(rv), "%llu", (unsigned long long)p->resource_version);
	json_object_set_new(md, "resourceVersion", json_string(rv));
	for (size_t i = 0; i < p->nlabels; i++)
		json_object_set_new(labels, p->labels[i].key, json_string(p->labels[i].value));
	for (size_t i = 0; i < p->nannotations; i++)
		json_object_set_new(ann, p->annotations[i].key,
				    json_string(p->annotations[i].value));
	json_object_set_new(md, "labels", labels);
	json_object_set_new(md, "annotations", ann);
	if (p->owner_kind[0] && p->owner_name[0]) {
		json_t *o = json_object();

		json_object_set_new(o, "kind", json_string(p->owner_kind));
		json_object_set_new(o, "name", json_string(p->owner_name));
		json_object_set_new(o, "controller", json_true());
		json_array_append_new(owners, o);
	}
	json_object_set_new(md, "ownerReferences", owners);
	json_object_set_new(spec, "nodeName", json_string(p->node));
	json_object_set_new(spec, "serviceAccountName", json_string(p->service_account));
	for (size_t i = 0; i < p->ncontainers; i++) {
		const struct cw_pod_container *c = &p->containers[i];
		json_t *ct = json_object(), *st = json_object();
		char cid[80];

		json_object_set_new(ct, "name", json_string(c->name));
		json_object_set_new(ct, "image", json_string(c->image));
		json_array_append_new(c->init ? inits : ctrs, ct);
		json_object_set_new(st, "name", json_string(c->name));
		json_object_set_new(st, "imageID", json_string(c->image_id));
		snprintf(cid, sizeof(cid), "cri://%s", c->container_id);
		json_object_set_new(st, "containerID", json_string(c->container_id[0] ? cid : ""));
		json_array_append_new(c->init ? ists : sts, st);
	}
	json_object_set_new(spec, "initContainers", inits);
	json_object_set_new(spec, "containers", ctrs);
	json_object_set_new(status, "phase", json_string(p->phase));
	json_object_set_new(status, "initContainerStatuses", ists);
	json_object_set_new(status, "containerStatuses", sts);
	json_object_set_new(pod, "kind", json_string("Pod"));
	json_object_set_new(pod, "metadata", md);
	json_object_set_new(pod, "spec", spec);
	json_object_set_new(pod, "status", status);
	return pod;
}

int cw_workload_encode(const struct cw_workload *wl, unsigned char **out, size_t *len)
{
	struct wl_buf b = { 0 };
	const char *const fields[] = {
		wl->cgroup, wl->container_id,  wl->runtime,	wl->pod_uid,
		wl->qos,    wl->pod_namespace, wl->pod_name,	wl->container_name,
		wl->unit,   wl->session,       wl->session_uid, wl->key
	};
	unsigned char l[4];
	char *pod = NULL;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		buf_str16(&b, fields[i]);
	if (wl->pod) {
		json_t *j = pod_json(wl->pod);

		pod = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		json_decref(j);
		n = pod ? strlen(pod) : 0;
	}
	cw_le32(l, (uint32_t)n);
	buf_put(&b, l, 4);
	buf_put(&b, pod, n);
	free(pod);
	if (b.oom || !b.p) {
		free(b.p);
		return -ENOMEM;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

int cw_workload_decode(const struct cw_pods *pods, const void *data, size_t len,
		       struct cw_workload *wl)
{
	const unsigned char *p = data, *end = p + len;
	struct {
		char *dst;
		size_t cap;
	} f[] = {
		{ wl->cgroup, sizeof(wl->cgroup) },
		{ wl->container_id, sizeof(wl->container_id) },
		{ wl->runtime, sizeof(wl->runtime) },
		{ wl->pod_uid, sizeof(wl->pod_uid) },
		{ wl->qos, sizeof(wl->qos) },
		{ wl->pod_namespace, sizeof(wl->pod_namespace) },
		{ wl->pod_name, sizeof(wl->pod_name) },
		{ wl->container_name, sizeof(wl->container_name) },
		{ wl->unit, sizeof(wl->unit) },
		{ wl->session, sizeof(wl->session) },
		{ wl->session_uid, sizeof(wl->session_uid) },
		{ wl->key, sizeof(wl->key) },
	};
	uint64_t id = wl->cgroup_id;
	uint32_t n;

	memset(wl, 0, sizeof(*wl));
	wl->cgroup_id = id;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (cw_get_str16(&p, end, f[i].dst, f[i].cap))
			return -EINVAL;
	if (end - p < 4)
		return -EINVAL;
	n = cw_get_le32(p);
	p += 4;
	if ((size_t)(end - p) != n)
		return -EINVAL;
	if (n && pods) {
		json_error_t e;
		json_t *j = json_loadb((const char *)p, n, 0, &e);
		struct cw_pod *pod = NULL;
		char err[256];

		if (j && !cw_pod_parse(pods, j, &pod, err, sizeof(err))) {
			wl->pod = pod;
			wl->pod_container = cw_pod_container(pod, wl->container_id);
		}
		json_decref(j);
	}
	return 0;
}

void cw_workload_note(const struct cw_workload *wl)
{
	unsigned char k[8], *v;
	size_t n;

	if (!cw_host_recording() || cw_workload_encode(wl, &v, &n))
		return;
	cw_le64(k, wl->cgroup_id);
	cw_host_note(CW_HOST_WORKLOAD, k, sizeof(k), v, n);
	free(v);
}
