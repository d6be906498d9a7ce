/*
** decode.c - the verifier's strict x86-64 decoder.
**
** It accepts exactly the instructions that the rows of common/x86.def can
** encode (X_ALIAS rows excepted: they only spell an earlier row's bytes with
** the operands the other way round), and rejects everything else with a
** message that gives the offset, the bytes read and a short reason.  The
** rules, each enforced by the function named:
**
**   Layout      [66] [REX] opcode [ModRM [SIB] [disp8|disp32]] [imm|rel]
**   fixed()     X_FIXED rows are their exact bytes (endbr64: f3 0f 1e fa),
**               tried first at an f3; no other f3 is one.
**   prefixes()  At most one 66 and at most one REX, the REX right before
**               the opcode.  Any other prefix byte (f0 lock, f2/f3 rep,
**               26 2e 36 3e 64 65 segment overrides, 67 address size), a
**               second 66 or REX, and a REX before 66 are rejected by name.
**   opcode()    0f escapes to the second opcode map; other escapes (0f 38,
**               0f 3a, VEX, EVEX) and every opcode without a row are
**               rejected, by name when it is a known privileged or
**               unsupported instruction (syscall, hlt, int3, in/out, ...).
**   width()     66 gives 16-bit, REX.W 64-bit, neither 32-bit; both at once
**               are rejected.  Byte rows are 8-bit and take neither.  X_D64
**               rows (push, pop, call/jmp rm) are 64-bit without REX.W and
**               reject it as redundant.  F_NONE rows take exactly the REX
**               their width needs (cqo 48, cdq/nop/ret none).  Rows without
**               a width (branches, push imm, nop, ret) take neither.  The
**               width must be one the row allows.
**   choose()    Candidate rows come from a 256-entry table per opcode map;
**               /ext rows also need ModRM.reg = ext.  X_CC rows take the
**               condition code from the opcode's low nibble; F_O, F_O_I and
**               F_ACC_O rows take a register from its low 3 bits (+REX.B).
**               90 is nop, never xchg eax/rax, rax (66 90 is xchg ax, ax,
**               the bytes talas and GNU as write for it).
**   modrm()     mod = 3 is a register.  mod = 0, rm = 5 is rip + disp32.
**   rm_mem()    rm = 4 reads a SIB: index 4 without REX.X is no index (and
**               then the scale must be 1); base 5 with mod = 0 is no base
**               and a disp32.  A memory operand with neither base nor index
**               (an absolute address) is rejected.  mod = 1 and 2 add a
**               disp8 (sign-extended) and a disp32.  Rip-relative operands
**               keep their displacement in val, nothing else is filled.
**   check()     X_MEM rows reject a register r/m (lea, push/pop rm, mov
**               c6/c7 with 16/32/8-bit width), X_REG rows memory.  A REX bit
**               no operand uses (R with an /ext row, X without index, B with
**               rip-relative or base-less memory or no register) is
**               rejected as redundant, and so is a bare 40 unless an 8-bit
**               operand is spl, bpl, sil or dil.  Without REX, 8-bit
**               registers 4-7 are ah, ch, dh, bh: not in the language.
**   imm()       Immediates are sign-extended from their field to 64 bits
**               (imm8 of 83 and 6b, imm32 with REX.W, mov r64, imm64 in
**               full), except X_IMMU shift counts, which are zero-extended.
**               rel8/rel32 become TC_REL with the target .text offset
**               off + len + rel.
**   take()      Nothing is read at or past n: an instruction that does
**               not fit is rejected as running past the end of .text.
**
** The candidate table (with the operand roles of each form) is the only
** state: built once from the constant x86_rows on first use (talcheck is
** single-threaded; a program with threads must make its first call before
** starting them), so decoding is O(1) per instruction and verification
** linear in the size of the code.  tc_decode_memo (the checker's entry)
** adds a memo the caller owns: bytes decoded before are copied, not
** decoded again, and bytes with the shape of an instruction decoded
** before are that instruction with their own displacement and immediate;
** either gives the same result (see tc.h and the memo below).
*/
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "tc.h"

/* ---- operand patterns, derived from the row forms ---- */

/* Roles of the operands of a form, in Intel order. */
enum { O_RM = 1, O_REG, O_IMM, O_ACC, O_OREG, O_ONE, O_CL, O_REL };

static const uint8_t pattern[F_COUNT][3] = {
	[F_NONE] = { 0 },
	[F_RM_R] = { O_RM, O_REG },
	[F_R_RM] = { O_REG, O_RM },
	[F_RM_I] = { O_RM, O_IMM },
	[F_RM_IB] = { O_RM, O_IMM },
	[F_ACC_I] = { O_ACC, O_IMM },
	[F_O_I] = { O_OREG, O_IMM },
	[F_RM] = { O_RM },
	[F_RM_1] = { O_RM, O_ONE },
	[F_RM_CL] = { O_RM, O_CL },
	[F_O] = { O_OREG },
	[F_ACC_O] = { O_OREG, O_ACC },
	[F_R_RM_IB] = { O_REG, O_RM, O_IMM },
	[F_R_RM_I] = { O_REG, O_RM, O_IMM },
	[F_REL8] = { O_REL },
	[F_REL32] = { O_REL },
	[F_IB] = { O_IMM },
	[F_I] = { O_IMM },
};

/* Bit r set: the form has an operand in role r (from pattern, once). */
static uint16_t roles[F_COUNT];

static void build_roles(void)
{
	for (int f = 0; f < F_COUNT; f++)
		for (int i = 0; i < 3; i++)
			if (pattern[f][i]) roles[f] |= (uint16_t)(1u << pattern[f][i]);
}

/* Whether a form has an operand in role `role`: the rest follows from this. */
static int has(int form, int role)
{
	return (roles[form] >> role) & 1;
}

/* A ModRM byte follows the opcode exactly when the form has an r/m operand. */
static int has_modrm(int form) { return has(form, O_RM); }

/* ModRM.reg is an opcode extension when it is not a register operand. */
static int uses_ext(int form) { return has(form, O_RM) && !has(form, O_REG); }

/* Forms that add a register number to the opcode byte. */
static int has_oreg(int form) { return has(form, O_OREG); }

/*
** Bytes of the immediate or relative field, as the encoder lays them out:
** imm8 forms 1; full-size forms the width but 4 for 64-bit (sign-extended),
** except mov r64, imm64 (F_O_I) which takes all 8.
*/
static int imm_bytes(int form, int w)
{
	switch (form) {
	case F_RM_IB: case F_R_RM_IB: case F_IB: case F_REL8: return 1;
	case F_RM_I: case F_ACC_I: case F_R_RM_I: return w == S64 ? 4 : w;
	case F_O_I: return w;
	case F_I: case F_REL32: return 4;
	default: return 0;
	}
}

/* ---- the candidate rows of every opcode byte ---- */

enum { MAXC = 8 };   /* rows sharing one opcode byte (80, 81, 83 have 8) */

typedef struct Cands { uint8_t n; uint16_t row[MAXC]; } Cands;

static struct {
	int state;          /* 0 not built, 1 built, -1 the table breaks a rule below */
	Cands map[2][256];  /* [0] one-byte opcodes, [1] opcodes after 0f            */
} cache;

/* Bytes the CPU takes as prefixes or escapes: no row may start with one. */
static int is_prefix(int b)
{
	switch (b) {
	case 0x0f: case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return 1;
	}
	return (b & 0xf0) == 0x40;
}

/*
** Enter row i under every opcode byte it can produce: 16 for X_CC rows, 8
** for a register in the opcode, else 1.  Refuses tables the decoder could
** not read unambiguously: a byte that mixes rows with and without ModRM, a
** row at a prefix byte, an added field that overlaps the opcode's bits.
*/
static int enter(int i)
{
	const X86Row *r = &x86_rows[i];
	int esc = r->oplen == 2;
	if (r->oplen < 1 || r->oplen > 2 || (esc && r->op[0] != 0x0f) || r->form >= F_COUNT)
		return -1;
	int b = r->op[r->oplen - 1];
	int span = (r->flags & X_CC) ? 16 : has_oreg(r->form) ? 8 : 1;
	if ((b & (span - 1)) || ((r->flags & X_CC) && has_oreg(r->form))) return -1;
	for (int k = 0; k < span; k++) {
		Cands *c = &cache.map[esc][b + k];
		if (!esc && is_prefix(b + k)) return -1;
		if (c->n == MAXC) return -1;
		if (c->n && has_modrm(x86_rows[c->row[0]].form) != has_modrm(r->form)) return -1;
		c->row[c->n++] = (uint16_t)i;
	}
	return 0;
}

/* Build the candidate table, from the constant rows (X_ALIAS skipped). */
static void build_once(void)
{
	build_roles();
	for (int i = 0; i < x86_nrows; i++)
		if (!(x86_rows[i].flags & (X_ALIAS | X_FIXED)) && enter(i)) { cache.state = -1; return; }
	cache.state = 1;
}

/* The table, built once in the process, whichever thread decodes first. */
static int build(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, build_once);
	return cache.state;
}

/* ---- known opcodes outside the language, for the messages ---- */

typedef struct Known { uint8_t esc, lo, hi; int8_t ext; const char *name; } Known;

static const Known known[] = {
	{ 0, 0x06, 0x07, -1, "push/pop es (invalid in 64-bit mode)" },
	{ 0, 0x0e, 0x0e, -1, "push cs (invalid in 64-bit mode)" },
	{ 0, 0x16, 0x17, -1, "push/pop ss (invalid in 64-bit mode)" },
	{ 0, 0x1e, 0x1f, -1, "push/pop ds (invalid in 64-bit mode)" },
	{ 0, 0x27, 0x27, -1, "daa (invalid in 64-bit mode)" },
	{ 0, 0x2f, 0x2f, -1, "das (invalid in 64-bit mode)" },
	{ 0, 0x37, 0x37, -1, "aaa (invalid in 64-bit mode)" },
	{ 0, 0x3f, 0x3f, -1, "aas (invalid in 64-bit mode)" },
	{ 0, 0x60, 0x61, -1, "pusha/popa (invalid in 64-bit mode)" },
	{ 0, 0x62, 0x62, -1, "EVEX (AVX-512)" },
	{ 0, 0x6c, 0x6f, -1, "ins/outs (string I/O)" },
	{ 0, 0x82, 0x82, -1, "opcode 82 (invalid in 64-bit mode)" },
	{ 0, 0x8c, 0x8c, -1, "mov from a segment register" },
	{ 0, 0x8e, 0x8e, -1, "mov to a segment register" },
	{ 0, 0x98, 0x98, -1, "cbw/cwde/cdqe" },
	{ 0, 0x9a, 0x9a, -1, "far call (invalid in 64-bit mode)" },
	{ 0, 0x9b, 0x9b, -1, "fwait" },
	{ 0, 0x9c, 0x9d, -1, "pushf/popf" },
	{ 0, 0x9e, 0x9f, -1, "sahf/lahf" },
	{ 0, 0xa0, 0xa3, -1, "mov with a 64-bit absolute address (moffs)" },
	{ 0, 0xa4, 0xa7, -1, "a string operation (movs/cmps)" },
	{ 0, 0xaa, 0xaf, -1, "a string operation (stos/lods/scas)" },
	{ 0, 0xc2, 0xc2, -1, "ret imm16" },
	{ 0, 0xc4, 0xc5, -1, "VEX (AVX)" },
	{ 0, 0xc6, 0xc7, 7, "xabort/xbegin (TSX)" },
	{ 0, 0xc8, 0xc8, -1, "enter" },
	{ 0, 0xc9, 0xc9, -1, "leave" },
	{ 0, 0xca, 0xcb, -1, "far ret" },
	{ 0, 0xcc, 0xcc, -1, "int3" },
	{ 0, 0xcd, 0xcd, -1, "int" },
	{ 0, 0xce, 0xce, -1, "into (invalid in 64-bit mode)" },
	{ 0, 0xcf, 0xcf, -1, "iret" },
	{ 0, 0xd4, 0xd6, -1, "aam/aad/salc (invalid in 64-bit mode)" },
	{ 0, 0xd7, 0xd7, -1, "xlat" },
	{ 0, 0xd8, 0xdf, -1, "x87 floating point" },
	{ 0, 0xe0, 0xe2, -1, "loop" },
	{ 0, 0xe3, 0xe3, -1, "jrcxz" },
	{ 0, 0xe4, 0xe7, -1, "in/out" },
	{ 0, 0xea, 0xea, -1, "far jmp (invalid in 64-bit mode)" },
	{ 0, 0xec, 0xef, -1, "in/out" },
	{ 0, 0xf1, 0xf1, -1, "int1" },
	{ 0, 0xf4, 0xf4, -1, "hlt" },
	{ 0, 0xf5, 0xf5, -1, "cmc" },
	{ 0, 0xf8, 0xf9, -1, "clc/stc" },
	{ 0, 0xfa, 0xfa, -1, "cli" },
	{ 0, 0xfb, 0xfb, -1, "sti" },
	{ 0, 0xfc, 0xfd, -1, "cld/std" },
	{ 0, 0xff, 0xff, 3, "far call" },
	{ 0, 0xff, 0xff, 5, "far jmp" },
	{ 1, 0x00, 0x00, -1, "sldt/str/lldt/ltr/verr/verw (system)" },
	{ 1, 0x01, 0x01, -1, "lgdt/lidt/sgdt/sidt/... (system)" },
	{ 1, 0x02, 0x03, -1, "lar/lsl (system)" },
	{ 1, 0x05, 0x05, -1, "syscall" },
	{ 1, 0x06, 0x06, -1, "clts" },
	{ 1, 0x07, 0x07, -1, "sysret" },
	{ 1, 0x08, 0x09, -1, "invd/wbinvd" },
	{ 1, 0x0b, 0x0b, -1, "ud2" },
	{ 1, 0x0d, 0x0d, -1, "prefetch" },
	{ 1, 0x0e, 0x0f, -1, "3DNow!" },
	{ 1, 0x10, 0x17, -1, "SSE" },
	{ 1, 0x18, 0x1f, -1, "hint nop/prefetch" },
	{ 1, 0x20, 0x23, -1, "mov to/from a control or debug register" },
	{ 1, 0x28, 0x2f, -1, "SSE" },
	{ 1, 0x30, 0x30, -1, "wrmsr" },
	{ 1, 0x31, 0x31, -1, "rdtsc" },
	{ 1, 0x32, 0x32, -1, "rdmsr" },
	{ 1, 0x33, 0x33, -1, "rdpmc" },
	{ 1, 0x34, 0x34, -1, "sysenter" },
	{ 1, 0x35, 0x35, -1, "sysexit" },
	{ 1, 0x37, 0x37, -1, "getsec" },
	{ 1, 0x38, 0x38, -1, "a 0f 38 three-byte opcode" },
	{ 1, 0x3a, 0x3a, -1, "a 0f 3a three-byte opcode" },
	{ 1, 0x50, 0x7f, -1, "SSE/MMX" },
	{ 1, 0xa0, 0xa1, -1, "push/pop fs" },
	{ 1, 0xa2, 0xa2, -1, "cpuid" },
	{ 1, 0xa3, 0xa3, -1, "bt" },
	{ 1, 0xa4, 0xa5, -1, "shld" },
	{ 1, 0xa8, 0xa9, -1, "push/pop gs" },
	{ 1, 0xaa, 0xaa, -1, "rsm" },
	{ 1, 0xab, 0xab, -1, "bts" },
	{ 1, 0xac, 0xad, -1, "shrd" },
	{ 1, 0xae, 0xae, -1, "fence/fxsave/... (0f ae)" },
	{ 1, 0xb0, 0xb1, -1, "cmpxchg" },
	{ 1, 0xb2, 0xb2, -1, "lss" },
	{ 1, 0xb3, 0xb3, -1, "btr" },
	{ 1, 0xb4, 0xb5, -1, "lfs/lgs" },
	{ 1, 0xb8, 0xb8, -1, "popcnt" },
	{ 1, 0xb9, 0xb9, -1, "ud1" },
	{ 1, 0xba, 0xba, -1, "bt/bts/btr/btc imm8" },
	{ 1, 0xbb, 0xbb, -1, "btc" },
	{ 1, 0xbc, 0xbd, -1, "bsf/bsr" },
	{ 1, 0xc0, 0xc1, -1, "xadd" },
	{ 1, 0xc2, 0xc6, -1, "SSE" },
	{ 1, 0xc7, 0xc7, -1, "cmpxchg8b/cmpxchg16b/rdrand/rdseed" },
	{ 1, 0xd0, 0xfe, -1, "SSE/MMX" },
	{ 1, 0xff, 0xff, -1, "ud0" },
};

/* The name of a known opcode outside the language (ext -1: any), or NULL. */
static const char *known_name(int esc, int b, int ext)
{
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		const Known *k = &known[i];
		if (k->esc == esc && b >= k->lo && b <= k->hi && (k->ext < 0 || k->ext == ext))
			return k->name;
	}
	if (esc == 0 && b == 0x8f && ext > 0) return "XOP (AMD)";   /* 8f /1-7 */
	return NULL;
}

/* ---- decoding state and messages ---- */

enum { REX_B = 1, REX_X = 2, REX_R = 4, REX_W = 8 };

/* The tail (see the memo below): how an immediate extends; no operand, or two. */
enum { TAIL_SEXT = 1, TAIL_ZEXT, TAIL_REL };
enum { TAIL_NONE = 3, TAIL_TWICE = 4 };

typedef struct Dec {
	const uint8_t *code;
	size_t n, off, pos;   /* pos: next byte to read; never past n       */
	int p66, rex;         /* the REX byte, 0 when absent                */
	int esc, opc;         /* opcode map (0 or 1 after 0f), last byte    */
	int modrm, sib;       /* -1 when absent                             */
	int64_t disp;
	int dk, dop;          /* displacement: bytes, operand (TAIL_NONE)   */
	int ik, iop, how;     /* immediate: bytes, operand, TAIL_SEXT...    */
	size_t dat, iat;      /* where each starts                          */
	int used;             /* REX bits some operand uses                 */
	int byte4;            /* an 8-bit register operand numbered 4..7    */
	char why[96];         /* first reason a candidate row did not fit   */
	char *err;
	size_t cap;
} Dec;

/* The message: offset, the bytes read so far (at most 15), the reason. */
static int reject(Dec *d, const char *fmt, ...)
{
	if (!d->err || !d->cap) return -1;
	char bytes[3 * 15 + 8] = "";
	size_t end = d->pos < d->n ? d->pos : d->n, k = 0;
	for (size_t i = d->off; i < end && i < d->off + 15; i++)
		k += (size_t)snprintf(bytes + k, sizeof bytes - k, "%s%02x", k ? " " : "", d->code[i]);
	if (!k) snprintf(bytes, sizeof bytes, "(none)");
	int h = snprintf(d->err, d->cap, "offset 0x%zx: bytes %s: ", d->off, bytes);
	if (h < 0 || (size_t)h >= d->cap) return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->err + h, d->cap - (size_t)h, fmt, ap);
	va_end(ap);
	return -1;
}

/*
** Read k bytes little-endian.  Nothing may be read at or past n: a field
** that does not fit is the end of .text in the middle of an instruction.
*/
static int take(Dec *d, int k, uint64_t *v)
{
	*v = 0;
	if (d->pos > d->n || d->n - d->pos < (size_t)k) {
		d->pos = d->n;
		return reject(d, "instruction runs past the end of .text");
	}
	uint64_t x = 0;
	for (int i = 0; i < k; i++)
		x |= (uint64_t)d->code[d->pos + i] << (8 * i);
	d->pos += (size_t)k;
	*v = x;
	return 0;
}

/* Sign-extend the low k bytes of v. */
static int64_t sext(uint64_t v, int k)
{
	switch (k) {
	case 1: return (int8_t)v;
	case 2: return (int16_t)v;
	case 4: return (int32_t)v;
	default: return (int64_t)v;
	}
}

/* The name of a legacy prefix byte other than 66, or NULL. */
static const char *legacy_prefix(int b)
{
	switch (b) {
	case 0xf0: return "lock prefix";
	case 0xf2: case 0xf3: return "rep prefix";
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65: return "segment override prefix";
	case 0x67: return "address-size prefix";
	}
	return NULL;
}

/*
** Prefixes: at most one 66, then at most one REX immediately before the
** opcode.  A REX followed by any prefix would be ignored by the CPU, and
** every other legacy prefix changes what the instruction does: all
** rejected, by name.
*/
static int prefixes(Dec *d)
{
	for (;;) {
		uint64_t b;
		if (take(d, 1, &b)) return -1;
		const char *name = legacy_prefix((int)b);
		if (name) return reject(d, "%s %02x is not accepted", name, (int)b);
		if (b == 0x66 && d->rex)
			return reject(d, "REX prefix %02x before the operand-size prefix 66 (REX must come right before the opcode)", d->rex);
		if (b == 0x66 && d->p66) return reject(d, "second operand-size prefix 66");
		if ((b & 0xf0) == 0x40 && d->rex) return reject(d, "second REX prefix %02x", (int)b);
		if (b == 0x66) d->p66 = 1;
		else if ((b & 0xf0) == 0x40) d->rex = (int)b;
		else return d->pos--, 0;
	}
}

/* The opcode (0f escapes once) and its candidate rows; NULL when it has none. */
static const Cands *opcode(Dec *d)
{
	uint64_t b;
	if (take(d, 1, &b)) return NULL;
	if (b == 0x0f) {
		d->esc = 1;
		if (take(d, 1, &b)) return NULL;
	}
	d->opc = (int)b;
	const Cands *c = &cache.map[d->esc][b];
	if (c->n) return c;
	const char *name = known_name(d->esc, d->opc, -1);
	if (name) reject(d, "not an accepted instruction (%s is not in the language)", name);
	else reject(d, "not an accepted instruction (unknown opcode %s%02x)", d->esc ? "0f " : "", d->opc);
	return NULL;
}

/*
** ModRM, then SIB when rm = 4 (mod != 3), then the displacement: disp8
** for mod 1, disp32 for mod 2, for rip-relative (mod 0, rm 5) and for a
** SIB without base (mod 0, base 5).
*/
static int modrm(Dec *d)
{
	uint64_t v;
	if (take(d, 1, &v)) return -1;
	d->modrm = (int)v;
	int mod = d->modrm >> 6, rm = d->modrm & 7;
	if (mod == 3) return 0;
	if (rm == 4) {
		if (take(d, 1, &v)) return -1;
		d->sib = (int)v;
	}
	int k = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	if (mod == 0 && (rm == 5 || (rm == 4 && (d->sib & 7) == 5))) k = 4;
	d->dat = d->pos;
	if (k && take(d, k, &v)) return -1;
	d->disp = k ? sext(v, k) : 0;
	d->dk = k;
	return 0;
}

/* Record why row r did not fit, unless an earlier candidate already did. */
static int misfit(Dec *d, const X86Row *r, const char *fmt, ...)
{
	if (d->why[0]) return -1;
	int h = snprintf(d->why, sizeof d->why, "%s: ", x86_mnem_name(r->mnem));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->why + h, sizeof d->why - (size_t)h, fmt, ap);
	va_end(ap);
	return -1;
}

/*
** The operation width row r gets from the prefixes, or -1 (see the rules
** at the top: 66 16-bit, REX.W 64-bit, byte and D64 rows fixed, F_NONE
** rows exact, widthless rows bare).
*/
static int width(Dec *d, const X86Row *r)
{
	int w = d->rex & REX_W;
	if (d->p66 && w) return misfit(d, r, "operand-size prefix 66 together with REX.W");
	if (r->form == F_NONE) {
		if (d->p66) return misfit(d, r, "operand-size prefix 66 is not accepted");
		if (r->sizes == S64 && d->rex != 0x48) return misfit(d, r, "needs exactly the REX prefix 48");
		if (r->sizes != S64 && d->rex) return misfit(d, r, "redundant REX prefix %02x", d->rex);
		return r->sizes;
	}
	if (r->sizes == 0 || r->sizes == S8 || (r->flags & X_D64)) {
		const char *what = r->sizes == S8 ? "a byte operation" :
		                   r->sizes ? "64-bit without it" : "without an operand size";
		if (d->p66) return misfit(d, r, "operand-size prefix 66 is not accepted (%s)", what);
		if (w) return misfit(d, r, "redundant REX.W (%s)", what);
		if (r->sizes) return r->sizes;
		return r->form == F_IB || r->form == F_I ? S64 : 0;
	}
	int s = d->p66 ? S16 : w ? S64 : S32;
	if (!(s & r->sizes)) return misfit(d, r, "no %d-bit form%s", 8 * s, s == S16 ? " (operand-size prefix 66)" : "");
	return s;
}

/* The register in the opcode's low 3 bits, extended by REX.B. */
static int oreg(const Dec *d)
{
	return (d->opc & 7) | ((d->rex & REX_B) ? 8 : 0);
}

/*
** The row: the first candidate whose /ext matches ModRM.reg and whose
** widths admit the prefixes.  90 with register rax is nop: the xchg row
** only takes it as xchg ax, ax (66 90), whose bytes the nop row refuses.
*/
static int choose(Dec *d, const Cands *c, int *w)
{
	int ext = d->modrm >= 0 ? (d->modrm >> 3) & 7 : -1, seen = 0;
	for (int i = 0; i < c->n; i++) {
		const X86Row *r = &x86_rows[c->row[i]];
		if (uses_ext(r->form) && ext != r->ext) continue;
		seen = 1;
		int s = width(d, r);
		if (s < 0) continue;
		if (r->form == F_ACC_O && oreg(d) == R_RAX && s != S16) {
			misfit(d, r, "xchg of the accumulator with itself is nop 90");
			continue;
		}
		*w = s;
		return c->row[i];
	}
	if (seen) return reject(d, "%s", d->why);
	const char *name = known_name(d->esc, d->opc, ext);
	if (name) return reject(d, "not an accepted instruction (%s is not in the language)", name);
	return reject(d, "not an accepted instruction (unknown opcode %s%02x /%d)", d->esc ? "0f " : "", d->opc, ext);
}

/* ---- operands ---- */

/* A register operand; 8-bit registers 4-7 are noted for the REX rules. */
static void reg_op(Dec *d, TcOp *o, int reg, int size)
{
	o->kind = TC_REG;
	o->reg = (uint8_t)reg;
	o->size = (uint8_t)size;
	if (size == S8 && reg >= 4 && reg <= 7) d->byte4 = 1;
}

/*
** A memory r/m: rm 5 with mod 0 is rip + disp32; rm 4 has a SIB, whose
** index 4 without REX.X means none and whose base 5 with mod 0 means none.
** Records the REX bits it uses; rejects a scale without index and an
** absolute address.
*/
static int rm_mem(Dec *d, TcOp *o, int size)
{
	int mod = d->modrm >> 6, rm = d->modrm & 7, b = (d->rex & REX_B) ? 8 : 0;
	o->kind = TC_MEM;
	o->size = (uint8_t)size;
	o->index = R_NONE;
	o->scale = 1;
	o->val = d->disp;
	if (mod == 0 && rm == 5) {
		o->base = R_RIP;
		return 0;
	}
	if (rm != 4) {
		o->base = (uint8_t)(rm | b);
		d->used |= REX_B;
		return 0;
	}
	int index = ((d->sib >> 3) & 7) | ((d->rex & REX_X) ? 8 : 0), ss = d->sib >> 6;
	if (index != R_RSP) {
		o->index = (uint8_t)index;
		o->scale = (uint8_t)(1 << ss);
		d->used |= REX_X;
	} else if (ss) {
		return reject(d, "SIB scale %d without an index register", 1 << ss);
	}
	if (mod == 0 && (d->sib & 7) == 5) {
		o->base = R_NONE;
	} else {
		o->base = (uint8_t)((d->sib & 7) | b);
		d->used |= REX_B;
	}
	if (o->base == R_NONE && o->index == R_NONE)
		return reject(d, "absolute address 0x%llx is not accepted (no base or index register)",
		              (unsigned long long)(uint32_t)d->disp);
	return 0;
}

/* The r/m operand: a register when mod = 3, else memory. */
static int rm_op(Dec *d, TcOp *o, int size)
{
	if ((d->modrm >> 6) != 3) return rm_mem(d, o, size);
	reg_op(d, o, (d->modrm & 7) | ((d->rex & REX_B) ? 8 : 0), size);
	d->used |= REX_B;
	return 0;
}

/* The width of the r/m operand: the source of movzx/movsx/movsxd, none for lea. */
static int rm_size(const X86Row *r, int w)
{
	if (r->flags & X_SRC8) return S8;
	if (r->flags & X_SRC16) return S16;
	if (r->flags & X_SRC32) return S32;
	if (r->flags & X_MEM && r->mnem == MN_LEA) return 0;
	return w;
}

/*
** The immediate: sign-extended from its field, as the CPU extends it to
** the operation width, except X_IMMU shift counts (zero-extended, 8-bit);
** rel8/rel32 become the target offset after the instruction.
*/
static int imm(Dec *d, const X86Row *r, TcOp *o, int w)
{
	int k = imm_bytes(r->form, w);
	uint64_t v;
	d->iat = d->pos;
	if (take(d, k, &v)) return -1;
	d->ik = k;
	if (r->form == F_REL8 || r->form == F_REL32) {
		o->kind = TC_REL;
		o->val = (int64_t)d->pos + sext(v, k);
		d->how = TAIL_REL;
		return 0;
	}
	o->kind = TC_IMM;
	o->size = (uint8_t)((r->flags & X_IMMU) ? S8 : w);
	o->val = (r->flags & X_IMMU) ? (int64_t)v : sext(v, k);
	d->how = (r->flags & X_IMMU) ? TAIL_ZEXT : TAIL_SEXT;
	return 0;
}

/* The operands of row r at width w, in the order of its form's pattern. */
static int operands(Dec *d, const X86Row *r, int w, TcInst *in)
{
	int regf = ((d->modrm >> 3) & 7) | ((d->rex & REX_R) ? 8 : 0);
	for (int i = 0; i < 3 && pattern[r->form][i]; i++) {
		TcOp *o = &in->op[in->nops++];
		switch (pattern[r->form][i]) {
		case O_RM:
			if (rm_op(d, o, rm_size(r, w))) return -1;
			if (o->kind == TC_MEM) d->dop = d->dop == TAIL_NONE ? i : TAIL_TWICE;
			break;
		case O_REG: reg_op(d, o, regf, w); d->used |= REX_R; break;
		case O_ACC: reg_op(d, o, R_RAX, w); break;
		case O_OREG: reg_op(d, o, oreg(d), w); d->used |= REX_B; break;
		case O_CL: reg_op(d, o, R_RCX, S8); break;
		case O_ONE: o->kind = TC_IMM, o->size = S8, o->val = 1; break;
		default:
			if (imm(d, r, o, w)) return -1;
			d->iop = d->iop == TAIL_NONE ? i : TAIL_TWICE;
		}
	}
	return 0;
}

static const char *const high8[4] = { "ah", "ch", "dh", "bh" };

/*
** What only the whole instruction tells: memory-only and register-only
** rows, REX bits no operand uses, a bare 40 without spl/bpl/sil/dil, and
** ah/ch/dh/bh (8-bit registers 4-7 without REX).
*/
static int check(Dec *d, const X86Row *r, const TcInst *in)
{
	int mem = d->modrm >= 0 && (d->modrm >> 6) != 3;
	if ((r->flags & X_MEM) && d->modrm >= 0 && !mem)
		return reject(d, "%s takes a memory operand here, not a register operand", x86_mnem_name(r->mnem));
	if ((r->flags & X_REG) && mem)
		return reject(d, "%s takes a register operand here, not memory", x86_mnem_name(r->mnem));
	static const char bit[] = "BXR";
	for (int i = 0; i < 3; i++)
		if ((d->rex & ~d->used) & (1 << i))
			return reject(d, "redundant REX.%c in REX prefix %02x (no operand uses it)", bit[i], d->rex);
	if (d->rex == 0x40 && !d->byte4)
		return reject(d, "redundant REX prefix 40 (no spl, bpl, sil or dil operand)");
	for (int i = 0; i < in->nops && !d->rex; i++) {
		const TcOp *o = &in->op[i];
		if (o->kind == TC_REG && o->size == S8 && o->reg >= 4 && o->reg <= 7)
			return reject(d, "%s is not in the language (8-bit register %d without REX)",
			              high8[o->reg - 4], o->reg);
	}
	return 0;
}

/* The decoder at code[off]: every field but why set here; why is a string, empty. */
static void dec_init(Dec *d, const uint8_t *code, size_t n, size_t off, char *err, size_t errcap)
{
	d->code = code, d->n = n, d->off = off, d->pos = off;
	d->p66 = d->rex = d->esc = d->opc = 0;
	d->modrm = d->sib = -1;
	d->disp = 0;
	d->dk = d->ik = d->how = 0;
	d->dop = d->iop = TAIL_NONE;
	d->dat = d->iat = 0;
	d->used = d->byte4 = 0;
	d->why[0] = 0;
	d->err = err, d->cap = errcap;
}

/*
** An X_FIXED row whose bytes (x86_fixed_bytes) are all at d: endbr64, f3
** 0f 1e fa, and nothing else with its f3 (which prefixes() refuses).
*/
static int fixed(Dec *d, TcInst *out)
{
	for (int i = 0; i < x86_nrows; i++) {
		const X86Row *r = &x86_rows[i];
		uint8_t b[4];
		int n = (r->flags & X_FIXED) ? x86_fixed_bytes(r, b) : 0;
		if (!n || d->n - d->pos < (size_t)n || memcmp(d->code + d->pos, b, (size_t)n)) continue;
		d->pos += (size_t)n;
		out->off = (uint32_t)d->off;
		out->len = (uint8_t)n;
		out->mnem = r->mnem;
		out->row = (uint16_t)i;
		return n;
	}
	return 0;
}

/* The rules at the top, in order; `out` stays all zero on failure. */
static int decode(Dec *d, TcInst *out)
{
	memset(out, 0, sizeof *out);
	if (build() < 0) return reject(d, "internal error: the instruction table breaks the decoder's rules");
	if (d->pos < d->n && d->code[d->pos] == 0xf3) {
		int n = fixed(d, out);
		if (n) return n;
	}
	if (prefixes(d)) return -1;
	const Cands *c = opcode(d);
	if (!c) return -1;
	if (has_modrm(x86_rows[c->row[0]].form) && modrm(d)) return -1;
	int w = 0, ri = choose(d, c, &w);
	if (ri < 0) return -1;
	const X86Row *r = &x86_rows[ri];
	if (operands(d, r, w, out) || check(d, r, out) ||
	    (d->pos - d->off > 15 && reject(d, "longer than 15 bytes")))
		return memset(out, 0, sizeof *out), -1;
	out->off = (uint32_t)d->off;
	out->len = (uint8_t)(d->pos - d->off);
	out->mnem = r->mnem;
	out->cc = (r->flags & X_CC) ? (uint8_t)(d->opc & 15) : 0;
	out->size = (uint8_t)w;
	out->row = (uint16_t)ri;
	for (int i = 0; i < out->nops; i++)
		if (out->op[i].kind == TC_REL) out->rel = (uint8_t)(i + 1);
	return out->len;
}

int tc_decode(const uint8_t *code, size_t n, size_t off, TcInst *out, char *err, size_t errcap)
{
	Dec d;
	dec_init(&d, code, n, off, err, errcap);
	return decode(&d, out);
}

/*
** ---- the memo ----
**
** The shape of an instruction: its bytes are a head (prefixes, opcode,
** ModRM, SIB) and a tail, the displacement then the immediate, last in
** the layout above.  Every rule is decided by the head: the tail's bytes
** are taken (take), sign- or zero-extended (sext, imm) into the value of
** their operand, and read by nothing else (but the message of a rejection
** that happens whatever they are: an absolute address).  So bytes that
** start with an accepted instruction's head, and have its length, are that
** instruction with the values read from their own tail.
*/

/*
** How many bytes the head at p seems to have: only where the memo looks,
** and so only how often it finds what it looks for.  What it finds is
** used only when the bytes are the head it keeps (shape_hit).
*/
static unsigned head_guess(const uint8_t *p, size_t avail)
{
	size_t i = 0;
	int esc = 0;
	while (i < 2 && i < avail && (p[i] == 0x66 || (p[i] & 0xf0) == 0x40)) i++;
	if (i < avail && p[i] == 0x0f) esc = 1, i++;
	if (i >= avail) return 0;
	const Cands *c = &cache.map[esc][p[i++]];
	if (!c->n || !has_modrm(x86_rows[c->row[0]].form) || i >= avail) return (unsigned)i;
	int mrm = p[i++];
	return (unsigned)(i + ((mrm >> 6) != 3 && (mrm & 7) == 4));
}

static unsigned shape_slot(const TcDecodeMemo *m, uint64_t w0, unsigned hl)
{
	return (unsigned)(((w0 & tc_low_bytes(hl)) * UINT64_C(0x9e3779b97f4a7c15)) >> m->sshift);
}

/* k <= 8 bytes at b, little-endian; 8 are read */
static uint64_t le(const uint8_t *b, int k)
{
	uint64_t v;
	memcpy(&v, b, 8);
	return v & tc_low_bytes((unsigned)k);
}

/* b: avail bytes at code[off], 24 of them readable (zero-padded). */
static int shape_hit(const TcShape *s, const uint8_t *b, uint64_t w0, size_t avail, size_t off, TcInst *out)
{
	unsigned len = s->in.len;   /* 0 in an empty shape */
	if (!len || len > avail || (w0 & tc_low_bytes(s->hl)) != s->head) return 0;
	*out = s->in;
	out->off = (uint32_t)off;
	if (s->dop != TAIL_NONE) out->op[s->dop].val = sext(le(b + s->hl, s->dk), s->dk);
	if (s->iop != TAIL_NONE) {
		uint64_t v = le(b + s->hl + s->dk, s->ik);
		out->op[s->iop].val = s->how == TAIL_ZEXT ? (int64_t)v :
		                      s->how == TAIL_REL ? (int64_t)(off + len) + sext(v, s->ik) : sext(v, s->ik);
	}
	return (int)len;
}

/* Keep the shape of what d decoded into in, if its tail is as the layout says. */
static void shape_keep(TcShape *s, const Dec *d, const TcInst *in, uint64_t w0)
{
	unsigned hl = in->len - (unsigned)d->dk - (unsigned)d->ik;
	if (hl > 8 || d->dop == TAIL_TWICE || d->iop == TAIL_TWICE ||   /* (hl wraps if the fields overlap) */
	    (d->dk && (d->dop == TAIL_NONE || d->dat != d->off + hl)) ||
	    (d->ik && (d->iop == TAIL_NONE || d->iat != d->off + hl + (unsigned)d->dk)) || (!d->ik && d->iop != TAIL_NONE))
		return;
	s->head = w0 & tc_low_bytes(hl);
	s->hl = (uint8_t)hl;
	s->dk = (uint8_t)d->dk, s->dop = (uint8_t)(d->dk ? d->dop : TAIL_NONE);
	s->ik = (uint8_t)d->ik, s->iop = (uint8_t)d->iop, s->how = (uint8_t)d->how;
	s->in = *in;
	s->in.off = 0;
}

TcDecodeMemo *tc_decode_memo_new(size_t n)
{
	unsigned eb = tc_table_bits(n / 4, 6, TC_MEMO_BITS), sb = tc_table_bits(n / 16, 4, TC_SHAPE_BITS);
	size_t ne = (size_t)1 << eb, ns = (size_t)1 << sb;
	TcDecodeMemo *m = xmalloc(sizeof *m);
	m->eshift = 64 - eb, m->sshift = 64 - sb;
	m->nshapes = (unsigned)ns;
	m->e = xzalloc(ne, sizeof *m->e);
	m->s = xzalloc(ns, sizeof *m->s);
	return m;
}

void tc_decode_memo_free(TcDecodeMemo *m)
{
	if (!m) return;
	free(m->e);
	free(m->s);
	free(m);
}

/* The memo when the bytes are near the end of .text, or were not decoded before. */
int tc_decode_memo_fill(TcDecodeMemo *m, const uint8_t *code, size_t n, size_t off, TcInst *out, char *err, size_t errcap)
{
	if (off > n || n - off < 4) return tc_decode(code, n, off, out, err, errcap);
	const uint8_t *p = code + off;
	size_t avail = n - off;
	union { uint64_t w[3]; uint8_t b[24]; } u = { { 0, 0, 0 } };   /* le() reads 8 bytes at b + 15 at most */
	memcpy(u.b, p, avail < 16 ? avail : 16);
	TcMemoEntry *e = &m->e[tc_memo_slot(m, u.w[0])];
	if (tc_memo_hit(e, u.w[0], u.w[1], avail, off, out)) return out->len;
	if (build() < 0) return tc_decode(code, n, off, out, err, errcap);   /* (which says why) */
	TcShape *s = &m->s[shape_slot(m, u.w[0], head_guess(u.b, avail))];   /* where its shape would be */
	Dec d;
	int len = shape_hit(s, u.b, u.w[0], avail, off, out);
	if (!len) {
		dec_init(&d, code, n, off, err, errcap);
		if ((len = decode(&d, out)) <= 0) return len;
		shape_keep(s, &d, out, u.w[0]);
	}
	e->w[0] = e->w[1] = 0;
	memcpy(e->w, p, (size_t)len);
	e->in = *out;              /* kept relative to offset 0 */
	e->in.off = 0;
	if (out->rel) e->in.op[out->rel - 1].val -= (int64_t)off;
	return len;
}

/* ---- printing ---- */

typedef struct Text { char *p; size_t cap, n; } Text;

/* Append to a bounded buffer; the text is cut, never overrun. */
static void put(Text *b, const char *fmt, ...)
{
	if (b->n >= b->cap) return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	if (k > 0) b->n = b->n + (size_t)k < b->cap ? b->n + (size_t)k : b->cap - 1;
}

/* A signed hex term: "+0x10", "-0x8". */
static void put_disp(Text *b, int64_t v)
{
	uint64_t m = v < 0 ? -(uint64_t)v : (uint64_t)v;
	put(b, "%c0x%llx", v < 0 ? '-' : '+', (unsigned long long)m);
}

/* A memory operand as objdump -M intel writes it, lowercased. */
static void put_mem(Text *b, const TcOp *o)
{
	static const char *const ptr[9] = { [1] = "byte", [2] = "word", [4] = "dword", [8] = "qword" };
	if (o->size <= 8 && ptr[o->size]) put(b, "%s ptr ", ptr[o->size]);
	put(b, "[");
	int any = 0;
	if (o->base != R_NONE) put(b, "%s", x86_reg_name(o->base, S64)), any = 1;
	if (o->index != R_NONE) put(b, "%s%s*%d", any ? "+" : "", x86_reg_name(o->index, S64), o->scale), any = 1;
	if (o->val || o->base == R_NONE || o->base == R_RIP) put_disp(b, o->val);
	put(b, "]");
}

/* An immediate in hex, as the unsigned value of its width. */
static void put_imm(Text *b, const TcOp *o)
{
	uint64_t v = (uint64_t)o->val;
	if (o->size && o->size < 8) v &= (UINT64_C(1) << (8 * o->size)) - 1;
	put(b, "0x%llx", (unsigned long long)v);
}

/*
** Intel syntax as objdump -M intel prints it, lowercased, with ", "
** between operands, so that diagnostics read like a disassembly.  Where
** objdump's text is hard to read it is not followed: displacements are
** signed ([rip-0x8], objdump [rip+0xfffffffffffffff8]), a zero disp8 is not
** shown ([rbp], objdump [rbp+0x0]), branch targets are written 0x42 (objdump
** 42), and b8+r with a 64-bit immediate is mov (objdump movabs).
*/
void tc_format(const TcInst *in, char *buf, size_t cap)
{
	if (!buf || !cap) return;
	Text b = { buf, cap, 0 };
	buf[0] = 0;
	put(&b, "%s", x86_mnem_name(in->mnem));
	if (in->mnem == MN_JCC || in->mnem == MN_SETCC || in->mnem == MN_CMOVCC)
		put(&b, "%s", x86_cc_name(in->cc));
	int one = in->row < x86_nrows && x86_rows[in->row].form == F_RM_1;
	for (int i = 0; i < in->nops && i < 3; i++) {
		const TcOp *o = &in->op[i];
		put(&b, i ? ", " : " ");
		switch (o->kind) {
		case TC_REG: put(&b, "%s", x86_reg_name(o->reg, o->size)); break;
		case TC_MEM: put_mem(&b, o); break;
		case TC_IMM: if (one && i == 1) put(&b, "1"); else put_imm(&b, o); break;
		case TC_REL: put(&b, "%s0x%llx", o->val < 0 ? "-" : "",
		                 (unsigned long long)(o->val < 0 ? -(uint64_t)o->val : (uint64_t)o->val)); break;
		default: put(&b, "?");
		}
	}
}
