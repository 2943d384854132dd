// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Watched credential files: the opens of paths the watch prefilter matches, then the bytes
 * the process reads from them (read, pread64, readv), as a stream per open file.
 *
 * Every open of the host passes through here: it costs one copy of its path and a few hash
 * lookups (basename, extension, each directory prefix and component: FNV-1a computed in one
 * pass). By default that is all: the agent reads a watched file itself when told of its open,
 * so reads cost nothing. With --capture-reads the read probes are attached too and copy what
 * the process reads from tracked fds: each read then costs one lookup of (tgid, fd) at the
 * first instruction, and its exit probe one load of a global counter of reads in flight on
 * tracked files. Measured in bench/file_overhead: a syscall tracepoint pair costs about as much
 * as a cached 4 KiB pread itself, which is why that is not the default.
 */
#include "capture.bpf.h"
#include "files.bpf.h"

#define AT_FDCWD -100
#define O_ACCMODE 3
#define O_WRONLY 1
#define O_PATH 010000000 /* the same on every architecture Linux has */

/*
 * Globals declared in maps.bpf.h, defined here once. Entries in opening and reading: their
 * exit probes skip the lookup while these are 0.
 */
__u64 cw_opens_pending;
__u64 cw_reads_pending;
__u64 cw_next_file_id;

/*
 * A bitmap over the prefilter's (hash, kind) entries in watch, set by the agent with the map:
 * a path component whose bit is clear is not watched, known without a hash-map lookup. With a
 * few dozen entries in 64 Ki bits, nearly every component of an unwatched path stops here.
 */
__u64 cw_watch_bloom[CW_WATCH_BLOOM_WORDS];

static __always_inline bool watched(__u64 hash, __u32 kind)
{
	struct cw_watch_key k = { .hash = hash, .kind = kind };
	__u32 bit = cw_watch_bloom_bit(hash, kind);

	if (!(cw_watch_bloom[(bit >> 6) & (CW_WATCH_BLOOM_WORDS - 1)] & (1ull << (bit & 63))))
		return false;
	return bpf_map_lookup_elem(&watch, &k) != NULL;
}

struct path_scan {
	const char *path;
	__u64 dir;  /* hash of the directory so far: of its components' hashes */
	__u64 comp; /* hash of the current component */
	__u64 ext;  /* hash of the current component from its last '.' */
	__u32 comp_len;
	bool has_ext;
	bool absolute;
	bool hit;
};

/*
 * One character of the path: FNV-1a of the current component (at each '/', looked up as a
 * component and folded into the directory's hash, which is looked up as a directory; at the
 * end, looked up as the basename) and of the component from its last '.' (the extension).
 * Returns 1 to stop.
 */
static __always_inline long scan_char(struct path_scan *ps, __u32 i)
{
	__u8 c = (__u8)ps->path[i & (CW_FILE_PATH_MAX - 1)];

	if (!c)
		return 1;
	if (c == '/') {
		if (ps->comp_len) {
			ps->dir = (ps->dir ^ ps->comp) * CW_FNV_PRIME;
			if ((ps->absolute && watched(ps->dir, CW_WATCH_DIR)) ||
			    watched(ps->comp, CW_WATCH_COMP)) {
				ps->hit = true;
				return 1;
			}
		}
		ps->comp = CW_FNV_OFFSET;
		ps->comp_len = 0;
		ps->has_ext = false;
		return 0;
	}
	ps->comp = (ps->comp ^ c) * CW_FNV_PRIME;
	ps->comp_len++;
	if (c == '.') {
		ps->ext = (CW_FNV_OFFSET ^ c) * CW_FNV_PRIME;
		ps->has_ext = true;
	} else if (ps->has_ext) {
		ps->ext = (ps->ext ^ c) * CW_FNV_PRIME;
	}
	return 0;
}

/* Eight characters per bpf_loop step: a call per character cost more than the hashing. */
#define SCAN_STEP 8
static long scan_block(__u64 blk, void *arg)
{
	struct path_scan *ps = arg;
	__u32 base = (__u32)blk * SCAN_STEP;

	for (__u32 j = 0; j < SCAN_STEP; j++)
		if (scan_char(ps, base + j))
			return 1;
	return 0;
}

/*
 * A relative open: the watch's directories are matched against the process's working
 * directory, walked up from its dentry (crossing mounts, to the process's root) and folded
 * into the directory hash top-down, as an absolute path would have been.
 */
#define CWD_DEPTH 16 /* components of the working directory looked at */
#define CWD_STEPS 24 /* dentries and mount crossings walked */
#define CWD_NAME 64  /* bytes of a component hashed: longer ones never match */
#define CWD_BUF 512  /* the directory's text, built right to left */

struct cwd_walk {
	struct dentry *d;
	struct mount *mnt;
	struct dentry *root_d;
	struct vfsmount *root_mnt;
	__u64 comp[CWD_DEPTH];
	__u32 n;
	__u32 pos; /* where the text built so far starts in dir */
	bool done, overflow, text_bad;
	char name[CWD_NAME];
	char dir[CWD_BUF + CWD_NAME + 1];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cwd_walk);
} cwd_scratch SEC(".maps");

struct cwd_ctx {
	struct cwd_walk *w; /* bpf_loop's context must be on the stack: the walk is not */
};

static long cwd_step(__u64 i, void *arg)
{
	struct cwd_walk *w = ((struct cwd_ctx *)arg)->w;
	/* locals: a CO-RE read must not reach through the walk, which the kernel has no BTF of */
	struct mount *m = w->mnt;
	struct dentry *d = w->d, *mnt_root, *parent;
	struct vfsmount *vm = (struct vfsmount *)__builtin_preserve_access_index(&m->mnt);
	struct qstr q;
	__u64 h = CW_FNV_OFFSET;
	__u32 len;

	(void)i;
	mnt_root = BPF_CORE_READ(vm, mnt_root);
	if (d == w->root_d && vm == w->root_mnt)
		goto done;
	if (d == mnt_root) { /* the top of this mount: on to where it is mounted */
		struct mount *pm = BPF_CORE_READ(m, mnt_parent);

		if (!pm || pm == m)
			goto done;
		w->d = BPF_CORE_READ(m, mnt_mountpoint);
		w->mnt = pm;
		return 0;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d || w->n >= CWD_DEPTH)
		goto overflow;
	q = BPF_CORE_READ(d, d_name);
	len = q.len;
	if (len >= CWD_NAME || bpf_probe_read_kernel(w->name, len & (CWD_NAME - 1), q.name))
		len = 0; /* unhashable: a hash no entry has */
	for (__u32 k = 0; k < CWD_NAME; k++) {
		if (k >= len)
			break;
		h = (h ^ (__u8)w->name[k]) * CW_FNV_PRIME;
	}
	w->comp[w->n & (CWD_DEPTH - 1)] = len ? h : 0;
	w->n++;
	w->d = parent;
	/* "/name" in front of what is built: the text the agent joins a relative path to */
	if (!len || w->pos < len + 1) {
		w->text_bad = true; /* no room, or a name we could not read: no text */
		return 0;
	}
	w->pos -= len + 1;
	w->dir[w->pos & (CWD_BUF - 1)] = '/';
	bpf_probe_read_kernel(&w->dir[(w->pos + 1) & (CWD_BUF - 1)], len & (CWD_NAME - 1), w->name);
	return 0;
overflow:
	w->overflow = true;
done:
	w->done = true;
	return 1;
}

/*
 * Fold the working directory into ps->dir, checking each prefix, and put its text in the
 * event (the agent cannot read /proc/PID/cwd of a process gone by then); false when unknown.
 */
static __always_inline bool cwd_scan(struct path_scan *ps, struct cw_file_open_event *s)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct cwd_walk *w;
	struct cwd_ctx ctx;
	__u32 zero = 0;
	__u64 dir = CW_FNV_OFFSET;

	w = bpf_map_lookup_elem(&cwd_scratch, &zero);
	if (!w)
		return false;
	ctx.w = w;
	w->d = BPF_CORE_READ(task, fs, pwd.dentry);
	w->mnt = container_of(BPF_CORE_READ(task, fs, pwd.mnt), struct mount, mnt);
	w->root_d = BPF_CORE_READ(task, fs, root.dentry);
	w->root_mnt = BPF_CORE_READ(task, fs, root.mnt);
	w->n = 0;
	w->pos = CWD_BUF;
	w->done = w->overflow = w->text_bad = false;
	bpf_loop(CWD_STEPS, cwd_step, &ctx, 0);
	if (!w->done || w->overflow)
		return false;
	if (!w->text_bad) {
		__u32 len = CWD_BUF - w->pos;

		if (!len) {
			s->cwd[0] = '/';
			len = 1;
		} else if (len >= CW_FILE_PATH_MAX ||
			   bpf_probe_read_kernel(s->cwd, cw_bound(len, CW_FILE_PATH_MAX - 1),
						 &w->dir[w->pos & (CWD_BUF - 1)])) {
			len = 0;
		}
		s->cwd_len = len;
		if (len)
			s->flags |= CW_FILE_CWD;
	}
	for (int j = CWD_DEPTH - 1; j >= 0; j--) {
		__u64 c;

		if ((__u32)j >= w->n)
			continue;
		c = w->comp[j];
		dir = (dir ^ c) * CW_FNV_PRIME;
		if (watched(dir, CW_WATCH_DIR) || watched(c, CW_WATCH_COMP)) {
			ps->hit = true;
			return true;
		}
	}
	ps->dir = dir;
	ps->absolute = true; /* its components continue a known directory */
	return true;
}

/* A credwatch agent's open: root running the agent's own executable (cw_self_exe_ino). */
static __always_inline bool agent_open(void)
{
	struct task_struct *task;
	struct inode *ino;

	if (!cw_self_exe_ino || (__u32)bpf_get_current_uid_gid() != 0)
		return false;
	task = (struct task_struct *)bpf_get_current_task();
	ino = BPF_CORE_READ(task, mm, exe_file, f_inode);
	return ino && BPF_CORE_READ(ino, i_ino) == cw_self_exe_ino &&
	       BPF_CORE_READ(ino, i_sb, s_dev) == cw_self_exe_dev;
}

static __always_inline int open_enter(int dfd, const char *filename, __u32 flags)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, zero = 0;
	struct cw_file_open_event *s;
	struct path_scan ps = { .dir = CW_FNV_OFFSET, .comp = CW_FNV_OFFSET };
	long n;

	/* Opened for writing only, or O_PATH (no access to the contents): nothing is read. */
	if ((flags & O_ACCMODE) == O_WRONLY || (flags & O_PATH) ||
	    (__u32)(id >> 32) == cw_self_tgid)
		return 0;
	s = bpf_map_lookup_elem(&open_scratch, &zero);
	if (!s)
		return 0;
	n = bpf_probe_read_user_str(s->path, sizeof(s->path), filename);
	if (n <= 1)
		return 0;
	s->flags = n >= (long)sizeof(s->path) ? CW_FILE_PATH_TRUNC : 0;
	ps.path = s->path;
	ps.absolute = s->path[0] == '/';
	s->cwd_len = 0;
	if (!ps.absolute && dfd == AT_FDCWD)
		cwd_scan(&ps, s);
	if (!ps.hit)
		bpf_loop(CW_FILE_PATH_MAX / SCAN_STEP, scan_block, &ps, 0);
	if (!ps.hit && ps.comp_len && !(s->flags & CW_FILE_PATH_TRUNC)) {
		struct cw_watch_key k = { .hash = ps.comp, .kind = CW_WATCH_NAME };
		__u32 bit = cw_watch_bloom_bit(ps.comp, CW_WATCH_NAME);
		__u8 *v = NULL;

		if (cw_watch_bloom[(bit >> 6) & (CW_WATCH_BLOOM_WORDS - 1)] & (1ull << (bit & 63)))
			v = bpf_map_lookup_elem(&watch, &k);
		if (v && (*v & CW_WATCH_TLS_LIB))
			s->flags |= CW_FILE_TLS_LIB;
		ps.hit = v || (ps.has_ext && watched(ps.ext, CW_WATCH_EXT));
	}
	if (!ps.hit || agent_open())
		return 0;
	s->path_len = (__u32)n - 1;
	s->pid = id >> 32;
	s->tid = tid;
	s->dfd = dfd;
	s->open_flags = flags;
	if (bpf_map_update_elem(&opening, &tid, s, BPF_ANY) == 0)
		__sync_fetch_and_add(&cw_opens_pending, 1);
	return 0;
}

static __always_inline int open_exit(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct cw_conn_key key = { .tgid = id >> 32, .fd = (__u32)ret };
	struct cw_file_open_event *p, *e;
	struct cw_file f = {};

	/* This fd is a new file now, whatever it was (a lookup first: deletes take a lock). */
	if (cw_capture_reads && ret >= 0 && *cw_fd_mark(key.tgid, key.fd) &&
	    bpf_map_lookup_elem(&files, &key) && !bpf_map_delete_elem(&files, &key))
		cw_mark_lower(cw_fd_mark(key.tgid, key.fd));
	if (!cw_opens_pending)
		return 0;
	p = bpf_map_lookup_elem(&opening, &tid);
	if (!p)
		return 0;
	__sync_fetch_and_add(&cw_opens_pending, -1);
	if (ret < 0)
		goto out;
	f.id = __sync_fetch_and_add(&cw_next_file_id, 1) + 1;
	if (cw_capture_reads) {
		f.ident = cw_file_ident(cw_fd_file((__u32)ret));
		if (!bpf_map_update_elem(&files, &key, &f, BPF_ANY))
			cw_mark_raise(cw_fd_mark(key.tgid, key.fd));
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		cw_count_drop(CW_EV_FILE_OPEN);
		goto out;
	}
	__builtin_memcpy(e, p, sizeof(*e));
	cw_fill_hdr(&e->hdr, CW_EV_FILE_OPEN);
	e->fd = (__u32)ret;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->file_id = f.id;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	/* A TLS library being loaded: the agent must attach before the process's first write. */
	bpf_ringbuf_submit(e, (e->flags & CW_FILE_TLS_LIB) ? BPF_RB_FORCE_WAKEUP : cw_rb_flags());
out:
	bpf_map_delete_elem(&opening, &tid);
	return 0;
}

SEC("tp/syscalls/sys_enter_openat")
int handle_openat(struct trace_event_raw_sys_enter *ctx)
{
	return open_enter((int)ctx->args[0], (const char *)ctx->args[1], (__u32)ctx->args[2]);
}

SEC("tp/syscalls/sys_exit_openat")
int handle_openat_exit(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret);
}

struct open_how_user {
	__u64 flags;
	__u64 mode;
	__u64 resolve;
};

SEC("tp/syscalls/sys_enter_openat2")
int handle_openat2(struct trace_event_raw_sys_enter *ctx)
{
	struct open_how_user how = {};

	bpf_probe_read_user(&how, sizeof(how), (const void *)ctx->args[2]);
	return open_enter((int)ctx->args[0], (const char *)ctx->args[1], (__u32)how.flags);
}

SEC("tp/syscalls/sys_exit_openat2")
int handle_openat2_exit(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret);
}

/* open(2): x86-64 only; the agent turns it off where the tracepoint does not exist. */
SEC("tp/syscalls/sys_enter_open")
int handle_open(struct trace_event_raw_sys_enter *ctx)
{
	return open_enter(AT_FDCWD, (const char *)ctx->args[0], (__u32)ctx->args[1]);
}

SEC("tp/syscalls/sys_exit_open")
int handle_open_exit(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret);
}

/* The hot path of every read on the host: one lookup, and out when the fd is not tracked. */
static __always_inline int read_enter(__u32 fd, __u64 buf, __u64 iovcnt)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct cw_conn_key key = { .tgid = id >> 32, .fd = fd };
	struct cw_file_read_args r = { .buf = buf, .iovcnt = iovcnt, .fd = fd };
	__u32 tid = (__u32)id;
	struct cw_file *f;

	if (!*cw_fd_mark(key.tgid, fd))
		return 0;
	f = bpf_map_lookup_elem(&files, &key);
	if (!f)
		return 0;
	if (f->ident != cw_file_ident(cw_fd_file(fd))) { /* closed without a close() (exec) */
		cw_file_closed(key.tgid, fd);
		return 0;
	}
	if (f->captured >= cw_file_cap)
		return 0;
	if (bpf_map_update_elem(&reading, &tid, &r, BPF_ANY) == 0)
		__sync_fetch_and_add(&cw_reads_pending, 1);
	return 0;
}

static __always_inline int read_exit(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct cw_file_read_args *r;
	struct cw_conn_key key = { .tgid = id >> 32 };
	struct cw_file *f;
	__u64 want, left;

	if (!cw_reads_pending)
		return 0;
	r = bpf_map_lookup_elem(&reading, &tid);
	if (!r)
		return 0;
	__sync_fetch_and_add(&cw_reads_pending, -1);
	key.fd = r->fd;
	f = bpf_map_lookup_elem(&files, &key);
	if (ret <= 0 || !f || f->captured >= cw_file_cap ||
	    !cw_data_start(f->id, r->fd, CW_SRC_FILE, 0))
		goto out;
	left = cw_file_cap - f->captured;
	want = (__u64)ret < left ? (__u64)ret : left;
	if (!r->iovcnt) {
		f->captured += (__u64)cw_emit_data(r->buf, want, (__u64)ret, 0);
		goto out;
	}
	/* readv: the bytes fill the iovecs in order. */
	for (__u32 i = 0; i < CW_IOV_MAX; i++) {
		struct cw_iovec_user v;
		__u64 n;
		__u32 sent;

		if (i >= r->iovcnt || !want)
			break;
		if (bpf_probe_read_user(&v, sizeof(v), (const void *)(r->buf + i * sizeof(v))))
			break;
		n = v.len < want ? v.len : want;
		if (!n)
			continue;
		sent = (__u32)cw_emit_data(v.base, n, n, 0);
		f->captured += sent;
		if (sent < n)
			break;
		want -= n;
	}
out:
	bpf_map_delete_elem(&reading, &tid);
	return 0;
}

SEC("tp/syscalls/sys_enter_read")
int handle_read(struct trace_event_raw_sys_enter *ctx)
{
	return read_enter((__u32)ctx->args[0], ctx->args[1], 0);
}

SEC("tp/syscalls/sys_exit_read")
int handle_read_exit(struct trace_event_raw_sys_exit *ctx)
{
	return read_exit(ctx->ret);
}

SEC("tp/syscalls/sys_enter_pread64")
int handle_pread64(struct trace_event_raw_sys_enter *ctx)
{
	return read_enter((__u32)ctx->args[0], ctx->args[1], 0);
}

SEC("tp/syscalls/sys_exit_pread64")
int handle_pread64_exit(struct trace_event_raw_sys_exit *ctx)
{
	return read_exit(ctx->ret);
}

SEC("tp/syscalls/sys_enter_readv")
int handle_readv(struct trace_event_raw_sys_enter *ctx)
{
	__u64 n = ctx->args[2];

	return read_enter((__u32)ctx->args[0], ctx->args[1], n ? n : 1);
}

SEC("tp/syscalls/sys_exit_readv")
int handle_readv_exit(struct trace_event_raw_sys_exit *ctx)
{
	return read_exit(ctx->ret);
}

static __always_inline int cgroup_event(struct trace_event_raw_cgroup *ctx, __u32 type)
{
	struct cw_cgroup_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u32 loc = ctx->__data_loc_path;

	if (!e) {
		cw_count_drop(type);
		return 0;
	}
	cw_fill_hdr(&e->hdr, type);
	e->id = ctx->id;
	e->root = ctx->root;
	e->level = ctx->level;
	e->path[0] = '\0';
	if (type == CW_EV_CGROUP_MKDIR)
		bpf_probe_read_kernel_str(e->path, sizeof(e->path), (void *)ctx + (loc & 0xffff));
	bpf_ringbuf_submit(e, cw_rb_flags());
	return 0;
}

/* A cgroup went away: the agent drops its cached workload identity. */
SEC("tp/cgroup/cgroup_rmdir")
int handle_cgroup_rmdir(struct trace_event_raw_cgroup *ctx)
{
	return cgroup_event(ctx, CW_EV_CGROUP_RMDIR);
}

/* A cgroup was made: the agent learns its path now, while a short-lived process in it may
 * already be gone by the time it is asked about. */
SEC("tp/cgroup/cgroup_mkdir")
int handle_cgroup_mkdir(struct trace_event_raw_cgroup *ctx)
{
	return cgroup_event(ctx, CW_EV_CGROUP_MKDIR);
}
