/*
** gen_encoding.c - print an `.intel_syntax noprefix` source that exercises
** every row of common/x86.def, for the differential test run_encoding.sh.
**
** The rows are expanded from x86.def itself, so a new row is covered (or,
** if its operand pattern is new, refused loudly) without editing this file.
** Every line printed is one GNU as accepts for that width: immediates are
** filtered by the range gas takes for the operand size, memory operands stay
** inside the language (64-bit bases, no rsp index, rip-relative, no absolute
** addresses), and byte registers never include ah/bh/ch/dh.
**
** Operands are spread systematically by rotation: each (row, width) gets all
** 16 registers, every memory family, and every boundary immediate, and the
** partner register / displacement / scale paired with each is shifted by a
** counter that advances across the file, so the pairs differ from row to row.
**
** The output is made of units, one per (row, width) and a few for branches
** (jmp/jcc/call on both sides of the rel8 limit, relaxation that depends on
** other branches, a .globl target, an undefined .extern target); see
** unit_begin().  Its text is a function of x86.def only.
**
** Usage: gen_encoding [-c]   (-c prints counts to stderr at the end)
*/
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "x86.h"

/* The table, expanded here so the generator needs no library. */
static const X86Row rows[] = {
#define X(m, f, s, e, fl, n, b0, b1) \
	{ .mnem = MN_##m, .form = f, .sizes = s, .ext = e, .flags = fl, \
	  .oplen = n, .op = { b0, b1 } },
#include "x86.def"
#undef X
};
enum { NROWS = sizeof rows / sizeof rows[0] };

static const char *const mnames[MN_COUNT] = {
	[MN_NONE] = "",
#define M(id, name) [MN_##id] = name,
#include "x86_mnem.def"
#undef M
};

/* Every GNU spelling of a condition code, with its encoding. */
static const struct { const char *s; int cc; } ccs[] = {
	{ "o", CC_O }, { "no", CC_NO }, { "b", CC_B }, { "c", CC_B },
	{ "nae", CC_B }, { "ae", CC_AE }, { "nb", CC_AE }, { "nc", CC_AE },
	{ "e", CC_E }, { "z", CC_E }, { "ne", CC_NE }, { "nz", CC_NE },
	{ "be", CC_BE }, { "na", CC_BE }, { "a", CC_A }, { "nbe", CC_A },
	{ "s", CC_S }, { "ns", CC_NS }, { "p", CC_P }, { "pe", CC_P },
	{ "np", CC_NP }, { "po", CC_NP }, { "l", CC_L }, { "nge", CC_L },
	{ "ge", CC_GE }, { "nl", CC_GE }, { "le", CC_LE }, { "ng", CC_LE },
	{ "g", CC_G }, { "nle", CC_G },
};
enum { NCC = sizeof ccs / sizeof ccs[0] };

static const char *const regs[4][16] = {
	{ "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
	  "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b" },
	{ "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
	  "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w" },
	{ "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
	  "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d" },
	{ "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	  "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" },
};

/*
** Immediates at the boundaries where an encoding changes.  `u64` entries are
** spelled as unsigned 64-bit hex (0xffffffffffffffff for -1): gas reads them
** as the same 64-bit pattern, and only 64-bit operands may use them.
*/
typedef struct Imm { int64_t v; int u64; } Imm;
static const Imm imms[] = {
	{ 0, 0 }, { 1, 0 }, { -1, 0 }, { 127, 0 }, { 128, 0 }, { -128, 0 },
	{ -129, 0 }, { 255, 0 }, { 256, 0 }, { 32767, 0 }, { 32768, 0 },
	{ -32768, 0 }, { 65535, 0 }, { 0x7fffffff, 0 }, { 0x80000000, 0 },
	{ 0xffffffff, 0 }, { -0x7fffffff - 1, 0 }, { -0x80000001LL, 0 },
	{ 0x100000000LL, 0 }, { 0x123456789abcdefLL, 0 },
	{ INT64_MAX, 0 }, { INT64_MIN, 0 },
	{ -1, 1 }, { -128, 1 }, { -0x7fffffff - 1, 1 }, { INT64_MIN, 1 },
};
enum { NIMM = sizeof imms / sizeof imms[0] };

/* Shift and rotate counts: gas takes 0..255. */
static const int counts[] = { 0, 1, 2, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255 };
enum { NCOUNT = sizeof counts / sizeof counts[0] };

/* Displacements around the disp8/disp32 boundaries and the extremes. */
static const int64_t disps[] = {
	0, 1, -1, 127, 128, -128, -129, 255, 0x12345678, -0x7fffffff - 1, 0x7fffffff,
};
enum { NDISP = sizeof disps / sizeof disps[0] };

/* Small addends written after a label. */
static const int64_t ladds[] = { 0, 1, 8, 127, 128, -1, -129, 0x10000 };
enum { NLADD = sizeof ladds / sizeof ladds[0] };

/* Index registers (any but rsp). */
static const int idxregs[15] = { 0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

/* Bases whose encodings are special (SIB needed, disp8 0 needed). */
static const int oddbases[4] = { R_RSP, R_RBP, R_R12, R_R13 };

static const char *const ptrs[9] = {
	[1] = "byte ptr ", [2] = "word ptr ", [4] = "dword ptr ", [8] = "qword ptr ",
};

/* Number of memory operands tried per operand slot; see mem_text(). */
enum { MEM_BASE = 16, MEM_SIB = 8, MEM_NOBASE = 3, MEM_RIP = 4,
       NMEM = MEM_BASE + MEM_SIB + MEM_NOBASE + MEM_RIP };

static unsigned long nlines;   /* instruction lines printed             */
static unsigned rot;           /* rotation counter, advanced per line   */
static unsigned tlabel;        /* last text label t<N> defined          */
static unsigned unit;          /* current unit u (see unit_begin)       */
static unsigned since_label;   /* lines since it                        */
static int row_hit[NROWS];     /* rows some line was generated for      */

/* A text label every few dozen lines gives [rip + label] targets both ways. */
static void maybe_label(void)
{
	if (++since_label < 40)
		return;
	since_label = 0;
	printf("t%u:\n", ++tlabel);
}

/* Print one instruction line; every line goes through here to be counted. */
static void line(const char *mn, const char *a, const char *b, const char *c)
{
	printf("%s", mn);
	if (a)
		printf(" %s", a);
	if (b)
		printf(", %s", b);
	if (c)
		printf(", %s", c);
	putchar('\n');
	nlines++;
	rot++;
	maybe_label();
}

/* Width in bytes to the row index of the regs[] table. */
static int wix(int w)
{
	return w == 1 ? 0 : w == 2 ? 1 : w == 4 ? 2 : 3;
}

/* The name of register r at width w (bytes). */
static const char *reg(int r, int w)
{
	return regs[wix(w)][r & 15];
}

/* Write a number in one of the spellings gas takes, chosen by `style`. */
static void num_text(char *buf, size_t n, uint64_t mag, int neg, unsigned style)
{
	const char *sign = neg ? "-" : "";
	switch (style % 3) {
	case 0:
		snprintf(buf, n, "%s%" PRIu64, sign, mag);
		break;
	case 1:
		snprintf(buf, n, "%s0x%" PRIx64, sign, mag);
		break;
	default:
		if (mag >= 0x10000) {
			snprintf(buf, n, "%s0x%" PRIx64, sign, mag);
			break;
		}
		char bits[24];
		int i = 0;
		do
			bits[i++] = (char)('0' + (mag & 1));
		while (mag >>= 1);
		int o = snprintf(buf, n, "%s0b", sign);
		while (i > 0 && (size_t)o + 1 < n)
			buf[o++] = bits[--i];
		buf[o] = 0;
	}
}

/* An immediate as text; u64 entries are always the unsigned hex pattern. */
static void imm_text(char *buf, size_t n, Imm im, unsigned style)
{
	if (im.u64) {
		snprintf(buf, n, "0x%" PRIx64, (uint64_t)im.v);
		return;
	}
	uint64_t mag = im.v < 0 ? -(uint64_t)im.v : (uint64_t)im.v;
	num_text(buf, n, mag, im.v < 0, style);
}

/* " + 12", " - 0x80" or "" (a zero displacement is sometimes written). */
static void disp_text(char *buf, size_t n, int64_t d, unsigned style)
{
	if (d == 0 && style % 2 == 0) {
		buf[0] = 0;
		return;
	}
	uint64_t mag = d < 0 ? -(uint64_t)d : (uint64_t)d;
	char t[32];
	num_text(t, sizeof t, mag, 0, style / 2);
	snprintf(buf, n, " %c %s", d < 0 ? '-' : '+', t);
}

/*
** Gas takes an immediate for a `w`-byte operand when it fits w bytes as a
** signed or unsigned number; a 64-bit operand takes a sign-extended imm32.
*/
static int imm_fits(Imm im, int w)
{
	if (w == 8)
		return im.v >= INT32_MIN && im.v <= INT32_MAX;
	if (im.u64)
		return 0;
	int64_t lo = -((int64_t)1 << (8 * w - 1)), hi = ((int64_t)1 << (8 * w)) - 1;
	return im.v >= lo && im.v <= hi;
}

/* Whether gas shortens the immediate to a sign-extended imm8 (83, 6b, 6a). */
static int imm_is8(Imm im, int w)
{
	int64_t v = im.v;
	if (w == 2)
		v = (int16_t)v;
	else if (w == 4)
		v = (int32_t)v;
	return v >= -128 && v <= 127;
}

/* Any 64-bit pattern: mov r64, imm64. */
static int imm_any(Imm im, int w)
{
	return 1;
}

/* Gas's ranges for a row's immediate, and which of them the row is for. */
typedef struct ImmSel { int (*ok)(Imm, int); int want8; } ImmSel;

/* Collect the immediates `sel` takes for width `w` into out[]. */
static int pick_imms(ImmSel sel, int w, Imm *out)
{
	int n = 0;
	for (int i = 0; i < NIMM; i++) {
		if (!sel.ok(imms[i], w))
			continue;
		if (sel.want8 > 0 && !imm_is8(imms[i], w))
			continue;
		if (sel.want8 < 0 && imm_is8(imms[i], w))
			continue;
		out[n++] = imms[i];
	}
	return n;
}

/* A label for [rip + label]: earlier or later in .text, or in other sections. */
static void rip_label(char *buf, size_t n, unsigned v, unsigned salt)
{
	char d[80];
	disp_text(d, sizeof d, ladds[salt % NLADD], salt / NLADD);
	switch (v % 8) {
	case 0: {
		int64_t x = disps[salt % NDISP];
		disp_text(d, sizeof d, x, salt + 1);
		snprintf(buf, n, "[rip%s]", d[0] ? d : " + 0");
		break;
	}
	case 1: snprintf(buf, n, "[rip + t%u%s]", tlabel, d); break;
	case 2: snprintf(buf, n, "[rip + t%u%s]", tlabel + 1, d); break;
	case 3: snprintf(buf, n, "[rip + d_early%u%s]", unit, d); break;
	case 4: snprintf(buf, n, "[rip + d_late%u%s]", unit, d); break;
	case 5: snprintf(buf, n, "[rip + ro_late%u%s]", unit, d); break;
	case 6: snprintf(buf, n, "[rip + gdata%u%s]", unit, d); break;
	default: snprintf(buf, n, "[rip + ext_data%u%s]", unit, d); break;
	}
}

/*
** The k-th memory operand of a slot (0 <= k < NMEM), varied by `salt`:
** every base alone, base + index*scale (the awkward bases first), index
** without base, and rip-relative forms.
*/
static void mem_text(char *buf, size_t n, int k, unsigned salt)
{
	char d[80];
	if (k < MEM_BASE) {
		disp_text(d, sizeof d, disps[(k + salt) % NDISP], salt + (unsigned)k);
		snprintf(buf, n, "[%s%s]", reg(k, 8), d);
		return;
	}
	k -= MEM_BASE;
	if (k < MEM_SIB) {
		int b = k < 4 ? oddbases[k] : (int)((salt * 3 + (unsigned)k) % 16);
		int x = idxregs[(salt + (unsigned)k * 4) % 15];
		int sc = 1 << ((salt + (unsigned)k) % 4);
		disp_text(d, sizeof d, disps[(salt * 7 + (unsigned)k) % NDISP], salt + (unsigned)k);
		snprintf(buf, n, "[%s + %s*%d%s]", reg(b, 8), reg(x, 8), sc, d);
		return;
	}
	k -= MEM_SIB;
	if (k < MEM_NOBASE) {
		int x = idxregs[(salt * 5 + (unsigned)k) % 15];
		int sc = 1 << ((salt + (unsigned)k) % 4);
		disp_text(d, sizeof d, disps[(salt + (unsigned)k * 3) % NDISP], salt);
		snprintf(buf, n, "[%s*%d%s]", reg(x, 8), sc, d);
		return;
	}
	k -= MEM_NOBASE;
	rip_label(buf, n, salt + (unsigned)k * 2, salt + (unsigned)k);
}

/*
** A memory operand with its size, written always or every other time.
** `salt` is fixed for one operand slot, so its NMEM operands differ.
*/
static void mem_op(char *buf, size_t n, int k, unsigned salt, int w, int need_ptr)
{
	char m[128];
	mem_text(m, sizeof m, k, salt);
	int ptr = w && (need_ptr || rot % 2 == 0);
	snprintf(buf, n, "%s%s", ptr ? ptrs[w] : "", m);
}

/* The mnemonic as written: cc families cycle their spellings, sal for shl. */
static const char *spell(const X86Row *r, char *buf, size_t n)
{
	if (r->flags & X_CC) {
		snprintf(buf, n, "%s%s", mnames[r->mnem], ccs[rot % NCC].s);
		return buf;
	}
	if (r->mnem == MN_SHL && rot % 3 == 0)
		return "sal";
	return mnames[r->mnem];
}

/* The partner of register i in two-register lines: a shift that moves on. */
static int partner(int i, unsigned shift)
{
	return (int)((unsigned)i + shift) % 16;
}

/* rm, r and r, rm forms: 16 register pairs, then every memory operand. */
static void gen_two(const X86Row *r, int w, int rm_first)
{
	int sw = r->flags & X_SRC8 ? 1 : r->flags & X_SRC16 ? 2 :
	         r->flags & X_SRC32 ? 4 : w;
	int need_ptr = sw != w;
	char mn[16], a[128], b[128];
	unsigned shift = rot;
	if (!(r->flags & X_MEM))
		for (int i = 0; i < 16; i++) {
			const char *m = spell(r, mn, sizeof mn);
			if (rm_first)
				line(m, reg(i, sw), reg(partner(i, shift), w), NULL);
			else
				line(m, reg(partner(i, shift), w), reg(i, sw), NULL);
		}
	if (r->flags & X_REG)
		return;
	for (int k = 0; k < NMEM; k++) {
		const char *m = spell(r, mn, sizeof mn);
		int rr = (int)(rot % 16);
		mem_op(a, sizeof a, k, shift, r->mnem == MN_LEA ? 0 : sw, need_ptr);
		snprintf(b, sizeof b, "%s", reg(rr, w));
		if (rm_first)
			line(m, a, b, NULL);
		else
			line(m, b, a, NULL);
	}
}

/* One operand rm forms (with an optional fixed second operand like 1, cl). */
static void gen_rm(const X86Row *r, int w, const char *second)
{
	char mn[16], a[128];
	unsigned salt = rot;
	if (!(r->flags & X_MEM))
		for (int i = 0; i < 16; i++)
			line(spell(r, mn, sizeof mn), reg(i, w), second, NULL);
	if (r->flags & X_REG)
		return;
	for (int k = 0; k < NMEM; k++) {
		mem_op(a, sizeof a, k, salt, w, 1);
		line(spell(r, mn, sizeof mn), a, second, NULL);
	}
}

/*
** rm, imm (and r, rm, imm when `three`): every immediate of the list and
** every register and memory operand at least once, paired by rotation.
*/
static void gen_rm_imm(const X86Row *r, int w, const Imm *iv, int ni, int three)
{
	char mn[16], a[128], b[128], c[80];
	unsigned shift = rot;
	if (ni == 0)
		return;
	int nreg = r->flags & X_MEM ? 0 : ni > 16 ? ni : 16;
	for (int i = 0; i < nreg; i++) {
		imm_text(c, sizeof c, iv[i % ni], rot);
		const char *m = spell(r, mn, sizeof mn);
		if (three)
			line(m, reg(partner(i, shift), w), reg(i, w), c);
		else
			line(m, reg(i, w), c, NULL);
	}
	if (r->flags & X_REG)
		return;
	int nmem = ni > NMEM ? ni : NMEM;
	for (int k = 0; k < nmem; k++) {
		imm_text(c, sizeof c, iv[k % ni], rot);
		mem_op(a, sizeof a, k % NMEM, shift, w, !three);
		const char *m = spell(r, mn, sizeof mn);
		if (three) {
			snprintf(b, sizeof b, "%s", reg((int)(rot % 16), w));
			line(m, b, a, c);
		} else {
			line(m, a, c, NULL);
		}
	}
}

/* Whether the table has a row (mnem, form) for width w: gas prefers it. */
static int has_row(int mnem, int form, int w)
{
	for (int i = 0; i < NROWS; i++)
		if (rows[i].mnem == mnem && rows[i].form == form && (rows[i].sizes & w))
			return 1;
	return 0;
}

/* rm, imm rows: the immediates gas would encode with this row. */
static void gen_form_rm_i(const X86Row *r, int w)
{
	Imm iv[NIMM];
	ImmSel sel = { imm_fits, 0 };
	if (w > 1 && has_row(r->mnem, F_RM_IB, w) && !(r->flags & X_IMMU))
		sel.want8 = -1;
	gen_rm_imm(r, w, iv, pick_imms(sel, w, iv), 0);
}

/* rm, imm8 rows: sign-extended imm8 values, or shift counts 0..255. */
static void gen_form_rm_ib(const X86Row *r, int w)
{
	Imm iv[(int)NIMM + (int)NCOUNT];
	int n = 0;
	if (r->flags & X_IMMU) {
		for (int i = 0; i < NCOUNT; i++)
			iv[n++] = (Imm){ counts[i], 0 };
	} else {
		ImmSel sel = { imm_fits, 1 };
		n = pick_imms(sel, w, iv);
	}
	gen_rm_imm(r, w, iv, n, 0);
}

/* Accumulator, imm: every immediate of the width (small ones go to 83). */
static void gen_form_acc_i(const X86Row *r, int w)
{
	Imm iv[NIMM];
	ImmSel sel = { imm_fits, 0 };
	int n = pick_imms(sel, w, iv);
	char mn[16], c[80];
	for (int i = 0; i < n; i++) {
		imm_text(c, sizeof c, iv[i], rot);
		line(spell(r, mn, sizeof mn), reg(R_RAX, w), c, NULL);
	}
}

/* Register in the opcode, full-size immediate; movabs for 64 bits too. */
static void gen_form_o_i(const X86Row *r, int w)
{
	Imm iv[NIMM];
	ImmSel sel = { w == 8 ? imm_any : imm_fits, 0 };
	int n = pick_imms(sel, w, iv);
	char mn[16], c[80];
	int nl = n > 16 ? n : 16;
	for (int i = 0; i < nl; i++) {
		imm_text(c, sizeof c, iv[i % n], rot);
		line(spell(r, mn, sizeof mn), reg(i, w), c, NULL);
	}
	if (r->mnem != MN_MOV || w != 8)
		return;
	for (int i = 0; i < nl; i++) {
		imm_text(c, sizeof c, iv[i % n], rot);
		line("movabs", reg(partner(i, rot), w), c, NULL);
	}
}

/* xchg with the accumulator, both operand orders, all 16 partners. */
static void gen_form_acc_o(const X86Row *r, int w)
{
	char mn[16];
	for (int i = 0; i < 16; i++) {
		const char *m = spell(r, mn, sizeof mn);
		if (i % 2)
			line(m, reg(R_RAX, w), reg(i, w), NULL);
		else
			line(m, reg(i, w), reg(R_RAX, w), NULL);
	}
	line(spell(r, mn, sizeof mn), reg(R_RAX, w), reg(R_RAX, w), NULL);
}

/* Register in the opcode: all 16 (push, pop, bswap). */
static void gen_form_o(const X86Row *r, int w)
{
	char mn[16];
	for (int i = 0; i < 16; i++)
		line(spell(r, mn, sizeof mn), reg(i, w), NULL, NULL);
}

/* A bare immediate (push): imm8 values for F_IB, the others for F_I. */
static void gen_form_imm(const X86Row *r)
{
	Imm iv[NIMM];
	ImmSel sel = { imm_fits, r->form == F_IB ? 1 : -1 };
	int n = pick_imms(sel, 8, iv);
	char mn[16], c[80];
	for (int i = 0; i < n; i++) {
		imm_text(c, sizeof c, iv[i], rot);
		line(spell(r, mn, sizeof mn), c, NULL, NULL);
	}
}

/* r, rm, imm rows (imul): the imm8 or the wide immediates. */
static void gen_form_r_rm_i(const X86Row *r, int w)
{
	Imm iv[NIMM];
	ImmSel sel = { imm_fits, r->form == F_R_RM_IB ? 1 : -1 };
	gen_rm_imm(r, w, iv, pick_imms(sel, w, iv), 1);
}

/* Lines for one row at one width (0 for rows without a width). */
static int gen_form(const X86Row *r, int w)
{
	char mn[16];
	switch (r->form) {
	case F_NONE:    line(spell(r, mn, sizeof mn), NULL, NULL, NULL); break;
	case F_RM_R:    gen_two(r, w, 1); break;
	case F_R_RM:    gen_two(r, w, 0); break;
	case F_RM_I:    gen_form_rm_i(r, w); break;
	case F_RM_IB:   gen_form_rm_ib(r, w); break;
	case F_ACC_I:   gen_form_acc_i(r, w); break;
	case F_O_I:     gen_form_o_i(r, w); break;
	case F_RM:      gen_rm(r, w, NULL); break;
	case F_RM_1:    gen_rm(r, w, "1"); break;
	case F_RM_CL:   gen_rm(r, w, "cl"); break;
	case F_O:       gen_form_o(r, w); break;
	case F_ACC_O:   gen_form_acc_o(r, w); break;
	case F_R_RM_IB:
	case F_R_RM_I:  gen_form_r_rm_i(r, w); break;
	case F_IB:
	case F_I:       gen_form_imm(r); break;
	case F_REL8:
	case F_REL32:   break;  /* gen_branches() */
	default:        return -1;
	}
	return 0;
}

/*
** The output is a sequence of units, each one complete: its own data
** labels (at the start of .data, and later at the end of .data and
** .rodata), an undefined symbol, and text labels before and after its
** code.  The whole file is one valid source, and so is each unit alone
** after the `.intel_syntax noprefix` line, which lets run_encoding.sh
** assemble units separately to pin a mismatch down.  The marker comment
** "# unit N: what" starts each unit.
*/
static void unit_begin(const char *what, int w)
{
	unit++;
	if (w)
		printf("# unit %u: %s, %d-bit\n", unit, what, 8 * w);
	else
		printf("# unit %u: %s\n", unit, what);
	printf(".extern ext_data%u\n", unit);
	printf(".data\n");
	printf("d_early%u:\n", unit);
	printf(".globl gdata%u\n", unit);
	printf("gdata%u:\n", unit);
	printf(".text\n");
	printf("t%u:\n", ++tlabel);
	since_label = 0;
}

/* Close a unit: define what it referred to ahead. */
static void unit_end(void)
{
	printf("t%u:\n", ++tlabel);
	printf(".data\n");
	printf("d_late%u:\n", unit);
	printf(".section .rodata\n");
	printf("ro_late%u:\n", unit);
	printf(".text\n");
}

static const char *const form_names[F_COUNT] = {
	[F_NONE] = "no operands", [F_RM_R] = "rm, r", [F_R_RM] = "r, rm",
	[F_RM_I] = "rm, imm", [F_RM_IB] = "rm, imm8", [F_ACC_I] = "acc, imm",
	[F_O_I] = "reg in opcode, imm", [F_RM] = "rm", [F_RM_1] = "rm, 1",
	[F_RM_CL] = "rm, cl", [F_O] = "reg in opcode", [F_ACC_O] = "acc, reg",
	[F_R_RM_IB] = "r, rm, imm8", [F_R_RM_I] = "r, rm, imm",
	[F_REL8] = "rel8", [F_REL32] = "rel32", [F_IB] = "imm8", [F_I] = "imm32",
};

/* The title of a row's unit: "row 4, add rm, imm8 (opcode 83 /0)". */
static void row_title(char *buf, size_t n, int i, const X86Row *r)
{
	char op[16];
	const char *fn = r->form < F_COUNT && form_names[r->form] ? form_names[r->form] : "?";
	int has_ext = r->form == F_RM_I || r->form == F_RM_IB || r->form == F_RM ||
	              r->form == F_RM_1 || r->form == F_RM_CL;
	int o = r->oplen == 2 ? snprintf(op, sizeof op, "%02x %02x", r->op[0], r->op[1])
	                      : snprintf(op, sizeof op, "%02x", r->op[0]);
	if (has_ext)
		snprintf(op + o, sizeof op - (size_t)o, " /%d", r->ext);
	snprintf(buf, n, "row %d, %s%s %s (opcode %s)", i, mnames[r->mnem],
	         r->flags & X_CC ? "cc" : "", fn, op);
}

/* One unit for one row at one width. */
static int gen_unit(int i, const X86Row *r, int w)
{
	char what[96];
	row_title(what, sizeof what, i, r);
	unit_begin(what, w);
	int ok = gen_form(r, w);
	unit_end();
	return ok;
}

/* Every row, at every width it allows; branches come later. */
static int gen_rows(void)
{
	for (int i = 0; i < NROWS; i++) {
		const X86Row *r = &rows[i];
		int ok = 0;
		if (r->form == F_REL8 || r->form == F_REL32)
			continue;
		if (r->sizes == 0)
			ok = gen_unit(i, r, 0);
		for (int w = 1; w <= 8 && ok == 0; w <<= 1)
			if (r->sizes & w)
				ok = gen_unit(i, r, w);
		if (ok < 0) {
			fprintf(stderr, "gen_encoding: row %d (%s) has operand pattern %d, "
			        "which this generator does not know\n", i, mnames[r->mnem], r->form);
			return -1;
		}
		row_hit[i] = 1;
	}
	return 0;
}

/*
** Exactly `n` bytes of fixed-size instructions between a branch and its
** target: 10-byte mov r11, imm64 and 1-byte nops.
*/
static void fill(int n)
{
	for (; n >= 10; n -= 10)
		line("mov", "r11", "0x1122334455667788", NULL);
	for (; n > 0; n--)
		line("nop", NULL, NULL, NULL);
}

static unsigned blabel;   /* branch labels b<N> */

/* A forward branch over n bytes: rel8 reaches exactly up to n = 127. */
static void branch_fwd(const char *mn, int n)
{
	unsigned l = ++blabel;
	char t[32];
	snprintf(t, sizeof t, "b%u", l);
	line(mn, t, NULL, NULL);
	fill(n);
	printf("b%u:\n", l);
}

/* A backward branch over n bytes: rel8 reaches back to n = 126 (-128). */
static void branch_back(const char *mn, int n)
{
	unsigned l = ++blabel;
	char t[32];
	snprintf(t, sizeof t, "b%u", l);
	printf("b%u:\n", l);
	fill(n);
	line(mn, t, NULL, NULL);
}

/*
** Distances on both sides of the rel8 limit for jmp, call and every jcc
** spelling: the boundary pair each time, plus one more distance in turn.
*/
static void gen_branch_limits(void)
{
	static const int fwd_extra[] = { 0, 1, 129, 300 };
	static const int back_extra[] = { 0, 1, 125, 128, 300 };
	char mn[16];
	for (int i = -2; i < NCC; i++) {
		if (i == -2)
			snprintf(mn, sizeof mn, "jmp");
		else if (i == -1)
			snprintf(mn, sizeof mn, "call");
		else
			snprintf(mn, sizeof mn, "j%s", ccs[i].s);
		unsigned k = (unsigned)(i + 2);
		char what[64];
		snprintf(what, sizeof what, "%s to labels around the rel8 limit", mn);
		unit_begin(what, 0);
		branch_fwd(mn, 127);
		branch_fwd(mn, 128);
		branch_fwd(mn, fwd_extra[k % 4]);
		branch_back(mn, 126);
		branch_back(mn, 127);
		branch_back(mn, back_extra[k % 5]);
		unit_end();
	}
}

/*
** Branches whose size depends on other branches.  An inner far jump makes
** an outer one cross the limit; and a forward/backward pair that is short
** only if both are short (gas settles on the smallest consistent sizes).
*/
static void gen_branch_relax(void)
{
	char t[32], u[32];
	unit_begin("branches whose size depends on other branches", 0);
	for (int x = 120; x <= 124; x++) {
		unsigned o = ++blabel, in = ++blabel;
		snprintf(t, sizeof t, "b%u", o);
		snprintf(u, sizeof u, "b%u", in);
		line(x % 2 ? "jmp" : "jne", t, NULL, NULL);
		line(x % 2 ? "jl" : "jmp", u, NULL, NULL);
		fill(x);
		printf("%s:\n", t);
		fill(200);
		printf("%s:\n", u);
	}
	for (int a = 60; a <= 63; a++)
		for (int c = 60; c <= 65; c += 5) {
			unsigned l1 = ++blabel, l2 = ++blabel;
			snprintf(t, sizeof t, "b%u", l1);
			snprintf(u, sizeof u, "b%u", l2);
			printf("%s:\n", t);
			fill(a);
			line(c == 60 ? "jmp" : "jg", u, NULL, NULL);
			fill(62);
			line(a % 2 ? "jmp" : "jz", t, NULL, NULL);
			fill(c);
			printf("%s:\n", u);
		}
	unit_end();
}

/*
** Branches to a .globl label (gas relaxes jmp/jcc to it but calls it
** through a PLT32 relocation) and to an undefined external symbol.
*/
static void gen_branch_syms(void)
{
	char mn[16];
	unit_begin("branches to a .globl label and to an external symbol", 0);
	printf(".extern ext_fn\n");
	printf(".globl gfun\n");
	line("call", "gfun", NULL, NULL);
	line("jmp", "gfun", NULL, NULL);
	line("jae", "gfun", NULL, NULL);
	fill(130);
	line("jmp", "gfun", NULL, NULL);
	line("jle", "gfun", NULL, NULL);
	printf("gfun:\n");
	line("jmp", "gfun", NULL, NULL);
	line("js", "gfun", NULL, NULL);
	line("call", "gfun", NULL, NULL);
	fill(140);
	line("jmp", "gfun", NULL, NULL);
	line("jp", "gfun", NULL, NULL);
	line("call", "ext_fn", NULL, NULL);
	line("jmp", "ext_fn", NULL, NULL);
	for (int i = 0; i < NCC; i++) {
		snprintf(mn, sizeof mn, "j%s", ccs[i].s);
		line(mn, "ext_fn", NULL, NULL);
	}
	unit_end();
}

/* All branch cases. */
static void gen_branches(void)
{
	gen_branch_limits();
	gen_branch_relax();
	gen_branch_syms();
	for (int i = 0; i < NROWS; i++)
		if (rows[i].form == F_REL8 || rows[i].form == F_REL32)
			row_hit[i] = 1;
}

/* Print the source; fail if a row could not be covered. */
int main(int argc, char **argv)
{
	int counts_wanted = argc > 1 && strcmp(argv[1], "-c") == 0;
	static char obuf[1 << 16];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	printf(".intel_syntax noprefix\n");
	if (gen_rows() < 0)
		return 1;
	gen_branches();
	int hit = 0;
	for (int i = 0; i < NROWS; i++)
		hit += row_hit[i];
	if (counts_wanted)
		fprintf(stderr, "gen_encoding: %lu instruction lines in %u units, %d of %d rows\n",
		        nlines, unit, hit, (int)NROWS);
	if (fflush(stdout) != 0 || hit != NROWS)
		return 1;
	return 0;
}
