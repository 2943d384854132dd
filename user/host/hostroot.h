/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Where the host is (`--host-root DIR`): an agent in a container, with the host's / mounted at
 * DIR, reads the host's /proc, /sys/fs/cgroup, /var/log/pods, /var/log/containers and
 * /var/lib/kubelet under DIR, and a file "through a process's root" as DIR/proc/PID/root/...
 * Set once at the start, before anything reads the host; without it the root is "/" and every
 * path is what it says. The agent's own files (/proc/self, its config, BPF and trace
 * filesystems, the kernel's BTF) are never routed through here.
 */
#ifndef CW_HOSTROOT_H
#define CW_HOSTROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_HOST_ROOT_MAX 256
/* The initial pid namespace's inode (PROC_PID_INIT_INO): the pids BPF reports are its own. */
#define CW_INIT_PID_NS_INO 0xEFFFFFFCu

/*
 * Set the host's root: dir absolute, a directory, at most CW_HOST_ROOT_MAX bytes; NULL, "" or
 * "/" mean the agent's own root. 0, or -errno with the reason in err.
 */
int cw_host_root_set(const char *dir, char *err, size_t errlen);
/* "" when the host's root is the agent's own, else the directory without a trailing '/'. */
const char *cw_host_root(void);
static inline bool cw_host_root_is_set(void)
{
	return cw_host_root()[0] != '\0';
}
/* The host's /proc: "/proc", or ROOT/proc. */
const char *cw_host_proc(void);
/*
 * The host path path (absolute) as the agent reaches it: ROOT + path into buf. Returns buf, or
 * NULL when it does not fit (buf then holds "").
 */
const char *cw_host_path(char *buf, size_t len, const char *path);

/*
 * With a host root: the host's cgroup v2 mount (from ROOT/proc/1/mounts, init's mount table,
 * not the agent's), under the root, in *out (malloc'ed). 0, -ENOENT when the host has none,
 * or -errno.
 */
int cw_host_cgroup2_root(char **out);

/*
 * Is the agent in the host's pid namespace (the one whose pids BPF reports)? self_ns: the inode
 * of the agent's own (/proc/self/ns/pid); host_ns: that of the host's init (ROOT/proc/1/ns/pid;
 * 0 when unknown, then the initial namespace's inode stands for it). Pure, for tests.
 */
bool cw_host_pidns_same(uint64_t self_ns, uint64_t host_ns);
/* The same, looked up: 0, or -EINVAL with what is wrong (and what to do) in err. */
int cw_host_pidns_check(char *err, size_t errlen);

#endif
