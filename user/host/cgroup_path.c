// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A cgroup path read for what it says (cw_workload_parse_path, workload.h): the Kubernetes pod
 * (UID, QoS class) in the cgroupfs and systemd drivers' shapes, the container (id and runtime:
 * containerd, CRI-O, Docker, Podman) and the systemd unit, and the stable key ownership
 * compares. Pure: no file is read.
 */
#include <stdio.h>
#include <string.h>

#include "host/workload.h"
#include "util/str.h"

#define PATH_MAX_COMPONENTS 64

struct comp {
	const char *s;
	size_t n;
};

static bool comp_is(const struct comp *c, const char *s)
{
	return c->n == strlen(s) && !memcmp(c->s, s, c->n);
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
	return n == CW_CONTAINER_ID_HEX && is_lower_hex(s, n);
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

	if (cw_ends_with(s, n, ".slice")) {
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
		if (cw_starts_with(p, (size_t)(end - p), "besteffort-")) {
			*qos = "besteffort";
			p += 11;
		} else if (cw_starts_with(p, (size_t)(end - p), "burstable-")) {
			*qos = "burstable";
			p += 10;
		}
		if (!cw_starts_with(p, (size_t)(end - p), "pod"))
			return false;
		p += 3;
		return parse_uid(p, (size_t)(end - p), '_', uid);
	}
	if (colon || !cw_starts_with(s, n, "pod") || !parse_uid(s + 3, n - 3, '-', uid))
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
	memcpy(out->container_id, id, CW_CONTAINER_ID_HEX);
	out->container_id[CW_CONTAINER_ID_HEX] = '\0';
	snprintf(out->runtime, sizeof(out->runtime), "%s", runtime);
}

/*
 * A container's cgroup: PREFIX<64 hex>[.scope], or a bare <64 hex> when bare_runtime says
 * whose it would be (NULL: not accepted here).
 */
static bool parse_container(const struct comp *c, const char *bare_runtime, struct cw_workload *out)
{
	size_t n = c->n;

	if (n == CW_CONTAINER_ID_HEX) {
		if (!bare_runtime || !is_id64(c->s, n))
			return false;
		set_container(out, c->s, bare_runtime);
		return true;
	}
	if (cw_ends_with(c->s, n, ".scope"))
		n -= 6;
	for (size_t r = 0; r < sizeof(runtimes) / sizeof(runtimes[0]); r++) {
		size_t pl = strlen(runtimes[r].prefix);

		if (n == pl + CW_CONTAINER_ID_HEX && !memcmp(c->s, runtimes[r].prefix, pl) &&
		    is_id64(c->s + pl, CW_CONTAINER_ID_HEX)) {
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

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/*
 * The name of the controller that made a pod: a Deployment's pods are NAME-HASH-XXXXX (the
 * ReplicaSet's pod-template hash, then five generated characters), a DaemonSet's or a Job's
 * NAME-XXXXX, a CronJob's NAME-MINUTES-XXXXX (its Job is named after the scheduled time, in
 * minutes since the epoch). Replicas and runs are one workload: they load the same
 * credentials by design. Other names (StatefulSet ordinals, bare pods) are kept whole.
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
			else if (hl >= 8 && hl <= 10 && all_digits(h + 1, hl))
				n = (size_t)(h - pod); /* a CronJob's Job: NAME-MINUTES */
			break;
		}
	return n;
}

void cw_workload_set_key(struct cw_workload *wl)
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
	else if (wl->session[0])
		snprintf(wl->key, sizeof(wl->key), "session:uid:%s", wl->session_uid);
	/*
	 * A user names the units and containers in its own slice as it likes (a user unit called
	 * deploy.service, a cgroup called libpod-<another container's id>.scope): theirs, not
	 * the system's unit or the container of that name.
	 */
	n = (int)strlen(wl->key);
	if (!wl->pod_uid[0] && !wl->session[0] && wl->session_uid[0] && n)
		snprintf(wl->key + n, sizeof(wl->key) - (size_t)n, " uid:%s", wl->session_uid);
}

/* The uid of the user's slice (user.slice/user-UID.slice) the path runs through, if any. */
static void parse_user_slice(const struct comp *c, size_t nc, struct cw_workload *out)
{
	const size_t ul = sizeof("user-") - 1, sl = sizeof(".slice") - 1;

	for (size_t i = 1; i < nc; i++) {
		const struct comp *u = &c[i];

		if (!comp_is(&c[i - 1], "user.slice") || u->n <= ul + sl ||
		    u->n - ul - sl >= sizeof(out->session_uid) || strncmp(u->s, "user-", ul) ||
		    !cw_ends_with(u->s, u->n, ".slice"))
			continue;
		for (size_t k = ul; k < u->n - sl; k++)
			if (u->s[k] < '0' || u->s[k] > '9')
				return;
		memcpy(out->session_uid, u->s + ul, u->n - ul - sl);
		out->session_uid[u->n - ul - sl] = '\0';
		return;
	}
}

/* c[i] is a login session's scope (session-ID.scope) in user-UID.slice: fill session. */
static void parse_session(const struct comp *c, size_t i, struct cw_workload *out)
{
	const struct comp *s = &c[i], *u = i > 0 ? &c[i - 1] : NULL;
	const size_t ul = sizeof("user-") - 1, sl = sizeof(".slice") - 1;

	if (!u || s->n < sizeof("session-.scope") || s->n >= sizeof(out->session) ||
	    strncmp(s->s, "session-", 8) || !cw_ends_with(s->s, s->n, ".scope"))
		return;
	if (u->n <= ul + sl || u->n - ul - sl >= sizeof(out->session_uid) ||
	    strncmp(u->s, "user-", ul) || !cw_ends_with(u->s, u->n, ".slice"))
		return;
	for (size_t k = ul; k < u->n - sl; k++)
		if (u->s[k] < '0' || u->s[k] > '9')
			return;
	memcpy(out->session, s->s, s->n);
	out->session[s->n] = '\0';
	memcpy(out->session_uid, u->s + ul, u->n - ul - sl);
	out->session_uid[u->n - ul - sl] = '\0';
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
		if (c[i].n > 8 && cw_ends_with(c[i].s, c[i].n, ".service")) {
			if (c[i].n < sizeof(out->unit)) {
				memcpy(out->unit, c[i].s, c[i].n);
				out->unit[c[i].n] = '\0';
			}
			break;
		}
	}
	if (anchor < 0 && nc > 0)
		parse_session(c, nc - 1, out);
	if (pod < 0 && !out->session_uid[0])
		parse_user_slice(c, nc, out);
	cw_workload_set_key(out);
}
