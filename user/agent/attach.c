// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Attach: the tracepoint probes the skeleton declares, then the TLS uprobes on the libraries
 * and binaries processes use (agent/tls_attach.c finds them and keeps them attached).
 */
#include <string.h>

#include <bpf/libbpf.h>

#include "credwatch.skel.h"
#include "agent/state.h"
#include "util/log.h"

int cw_agent_attach(struct cw_agent *a)
{
	int ret = credwatch_bpf__attach(a->skel);

	if (ret)
		cw_log("cannot attach probes: %s", strerror(-ret));
	return ret;
}

/*
 * The file handler saw pid open a file the kernel flagged as a possible TLS library: if its
 * name is one, its probes go on before its first write.
 */
static void attach_tls_library(void *ctx, uint32_t pid, const char *path)
{
	const char *base = strrchr(path, '/');

	if (cw_tls_library_name(base ? base + 1 : path))
		cw_tls_scan_file(ctx, pid, path);
}

void cw_agent_attach_tls(struct cw_agent *a, bool inbound, bool scan)
{
	/* TLS libraries: the system's, then whatever running processes have mapped. */
	cw_tls_attach_init(&a->tls, a->skel, inbound);
	a->tls.off = !scan;
	if (!scan)
		return;
	cw_tls_scan_system(&a->tls);
	cw_tls_scan_all(&a->tls);
	a->files.on_tls_library = attach_tls_library;
	a->files.tls_ctx = &a->tls;
}
