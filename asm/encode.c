/*
** encode.c - from an instruction to its bytes, driven by common/x86.def.
**
** Selection walks the rows of the mnemonic in table order and takes the
** first one the operands fit; the order of the rows is what makes the
** result match GNU as byte for byte.  Encoding then lays out
**
**   [66] [REX] opcode [ModRM [SIB] [disp8/32]] [imm8/16/32/64 | rel8/32]
**
** and reports where a field that holds a label's value sits, so the caller
** can patch it once addresses are known or leave a relocation.
*/
#include <string.h>

#include "as.h"

/* Why the last candidate row failed; the deepest reason is reported. */
enum { WHY_NONE, WHY_SHAPE, WHY_TARGET, WHY_SIZE, WHY_AMBIG, WHY_IMM };

typedef struct Enc {
	const X86Row *row;
	int size;              /* operand width in bytes, 0 for none        */
	int rm, reg, imm, o;   /* operand index in each role, or -1         */
	int immsize;           /* bytes of immediate or relative field      */
	int why;               /* failure reason while matching             */
	const Operand *bad;    /* operand the reason is about               */
} Enc;

static int arity(int form)
{
	switch (form) {
	case F_NONE: return 0;
	case F_RM: case F_O: case F_REL8: case F_REL32: case F_IB: case F_I: return 1;
	case F_R_RM_IB: case F_R_RM_I: return 3;
	default: return 2;
	}
}

static void fail(Enc *e, int why, const Operand *o)
{
	if (why >= e->why) e->why = why, e->bad = o;
}

static int is_rm(const Operand *o) { return o->kind == OP_REG || o->kind == OP_MEM; }
static int is_imm(const Operand *o) { return o->kind == OP_IMM && !o->sym; }

/* The value the CPU sees when an immediate is truncated to `size` bytes. */
static int64_t truncated(int64_t v, int size)
{
	switch (size) {
	case S8: return (int8_t)v;
	case S16: return (int16_t)v;
	case S32: return (int32_t)v;
	default: return v;
	}
}

/*
** An immediate fits a `size`-byte operation if it is a signed or unsigned
** value of that width; 64-bit operations take sign-extended 32-bit fields.
*/
static int imm_fits(int64_t v, int size)
{
	if (size == S64) return v >= INT32_MIN && v <= INT32_MAX;
	return v >= -(INT64_C(1) << (8 * size - 1)) && v < (INT64_C(1) << (8 * size));
}

static int imm8_fits(int64_t v, int size)
{
	int64_t t = truncated(v, size);
	return imm_fits(v, size) && t >= -128 && t <= 127;
}

/* Width of an r/m operand that may be memory without a size. */
static int rm_size(Enc *e, const Operand *o, int dflt)
{
	if (o->kind == OP_REG || o->size) return o->size;
	if (dflt) return dflt;
	fail(e, WHY_AMBIG, o);
	return 0;
}

static int same_size(Enc *e, const Operand *o, int size)
{
	if (o->kind == OP_MEM && o->size == 0) return 1;
	if (o->size == size) return 1;
	fail(e, WHY_SIZE, o);
	return 0;
}

static int src_size(const X86Row *r, int size)
{
	if (r->flags & X_SRC8) return S8;
	if (r->flags & X_SRC16) return S16;
	if (r->flags & X_SRC32) return S32;
	return size;
}

/* Operands of the two-operand forms with an immediate second. */
static int match_rm_imm(Enc *e, const Inst *in, int dflt)
{
	const Operand *a = &in->op[0], *b = &in->op[1];
	if (!is_rm(a) || !is_imm(b)) return fail(e, WHY_SHAPE, b), 0;
	e->rm = 0;
	e->imm = 1;
	e->size = rm_size(e, a, dflt);
	return e->size != 0;
}

static int match_shape(Enc *e, const Inst *in, int far)
{
	const X86Row *r = e->row;
	const Operand *a = &in->op[0], *b = &in->op[1], *c = &in->op[2];
	e->rm = e->reg = e->imm = e->o = -1;
	e->size = 0;
	switch (r->form) {
	case F_NONE:
		e->size = r->sizes;
		return 1;
	case F_RM_R:
		if (!is_rm(a) || b->kind != OP_REG) return fail(e, WHY_SHAPE, a), 0;
		e->rm = 0, e->reg = 1, e->size = b->size;
		return same_size(e, a, e->size);
	case F_R_RM: {
		if (a->kind != OP_REG || !is_rm(b)) return fail(e, WHY_SHAPE, b), 0;
		if ((r->flags & X_MEM) && b->kind != OP_MEM) return fail(e, WHY_SHAPE, b), 0;
		e->reg = 0, e->rm = 1, e->size = a->size;
		if (r->mnem == MN_LEA) return 1;
		int src = src_size(r, e->size);
		if (b->kind == OP_MEM && !b->size && src != e->size && !(r->flags & X_SRC32))
			return fail(e, WHY_AMBIG, b), 0;
		if (b->kind == OP_MEM && !b->size) return 1;
		if (b->size != src) return fail(e, WHY_SIZE, b), 0;
		return 1;
	}
	case F_RM_I:
	case F_RM_IB:
		if ((r->flags & X_MEM) && a->kind != OP_MEM) return fail(e, WHY_SHAPE, a), 0;
		return match_rm_imm(e, in, 0);
	case F_ACC_I:
		if (a->kind != OP_REG || a->reg != R_RAX) return fail(e, WHY_SHAPE, a), 0;
		if (!match_rm_imm(e, in, 0)) return 0;
		e->rm = -1;   /* the accumulator is implied by the opcode */
		return 1;
	case F_O_I:
		if (a->kind != OP_REG || !is_imm(b)) return fail(e, WHY_SHAPE, a), 0;
		e->o = 0, e->imm = 1, e->size = a->size;
		return 1;
	case F_RM:
		if (!is_rm(a)) return fail(e, a->sym ? WHY_TARGET : WHY_SHAPE, a), 0;
		if ((r->flags & X_MEM) && a->kind != OP_MEM) return fail(e, WHY_SHAPE, a), 0;
		e->rm = 0;
		e->size = rm_size(e, a, (r->flags & X_D64) ? S64 : (r->flags & X_CC) ? S8 : 0);
		return e->size != 0;
	case F_RM_1:
		if (!is_imm(b) || b->val != 1) return fail(e, WHY_SHAPE, b), 0;
		if (!is_rm(a)) return fail(e, WHY_SHAPE, a), 0;
		e->rm = 0, e->size = rm_size(e, a, 0);
		return e->size != 0;
	case F_RM_CL:
		if (b->kind != OP_REG || b->reg != R_RCX || b->size != S8) return fail(e, WHY_SHAPE, b), 0;
		if (!is_rm(a)) return fail(e, WHY_SHAPE, a), 0;
		e->rm = 0, e->size = rm_size(e, a, 0);
		return e->size != 0;
	case F_O:
		if (a->kind != OP_REG) return fail(e, WHY_SHAPE, a), 0;
		e->o = 0, e->size = a->size;
		return 1;
	case F_ACC_O:
		if (a->kind != OP_REG || b->kind != OP_REG) return fail(e, WHY_SHAPE, a), 0;
		if (a->reg != R_RAX && b->reg != R_RAX) return 0;
		if (a->size != b->size) return fail(e, WHY_SIZE, b), 0;
		if (a->size == S32 && a->reg == R_RAX && b->reg == R_RAX) return 0;  /* 90 is nop */
		e->o = a->reg == R_RAX ? 1 : 0, e->size = a->size;
		return 1;
	case F_R_RM_IB:
	case F_R_RM_I:
		if (a->kind != OP_REG || !is_rm(b) || !is_imm(c)) return fail(e, WHY_SHAPE, b), 0;
		e->reg = 0, e->rm = 1, e->imm = 2, e->size = a->size;
		return same_size(e, b, e->size);
	case F_REL8:
	case F_REL32:
		if (a->kind != OP_IMM) return fail(e, WHY_SHAPE, a), 0;
		if (!a->sym) return fail(e, WHY_TARGET, a), 0;
		if (r->form == F_REL8 && far) return 0;
		e->imm = 0;
		return 1;
	case F_IB:
	case F_I:
		if (!is_imm(a)) return fail(e, a->sym ? WHY_TARGET : WHY_SHAPE, a), 0;
		e->imm = 0, e->size = S64;
		return 1;
	}
	return 0;
}

/* The immediate's width for this row, or 0 with a reason if it does not fit. */
static int match_imm(Enc *e, const Inst *in)
{
	const X86Row *r = e->row;
	if (e->imm < 0) return 1;
	int64_t v = in->op[e->imm].val;
	int ok, n;
	switch (r->form) {
	case F_RM_IB: case F_R_RM_IB:
		ok = (r->flags & X_IMMU) ? v >= -128 && v <= 255 : imm8_fits(v, e->size);
		n = 1;
		break;
	case F_O_I:
		ok = e->size == S64 || imm_fits(v, e->size);
		n = e->size;
		break;
	case F_REL8: e->immsize = 1; return 1;
	case F_REL32: e->immsize = 4; return 1;
	case F_IB: ok = v >= -128 && v <= 127; n = 1; break;
	case F_I: ok = v >= INT32_MIN && v <= INT32_MAX; n = 4; break;
	default:
		ok = imm_fits(v, e->size);
		n = e->size == S64 ? 4 : e->size;
	}
	if (!ok) return fail(e, WHY_IMM, &in->op[e->imm]), 0;
	e->immsize = n;
	return 1;
}

static int match(Enc *e, const Inst *in, int far)
{
	const X86Row *r = e->row;
	if (arity(r->form) != in->nops) return 0;
	if (!match_shape(e, in, far)) return 0;
	if (r->sizes && !(e->size & r->sizes)) return fail(e, WHY_SIZE, &in->op[0]), 0;
	return match_imm(e, in);
}

static void describe(const Enc *e, const Inst *in, int found, char *msg, size_t cap)
{
	char name[16];
	const char *m = x86_inst_name(in->mnem, in->cc, name);
	if (!found) {
		snprintf(msg, cap, "wrong number of operands for '%s'", m);
		return;
	}
	switch (e->why) {
	case WHY_IMM:
		snprintf(msg, cap, "immediate %lld is out of range for this form of '%s'",
		         (long long)e->bad->val, m);
		break;
	case WHY_AMBIG:
		snprintf(msg, cap, "operand size is ambiguous; write byte ptr, word ptr, dword ptr or qword ptr");
		break;
	case WHY_SIZE: {
		if (in->mnem == MN_MOVZX || in->mnem == MN_MOVSX || in->mnem == MN_MOVSXD) {
			snprintf(msg, cap, "'%s' takes a %s source and a wider destination register", m,
			         in->mnem == MN_MOVSXD ? "32-bit" : "byte or word");
			break;
		}
		char sizes[64] = "";
		size_t at = 0;
		for (int i = 0; i < in->nops && at < sizeof sizes; i++)
			if (in->op[i].kind == OP_REG || in->op[i].size)
				at += (size_t)snprintf(sizes + at, sizeof sizes - at, "%s%d", at ? " and " : "",
				                       8 * in->op[i].size);
		snprintf(msg, cap, "operand size mismatch for '%s' (operands of %s bits)", m, sizes);
		break;
	}
	case WHY_TARGET:
		snprintf(msg, cap, "the target of '%s' must be a label, a register or a memory operand", m);
		break;
	default:
		snprintf(msg, cap, "invalid operands for '%s'", m);
	}
}

/* ---- encoding ---- */

static int needs_rex_byte(const Operand *o)
{
	return o->kind == OP_REG && o->size == S8 && o->reg >= 4 && o->reg <= 7;
}

/* ModRM, SIB and displacement of a memory operand; returns bytes written. */
static int put_mem(uint8_t *p, int regfield, const Operand *m, int *disp_at)
{
	int n = 0, mod, base = m->base, index = m->index;
	int32_t disp = m->sym ? 0 : (int32_t)m->val;   /* a label's offset goes to the fixup */
	*disp_at = -1;
	if (base == R_RIP) {
		p[n++] = (uint8_t)(((regfield & 7) << 3) | 5);
		*disp_at = n;
		memcpy(p + n, &disp, 4);
		return n + 4;
	}
	if (base == R_NONE) {   /* [index*scale + disp32] */
		p[n++] = (uint8_t)(((regfield & 7) << 3) | 4);
		p[n++] = (uint8_t)(((__builtin_ctz(m->scale)) << 6) | ((index & 7) << 3) | 5);
		memcpy(p + n, &disp, 4);
		return n + 4;
	}
	if (disp == 0 && (base & 7) != R_RBP) mod = 0;
	else if (disp >= -128 && disp <= 127) mod = 1;
	else mod = 2;
	int sib = index != R_NONE || (base & 7) == R_RSP;
	p[n++] = (uint8_t)((mod << 6) | ((regfield & 7) << 3) | (sib ? 4 : (base & 7)));
	if (sib) {
		int sc = index == R_NONE ? 0 : __builtin_ctz(m->scale);
		p[n++] = (uint8_t)((sc << 6) | (((index == R_NONE ? 4 : index) & 7) << 3) | (base & 7));
	}
	if (mod == 1) p[n++] = (uint8_t)(int8_t)disp;
	if (mod == 2) { memcpy(p + n, &disp, 4); n += 4; }
	return n;
}

static int put(const Enc *e, const Inst *in, uint8_t *out, int *fat, int *fsize)
{
	const X86Row *r = e->row;
	const Operand *rm = e->rm >= 0 ? &in->op[e->rm] : NULL;
	const Operand *rg = e->reg >= 0 ? &in->op[e->reg] : NULL;
	const Operand *o = e->o >= 0 ? &in->op[e->o] : NULL;
	int n = 0, rex = 0, force = 0;
	int rel = r->form == F_REL8 || r->form == F_REL32;
	if (r->flags & X_FIXED) {   /* endbr64: its bytes are the row's, whole */
		*fat = -1, *fsize = 0;
		return x86_fixed_bytes(r, out);
	}
	if (e->size == S16 && r->form != F_NONE) out[n++] = 0x66;
	if (e->size == S64 && !(r->flags & X_D64) && !rel && r->form != F_IB && r->form != F_I)
		rex |= 8;
	if (r->form == F_ACC_O && o->reg == R_RAX)
		rex = 0;   /* xchg rax, rax: GNU as writes the plain nop 90 */
	if (rg) { rex |= (rg->reg & 8) >> 1; force |= needs_rex_byte(rg); }
	if (o) { rex |= (o->reg & 8) >> 3; force |= needs_rex_byte(o); }
	if (rm && rm->kind == OP_REG) { rex |= (rm->reg & 8) >> 3; force |= needs_rex_byte(rm); }
	if (rm && rm->kind == OP_MEM) {
		if (rm->base != R_NONE && rm->base != R_RIP) rex |= (rm->base & 8) >> 3;
		if (rm->index != R_NONE) rex |= (rm->index & 8) >> 2;
	}
	if (rex || force) out[n++] = (uint8_t)(0x40 | rex);
	for (int i = 0; i < r->oplen; i++) {
		int b = r->op[i];
		if (i == r->oplen - 1) {
			if (r->flags & X_CC) b += in->cc;
			if (o) b += o->reg & 7;
		}
		out[n++] = (uint8_t)b;
	}
	int field = -1;
	if (rm) {
		int regfield = rg ? rg->reg : r->ext;
		if (rm->kind == OP_REG) out[n++] = (uint8_t)(0xc0 | ((regfield & 7) << 3) | (rm->reg & 7));
		else {
			int d;
			int k = put_mem(out + n, regfield, rm, &d);
			if (d >= 0 && rm->sym) field = n + d;
			n += k;
		}
	}
	if (e->imm >= 0) {
		uint64_t v = rel ? 0 : (uint64_t)in->op[e->imm].val;
		if (rel) field = n;
		for (int i = 0; i < e->immsize; i++) out[n++] = (uint8_t)(v >> (8 * i));
	}
	*fat = field;
	*fsize = field >= 0 ? (rel ? e->immsize : 4) : 0;
	return n;
}

/* Only branches take a label as an immediate; elsewhere it is an address. */
static int label_imm(const Inst *in, AsEnc *r)
{
	if (in->mnem == MN_JMP || in->mnem == MN_JCC || in->mnem == MN_CALL) return 0;
	for (int i = 0; i < in->nops; i++)
		if (in->op[i].kind == OP_IMM && in->op[i].sym) {
			snprintf(r->err, sizeof r->err, "the address of '%s' is not a constant; load it with lea reg, [rip + %s]",
			         in->op[i].sym->name, in->op[i].sym->name);
			r->bad = i;
			return 1;
		}
	return 0;
}

int as_encode(const Inst *in, int far, uint8_t out[16], AsEnc *r)
{
	int first, count = x86_rows_of(in->mnem, &first);
	Enc e;
	memset(&e, 0, sizeof e);
	memset(r, 0, sizeof *r);
	if (label_imm(in, r)) return -1;
	int found = 0;
	for (int i = first; i < first + count; i++) {
		e.row = &x86_rows[i];
		if (arity(e.row->form) == in->nops) found = 1;
		if (match(&e, in, far)) {
			int n = put(&e, in, out, &r->field_at, &r->field_size);
			r->tail = r->field_size ? n - r->field_at - r->field_size : 0;
			if (!r->field_size) r->field_at = 0;
			return n;
		}
	}
	describe(&e, in, found, r->err, sizeof r->err);
	r->bad = e.bad && (e.why == WHY_IMM || e.why == WHY_AMBIG) ? (int)(e.bad - in->op) : -1;
	return -1;
}

int as_branch_size(int mnem, int far)
{
	if (!far) return 2;
	return mnem == MN_JCC ? 6 : 5;
}
