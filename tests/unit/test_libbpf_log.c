// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* agent/libbpf_log: a refused program named from libbpf's warnings. */
#include <string.h>

#include "agent/libbpf_log.h"
#include "test.h"

TEST(refusal_names_the_program_and_the_verifiers_reason)
{
	struct cw_refusal r = { 0 };

	cw_refusal_note(&r, "libbpf: elf: skipping unrecognized data section(7) .comment\n");
	CHECK_EQ_STR(r.prog, "");
	cw_refusal_note(&r, "libbpf: prog 'handle_sendmsg': BPF program load failed: Permission "
			    "denied\n");
	CHECK_EQ_STR(r.prog, "handle_sendmsg");
	cw_refusal_note(&r, "libbpf: prog 'handle_sendmsg': -- BEGIN PROG LOAD LOG --\n"
			    "Func#5 ('cw_h2_frame') is safe for any args that match its prototype\n"
			    "combined stack size of 5 calls is 544. Too large\n"
			    "processed 763326 insns (limit 1000000) max_states_per_insn 58 "
			    "total_states 35503 peak_states 1100 mark_read 0\n"
			    "-- END PROG LOAD LOG --\n");
	CHECK_EQ_STR(r.prog, "handle_sendmsg");
	CHECK_EQ_STR(r.why, "combined stack size of 5 calls is 544. Too large");
}

TEST(refusal_without_a_log_keeps_no_reason)
{
	struct cw_refusal r = { 0 };

	cw_refusal_note(&r, "libbpf: prog 'go_tls_write': BPF program load failed: Invalid "
			    "argument\n");
	cw_refusal_note(&r, "libbpf: prog 'go_tls_write': -- BEGIN PROG LOAD LOG --\n"
			    "processed 0 insns\n-- END PROG LOAD LOG --\n");
	CHECK_EQ_STR(r.prog, "go_tls_write");
	CHECK_EQ_STR(r.why, "");
}
