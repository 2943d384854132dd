// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The config file of `credwatch run`: every option, errors at FILE:LINE, flags over it. */
#include <errno.h>
#include <stdlib.h>

#include "cli/config.h"
#include "test.h"
#include "testutil.h"

static int load(const char *text, struct cw_agent_opts *o, int *verbose, struct cw_strv *strs,
		char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	return cw_config_load_buf("c.yaml", text, strlen(text), o, verbose, strs, err, errlen);
}

TEST(config_sets_every_option)
{
	static const char text[] = "# every option\n"
				   "rules: /etc/credwatch/rules\n"
				   "events: true\n"
				   "outputs:\n"
				   "  - stdout\n"
				   "  - file:/var/log/credwatch/alerts.json\n"
				   "  - target: file:/var/log/credwatch/ocsf.json\n"
				   "    format: ocsf\n"
				   "spool_dir: /var/lib/credwatch/spool\n"
				   "spool_max: 64M\n"
				   "spool_sync_ms: 500\n"
				   "metrics: 127.0.0.1:9464\n"
				   "status_file: /run/cw.json\n"
				   "policy: /etc/credwatch/policy.yaml\n"
				   "state: none\n"
				   "state_max: 100\n"
				   "ringbuf_size: 16M\n"
				   "stats_interval: 30\n"
				   "no_env: yes\n"
				   "include_loopback: on\n"
				   "capture_inbound: True\n"
				   "payload_cap: 8k\n"
				   "payload_budget: 0\n"
				   "no_file_capture: false\n"
				   "file_cap: 32K\n"
				   "capture_reads: true\n"
				   "btf: /boot/vmlinux.btf\n"
				   "fingerprint_key_file: /etc/credwatch/fp.key\n"
				   "seccomp: log\n"
				   "verbose: 2\n";
	struct cw_agent_opts *o = calloc(1, sizeof(*o));
	struct cw_strv strs = { 0 };
	char err[512] = "";
	int verbose = 0;

	REQUIRE(o);
	REQUIRE(load(text, o, &verbose, &strs, err, sizeof(err)) == 0);
	CHECK_EQ_STR(o->rules_dir, "/etc/credwatch/rules");
	CHECK(o->events);
	REQUIRE(o->noutputs == 3);
	CHECK_EQ_INT(o->outputs[0].kind, CW_SINK_STDOUT);
	CHECK_EQ_INT(o->outputs[1].kind, CW_SINK_FILE);
	CHECK_EQ_STR(o->outputs[1].target, "/var/log/credwatch/alerts.json");
	CHECK_EQ_INT(o->outputs[2].kind, CW_SINK_FILE);
	CHECK_EQ_INT(o->outputs[2].format, CW_FORMAT_OCSF);
	CHECK_EQ_STR(o->outputs[2].spec, "file:/var/log/credwatch/ocsf.json,format=ocsf");
	CHECK_EQ_STR(o->spool_dir, "/var/lib/credwatch/spool");
	CHECK_EQ_INT(o->spool_max, 64ULL << 20);
	CHECK_EQ_INT(o->spool_sync_ms, 500);
	CHECK_EQ_STR(o->metrics_addr, "127.0.0.1:9464");
	CHECK_EQ_STR(o->status_file, "/run/cw.json");
	CHECK_EQ_STR(o->policy, "/etc/credwatch/policy.yaml");
	CHECK_EQ_STR(o->state, "none");
	CHECK_EQ_INT(o->state_max, 100);
	CHECK_EQ_INT(o->ringbuf_size, 16u << 20);
	CHECK_EQ_INT(o->stats_interval, 30);
	CHECK(o->no_env && o->include_loopback && o->capture_inbound && o->capture_reads);
	CHECK(!o->no_files);
	CHECK_EQ_INT(o->payload_cap, 8192);
	CHECK_EQ_INT(o->payload_budget, 0);
	CHECK_EQ_INT(o->file_cap, 32768);
	CHECK_EQ_STR(o->btf, "/boot/vmlinux.btf");
	CHECK_EQ_STR(o->key_file, "/etc/credwatch/fp.key");
	CHECK_EQ_INT(o->seccomp, CW_SECCOMP_LOG);
	CHECK_EQ_STR(o->config, "c.yaml");
	CHECK_EQ_INT(verbose, 2);
	cw_strv_free(&strs);
	free(o);
}

TEST(config_empty_file_sets_nothing)
{
	struct cw_agent_opts *o = calloc(1, sizeof(*o));
	struct cw_strv strs = { 0 };
	char err[512] = "";
	int verbose = 0;

	REQUIRE(o);
	CHECK(load("# nothing yet\n", o, &verbose, &strs, err, sizeof(err)) == 0);
	CHECK(!o->rules_dir && !o->noutputs && !o->events && !o->metrics_addr);
	cw_strv_free(&strs);
	free(o);
}

TEST(config_errors_name_file_and_line)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "events: true\nbogus: 1\n", "c.yaml:2: unknown option 'bogus'" },
		{ "rules: a\nrules: b\n", "c.yaml:2: field 'rules' given twice" },
		{ "events: maybe\n", "c.yaml:1: 'events' must be true or false, not 'maybe'" },
		{ "seccomp: sometimes\n",
		  "c.yaml:1: 'seccomp' must be enforce, log or off, not 'sometimes'" },
		{ "\n\nstate_max: lots\n", "c.yaml:3: state_max: 'lots' is not a number" },
		{ "payload_cap: 1G\n", "c.yaml:1: payload_cap: 1073741824 is out of range" },
		{ "ringbuf_size: 1k\n", "c.yaml:1: ringbuf_size: 1024 is out of range" },
		{ "policy:\n", "c.yaml:1: 'policy' has no value" },
		{ "rules: [a, b]\n", "c.yaml:1: field 'rules' must be a string" },
		{ "outputs: stdout\n", "c.yaml:1: 'outputs' must be a list of outputs" },
		{ "outputs:\n  - stdout\n  - format: ocsf\n",
		  "c.yaml:3: an output mapping has no 'target'" },
		{ "outputs:\n  - stdout\n  - nowhere://x\n", "c.yaml:3: " },
		{ "outputs:\n  - target: stdout\n    format: a,b\n",
		  "c.yaml:3: output field 'format': a value cannot hold ','" },
		{ "verbose: 3\n", "c.yaml:1: " },
		{ "- a\n- b\n", "c.yaml:1: a config file must be a mapping" },
		{ "events: true\n  rules: x\n", "c.yaml:2: YAML syntax error" },
		{ "policy: *p\n", "c.yaml:1: " },
	};
	struct cw_agent_opts *o = calloc(1, sizeof(*o));
	char err[512];
	int verbose = 0;

	REQUIRE(o);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cw_strv strs = { 0 };

		err[0] = '\0';
		CHECK(load(cases[i].text, o, &verbose, &strs, err, sizeof(err)) < 0);
		if (strncmp(err, cases[i].err, strlen(cases[i].err)))
			cw_test_fail(__FILE__, __LINE__,
				     "case %zu: \"%s\" does not start with \"%s\"", i, err,
				     cases[i].err);
		cw_strv_free(&strs);
	}
	free(o);
}

TEST(config_missing_file_is_one_line)
{
	struct cw_agent_opts *o = calloc(1, sizeof(*o));
	struct cw_strv strs = { 0 };
	char err[512] = "";
	int verbose = 0;

	REQUIRE(o);
	CHECK(cw_config_load("/nonexistent/credwatch.yaml", o, &verbose, &strs, err, sizeof(err)) ==
	      -ENOENT);
	CHECK_EQ_STR(err, "/nonexistent/credwatch.yaml: No such file or directory");
	free(o);
}

/* A stand-in for run's flags: --metrics X, --output X (appended), --events. */
static int fake_flags(int argc, char **argv, struct cw_agent_opts *o)
{
	char err[256];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--metrics") && i + 1 < argc)
			o->metrics_addr = argv[++i];
		else if (!strcmp(argv[i], "--output") && i + 1 < argc)
			cw_output_spec_parse(argv[++i], &o->outputs[o->noutputs++], err,
					     sizeof(err));
		else if (!strcmp(argv[i], "--events"))
			o->events = true;
		else if (!strcmp(argv[i], "--config") && i + 1 < argc)
			i++;
		else if (!strcmp(argv[i], "--help"))
			return 1;
	}
	return 0;
}

TEST(config_flags_override_the_file)
{
	char dir[256], path[512], defpath[512], err[512];
	struct cw_agent_opts *o = calloc(1, sizeof(*o)), defaults = { .stats_interval = 10 };
	struct cw_strv strs = { 0 };
	int verbose = 0;
	static const char text[] = "metrics: 127.0.0.1:1\n"
				   "stats_interval: 30\n"
				   "outputs: [stdout, 'file:/tmp/a.json']\n";

	REQUIRE(o && !tu_mkdtemp(dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/c.yaml", dir);
	snprintf(defpath, sizeof(defpath), "%s/default.yaml", dir);
	REQUIRE(tu_write_file(path, text, strlen(text), 0644) == 0);
	{
		/* the file alone */
		char *argv[] = { "run", "--config", path, NULL };

		REQUIRE(cw_config_options(3, argv, defpath, &defaults, fake_flags, o, &verbose,
					  &strs, err, sizeof(err)) == 0);
		CHECK_EQ_STR(o->metrics_addr, "127.0.0.1:1");
		CHECK_EQ_INT(o->stats_interval, 30);
		CHECK_EQ_INT(o->noutputs, 2);
		CHECK_EQ_STR(o->config, path);
	}
	{
		/* flags win; --output replaces the file's outputs */
		char *argv[] = { "run", "--metrics", "127.0.0.1:2",	 "--config",
				 path,	"--output",  "file:/tmp/b.json", NULL };

		REQUIRE(cw_config_options(7, argv, defpath, &defaults, fake_flags, o, &verbose,
					  &strs, err, sizeof(err)) == 0);
		CHECK_EQ_STR(o->metrics_addr, "127.0.0.1:2");
		CHECK_EQ_INT(o->stats_interval, 30);
		REQUIRE(o->noutputs == 1);
		CHECK_EQ_STR(o->outputs[0].target, "/tmp/b.json");
	}
	{
		/* no --config: the default file when it exists, else the defaults */
		char *argv[] = { "run", "--events", NULL };

		REQUIRE(cw_config_options(2, argv, defpath, &defaults, fake_flags, o, &verbose,
					  &strs, err, sizeof(err)) == 0);
		CHECK(!o->config && !o->metrics_addr && o->events);
		CHECK_EQ_INT(o->stats_interval, 10);
		REQUIRE(rename(path, defpath) == 0);
		REQUIRE(cw_config_options(2, argv, defpath, &defaults, fake_flags, o, &verbose,
					  &strs, err, sizeof(err)) == 0);
		CHECK_EQ_STR(o->config, defpath);
		CHECK_EQ_INT(o->stats_interval, 30);
	}
	{
		/* a broken file: -1 and FILE:LINE */
		char *argv[] = { "run", NULL };

		REQUIRE(tu_write_file(defpath, "outputs:\n  - bad://\n", 20, 0644) == 0);
		CHECK(cw_config_options(1, argv, defpath, &defaults, fake_flags, o, &verbose, &strs,
					err, sizeof(err)) == -1);
		CHECK(!strncmp(err, defpath, strlen(defpath)));
		CHECK_CONTAINS(err, "default.yaml:2: ");
	}
	cw_strv_free(&strs);
	tu_rmtree(dir);
	free(o);
}

TEST(config_kube_keys)
{
	static const char text[] = "kube_metadata: kubelet\n"
				   "kube_apiserver: https://api.example.com:6443\n"
				   "kubelet_url: http://10.0.3.11:10255\n"
				   "kubelet_insecure_tls: true\n"
				   "kube_token_file: /run/tok\n"
				   "kube_ca_file: /run/ca.crt\n"
				   "node_name: cw-node-1\n"
				   "kube_annotations: ['team.example.com/*', credwatch.io/owner]\n"
				   "kube_max_pods: 500\n"
				   "kube_timeout_ms: 2500\n";
	struct cw_agent_opts *o = calloc(1, sizeof(*o));
	struct cw_strv strs = { 0 };
	char err[512] = "";
	int verbose = 0;

	REQUIRE(o);
	REQUIRE(load(text, o, &verbose, &strs, err, sizeof(err)) == 0);
	CHECK_EQ_INT(o->kube_metadata, CW_KUBE_KUBELET);
	CHECK_EQ_STR(o->kube_apiserver, "https://api.example.com:6443");
	CHECK_EQ_STR(o->kubelet_url, "http://10.0.3.11:10255");
	CHECK(o->kubelet_insecure_tls);
	CHECK_EQ_STR(o->kube_token_file, "/run/tok");
	CHECK_EQ_STR(o->kube_ca_file, "/run/ca.crt");
	CHECK_EQ_STR(o->node_name, "cw-node-1");
	REQUIRE(o->nkube_annotations == 2);
	CHECK_EQ_STR(o->kube_annotations[0], "team.example.com/*");
	CHECK_EQ_STR(o->kube_annotations[1], "credwatch.io/owner");
	CHECK_EQ_INT(o->kube_timeout_ms, 2500);
	CHECK_EQ_INT(o->kube_max_pods, 500);
	/* one glob alone is a list of one; a zeroed config is auto */
	REQUIRE(load("kube_annotations: a/*\n", o, &verbose, &strs, err, sizeof(err)) == 0);
	CHECK_EQ_INT(o->nkube_annotations, 1);
	CHECK_EQ_INT(o->kube_metadata, CW_KUBE_AUTO);
	CHECK(load("\nkube_metadata: apiservers\n", o, &verbose, &strs, err, sizeof(err)) < 0);
	CHECK_EQ_STR(err, "c.yaml:2: 'kube_metadata' must be auto, apiserver, kubelet or off, not "
			  "'apiservers'");
	CHECK(load("kube_max_pods: 0\n", o, &verbose, &strs, err, sizeof(err)) < 0);
	CHECK(!strncmp(err, "c.yaml:1: kube_max_pods:", 24));
	cw_strv_free(&strs);
	free(o);
}

/* A stand-in for run's --kube-annotation flags. */
static int annotation_flags(int argc, char **argv, struct cw_agent_opts *o)
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--kube-annotation"))
			o->kube_annotations[o->nkube_annotations++] = argv[++i];
	return 0;
}

TEST(config_kube_annotation_flags_replace_the_file)
{
	char dir[256], path[512], err[512];
	struct cw_agent_opts *o = calloc(1, sizeof(*o)), defaults = { 0 };
	struct cw_strv strs = { 0 };
	int verbose = 0;
	static const char text[] = "kube_annotations: [a/*, b/*]\n";

	REQUIRE(o && !tu_mkdtemp(dir, sizeof(dir)));
	snprintf(path, sizeof(path), "%s/c.yaml", dir);
	REQUIRE(tu_write_file(path, text, strlen(text), 0644) == 0);
	{
		char *argv[] = { "run", "--config", path, NULL };

		REQUIRE(cw_config_options(3, argv, NULL, &defaults, annotation_flags, o, &verbose,
					  &strs, err, sizeof(err)) == 0);
		REQUIRE(o->nkube_annotations == 2);
		CHECK_EQ_STR(o->kube_annotations[1], "b/*");
	}
	{
		char *argv[] = { "run", "--config", path, "--kube-annotation", "c/*", NULL };

		REQUIRE(cw_config_options(5, argv, NULL, &defaults, annotation_flags, o, &verbose,
					  &strs, err, sizeof(err)) == 0);
		REQUIRE(o->nkube_annotations == 1);
		CHECK_EQ_STR(o->kube_annotations[0], "c/*");
	}
	cw_strv_free(&strs);
	tu_rmtree(dir);
	free(o);
}

/* deploy/credwatch.yaml with its commented-out examples enabled ("# key:" and "  # - ..."). */
static char *uncomment(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;

	for (const char *line = text; out && *line;) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line + 1) : strlen(line);
		size_t key = strspn(line + 2, "abcdefghijklmnopqrstuvwxyz_");

		if (!strncmp(line, "  # - ", 6) || !strncmp(line, "  #   ", 6)) {
			memcpy(o, "  ", 2);
			memcpy(o + 2, line + 4, n - 4);
			o += n - 2;
		} else if (!strncmp(line, "# ", 2) && key && line[2 + key] == ':') {
			memcpy(o, line + 2, n - 2);
			o += n - 2;
		} else {
			memcpy(o, line, n);
			o += n;
		}
		line += n;
	}
	if (out)
		*o = '\0';
	return out;
}

TEST(config_example_in_deploy_parses_with_every_example)
{
	struct cw_agent_opts *o = calloc(1, sizeof(*o));
	struct cw_strv strs = { 0 };
	char buf[16384], err[512] = "", *all;
	ssize_t n = tu_read_file("deploy/credwatch.yaml", buf, sizeof(buf) - 1);
	int verbose = 0;

	REQUIRE(o);
	REQUIRE(n > 0); /* unit tests run from the top of the tree */
	buf[n] = '\0';
	if (load(buf, o, &verbose, &strs, err, sizeof(err)))
		cw_test_fail(__FILE__, __LINE__, "as shipped: %s", err);
	CHECK_EQ_INT(o->noutputs, 1);
	CHECK_EQ_STR(o->metrics_addr, "127.0.0.1:9464");
	all = uncomment(buf);
	REQUIRE(all);
	if (load(all, o, &verbose, &strs, err, sizeof(err)))
		cw_test_fail(__FILE__, __LINE__, "every example enabled: %s", err);
	CHECK_EQ_INT(o->noutputs, 9);
	CHECK(o->rules_dir && o->policy && o->btf);
	CHECK_EQ_INT(o->kube_metadata, CW_KUBE_AUTO);
	CHECK(o->kube_apiserver && o->kubelet_url && o->node_name && o->kube_ca_file);
	CHECK_EQ_INT(o->nkube_annotations, 2);
	CHECK_EQ_INT(o->kube_max_pods, 4096);
	CHECK_EQ_INT(o->seccomp, CW_SECCOMP_ENFORCE);
	free(all);
	cw_strv_free(&strs);
	free(o);
}
