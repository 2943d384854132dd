// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * credwatch run: its options, usage text and exit codes. The flags become a struct
 * cw_agent_opts; the agent (agent/agent.c) does the rest.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "credwatch.h"
#include "agent/agent.h"
#include "agent/instance.h"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/run.h"
#include "detect/fingerprint.h"
#include "judge/provenance.h"
#include "output/outputs.h"
#include "trace/flight.h"
#include "trace/replay.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/version.h"

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: credwatch run [OPTIONS]\n"
		"\n"
		"The host agent: watches every exec's argv and environment, the plaintext "
		"processes\n"
		"send through TLS libraries (OpenSSL, GnuTLS, NSS, Go) and over plain TCP, "
		"through\n"
		"eBPF; sends findings (ECS or OCSF JSON) to its outputs. Needs root. Stops\n"
		"cleanly on SIGINT/SIGTERM, giving outputs 3 s to deliver what they hold.\n"
		"\n"
		"  --config FILE               options from FILE (YAML; "
		"default " CW_CONFIG_DEFAULT_FILE "\n"
		"                              when it exists); flags override it, SIGHUP re-reads "
		"it\n"
		"  --metrics ADDR:PORT         serve Prometheus metrics at "
		"http://ADDR:PORT/metrics\n"
		"  --status-file FILE          what 'credwatch status' reads (default\n"
		"                              /run/credwatch/status.json; 'none': no file)\n"
		"  --rules DIR                 rules to use instead of the embedded set\n"
		"  --events                    also print observations (event.kind \"event\"),\n"
		"                              e.g. credentials seen in a process environment\n"
		"  --output TARGET[,K=V]...    where findings go (default stdout); repeatable:\n"
		"                              stdout, file:PATH, syslog://HOST:PORT (UDP),\n"
		"                              syslog+tcp://HOST:PORT, syslog+tls://HOST:PORT,\n"
		"                              https://HOST/services/collector/event (Splunk "
		"HEC),\n"
		"                              https://HOST/INDEX/_bulk, https://HOST/PATH "
		"(webhook);\n"
		"                              options: format=ecs|ocsf, rotate-size=, "
		"rotate-keep=,\n"
		"                              facility=, app-name=, ca=, cert=, key=, "
		"token-file=,\n"
		"                              batch=, batch-ms=, timeout-ms=, spool=on|off\n"
		"                              (docs/outputs.md); SIGHUP reopens them\n"
		"  --spool-dir DIR             where outputs other than stdout and file queue\n"
		"                              findings until delivered "
		"(default " CW_SPOOL_DEFAULT_DIR ")\n"
		"  --spool-max BYTES           each output's spool bound (default 256M): when "
		"full,\n"
		"                              observations are dropped before alerts, counted\n"
		"  --spool-sync-ms MS          how often spools are fsync'ed (default 1000)\n"
		"  --ringbuf-size BYTES        BPF ring buffer size, rounded up to a power of two\n"
		"                              (default 8M, min 128K; k/M/G suffixes)\n"
		"  --stats-interval SECONDS    how often drops are checked and reported (default "
		"10)\n"
		"  --no-env                    do not capture exec environments\n"
		"  --include-loopback          also watch connections to 127.0.0.0/8 and ::1\n"
		"  --capture-inbound           also match TLS plaintext processes receive\n"
		"                              (OpenSSL, GnuTLS: credential-received events)\n"
		"  --payload-cap BYTES         bytes captured per write on a watched connection\n"
		"                              or TLS session (default 16K, max 64K)\n"
		"  --payload-budget BYTES      past this many bytes of one connection or session,\n"
		"                              only request headers (an h2 client's header\n"
		"                              frames wherever they are; up to 8K of an HTTP/1\n"
		"                              request) and 1K heads of writes (default 64K, 0: "
		"none)\n"
		"  --policy FILE               intended-workload policy (YAML) instead of the\n"
		"                              embedded default; SIGHUP reloads it\n"
		"  --state FILE                provenance store (default " CW_PROV_DEFAULT_FILE
		";\n"
		"                              'none': memory only); 'credwatch inventory' reads "
		"it\n"
		"  --state-max N               credentials the store keeps (default 4096)\n"
		"  --no-file-capture           do not watch credential files\n"
		"  --file-cap BYTES            bytes read per open watched file (default 64K)\n"
		"  --capture-reads             copy what processes read from watched files in the\n"
		"                              kernel (read/pread64/readv probes) instead of "
		"reading\n"
		"                              the file when it is opened; costs every read on "
		"the\n"
		"                              host a probe (see bench/file_overhead)\n"
		"  --btf FILE                  kernel BTF for kernels without " CW_AGENT_KERNEL_BTF
		"\n"
		"  --host-root DIR             the host's / is mounted at DIR (the agent in a\n"
		"                              container): its /proc, /sys/fs/cgroup, "
		"/var/log/pods,\n"
		"                              /var/log/containers, /var/lib/kubelet and "
		"container\n"
		"                              roots are read there; needs the host's pids "
		"(hostPID)\n"
		"  --fingerprint-key-file F    fingerprint key (default " CW_FP_DEFAULT_FILE ",\n"
		"                              generated on first run, mode 0600)\n"
		"  --kube-metadata SOURCE      pod metadata (labels, service account, owner,\n"
		"                              images) in findings, from: auto (the default: the\n"
		"                              API server in a pod or with --kube-apiserver,\n"
		"                              else off), apiserver, kubelet, off\n"
		"                              (docs/pod-metadata.md)\n"
		"  --kube-apiserver URL        default https://$KUBERNETES_SERVICE_HOST:"
		"$KUBERNETES_SERVICE_PORT\n"
		"  --kubelet-url URL           default https://$NODE_IP:10250 (else 127.0.0.1);\n"
		"                              http://HOST:10255 for the read-only port\n"
		"  --kubelet-insecure-tls      do not verify the kubelet's serving certificate\n"
		"  --kube-token-file FILE      bearer token, read again when it changes (default\n"
		"                              " CW_KUBE_TOKEN_FILE ")\n"
		"  --kube-ca-file FILE         CA of the API server (default\n"
		"                              " CW_KUBE_CA_FILE ")\n"
		"  --node-name NAME            this node (default $NODE_NAME, else the host name)\n"
		"  --kube-annotation GLOB      annotation keys copied into findings (repeatable;\n"
		"                              none by default)\n"
		"  --kube-max-pods N           pods whose metadata is kept (default 4096)\n"
		"  --kube-timeout-ms MS        connect and answer of a list or a watch's start\n"
		"                              (default 10000)\n"
		"  --flight-recorder SECONDS   keep the last SECONDS of raw events compressed in\n"
		"                              memory; on an alert, write them and the SECONDS\n"
		"                              after to a trace the alert names\n"
		"                              (credwatch.trace.path; default off, 60 sensible)\n"
		"  --flight-recorder-memory B  bytes it keeps at most (default 64M, min 1M)\n"
		"  --flight-recorder-disk B    bytes its traces may take; the oldest go first\n"
		"                              (default 1G)\n"
		"  --flight-recorder-max-dumps N  traces written per hour at most (default 6);\n"
		"                              later alerts name none, counted\n"
		"  --flight-recorder-dir DIR   where they go (default " CW_FLIGHT_DIR_DEFAULT ")\n"
		"  --flight-recorder-recipient PUBKEY  encrypt them to this X25519 public key\n"
		"                              ('credwatch trace keygen'); without, plaintext "
		"0600\n"
		"  --allow-second-agent        start even when another agent runs on this host\n"
		"                              (it holds " CW_AGENT_LOCK_FILE "; refused "
		"without)\n"
		"  --seccomp MODE              the system-call allow-list after the start: "
		"enforce\n"
		"                              (the default: others fail with EPERM, logged by "
		"the\n"
		"                              kernel), log (others allowed and logged), off\n"
		"  --no-seccomp                --seccomp off\n"
		"  -v, --verbose               statistics; -vv adds libbpf's debug output\n"
		"  -h, --help                  this text\n"
		"\n"
		"Exit status: 0 after a clean stop, 1 on error, 2 when a config or state file\n"
		"(config, policy, rules, provenance store, fingerprint key, spool directory) is\n"
		"not root's or others can write it.\n"
		"\n"
		"EXAMPLES\n"
		"  sudo credwatch run                       embedded rules, alerts on stdout\n"
		"  sudo credwatch run --events -v           also environment observations, stats\n"
		"  sudo credwatch run --output file:/var/log/credwatch.json,rotate-size=50M\n"
		"  sudo credwatch run --output stdout --output syslog+tcp://siem.example:514\n"
		"  sudo credwatch run --output "
		"syslog+tls://siem.example:6514,ca=/etc/ssl/siem-ca.pem\n"
		"  sudo credwatch run --include-loopback --capture-inbound --events\n"
		"  sudo credwatch run --policy /etc/credwatch/policy.yaml\n"
		"  sudo credwatch run --config ./credwatch.yaml --metrics 127.0.0.1:9464\n"
		"  sudo credwatch run --flight-recorder 60 --flight-recorder-recipient ir.pub\n"
		"  sudo credwatch run --kube-metadata kubelet --kubelet-insecure-tls "
		"--kube-annotation 'team.example.com/*'\n"
		"  credwatch run --host-root /host           in a container, host's / at /host\n"
		"  sudo kill -HUP $(pidof credwatch)       re-read the config, reopen the "
		"outputs, reload the policy\n");
}

static unsigned long long round_pow2(unsigned long long v)
{
	unsigned long long p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/* Long options without a short form: codes past every character. */
enum {
	OPT_OUTPUT = 0x100,
	OPT_KUBE_METADATA,
	OPT_KUBE_APISERVER,
	OPT_KUBELET_URL,
	OPT_KUBELET_INSECURE_TLS,
	OPT_KUBE_MAX_PODS,
	OPT_KUBE_TOKEN_FILE,
	OPT_KUBE_CA_FILE,
	OPT_NODE_NAME,
	OPT_KUBE_ANNOTATION,
	OPT_KUBE_TIMEOUT_MS,
	OPT_FLIGHT,
	OPT_FLIGHT_MEMORY,
	OPT_FLIGHT_DISK,
	OPT_FLIGHT_MAX_DUMPS,
	OPT_FLIGHT_DIR,
	OPT_FLIGHT_RECIPIENT,
	OPT_ALLOW_SECOND_AGENT,
	OPT_SECCOMP,
	OPT_NO_SECCOMP,
};

enum parsed { PARSED_RUN, PARSED_EXIT_OK, PARSED_EXIT_ERROR };

/* A flag that takes a number: 0, or -EINVAL with the reason printed. */
static int parse_number(struct cw_agent_opts *o, int c, const char *arg)
{
	switch (c) {
	case 'R':
		if (cw_parse_u64("--ringbuf-size", arg, CW_AGENT_RINGBUF_MIN, CW_AGENT_RINGBUF_MAX,
				 &o->ringbuf_size))
			return -EINVAL;
		o->ringbuf_size = round_pow2(o->ringbuf_size);
		return 0;
	case 'B': return cw_parse_u64("--payload-budget", arg, 0, 1ULL << 40, &o->payload_budget);
	case 'S': return cw_parse_u64("--stats-interval", arg, 1, 86400, &o->stats_interval);
	case 'P': return cw_parse_u64("--payload-cap", arg, 1, CW_PAYLOAD_CAP_MAX, &o->payload_cap);
	case 'M': return cw_parse_u64("--state-max", arg, 1, 10000000, &o->state_max);
	case 'C': return cw_parse_u64("--file-cap", arg, 1, CW_FILE_CAP_MAX, &o->file_cap);
	case OPT_KUBE_MAX_PODS:
		return cw_parse_u64("--kube-max-pods", arg, 1, 1000000, &o->kube_max_pods);
	case OPT_KUBE_TIMEOUT_MS:
		return cw_parse_u64("--kube-timeout-ms", arg, 100, 600000, &o->kube_timeout_ms);
	case 'X': {
		unsigned long long v;
		int ret = cw_parse_u64("--spool-max", arg, 64 << 10, 1ULL << 50, &v);

		o->spool_max = v;
		return ret;
	}
	case 'Y': {
		unsigned long long v;
		int ret = cw_parse_u64("--spool-sync-ms", arg, 1, 3600000, &v);

		o->spool_sync_ms = (unsigned)v;
		return ret;
	}
	default: return -EINVAL;
	}
}

/* One --output: parsed now, so that a bad one stops the start with its reason. */
static int add_output(struct cw_agent_opts *o, const char *spec)
{
	char err[1024];

	if (o->noutputs == CW_OUTPUTS_MAX) {
		cw_log("--output: at most %d outputs", CW_OUTPUTS_MAX);
		return -EINVAL;
	}
	if (cw_output_spec_parse(spec, &o->outputs[o->noutputs], err, sizeof(err))) {
		cw_log("--output %s", err);
		return -EINVAL;
	}
	o->noutputs++;
	return 0;
}

/* The Kubernetes pod metadata flags: 0, or -EINVAL with the reason printed. */
static int parse_kube(struct cw_agent_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_KUBE_METADATA:
		if (cw_kube_source_parse(arg, &o->kube_metadata)) {
			cw_log("--kube-metadata '%s': auto, apiserver, kubelet or off", arg);
			return -EINVAL;
		}
		return 0;
	case OPT_KUBE_APISERVER: o->kube_apiserver = arg; return 0;
	case OPT_KUBELET_URL: o->kubelet_url = arg; return 0;
	case OPT_KUBELET_INSECURE_TLS: o->kubelet_insecure_tls = true; return 0;
	case OPT_KUBE_MAX_PODS:
	case OPT_KUBE_TIMEOUT_MS: return parse_number(o, c, arg);
	case OPT_KUBE_TOKEN_FILE: o->kube_token_file = arg; return 0;
	case OPT_KUBE_CA_FILE: o->kube_ca_file = arg; return 0;
	case OPT_NODE_NAME: o->node_name = arg; return 0;
	case OPT_KUBE_ANNOTATION:
		if (o->nkube_annotations == CW_KUBE_ANNOTATIONS_MAX) {
			cw_log("--kube-annotation: at most %d", CW_KUBE_ANNOTATIONS_MAX);
			return -EINVAL;
		}
		o->kube_annotations[o->nkube_annotations++] = arg;
		return 0;
	default: return -EINVAL;
	}
}

/* The command sharing run's options (trace), NULL for run itself. */
static const struct cw_run_extra *extra;

/* run's options, then the extra command's. */
static const struct option *all_options(const struct option *run_opts, size_t nrun)
{
	static struct option all[128];
	size_t n = 0;

	for (size_t i = 0; i < nrun && n < 127; i++)
		all[n++] = run_opts[i];
	for (size_t i = 0; extra && extra->opts && extra->opts[i].name && n < 127; i++)
		all[n++] = extra->opts[i];
	memset(&all[n], 0, sizeof(all[n]));
	return all;
}

static void usage_of(FILE *f)
{
	if (extra && extra->usage)
		extra->usage(f);
	else
		run_usage(f);
}

/* The flight recorder's flags: 0, or -EINVAL with the reason printed. */
static int parse_flight(struct cw_agent_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_FLIGHT:
		return cw_parse_u64("--flight-recorder", arg, 0, CW_FLIGHT_SECONDS_MAX,
				    &o->flight_seconds);
	case OPT_FLIGHT_MEMORY:
		return cw_parse_u64("--flight-recorder-memory", arg, CW_FLIGHT_MEMORY_MIN,
				    1ULL << 40, &o->flight_memory);
	case OPT_FLIGHT_DISK:
		return cw_parse_u64("--flight-recorder-disk", arg, CW_FLIGHT_MEMORY_MIN, 1ULL << 50,
				    &o->flight_disk);
	case OPT_FLIGHT_MAX_DUMPS:
		return cw_parse_u64("--flight-recorder-max-dumps", arg, 1, 100000,
				    &o->flight_max_dumps);
	case OPT_FLIGHT_DIR: o->flight_dir = arg; return 0;
	case OPT_FLIGHT_RECIPIENT: o->flight_recipient = arg; return 0;
	default: return -EINVAL;
	}
}

static enum parsed parse_run_args(int argc, char **argv, struct cw_agent_opts *o)
{
	static const struct option run_opts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "status-file", required_argument, NULL, 'T' },
		{ "events", no_argument, NULL, 'e' },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "spool-dir", required_argument, NULL, 'W' },
		{ "spool-max", required_argument, NULL, 'X' },
		{ "spool-sync-ms", required_argument, NULL, 'Y' },
		{ "ringbuf-size", required_argument, NULL, 'R' },
		{ "stats-interval", required_argument, NULL, 'S' },
		{ "no-env", no_argument, NULL, 'N' },
		{ "include-loopback", no_argument, NULL, 'L' },
		{ "capture-inbound", no_argument, NULL, 'I' },
		{ "payload-cap", required_argument, NULL, 'P' },
		{ "payload-budget", required_argument, NULL, 'B' },
		{ "policy", required_argument, NULL, 'p' },
		{ "state", required_argument, NULL, 's' },
		{ "state-max", required_argument, NULL, 'M' },
		{ "no-file-capture", no_argument, NULL, 'F' },
		{ "file-cap", required_argument, NULL, 'C' },
		{ "capture-reads", no_argument, NULL, 'D' },
		{ "btf", required_argument, NULL, 'b' },
		{ "host-root", required_argument, NULL, 'H' },
		{ "fingerprint-key-file", required_argument, NULL, 'k' },
		/* Kubernetes pod metadata */
		{ "kube-metadata", required_argument, NULL, OPT_KUBE_METADATA },
		{ "kube-apiserver", required_argument, NULL, OPT_KUBE_APISERVER },
		{ "kubelet-url", required_argument, NULL, OPT_KUBELET_URL },
		{ "kubelet-insecure-tls", no_argument, NULL, OPT_KUBELET_INSECURE_TLS },
		{ "kube-max-pods", required_argument, NULL, OPT_KUBE_MAX_PODS },
		{ "kube-token-file", required_argument, NULL, OPT_KUBE_TOKEN_FILE },
		{ "kube-ca-file", required_argument, NULL, OPT_KUBE_CA_FILE },
		{ "node-name", required_argument, NULL, OPT_NODE_NAME },
		{ "kube-annotation", required_argument, NULL, OPT_KUBE_ANNOTATION },
		{ "kube-timeout-ms", required_argument, NULL, OPT_KUBE_TIMEOUT_MS },
		/* the flight recorder */
		{ "flight-recorder", required_argument, NULL, OPT_FLIGHT },
		{ "flight-recorder-memory", required_argument, NULL, OPT_FLIGHT_MEMORY },
		{ "flight-recorder-disk", required_argument, NULL, OPT_FLIGHT_DISK },
		{ "flight-recorder-max-dumps", required_argument, NULL, OPT_FLIGHT_MAX_DUMPS },
		{ "flight-recorder-dir", required_argument, NULL, OPT_FLIGHT_DIR },
		{ "flight-recorder-recipient", required_argument, NULL, OPT_FLIGHT_RECIPIENT },
		{ "allow-second-agent", no_argument, NULL, OPT_ALLOW_SECOND_AGENT },
		{ "seccomp", required_argument, NULL, OPT_SECCOMP },
		{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
	};
	const struct option *opts = all_options(run_opts, sizeof(run_opts) / sizeof(*run_opts));
	char shortopts[64];
	int c;

	snprintf(shortopts, sizeof(shortopts), "vh%s",
		 extra && extra->shortopts ? extra->shortopts : "");
	if (extra && extra->reset)
		extra->reset(extra->arg);
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'r': o->rules_dir = optarg; break;
		case 'c': o->config = optarg; break; /* read before the flags: run_opts */
		case 'm': o->metrics_addr = optarg; break;
		case 'T': o->status_file = optarg; break;
		case 'e': o->events = true; break;
		case OPT_OUTPUT:
			if (add_output(o, optarg))
				return PARSED_EXIT_ERROR;
			break;
		case 'W': o->spool_dir = optarg; break;
		case 'R':
		case 'B':
		case 'S':
		case 'P':
		case 'M':
		case 'C':
		case 'X':
		case 'Y':
			if (parse_number(o, c, optarg))
				return PARSED_EXIT_ERROR;
			break;
		case 'N': o->no_env = true; break;
		case 'L': o->include_loopback = true; break;
		case 'I': o->capture_inbound = true; break;
		case 'p': o->policy = optarg; break;
		case 's': o->state = optarg; break;
		case 'F': o->no_files = true; break;
		case 'D': o->capture_reads = true; break;
		case 'b': o->btf = optarg; break;
		case 'H': o->host_root = optarg; break;
		case 'k': o->key_file = optarg; break;
		case OPT_KUBE_METADATA ... OPT_KUBE_TIMEOUT_MS:
			if (parse_kube(o, c, optarg))
				return PARSED_EXIT_ERROR;
			break;
		case OPT_FLIGHT ... OPT_FLIGHT_RECIPIENT:
			if (parse_flight(o, c, optarg))
				return PARSED_EXIT_ERROR;
			break;
		case OPT_ALLOW_SECOND_AGENT: o->allow_second_agent = true; break;
		case OPT_SECCOMP:
			if (cw_seccomp_mode_parse(optarg, &o->seccomp)) {
				cw_log("--seccomp '%s': enforce, log or off", optarg);
				return PARSED_EXIT_ERROR;
			}
			break;
		case OPT_NO_SECCOMP: o->seccomp = CW_SECCOMP_OFF; break;
		case 'v': cw_verbose++; break;
		case 'h': usage_of(stdout); return PARSED_EXIT_OK;
		case '?': usage_of(stderr); return PARSED_EXIT_ERROR;
		default:
			if (extra && extra->flag && c >= CW_RUN_EXTRA_FIRST) {
				if (extra->flag(extra->arg, c, optarg))
					return PARSED_EXIT_ERROR;
				break;
			}
			if (extra && extra->flag && c < 0x100 && extra->shortopts &&
			    strchr(extra->shortopts, c)) {
				if (extra->flag(extra->arg, c, optarg))
					return PARSED_EXIT_ERROR;
				break;
			}
			usage_of(stderr);
			return PARSED_EXIT_ERROR;
		}
	}
	if (optind < argc) {
		cw_log("%s: unexpected argument '%s'", extra ? extra->name : "run", argv[optind]);
		return PARSED_EXIT_ERROR;
	}
	return PARSED_RUN;
}

/* What a run was started with, for SIGHUP: the arguments, every config file's strings. */
struct run_args {
	int argc;
	char **argv;
	struct cw_strv strings;
	struct cw_agent_opts reread;
};

static int run_flags(int argc, char **argv, struct cw_agent_opts *o)
{
	optind = 0; /* glibc: a full rescan, on SIGHUP too */
	switch (parse_run_args(argc, argv, o)) {
	case PARSED_EXIT_OK: return 1;
	case PARSED_EXIT_ERROR: return -1;
	default: o->ringbuf_size = round_pow2(o->ringbuf_size); return 0;
	}
}

/* The defaults, the config file over them, the flags over that (config.h). */
static int run_opts(struct run_args *ra, struct cw_agent_opts *o, char *err, size_t errlen)
{
	static const struct cw_agent_opts defaults = {
		.ringbuf_size = CW_RINGBUF_DEFAULT,
		.stats_interval = 10,
		.payload_cap = CW_PAYLOAD_CAP_DEFAULT,
		.payload_budget = CW_PAYLOAD_BUDGET_DEFAULT,
		.state = CW_PROV_DEFAULT_FILE,
		.state_max = CW_PROV_DEFAULT_MAX,
		.file_cap = CW_FILE_CAP_DEFAULT,
		.kube_max_pods = CW_KUBE_MAX_PODS_DEFAULT,
	};

	return cw_config_options(ra->argc, ra->argv, CW_CONFIG_DEFAULT_FILE, &defaults, run_flags,
				 o, &cw_verbose, &ra->strings, err, errlen);
}

static int reread(void *arg, struct cw_agent_opts *n, char *err, size_t errlen)
{
	struct run_args *ra = arg;
	int verbose = cw_verbose; /* not reloaded */
	int ret = run_opts(ra, &ra->reread, err, errlen);

	cw_verbose = verbose;
	if (ret) {
		if (!*err)
			snprintf(err, errlen, "the flags ask for no run");
		return -EINVAL;
	}
	*n = ra->reread;
	return 0;
}

static void read_boot_id(char *out, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	out[0] = '\0';
	if (f) {
		if (fgets(out, (int)len, f))
			out[strcspn(out, "\n")] = '\0';
		fclose(f);
	}
}

int cw_run_trace_header(const struct cw_agent_opts *o, struct cw_run_header_buf *b,
			struct cw_trace_header *h)
{
	struct cw_ruleset rs = { 0 };
	struct utsname u;
	const char *node;
	char err[1024];

	if (cw_rules_load_default(&rs, o->rules_dir, err, sizeof(err))) {
		cw_log("%s", err);
		return 1;
	}
	cw_rules_digest(&rs, b->digest);
	cw_rules_free(&rs);
	/* the host name findings give (the agent's setup_judgement): a replay prints the same */
	if ((node = o->node_name ? o->node_name : getenv("NODE_NAME")) && *node)
		snprintf(b->host, sizeof(b->host), "%s", node);
	else if (gethostname(b->host, sizeof(b->host) - 1))
		snprintf(b->host, sizeof(b->host), "unknown");
	snprintf(b->kernel, sizeof(b->kernel), "%s", uname(&u) ? "" : u.release);
	read_boot_id(b->boot_id, sizeof(b->boot_id));
	*h = (struct cw_trace_header){ .host = b->host,
				       .kernel = b->kernel,
				       .boot_id = b->boot_id,
				       .version = cw_version,
				       .rules_digest = b->digest };
	return 0;
}

/*
 * The agent with a flight recorder as its tap (trace/flight.h); the traces' header says what
 * a `credwatch trace` file's does (host as findings name it, kernel, boot id, rules digest).
 */
static int run_with_flight(struct cw_agent_opts *o)
{
	struct cw_flight_opts fo = { .seconds = (unsigned)o->flight_seconds,
				     .memory = o->flight_memory,
				     .disk = o->flight_disk,
				     .max_dumps = (unsigned)o->flight_max_dumps,
				     .dir = o->flight_dir,
				     .recipient = o->flight_recipient };
	struct cw_run_header_buf hb;
	struct cw_flight *f;
	char err[1024];
	int ret;

	if (cw_run_trace_header(o, &hb, &fo.header))
		return 1;
	if (cw_flight_new(&fo, &f, &o->tap, err, sizeof(err))) {
		cw_log("%s", err);
		return 1;
	}
	o->flight_stats = cw_flight_stats_cb;
	o->flight_stats_arg = f;
	ret = cw_agent_run(o);
	cw_flight_free(f);
	return ret;
}

int cw_cmd_run(int argc, char **argv)
{
	return cw_run_command(argc, argv, NULL);
}

int cw_run_command(int argc, char **argv, const struct cw_run_extra *x)
{
	struct run_args ra = { .argc = argc, .argv = argv };
	struct cw_agent_opts o;
	char err[1024] = "";
	int ret;

	extra = x;
	switch (run_opts(&ra, &o, err, sizeof(err))) {
	case 1: ret = 0; break;
	case -1:
		if (*err) /* a flag's error is printed already */
			cw_log("%s", err);
		ret = 1;
		break;
	default:
		o.reread = reread;
		o.reread_arg = &ra;
		if (x && x->go && o.flight_seconds)
			cw_log("%s: --flight-recorder is an option of run: ignored", x->name);
		if (x && x->go)
			ret = x->go(x->arg, &o);
		else
			ret = o.flight_seconds ? run_with_flight(&o) : cw_agent_run(&o);
	}
	cw_strv_free(&ra.strings);
	extra = NULL;
	return ret;
}
