// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The cheapest safe place for an entry uprobe (see probepoint.h). Instructions are decoded
 * with Capstone; what the kernel emulates is decided on the raw bytes, as the kernel does
 * (arch/x86/kernel/uprobes.c: branch_setup_xol_ops, push_setup_xol_ops and, in newer
 * kernels, multi-byte nops). Anything unexpected keeps the probe at the entry, which is always
 * correct: this only ever saves time. x86_64 code only: the caller checks the ELF machine.
 */
#include <stdbool.h>
#include <string.h>

#include <capstone/capstone.h>

#include "agent/probepoint.h"

#define SCAN_INSNS 32 /* instructions looked at before giving up */
#define SCAN_BYTES 128

static bool is_branch_prefix(uint8_t b)
{
	/*
	 * fs/gs overrides and f2/f3 (bnd): the kernel emulates branches with these. It refuses to
	 * probe any instruction with an es/cs/ss/ds override or lock (is_prefix_bad), and 66.
	 */
	return b == 0x64 || b == 0x65 || b == 0xf2 || b == 0xf3;
}

int cw_probe_insn_emulated(const uint8_t *code, size_t len)
{
	size_t i = 0;

	if (!len)
		return 0;
	/* push r64 (50-57), push r8-r15 (41 50-57) */
	if (len == 1 && code[0] >= 0x50 && code[0] <= 0x57)
		return 1;
	if (len == 2 && code[0] == 0x41 && code[1] >= 0x50 && code[1] <= 0x57)
		return 1;
	/* nop, and xchg ax,ax (66 90); not 41 90, which is xchg eax,r8d */
	if ((len == 1 && code[0] == 0x90) || (len == 2 && code[0] == 0x66 && code[1] == 0x90))
		return 1;
	/* multi-byte nop: [66] 0f 1f /0 */
	if (code[0] == 0x66)
		i = 1;
	if (len >= i + 3 && code[i] == 0x0f && code[i + 1] == 0x1f && ((code[i + 2] >> 3) & 7) == 0)
		return 1;
	/* relative call, jmp, jcc: prefixes the kernel accepts (never 66, nor REX) */
	for (i = 0; i < len && is_branch_prefix(code[i]); i++)
		;
	if (i >= len)
		return 0;
	switch (code[i]) {
	case 0xe8: return len == i + 5; /* call rel32 */
	case 0xe9: return len == i + 5; /* jmp rel32 */
	case 0xeb: return len == i + 2; /* jmp rel8 */
	case 0x0f:			/* jcc rel32 */
		return len == i + 6 && code[i + 1] >= 0x80 && code[i + 1] <= 0x8f;
	default: /* jcc rel8 */ return code[i] >= 0x70 && code[i] <= 0x7f && len == i + 2;
	}
}

/* Which of our register bits a Capstone register is part of. */
static unsigned reg_bit(uint16_t r)
{
	switch (r) {
	case X86_REG_RAX:
	case X86_REG_EAX:
	case X86_REG_AX:
	case X86_REG_AL:
	case X86_REG_AH: return CW_REG_RAX;
	case X86_REG_RBX:
	case X86_REG_EBX:
	case X86_REG_BX:
	case X86_REG_BL:
	case X86_REG_BH: return CW_REG_RBX;
	case X86_REG_RCX:
	case X86_REG_ECX:
	case X86_REG_CX:
	case X86_REG_CL:
	case X86_REG_CH: return CW_REG_RCX;
	case X86_REG_RDX:
	case X86_REG_EDX:
	case X86_REG_DX:
	case X86_REG_DL:
	case X86_REG_DH: return CW_REG_RDX;
	case X86_REG_RSI:
	case X86_REG_ESI:
	case X86_REG_SI:
	case X86_REG_SIL: return CW_REG_RSI;
	case X86_REG_RDI:
	case X86_REG_EDI:
	case X86_REG_DI:
	case X86_REG_DIL: return CW_REG_RDI;
	case X86_REG_R8:
	case X86_REG_R8D:
	case X86_REG_R8W:
	case X86_REG_R8B: return CW_REG_R8;
	case X86_REG_R9:
	case X86_REG_R9D:
	case X86_REG_R9W:
	case X86_REG_R9B: return CW_REG_R9;
	default: return 0;
	}
}

static bool is_branch(csh h, const cs_insn *in)
{
	/* Capstone 4 has loop/loope/loopne in BRANCH_RELATIVE only, not in JUMP */
	return cs_insn_group(h, in, CS_GRP_JUMP) || cs_insn_group(h, in, CS_GRP_CALL) ||
	       cs_insn_group(h, in, CS_GRP_BRANCH_RELATIVE);
}

/*
 * May the probe skip this instruction? Only the plain moves, arithmetic and stack-protector
 * loads that prologues are made of, whose register writes are all explicit operands (which
 * Capstone reports reliably; its implicit-write tables miss some, e.g. cmpxchg's rax), and
 * endbr64. Everything else — branches, string and rep instructions, traps, cpuid, rdtsc,
 * one-operand mul/div, sign extensions of rax into rdx — keeps the probe where it is.
 */
static bool skippable(unsigned id)
{
	switch (id) {
	case X86_INS_MOV:
	case X86_INS_MOVABS:
	case X86_INS_MOVZX:
	case X86_INS_MOVSX:
	case X86_INS_MOVSXD:
	case X86_INS_LEA:
	case X86_INS_ADD:
	case X86_INS_SUB:
	case X86_INS_AND:
	case X86_INS_OR:
	case X86_INS_XOR:
	case X86_INS_CMP:
	case X86_INS_TEST:
	case X86_INS_INC:
	case X86_INS_DEC:
	case X86_INS_NEG:
	case X86_INS_NOT:
	case X86_INS_SHL:
	case X86_INS_SHR:
	case X86_INS_SAR:
	case X86_INS_ENDBR64:
	case X86_INS_MOVAPS:
	case X86_INS_MOVUPS:
	case X86_INS_MOVDQA:
	case X86_INS_MOVDQU:
	case X86_INS_MOVQ:
	case X86_INS_MOVD:
	case X86_INS_PXOR:
	case X86_INS_XORPS: return true;
	default: return false;
	}
}

static unsigned regs_written(csh h, const cs_insn *in, bool *ok)
{
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;
	unsigned bits = 0;

	*ok = cs_regs_access(h, in, rd, &nrd, wr, &nwr) == CS_ERR_OK;
	for (uint8_t i = 0; *ok && i < nwr; i++)
		bits |= reg_bit(wr[i]);
	return bits;
}

/*
 * Could control reach (vaddr, vaddr + point] other than from the entry? A direct branch or
 * call in the function aimed there, or an indirect jump (a jump table: its targets are not
 * known) anywhere in it.
 */
static bool branched_into(csh h, cs_insn *in, const uint8_t *code, size_t len, uint64_t vaddr,
			  size_t point, bool *ok)
{
	const uint8_t *p = code;
	size_t left = len;
	uint64_t addr = vaddr;

	*ok = true;
	while (left) {
		bool direct = false;

		if (!cs_disasm_iter(h, &p, &left, &addr, in)) {
			*ok = false;
			return false;
		}
		if (!is_branch(h, in))
			continue;
		for (uint8_t i = 0; i < in->detail->x86.op_count; i++) {
			const cs_x86_op *op = &in->detail->x86.operands[i];

			if (op->type != X86_OP_IMM)
				continue;
			direct = true;
			if ((uint64_t)op->imm > vaddr && (uint64_t)op->imm <= vaddr + point)
				return true;
		}
		if (!direct && cs_insn_group(h, in, CS_GRP_JUMP))
			return true;
	}
	return false;
}

size_t cw_probe_point(const uint8_t *code, size_t len, uint64_t vaddr, unsigned regs)
{
	csh h;
	cs_insn *in;
	const uint8_t *p = code;
	size_t left = len, point = 0;
	uint64_t addr = vaddr;
	bool found = false, ok = true;

	if (!code || !len || cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return 0;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	for (int n = 0; in && n < SCAN_INSNS && left && point < SCAN_BYTES; n++) {
		size_t off = (size_t)(p - code);

		if (!cs_disasm_iter(h, &p, &left, &addr, in))
			break;
		if (cw_probe_insn_emulated(code + off, in->size)) {
			found = off > 0;
			point = off;
			break;
		}
		if (!skippable(in->id) || (regs_written(h, in, &ok) & regs) || !ok)
			break;
		point = (size_t)(p - code);
	}
	if (found && (branched_into(h, in, code, len, vaddr, point, &ok) || !ok))
		found = false;
	if (in)
		cs_free(in, 1);
	cs_close(&h);
	return found ? point : 0;
}
