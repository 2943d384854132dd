// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Choosing where an entry uprobe goes: the first emulated instruction, when that is safe. */
#include <stdint.h>

#include "agent/probepoint.h"
#include "test.h"

#define POINT(code, regs) cw_probe_point(code, sizeof(code), 0x1000, regs)
#define EMU(...)                                             \
	({                                                   \
		static const uint8_t b_[] = { __VA_ARGS__ }; \
		cw_probe_insn_emulated(b_, sizeof(b_));      \
	})

TEST(probepoint_emulated_instructions)
{
	CHECK(EMU(0x55));				/* push rbp */
	CHECK(EMU(0x41, 0x54));				/* push r12 */
	CHECK(EMU(0x90));				/* nop */
	CHECK(EMU(0x0f, 0x1f, 0x44, 0x00, 0x00));	/* nopl 0(rax,rax) */
	CHECK(EMU(0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00)); /* nopw */
	CHECK(EMU(0xe8, 0xfd, 0xfb, 0xff, 0xff));	/* call rel32 */
	CHECK(EMU(0xe9, 0x86, 0x9c, 0xff, 0xff));	/* jmp rel32 */
	CHECK(EMU(0xeb, 0x02));				/* jmp rel8 */
	CHECK(EMU(0x7e, 0x03));				/* jle rel8 */
	CHECK(EMU(0x0f, 0x84, 0x10, 0x00, 0x00, 0x00)); /* je rel32 */
	CHECK(EMU(0xf2, 0xe9, 0x00, 0x00, 0x00, 0x00)); /* bnd jmp */
	CHECK(!EMU(0x41, 0x90));			/* xchg eax, r8d: not a nop */
	CHECK(!EMU(0x66, 0xe8, 0x00, 0x00));		/* callw: the kernel refuses 66 */
	CHECK(!EMU(0xf3, 0x0f, 0x1e, 0xfa));		/* endbr64 */
	CHECK(!EMU(0x48, 0x83, 0xec, 0x18));		/* sub rsp, 0x18 */
	CHECK(!EMU(0xff, 0x60, 0x18));			/* jmp *0x18(rax): indirect */
	CHECK(!EMU(0x0f, 0x1f, 0x4c, 0x00, 0x00));	/* 0f 1f /1: a hint, not the nop */
}

/* OpenSSL 3.0's SSL_write: sub, stack-protector load and store, then `js`. */
TEST(probepoint_openssl_ssl_write)
{
	static const uint8_t f[] = {
		0x48, 0x83, 0xec, 0x18,			     /* 0: sub $0x18,%rsp */
		0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0, /* 4: mov %fs:0x28,%rax */
		0x48, 0x89, 0x44, 0x24, 0x08,		     /* d: mov %rax,0x8(%rsp) */
		0x31, 0xc0,				     /* 12: xor %eax,%eax */
		0x85, 0xd2,				     /* 14: test %edx,%edx */
		0x78, 0x04,				     /* 16: js 1c */
		0x48, 0x63, 0xd2,			     /* 18: movslq %edx,%rdx */
		0x90,					     /* 1b: nop */
		0x48, 0x83, 0xc4, 0x18,			     /* 1c: add $0x18,%rsp */
		0xc3,					     /* 20: ret */
	};

	CHECK_EQ_INT(POINT(f, CW_REGS_C_ARGS3), 0x16);
	/* a probe that read rax (written at 4) must stay at the entry */
	CHECK_EQ_INT(POINT(f, CW_REGS_C_ARGS3 | CW_REG_RAX), 0);
}

TEST(probepoint_endbr64_then_push)
{
	static const uint8_t f[] = {
		0xf3, 0x0f, 0x1e, 0xfa, /* endbr64 */
		0x55,			/* push %rbp */
		0x48, 0x89, 0xe5,	/* mov %rsp,%rbp */
		0x5d,			/* pop %rbp */
		0xc3,
	};
	static const uint8_t push_first[] = { 0x55, 0x48, 0x89, 0xe5, 0x5d, 0xc3 };

	CHECK_EQ_INT(POINT(f, CW_REGS_C_ARGS3), 4);
	CHECK_EQ_INT(POINT(push_first, CW_REGS_C_ARGS3), 0); /* already cheap */
}

/* An argument register written before the emulated instruction keeps the probe at entry. */
TEST(probepoint_argument_register_written)
{
	static const uint8_t f[] = {
		0x48, 0x89, 0xfe, /* mov %rdi,%rsi */
		0x53,		  /* push %rbx */
		0x5b,		  /* pop %rbx */
		0xc3,
	};
	static const uint8_t byte_reg[] = {
		0x40, 0x88, 0xc7, /* mov %al,%dil: a part of rdi */
		0x53, 0x5b, 0xc3,
	};

	CHECK_EQ_INT(POINT(f, CW_REGS_C_ARGS3), 0);
	CHECK_EQ_INT(POINT(f, CW_REGS_GO_ARGS3), 3); /* rsi is not a Go argument here */
	CHECK_EQ_INT(POINT(byte_reg, CW_REGS_C_ARGS3), 0);
}

/* A branch back into the instructions the probe would skip, or onto it, keeps it at entry. */
TEST(probepoint_branch_into_prologue)
{
	static const uint8_t loop[] = {
		0x48, 0x83, 0xec, 0x08, /* 0: sub $8,%rsp */
		0x31, 0xc0,		/* 4: xor %eax,%eax */
		0x53,			/* 6: push %rbx */
		0x5b,			/* 7: pop %rbx */
		0xeb, 0xfa,		/* 8: jmp 4 */
		0xc3,
	};
	static const uint8_t onto[] = {
		0x48, 0x83, 0xec, 0x08, 0x31,
		0xc0, 0x53, 0x5b, 0xeb, 0xfc, /* 8: jmp 6, the probe point itself */
		0xc3,
	};
	static const uint8_t no_loop[] = {
		0x48, 0x83, 0xec, 0x08, 0x31,
		0xc0, 0x53, 0x5b, 0xeb, 0xf6, /* 8: jmp 0, the entry: fine */
		0xc3,
	};

	CHECK_EQ_INT(POINT(loop, CW_REGS_C_ARGS3), 0);
	CHECK_EQ_INT(POINT(onto, CW_REGS_C_ARGS3), 0);
	CHECK_EQ_INT(POINT(no_loop, CW_REGS_C_ARGS3), 6);
}

TEST(probepoint_control_flow_or_garbage_first)
{
	static const uint8_t nspr_pr_write[] = {
		0x48, 0x8b, 0x07, /* mov (%rdi),%rax */
		0xff, 0x60, 0x18, /* jmp *0x18(%rax): indirect, not emulated */
		0x90,
	};
	static const uint8_t syscall_first[] = { 0x0f, 0x05, 0x90, 0xc3 };
	static const uint8_t invalid[] = { 0x06, 0x90, 0xc3 }; /* push es: not in 64-bit mode */
	static const uint8_t truncated[] = { 0x48, 0x83 };

	CHECK_EQ_INT(POINT(nspr_pr_write, CW_REGS_C_ARGS3), 0);
	CHECK_EQ_INT(POINT(syscall_first, CW_REGS_C_ARGS3), 0);
	CHECK_EQ_INT(POINT(invalid, CW_REGS_C_ARGS3), 0);
	CHECK_EQ_INT(POINT(truncated, CW_REGS_C_ARGS3), 0);
	CHECK_EQ_INT(cw_probe_point(NULL, 0, 0x1000, CW_REGS_C_ARGS3), 0);
}

/* GnuTLS's gnutls_record_send: two xors of registers it does not read, then a tail jmp. */
TEST(probepoint_gnutls_tail_call)
{
	static const uint8_t f[] = {
		0x45, 0x31, 0xc0,	      /* xor %r8d,%r8d */
		0x31, 0xc9,		      /* xor %ecx,%ecx */
		0xe9, 0x86, 0x9c, 0xff, 0xff, /* jmp gnutls_record_send2 */
	};

	CHECK_EQ_INT(POINT(f, CW_REGS_C_ARGS3), 5);
	CHECK_EQ_INT(POINT(f, CW_REGS_C_ARGS3 | CW_REG_RCX), 0);
}

/* Go's stack check: cmp against the goroutine's stack guard, then jbe to morestack. */
TEST(probepoint_go_prologue)
{
	static const uint8_t small[] = {
		0x49, 0x3b, 0x66, 0x10,	   /* 0: cmp 0x10(%r14),%rsp */
		0x76, 0x03,		   /* 4: jbe 9 */
		0x55,			   /* 6: push %rbp */
		0x5d,			   /* 7: pop %rbp */
		0xc3,			   /* 8: ret */
		0xe8, 0,    0,	  0,	0, /* 9: call morestack */
		0xeb, 0xf0,		   /* e: jmp 0 */
	};
	static const uint8_t big[] = {
		0x4c, 0x8d, 0x64, 0x24, 0xf8,	    /* 0: lea -0x8(%rsp),%r12 */
		0x4d, 0x3b, 0x66, 0x10,		    /* 5: cmp 0x10(%r14),%r12 */
		0x0f, 0x86, 0x02, 0x00, 0x00, 0x00, /* 9: jbe 0x11 */
		0x90,				    /* f */
		0xc3,				    /* 10 */
		0xeb, 0xed,			    /* 11: jmp 0 */
	};

	CHECK_EQ_INT(POINT(small, CW_REGS_GO_ARGS3), 4);
	CHECK_EQ_INT(POINT(big, CW_REGS_GO_ARGS3), 9);
}

/* What the kernel would refuse or single-step, and what Capstone under-reports. */
TEST(probepoint_review_cases)
{
	static const uint8_t ds_jcc[] = {
		0x48, 0x83, 0xec, 0x08, /* sub $8,%rsp */
		0x3e, 0x74, 0x00,	/* ds je: is_prefix_bad refuses ds */
		0xc3,
	};
	static const uint8_t loop_back[] = {
		0x48, 0x83, 0xec, 0x08, /* 0: sub $8,%rsp */
		0x31, 0xc0,		/* 4: xor %eax,%eax */
		0x53,			/* 6: push %rbx */
		0x5b,			/* 7: pop %rbx */
		0xe2, 0xfa,		/* 8: loop 4 */
		0xc3,
	};
	static const uint8_t cmpxchg[] = {
		0xf0, 0x48, 0x0f, 0xb1, 0x0c, 0x24, /* lock cmpxchg %rcx,(%rsp): writes rax */
		0x53, 0x5b, 0xc3,
	};
	static const uint8_t jump_table[] = {
		0x48, 0x83, 0xec, 0x08, /* sub $8,%rsp */
		0x53,			/* push %rbx */
		0x5b,			/* pop %rbx */
		0xff, 0xe0,		/* jmp *%rax: targets unknown */
		0xc3,
	};
	static const uint8_t fs_jcc[] = {
		0x48, 0x83, 0xec, 0x08, 0x64, 0x74, 0x00, 0xc3, /* fs je: emulated */
	};

	CHECK(!EMU(0x3e, 0x74, 0x00));
	CHECK(!EMU(0x2e, 0xe9, 0x00, 0x00, 0x00, 0x00));
	CHECK(EMU(0x64, 0x74, 0x00));
	CHECK_EQ_INT(POINT(ds_jcc, CW_REGS_C_ARGS3), 0);
	CHECK_EQ_INT(POINT(fs_jcc, CW_REGS_C_ARGS3), 4);
	CHECK_EQ_INT(POINT(loop_back, CW_REGS_C_ARGS3), 0);
	CHECK_EQ_INT(POINT(cmpxchg, CW_REGS_GO_ARGS3), 0);
	CHECK_EQ_INT(POINT(jump_table, CW_REGS_C_ARGS3), 0);
}
