// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer target: what /proc and the kubelet's log directories say about a process, all
 * of it shaped by what its owner chose (mount points and their escapes, cgroup and pod names,
 * paths). Byte 0 picks the parser, the rest is its input:
 *   0: PROC/PID/status (NSpid)            1: PROC/PID/mountinfo (image root, lower layers)
 *   2: a mounts file (the cgroup2 mount)  3: a cgroup v2 path (pod, container, unit, session)
 *   4: PROC/PID/cgroup (workload cache)   5: a path opened (/proc/N/environ of another)
 *   6: pod log directory names            7: a mount table field's octal escapes
 *   8: PROC/PID/maps lines (executable file mappings, for TLS probes)
 *   9: PROC/PID/stat (a process's parent: its comm may hold ')' and anything else)
 * Files are written into a fixture directory (/dev/shm) that stands for /proc.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture_dir.h"
#include "host/mountinfo.h"
#include "host/pod_names.h"
#include "host/procfile.h"
#include "host/procs.h"
#include "host/workload.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
static void write_file(const char *path, const char *buf, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define PUID "8c7e2c4a-1b2c-4d5e-8f90-a1b2c3d4e5f6"

#define CHILD_STAT "4243 (child) S 4242 1 1 0 -1\n"

static char dir[64], proc[128], cgroot[128], pods[128], logs[128];
static volatile unsigned sink;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char p1[160];

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "/dev/shm/cw-fuzz-proc.XXXXXX");
	if (!mkdtemp(dir) && !mkdtemp(strcpy(dir, "/tmp/cw-fuzz-proc.XXXXXX")))
		abort();
	fixture_remove_at_exit(dir);
	snprintf(proc, sizeof(proc), "%s/proc", dir);
	snprintf(p1, sizeof(p1), "%s/proc/1", dir);
	snprintf(cgroot, sizeof(cgroot), "%s/cgroup", dir);
	snprintf(pods, sizeof(pods), "%s/pods", dir);
	snprintf(logs, sizeof(logs), "%s/containers", dir);
	if (mkdir(proc, 0700) || mkdir(p1, 0700) || mkdir(cgroot, 0700) || mkdir(pods, 0700) ||
	    mkdir(logs, 0700))
		abort();
	snprintf(p1, sizeof(p1), "%s/proc/4242", dir);
	if (mkdir(p1, 0700))
		abort();
	snprintf(p1, sizeof(p1), "%s/proc/4243", dir);
	if (mkdir(p1, 0700))
		abort();
	snprintf(p1, sizeof(p1), "%s/proc/4243/stat", dir);
	write_file(p1, CHILD_STAT, strlen(CHILD_STAT));
	return 0;
}

static void write_file(const char *path, const char *buf, size_t n)
{
	FILE *f = fopen(path, "we");

	if (!f || fwrite(buf, 1, n, f) != n || fclose(f))
		abort();
}

static void check_str(const char *s, size_t cap)
{
	if (strnlen(s, cap) == cap)
		abort();
	sink += (unsigned)strlen(s);
}

static void check_workload(const struct cw_workload *wl)
{
	check_str(wl->cgroup, sizeof(wl->cgroup));
	check_str(wl->container_id, sizeof(wl->container_id));
	check_str(wl->runtime, sizeof(wl->runtime));
	check_str(wl->pod_uid, sizeof(wl->pod_uid));
	check_str(wl->qos, sizeof(wl->qos));
	check_str(wl->pod_namespace, sizeof(wl->pod_namespace));
	check_str(wl->pod_name, sizeof(wl->pod_name));
	check_str(wl->container_name, sizeof(wl->container_name));
	check_str(wl->unit, sizeof(wl->unit));
	check_str(wl->session, sizeof(wl->session));
	check_str(wl->session_uid, sizeof(wl->session_uid));
	check_str(wl->key, sizeof(wl->key));
}

static void mountinfo(const char *s)
{
	static const char *const paths[] = { "/etc/app/config.env", "/", "/run/secrets/token" };

	for (size_t i = 0; i < 3; i++)
		sink += cw_path_in_image(s, paths[i]);
	for (long id = 0; id < 40; id += 7) {
		sink += cw_mount_is_image_root(s, id);
		sink += (unsigned)cw_overlay_lower_has(s, id, paths[0]);
	}
}

static void cgroup_file(const char *s, size_t n)
{
	struct cw_workload_opts o = {
		.cgroup_root = cgroot, .pods_dir = pods, .containers_dir = logs, .proc_dir = proc
	};
	struct cw_workloads *w;
	char path[160];

	snprintf(path, sizeof(path), "%s/1/cgroup", proc);
	write_file(path, s, n);
	if (cw_workloads_new(&o, &w))
		abort();
	check_workload(cw_workload_get(w, 4242, 1));
	cw_workloads_free(w);
}

/* A name the fuzzer chose, as a file name can hold it (no '/', no NUL, at most 180 bytes). */
static void file_name(char *out, const char *s, size_t n)
{
	if (n > 180)
		n = 180;
	for (size_t i = 0; i < n; i++)
		out[i] = s[i] == '/' || !s[i] ? '_' : s[i];
	out[n] = '\0';
}

/*
 * The input's first line names a container's log (NAME-ID.log), its second a pod's log
 * directory (NAME_UID), its third a container directory in it.
 */
static void pod_names(const char *s, size_t n)
{
	char a[256], b[256], c[256], f[512], d[512], sub[800];
	const char *nl1 = memchr(s, '\n', n), *nl2;
	struct cw_workload wl;
	bool sub_ok;

	if (!nl1 || !(nl2 = memchr(nl1 + 1, '\n', n - (size_t)(nl1 + 1 - s))))
		return;
	file_name(a, s, (size_t)(nl1 - s));
	file_name(b, nl1 + 1, (size_t)(nl2 - nl1 - 1));
	file_name(c, nl2 + 1, n - (size_t)(nl2 + 1 - s));
	snprintf(f, sizeof(f), "%s/%s-" CID ".log", logs, a);
	snprintf(d, sizeof(d), "%s/%s_" PUID, pods, b);
	snprintf(sub, sizeof(sub), "%s/%s", d, c);
	if (close(open(f, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) || mkdir(d, 0700))
		abort();
	/* "", "." and ".." name no container directory */
	sub_ok = c[0] && strcmp(c, ".") && strcmp(c, "..");
	if (sub_ok && mkdir(sub, 0700))
		abort();
	memset(&wl, 0, sizeof(wl));
	memcpy(wl.container_id, CID, sizeof(CID));
	memcpy(wl.pod_uid, PUID, sizeof(PUID));
	cw_pod_names(pods, logs, &wl);
	check_workload(&wl);
	if ((sub_ok && rmdir(sub)) || unlink(f) || rmdir(d))
		abort();
}

/* PROC/4242/stat is the input; 4243 is its child: the parent read and the tree walked. */
static void stat_file(const char *s, size_t n)
{
	char path[160], top[CW_PROCS_EXE_MAX];
	struct cw_procs *ps;

	snprintf(path, sizeof(path), "%s/4242/stat", proc);
	write_file(path, s, n);
	if (!(ps = cw_procs_new(proc)))
		abort();
	sink += cw_procs_parent(ps, 4242);
	if (cw_procs_parent(ps, 4243) != 4242)
		abort();
	sink += cw_procs_tree_root(ps, 4243, top);
	check_str(top, sizeof(top));
	cw_procs_free(ps);
}

/* Each line as fgets hands it to the TLS attacher: at most 1023 bytes. */
static void maps(const char *s, size_t n)
{
	char line[1024];

	for (size_t off = 0; off < n;) {
		const char *nl = memchr(s + off, '\n', n - off);
		size_t len = (nl ? (size_t)(nl - s) + 1 : n) - off, take;
		char *file;

		take = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
		memcpy(line, s + off, take);
		line[take] = '\0';
		file = cw_maps_exec_file(line);
		if (file && (file < line || file >= line + take || file[0] != '/'))
			abort();
		if (file)
			check_str(file, sizeof(line) - (size_t)(file - line));
		off += take;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	char path[160], *s, *out = NULL;
	struct cw_workload wl;

	if (size < 1)
		return 0;
	s = strndup(p, n); /* the string parsers' view: up to the first NUL */
	if (!s)
		abort();
	switch (data[0] % 10) {
	case 0:
		snprintf(path, sizeof(path), "%s/1/status", proc);
		write_file(path, p, n);
		sink += cw_proc_ns_pid(proc, 1);
		break;
	case 1: mountinfo(s); break;
	case 2:
		snprintf(path, sizeof(path), "%s/mounts", dir);
		write_file(path, p, n);
		if (!cw_mounts_cgroup2(path, &out))
			sink += (unsigned)strlen(out);
		free(out);
		break;
	case 3:
		memset(&wl, 0, sizeof(wl));
		cw_workload_parse_path(s, &wl);
		cw_workload_set_key(&wl);
		check_workload(&wl);
		if (cw_workload_owner_len(wl.pod_name) > strlen(wl.pod_name))
			abort();
		break;
	case 4: cgroup_file(p, n); break;
	case 5: sink += cw_proc_environ_of(s, 77); break;
	case 6: pod_names(p, n); break;
	case 8: maps(p, n); break;
	case 9: stat_file(p, n); break;
	default: {
		size_t before = strlen(s);

		cw_mountinfo_unescape(s);
		if (strlen(s) > before)
			abort();
		break;
	}
	}
	free(s);
	return 0;
}
