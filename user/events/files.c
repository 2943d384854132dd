// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Watched credential files (see files.h). The path a process opened is resolved the way it
 * named it, not through symlinks: a service-account token is opened as
 * /var/run/secrets/kubernetes.io/serviceaccount/token, which the kubelet makes a link into a
 * timestamped directory, and the policy speaks of the name, not of the link's target.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include <bpf/bpf.h>

#include "events/files.h"
#include "util/path.h"
#include "events/kernel_marks.h"
#include "util/log.h"
#include "host/procs.h"
#include "agent/tls_attach.h"

#define SEEN_MAX 8 /* fingerprints reported per open file */
#define QUIET_NS (300ull * 1000 * 1000)
#define MOUNTINFO_MAX (1 << 20)

struct cw_file_track {
	struct cw_file_track *next;
	uint64_t id;
	uint32_t pid, fd, uid;
	uint64_t cgroup_id;
	uint64_t last_ns;
	bool quiet; /* flushed since its last read */
	bool in_image;
	uint32_t environ_pid; /* /proc/PID/environ of another process */
	char comm[CW_COMM_LEN + 1];
	char exe[256];
	char path[PATH_MAX];
	struct cw_stream *stream;
	unsigned char seen[SEEN_MAX][8];
	size_t nseen;
};

int cw_files_init(struct cw_files *fs, struct cw_exposure *x, int files_map_fd)
{
	memset(fs, 0, sizeof(*fs));
	fs->x = x;
	fs->proc = "/proc";
	fs->files_map_fd = files_map_fd;
	fs->file_cap = CW_FILE_CAP_DEFAULT;
	fs->nbuckets = 1024;
	fs->buckets = calloc(fs->nbuckets, sizeof(*fs->buckets));
	return fs->buckets ? 0 : -ENOMEM;
}

static struct cw_file_track **slot(struct cw_files *fs, uint64_t id)
{
	struct cw_file_track **pp =
		&fs->buckets[(id * 0x9E3779B97F4A7C15ull) >> 54 & (fs->nbuckets - 1)];

	while (*pp && (*pp)->id != id)
		pp = &(*pp)->next;
	return pp;
}

/* Unescape a mountinfo field in place (\040 and friends). */
static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* Does mount point mp contain path (component-wise)? */
static size_t covers(const char *mp, const char *path)
{
	size_t n = strlen(mp);

	if (!strcmp(mp, "/"))
		return 1;
	if (strncmp(mp, path, n) || (path[n] != '/' && path[n] != '\0'))
		return 0;
	return n;
}

bool cw_path_in_image(const char *mountinfo, const char *path)
{
	char line[4096], best_fs[64] = "", best_mp[PATH_MAX] = "";
	size_t best = 0;
	const char *p = mountinfo;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *f[16], *sep, *save = NULL;
		int nf = 0;

		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			for (char *t = strtok_r(line, " ", &save); t && nf < 16;
			     t = strtok_r(NULL, " ", &save))
				f[nf++] = t;
			/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE ... */
			sep = NULL;
			for (int i = 6; i < nf; i++)
				if (!strcmp(f[i], "-")) {
					sep = f[i + 1 < nf ? i + 1 : i];
					break;
				}
			if (nf >= 7 && sep) {
				size_t c;

				unescape(f[4]);
				c = covers(f[4], path);
				/* later mounts over the same point hide earlier ones: >= */
				if (c && c >= best) {
					best = c;
					snprintf(best_mp, sizeof(best_mp), "%s", f[4]);
					snprintf(best_fs, sizeof(best_fs), "%s", sep);
				}
			}
		}
		p += len + (nl ? 1 : 0);
	}
	return !strcmp(best_mp, "/") &&
	       (!strcmp(best_fs, "overlay") || !strcmp(best_fs, "fuse.fuse-overlayfs") ||
		!strcmp(best_fs, "aufs"));
}

/* pid's mount table, NUL-terminated (at most MOUNTINFO_MAX), or NULL. Free it. */
static char *read_mountinfo(struct cw_files *fs, uint32_t pid)
{
	char name[64], *buf;
	ssize_t n, total = 0;
	int fd;

	snprintf(name, sizeof(name), "%s/%u/mountinfo", fs->proc, pid);
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(MOUNTINFO_MAX);
	while (buf && total < MOUNTINFO_MAX - 1 &&
	       (n = read(fd, buf + total, (size_t)(MOUNTINFO_MAX - 1 - total))) > 0)
		total += n;
	if (buf)
		buf[total] = '\0';
	close(fd);
	return buf;
}

/* The mount id of one of our fds (/proc/self/fdinfo), or -1. */
static long fd_mnt_id(int fd)
{
	char name[64], line[128];
	long id = -1;
	FILE *f;

	snprintf(name, sizeof(name), "/proc/self/fdinfo/%d", fd);
	f = fopen(name, "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "mnt_id:", 7)) {
			id = strtol(line + 7, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return id;
}

/*
 * Is mount id the root overlay in this mount table? Mount ids are unique on the host, so the
 * mount of the file we actually read is found in the process's table whatever path led to
 * it (symlinks such as /var/run -> /run need no resolving).
 */
bool cw_mount_is_image_root(const char *mountinfo, long mnt_id)
{
	const char *p = mountinfo;

	while (*p) {
		const char *nl = strchr(p, '\n'), *sep;
		long id;
		char mp[8], fstype[32];

		if (sscanf(p, "%ld %*u %*s %*s %7s", &id, mp) == 2 && id == mnt_id) {
			sep = strstr(p, " - ");
			if (!sep || (nl && sep > nl) || sscanf(sep + 3, "%31s", fstype) != 1)
				return false;
			return !strcmp(mp, "/") &&
			       (!strcmp(fstype, "overlay") || !strcmp(fstype, "aufs") ||
				!strcmp(fstype, "fuse.fuse-overlayfs"));
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return false;
}

int cw_overlay_lower_has(const char *mountinfo, long mnt_id, const char *path)
{
	const char *p = mountinfo, *opt;
	char layer[PATH_MAX], full[PATH_MAX * 2];
	bool unknown = false;
	struct stat st;

	/* the mount's line, then its super options' lowerdir=A:B:... */
	while (*p) {
		long id;

		if (sscanf(p, "%ld", &id) == 1 && id == mnt_id)
			break;
		p = strchr(p, '\n');
		if (!p)
			return -1;
		p++;
	}
	opt = strstr(p, "lowerdir=");
	if (!*p || !opt || (strchr(p, '\n') && opt > strchr(p, '\n')))
		return -1;
	opt += 9;
	while (*opt && *opt != ',' && *opt != ' ' && *opt != '\n') {
		size_t n = strcspn(opt, ":, \n");

		if (n >= sizeof(layer))
			return -1;
		memcpy(layer, opt, n);
		layer[n] = '\0';
		unescape(layer);
		snprintf(full, sizeof(full), "%s/.", layer);
		if (stat(full, &st))
			unknown = true; /* a layer we cannot see from here */
		else if (snprintf(full, sizeof(full), "%s%s", layer, path) < (int)sizeof(full) &&
			 !lstat(full, &st))
			return 1;
		opt += n + (opt[n] == ':');
	}
	return unknown ? -1 : 0;
}

/*
 * From the image: on the container's root overlay, and in one of its lower (image) layers;
 * a file only in the upper layer was written at run time (a token cache), not shipped. When a
 * layer cannot be looked at from here, on the root overlay is taken as from the image.
 */
static bool fd_in_image(struct cw_files *fs, uint32_t pid, int fd, const char *path)
{
	long id = fd_mnt_id(fd);
	char *buf = id < 0 ? NULL : read_mountinfo(fs, pid);
	bool res =
		buf && cw_mount_is_image_root(buf, id) && cw_overlay_lower_has(buf, id, path) != 0;

	free(buf);
	return res;
}

/* Forget a file in the kernel too, so its further reads are not copied. */
static void kernel_forget(struct cw_files *fs, uint32_t pid, uint32_t fd, uint64_t id)
{
	struct cw_conn_key key = { .tgid = pid, .fd = fd };
	struct cw_file val;

	if (fs->files_map_fd < 0 || bpf_map_lookup_elem(fs->files_map_fd, &key, &val) ||
	    val.id != id)
		return;
	if (!bpf_map_delete_elem(fs->files_map_fd, &key))
		cw_kmark_lower(fs->fd_marks, pid, fd);
}

/* "/proc/N/environ" of a process other than the reader (N as the reader's pid namespace
 * numbers it: compare with the reader's own number there); else 0. */
static uint32_t environ_of(const char *path, uint32_t reader)
{
	unsigned long pid;
	char *end;

	if (strncmp(path, "/proc/", 6))
		return 0;
	pid = strtoul(path + 6, &end, 10);
	if (end == path + 6 || pid == reader || pid > UINT32_MAX)
		return 0;
	if (!strncmp(end, "/task/", 6)) { /* /proc/N/task/M/environ: N's environment */
		char *e2;

		strtoul(end + 6, &e2, 10);
		if (e2 == end + 6)
			return 0;
		end = e2;
	}
	return strcmp(end, "/environ") ? 0 : (uint32_t)pid;
}

/*
 * Is fd (any mode, O_PATH included) a regular file on a filesystem that holds files, not
 * procfs, sysfs, debugfs or tracefs, whose "regular files" are kernel interfaces a read can
 * consume (/proc/kmsg, trace_pipe)? environ: procfs is what it must be on.
 */
static bool plain_file(int fd, bool environ)
{
	struct statfs sf;
	struct stat st;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || fstatfs(fd, &sf))
		return false;
	if (environ)
		return sf.f_type == PROC_SUPER_MAGIC;
	return sf.f_type != PROC_SUPER_MAGIC && sf.f_type != SYSFS_MAGIC &&
	       sf.f_type != DEBUGFS_MAGIC && sf.f_type != TRACEFS_MAGIC &&
	       sf.f_type != SECURITYFS_MAGIC && sf.f_type != BPF_FS_MAGIC;
}

/*
 * Could uid read this file? A process that opened a file and is gone leaves us only its name:
 * someone may have swapped it for a link to a file they cannot read. (Group membership is not
 * known here: a group-only file counts as unreadable, for anyone but root.)
 */
static bool readable_by(int fd, uint32_t uid)
{
	struct stat st;

	if (fstat(fd, &st))
		return false;
	return uid == 0 || (st.st_uid == uid && (st.st_mode & S_IRUSR)) || (st.st_mode & S_IROTH);
}

/* Reopen an O_PATH fd for reading, through /proc/self/fd (no path walk again). */
static int reopen(int pfd)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "/proc/self/fd/%d", pfd);
	fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	close(pfd);
	return fd;
}

/*
 * path inside the root of process pid: absolute symlinks on the way (/var/run -> /run) resolve
 * inside that root, not ours (openat2 RESOLVE_IN_ROOT; Linux 5.6). Opened O_PATH first, so a
 * device's or FIFO's open never runs, and checked before it is opened for reading. -1 when it
 * cannot be had.
 */
static int open_in_root(struct cw_files *fs, uint32_t pid, const char *path, uint32_t uid,
			bool environ)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	char name[64];
	int root, pfd;

	snprintf(name, sizeof(name), "%s/%u/root", fs->proc, pid);
	root = open(name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -1;
	pfd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	close(root);
	if (pfd < 0)
		return -1;
	if (!plain_file(pfd, environ) || (!environ && !readable_by(pfd, uid))) {
		close(pfd);
		return -1;
	}
	return reopen(pfd);
}

/*
 * The very file the process opened, while it still holds it: a duplicate of its fd
 * (pidfd_getfd, Linux 5.6), read with pread so its offset is not moved. -1 when gone.
 */
static int dup_process_fd(uint32_t pid, uint32_t fd)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), dfd;

	if (pidfd < 0)
		return -1;
	dfd = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	close(pidfd);
	if (dfd >= 0 && !plain_file(dfd, false)) {
		close(dfd);
		dfd = -1;
	}
	return dfd;
}

/*
 * In the image (--capture-reads, where the agent reads nothing itself): judged like a file the
 * agent reads, by the mount id of the very file the process opened, while it holds it; else by
 * the mount that covers the path as it was named.
 */
static bool in_image(struct cw_files *fs, uint32_t pid, uint32_t fd, const char *path)
{
	int dfd = dup_process_fd(pid, fd);
	char *buf;
	bool res;

	if (dfd >= 0) {
		res = fd_in_image(fs, pid, dfd, path);
		close(dfd);
		return res;
	}
	buf = read_mountinfo(fs, pid);
	res = buf && cw_path_in_image(buf, path);
	free(buf);
	return res;
}

/* The pid of a live process in the same cgroup as the (maybe gone) opener, or 0. */
static uint32_t sibling(struct cw_files *fs, const struct cw_workload *wl, uint32_t not,
			uint32_t after)
{
	const char *root = cw_workloads_root(fs->x->wls);
	char procs[PATH_MAX];
	unsigned int pid, found = 0;
	FILE *f;

	if (!root || !wl->cgroup[0])
		return 0;
	snprintf(procs, sizeof(procs), "%s%s/cgroup.procs", root, wl->cgroup);
	f = fopen(procs, "re");
	while (f && !found && fscanf(f, "%u", &pid) == 1)
		if (pid != not &&pid > after)
			found = pid;
	if (f)
		fclose(f);
	return found;
}

/* The pid the reader is in its own pid namespace (NSpid's last field), or 0. */
static uint32_t ns_pid(struct cw_files *fs, uint32_t pid)
{
	char name[64], line[256];
	unsigned int v = 0;
	FILE *f;

	snprintf(name, sizeof(name), "%s/%u/status", fs->proc, pid);
	f = fopen(name, "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "NSpid:", 6)) {
			for (char *t = strtok(line + 6, " \t\n"); t; t = strtok(NULL, " \t\n"))
				v = (unsigned int)strtoul(t, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return v;
}

/*
 * The file as the process sees it: the very file it opened while it holds it (a duplicate of
 * its fd); else the path through its root (its mount namespace and, for /proc/N/environ, its
 * pid namespace's /proc); else through the root of another live process of the same container
 * (a `cat` may be gone before we look, its container is not); for a host process, through the
 * host's root. *ns gets the pid whose mount table describes where the file is. -1 when it
 * cannot be had.
 */
static int open_as_process(struct cw_files *fs, const struct cw_file_open_event *o,
			   const struct cw_file_track *t, const struct cw_workload *wl,
			   uint32_t *ns)
{
	bool environ = t->environ_pid != 0;
	uint32_t pid = 0;
	int fd;

	*ns = o->pid;
	if (!environ && !(o->flags & CW_FILE_PATH_TRUNC) &&
	    (fd = dup_process_fd(o->pid, o->fd)) >= 0)
		return fd;
	if (t->path[0] != '/' || (o->flags & CW_FILE_PATH_TRUNC))
		return -1;
	if ((fd = open_in_root(fs, o->pid, t->path, o->uid, environ)) >= 0)
		return fd;
	if (wl->container_id[0]) {
		for (int i = 0; i < 8 && (pid = sibling(fs, wl, o->pid, pid)); i++) {
			*ns = pid;
			if ((fd = open_in_root(fs, pid, t->path, o->uid, environ)) >= 0)
				return fd;
		}
		return -1;
	}
	*ns = (uint32_t)getpid(); /* a host process: the host's root, which is ours */
	return open_in_root(fs, *ns, t->path, o->uid, environ);
}

/* Read a watched file ourselves, now, as one stream. */
static int read_now(struct cw_files *fs, const struct cw_file_open_event *o,
		    struct cw_file_track *t, const struct cw_workload *wl);

int cw_files_open(struct cw_files *fs, const struct cw_event *ev)
{
	const struct cw_file_open_event *o = &ev->file_open;
	struct cw_file_track *t, **pp;
	char raw[CW_FILE_PATH_MAX + 1], dir[PATH_MAX], link[64];
	const struct cw_workload *wl;
	uint32_t self_pid;
	ssize_t n;

	fs->opened++;
	memcpy(raw, o->path, o->path_len);
	raw[o->path_len] = '\0';
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (raw[0] == '/') {
		cw_path_join("/", raw, t->path, sizeof(t->path));
	} else if (o->flags & CW_FILE_CWD) {
		/* Relative to the working directory the kernel walked, as the process sees it. */
		char cwd[CW_FILE_PATH_MAX + 1];

		memcpy(cwd, o->cwd, o->cwd_len);
		cwd[o->cwd_len] = '\0';
		cw_path_join(cwd, raw, t->path, sizeof(t->path));
	} else {
		/* Relative: to the cwd, or to openat's directory fd, while the process lives. */
		if (o->dfd == -100)
			snprintf(link, sizeof(link), "%s/%u/cwd", fs->proc, o->pid);
		else
			snprintf(link, sizeof(link), "%s/%u/fd/%d", fs->proc, o->pid, o->dfd);
		n = readlink(link, dir, sizeof(dir) - 1);
		if (n > 0) {
			dir[n] = '\0';
			cw_path_join(dir, raw, t->path, sizeof(t->path));
		} else {
			snprintf(t->path, sizeof(t->path), "%s", raw);
		}
	}
	self_pid = !strncmp(t->path, "/proc/", 6) ? ns_pid(fs, o->pid) : 0;
	if (!self_pid)
		self_pid = o->pid;
	if ((o->flags & CW_FILE_TLS_LIB) && fs->on_tls_library) {
		const char *base = strrchr(t->path, '/');

		if (cw_tls_library_name(base ? base + 1 : t->path))
			fs->on_tls_library(fs->tls_ctx, o->pid, t->path);
	}
	/* Opened for writing only, or O_PATH: nothing is read from it here. */
	if ((o->open_flags & O_ACCMODE) == O_WRONLY || (o->open_flags & O_PATH) ||
	    !cw_policy_watched(fs->x->policy, t->path) ||
	    (!strncmp(t->path, "/proc/", 6) && !environ_of(t->path, self_pid))) {
		fs->not_watched++;
		kernel_forget(fs, o->pid, o->fd, o->file_id);
		free(t);
		return 0;
	}
	t->id = o->file_id;
	t->pid = o->pid;
	t->fd = o->fd;
	t->uid = o->uid;
	t->cgroup_id = o->cgroup_id;
	t->last_ns = o->hdr.ktime_ns;
	t->environ_pid = environ_of(t->path, self_pid);
	memcpy(t->comm, o->comm, CW_COMM_LEN);
	cw_procs_exe(fs->x->f->procs, fs->proc, o->pid, t->exe);
	/* Baked into the image: only a container's files can be, and only its root is one. */
	wl = cw_workload_get(fs->x->wls, o->cgroup_id, o->pid);
	if (wl->container_id[0] && fs->capture_reads)
		t->in_image = in_image(fs, o->pid, o->fd, t->path);
	t->stream = cw_stream_open(fs->x->f->matcher);
	if (!t->stream) {
		free(t);
		return -ENOMEM;
	}
	if (!fs->capture_reads)
		return read_now(fs, o, t, wl);
	pp = slot(fs, t->id);
	if (*pp) { /* an id seen twice: the kernel restarted its count (agent restart) */
		struct cw_file_track *old = *pp;

		*pp = old->next;
		cw_stream_close(old->stream, NULL, NULL);
		free(old);
		fs->n--;
	}
	t->next = fs->buckets[(t->id * 0x9E3779B97F4A7C15ull) >> 54 & (fs->nbuckets - 1)];
	fs->buckets[(t->id * 0x9E3779B97F4A7C15ull) >> 54 & (fs->nbuckets - 1)] = t;
	fs->n++;
	cw_debug("watching %s opened by pid %u (%s) fd %u%s", t->path, t->pid, t->comm, t->fd,
		 t->in_image ? ", in the image" : "");
	return 0;
}

struct file_ctx {
	struct cw_files *fs;
	struct cw_file_track *t;
	uint64_t ktime_ns;
	int err;
};

static bool seen_before(struct cw_file_track *t, const char *fp)
{
	for (size_t i = 0; i < t->nseen && i < SEEN_MAX; i++)
		if (!memcmp(t->seen[i], fp, 8))
			return true;
	memcpy(t->seen[t->nseen++ % SEEN_MAX], fp, 8);
	return false;
}

static int on_file_match(const struct cw_match *m, void *arg)
{
	struct file_ctx *x = arg;
	struct cw_file_track *t = x->t;
	struct cw_finding_writer *f = x->fs->x->f;
	struct cw_json *j = &f->j;
	char fp[CW_FP_HEX_LEN + 1];
	struct cw_actor a = { .pid = t->pid,
			      .uid = t->uid,
			      .cgroup_id = t->cgroup_id,
			      .exe = t->exe,
			      .comm = t->comm,
			      .ktime_ns = x->ktime_ns };
	struct cw_load l = { .source = CW_PROV_FILE,
			     .detail = t->path,
			     .in_image = t->in_image,
			     .environ_pid = t->environ_pid };

	cw_fingerprint(f->key, m->secret, m->len, fp);
	if (seen_before(t, fp))
		return 0;
	x->fs->found++;
	x->err = cw_exposure_load(x->fs->x, m, fp, &a, &l);
	if (x->err || !f->events)
		return x->err;
	/* The observation: a credential read from a watched file. */
	cw_finding_begin(f, x->ktime_ns, false, "credential-read",
			 m->checksum == CW_CHECKSUM_INVALID ? CW_SEVERITY_LOW : CW_SEVERITY_HIGH,
			 "file", "access");
	cw_finding_credential(f, m, "file");
	cw_json_kstr(j, "path", t->path);
	cw_json_obj_end(j);
	cw_json_kobj(j, "file");
	cw_json_kstr(j, "path", t->path);
	cw_json_obj_end(j);
	cw_json_kobj(j, "process");
	cw_json_kuint(j, "pid", t->pid);
	if (t->exe[0])
		cw_json_kstr(j, "executable", t->exe);
	cw_json_kstr(j, "name", t->comm);
	cw_json_obj_end(j);
	cw_finding_host(f, t->pid, t->uid, t->cgroup_id);
	cw_json_kbool(j, "in_image", t->in_image);
	cw_json_obj_end(j);
	f->observations++;
	x->err = cw_finding_emit(f);
	return x->err;
}

int cw_files_data(struct cw_files *fs, const struct cw_event *ev)
{
	const struct cw_data_event *d = &ev->data;
	struct cw_file_track *t = *slot(fs, d->conn_id);
	struct file_ctx x = { .fs = fs, .t = t, .ktime_ns = d->hdr.ktime_ns };
	int ret;

	if (!t || t->pid != d->pid)
		return 0; /* not watched after all, or its open event was dropped */
	fs->bytes += d->len;
	t->last_ns = d->hdr.ktime_ns;
	t->quiet = false;
	ret = cw_stream_write(t->stream, ev->payload, d->len, on_file_match, &x);
	return ret < 0 ? ret : x.err;
}

static int track_end(struct cw_files *fs, struct cw_file_track **pp)
{
	struct cw_file_track *t = *pp;
	struct file_ctx x = { .fs = fs, .t = t, .ktime_ns = t->last_ns };
	int ret;

	*pp = t->next;
	fs->n--;
	ret = cw_stream_close(t->stream, on_file_match, &x);
	free(t);
	return ret < 0 ? ret : x.err;
}

static int read_now(struct cw_files *fs, const struct cw_file_open_event *o,
		    struct cw_file_track *t, const struct cw_workload *wl)
{
	struct file_ctx x = { .fs = fs, .t = t, .ktime_ns = o->hdr.ktime_ns };
	char buf[16384];
	size_t done = 0;
	ssize_t n = 0;
	uint32_t ns;
	int fd = open_as_process(fs, o, t, wl, &ns), ret = 0;

	if (fd < 0) {
		fs->unreadable++;
		cw_debug("cannot read %s opened by pid %u (%s): gone before we looked", t->path,
			 o->pid, t->comm);
	} else if (wl->container_id[0] && !t->environ_pid) {
		t->in_image = fd_in_image(fs, ns, fd, t->path);
	}
	while (fd >= 0 && done < fs->file_cap &&
	       (n = pread(fd, buf,
			  sizeof(buf) < fs->file_cap - done ? sizeof(buf) : fs->file_cap - done,
			  (off_t)done)) > 0) {
		done += (size_t)n;
		fs->bytes += (size_t)n;
		ret = cw_stream_write(t->stream, buf, (size_t)n, on_file_match, &x);
		if (ret < 0 || x.err)
			break;
	}
	explicit_bzero(buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	if (ret >= 0 && !x.err)
		ret = cw_stream_close(t->stream, on_file_match, &x);
	else
		cw_stream_close(t->stream, NULL, NULL);
	free(t);
	return ret < 0 ? ret : x.err;
}

int cw_files_close(struct cw_files *fs, uint32_t pid, uint32_t fd, uint64_t file_id)
{
	struct cw_file_track **pp = slot(fs, file_id);

	(void)fd;
	if (!*pp || (*pp)->pid != pid)
		return 0;
	return track_end(fs, pp);
}

int cw_files_exit(struct cw_files *fs, uint32_t pid)
{
	int ret = 0, r;

	if (!fs->n)
		return 0;
	for (size_t b = 0; b < fs->nbuckets; b++)
		for (struct cw_file_track **pp = &fs->buckets[b]; *pp;) {
			if ((*pp)->pid != pid) {
				pp = &(*pp)->next;
				continue;
			}
			kernel_forget(fs, pid, (*pp)->fd, (*pp)->id);
			r = track_end(fs, pp);
			if (!ret)
				ret = r;
		}
	return ret;
}

int cw_files_exec(struct cw_files *fs, uint32_t pid)
{
	char name[64], link[PATH_MAX];
	int ret = 0, r;
	ssize_t n;

	if (!fs->n)
		return 0;
	for (size_t b = 0; b < fs->nbuckets; b++)
		for (struct cw_file_track **pp = &fs->buckets[b]; *pp;) {
			struct cw_file_track *t = *pp;
			const char *base = strrchr(t->path, '/'), *lb;

			if (t->pid != pid) {
				pp = &t->next;
				continue;
			}
			snprintf(name, sizeof(name), "%s/%u/fd/%u", fs->proc, pid, t->fd);
			n = readlink(name, link, sizeof(link) - 1);
			if (n > 0) {
				link[n] = '\0';
				lb = strrchr(link, '/');
				if (base && lb &&
				    !strcmp(lb, base)) { /* still open across the exec */
					pp = &t->next;
					continue;
				}
			}
			kernel_forget(fs, pid, t->fd, t->id);
			r = track_end(fs, pp);
			if (!ret)
				ret = r;
		}
	return ret;
}

int cw_files_tick(struct cw_files *fs, uint64_t now_ns)
{
	int ret;

	if (!fs->n)
		return 0;
	for (size_t b = 0; b < fs->nbuckets; b++)
		for (struct cw_file_track *t = fs->buckets[b]; t; t = t->next) {
			struct file_ctx x = { .fs = fs, .t = t, .ktime_ns = t->last_ns };

			if (t->quiet || now_ns - t->last_ns < QUIET_NS)
				continue;
			t->quiet = true;
			ret = cw_stream_flush(t->stream, on_file_match, &x);
			if (ret < 0 || x.err)
				return ret < 0 ? ret : x.err;
		}
	return 0;
}

void cw_files_free(struct cw_files *fs)
{
	for (size_t b = 0; fs->buckets && b < fs->nbuckets; b++)
		while (fs->buckets[b])
			track_end(fs, &fs->buckets[b]);
	free(fs->buckets);
	fs->buckets = NULL;
}
