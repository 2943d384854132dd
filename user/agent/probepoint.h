/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Where in a function an entry uprobe is cheapest. On x86_64 the kernel executes the probed
 * instruction either by emulating it (push, nop, call, jmp, jcc) or by single-stepping a copy
 * of it, which takes a second trap: every hit then costs two kernel entries instead of one.
 * SSL_write and SSL_write_ex start with `sub rsp` and every function of a CET build with
 * endbr64, neither emulated; a few instructions further on there is usually one that is.
 * cw_probe_point finds it, only where moving the probe there changes nothing the probe sees.
 */
#ifndef CW_PROBEPOINT_H
#define CW_PROBEPOINT_H

#include <stddef.h>
#include <stdint.h>

/* Registers a probe program reads (the function's arguments), for cw_probe_point. */
enum {
	CW_REG_RAX = 1u << 0,
	CW_REG_RBX = 1u << 1,
	CW_REG_RCX = 1u << 2,
	CW_REG_RDX = 1u << 3,
	CW_REG_RSI = 1u << 4,
	CW_REG_RDI = 1u << 5,
	CW_REG_R8 = 1u << 6,
	CW_REG_R9 = 1u << 7,
};
#define CW_REGS_C_ARGS3 (CW_REG_RDI | CW_REG_RSI | CW_REG_RDX)	/* f(a, b, c), SysV */
#define CW_REGS_GO_ARGS3 (CW_REG_RAX | CW_REG_RBX | CW_REG_RCX) /* Go register ABI */

/* Is the instruction at code[0..len) one the x86_64 kernel emulates when it is probed? */
int cw_probe_insn_emulated(const uint8_t *code, size_t len);

/*
 * The offset in a function (its whole x86_64 code: len bytes loaded at virtual address vaddr)
 * at which an entry-only probe reading the registers in `regs` should be placed: the first
 * emulated instruction such that every instruction before it is a plain move, arithmetic or
 * endbr64 that writes none of `regs`, none of them is the target of a direct branch in the
 * function, and the function has no indirect jump (whose targets are unknown). 0 (the entry)
 * when there is none, or when the code cannot be decoded. Return probes must stay at the
 * entry: they take the return address from the stack as the function's first instruction
 * sees it.
 */
size_t cw_probe_point(const uint8_t *code, size_t len, uint64_t vaddr, unsigned regs);

#endif
