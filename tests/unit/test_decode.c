/*
** test_decode.c - the verifier's strict decoder (typecheck/decode.c):
** exact results for representative forms, rejection of everything outside
** the language with the reason named, truncation at every length, and the
** Intel-syntax printer.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tc.h"

/* ---- helpers ---- */

/* Hex text ("48 01 c8") to bytes; returns the count. */
static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	while (*s && n < cap) {
		if (*s == ' ') { s++; continue; }
		unsigned v;
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

/* Decode hex at .text offset off (the bytes are placed there); the length or -1. */
static int dec_at(const char *hex, size_t off, TcInst *in, char *err, size_t cap)
{
	uint8_t code[256] = { 0 };
	size_t n = unhex(hex, code + off, sizeof code - off);
	err[0] = 0;
	return tc_decode(code, off + n, off, in, err, cap);
}

/* Decode hex that must be accepted whole; returns the instruction. */
static TcInst accept(const char *hex)
{
	TcInst in;
	char err[256];
	uint8_t b[32];
	int n = dec_at(hex, 0, &in, err, sizeof err);
	if (n < 0) fail_msg("%s rejected: %s", hex, err);
	assert_int_equal(n, unhex(hex, b, sizeof b));
	assert_int_equal(in.len, n);
	return in;
}

/* Decode hex that must be rejected with `word` in the message. */
static void reject_with(const char *hex, const char *word)
{
	TcInst in;
	char err[256];
	int n = dec_at(hex, 0, &in, err, sizeof err);
	if (n >= 0) {
		char t[128];
		tc_format(&in, t, sizeof t);
		fail_msg("%s accepted as '%s', expected a rejection naming '%s'", hex, t, word);
	}
	if (!strstr(err, word)) fail_msg("%s: message '%s' does not name '%s'", hex, err, word);
	if (strncmp(err, "offset 0x", 9)) fail_msg("%s: message '%s' lacks the offset", hex, err);
}

/* The row index of mnemonic m with form f, last opcode byte op and width sz (0: any). */
static int row(int m, int f, int op, int sz)
{
	for (int i = 0; i < x86_nrows; i++) {
		const X86Row *r = &x86_rows[i];
		if (r->mnem == m && r->form == f && r->op[r->oplen - 1] == op && !(r->flags & X_ALIAS) &&
		    (!sz || !r->sizes || (r->sizes & sz)))
			return i;
	}
	fail_msg("no row %s form %d op %02x", x86_mnem_name(m), f, op);
	return -1;
}

static TcOp R(int reg, int size) { return (TcOp){ .kind = TC_REG, .size = (uint8_t)size, .reg = (uint8_t)reg }; }
static TcOp I(int64_t v, int size) { return (TcOp){ .kind = TC_IMM, .size = (uint8_t)size, .val = v }; }
static TcOp L(int64_t target) { return (TcOp){ .kind = TC_REL, .val = target }; }
static TcOp M(int base, int index, int scale, int64_t disp, int size)
{
	return (TcOp){ .kind = TC_MEM, .size = (uint8_t)size, .base = (uint8_t)base, .index = (uint8_t)index,
	               .scale = (uint8_t)scale, .val = disp };
}

/* Every field of two instructions (unused operands must be all zero). */
static void same_inst(const TcInst *g, const TcInst *w)
{
	assert_int_equal(g->off, w->off);
	assert_int_equal(g->len, w->len);
	assert_string_equal(x86_mnem_name(g->mnem), x86_mnem_name(w->mnem));
	assert_int_equal(g->cc, w->cc);
	assert_int_equal(g->nops, w->nops);
	assert_int_equal(g->size, w->size);
	assert_int_equal(g->row, w->row);
	int rel = 0;   /* which operand is the branch target, as w's operands say */
	for (int i = 0; i < w->nops; i++)
		if (w->op[i].kind == TC_REL) rel = i + 1;
	assert_int_equal(g->rel, rel);
	for (int i = 0; i < 3; i++) {
		const TcOp *a = &g->op[i], *b = &w->op[i];
		assert_int_equal(a->kind, b->kind);
		assert_int_equal(a->size, b->size);
		assert_int_equal(a->reg, b->reg);
		assert_int_equal(a->base, b->base);
		assert_int_equal(a->index, b->index);
		assert_int_equal(a->scale, b->scale);
		assert_int_equal(a->val, b->val);
	}
}

/* The instruction the bytes must decode to, at offset 0, with condition code c. */
#define EXPECTC(hex, c, m, f, opc, sz, ...) do { \
	TcInst g_ = accept(hex); \
	TcOp ops_[] = { __VA_ARGS__ }; \
	TcInst w_ = { .off = 0, .len = g_.len, .mnem = (m), .cc = (c), .size = (sz), \
	              .nops = (uint8_t)(sizeof ops_ / sizeof ops_[0]), \
	              .row = (uint16_t)row((m), (f), (opc), (sz)) }; \
	memcpy(w_.op, ops_, sizeof ops_); \
	same_inst(&g_, &w_); \
} while (0)

#define EXPECT(hex, m, f, opc, sz, ...) EXPECTC(hex, 0, m, f, opc, sz, __VA_ARGS__)

/* The same for instructions without operands. */
#define EXPECT0(hex, m, f, opc, sz) do { \
	TcInst g_ = accept(hex); \
	TcInst w_ = { .len = g_.len, .mnem = (m), .size = (sz), .row = (uint16_t)row((m), (f), (opc), (sz)) }; \
	same_inst(&g_, &w_); \
} while (0)

/* ---- acceptance: exact contents ---- */

static void test_alu(void **state)
{
	(void)state;
	EXPECT("48 01 c8", MN_ADD, F_RM_R, 0x01, S64, R(R_RAX, S64), R(R_RCX, S64));
	EXPECT("48 03 84 cf 10 00 00 00", MN_ADD, F_R_RM, 0x03, S64,
	       R(R_RAX, S64), M(R_RDI, R_RCX, 8, 0x10, S64));
	EXPECT("48 83 c0 ff", MN_ADD, F_RM_IB, 0x83, S64, R(R_RAX, S64), I(-1, S64));
	EXPECT("66 81 c1 34 12", MN_ADD, F_RM_I, 0x81, S16, R(R_RCX, S16), I(0x1234, S16));
	EXPECT("80 c1 ff", MN_ADD, F_RM_I, 0x80, S8, R(R_RCX, S8), I(-1, S8));
	EXPECT("04 7f", MN_ADD, F_ACC_I, 0x04, S8, R(R_RAX, S8), I(0x7f, S8));
	EXPECT("48 05 00 00 00 80", MN_ADD, F_ACC_I, 0x05, S64, R(R_RAX, S64), I(-0x80000000LL, S64));
	EXPECT("45 31 d1", MN_XOR, F_RM_R, 0x31, S32, R(R_R9, S32), R(R_R10, S32));
	EXPECT("48 85 c0", MN_TEST, F_RM_R, 0x85, S64, R(R_RAX, S64), R(R_RAX, S64));
	EXPECT("f6 c1 01", MN_TEST, F_RM_I, 0xf6, S8, R(R_RCX, S8), I(1, S8));
	EXPECT("48 3b 05 f0 ff ff ff", MN_CMP, F_R_RM, 0x3b, S64, R(R_RAX, S64), M(R_RIP, R_NONE, 1, -16, S64));
}

static void test_mov(void **state)
{
	(void)state;
	EXPECT("48 b8 ef cd ab 89 67 45 23 01", MN_MOV, F_O_I, 0xb8, S64, R(R_RAX, S64), I(0x0123456789abcdefLL, S64));
	EXPECT("b8 ff ff ff ff", MN_MOV, F_O_I, 0xb8, S32, R(R_RAX, S32), I(-1, S32));
	EXPECT("41 b7 80", MN_MOV, F_O_I, 0xb0, S8, R(R_R15, S8), I(-128, S8));
	EXPECT("48 c7 c0 ff ff ff ff", MN_MOV, F_RM_I, 0xc7, S64, R(R_RAX, S64), I(-1, S64));
	EXPECT("c7 00 01 00 00 00", MN_MOV, F_RM_I, 0xc7, S32, M(R_RAX, R_NONE, 1, 0, S32), I(1, S32));
	EXPECT("66 c7 40 fe 34 12", MN_MOV, F_RM_I, 0xc7, S16, M(R_RAX, R_NONE, 1, -2, S16), I(0x1234, S16));
	EXPECT("40 88 f0", MN_MOV, F_RM_R, 0x88, S8, R(R_RAX, S8), R(R_RSI, S8));
	EXPECT("41 8a 04 24", MN_MOV, F_R_RM, 0x8a, S8, R(R_RAX, S8), M(R_R12, R_NONE, 1, 0, S8));
	EXPECT("8b 05 10 00 00 00", MN_MOV, F_R_RM, 0x8b, S32, R(R_RAX, S32), M(R_RIP, R_NONE, 1, 0x10, S32));
	EXPECT("8b 04 8d 00 01 00 00", MN_MOV, F_R_RM, 0x8b, S32, R(R_RAX, S32), M(R_NONE, R_RCX, 4, 0x100, S32));
	EXPECT("42 8b 04 a0", MN_MOV, F_R_RM, 0x8b, S32, R(R_RAX, S32), M(R_RAX, R_R12, 4, 0, S32));
	EXPECT("4d 89 6c 24 80", MN_MOV, F_RM_R, 0x89, S64, M(R_R12, R_NONE, 1, -128, S64), R(R_R13, S64));
	EXPECT("41 8b 45 00", MN_MOV, F_R_RM, 0x8b, S32, R(R_RAX, S32), M(R_R13, R_NONE, 1, 0, S32));
	/* a redundant SIB and a long displacement are exact equivalents */
	EXPECT("8b 84 20 00 00 00 00", MN_MOV, F_R_RM, 0x8b, S32, R(R_RAX, S32), M(R_RAX, R_NONE, 1, 0, S32));
	EXPECT("0f b6 c1", MN_MOVZX, F_R_RM, 0xb6, S32, R(R_RAX, S32), R(R_RCX, S8));
	EXPECT("48 0f bf 0e", MN_MOVSX, F_R_RM, 0xbf, S64, R(R_RCX, S64), M(R_RSI, R_NONE, 1, 0, S16));
	EXPECT("48 63 c1", MN_MOVSXD, F_R_RM, 0x63, S64, R(R_RAX, S64), R(R_RCX, S32));
	EXPECT("48 8d 44 24 08", MN_LEA, F_R_RM, 0x8d, S64, R(R_RAX, S64), M(R_RSP, R_NONE, 1, 8, 0));
	EXPECT("8d 04 49", MN_LEA, F_R_RM, 0x8d, S32, R(R_RAX, S32), M(R_RCX, R_RCX, 2, 0, 0));
}

static void test_unary_shift_imul(void **state)
{
	(void)state;
	EXPECT("c1 e0 ff", MN_SHL, F_RM_IB, 0xc1, S32, R(R_RAX, S32), I(255, S8));
	EXPECT("d1 e0", MN_SHL, F_RM_1, 0xd1, S32, R(R_RAX, S32), I(1, S8));
	EXPECT("48 d3 f8", MN_SAR, F_RM_CL, 0xd3, S64, R(R_RAX, S64), R(R_RCX, S8));
	EXPECT("c0 08 03", MN_ROR, F_RM_IB, 0xc0, S8, M(R_RAX, R_NONE, 1, 0, S8), I(3, S8));
	EXPECT("48 f7 e1", MN_MUL, F_RM, 0xf7, S64, R(R_RCX, S64));
	EXPECT("f6 d8", MN_NEG, F_RM, 0xf6, S8, R(R_RAX, S8));
	EXPECT("49 ff c0", MN_INC, F_RM, 0xff, S64, R(R_R8, S64));
	EXPECT("6b c0 80", MN_IMUL, F_R_RM_IB, 0x6b, S32, R(R_RAX, S32), R(R_RAX, S32), I(-128, S32));
	EXPECT("66 69 c1 00 80", MN_IMUL, F_R_RM_I, 0x69, S16, R(R_RAX, S16), R(R_RCX, S16), I(-32768, S16));
	EXPECT("4c 0f af 04 24", MN_IMUL, F_R_RM, 0xaf, S64, R(R_R8, S64), M(R_RSP, R_NONE, 1, 0, S64));
	EXPECT("48 0f c8", MN_BSWAP, F_O, 0xc8, S64, R(R_RAX, S64));
	EXPECT("41 0f c9", MN_BSWAP, F_O, 0xc8, S32, R(R_R9, S32));
}

static void test_control_stack(void **state)
{
	(void)state;
	EXPECT("41 ff d3", MN_CALL, F_RM, 0xff, S64, R(R_R11, S64));
	EXPECT("ff 25 00 00 00 00", MN_JMP, F_RM, 0xff, S64, M(R_RIP, R_NONE, 1, 0, S64));
	EXPECT("41 55", MN_PUSH, F_O, 0x50, S64, R(R_R13, S64));
	EXPECT("5f", MN_POP, F_O, 0x58, S64, R(R_RDI, S64));
	EXPECT("6a ff", MN_PUSH, F_IB, 0x6a, S64, I(-1, S64));
	EXPECT("68 00 00 00 80", MN_PUSH, F_I, 0x68, S64, I(-0x80000000LL, S64));
	EXPECT("ff 74 24 08", MN_PUSH, F_RM, 0xff, S64, M(R_RSP, R_NONE, 1, 8, S64));
	EXPECT("8f 00", MN_POP, F_RM, 0x8f, S64, M(R_RAX, R_NONE, 1, 0, S64));
	EXPECT("e8 00 00 00 00", MN_CALL, F_REL32, 0xe8, 0, L(5));
	EXPECT("e9 fb ff ff ff", MN_JMP, F_REL32, 0xe9, 0, L(0));
	EXPECT("eb 10", MN_JMP, F_REL8, 0xeb, 0, L(0x12));
	EXPECT0("c3", MN_RET, F_NONE, 0xc3, 0);
	EXPECT0("90", MN_NOP, F_NONE, 0x90, 0);
	EXPECT0("f3 0f 1e fa", MN_ENDBR64, F_NONE, 0x1e, 0);
	EXPECT0("99", MN_CDQ, F_NONE, 0x99, S32);
	EXPECT0("48 99", MN_CQO, F_NONE, 0x99, S64);
	EXPECT("91", MN_XCHG, F_ACC_O, 0x90, S32, R(R_RCX, S32), R(R_RAX, S32));
	EXPECT("49 90", MN_XCHG, F_ACC_O, 0x90, S64, R(R_R8, S64), R(R_RAX, S64));
	EXPECT("66 90", MN_XCHG, F_ACC_O, 0x90, S16, R(R_RAX, S16), R(R_RAX, S16));
	EXPECT("48 87 01", MN_XCHG, F_RM_R, 0x87, S64, M(R_RCX, R_NONE, 1, 0, S64), R(R_RAX, S64));
}

/* Condition codes come from the opcode's low nibble; targets are absolute. */
static void test_cc_and_targets(void **state)
{
	(void)state;
	TcInst in;
	char err[256];
	assert_int_equal(dec_at("75 fe", 0x40, &in, err, sizeof err), 2);
	TcInst w = { .off = 0x40, .len = 2, .mnem = MN_JCC, .cc = CC_NE, .nops = 1,
	             .row = (uint16_t)row(MN_JCC, F_REL8, 0x70, 0), .op = { L(0x40) } };
	same_inst(&in, &w);
	assert_int_equal(dec_at("0f 8c 00 ff ff ff", 0x10, &in, err, sizeof err), 6);
	assert_int_equal(in.cc, CC_L);
	assert_int_equal(in.op[0].val, 0x16 - 0x100);   /* before the start: the checker's business */
	in = accept("0f 94 c0");
	w = (TcInst){ .len = 3, .mnem = MN_SETCC, .cc = CC_E, .nops = 1, .size = S8,
	              .row = (uint16_t)row(MN_SETCC, F_RM, 0x90, 0), .op = { R(R_RAX, S8) } };
	same_inst(&in, &w);
	in = accept("48 0f 4f c1");
	assert_int_equal(in.mnem, MN_CMOVCC);
	assert_int_equal(in.cc, CC_G);
	for (int cc = 0; cc < 16; cc++) {
		char hex[16];
		snprintf(hex, sizeof hex, "%02x 00", 0x70 + cc);
		in = accept(hex);
		assert_int_equal(in.cc, cc);
	}
}

/* Registers spl, bpl, sil, dil need a REX, even a bare 40. */
static void test_byte_registers(void **state)
{
	(void)state;
	EXPECT("40 88 e7", MN_MOV, F_RM_R, 0x88, S8, R(R_RDI, S8), R(R_RSP, S8));
	EXPECT("40 0f b6 c5", MN_MOVZX, F_R_RM, 0xb6, S32, R(R_RAX, S32), R(R_RBP, S8));
	EXPECT("40 b6 01", MN_MOV, F_O_I, 0xb0, S8, R(R_RSI, S8), I(1, S8));
	EXPECTC("40 0f 97 c4", CC_A, MN_SETCC, F_RM, 0x90, S8, R(R_RSP, S8));
}

/* ---- rejection ---- */

static void test_prefixes(void **state)
{
	(void)state;
	reject_with("f0 48 01 08", "lock prefix");
	reject_with("f2 48 01 c8", "rep prefix");
	reject_with("f3 48 01 c8", "rep prefix");
	reject_with("f3 90", "rep prefix");
	/* endbr64 is its four bytes: not endbr32, not the hint nop without f3, no prefix between */
	reject_with("f3 0f 1e fb", "rep prefix");
	reject_with("0f 1e fa", "hint nop");
	reject_with("f3 48 0f 1e fa", "rep prefix");
	reject_with("66 f3 0f 1e fa", "rep prefix");
	reject_with("f3 0f 1e", "rep prefix");
	static const char *const seg[] = { "26", "2e", "36", "3e", "64", "65" };
	for (int i = 0; i < 6; i++) {
		char hex[32];
		snprintf(hex, sizeof hex, "%s 8b 00", seg[i]);
		reject_with(hex, "segment override");
	}
	reject_with("67 8b 00", "address-size prefix");
	reject_with("66 66 01 c8", "second operand-size prefix");
	reject_with("48 48 01 c8", "second REX prefix");
	reject_with("48 66 01 c8", "before the operand-size prefix");
	reject_with("66 f0 01 c8", "lock prefix");
	reject_with("48 f0 01 c8", "lock prefix");
	reject_with("66 48 01 c8", "together with REX.W");
	reject_with("66 8d 00", "no 16-bit form");
	reject_with("66 88 c0", "byte operation");
	reject_with("66 0f b7 c1", "no 16-bit form");
	reject_with("66 0f c8", "no 16-bit form");
	reject_with("66 50", "operand-size prefix 66");
	reject_with("66 e8 00 00 00 00", "operand-size prefix 66");
	reject_with("66 c3", "operand-size prefix 66");
	reject_with("66 99", "operand-size prefix 66");
	reject_with("63 c1", "no 32-bit form");
}

static void test_redundant_rex(void **state)
{
	(void)state;
	reject_with("48 50", "redundant REX.W");
	reject_with("48 ff 30", "redundant REX.W");
	reject_with("48 ff d0", "redundant REX.W");
	reject_with("48 8f 00", "redundant REX.W");
	reject_with("48 6a 01", "redundant REX.W");
	reject_with("48 e8 00 00 00 00", "redundant REX.W");
	reject_with("48 75 00", "redundant REX.W");
	reject_with("48 88 c0", "redundant REX.W");
	reject_with("48 0f 94 c0", "redundant REX.W");
	reject_with("41 03 05 00 00 00 00", "redundant REX.B");
	reject_with("41 8b 04 8d 00 00 00 00", "redundant REX.B");
	reject_with("41 6a 01", "redundant REX.B");
	reject_with("41 05 01 00 00 00", "redundant REX.B");
	reject_with("42 01 c8", "redundant REX.X");
	reject_with("42 8b 00", "redundant REX.X");
	reject_with("44 f7 d8", "redundant REX.R");
	reject_with("44 50", "redundant REX.R");
	reject_with("40 01 c0", "redundant REX prefix 40");
	reject_with("40 88 c0", "redundant REX prefix 40");
	reject_with("40 8b 00", "redundant REX prefix 40");
	reject_with("41 c3", "redundant REX");
	reject_with("48 90", "redundant REX");
	reject_with("40 90", "redundant REX");
	reject_with("49 99", "REX prefix 48");
	reject_with("48 c3", "redundant REX");
}

static void test_high_byte_registers(void **state)
{
	(void)state;
	reject_with("88 e0", "ah");
	reject_with("88 c4", "ah");
	reject_with("88 cd", "ch");
	reject_with("8a 30", "dh");
	reject_with("b7 00", "bh");
	reject_with("0f b6 c6", "dh");
	reject_with("0f 94 c4", "ah");
	reject_with("f6 df", "bh");
	reject_with("d2 e5", "ch");
}

static void test_operands(void **state)
{
	(void)state;
	reject_with("8b 04 25 00 10 00 00", "absolute address");
	reject_with("48 8d 04 25 00 10 00 00", "absolute address");
	reject_with("8d c0", "register operand");
	reject_with("48 8d c1", "register operand");
	reject_with("ff f0", "register operand");         /* push rax is 50 */
	reject_with("8f c0", "register operand");         /* pop rax is 58 */
	reject_with("c7 c0 01 00 00 00", "register operand");
	reject_with("c6 c0 01", "register operand");
	reject_with("8b 04 60", "scale");                  /* scale without index */
}

/* Known opcodes outside the language are named. */
static void test_privileged(void **state)
{
	(void)state;
	static const struct { const char *hex, *name; } t[] = {
		{ "0f 05", "syscall" }, { "cc", "int3" }, { "cd 80", "int" }, { "f4", "hlt" },
		{ "fa", "cli" }, { "fb", "sti" }, { "e4 60", "in/out" }, { "e6 60", "in/out" },
		{ "ec", "in/out" }, { "ee", "in/out" }, { "0f 0b", "ud2" }, { "0f 20 c0", "control" },
		{ "0f 22 d8", "control" }, { "0f 23 c0", "debug" }, { "0f 01 10", "lgdt" },
		{ "0f 31", "rdtsc" }, { "0f a2", "cpuid" }, { "a4", "string" }, { "ab", "string" },
		{ "ae", "string" }, { "c9", "leave" }, { "c8 10 00 00", "enter" }, { "cf", "iret" },
		{ "0f 34", "sysenter" }, { "0f 30", "wrmsr" }, { "0f 32", "rdmsr" },
		{ "8e d8", "segment" }, { "8c d8", "segment" }, { "ff 18", "far call" },
		{ "ff 28", "far jmp" }, { "ca 00 00", "far ret" }, { "0f a0", "fs" },
		{ "9c", "pushf" }, { "d9 c0", "x87" }, { "c4 e2 79 18 00", "VEX" },
		{ "0f 38 00 c0", "three-byte" }, { "a1 00 00 00 00 00 00 00 00", "moffs" },
		{ "98", "cdqe" }, { "e3 00", "jrcxz" }, { "e2 00", "loop" }, { "c2 08 00", "ret imm16" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		reject_with(t[i].hex, t[i].name);
		reject_with(t[i].hex, "not in the language");
	}
}

static void test_unknown(void **state)
{
	(void)state;
	reject_with("0f 04", "unknown opcode");
	reject_with("0f 0a", "unknown opcode");
	reject_with("f6 c8 01", "unknown opcode");   /* f6 /1: test's undocumented twin */
	reject_with("fe d0", "unknown opcode");
	reject_with("d1 f0", "unknown opcode");      /* /6: sal's alias */
	reject_with("0f 94 c8", "unknown opcode");   /* setcc wants /0 */
	reject_with("ff f8", "unknown opcode");
	reject_with("c6 f8 00", "xabort");
	reject_with("8f c8", "XOP");
}

/* Every proper prefix of a long instruction runs past the end, at any offset. */
static void test_truncated(void **state)
{
	(void)state;
	static const char *const longs[] = {
		"66 41 81 84 24 78 56 34 12 34 12",
		"4a 69 84 8b 78 56 34 12 78 56 34 12",
		"48 b8 ef cd ab 89 67 45 23 01",
		"4c 0f af 84 8b 78 56 34 12",
		"0f 84 00 01 00 00",
		"c7 05 00 00 00 00 01 00 00 00",
		"8b 04 8d 00 01 00 00",
	};
	for (size_t i = 0; i < sizeof longs / sizeof longs[0]; i++) {
		uint8_t code[32];
		size_t len = unhex(longs[i], code, sizeof code);
		TcInst in;
		char err[256];
		assert_int_equal(tc_decode(code, len, 0, &in, err, sizeof err), (int)len);
		for (size_t k = 0; k < len; k++) {
			uint8_t *copy = malloc(k + 3);   /* exactly the bytes it may read, for ASan */
			copy[0] = copy[1] = copy[2] = 0x90;
			memcpy(copy + 3, code, k);
			for (size_t off = 0; off <= 3; off += 3) {
				const uint8_t *base = off ? copy : copy + 3;
				size_t n = off ? k + 3 : k;
				err[0] = 0;
				if (tc_decode(base, n, off, &in, err, sizeof err) >= 0)
					fail_msg("%s cut to %zu bytes was accepted", longs[i], k);
				if (!strstr(err, "runs past the end of .text"))
					fail_msg("%s cut to %zu bytes: %s", longs[i], k, err);
			}
			free(copy);
		}
	}
}

/* The message: offset, the bytes read (at most 15), the reason; bounded by errcap. */
static void test_messages(void **state)
{
	(void)state;
	TcInst in;
	char err[256];
	assert_int_equal(dec_at("0f 05", 0x1f, &in, err, sizeof err), -1);
	assert_string_equal(err, "offset 0x1f: bytes 0f 05: not an accepted instruction (syscall is not in the language)");
	assert_int_equal(dec_at("c7 05 00 00 00 00 01", 0, &in, err, sizeof err), -1);
	assert_string_equal(err, "offset 0x0: bytes c7 05 00 00 00 00 01: instruction runs past the end of .text");
	uint8_t code[4] = { 0x90 };
	assert_int_equal(tc_decode(code, 1, 1, &in, err, sizeof err), -1);
	assert_string_equal(err, "offset 0x1: bytes (none): instruction runs past the end of .text");
	assert_int_equal(tc_decode(code, 1, 7, &in, err, sizeof err), -1);
	assert_non_null(strstr(err, "runs past the end"));
	char small[12];
	memset(small, 'x', sizeof small);
	assert_int_equal(tc_decode((const uint8_t *)"\x0f\x05", 2, 0, &in, small, 8), -1);
	assert_int_equal(strlen(small), 7);
	assert_int_equal(small[8], 'x');
	assert_int_equal(tc_decode((const uint8_t *)"\x0f\x05", 2, 0, &in, NULL, 0), -1);
	/* on failure the instruction is left empty */
	assert_int_equal(dec_at("40 01 c0", 0, &in, err, sizeof err), -1);
	assert_int_equal(in.len, 0);
	assert_int_equal(in.nops, 0);
}

/* Consecutive instructions decode from their own offsets. */
static void test_sequence(void **state)
{
	(void)state;
	uint8_t code[32];
	size_t n = unhex("55 48 89 e5 48 83 ec 10 75 f6 c3", code, sizeof code);
	static const char *const want[] = {
		"push rbp", "mov rbp, rsp", "sub rsp, 0x10", "jne 0x0", "ret",
	};
	size_t off = 0;
	for (int i = 0; i < 5; i++) {
		TcInst in;
		char err[256], t[128];
		int len = tc_decode(code, n, off, &in, err, sizeof err);
		if (len < 0) fail_msg("%s", err);
		assert_int_equal(in.off, off);
		tc_format(&in, t, sizeof t);
		assert_string_equal(t, want[i]);
		off += (size_t)len;
	}
	assert_int_equal(off, n);
}

/* ---- printing ---- */

static void fmt_is(const char *hex, size_t off, const char *want)
{
	TcInst in;
	char err[256], t[128];
	if (dec_at(hex, off, &in, err, sizeof err) < 0) fail_msg("%s: %s", hex, err);
	tc_format(&in, t, sizeof t);
	assert_string_equal(t, want);
}

static void test_format(void **state)
{
	(void)state;
	fmt_is("48 03 84 cf 10 00 00 00", 0, "add rax, qword ptr [rdi+rcx*8+0x10]");
	fmt_is("75 40", 0, "jne 0x42");
	fmt_is("b8 01 00 00 00", 0, "mov eax, 0x1");
	fmt_is("48 83 c0 ff", 0, "add rax, 0xffffffffffffffff");
	fmt_is("83 c0 ff", 0, "add eax, 0xffffffff");
	fmt_is("d1 e0", 0, "shl eax, 1");
	fmt_is("d3 e0", 0, "shl eax, cl");
	fmt_is("0f b6 40 ff", 0, "movzx eax, byte ptr [rax-0x1]");
	fmt_is("8b 04 8d 00 01 00 00", 0, "mov eax, dword ptr [rcx*4+0x100]");
	fmt_is("8b 04 0a", 0, "mov eax, dword ptr [rdx+rcx*1]");
	fmt_is("48 8d 05 f9 ff ff ff", 0, "lea rax, [rip-0x7]");
	fmt_is("48 8b 05 00 00 00 00", 0, "mov rax, qword ptr [rip+0x0]");
	fmt_is("0f 9f c0", 0, "setg al");
	fmt_is("0f 83 00 00 00 00", 0x10, "jae 0x16");
	fmt_is("e8 00 00 00 00", 0x20, "call 0x25");
	fmt_is("48 99", 0, "cqo");
	fmt_is("66 c7 00 ff ff", 0, "mov word ptr [rax], 0xffff");
	fmt_is("40 88 f7", 0, "mov dil, sil");
	fmt_is("49 90", 0, "xchg r8, rax");
	fmt_is("6a ff", 0, "push 0xffffffffffffffff");
	/* a short buffer is cut, never overrun */
	TcInst in = accept("48 03 84 cf 10 00 00 00");
	char t[12];
	memset(t, 'x', sizeof t);
	tc_format(&in, t, 8);
	assert_string_equal(t, "add rax");
	assert_int_equal(t[8], 'x');
}

/* The memo gives at code[off] what tc_decode gives: length or rejection, fields, message.  1 if accepted. */
static int memo_agrees(TcDecodeMemo *m, const uint8_t *code, size_t len, size_t off)
{
	TcInst a, b;
	char ea[256] = "", eb[256] = "";
	int ka = tc_decode(code, len, off, &a, ea, sizeof ea);
	int kb = tc_decode_memo(m, code, len, off, &b, eb, sizeof eb);
	assert_int_equal(ka, kb);
	assert_string_equal(ea, eb);
	if (ka > 0) same_inst(&a, &b), assert_int_equal(a.rel, b.rel);
	return ka > 0;
}

/*
** Fill code with pieces drawn at random (xorshift from x) until fewer
** than 24 of its cap bytes are left; returns how many it filled.  "|" parts a piece's head from its
** tail, whose bytes are drawn at random three times in four; one piece in
** `every` gets a byte changed, head or tail.
*/
static size_t random_code(uint8_t *code, size_t cap, const char *const *pieces, size_t np, uint64_t x, unsigned every)
{
	size_t n = 0;
	while (n < cap - 24) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		const char *pc = pieces[x % np], *bar = strchr(pc, '|');
		char head[64];
		size_t hl = bar ? (size_t)(bar - pc) : strlen(pc);
		memcpy(head, pc, hl);
		head[hl] = 0;
		size_t at = n;
		n += unhex(head, code + n, cap - n);
		if (bar) {
			size_t t = unhex(bar + 1, code + n, cap - n);
			for (size_t i = 0; i < t && x % 4; i++) code[n + i] = (uint8_t)(x >> (8 * (i % 8) + 3));
			n += t;
		}
		if (x % every == 0) code[at + (x >> 8) % (n - at)] ^= (uint8_t)(x >> 16);
	}
	return n;
}

/*
** The memo gives what tc_decode gives, at every offset of a buffer made of
** accepted instructions (each many times, at many offsets: branches
** included, whose targets move), bytes changed here and there, and the
** end of the buffer cutting instructions short: the same length or
** rejection, the same fields, the same message.
*/
static void test_memo(void **state)
{
	(void)state;
	static const char *const pieces[] = {
		"48 01 c8", "48 8b 0c c7", "eb 05", "0f 83 10 00 00 00", "e8 fb ff ff ff", "73 f0",
		"48 b8 01 02 03 04 05 06 07 08", "c3", "48 ff c1", "4d 0f 47 c1", "48 c7 44 24 08 01 00 00 00",
		"66 90", "90", "f3 c3", "0f 05", "48 8d 05 00 00 00 00", "41 ff e3", "6a ff",
	};
	enum { N = 8192 };
	static uint8_t code[N];
	size_t n = random_code(code, N, pieces, sizeof pieces / sizeof *pieces, 88172645463325252u, 23);
	for (int small = 0; small < 2; small++) {   /* the largest memo, and the smallest (entries collide) */
		TcDecodeMemo *m = tc_decode_memo_new(small ? 0 : SIZE_MAX);
		int hits = 0;
		for (size_t len = n - 12; len <= n; len += 3)   /* the end cuts the last instructions */
			for (size_t off = 0; off < len; off++) hits += memo_agrees(m, code, len, off);
		assert_true(hits > 1000);
		tc_decode_memo_free(m);
	}
}

/*
** Instructions of one shape (the same bytes before the displacement and
** immediate) with other displacements and immediates: the memo reads them
** from the bytes, so it must give what tc_decode gives for every tail, at
** every offset (also into the middle of tails), near the end and after
** bytes that are rejected.  "|" parts a piece's head from its tail, whose
** bytes are drawn at random each time.
*/
static void test_memo_shapes(void **state)
{
	(void)state;
	static const char *const pieces[] = {
		"48 8b 44 24|08", "48 89 85|f8 ff ff ff", "8b 05|10 00 00 00", "48 8d 0d|f0 ff ff ff",
		"48 83 c1|01", "48 81 e9|00 01 00 00", "48 c7 44 24|08 01 00 00 00", "66 81 c1|34 12",
		"66 c7 44 24|02 34 12", "c6 44 24|03 7f", "48 c1 e0|05", "c1 e8|1f", "48 6b c0|0a",
		"48 69 c9|10 27 00 00", "b8|01 00 00 00", "48 b8|01 02 03 04 05 06 07 08", "6a|ff",
		"68|00 01 00 00", "eb|05", "73|f0", "0f 83|10 00 00 00", "e8|fb ff ff ff", "e9|00 00 00 00",
		"48 3d|ff 00 00 00", "a8|01", "48 f7 44 24|10 00 00 ff ff", "4c 8b 84 c8|00 01 00 00",
		"c3", "48 01 c8", "48 ff c1", "8b 04 25|00 00 00 00", "f3 c3", "48 8b 00", "41 ff e3",
	};
	enum { N = 16384 };
	static uint8_t code[N];
	size_t n = random_code(code, N, pieces, sizeof pieces / sizeof *pieces, 0x2545f4914f6cdd1du, 53);
	for (int small = 0; small < 2; small++) {   /* the largest memo, and the smallest (shapes collide) */
		TcDecodeMemo *m = tc_decode_memo_new(small ? 0 : SIZE_MAX);
		int accepted = 0;
		for (int pass = 0; pass < 2; pass++)
			for (size_t len = n - 16; len <= n; len += 5)
				for (size_t off = pass ? len - len % 7 : 0; off < len; off += pass ? 1 : 1 + off % 3)
					accepted += memo_agrees(m, code, len, off);
		int shapes = 0;
		for (unsigned i = 0; i < m->nshapes; i++) shapes += m->s[i].in.len != 0;
		assert_int_equal(m->nshapes, small ? 1u << 4 : 1u << TC_SHAPE_BITS);
		assert_true(accepted > 10000);
		assert_true(shapes >= (small ? 8 : 20));
		tc_decode_memo_free(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alu),
		cmocka_unit_test(test_mov),
		cmocka_unit_test(test_unary_shift_imul),
		cmocka_unit_test(test_control_stack),
		cmocka_unit_test(test_cc_and_targets),
		cmocka_unit_test(test_byte_registers),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_redundant_rex),
		cmocka_unit_test(test_high_byte_registers),
		cmocka_unit_test(test_operands),
		cmocka_unit_test(test_privileged),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_memo),
		cmocka_unit_test(test_memo_shapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
