// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A finding's ECS line as an OCSF Data Security Finding (ocsf.h). */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/ocsf.h"

/* Data Security Finding: category Findings (2), class 6 of it. */
#define OCSF_CATEGORY 2
#define OCSF_CLASS 2006
#define OCSF_ACTIVITY_CREATE 1

/* The member at a dotted path of object keys, or NULL. */
static json_t *at(json_t *root, const char *path)
{
	char key[64];
	const char *dot;

	while (root && (dot = strchr(path, '.'))) {
		size_t n = (size_t)(dot - path);

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		root = json_object_get(root, key);
		path = dot + 1;
	}
	return root ? json_object_get(root, path) : NULL;
}

static const char *str_at(json_t *root, const char *path)
{
	return json_string_value(at(root, path));
}

/* Set key to a copy of the string at path, when there is one. */
static void copy_str(json_t *dst, const char *key, json_t *src, const char *path)
{
	const char *s = str_at(src, path);

	if (s)
		json_object_set_new(dst, key, json_string(s));
}

static void copy_int(json_t *dst, const char *key, json_t *src, const char *path)
{
	json_t *v = at(src, path);

	if (json_is_integer(v))
		json_object_set_new(dst, key, json_integer(json_integer_value(v)));
}

/* ECS @timestamp (RFC 3339, UTC, as the finding writer prints it) in ms since the epoch. */
static int parse_time(const char *s, json_int_t *ms)
{
	struct tm tm;
	const char *p;
	long frac = 0, scale = 1000;

	memset(&tm, 0, sizeof(tm));
	if (!s || !(p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -EINVAL;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
	if (strcmp(p, "Z"))
		return -EINVAL;
	*ms = (json_int_t)timegm(&tm) * 1000 + frac;
	return 0;
}

/* OCSF severity_id from ECS event.severity (0..100); an observation is informational. */
static int severity_id(json_t *ecs, const char **name)
{
	json_int_t s = json_integer_value(at(ecs, "event.severity"));
	const char *kind = str_at(ecs, "event.kind");

	if (!kind || strcmp(kind, "alert") || s < 20) {
		*name = "Informational";
		return 1;
	}
	if (s >= 90) {
		*name = "Critical";
		return 5;
	}
	if (s >= 70) {
		*name = "High";
		return 4;
	}
	if (s >= 40) {
		*name = "Medium";
		return 3;
	}
	*name = "Low";
	return 2;
}

/* Where the credential was: what it was read from or sent through. */
static int lifecycle_id(const char *origin, const char **name)
{
	if (origin && !strcmp(origin, "egress")) {
		*name = "Data in-Transit";
		return 2;
	}
	if (origin &&
	    (!strcmp(origin, "argv") || !strcmp(origin, "env") || !strcmp(origin, "file"))) {
		*name = "Data in-Use";
		return 3;
	}
	if (origin && !strcmp(origin, "scan")) {
		*name = "Data at-Rest";
		return 1;
	}
	*name = "Unknown";
	return 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

/* A Kubernetes pod uid is a UUID (OCSF pod_uuid is uuid_t); anything else is left out. */
static bool is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	}
	return true;
}

/* A regular file object (name and type_id are required). */
static json_t *file_object(const char *path)
{
	json_t *f = json_object();

	json_object_set_new(f, "name", json_string(base_name(path)));
	json_object_set_new(f, "path", json_string(path));
	json_object_set_new(f, "type_id", json_integer(1));
	json_object_set_new(f, "type", json_string("Regular File"));
	return f;
}

static void put_classification(json_t *o, json_t *ecs, json_int_t ms)
{
	const char *sev;
	int sid = severity_id(ecs, &sev);
	const char *kind = str_at(ecs, "event.kind");

	json_object_set_new(o, "activity_id", json_integer(OCSF_ACTIVITY_CREATE));
	json_object_set_new(o, "activity_name", json_string("Create"));
	json_object_set_new(o, "category_uid", json_integer(OCSF_CATEGORY));
	json_object_set_new(o, "category_name", json_string("Findings"));
	json_object_set_new(o, "class_uid", json_integer(OCSF_CLASS));
	json_object_set_new(o, "class_name", json_string("Data Security Finding"));
	json_object_set_new(o, "type_uid", json_integer(OCSF_CLASS * 100 + OCSF_ACTIVITY_CREATE));
	json_object_set_new(o, "type_name", json_string("Data Security Finding: Create"));
	json_object_set_new(o, "severity_id", json_integer(sid));
	json_object_set_new(o, "severity", json_string(sev));
	json_object_set_new(o, "status_id", json_integer(1));
	json_object_set_new(o, "status", json_string("New"));
	json_object_set_new(o, "is_alert", json_boolean(kind && !strcmp(kind, "alert")));
	json_object_set_new(o, "time", json_integer(ms));
	json_object_set_new(o, "timezone_offset", json_integer(0));
	copy_str(o, "message", ecs, "message");
}

static json_t *metadata(json_t *ecs, const char *product_version)
{
	json_t *m = json_object(), *p = json_object();

	json_object_set_new(p, "name", json_string("credwatch"));
	json_object_set_new(p, "vendor_name", json_string("credwatch"));
	json_object_set_new(p, "version", json_string(product_version ? product_version : "dev"));
	json_object_set_new(m, "product", p);
	json_object_set_new(m, "version", json_string(CW_OCSF_VERSION));
	copy_str(m, "uid", ecs, "event.id");
	copy_str(m, "log_name", ecs, "event.dataset");
	if (at(ecs, "container.id")) {
		json_t *profiles = json_array();

		json_array_append_new(profiles, json_string("container"));
		json_object_set_new(m, "profiles", profiles);
	}
	return m;
}

static json_t *finding_info(json_t *ecs, json_int_t ms)
{
	json_t *fi = json_object(), *an = json_object(), *types = json_array();
	const char *action = str_at(ecs, "event.action"), *rule = str_at(ecs, "rule.name");
	char title[512];

	copy_str(fi, "uid", ecs, "event.id");
	snprintf(title, sizeof(title), "%s: %s", action ? action : "credential",
		 rule ? rule : str_at(ecs, "rule.id"));
	json_object_set_new(fi, "title", json_string(title));
	copy_str(fi, "desc", ecs, "message");
	if (action)
		json_array_append_new(types, json_string(action));
	json_object_set_new(fi, "types", types);
	json_object_set_new(fi, "created_time", json_integer(ms));
	copy_str(an, "uid", ecs, "rule.id");
	copy_str(an, "name", ecs, "rule.name");
	copy_str(an, "category", ecs, "rule.ruleset");
	json_object_set_new(an, "type_id", json_integer(1));
	json_object_set_new(an, "type", json_string("Rule"));
	json_object_set_new(fi, "analytic", an);
	return fi;
}

static json_t *data_security(json_t *ecs)
{
	json_t *ds = json_object();
	const char *state;
	int sid = lifecycle_id(str_at(ecs, "credwatch.credential.origin"), &state);

	json_object_set_new(ds, "category_id", json_integer(6));
	json_object_set_new(ds, "category", json_string("Security"));
	json_object_set_new(ds, "data_lifecycle_state_id", json_integer(sid));
	json_object_set_new(ds, "data_lifecycle_state", json_string(state));
	json_object_set_new(ds, "detection_system_id", json_integer(1));
	json_object_set_new(ds, "detection_system", json_string("Endpoint"));
	copy_str(ds, "detection_pattern", ecs, "rule.id");
	copy_str(ds, "pattern_match", ecs, "credwatch.credential.redacted");
	return ds;
}

/* The first string of the array at path (or the string there), or NULL. */
static const char *first_str(json_t *root, const char *path)
{
	json_t *v = at(root, path);

	return json_is_array(v) ? json_string_value(json_array_get(v, 0)) : json_string_value(v);
}

/*
 * ECS container.image as OCSF's image object: name; uid, which OCSF requires, the digest
 * (container.image.hash.all), else the reference NAME:TAG; the tag in labels, since OCSF
 * deprecated image.tag (1.4.0) for labels or tags. NULL when the finding names no image.
 */
static json_t *image(json_t *ecs)
{
	const char *name = str_at(ecs, "container.image.name");
	const char *tag = first_str(ecs, "container.image.tag");
	const char *digest = first_str(ecs, "container.image.hash.all");
	json_t *im, *labels;
	char ref[1024];

	if (!name)
		return NULL;
	im = json_object();
	json_object_set_new(im, "name", json_string(name));
	if (digest) {
		json_object_set_new(im, "uid", json_string(digest));
	} else {
		snprintf(ref, sizeof(ref), "%s%s%s", name, tag ? ":" : "", tag ? tag : "");
		json_object_set_new(im, "uid", json_string(ref));
	}
	if (tag) {
		labels = json_array();
		json_array_append_new(labels, json_string(tag));
		json_object_set_new(im, "labels", labels);
	}
	return im;
}

static json_t *container(json_t *ecs)
{
	json_t *c = json_object(), *im = image(ecs);
	json_t *labels = at(ecs, "orchestrator.resource.label");
	const char *pod = str_at(ecs, "orchestrator.resource.id");

	copy_str(c, "uid", ecs, "container.id");
	copy_str(c, "name", ecs, "container.name");
	copy_str(c, "runtime", ecs, "container.runtime");
	copy_str(c, "orchestrator", ecs, "orchestrator.type");
	if (pod && is_uuid(pod))
		json_object_set_new(c, "pod_uuid", json_string(pod));
	if (im)
		json_object_set_new(c, "image", im);
	/* the pod's labels ("key:value", as ECS has them): its containers carry them */
	if (json_is_array(labels) && json_array_size(labels))
		json_object_set(c, "labels", labels);
	return c;
}

static json_t *user(json_t *ecs)
{
	json_t *u = json_object();

	copy_str(u, "uid", ecs, "user.id");
	if (str_at(ecs, "group.id")) {
		json_t *g = json_object(), *groups = json_array();

		copy_str(g, "uid", ecs, "group.id");
		json_array_append_new(groups, g);
		json_object_set_new(u, "groups", groups);
	}
	return u;
}

static json_t *actor(json_t *ecs)
{
	json_t *a = json_object(), *p = json_object();
	const char *exe = str_at(ecs, "process.executable");

	copy_int(p, "pid", ecs, "process.pid");
	copy_int(p, "ptid", ecs, "process.thread.id");
	copy_str(p, "name", ecs, "process.name");
	if (exe)
		json_object_set_new(p, "file", file_object(exe));
	if (at(ecs, "process.parent.pid")) {
		json_t *parent = json_object();

		copy_int(parent, "pid", ecs, "process.parent.pid");
		json_object_set_new(p, "parent_process", parent);
	}
	if (str_at(ecs, "user.id")) {
		json_object_set_new(p, "user", user(ecs));
		json_object_set_new(a, "user", user(ecs));
	}
	if (str_at(ecs, "container.id"))
		json_object_set_new(p, "container", container(ecs));
	json_object_set_new(a, "process", p);
	return a;
}

static json_t *device(json_t *ecs)
{
	json_t *d = json_object();

	copy_str(d, "hostname", ecs, "host.name");
	copy_str(d, "name", ecs, "host.name");
	json_object_set_new(d, "type_id", json_integer(0));
	json_object_set_new(d, "type", json_string("Unknown"));
	return d;
}

/* The server an egress finding's credential went to; NULL when nothing names it. */
static json_t *dst_endpoint(json_t *ecs)
{
	json_t *d;

	if (!str_at(ecs, "destination.ip") && !str_at(ecs, "destination.domain"))
		return NULL;
	d = json_object();
	copy_str(d, "ip", ecs, "destination.ip");
	copy_int(d, "port", ecs, "destination.port");
	copy_str(d, "hostname", ecs, "destination.domain");
	return d;
}

/* The file that holds the credential, as a resource. */
static json_t *resources(const char *path)
{
	json_t *r = json_object(), *arr = json_array();

	json_object_set_new(r, "uid", json_string(path));
	json_object_set_new(r, "name", json_string(path));
	json_object_set_new(r, "type", json_string("file"));
	json_object_set_new(r, "role_id", json_integer(1));
	json_object_set_new(r, "role", json_string("Target"));
	json_array_append_new(arr, r);
	return arr;
}

/* What OCSF has no place for, as the ECS line has it. */
static json_t *unmapped(json_t *ecs)
{
	static const char *const keys[] = { "credwatch", "threat", "orchestrator", "network" };
	json_t *u = json_object();

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(ecs, keys[i]);

		if (v)
			json_object_set(u, keys[i], v);
	}
	return u;
}

static json_t *convert(json_t *ecs, const char *product_version)
{
	json_t *o, *dst;
	const char *path = str_at(ecs, "file.path");
	json_int_t ms;

	if (!json_is_object(ecs) || parse_time(str_at(ecs, "@timestamp"), &ms) ||
	    !json_is_object(json_object_get(ecs, "event")) || !str_at(ecs, "rule.id"))
		return NULL;
	o = json_object();
	put_classification(o, ecs, ms);
	json_object_set_new(o, "metadata", metadata(ecs, product_version));
	json_object_set_new(o, "finding_info", finding_info(ecs, ms));
	json_object_set_new(o, "data_security", data_security(ecs));
	json_object_set_new(o, "actor", actor(ecs));
	json_object_set_new(o, "device", device(ecs));
	if ((dst = dst_endpoint(ecs)))
		json_object_set_new(o, "dst_endpoint", dst);
	if (path) {
		json_object_set_new(o, "file", file_object(path));
		json_object_set_new(o, "resources", resources(path));
	}
	json_object_set_new(o, "unmapped", unmapped(ecs));
	return o;
}

int cw_ocsf_from_ecs(const char *ecs, size_t len, const char *product_version, char **out,
		     size_t *outlen)
{
	json_error_t jerr;
	json_t *in, *o;
	char *s;

	*out = NULL;
	*outlen = 0;
	in = json_loadb(ecs, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!in)
		return json_error_code(&jerr) == json_error_out_of_memory ? -ENOMEM : -EINVAL;
	o = convert(in, product_version);
	json_decref(in);
	if (!o)
		return -EINVAL;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	*out = s;
	*outlen = strlen(s);
	return 0;
}
