// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The verifier's budget on the running kernel, per BPF program of an object: whether the
 * kernel takes it, the instructions it processed (of 1M) and the stack depth of each of its
 * functions, in bytes (BPF_LOG_STATS). Each program is loaded alone, so that one the kernel
 * refuses does not hide the others; the rodata are the object's defaults, not an agent's
 * options (they change a few branches, not the call chains). For a refused program, the
 * verifier's last lines say why (-v: its whole log).
 *
 * For each program taken, the deepest chain of calls (bpf-to-bpf calls, and callbacks such as
 * bpf_loop's, which kernels of the 6.1 line count as calls) with its combined stack as the
 * strictest kernels count it: each frame rounded up to 32 bytes (later kernels round to 16
 * when the program is JITed), against MAX_BPF_STACK (512). An upper bound: the depths are
 * those the verifier reports, which include the 24 bytes it adds to a function whose bpf_loop
 * it inlines, after the check.
 *
 * usage: verifier-stats [-v] OBJ   (root; tests/vm/run --verifier-stats runs it in the VM)
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_SIZE (16u << 20)
#define MAX_FUNCS 64
#define MAX_BPF_STACK 512
#define MAX_CALL_FRAMES 8
#define PSEUDO_CALL 1 /* BPF_PSEUDO_CALL */
#define PSEUDO_FUNC 4 /* BPF_PSEUDO_FUNC */

/* A loaded program's functions (the verifier's subprogs), in instruction order. */
struct funcs {
	int n, insns;
	int start[MAX_FUNCS];
	int depth[MAX_FUNCS]; /* the verifier's stack depth */
	char name[MAX_FUNCS][64];
};

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* The last n lines of the log, or all of it. */
static void print_tail(const char *log, int n)
{
	const char *p = log + strlen(log);

	while (p > log && p[-1] == '\n')
		p--;
	for (const char *q = p; q > log && n >= 0; q--)
		if (q[-1] == '\n' && --n < 0) {
			log = q;
			break;
		}
	printf("%.*s\n", (int)(p - log), log);
}

static int func_of(const struct funcs *f, int insn)
{
	for (int k = 0; k < f->n; k++)
		if (f->start[k] == insn)
			return k;
	return -1;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/*
 * The functions of program p as the kernel splits them: instruction 0 and every target of a
 * call or of a callback reference (ld_imm64 of a function), as libbpf's final instructions
 * have them; named from the loaded program's func_info (also in instruction order).
 */
static int split_funcs(struct bpf_object *obj, struct bpf_program *p, const char *stack,
		       struct funcs *f)
{
	const struct bpf_insn *in = bpf_program__insns(p);
	int cnt = (int)bpf_program__insn_cnt(p);
	struct bpf_func_info fi[MAX_FUNCS];
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	const struct btf *btf = bpf_object__btf(obj);

	memset(f, 0, sizeof(*f));
	f->insns = cnt;
	f->start[f->n++] = 0;
	for (int i = 0; i < cnt; i++) {
		int t;

		if (in[i].code == (BPF_JMP | BPF_CALL) && in[i].src_reg == PSEUDO_CALL)
			t = i + in[i].imm + 1;
		else if (in[i].code == (BPF_LD | BPF_IMM | BPF_DW) && in[i].src_reg == PSEUDO_FUNC)
			t = i + in[i].imm + 1;
		else
			continue;
		if (func_of(f, t) < 0) {
			if (f->n == MAX_FUNCS)
				return -E2BIG;
			f->start[f->n++] = t;
		}
	}
	qsort(f->start, f->n, sizeof(f->start[0]), cmp_int);
	for (int k = 0; k < f->n; k++) {
		f->depth[k] = (int)strtol(stack, (char **)&stack, 10);
		if (*stack == '+')
			stack++;
	}
	info.nr_func_info = MAX_FUNCS;
	info.func_info_rec_size = sizeof(fi[0]);
	info.func_info = (__u64)(unsigned long)fi;
	if (!bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) &&
	    info.nr_func_info == (__u32)f->n && btf) {
		for (int k = 0; k < f->n; k++) {
			const struct btf_type *t = btf__type_by_id(btf, fi[k].type_id);

			snprintf(f->name[k], sizeof(f->name[k]), "%s",
				 t ? btf__name_by_offset(btf, t->name_off) : "?");
		}
	} else {
		for (int k = 0; k < f->n; k++)
			snprintf(f->name[k], sizeof(f->name[k]), "func#%d", k);
	}
	return 0;
}

static int frame_size(int depth, int granule)
{
	return ((depth > 0 ? depth : 1) + granule - 1) / granule * granule;
}

/* The deepest chain from function k (frames rounded to granule), into chain[]; its bytes. */
static int deepest(const struct bpf_insn *in, const struct funcs *f, int k, int granule, int *chain,
		   int *len, int level)
{
	int end = k + 1 < f->n ? f->start[k + 1] : f->insns, best = 0, best_chain[MAX_CALL_FRAMES];
	int best_len = 0;

	if (level >= MAX_CALL_FRAMES)
		return 1 << 20;
	for (int i = f->start[k]; i < end; i++) {
		int sub[MAX_CALL_FRAMES], sub_len = 0, t, d;

		if (!((in[i].code == (BPF_JMP | BPF_CALL) && in[i].src_reg == PSEUDO_CALL) ||
		      (in[i].code == (BPF_LD | BPF_IMM | BPF_DW) && in[i].src_reg == PSEUDO_FUNC)))
			continue;
		t = func_of(f, i + in[i].imm + 1);
		if (t < 0)
			continue;
		d = deepest(in, f, t, granule, sub, &sub_len, level + 1);
		if (d > best) {
			best = d;
			memcpy(best_chain, sub, sizeof(sub[0]) * sub_len);
			best_len = sub_len;
		}
	}
	chain[0] = k;
	memcpy(chain + 1, best_chain, sizeof(best_chain[0]) * best_len);
	*len = best_len + 1;
	return frame_size(f->depth[k], granule) + best;
}

/* "main(288) > cw_h2_step(0) > ...: 512 of 512" for the deepest chain. */
static void print_chain(struct bpf_object *obj, struct bpf_program *p, const char *stack)
{
	int chain[MAX_CALL_FRAMES + 1], len = 0, bytes;
	struct funcs f;

	if (split_funcs(obj, p, stack, &f) || f.n < 2)
		return;
	bytes = deepest(bpf_program__insns(p), &f, 0, 32, chain, &len, 0);
	printf("%-24s deepest call chain: ", "");
	for (int j = 0; j < len; j++)
		printf("%s%s(%d)", j ? " > " : "", j ? f.name[chain[j]] : "main",
		       f.depth[chain[j]]);
	printf(": %d of %d bytes in 32-byte frames%s\n", bytes, MAX_BPF_STACK,
	       bytes > MAX_BPF_STACK ? " (TOO LARGE)" : "");
}

/* Load program `name` of path alone; print one line for it. 0 if the kernel took it. */
static int load_one(const char *path, const char *name, char *log, int verbose)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p, *me = NULL;
	const char *s;
	long insns = -1;
	char stack[256] = "?";
	int err;

	if (!obj)
		return -errno;
	bpf_object__for_each_program(p, obj)
	{
		bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), name));
		if (!strcmp(bpf_program__name(p), name))
			me = p;
	}
	if (!me) {
		bpf_object__close(obj);
		return -ENOENT;
	}
	log[0] = '\0';
	bpf_program__set_log_buf(me, log, LOG_SIZE);
	bpf_program__set_log_level(me, verbose ? 1 | 4 : 4);
	err = bpf_object__load(obj);
	s = strstr(log, "processed ");
	if (s)
		insns = strtol(s + strlen("processed "), NULL, 10);
	s = strstr(log, "stack depth ");
	if (s)
		sscanf(s + strlen("stack depth "), "%255[0-9+]", stack);
	if (!err) {
		printf("%-24s %-8s %9ld  %s\n", name, "ok", insns, stack);
		print_chain(obj, me, stack);
	} else {
		printf("%-24s %-8s %9s  %s: %s\n", name, "REFUSED", insns < 0 ? "-" : "", "error",
		       strerror(-err));
		print_tail(log, verbose ? 1 << 30 : 3);
	}
	bpf_object__close(obj);
	return err;
}

int main(int argc, char **argv)
{
	int verbose = argc > 2 && !strcmp(argv[1], "-v");
	const char *path = argv[argc - 1];
	struct bpf_object *obj;
	struct bpf_program *p;
	char *log;
	int refused = 0;

	if (argc < 2 || (argc > 2 && !verbose) || argc > 3) {
		fprintf(stderr, "usage: verifier-stats [-v] OBJ\n");
		return 2;
	}
	libbpf_set_print(quiet);
	obj = bpf_object__open_file(path, NULL);
	log = malloc(LOG_SIZE);
	if (!obj || !log) {
		fprintf(stderr, "verifier-stats: %s: %s\n", path, strerror(errno));
		return 2;
	}
	printf("%-24s %-8s %9s  %s\n", "program", "verifier", "insns",
	       "stack depth (per function)");
	bpf_object__for_each_program(p, obj)
	{
		int err = load_one(path, bpf_program__name(p), log, verbose);

		if (err == -ENOENT || err == -ENOMEM)
			fprintf(stderr, "verifier-stats: %s: %s\n", bpf_program__name(p),
				strerror(-err));
		refused += err != 0;
	}
	bpf_object__close(obj);
	free(log);
	return refused ? 1 : 0;
}
