/*
** x86.c - the instruction table and the names of registers, mnemonics and
** condition codes.  The rows come from x86.def; nothing here duplicates them.
*/
#include "x86.h"

#include <stdio.h>
#include <string.h>

const X86Row x86_rows[] = {
#define X(m, f, s, e, fl, n, b0, b1) { MN_##m, f, s, e, fl, n, { b0, b1 } },
#include "x86.def"
#undef X
};
const int x86_nrows = sizeof x86_rows / sizeof x86_rows[0];

static const char *const mnem_names[] = {
	"(none)",
#define M(id, name) name,
#include "x86_mnem.def"
#undef M
};
_Static_assert(sizeof mnem_names / sizeof mnem_names[0] == MN_COUNT, "mnemonic names");

/* Condition-code spellings: the first of each code is the canonical one. */
static const struct { const char *s; int cc; } cc_names[] = {
	{"o", CC_O}, {"no", CC_NO}, {"b", CC_B}, {"ae", CC_AE}, {"e", CC_E},
	{"ne", CC_NE}, {"be", CC_BE}, {"a", CC_A}, {"s", CC_S}, {"ns", CC_NS},
	{"p", CC_P}, {"np", CC_NP}, {"l", CC_L}, {"ge", CC_GE}, {"le", CC_LE},
	{"g", CC_G},
	{"c", CC_B}, {"nae", CC_B}, {"nb", CC_AE}, {"nc", CC_AE}, {"z", CC_E},
	{"nz", CC_NE}, {"na", CC_BE}, {"nbe", CC_A}, {"pe", CC_P}, {"po", CC_NP},
	{"nge", CC_L}, {"nl", CC_GE}, {"ng", CC_LE}, {"nle", CC_G},
};

static const char *const reg64[] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
static const char *const reg32[] = {
	"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
	"r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d",
};
static const char *const reg16[] = {
	"ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
	"r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w",
};
static const char *const reg8[] = {
	"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
	"r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b",
};

const char *x86_mnem_name(int mnem)
{
	return mnem > 0 && mnem < MN_COUNT ? mnem_names[mnem] : "(bad)";
}

const char *x86_inst_name(int mnem, int cc, char buf[16])
{
	if (mnem != MN_JCC && mnem != MN_SETCC && mnem != MN_CMOVCC) return x86_mnem_name(mnem);
	snprintf(buf, 16, "%s%s", x86_mnem_name(mnem), x86_cc_name(cc));
	return buf;
}

const char *x86_cc_name(int cc)
{
	return cc >= 0 && cc < 16 ? cc_names[cc].s : "?";
}

const char *x86_reg_name(int reg, int size)
{
	if (reg == R_RIP) return "rip";
	if (reg < 0 || reg > 15) return "?";
	switch (size) {
	case S8: return reg8[reg];
	case S16: return reg16[reg];
	case S32: return reg32[reg];
	default: return reg64[reg];
	}
}

static int eq(const char *s, int len, const char *name)
{
	return (int)strlen(name) == len && strncasecmp(s, name, len) == 0;
}

static int lookup_cc(const char *s, int len)
{
	for (unsigned i = 0; i < sizeof cc_names / sizeof cc_names[0]; i++)
		if (eq(s, len, cc_names[i].s)) return cc_names[i].cc;
	return -1;
}

/*
** The cc families are matched by prefix: "cmov" and "set" take any cc
** suffix, "j" too except that "jmp" is its own mnemonic.
*/
int x86_lookup_mnem(const char *s, int len, int *cc)
{
	*cc = 0;
	for (int m = 1; m < MN_COUNT; m++)
		if (m != MN_SETCC && m != MN_CMOVCC && m != MN_JCC && eq(s, len, mnem_names[m]))
			return m;
	if (eq(s, len, "sal")) return MN_SHL;
	static const int fam[] = { MN_CMOVCC, MN_SETCC, MN_JCC };
	for (int i = 0; i < 3; i++) {
		int n = (int)strlen(mnem_names[fam[i]]);
		if (len > n && strncasecmp(s, mnem_names[fam[i]], n) == 0) {
			int c = lookup_cc(s + n, len - n);
			if (c >= 0) { *cc = c; return fam[i]; }
		}
	}
	return MN_NONE;
}

int x86_lookup_reg(const char *s, int len, int *size)
{
	static const struct { const char *const *names; int size; } sets[] = {
		{ reg64, S64 }, { reg32, S32 }, { reg16, S16 }, { reg8, S8 },
	};
	for (int i = 0; i < 4; i++)
		for (int r = 0; r < 16; r++)
			if (eq(s, len, sets[i].names[r])) { *size = sets[i].size; return r; }
	if (eq(s, len, "rip")) { *size = S64; return R_RIP; }
	return -1;
}

/* endbr64's bytes: f3, the row's opcode, then ModRM mod 3, reg ext, rm 2 (X_FIXED). */
int x86_fixed_bytes(const X86Row *r, uint8_t out[4])
{
	int n = 0;
	out[n++] = 0xf3;
	for (int i = 0; i < r->oplen && i < 2; i++) out[n++] = r->op[i];
	out[n++] = (uint8_t)(0xc0 | (r->ext & 7) << 3 | 2);
	return n;
}

/*
** Rows of one mnemonic are contiguous in x86.def (checked here), so a
** mnemonic's rows are a range.  Built once from the constant table.
*/
int x86_rows_of(int mnem, int *first)
{
	static int start[MN_COUNT], count[MN_COUNT], ready;
	if (!ready) {
		for (int i = x86_nrows; i-- > 0;) {
			start[x86_rows[i].mnem] = i;
			count[x86_rows[i].mnem]++;
		}
		for (int m = 1; m < MN_COUNT; m++)
			for (int i = start[m]; i < start[m] + count[m]; i++)
				if (x86_rows[i].mnem != m) return *first = 0, 0;   /* table not grouped */
		ready = 1;
	}
	if (mnem <= 0 || mnem >= MN_COUNT) return *first = 0, 0;
	*first = start[mnem];
	return count[mnem];
}
