/*
** diff_zydis.c - the verifier's strict decoder (typecheck/decode.c) against
** Zydis, an independent full x86-64 decoder.
**
**   diff_zydis stream OBJ                 every instruction of OBJ's .text
**   diff_zydis random SEED COUNT [OBJ]    COUNT random byte strings
**
** stream: OBJ is what talas made of gen_encoding's source, so its .text
** holds every form talas emits.  It is decoded instruction by instruction
** from offset 0 with tc_decode and with Zydis (64-bit mode): every
** instruction must be accepted by us, and both must agree on the length,
** the mnemonic, the operation width and the visible operands (registers by
** name, memory base/index/scale/displacement/width, immediate values,
** branch targets).  Every row of the table the decoder may produce (not
** X_ALIAS) must be seen at least once.
**
** random: byte strings from a seeded generator, a mixture of uniform random
** bytes, random prefixes + table opcodes + random operand bytes, and
** mutations of OBJ's valid instructions (bit flips, byte changes, inserted
** and deleted prefixes, truncation), so that accepted ones are frequent.
** Whenever we accept, Zydis must decode identically.  Counts are printed.
**
** In both modes the code is placed so that it ends exactly at a page the
** process may not read: a decoder that reads past `n` crashes the test.
**
** Known and tolerated difference: 66 90 is xchg ax, ax for us (the row
** that talas and GNU as encode it with) and nop for Zydis.  Immediate
** widths are compared loosely: Zydis gives the field width (8 for the imm8
** of 83), we give the operation width (8 bits only for shift counts).
**
** Exit: 0 identical, 1 a difference or a rejection, 2 usage or I/O.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <Zydis/Zydis.h>

#include "tc.h"

static ZydisDecoder zdec;
static ZydisFormatter zfmt;

/* Zydis spells condition codes this way (jnz, setnbe, cmovnl). */
static const char *const zcc[16] = {
	"o", "no", "b", "nb", "z", "nz", "be", "nbe", "s", "ns", "p", "np", "l", "nl", "le", "nle",
};

/* ---- memory that ends at an unreadable page ---- */

typedef struct Guard { uint8_t *base; size_t size, page; } Guard;

/*
** Room for `size` bytes followed by a PROT_NONE page; guarded_at returns
** where n bytes must start to end right at it.
*/
static int guard_init(Guard *g, size_t size)
{
	g->page = (size_t)sysconf(_SC_PAGESIZE);
	g->size = (size + g->page - 1) / g->page * g->page;
	g->base = mmap(NULL, g->size + g->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->base == MAP_FAILED) return -1;
	return mprotect(g->base + g->size, g->page, PROT_NONE);
}

static uint8_t *guarded_at(const Guard *g, size_t n)
{
	return g->base + g->size - n;
}

/* ---- comparison ---- */

/* Zydis's name for our mnemonic: the cc families take Zydis's cc spelling. */
static void expected_mnem(const TcInst *in, char *buf, size_t cap)
{
	int cc = in->mnem == MN_JCC || in->mnem == MN_SETCC || in->mnem == MN_CMOVCC;
	snprintf(buf, cap, "%s%s", x86_mnem_name(in->mnem), cc ? zcc[in->cc & 15] : "");
}

/* Zydis's name of a base or index register; "" for none. */
static const char *zreg(ZydisRegister r)
{
	return r == ZYDIS_REGISTER_NONE ? "" : ZydisRegisterGetString(r);
}

/* Our base/index register as Zydis names it. */
static const char *oreg(int r)
{
	return r == R_NONE ? "" : x86_reg_name(r, S64);
}

/* One operand; 0 when identical, else a reason in why. */
static int same_op(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *z, const TcOp *o,
                   uint64_t at, char *why, size_t cap)
{
	switch (o->kind) {
	case TC_REG:
		if (z->type != ZYDIS_OPERAND_TYPE_REGISTER ||
		    strcmp(ZydisRegisterGetString(z->reg.value), x86_reg_name(o->reg, o->size)))
			return snprintf(why, cap, "register %s", x86_reg_name(o->reg, o->size)), 1;
		return 0;
	case TC_MEM:
		if (z->type != ZYDIS_OPERAND_TYPE_MEMORY) return snprintf(why, cap, "not memory for Zydis"), 1;
		if (strcmp(zreg(z->mem.base), o->base == R_RIP ? "rip" : oreg(o->base)))
			return snprintf(why, cap, "base %s vs %s", oreg(o->base), zreg(z->mem.base)), 1;
		if (strcmp(zreg(z->mem.index), oreg(o->index)))
			return snprintf(why, cap, "index %s vs %s", oreg(o->index), zreg(z->mem.index)), 1;
		if ((o->index == R_NONE ? 0 : o->scale) != z->mem.scale || (o->index == R_NONE && o->scale != 1))
			return snprintf(why, cap, "scale %d vs %d", o->scale, z->mem.scale), 1;
		if (o->val != z->mem.disp.value)
			return snprintf(why, cap, "disp %" PRId64 " vs %" PRId64, o->val, (int64_t)z->mem.disp.value), 1;
		if (o->size ? z->size != 8 * o->size : z->mem.type != ZYDIS_MEMOP_TYPE_AGEN)
			return snprintf(why, cap, "memory width %d vs %d bits", 8 * o->size, z->size), 1;
		return 0;
	case TC_IMM:
		if (z->type != ZYDIS_OPERAND_TYPE_IMMEDIATE || z->imm.is_relative)
			return snprintf(why, cap, "not an immediate for Zydis"), 1;
		if ((uint64_t)o->val != z->imm.value.u)
			return snprintf(why, cap, "immediate 0x%" PRIx64 " vs 0x%" PRIx64, (uint64_t)o->val, (uint64_t)z->imm.value.u), 1;
		if (!(o->size == S8 && z->size == 8) && 8 * o->size != zi->operand_width)
			return snprintf(why, cap, "immediate width %d vs %d bits", 8 * o->size, zi->operand_width), 1;
		return 0;
	case TC_REL: {
		ZyanU64 t = 0;
		if (z->type != ZYDIS_OPERAND_TYPE_IMMEDIATE || !z->imm.is_relative ||
		    !ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(zi, z, at, &t)))
			return snprintf(why, cap, "not a relative target for Zydis"), 1;
		if (t != (uint64_t)o->val)
			return snprintf(why, cap, "target 0x%" PRIx64 " vs 0x%" PRIx64, (uint64_t)o->val, (uint64_t)t), 1;
		return 0;
	}
	}
	return snprintf(why, cap, "operand kind %d", o->kind), 1;
}

/* 66 90: our xchg ax, ax, Zydis's 16-bit nop. */
static int is_xchg_ax_ax(const TcInst *in)
{
	return in->mnem == MN_XCHG && in->size == S16 && in->nops == 2 && in->op[0].kind == TC_REG &&
	       in->op[0].reg == R_RAX && in->op[1].kind == TC_REG && in->op[1].reg == R_RAX;
}

static unsigned long xchg_ax_ax;   /* times the tolerated difference was seen */

/*
** Our decoding of the instruction at p (avail bytes, .text offset at) and
** Zydis's: 0 when identical, else a reason in why.  The Zydis text goes
** to ztext for the report.
*/
static int same(const uint8_t *p, size_t avail, uint64_t at, const TcInst *in, char *ztext, size_t zcap,
                char *why, size_t cap)
{
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
	snprintf(ztext, zcap, "(rejected)");
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&zdec, p, avail, &zi, zo)))
		return snprintf(why, cap, "Zydis rejects it"), 1;
	ZydisFormatterFormatInstruction(&zfmt, &zi, zo, zi.operand_count_visible, ztext, zcap, at, NULL);
	if (zi.length != in->len) return snprintf(why, cap, "length %d vs %d", in->len, zi.length), 1;
	if (is_xchg_ax_ax(in) && zi.mnemonic == ZYDIS_MNEMONIC_NOP && zi.operand_width == 16)
		return xchg_ax_ax++, 0;
	char m[32];
	expected_mnem(in, m, sizeof m);
	if (strcmp(m, ZydisMnemonicGetString(zi.mnemonic)))
		return snprintf(why, cap, "mnemonic %s vs %s", m, ZydisMnemonicGetString(zi.mnemonic)), 1;
	if (in->size && 8 * in->size != zi.operand_width)
		return snprintf(why, cap, "width %d vs %d bits", 8 * in->size, zi.operand_width), 1;
	if (in->nops != zi.operand_count_visible)
		return snprintf(why, cap, "%d operands vs %d", in->nops, zi.operand_count_visible), 1;
	for (int i = 0; i < in->nops; i++) {
		char r[96];
		if (zo[i].visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN)
			return snprintf(why, cap, "operand %d hidden for Zydis", i + 1), 1;
		if (same_op(&zi, &zo[i], &in->op[i], at, r, sizeof r))
			return snprintf(why, cap, "operand %d: %s", i + 1, r), 1;
	}
	return 0;
}

/* Bytes as hex, for reports. */
static void hex(const uint8_t *p, size_t n, char *buf, size_t cap)
{
	size_t k = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n && k + 4 < cap; i++)
		k += (size_t)snprintf(buf + k, cap - k, "%s%02x", i ? " " : "", p[i]);
}

static unsigned long nreported;

/* Print one difference (the first 20 only); returns 1 to count it. */
static int report(const char *what, const uint8_t *p, size_t n, size_t off, const TcInst *in,
                  const char *ztext, const char *why)
{
	if (nreported++ >= 20) return 1;
	char h[64], ours[128] = "(rejected)";
	hex(p, n > 15 ? 15 : n, h, sizeof h);
	if (in) tc_format(in, ours, sizeof ours);
	fprintf(stderr, "%s: offset 0x%zx: bytes %s: %s\n    ours:  %s\n    zydis: %s\n", what, off, h, why,
	        ours, ztext);
	return 1;
}

/* ---- stream mode ---- */

/* .text of an object, copied to guarded memory. */
static const uint8_t *load_text(const char *path, Guard *g, size_t *n, TcObject *o)
{
	char err[512];
	if (tc_open(o, path, err, sizeof err)) {
		fprintf(stderr, "diff_zydis: %s\n", err);
		return NULL;
	}
	const TcSection *t = &o->sect[SEC_TEXT];
	*n = t->n;
	if (guard_init(g, t->n + 1)) {
		perror("diff_zydis: mmap");
		return NULL;
	}
	uint8_t *p = guarded_at(g, t->n);
	if (t->n) memcpy(p, t->p, t->n);
	return p;
}

/* Decode all of .text with both; every row the decoder may produce must appear. */
static int stream(const char *path)
{
	Guard g;
	TcObject o;
	size_t n, ninst = 0;
	const uint8_t *code = load_text(path, &g, &n, &o);
	if (!code) return 2;
	unsigned long bad = 0, *hits = calloc((size_t)x86_nrows, sizeof *hits);
	for (size_t off = 0; off < n;) {
		TcInst in;
		char err[256], zt[128], why[160];
		int len = tc_decode(code, n, off, &in, err, sizeof err);
		if (len < 0) {
			same(code + off, n - off, off, &in, zt, sizeof zt, why, sizeof why);
			report("rejected", code + off, n - off, off, NULL, zt, err);
			bad++;
			break;   /* the stream cannot be followed further */
		}
		if (same(code + off, n - off, off, &in, zt, sizeof zt, why, sizeof why))
			bad += (unsigned long)report("differs", code + off, (size_t)len, off, &in, zt, why);
		hits[in.row]++;
		ninst++;
		off += (size_t)len;
	}
	int rows = 0, missed = 0;
	for (int i = 0; i < x86_nrows; i++) {
		if (x86_rows[i].flags & X_ALIAS) continue;
		rows++;
		if (!hits[i]) {
			fprintf(stderr, "row %d (%s, form %d) never decoded\n", i, x86_mnem_name(x86_rows[i].mnem),
			        x86_rows[i].form);
			missed++;
		}
	}
	printf("zydis.stream: %zu instructions in %zu bytes, %d of %d decodable rows seen, "
	       "%lu differences (66 90 xchg ax, ax = Zydis nop: %lu)\n",
	       ninst, n, rows - missed, rows, bad, xchg_ax_ax);
	free(hits);
	tc_close(&o);
	return bad || missed ? 1 : 0;
}

/* ---- random mode ---- */

static uint64_t rng;

/* splitmix64: small, seeded, the same sequence everywhere. */
static uint64_t next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned below(unsigned k) { return (unsigned)(next() % k); }

typedef struct Pool { const uint8_t *code; size_t *off; uint8_t *len; size_t n; } Pool;

/* Opcodes (with 0f for the escape) that some decodable row produces. */
typedef struct Opc { uint8_t b[2], n; } Opc;
static Opc opcs[512];
static int nopcs;

/* Collect the opcode bytes of the table, as the decoder reads them. */
static void collect_opcodes(void)
{
	for (int i = 0; i < x86_nrows; i++) {
		const X86Row *r = &x86_rows[i];
		if (r->flags & X_ALIAS) continue;
		int span = (r->flags & X_CC) ? 16 : (r->form == F_O || r->form == F_O_I || r->form == F_ACC_O) ? 8 : 1;
		for (int k = 0; k < span && nopcs < 512; k++) {
			Opc *o = &opcs[nopcs++];
			o->n = r->oplen;
			o->b[0] = r->op[0];
			o->b[1] = r->op[1];
			o->b[r->oplen - 1] = (uint8_t)(r->op[r->oplen - 1] + k);
		}
	}
}

static const uint8_t prefix_bytes[] = {
	0x66, 0x66, 0x66, 0x40, 0x41, 0x44, 0x48, 0x49, 0x4c, 0x4f, 0x42, 0x45,
	0xf0, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65, 0x67,
};

static void random_bytes(uint8_t *b, int n)
{
	for (int i = 0; i < n; i++) b[i] = (uint8_t)next();
}

/* Prefixes (mostly 66 and REX), a table opcode, random operand bytes. */
static int gen_shaped(uint8_t *b)
{
	int n = 0;
	random_bytes(b, 16);
	if (below(4) == 0) b[n++] = 0x66;
	if (below(2)) b[n++] = (uint8_t)(0x40 | below(16));
	if (below(16) == 0) b[below((unsigned)n + 1)] = prefix_bytes[below(sizeof prefix_bytes)];
	const Opc *o = &opcs[below((unsigned)nopcs)];
	for (int i = 0; i < o->n; i++) b[n++] = o->b[i];
	if (below(4) == 0) b[n] = (uint8_t)(b[n] | 0xc0);   /* favour register operands */
	return 16;
}

/* Insert byte x at position at of b (32 bytes; the last one drops off). */
static void insert(uint8_t *b, int at, uint8_t x)
{
	memmove(b + at + 1, b + at, (size_t)(31 - at));
	b[at] = x;
}

/* Delete the byte at position at of b (32 bytes; a random one comes in). */
static void delete(uint8_t *b, int at)
{
	memmove(b + at, b + at + 1, (size_t)(31 - at));
	b[31] = (uint8_t)next();
}

/*
** A valid instruction of the pool, a random tail, then 1-3 mutations; the
** length given to the decoders is 16, or less when truncated.
*/
static int gen_mutated(uint8_t *b, const Pool *p)
{
	size_t k = below((unsigned)p->n);
	int len = p->len[k], n = 16;
	random_bytes(b, 32);
	memcpy(b, p->code + p->off[k], (size_t)len);
	for (int m = below(3) + 1; m > 0; m--) {
		switch (below(8)) {
		case 0: case 1: b[below((unsigned)len)] ^= (uint8_t)(1 << below(8)); break;
		case 2: b[below((unsigned)len)] = (uint8_t)next(); break;
		case 3: insert(b, below(2), prefix_bytes[below(sizeof prefix_bytes)]), len++; break;
		case 4: if (len > 1) delete(b, below((unsigned)len)), len--; break;
		case 5: b[0] = (uint8_t)(0x40 | below(16)); break;
		case 6: n = (int)below((unsigned)len) + 1; break;   /* truncated */
		default: break;   /* unchanged: the valid instruction with a random tail */
		}
	}
	return n < 16 ? n : 16;
}

/* Load the pool of valid instructions from OBJ (all must decode). */
static int load_pool(const char *path, Pool *p, Guard *g, TcObject *o)
{
	size_t n;
	const uint8_t *code = load_text(path, g, &n, o);
	if (!code) return -1;
	p->code = code;
	p->off = malloc(n * sizeof *p->off + 1);
	p->len = malloc(n + 1);
	p->n = 0;
	for (size_t off = 0; off < n;) {
		TcInst in;
		char err[256];
		int len = tc_decode(code, n, off, &in, err, sizeof err);
		if (len < 0) {
			fprintf(stderr, "diff_zydis: %s: %s\n", path, err);
			return -1;
		}
		p->off[p->n] = off;
		p->len[p->n++] = (uint8_t)len;
		off += (size_t)len;
	}
	return 0;
}

enum { ST_UNIFORM, ST_SHAPED, ST_MUTATED, NST };
static const char *const st_name[NST] = { "uniform", "shaped", "mutated" };

/* One attempt: decode with both, check ours against Zydis when we accept. */
static int attempt(const Guard *g, const uint8_t *b, int len, int pre, unsigned long *acc, unsigned long *zonly)
{
	uint8_t *code = guarded_at(g, (size_t)(pre + len));
	random_bytes(code, pre);
	memcpy(code + pre, b, (size_t)len);
	size_t n = (size_t)(pre + len), off = (size_t)pre;
	TcInst in;
	char err[256], zt[128], why[160];
	int r = tc_decode(code, n, off, &in, err, sizeof err);
	if (r < 0) {
		ZydisDecodedInstruction zi;
		ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
		if (ZYAN_SUCCESS(ZydisDecoderDecodeFull(&zdec, code + off, n - off, &zi, zo))) ++*zonly;
		if (strncmp(err, "offset 0x", 9))
			return report("bad message", code + off, n - off, off, NULL, "", err);
		return 0;
	}
	++*acc;
	if (r != in.len || in.off != off || (size_t)r > n - off)
		return report("inconsistent", code + off, n - off, off, &in, "", "length or offset");
	if (same(code + off, n - off, off, &in, zt, sizeof zt, why, sizeof why))
		return report("differs", code + off, (size_t)r, off, &in, zt, why);
	return 0;
}

static int randomized(uint64_t seed, unsigned long count, const char *path)
{
	Guard g, pg;
	Pool pool = { 0 };
	TcObject o;
	if (guard_init(&g, 64)) return perror("diff_zydis: mmap"), 2;
	if (path && load_pool(path, &pool, &pg, &o)) return 2;
	collect_opcodes();
	rng = seed;
	unsigned long tries[NST] = { 0 }, acc[NST] = { 0 }, zonly = 0, bad = 0;
	for (unsigned long i = 0; i < count; i++) {
		uint8_t b[48];
		int st = below(10), len;
		st = st < 2 ? ST_UNIFORM : st < 5 || !pool.n ? ST_SHAPED : ST_MUTATED;
		if (st == ST_UNIFORM) random_bytes(b, 16), len = below(4) ? 16 : (int)below(16) + 1;
		else if (st == ST_SHAPED) len = gen_shaped(b);
		else len = gen_mutated(b, &pool);
		tries[st]++;
		bad += (unsigned long)attempt(&g, b, len, (int)below(8), &acc[st], &zonly);
	}
	unsigned long total = acc[0] + acc[1] + acc[2];
	printf("zydis.random: seed %" PRIu64 ", %lu attempts: %lu accepted by us, %s",
	       seed, count, total, bad ? "" : "all identical to Zydis");
	if (bad) printf("%lu differ", bad);
	printf(" (66 90 = nop: %lu); %lu accepted by Zydis only\n", xchg_ax_ax, zonly);
	for (int s = 0; s < NST; s++)
		printf("  %-8s %9lu attempts, %8lu accepted\n", st_name[s], tries[s], acc[s]);
	if (path) tc_close(&o);
	free(pool.off);
	free(pool.len);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (!ZYAN_SUCCESS(ZydisDecoderInit(&zdec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)) ||
	    !ZYAN_SUCCESS(ZydisFormatterInit(&zfmt, ZYDIS_FORMATTER_STYLE_INTEL)))
		return fprintf(stderr, "diff_zydis: cannot set up Zydis\n"), 2;
	if (argc == 3 && !strcmp(argv[1], "stream")) return stream(argv[2]);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "random"))
		return randomized(strtoull(argv[2], NULL, 0), strtoul(argv[3], NULL, 0), argc == 5 ? argv[4] : NULL);
	fprintf(stderr, "usage: diff_zydis stream OBJ | diff_zydis random SEED COUNT [OBJ]\n");
	return 2;
}
