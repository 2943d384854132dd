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

#include <bpf/bpf.h>

#include "detect/credfile.h"
#include "events/files.h"
#include "events/kernel_marks.h"
#include "host/hostroot.h"
#include "host/hosttap.h"
#include "host/mountinfo.h"
#include "host/procfile.h"
#include "host/procs.h"
#include "util/log.h"
#include "util/path.h"
#include "util/table.h"

#define SEEN_MAX 8	    /* fingerprints reported per open file */
#define CREDFILE_SNIFF 4096 /* what cw_credfile_sniff reads of a file its name does not type */
#define QUIET_NS (300ull * 1000 * 1000)

struct cw_file_track {
	uint64_t id; /* the kernel's id for the open file */
	UT_hash_handle hh;
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
	/* --capture-reads, a credential file: its reads, kept until parsed (credfile_drain) */
	enum cw_credfile_kind cfkind;
	bool cfsniffed;
	char *cfbuf;
	size_t cflen;
	uint64_t streamed; /* bytes written to its stream: where the next one starts */
};

int cw_files_init(struct cw_files *fs, const struct cw_handler_deps *d, int files_map_fd)
{
	memset(fs, 0, sizeof(*fs));
	fs->f = d->f;
	fs->matcher = d->matcher;
	fs->x = d->x;
	fs->procs = d->procs;
	fs->wls = d->wls;
	fs->policy = d->policy;
	fs->proc = cw_host_proc(); /* "/proc", or under --host-root */
	fs->files_map_fd = files_map_fd;
	fs->file_cap = CW_FILE_CAP_DEFAULT;
	return fs->matcher ? cw_credfiles_for(fs->matcher, &fs->credfiles) : 0;
}

static struct cw_file_track *find(const struct cw_files *fs, uint64_t id)
{
	struct cw_file_track *t;

	HASH_FIND(hh, fs->table, &id, sizeof(id), t);
	return t;
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

/* Read a watched file ourselves, now, as one stream. */
static int read_now(struct cw_files *fs, const struct cw_file_open_event *o,
		    struct cw_file_track *t, const struct cw_workload *wl);

/*
 * readlink of PROC/PID/NAME (NAME "cwd", "fd/3") through the host tap: recorded live, the
 * recorded answer in a replay. Its length (out NUL-terminated), or -1 when it cannot be had.
 */
static ssize_t proc_link(const struct cw_files *fs, uint32_t pid, const char *name, char *out,
			 size_t cap)
{
	unsigned char key[4 + 32];
	size_t nl = strlen(name), vlen;
	char link[CW_HOST_ROOT_MAX + 64];
	const void *v;
	ssize_t n;

	if (nl > 32)
		return -1;
	cw_le32(key, pid);
	memcpy(key + 4, name, nl);
	if (cw_host_replaying()) {
		v = cw_host_recall(CW_HOST_PROC_LINK, key, 4 + nl, &vlen);
		if (!v || !vlen || vlen >= cap)
			return -1;
		memcpy(out, v, vlen);
		out[vlen] = '\0';
		return (ssize_t)vlen;
	}
	snprintf(link, sizeof(link), "%s/%u/%s", fs->proc, pid, name);
	n = readlink(link, out, cap - 1);
	out[n > 0 ? n : 0] = '\0';
	cw_host_note(CW_HOST_PROC_LINK, key, 4 + nl, out, n > 0 ? (size_t)n : 0);
	return n > 0 ? n : -1;
}

/* The opener's pid in its own pid namespace (cw_proc_ns_pid) through the host tap, or 0. */
static uint32_t ns_pid(const struct cw_files *fs, uint32_t pid)
{
	return cw_host_pid_u32(CW_HOST_PROC_NSPID, fs->proc, pid, cw_proc_ns_pid);
}

/* cw_proc_file_in_image through the host tap. */
static bool in_image(const struct cw_files *fs, uint32_t pid, uint32_t fd, const char *path)
{
	size_t pl = strlen(path), vlen;
	unsigned char key[8 + PATH_MAX], v;
	const void *r;

	if (pl > PATH_MAX)
		pl = PATH_MAX;
	cw_le32(key, pid);
	cw_le32(key + 4, fd);
	memcpy(key + 8, path, pl);
	if (cw_host_replaying()) {
		r = cw_host_recall(CW_HOST_FILE_IN_IMAGE, key, 8 + pl, &vlen);
		return r && vlen == 1 && *(const unsigned char *)r;
	}
	v = cw_proc_file_in_image(fs->proc, pid, fd, path);
	cw_host_note(CW_HOST_FILE_IN_IMAGE, key, 8 + pl, &v, 1);
	return v;
}

/*
 * The path the process opened, whole: as it named it when absolute; else relative to the
 * working directory the kernel walked, or to its cwd or openat's directory fd while it lives.
 */
static void resolve_path(const struct cw_files *fs, const struct cw_file_open_event *o, char *out,
			 size_t outlen)
{
	char raw[CW_FILE_PATH_MAX + 1], dir[PATH_MAX], link[32];
	ssize_t n;

	memcpy(raw, o->path, o->path_len);
	raw[o->path_len] = '\0';
	if (raw[0] == '/') {
		cw_path_join("/", raw, out, outlen);
	} else if (o->flags & CW_FILE_CWD) {
		char cwd[CW_FILE_PATH_MAX + 1];

		memcpy(cwd, o->cwd, o->cwd_len);
		cwd[o->cwd_len] = '\0';
		cw_path_join(cwd, raw, out, outlen);
	} else {
		if (o->dfd == -100)
			snprintf(link, sizeof(link), "cwd");
		else
			snprintf(link, sizeof(link), "fd/%d", o->dfd);
		n = proc_link(fs, o->pid, link, dir, sizeof(dir));
		if (n > 0) {
			cw_path_join(dir, raw, out, outlen);
		} else {
			snprintf(out, outlen, "%s", raw);
		}
	}
}

/*
 * Is this open one to read? Not when opened for writing only or O_PATH, not a path the policy
 * watches, or under /proc but not another process's environ (self_pid: the opener as its own
 * pid namespace numbers it).
 */
static bool watched(const struct cw_files *fs, const struct cw_file_open_event *o, const char *path,
		    uint32_t self_pid)
{
	if ((o->open_flags & O_ACCMODE) == O_WRONLY || (o->open_flags & O_PATH))
		return false;
	if (!cw_policy_watched(fs->policy, path))
		return false;
	return strncmp(path, "/proc/", 6) || cw_proc_environ_of(path, self_pid);
}

/* Keep t for the kernel's copies of what is read from it (--capture-reads). */
static int track(struct cw_files *fs, struct cw_file_track *t)
{
	struct cw_file_track *old = find(fs, t->id);

	if (old) { /* an id seen twice: the kernel restarted its count (agent restart) */
		HASH_DEL(fs->table, old);
		cw_stream_close(old->stream, NULL, NULL);
		free(old->cfbuf);
		free(old);
		fs->n--;
	}
	HASH_ADD(hh, fs->table, id, sizeof(t->id), t);
	if (!CW_HASH_ADDED(t, hh)) {
		cw_stream_close(t->stream, NULL, NULL);
		free(t);
		return -ENOMEM;
	}
	fs->n++;
	cw_debug("watching %s opened by pid %u (%s) fd %u%s", t->path, t->pid, t->comm, t->fd,
		 t->in_image ? ", in the image" : "");
	return 0;
}

int cw_files_open(struct cw_files *fs, const struct cw_event *ev)
{
	const struct cw_file_open_event *o = &ev->file_open;
	const struct cw_workload *wl;
	struct cw_file_track *t;
	uint32_t self_pid;

	fs->opened++;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	resolve_path(fs, o, t->path, sizeof(t->path));
	self_pid = !strncmp(t->path, "/proc/", 6) ? ns_pid(fs, o->pid) : 0;
	if (!self_pid)
		self_pid = o->pid;
	/* the kernel's flag says its name hashes like a TLS library's: the agent checks */
	if ((o->flags & CW_FILE_TLS_LIB) && fs->on_tls_library)
		fs->on_tls_library(fs->tls_ctx, o->pid, t->path);
	if (!watched(fs, o, t->path, self_pid)) {
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
	t->environ_pid = cw_proc_environ_of(t->path, self_pid);
	memcpy(t->comm, o->comm, CW_COMM_LEN);
	cw_procs_exe(fs->procs, fs->proc, o->pid, t->exe);
	/* Baked into the image: only a container's files can be, and only its root is one. */
	wl = cw_workload_get(fs->wls, o->cgroup_id, o->pid);
	if (wl->container_id[0] && fs->capture_reads)
		t->in_image = in_image(fs, o->pid, o->fd, t->path);
	t->stream = cw_stream_open(fs->matcher);
	if (!t->stream) {
		free(t);
		return -ENOMEM;
	}
	t->cfkind = fs->credfiles ? cw_credfile_kind(t->path) : CW_CF_NONE;
	return fs->capture_reads ? track(fs, t) : read_now(fs, o, t, wl);
}

struct file_ctx {
	struct cw_files *fs;
	struct cw_file_track *t;
	uint64_t ktime_ns;
	int err;
	const struct cw_credfile_seen *seen; /* what the file's parser found; may be NULL */
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
	struct cw_finding_writer *f = x->fs->f;
	struct cw_json *j = &f->j;
	char fp[CW_FP_HEX_LEN + 1], workload[CW_PROV_STR] = "";
	struct cw_actor a = { .pid = t->pid,
			      .uid = t->uid,
			      .cgroup_id = t->cgroup_id,
			      .exe = t->exe,
			      .comm = t->comm,
			      .ktime_ns = x->ktime_ns };
	struct cw_load l = { .source = CW_PROV_FILE,
			     .detail = t->path,
			     .in_image = t->in_image,
			     .environ_pid = t->environ_pid,
			     .workload_out = workload };

	if (!m->field && x->seen && cw_credfile_covers(x->seen, m))
		return 0; /* the file's parser reported it, with its field */
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
			 "file", "access", m);
	cw_json_kobj(j, "file");
	cw_json_kstr(j, "path", t->path);
	cw_json_obj_end(j);
	cw_json_kobj(j, "process");
	cw_json_kuint(j, "pid", t->pid);
	if (t->exe[0])
		cw_json_kstr(j, "executable", t->exe);
	cw_json_kstr(j, "name", t->comm);
	cw_json_obj_end(j);
	/* the workload the read is judged for (a host process's tree, too), as alerts say */
	cw_finding_host(f, t->pid, t->uid, t->cgroup_id, workload[0] ? workload : NULL);
	cw_finding_credential(f, m, "file");
	cw_json_kstr(j, "path", t->path);
	cw_json_obj_end(j);
	cw_json_kbool(j, "in_image", t->in_image);
	cw_json_obj_end(j);
	f->observations++;
	x->err = cw_finding_emit(f);
	return x->err;
}

/*
 * The credential-file hook (detect/credfile.h): buf, the file's bytes, parsed as its kind's
 * tool reads it, then through the text scan, which leaves out what the parser reported.
 */
static int credfile_scan(struct cw_files *fs, struct file_ctx *x, enum cw_credfile_kind k,
			 const char *buf, size_t n)
{
	struct cw_credfile_seen seen = { 0 };
	int ret = cw_credfile_scan(fs->credfiles, fs->matcher, k, buf, n, x->t->path, &seen,
				   on_file_match, x);

	/* the parser's offsets are in buf; the stream's go on from the file's earlier reads */
	for (size_t i = 0; i < seen.n; i++) {
		seen.v[i].start += x->t->streamed;
		seen.v[i].end += x->t->streamed;
	}
	x->t->streamed += n;
	if (ret >= 0 && !x->err) {
		x->seen = &seen;
		ret = cw_stream_write(x->t->stream, buf, n, on_file_match, x);
		/* what the stream holds is reported now, while seen is at hand */
		if (ret >= 0 && !x->err)
			ret = cw_stream_flush(x->t->stream, on_file_match, x);
		x->seen = NULL;
	}
	cw_credfile_seen_free(&seen);
	return ret < 0 ? ret : x->err;
}

/* --capture-reads: what a credential file's reads brought so far, parsed. */
static int credfile_drain(struct cw_files *fs, struct file_ctx *x)
{
	struct cw_file_track *t = x->t;
	int ret;

	if (!t->cflen)
		return 0;
	ret = credfile_scan(fs, x, t->cfkind, t->cfbuf, t->cflen);
	explicit_bzero(t->cfbuf, t->cflen);
	t->cflen = 0;
	return ret;
}

/* --capture-reads: keep a credential file's read for its parser (up to file_cap at once). */
static int credfile_keep(struct cw_files *fs, struct file_ctx *x, const char *p, size_t n)
{
	struct cw_file_track *t = x->t;
	int ret;

	if (t->cflen + n > fs->file_cap && (ret = credfile_drain(fs, x)))
		return ret;
	if (n > fs->file_cap)
		return credfile_scan(fs, x, t->cfkind, p, n);
	if (!t->cfbuf && !(t->cfbuf = malloc(fs->file_cap)))
		return -ENOMEM;
	memcpy(t->cfbuf + t->cflen, p, n);
	t->cflen += n;
	return 0;
}

int cw_files_data(struct cw_files *fs, const struct cw_event *ev)
{
	const struct cw_data_event *d = &ev->data;
	struct cw_file_track *t = find(fs, d->conn_id);
	struct file_ctx x = { .fs = fs, .t = t, .ktime_ns = d->hdr.ktime_ns };
	int ret;

	if (!t || t->pid != d->pid)
		return 0; /* not watched after all, or its open event was dropped */
	fs->bytes += d->len;
	t->last_ns = d->hdr.ktime_ns;
	t->quiet = false;
	if (fs->credfiles && !t->cfsniffed && t->cfkind == CW_CF_NONE)
		t->cfkind = cw_credfile_sniff(t->path, ev->payload, d->len);
	t->cfsniffed = true;
	if (t->cfkind != CW_CF_NONE)
		return credfile_keep(fs, &x, ev->payload, d->len);
	t->streamed += d->len;
	ret = cw_stream_write(t->stream, ev->payload, d->len, on_file_match, &x);
	return ret < 0 ? ret : x.err;
}

/* Forget t: what its stream still holds is reported. */
static int track_end(struct cw_files *fs, struct cw_file_track *t)
{
	struct file_ctx x = { .fs = fs, .t = t, .ktime_ns = t->last_ns };
	int ret = credfile_drain(fs, &x);

	HASH_DEL(fs->table, t);
	fs->n--;
	if (ret)
		cw_stream_close(t->stream, NULL, NULL);
	else
		ret = cw_stream_close(t->stream, on_file_match, &x);
	free(t->cfbuf);
	free(t);
	return ret < 0 ? ret : x.err;
}

/* The file as the opener sees it (host/procfile), or -1; *ns as cw_proc_file_open says. */
static int open_as_process(const struct cw_files *fs, const struct cw_file_open_event *o,
			   const struct cw_file_track *t, const struct cw_workload *wl,
			   uint32_t *ns)
{
	const struct cw_proc_file pf = {
		.proc = fs->proc,
		.pid = o->pid,
		.fd = o->fd,
		.uid = o->uid,
		.path = t->path,
		.path_cut = o->flags & CW_FILE_PATH_TRUNC,
		.environ_pid = t->environ_pid,
		.in_container = wl->container_id[0] != '\0',
		.cgroup_root = cw_workloads_root(fs->wls),
		.cgroup = wl->cgroup,
	};

	return cw_proc_file_open(&pf, ns);
}

static size_t read_at(int fd, char *buf, size_t from, size_t to)
{
	ssize_t r;

	while (from < to && (r = pread(fd, buf + from, to - from, (off_t)from)) > 0)
		from += (size_t)r;
	return from;
}

/*
 * A watched file whose kind its name or first bytes tell (a .netrc, a key) is scanned whole by
 * credfile_scan: 1 when it was, 0 when the caller scans it.
 */
static int read_credfile(struct cw_files *fs, const char *buf, size_t n, struct file_ctx *x)
{
	enum cw_credfile_kind k = x->t->cfkind;
	int ret;

	if (!fs->credfiles || !buf)
		return 0;
	if (k == CW_CF_NONE) /* a key under any name: its first bytes say */
		k = cw_credfile_sniff(x->t->path, buf, n < CREDFILE_SNIFF ? n : CREDFILE_SNIFF);
	if (k == CW_CF_NONE)
		return 0;
	ret = credfile_scan(fs, x, k, buf, n);
	return ret < 0 ? ret : 1;
}

/*
 * The file's first file_cap bytes as the opener sees it, after one flags byte
 * (CW_HOST_FILE_*): read now, and handed to the host tap; in a replay, what was recorded.
 * *buf malloc'd (NULL when nothing could be had: the file unreadable, or no memory); the
 * bytes read in *n.
 */
static void file_bytes(struct cw_files *fs, const struct cw_file_open_event *o,
		       struct cw_file_track *t, const struct cw_workload *wl, unsigned char **buf,
		       size_t *n)
{
	unsigned char key[16];
	const void *v;
	size_t vlen;
	uint32_t ns;
	int fd;

	*buf = NULL;
	*n = 0;
	cw_le64(key, o->file_id);
	cw_le32(key + 8, o->pid);
	cw_le32(key + 12, o->fd);
	if (cw_host_replaying()) {
		v = cw_host_recall(CW_HOST_FILE, key, sizeof(key), &vlen);
		if (!v || !vlen || !(*(const unsigned char *)v & CW_HOST_FILE_OPENED) ||
		    !(*buf = malloc(vlen)))
			return;
		memcpy(*buf, v, vlen);
		*n = vlen - 1;
		t->in_image = **buf & CW_HOST_FILE_IN_IMAGE;
		return;
	}
	fd = open_as_process(fs, o, t, wl, &ns);
	if (fd >= 0 && (*buf = malloc(fs->file_cap + 1))) {
		if (wl->container_id[0] && !t->environ_pid)
			t->in_image = cw_fd_in_image(fs->proc, ns, fd, t->path);
		(*buf)[0] = CW_HOST_FILE_OPENED | (t->in_image ? CW_HOST_FILE_IN_IMAGE : 0);
		*n = read_at(fd, (char *)*buf + 1, 0, fs->file_cap);
	}
	if (fd >= 0)
		close(fd);
	/* the bytes are a credential's: the recorder keeps them (its file is 0600 or
	 * encrypted), nothing else does */
	cw_host_note(CW_HOST_FILE, key, sizeof(key), *buf, *buf ? *n + 1 : 0);
}

static int read_now(struct cw_files *fs, const struct cw_file_open_event *o,
		    struct cw_file_track *t, const struct cw_workload *wl)
{
	struct file_ctx x = { .fs = fs, .t = t, .ktime_ns = o->hdr.ktime_ns };
	unsigned char *buf;
	const char *data;
	size_t n, done = 0;
	int ret;

	file_bytes(fs, o, t, wl, &buf, &n);
	if (!buf) {
		fs->unreadable++;
		cw_debug("cannot read %s opened by pid %u (%s): gone before we looked", t->path,
			 o->pid, t->comm);
	}
	data = buf ? (const char *)buf + 1 : NULL;
	fs->bytes += n;
	/* a credential file is read and scanned whole there; others here, a chunk at a time */
	ret = read_credfile(fs, data, n, &x);
	if (ret > 0)
		done = n;
	while (data && ret >= 0 && done < n) {
		size_t c = n - done < 16384 ? n - done : 16384;

		ret = cw_stream_write(t->stream, data + done, c, on_file_match, &x);
		done += c;
		if (ret < 0 || x.err)
			break;
	}
	if (buf) {
		explicit_bzero(buf, n + 1);
		free(buf);
	}
	if (ret >= 0 && !x.err)
		ret = cw_stream_close(t->stream, on_file_match, &x);
	else
		cw_stream_close(t->stream, NULL, NULL);
	free(t);
	return ret < 0 ? ret : x.err;
}

int cw_files_close(struct cw_files *fs, uint32_t pid, uint32_t fd, uint64_t file_id)
{
	struct cw_file_track *t = find(fs, file_id);

	(void)fd;
	if (!t || t->pid != pid)
		return 0;
	return track_end(fs, t);
}

/* Does pid still hold t open after its exec (its fd still names a file of t's name)? */
static bool open_across_exec(const struct cw_files *fs, const struct cw_file_track *t)
{
	const char *base = strrchr(t->path, '/'), *lb;
	char name[32], link[PATH_MAX];

	snprintf(name, sizeof(name), "fd/%u", t->fd);
	if (proc_link(fs, t->pid, name, link, sizeof(link)) <= 0)
		return false;
	lb = strrchr(link, '/');
	return base && lb && !strcmp(lb, base);
}

/* End pid's tracked files: all of them, or (at an exec) those it no longer holds open. */
static int end_process_files(struct cw_files *fs, uint32_t pid, bool exec)
{
	struct cw_file_track *t, *tmp;
	int ret = 0, r;

	HASH_ITER (hh, fs->table, t, tmp) {
		if (t->pid != pid || (exec && open_across_exec(fs, t)))
			continue;
		kernel_forget(fs, pid, t->fd, t->id);
		r = track_end(fs, t);
		if (!ret)
			ret = r;
	}
	return ret;
}

int cw_files_exit(struct cw_files *fs, uint32_t pid)
{
	return end_process_files(fs, pid, false);
}

int cw_files_exec(struct cw_files *fs, uint32_t pid)
{
	return end_process_files(fs, pid, true);
}

int cw_files_tick(struct cw_files *fs, uint64_t now_ns)
{
	struct cw_file_track *t, *tmp;
	int ret;

	HASH_ITER (hh, fs->table, t, tmp) {
		struct file_ctx x = { .fs = fs, .t = t, .ktime_ns = t->last_ns };

		if (t->quiet || now_ns - t->last_ns < QUIET_NS)
			continue;
		t->quiet = true;
		ret = credfile_drain(fs, &x);
		if (!ret)
			ret = cw_stream_flush(t->stream, on_file_match, &x);
		if (ret < 0 || x.err)
			return ret < 0 ? ret : x.err;
	}
	return 0;
}

void cw_files_free(struct cw_files *fs)
{
	struct cw_file_track *t, *tmp;

	HASH_ITER (hh, fs->table, t, tmp)
		track_end(fs, t);
	cw_credfiles_free(fs->credfiles);
	fs->credfiles = NULL;
}
