// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* bench/uprobe_trap's probe: counts its hits and does nothing else. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

__u64 hits;

SEC("uprobe")
int count_hit(void *ctx __attribute__((unused)))
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
