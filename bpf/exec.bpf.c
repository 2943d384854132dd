// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Process lifecycle: every exec with its path, argv and environment block, and process exit so
 * the agent can drop per-process state. Capture only; all parsing happens in userspace.
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline __u32 clamp_len(__u64 len, __u32 max, __u32 *flags, __u32 trunc_flag)
{
	if (len > max) {
		*flags |= trunc_flag;
		len = max;
	}
	return (__u32)len;
}

/* task_struct.flags: forked but has not exec'd (include/linux/sched.h) */
#define CW_PF_FORKNOEXEC 0x00000040

/*
 * The environment's parent and the top of the tree (see struct cw_exec_event): ancestors that
 * forked without an exec (PF_FORKNOEXEC: a shell's subshell) hold their parent's environment,
 * and are gone by the time userspace could look at them.
 */
static __always_inline void exec_ancestry(struct task_struct *task, struct cw_exec_event *e)
{
	struct task_struct *t = BPF_CORE_READ(task, real_parent);
	__u32 top = e->pid;

	e->env_ppid = 0;
	e->env_ppid_start_ns = 0;
	e->top_pid = 0;
	e->pad = 0;
	e->start_ns = BPF_CORE_READ(task, group_leader, start_time);
	if (top <= 2) { /* init (or the kernel) exec'ing */
		e->top_pid = top;
		return;
	}
	for (int i = 0; i < CW_ANCESTRY_MAX; i++) {
		__u32 tgid = BPF_CORE_READ(t, tgid);

		if (tgid <= 2) {
			e->top_pid = top;
			return;
		}
		top = tgid;
		if (!e->env_ppid && !(BPF_CORE_READ(t, group_leader, flags) & CW_PF_FORKNOEXEC)) {
			e->env_ppid = tgid;
			e->env_ppid_start_ns = BPF_CORE_READ(t, group_leader, start_time);
		}
		t = BPF_CORE_READ(t, real_parent);
	}
}

/* Defined here, declared in maps.bpf.h: set by the agent while it can release holds. */
bool cw_hold_on = false;

/* The inode's change time before Linux 6.11 (i_ctime_sec/nsec): __i_ctime from 6.6, i_ctime. */
struct inode___ctime_old {
	struct timespec64 i_ctime;
} __attribute__((preserve_access_index));

struct inode___ctime_mid {
	struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));

/* The new image's executable as the kernel knows it (an interpreter for a script). */
static __always_inline bool exe_key(struct task_struct *task, struct cw_exe_key *k)
{
	struct inode *ino = BPF_CORE_READ(task, mm, exe_file, f_inode);

	if (!ino)
		return false;
	k->ino = BPF_CORE_READ(ino, i_ino);
	k->dev = BPF_CORE_READ(ino, i_sb, s_dev);
	if (bpf_core_field_exists(ino->i_ctime_sec)) {
		k->ctime_sec = BPF_CORE_READ(ino, i_ctime_sec);
		/* multigrain timestamps (6.13+) flag "queried" in the top bit (I_CTIME_QUERIED) */
		k->ctime_nsec = BPF_CORE_READ(ino, i_ctime_nsec) & CW_CTIME_NSEC_MASK;
	} else if (bpf_core_field_exists(((struct inode___ctime_mid *)ino)->__i_ctime)) {
		struct inode___ctime_mid *m = (void *)ino;

		k->ctime_sec = BPF_CORE_READ(m, __i_ctime.tv_sec);
		k->ctime_nsec = (__u32)BPF_CORE_READ(m, __i_ctime.tv_nsec);
	} else {
		struct inode___ctime_old *o = (void *)ino;

		k->ctime_sec = BPF_CORE_READ(o, i_ctime.tv_sec);
		k->ctime_nsec = (__u32)BPF_CORE_READ(o, i_ctime.tv_nsec);
	}
	return true;
}

static __always_inline void count_hold(__u32 why)
{
	__u64 *n = bpf_map_lookup_elem(&hold_skips, &why);

	if (n)
		*n += 1;
}

/*
 * A job-control shell put this process in a process group of its own on a terminal: it waits
 * for it with WUNTRACED and would report it stopped (bash: "Stopped", the job sent to the
 * background). A script's or a service's child stays in its parent's group.
 */
static __always_inline bool terminal_job(struct task_struct *task)
{
	struct pid *pg = BPF_CORE_READ(task, signal, pids[PIDTYPE_PGID]);

	return BPF_CORE_READ(task, signal, tty) &&
	       pg != BPF_CORE_READ(task, real_parent, signal, pids[PIDTYPE_PGID]);
}

#define CW_SIGSTOP 19
#define CW_SIGTSTP 20
#define CW_SIGTTOU 22

/*
 * Would signal sig stop task: SIGSTOP always, SIGTSTP/SIGTTIN/SIGTTOU unless caught (a
 * handler runs instead). sig is a stop signal.
 */
static __always_inline bool stops(struct task_struct *task, int sig)
{
	struct sighand_struct *sh;
	__u64 handler = 0;

	if (sig == CW_SIGSTOP)
		return true;
	sh = BPF_CORE_READ(task, sighand);
	bpf_core_read(&handler, sizeof(handler), &sh->action[(sig - 1) & 63].sa.sa_handler);
	return !handler;
}

/* A stop someone sent while the process was in execve, not acted on yet: theirs. */
static __always_inline bool stop_pending(struct task_struct *task)
{
	__u64 p = BPF_CORE_READ(task, pending.signal.sig[0]) |
		  BPF_CORE_READ(task, signal, shared_pending.signal.sig[0]);

	for (int sig = CW_SIGSTOP; sig <= CW_SIGTTOU; sig++)
		if ((p & (1ull << (sig - 1))) && stops(task, sig))
			return true;
	return false;
}

/*
 * The first exec of an executable the agent has not inspected: stop the process before its
 * first instruction (the signal is acted on when exec returns to user space) and tell the
 * agent's hold thread, which attaches its TLS probes, marks the executable inspected and sends
 * SIGCONT. The held entry goes in before the signal, so the watchdog can always release it.
 */
static __always_inline void hold_new_exe(struct task_struct *task, __u32 pid, __u64 start_ns)
{
	struct cw_hold h = { .start_ns = start_ns };
	struct cw_hold_event *e;
	struct cw_exe_key k = {};

	if (!cw_hold_new_exes || !cw_hold_on || pid <= 1)
		return;
	if (!exe_key(task, &k)) {
		count_hold(CW_HOLD_SKIP_NO_EXE);
		return;
	}
	if (bpf_map_lookup_elem(&exe_seen, &k))
		return;
	if (BPF_CORE_READ(task, ptrace)) {
		count_hold(CW_HOLD_SKIP_TRACED);
		return;
	}
	if (terminal_job(task)) {
		count_hold(CW_HOLD_SKIP_JOB_CONTROL);
		return;
	}
	e = bpf_ringbuf_reserve(&holds, sizeof(*e), 0);
	if (!e) {
		count_hold(CW_HOLD_SKIP_FULL);
		return;
	}
	h.ktime_ns = bpf_ktime_get_ns();
	if (stop_pending(task))
		h.flags = CW_HOLD_FOREIGN_STOP;
	if (bpf_map_update_elem(&held, &pid, &h, BPF_NOEXIST)) {
		bpf_ringbuf_discard(e, 0);
		count_hold(CW_HOLD_SKIP_FULL);
		return;
	}
	if (bpf_send_signal(CW_SIGSTOP)) {
		bpf_map_delete_elem(&held, &pid);
		bpf_ringbuf_discard(e, 0);
		count_hold(CW_HOLD_SKIP_SIGNAL);
		return;
	}
	e->ktime_ns = h.ktime_ns;
	e->start_ns = start_ns;
	e->pid = pid;
	e->pad = 0;
	e->exe = k;
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	count_hold(CW_HOLD_HELD);
}

SEC("tp/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 cpu = bpf_get_smp_processor_id();
	struct cw_exec_scratch *s;
	struct cw_exec_event *e;
	unsigned long arg_start, arg_end, env_start, env_end;
	__u64 id, ugid;
	__u32 path_len = 0, argv_len, env_len = 0, off, total;
	long n;

	s = bpf_map_lookup_elem(&exec_scratch, &cpu);
	if (!s) {
		cw_count_drop(CW_EV_EXEC);
		return 0;
	}
	e = &s->ev;
	cw_fill_hdr(&e->hdr, CW_EV_EXEC);
	id = bpf_get_current_pid_tgid();
	ugid = bpf_get_current_uid_gid();
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->uid = (__u32)ugid;
	e->gid = ugid >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	exec_ancestry(task, e);
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->flags = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));

	/* Path: the filename the kernel resolved for this exec (__data_loc string). */
	off = ctx->__data_loc_filename & 0xFFFF;
	n = bpf_probe_read_kernel_str(s->data, CW_PATH_MAX, (void *)ctx + off);
	if (n > 0) {
		path_len = (__u32)n - 1; /* drop the NUL */
		if (path_len == CW_PATH_MAX - 1)
			e->flags |= CW_EXEC_PATH_TRUNC;
	}
	path_len = cw_bound(path_len, CW_PATH_MAX - 1);

	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	env_start = BPF_CORE_READ(task, mm, env_start);
	env_end = BPF_CORE_READ(task, mm, env_end);

	e->argv_full_len = arg_end > arg_start ? (__u32)(arg_end - arg_start) : 0;
	argv_len = clamp_len(e->argv_full_len, CW_ARGV_MAX, &e->flags, CW_EXEC_ARGV_TRUNC);
	argv_len = cw_bound(argv_len, CW_ARGV_MASK); /* a no-op the verifier can see */
	if (argv_len && bpf_probe_read_user(s->data + path_len, argv_len, (void *)arg_start)) {
		e->flags |= CW_EXEC_ARGV_FAULT;
		argv_len = 0;
	}

	e->env_full_len = env_end > env_start ? (__u32)(env_end - env_start) : 0;
	if (cw_capture_env) {
		env_len = clamp_len(e->env_full_len, CW_ENV_MAX, &e->flags, CW_EXEC_ENV_TRUNC);
		env_len = cw_bound(env_len, CW_ENV_MASK);
		off = cw_bound(path_len + argv_len, CW_ENV_MASK);
		if (env_len && bpf_probe_read_user(s->data + off, env_len, (void *)env_start)) {
			e->flags |= CW_EXEC_ENV_FAULT;
			env_len = 0;
		}
	}

	e->path_len = path_len;
	e->argv_len = argv_len;
	e->env_len = env_len;
	total = sizeof(*e) + path_len + argv_len + env_len;
	barrier_var(total);
	if (total > sizeof(*s))
		return 0;
	if (bpf_ringbuf_output(&events, s, total, cw_rb_flags()))
		cw_count_drop(CW_EV_EXEC);
	hold_new_exe(task, e->pid, e->start_ns);
	return 0;
}

/* The tracepoint's group_dead field (Linux 6.16+): this thread was the process's last. */
struct trace_event_raw_sched_process_exit___gd {
	bool group_dead;
} __attribute__((preserve_access_index));

/* Is the exiting thread the last of its process? */
static __always_inline bool group_dead(void *ctx, struct task_struct *task)
{
	struct trace_event_raw_sched_process_exit___gd *tp = ctx;

	if (bpf_core_field_exists(tp->group_dead))
		return tp->group_dead;
	return BPF_CORE_READ(task, signal, live.counter) == 0;
}

SEC("tp/sched/sched_process_exit")
int handle_exit(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, *tmark = cw_tid_mark(tid);
	struct cw_exit_event *e;

	/* A TLS write this thread made and never sent on a socket: gone with the thread. */
	if (*tmark && !bpf_map_delete_elem(&tls_pending, &tid))
		cw_mark_lower(tmark);
	/*
	 * The process ends with its last thread, whichever that is: not when its first thread
	 * does (pthread_exit from main, or exec from another thread, which ends the first).
	 */
	if (!group_dead(ctx, task))
		return 0;
	/* A held process killed while stopped: nothing to release any more. */
	if (cw_hold_new_exes) {
		__u32 tgid = id >> 32;

		bpf_map_delete_elem(&held, &tgid);
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		cw_count_drop(CW_EV_EXIT);
		return 0;
	}
	cw_fill_hdr(&e->hdr, CW_EV_EXIT);
	e->pid = id >> 32;
	e->exit_code = BPF_CORE_READ(task, exit_code);
	e->cgroup_id = bpf_get_current_cgroup_id();
	bpf_ringbuf_submit(e, cw_rb_flags());
	return 0;
}

#define CW_TRACE_SIGNAL_IGNORED 1 /* enum trace_signal_generate */

/*
 * A stop signal sent to a held process by anyone but the process itself (the exec probe's
 * SIGSTOP runs as the process): job control, kill -STOP, a tracer attaching. Its SIGCONT is
 * then theirs to send, and the agent leaves the process stopped. SIGTSTP, SIGTTIN and SIGTTOU
 * stop only when not caught; an ignored signal does not stop at all.
 */
SEC("raw_tp/signal_generate")
int handle_signal(__u64 *ctx)
{
	/* signal_generate(sig, info, task, group, result) */
	int sig = (int)ctx[0], result = (int)ctx[4];
	struct task_struct *task = (void *)ctx[2];
	struct cw_hold *h;
	__u32 tgid;

	if (sig < CW_SIGSTOP || sig > CW_SIGTTOU)
		return 0;
	if (result == CW_TRACE_SIGNAL_IGNORED)
		return 0;
	tgid = BPF_CORE_READ(task, tgid);
	h = bpf_map_lookup_elem(&held, &tgid);
	if (!h || (bpf_get_current_pid_tgid() >> 32) == tgid || !stops(task, sig))
		return 0;
	h->flags |= CW_HOLD_FOREIGN_STOP; /* only this probe writes it */
	return 0;
}
