/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Where findings go: one output's description, parsed from `--output TARGET[,KEY=VALUE]...`
 * or from an entry of the config file. Targets:
 *
 *   stdout                                   JSON lines on standard output
 *   file:PATH                                JSON lines appended to PATH, rotated by size
 *   syslog://HOST:PORT                       RFC 5424 over UDP
 *   syslog+tcp://HOST:PORT                   RFC 5424 over TCP, RFC 6587 octet counting
 *   syslog+tls://HOST:PORT                   RFC 5424 over TLS (RFC 5425)
 *   https://HOST[:PORT]/services/collector[/event]   Splunk HEC
 *   https://HOST[:PORT]/[INDEX/]_bulk        Elasticsearch / OpenSearch _bulk
 *   https://HOST[:PORT]/ANY/OTHER/PATH       a webhook: a JSON array of findings per POST
 *   (http:// as well, for receivers on loopback; type=hec|bulk|webhook overrides the path's)
 *
 * KEY=VALUE options (each only where it applies; an unknown key or a value out of range is
 * an error naming it): format=ecs|ocsf, rotate-size=BYTES (k/M/G), rotate-keep=N,
 * facility=NAME|0..23, app-name=NAME, ca=FILE, cert=FILE, key=FILE, token-file=FILE,
 * index=NAME, batch=N, batch-ms=MS, gzip=on|off, timeout-ms=MS, spool=on|off.
 * Credentials are read from files only (token-file, key): a spec never holds one, so specs
 * can be logged.
 */
#ifndef CW_OUTPUT_SPEC_H
#define CW_OUTPUT_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_OUTPUTS_MAX 16
#define CW_OUTPUT_STR 1024

enum cw_format {
	CW_FORMAT_ECS,	/* ECS JSON (the agent's own line) */
	CW_FORMAT_OCSF, /* OCSF Data Security Finding (class 2006) */
};

enum cw_sink_kind {
	CW_SINK_STDOUT,
	CW_SINK_FILE,
	CW_SINK_SYSLOG_UDP,
	CW_SINK_SYSLOG_TCP,
	CW_SINK_SYSLOG_TLS,
	CW_SINK_HEC,
	CW_SINK_BULK,
	CW_SINK_WEBHOOK,
};

struct cw_output_spec {
	char spec[CW_OUTPUT_STR]; /* as given, for messages and metrics labels */
	enum cw_sink_kind kind;
	enum cw_format format;
	char target[CW_OUTPUT_STR]; /* file: the path; others: the URL (scheme normalised) */
	char host[256];		    /* syslog and https: host and port from the target */
	uint16_t port;
	/* file */
	uint64_t rotate_bytes; /* 0: never rotate (default 100M) */
	unsigned rotate_keep;  /* rotated files kept (default 5) */
	/* syslog */
	int facility;	   /* 0..23 (default 10, authpriv... see output_spec.c) */
	char app_name[49]; /* RFC 5424 APP-NAME (default "credwatch") */
	/* TLS (syslog+tls, https) */
	char ca_file[512];   /* "": the system's trust store */
	char cert_file[512]; /* client certificate, "" none */
	char key_file[512];  /* its key */
	/* https */
	char token_file[512]; /* HEC token, or "user:password" / bearer for bulk and webhooks */
	char index[128];      /* bulk: the index when the URL names none; HEC: the index field */
	unsigned batch_max;   /* findings per request (default 500) */
	unsigned batch_ms;    /* longest a finding waits for its batch (default 200) */
	bool gzip;	      /* gzip request bodies (default on) */
	unsigned timeout_ms;  /* per request (default 10000) */
	/* every output but stdout and file goes through a disk spool (spool=off: memory only) */
	bool spool;
};

/* Parse one spec. 0, or -EINVAL with a one-line reason in err. */
int cw_output_spec_parse(const char *s, struct cw_output_spec *o, char *err, size_t errlen);

/* "ecs" / "ocsf"; "file", "syslog+tcp", "hec", ... */
const char *cw_format_name(enum cw_format f);
const char *cw_sink_kind_name(enum cw_sink_kind k);

#endif
