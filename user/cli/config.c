// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The config file of `credwatch run` (config.h): one table of keys, each the name of a flag
 * with '_' for '-' and the field of struct cw_agent_opts it sets, read with the one YAML
 * field reader so that every error names FILE:LINE like the policy's and the rules'.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "credwatch.h"
#include "cli/config.h"
#include "trace/flight.h"
#include "util/fileio.h"
#include "util/parse.h"
#include "util/yaml_reader.h"

#define CONFIG_MAX_BYTES (1u << 20)

enum key_type {
	T_STR,
	T_BOOL,
	T_NUM,
	T_OUTPUTS,
	T_VERBOSE,
	T_KUBE_SOURCE,
	T_KUBE_ANNOTATIONS,
	T_SECCOMP
};

#define FIELD(f) offsetof(struct cw_agent_opts, f), sizeof(((struct cw_agent_opts *)0)->f)

static const struct config_key {
	const char *name;
	enum key_type type;
	size_t off, size;
	unsigned long long lo, hi; /* T_NUM */
} keys[] = {
	{ "rules", T_STR, FIELD(rules_dir), 0, 0 },
	{ "events", T_BOOL, FIELD(events), 0, 0 },
	{ "outputs", T_OUTPUTS, 0, 0, 0, 0 },
	{ "spool_dir", T_STR, FIELD(spool_dir), 0, 0 },
	{ "spool_max", T_NUM, FIELD(spool_max), 64ULL << 10, 1ULL << 50 },
	{ "spool_sync_ms", T_NUM, FIELD(spool_sync_ms), 1, 3600000 },
	{ "metrics", T_STR, FIELD(metrics_addr), 0, 0 },
	{ "status_file", T_STR, FIELD(status_file), 0, 0 },
	{ "policy", T_STR, FIELD(policy), 0, 0 },
	{ "state", T_STR, FIELD(state), 0, 0 },
	{ "state_max", T_NUM, FIELD(state_max), 1, 10000000 },
	{ "ringbuf_size", T_NUM, FIELD(ringbuf_size), CW_AGENT_RINGBUF_MIN, CW_AGENT_RINGBUF_MAX },
	{ "stats_interval", T_NUM, FIELD(stats_interval), 1, 86400 },
	{ "no_env", T_BOOL, FIELD(no_env), 0, 0 },
	{ "include_loopback", T_BOOL, FIELD(include_loopback), 0, 0 },
	{ "capture_inbound", T_BOOL, FIELD(capture_inbound), 0, 0 },
	{ "payload_cap", T_NUM, FIELD(payload_cap), 1, CW_PAYLOAD_CAP_MAX },
	{ "payload_budget", T_NUM, FIELD(payload_budget), 0, 1ULL << 40 },
	{ "no_file_capture", T_BOOL, FIELD(no_files), 0, 0 },
	{ "file_cap", T_NUM, FIELD(file_cap), 1, CW_FILE_CAP_MAX },
	{ "capture_reads", T_BOOL, FIELD(capture_reads), 0, 0 },
	{ "btf", T_STR, FIELD(btf), 0, 0 },
	{ "host_root", T_STR, FIELD(host_root), 0, 0 },
	{ "fingerprint_key_file", T_STR, FIELD(key_file), 0, 0 },
	{ "allow_second_agent", T_BOOL, FIELD(allow_second_agent), 0, 0 },
	{ "seccomp", T_SECCOMP, FIELD(seccomp), 0, 0 },
	{ "verbose", T_VERBOSE, 0, 0, 0, 2 },
	/* Kubernetes pod metadata (docs/pod-metadata.md) */
	{ "kube_metadata", T_KUBE_SOURCE, FIELD(kube_metadata), 0, 0 },
	{ "kube_apiserver", T_STR, FIELD(kube_apiserver), 0, 0 },
	{ "kubelet_url", T_STR, FIELD(kubelet_url), 0, 0 },
	{ "kubelet_insecure_tls", T_BOOL, FIELD(kubelet_insecure_tls), 0, 0 },
	{ "kube_token_file", T_STR, FIELD(kube_token_file), 0, 0 },
	{ "kube_ca_file", T_STR, FIELD(kube_ca_file), 0, 0 },
	{ "node_name", T_STR, FIELD(node_name), 0, 0 },
	{ "kube_annotations", T_KUBE_ANNOTATIONS, 0, 0, 0, 0 },
	{ "kube_max_pods", T_NUM, FIELD(kube_max_pods), 1, 1000000 },
	{ "kube_timeout_ms", T_NUM, FIELD(kube_timeout_ms), 100, 600000 },
	/* The flight recorder (docs/forensics.md): read at the start, not on SIGHUP */
	{ "flight_recorder", T_NUM, FIELD(flight_seconds), 0, CW_FLIGHT_SECONDS_MAX },
	{ "flight_recorder_memory", T_NUM, FIELD(flight_memory), CW_FLIGHT_MEMORY_MIN, 1ULL << 40 },
	{ "flight_recorder_disk", T_NUM, FIELD(flight_disk), CW_FLIGHT_MEMORY_MIN, 1ULL << 50 },
	{ "flight_recorder_max_dumps", T_NUM, FIELD(flight_max_dumps), 1, 100000 },
	{ "flight_recorder_dir", T_STR, FIELD(flight_dir), 0, 0 },
	{ "flight_recorder_recipient", T_STR, FIELD(flight_recipient), 0, 0 },
};

struct loader {
	struct cw_yaml y;
	struct cw_agent_opts *o;
	int *verbose;
	struct cw_strv *strings;
};

#define fail(l, ...) cw_yaml_fail(&(l)->y, __VA_ARGS__)
#define next(l) cw_yaml_next(&(l)->y)
#define line_of(l) cw_yaml_line(&(l)->y)

const char *cw_config_find(int argc, char **argv, const char *default_file)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			return argv[i + 1];
		if (!strncmp(argv[i], "--config=", 9))
			return argv[i] + 9;
	}
	return default_file && !access(default_file, F_OK) ? default_file : NULL;
}

/* A copy kept for as long as the options are used. */
static int keep(struct loader *l, const char *s, const char **out)
{
	int ret = cw_strv_push(l->strings, s);

	if (!ret)
		*out = l->strings->v[l->strings->n - 1];
	return ret;
}

/* The next value, a scalar (not a list or mapping): its text. */
static int want_scalar(struct loader *l, const char *key, const char *what, const char **v)
{
	int ret = cw_yaml_want_string(&l->y, key, v);

	if (!ret && cw_yaml_is_null(&l->y))
		return fail(l, line_of(l), "'%s' has no value (it takes %s)", key, what);
	return ret;
}

static int parse_bool_text(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" }, *const no[] = { "false", "no",
										  "off" };

	for (size_t i = 0; i < 3; i++) {
		if (!strcasecmp(v, yes[i]) || !strcasecmp(v, no[i])) {
			*out = !strcasecmp(v, yes[i]);
			return 0;
		}
	}
	return -EINVAL;
}

static int set_number(struct loader *l, const struct config_key *k, void *field)
{
	unsigned long long v;
	const char *s;
	char msg[256];
	int ret = want_scalar(l, k->name, "a number", &s);

	if (ret)
		return ret;
	if (cw_parse_u64_err(k->name, s, k->lo, k->hi, &v, msg, sizeof(msg)))
		return fail(l, line_of(l), "%s (k, M and G suffixes allowed)", msg);
	if (k->size == sizeof(unsigned)) {
		unsigned u = (unsigned)v;

		memcpy(field, &u, sizeof(u));
	} else {
		memcpy(field, &v, sizeof(v));
	}
	return 0;
}

/* One output given as a mapping: "target,key=value,..." for the spec parser. */
static int mapping_spec(struct loader *l, char *spec, size_t cap)
{
	struct cw_yaml_keys seen = { 0 };
	size_t start = line_of(l), n = 0;
	char key[64], opts[CW_OUTPUT_STR] = "", target[CW_OUTPUT_STR] = "";
	const char *v;
	bool b;
	int ret;

	while (!(ret = next(l)) && l->y.ev.type != YAML_MAPPING_END_EVENT) {
		if ((ret = cw_yaml_key(&l->y, &seen, key, sizeof(key))) ||
		    (ret = want_scalar(l, key, "a value", &v)))
			return ret;
		if (strchr(v, ','))
			return fail(l, line_of(l), "output field '%s': a value cannot hold ','",
				    key);
		if (!strcmp(key, "target")) {
			snprintf(target, sizeof(target), "%s", v);
			continue;
		}
		for (char *c = key; *c; c++)
			*c = *c == '_' ? '-' : *c;
		if (!parse_bool_text(v, &b))
			v = b ? "on" : "off";
		n += (size_t)snprintf(opts + n, n < sizeof(opts) ? sizeof(opts) - n : 0, ",%s=%s",
				      key, v);
	}
	if (ret)
		return ret;
	if (!*target)
		return fail(l, start, "an output mapping has no 'target' (e.g. target: stdout)");
	if (n >= sizeof(opts) || (size_t)snprintf(spec, cap, "%s%s", target, opts) >= cap)
		return fail(l, start, "output '%s': its options are too long", target);
	return 0;
}

static int parse_output(struct loader *l, struct cw_output_spec *out)
{
	size_t line = line_of(l);
	char spec[CW_OUTPUT_STR], msg[512];
	int ret;

	if (l->y.ev.type == YAML_MAPPING_START_EVENT) {
		if ((ret = mapping_spec(l, spec, sizeof(spec))))
			return ret;
	} else if (l->y.ev.type == YAML_SCALAR_EVENT && !cw_yaml_is_null(&l->y)) {
		if ((ret = cw_yaml_string_event(&l->y, "outputs", "a spec")))
			return ret;
		snprintf(spec, sizeof(spec), "%s", cw_yaml_scalar(&l->y));
	} else {
		return fail(l, line,
			    "each output is a spec (\"file:/var/log/credwatch.json\") or a "
			    "mapping with a 'target'");
	}
	if (cw_output_spec_parse(spec, out, msg, sizeof(msg)))
		return fail(l, line, "%s", msg);
	return 0;
}

static int parse_outputs(struct loader *l)
{
	struct cw_agent_opts *o = l->o;
	int ret = next(l);

	if (ret)
		return ret;
	o->noutputs = 0;
	if (cw_yaml_is_null(&l->y))
		return 0;
	if (l->y.ev.type != YAML_SEQUENCE_START_EVENT)
		return fail(l, line_of(l), "'outputs' must be a list of outputs");
	while (!(ret = next(l)) && l->y.ev.type != YAML_SEQUENCE_END_EVENT) {
		if (o->noutputs == CW_OUTPUTS_MAX)
			return fail(l, line_of(l), "more than %d outputs", CW_OUTPUTS_MAX);
		if ((ret = parse_output(l, &o->outputs[o->noutputs])))
			return ret;
		o->noutputs++;
	}
	return ret;
}

static int set_kube_source(struct loader *l, const struct config_key *k, void *field)
{
	enum cw_kube_source src;
	const char *s;
	int ret = want_scalar(l, k->name, "auto, apiserver, kubelet or off", &s);

	if (ret)
		return ret;
	if (cw_kube_source_parse(s, &src))
		return fail(l, line_of(l), "'%s' must be auto, apiserver, kubelet or off, not '%s'",
			    k->name, s);
	memcpy(field, &src, sizeof(src));
	return 0;
}

/* seccomp: enforce, log or off. */
static int set_seccomp(struct loader *l, const struct config_key *k, void *field)
{
	enum cw_seccomp_mode m;
	const char *s;
	int ret = want_scalar(l, k->name, "enforce, log or off", &s);

	if (ret)
		return ret;
	if (cw_seccomp_mode_parse(s, &m))
		return fail(l, line_of(l), "'%s' must be enforce, log or off, not '%s'", k->name,
			    s);
	memcpy(field, &m, sizeof(m));
	return 0;
}

/* kube_annotations: a list of globs (a single string is a list of one). */
static int set_kube_annotations(struct loader *l, const struct config_key *k)
{
	struct cw_strv v = { 0 };
	size_t line = line_of(l);
	int ret = cw_yaml_want_strv(&l->y, k->name, &v, NULL);

	if (!ret && v.n > CW_KUBE_ANNOTATIONS_MAX)
		ret = fail(l, line, "'%s': at most %d globs", k->name, CW_KUBE_ANNOTATIONS_MAX);
	l->o->nkube_annotations = 0;
	for (size_t i = 0; !ret && i < v.n; i++)
		ret = keep(l, v.v[i], &l->o->kube_annotations[l->o->nkube_annotations++]);
	cw_strv_free(&v);
	return ret;
}

static int set_key(struct loader *l, const struct config_key *k)
{
	void *field = (char *)l->o + k->off;
	unsigned long long v;
	const char *s;
	bool b;
	int ret;

	switch (k->type) {
	case T_OUTPUTS: return parse_outputs(l);
	case T_KUBE_SOURCE: return set_kube_source(l, k, field);
	case T_KUBE_ANNOTATIONS: return set_kube_annotations(l, k);
	case T_SECCOMP: return set_seccomp(l, k, field);
	case T_NUM: return set_number(l, k, field);
	case T_VERBOSE:
		if (!(ret = cw_yaml_want_uint(&l->y, k->name, k->lo, k->hi, &v)))
			*l->verbose = (int)v;
		return ret;
	case T_BOOL:
		if ((ret = want_scalar(l, k->name, "true or false", &s)))
			return ret;
		if (parse_bool_text(s, &b))
			return fail(l, line_of(l), "'%s' must be true or false, not '%s'", k->name,
				    s);
		memcpy(field, &b, sizeof(b));
		return 0;
	case T_STR:
	default:
		if ((ret = want_scalar(l, k->name, "a string", &s)))
			return ret;
		return keep(l, s, (const char **)field);
	}
}

static int parse_top(struct loader *l)
{
	struct cw_yaml_keys seen = { 0 };
	char key[64];
	size_t i;
	int ret;

	for (;;) {
		if ((ret = next(l)))
			return ret;
		if (l->y.ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if ((ret = cw_yaml_key(&l->y, &seen, key, sizeof(key))))
			return ret;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strcmp(keys[i].name, key))
				break;
		if (i == sizeof(keys) / sizeof(keys[0]))
			return fail(l, line_of(l),
				    "unknown option '%s' (a `run` flag's name with '_' for '-'; "
				    "deploy/credwatch.yaml lists them all)",
				    key);
		if ((ret = set_key(l, &keys[i])))
			return ret;
	}
}

static int parse_top_arg(void *arg)
{
	return parse_top(arg);
}

static int parse_doc(void *arg)
{
	struct loader *l = arg;

	return cw_yaml_one_mapping(&l->y, parse_top_arg, l, "config file",
				   "a config file must be a mapping of options (rules, outputs, "
				   "policy, ...)");
}

int cw_config_load_buf(const char *file, const char *buf, size_t len, struct cw_agent_opts *o,
		       int *verbose, struct cw_strv *strings, char *err, size_t errlen)
{
	struct loader l = { .y = { .file = file,
				   .doc = "a config file",
				   .err = err,
				   .errlen = errlen,
				   .syntax_hint = " (quote values that start with '*')" },
			    .o = o,
			    .verbose = verbose,
			    .strings = strings };
	int ret = cw_yaml_parse(&l.y, buf, len, parse_doc, &l);

	if (!ret)
		ret = keep(&l, file, &o->config);
	return ret;
}

int cw_config_load(const char *file, struct cw_agent_opts *o, int *verbose, struct cw_strv *strings,
		   char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int ret = cw_read_file(file, CONFIG_MAX_BYTES, &buf, &len);

	if (ret) {
		snprintf(err, errlen, "%s: %s", file,
			 ret == -EFBIG ? "larger than 1 MiB: not a config file" : strerror(-ret));
		return ret;
	}
	ret = cw_config_load_buf(file, buf, len, o, verbose, strings, err, errlen);
	free(buf);
	return ret;
}

int cw_config_options(int argc, char **argv, const char *default_file,
		      const struct cw_agent_opts *defaults, cw_config_flags_fn flags,
		      struct cw_agent_opts *o, int *verbose, struct cw_strv *strings, char *err,
		      size_t errlen)
{
	const char *file = cw_config_find(argc, argv, default_file);
	size_t file_outputs, file_annotations;
	int ret;

	*o = *defaults;
	if (errlen)
		*err = '\0';
	if (file && cw_config_load(file, o, verbose, strings, err, errlen))
		return -1;
	/* the file's outputs stay in o->outputs unless a flag writes over them */
	file_outputs = o->noutputs;
	o->noutputs = 0;
	/* the same for the annotation globs: --kube-annotation flags replace the file's */
	file_annotations = o->nkube_annotations;
	o->nkube_annotations = 0;
	ret = flags(argc, argv, o);
	if (!o->noutputs)
		o->noutputs = file_outputs;
	if (!o->nkube_annotations)
		o->nkube_annotations = file_annotations;
	return ret;
}
