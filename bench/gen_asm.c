/*
** gen_asm.c - print a large, compiler-like x86-64 source for bench/asm.sh.
**
** The output looks like what a C compiler emits at -O1: functions with a
** frame, basic blocks of a few instructions each behind a label, loads and
** stores through rbp/rsp and indexed addresses, arithmetic, compares and
** conditional branches to nearby blocks (forward and backward, a few far
** enough to need rel32), calls to other functions and to external symbols.
** It stays inside the talas language (.intel_syntax noprefix, no ah..dh, no
** absolute addresses, external symbols declared with .extern), so GNU as
** and talas assemble the same file.
**
** Usage: gen_asm [LINES [SEED]]   (default 1000000 lines, seed 1)
** The output is a function of LINES and SEED only.
*/
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "rng.h"

static unsigned long nlines;

static const char *const r64[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const r32[16] = {
	"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
	"r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" };
static const char *const r8[16] = {
	"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
	"r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" };

/* Registers a compiler hands out freely (not rsp, rbp). */
static const int work[] = { 0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

static const char *const jcc[] = {
	"je", "jne", "jl", "jge", "jle", "jg", "jb", "jae", "jbe", "ja", "js", "jns" };
static const char *const setcc[] = { "sete", "setne", "setl", "setg", "setb", "seta" };
static const char *const cmovcc[] = { "cmove", "cmovne", "cmovl", "cmovg", "cmovb", "cmova" };
static const char *const externs[] = { "memcpy", "memset", "malloc", "free", "strlen", "abort" };

/* A working register number. */
static int wreg(void)
{
	return work[pick((int)(sizeof work / sizeof work[0]))];
}

/* Print one line and count it. */
static void out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	nlines++;
}

/* A memory operand as compilers write them: locals, fields, array elements. */
static void mem(char *buf, size_t n)
{
	static const int scales[] = { 1, 2, 4, 8 };
	switch (pick(6)) {
	case 0:
	case 1:
		snprintf(buf, n, "[rbp - %d]", 8 * (1 + pick(12)));
		break;
	case 2:
		snprintf(buf, n, "[rsp + %d]", 8 * pick(8));
		break;
	case 3:
		snprintf(buf, n, "[%s + %d]", r64[wreg()], 8 * pick(40));
		break;
	case 4:
		snprintf(buf, n, "[%s + %s*%d]", r64[wreg()], r64[wreg()], scales[pick(4)]);
		break;
	default:
		snprintf(buf, n, "[%s + %s*%d + %d]", r64[wreg()], r64[wreg()],
		         scales[pick(4)], 4 * pick(64) - 64);
	}
}

/* An immediate with the skew of real code: mostly small, sometimes large. */
static int imm(void)
{
	switch (pick(8)) {
	case 0: return pick(100000) - 50000;
	case 1: return pick(4096);
	default: return pick(64);
	}
}

static int cur_fn;   /* the function being written */

/*
** The instruction mix, one small emitter per kind; `a` and `b` are working
** registers.  Weights (in mix[] below) approximate -O1 compiler output.
*/
static void e_load(int a, int b)
{
	char m[64];
	mem(m, sizeof m);
	out("mov %s, qword ptr %s", r64[a], m);
}

/* A store, with or without the (redundant) size. */
static void e_store(int a, int b)
{
	char m[64];
	mem(m, sizeof m);
	out("mov %s%s, %s", pick(2) ? "qword ptr " : "", m, r64[a]);
}

/* A register copy, 64- or 32-bit. */
static void e_copy(int a, int b)
{
	if (pick(3))
		out("mov %s, %s", r64[a], r64[b]);
	else
		out("mov %s, %s", r32[a], r32[b]);
}

/* A constant into a register. */
static void e_const(int a, int b)
{
	out("mov %s, %d", r32[a], imm());
}

/* Address arithmetic. */
static void e_lea(int a, int b)
{
	char m[64];
	mem(m, sizeof m);
	out("lea %s, %s", r64[a], m);
}

/* add/sub/and/or/xor with an immediate or a register. */
static void e_alu(int a, int b)
{
	static const char *const alu[] = { "add", "sub", "and", "or", "xor" };
	const char *op = alu[pick(5)];
	if (pick(2))
		out("%s %s, %d", op, r64[a], imm());
	else
		out("%s %s, %s", op, r32[a], r32[b]);
}

/* Arithmetic with a memory source. */
static void e_alu_mem(int a, int b)
{
	char m[64];
	mem(m, sizeof m);
	out("add %s, dword ptr %s", r32[a], m);
}

/* Compares of registers, immediates and memory. */
static void e_cmp(int a, int b)
{
	char m[64];
	switch (pick(4)) {
	case 0:
		mem(m, sizeof m);
		out("cmp dword ptr %s, %d", m, imm());
		break;
	case 1:
		out("cmp %s, %d", r64[a], imm());
		break;
	case 2:
		out("cmp %s, %s", r32[a], r32[b]);
		break;
	default:
		out("test %s, %s", r64[a], r64[a]);
	}
}

/* Narrow loads: movzx from bytes, movsxd from ints. */
static void e_extend(int a, int b)
{
	char m[64];
	mem(m, sizeof m);
	if (pick(3))
		out("movzx %s, byte ptr %s", r32[a], m);
	else
		out("movsxd %s, dword ptr %s", r64[a], m);
}

/* Multiplication, two or three operands. */
static void e_imul(int a, int b)
{
	if (pick(2))
		out("imul %s, %s", r64[a], r64[b]);
	else
		out("imul %s, %s, %d", r32[a], r32[b], imm());
}

/* Shifts by a constant. */
static void e_shift(int a, int b)
{
	static const char *const sh[] = { "shl", "shr", "sar" };
	out("%s %s, %d", sh[pick(3)], pick(2) ? r64[a] : r32[a], 1 + pick(31));
}

/* Zeroing, setcc + movzx, cmovcc, inc/dec, neg/not. */
static void e_misc(int a, int b)
{
	switch (pick(5)) {
	case 0:
		out("xor %s, %s", r32[a], r32[a]);
		break;
	case 1:
		out("%s %s", setcc[pick(6)], r8[a]);
		out("movzx %s, %s", r32[a], r8[a]);
		break;
	case 2:
		out("%s %s, %s", cmovcc[pick(6)], r64[a], r64[b]);
		break;
	case 3:
		out("%s %s", pick(2) ? "inc" : "dec", r64[a]);
		break;
	default:
		out("%s %s", pick(2) ? "neg" : "not", r64[a]);
	}
}

/* A global variable, rip-relative. */
static void e_global(int a, int b)
{
	out("mov %s, qword ptr [rip + g%d]", r64[a], pick(16));
}

/* Spill and reload through the stack. */
static void e_pushpop(int a, int b)
{
	out("push %s", r64[a]);
	out("pop %s", r64[b]);
}

/* A call to a function before or just after this one, or to a library. */
static void e_call(int a, int b)
{
	out("mov rdi, %s", r64[a]);
	if (pick(4) == 0 || cur_fn == 0)
		out("call %s", externs[pick(6)]);
	else
		out("call f%d", pick(cur_fn + 4));
}

/* Signed division. */
static void e_div(int a, int b)
{
	out("cqo");
	out("idiv %s", r64[b == 0 || b == 2 ? 1 : b]);
}

static const struct { int weight; void (*emit)(int, int); } mix[] = {
	{ 15, e_load }, { 9, e_store }, { 8, e_copy }, { 5, e_const },
	{ 6, e_lea }, { 8, e_alu }, { 5, e_alu_mem }, { 12, e_cmp },
	{ 6, e_extend }, { 3, e_imul }, { 4, e_shift }, { 10, e_misc },
	{ 2, e_global }, { 2, e_pushpop }, { 3, e_call }, { 2, e_div },
};

/* One ordinary (non-branch) instruction or pair, drawn from mix[]. */
static void body_insn(void)
{
	int total = 0;
	for (size_t i = 0; i < sizeof mix / sizeof mix[0]; i++)
		total += mix[i].weight;
	int k = pick(total);
	size_t i = 0;
	while (k >= mix[i].weight)
		k -= mix[i++].weight;
	mix[i].emit(wreg(), wreg());
}

/* A branch ending a block: mostly to a neighbour, sometimes farther. */
static void block_branch(int fn, int blk, int nblk)
{
	int d = pick(10) == 0 ? pick(41) - 20 : pick(7) - 3;
	int t = blk + (d == 0 ? 1 : d);
	if (t < 0)
		t = 0;
	if (t >= nblk)
		t = nblk - 1;
	if (pick(4) == 0)
		out("jmp f%d_b%d", fn, t);
	else
		out("%s f%d_b%d", jcc[pick(12)], fn, t);
}

/* One function: frame, labelled blocks with branches, epilogue. */
static void function(int fn)
{
	int nblk = 8 + pick(40);
	cur_fn = fn;
	if (pick(3) == 0)
		out(".globl f%d", fn);
	out("f%d:", fn);
	out("push rbp");
	out("mov rbp, rsp");
	out("push rbx");
	out("push r12");
	out("sub rsp, %d", 16 * (1 + pick(8)));
	for (int blk = 0; blk < nblk; blk++) {
		out("f%d_b%d:", fn, blk);
		int n = 2 + pick(6);
		for (int i = 0; i < n; i++)
			body_insn();
		if (pick(3) != 0)
			block_branch(fn, blk, nblk);
	}
	out("add rsp, %d", 16 * (1 + pick(8)));
	out("pop r12");
	out("pop rbx");
	out("pop rbp");
	out("ret");
}

/* Functions until the line count is reached, then the ones called ahead. */
int main(int argc, char **argv)
{
	unsigned long want = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
	rng_state = rng_state * 0x9e3779b97f4a7c15ULL + 1;
	static char obuf[1 << 16];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	out(".intel_syntax noprefix");
	for (int e = 0; e < (int)(sizeof externs / sizeof externs[0]); e++)
		out(".extern %s", externs[e]);
	out(".data");
	for (int g = 0; g < 16; g++)
		out("g%d:", g);
	out(".text");
	int fn = 0;
	while (nlines < want)
		function(fn++);
	/* Calls may name up to 4 functions past the last one written. */
	for (int i = 0; i < 4; i++) {
		out("f%d:", fn++);
		out("ret");
	}
	return fflush(stdout) != 0;
}
