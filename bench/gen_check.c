/*
** gen_check.c - print large typed-assembly programs for bench/check.sh.
**
**   gen_check tal INSNS [SEED [distinct]]
**                                a .tal unit of about INSNS instructions
**   gen_check wat FUNCS          a WebAssembly text module of FUNCS functions
**
** The .tal unit is many small functions, each a bounded loop over an array
** *[u64 ro; n] whose length n travels in rsi as S(n), like examples/sum.tal:
** the label types carry the invariant i <= n, so every load is proved in
** bounds without a run-time check.  The functions come in five shapes,
** picked at random (deterministic for a seed):
**
**   sum     add the elements                      (ret: returns rax)
**   hash    shift, xor and multiply the elements  (keeps rdi and rsi alive
**           across the return, so that a caller can go on using them)
**   max     call an earlier hash function, then the unsigned maximum with
**           cmp and cmova
**   filter  a second label inside the loop (i < n), and/lea/sub on the
**           elements below a threshold
**   shift   shr, add and an immediate xor per element
**
** The temporary register, the constants and the shift counts vary too.
** Everything verifies: talcheck must exit 0 on the assembled object.
**
** Every function's label types bind the same names (s, n, i), so the
** functions of one shape have the very same types, which the checker
** makes once and whose checks it remembers.  With `distinct`, function K
** binds sK, nK and iK instead: the same program, but every function's
** types are its own (alpha-equivalent, not equal), as when a compiler
** names binders apart; every type is then made, and every entry worked
** out, once per function.
**
** The WAT module has FUNCS functions, each the summing loop of `sum` over
** the module's memory (local.get, i64.load, i64.add, br_if, loop).
**
** Either way the last line on stderr is
**     functions F instructions I
** where I counts machine instructions (tal) or WebAssembly instructions,
** including each block's `end` (wat), as the generator wrote them.
*/
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

static unsigned long ninsns;

/* One instruction line (counted). */
#define I(...) (printf("    " __VA_ARGS__), putchar('\n'), ninsns++)

static int distinct;   /* binders named apart in each function */

/*
** A .label line of function k: with `distinct`, the binders s, n and i
** (whole words after " : ") get k after them.
*/
__attribute__((format(printf, 2, 3)))
static void label(unsigned long k, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	const char *ty = strstr(line, " : ");
	if (!distinct || !ty) { fputs(line, stdout); return; }
	fwrite(line, 1, (size_t)(ty - line), stdout);
	for (const char *q = ty; *q;) {
		if (isalpha((unsigned char)*q) || *q == '_') {
			const char *w = q;
			while (isalnum((unsigned char)*q) || *q == '_' || *q == '.') q++;
			fwrite(w, 1, (size_t)(q - w), stdout);
			if (q - w == 1 && (*w == 's' || *w == 'n' || *w == 'i')) printf("%lu", k);
		} else putchar(*q++);
	}
}

/* Temporaries no label type mentions. */
static const char *const tmp64[] = { "rdx", "r9", "r10", "r11" };
static const char *const tmp32[] = { "edx", "r9d", "r10d", "r11d" };

#define ARR "rdi: *[u64 ro; n], rsi: S(n)"

/* The loop head every shape shares: exit when i reaches n. */
static void head(unsigned long k)
{
	printf("f%lu.loop:\n", k);
	I("cmp rcx, rsi");
	I("jae f%lu.done", k);
}

static void tail(unsigned long k)
{
	I("inc rcx");
	I("jmp f%lu.loop", k);
	printf("f%lu.done:\n", k);
}

/* The plain shape, as in examples/sum.tal. */
static void f_sum(unsigned long k)
{
	label(k, ".label f%lu : code[s: stack, n: size] { " ARR ", rsp: ret[s] :: s }\n", k);
	label(k, ".label f%lu.loop : code[s: stack, n: size, i: size | i <= n] { " ARR ", rcx: S(i), rax: int, rsp: ret[s] :: s }\n", k);
	label(k, ".label f%lu.done : code[s: stack] { rax: int, rsp: ret[s] :: s }\n", k);
	printf("f%lu:\n", k);
	I("xor eax, eax");
	I("xor ecx, ecx");
	head(k);
	I("add rax, qword ptr [rdi + rcx*8]");
	tail(k);
	I("ret");
}

/* Returns with the array and its length still in rdi and rsi (kret). */
static void f_hash(unsigned long k)
{
	int t = pick(4);
	label(k, ".label f%lu : code[s: stack, n: size] { " ARR ", rsp: kret[s, n] :: s }\n", k);
	label(k, ".label f%lu.loop : code[s: stack, n: size, i: size | i <= n] { " ARR ", rcx: S(i), rax: int, rsp: kret[s, n] :: s }\n", k);
	label(k, ".label f%lu.done : code[s: stack, n: size] { " ARR ", rax: int, rsp: kret[s, n] :: s }\n", k);
	printf("f%lu:\n", k);
	I("mov eax, %u", 1000u + (unsigned)pick(1000000));
	I("xor ecx, ecx");
	head(k);
	I("mov %s, qword ptr [rdi + rcx*8]", tmp64[t]);
	I("shl %s, %d", tmp64[t], 1 + pick(12));
	I("xor rax, %s", tmp64[t]);
	I("imul rax, rax, %d", 3 + 2 * pick(30));
	tail(k);
	I("ret");
}

/* Calls hash function h (typed: it hands rdi and rsi back), then a max loop. */
static void f_max(unsigned long k, unsigned long h)
{
	int t = pick(4);
	label(k, ".label f%lu : code[s: stack, n: size] { " ARR ", rsp: ret[s] :: s }\n", k);
	label(k, ".label f%lu.loop : code[s: stack, n: size, i: size | i <= n] { " ARR ", rcx: S(i), r8: int, rsp: ret[s] :: s }\n", k);
	label(k, ".label f%lu.done : code[s: stack] { r8: int, rsp: ret[s] :: s }\n", k);
	printf("f%lu:\n", k);
	I("call f%lu", h);
	I("mov r8, rax");
	I("xor ecx, ecx");
	head(k);
	I("mov %s, qword ptr [rdi + rcx*8]", tmp64[t]);
	I("cmp %s, r8", tmp64[t]);
	I("cmova r8, %s", tmp64[t]);
	tail(k);
	I("mov rax, r8");
	I("ret");
}

/* A second label in the loop, entered with i < n. */
static void f_filter(unsigned long k)
{
	int t = pick(4);
	label(k, ".label f%lu : code[s: stack, n: size] { " ARR ", rsp: ret[s] :: s }\n", k);
	label(k, ".label f%lu.loop : code[s: stack, n: size, i: size | i <= n] { " ARR ", rcx: S(i), rax: int, rsp: ret[s] :: s }\n", k);
	label(k, ".label f%lu.skip : code[s: stack, n: size, i: size | i < n] { " ARR ", rcx: S(i), rax: int, rsp: ret[s] :: s }\n", k);
	label(k, ".label f%lu.done : code[s: stack] { rax: int, rsp: ret[s] :: s }\n", k);
	printf("f%lu:\n", k);
	I("xor eax, eax");
	I("xor ecx, ecx");
	head(k);
	I("mov %s, qword ptr [rdi + rcx*8]", tmp64[t]);
	I("and %s, 255", tmp32[t]);
	I("cmp %s, %d", tmp64[t], 16 + pick(200));
	I("jae f%lu.skip", k);
	I("lea rax, [rax + %s*%d + %d]", tmp64[t], 1 << pick(4), pick(100));
	I("sub rax, %d", 1 + pick(50));
	printf("f%lu.skip:\n", k);
	tail(k);
	I("sar rax, %d", 1 + pick(7));
	I("ret");
}

static void f_shift(unsigned long k)
{
	int t = pick(4);
	label(k, ".label f%lu : code[s: stack, n: size] { " ARR ", rsp: ret[s] :: s }\n", k);
	label(k, ".label f%lu.loop : code[s: stack, n: size, i: size | i <= n] { " ARR ", rcx: S(i), rax: int, rsp: ret[s] :: s }\n", k);
	label(k, ".label f%lu.done : code[s: stack] { rax: int, rsp: ret[s] :: s }\n", k);
	printf("f%lu:\n", k);
	I("xor eax, eax");
	I("xor ecx, ecx");
	head(k);
	I("mov %s, qword ptr [rdi + rcx*8]", tmp64[t]);
	I("shr %s, %d", tmp64[t], 1 + pick(40));
	I("add rax, %s", tmp64[t]);
	I("xor rax, %d", pick(1 << 20));
	tail(k);
	I("ret");
}

static void gen_tal(unsigned long want)
{
	unsigned long k = 0, *hashes = malloc(sizeof *hashes * (want / 8 + 2)), nh = 0;
	if (!hashes) { perror("gen_check"); exit(2); }
	printf(".intel_syntax noprefix\n");
	printf(".typedef ret[s: stack] = code{ rax: int, rsp: s }\n");
	printf(".typedef kret[s: stack, n: size] = code{ rax: int, rdi: *[u64 ro; n], rsi: S(n), rsp: s }\n");
	printf(".text\n");
	while (ninsns < want) {
		int shape = k == 0 ? 1 : pick(10);
		if (shape < 2) { hashes[nh++] = k; f_hash(k); }
		else if (shape < 4) f_max(k, hashes[pick((int)nh)]);
		else if (shape < 6) f_filter(k);
		else if (shape < 8) f_shift(k);
		else f_sum(k);
		k++;
	}
	free(hashes);
	fprintf(stderr, "functions %lu instructions %lu\n", k, ninsns);
}

/* One WebAssembly instruction, in the flat (non-folded) text form. */
#define W(...) (printf("    " __VA_ARGS__), putchar('\n'), ninsns++)

static void gen_wat(unsigned long funcs)
{
	printf("(module\n  (memory 1)\n");
	for (unsigned long k = 0; k < funcs; k++) {
		/* fK(p, n): the sum of the n i64 at p, p + 8, ... */
		printf("  (func $f%lu (export \"f%lu\") (param $p i32) (param $n i32) (result i64)\n", k, k);
		printf("    (local $i i32) (local $acc i64)\n");
		W("block $done");
		W("loop $loop");
		W("local.get $i");
		W("local.get $n");
		W("i32.ge_u");
		W("br_if $done");
		W("local.get $acc");
		W("local.get $p");
		W("local.get $i");
		W("i32.const 3");
		W("i32.shl");
		W("i32.add");
		W("i64.load");
		W("i64.add");
		W("local.set $acc");
		W("local.get $i");
		W("i32.const 1");
		W("i32.add");
		W("local.set $i");
		W("br $loop");
		W("end");
		W("end");
		W("local.get $acc");
		printf("  )\n");
		ninsns++;    /* the function body's own end */
	}
	printf(")\n");
	fprintf(stderr, "functions %lu instructions %lu\n", funcs, ninsns);
}

int main(int argc, char **argv)
{
	if (argc < 3 || (strcmp(argv[1], "tal") && strcmp(argv[1], "wat"))) {
		fprintf(stderr, "usage: gen_check tal INSNS [SEED [distinct]] | gen_check wat FUNCS\n");
		return 2;
	}
	unsigned long n = strtoul(argv[2], NULL, 10);
	rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
	distinct = argc > 4 && !strcmp(argv[4], "distinct");
	if (!rng_state) rng_state = 1;
	if (!strcmp(argv[1], "tal")) gen_tal(n);
	else gen_wat(n);
	if (fflush(stdout) || ferror(stdout)) { perror("gen_check"); return 2; }
	return 0;
}
