/*
** as.h - the assembler's one interface (prefix as_).
**
** The stages, in the order main.c calls them:
**
**   as_read      source.c   read a file (and its .includes) into memory
**   as_parse     parse.y    flex + bison: statements -> sections of fragments,
**                           symbols, fixups, type table, line rows
**   as_layout    layout.c   branch relaxation: give every fragment its address
**   as_resolve   layout.c   patch what is known, turn the rest into relocations
**   as_write_elf elfout.c   libelf: the relocatable object, written atomically
**
** Instructions are encoded as soon as they are parsed (encode.c): their bytes
** never depend on addresses.  Only branches to labels and alignment vary in
** size; they end a fragment, as in GNU as, and layout iterates over them alone.
*/
#ifndef TAL_AS_H
#define TAL_AS_H

#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "types.h"
#include "x86.h"

enum { AS_NSECT = 5 };  /* SEC_NONE + text, rodata, data, bss (types.h) */

typedef struct Sym Sym;

/* A place in a section: a fragment and an offset from its start. */
typedef struct Loc { uint32_t frag, rel; } Loc;

struct Sym {
	Sym *next;          /* hash chain                                    */
	const char *name;
	uint32_t len, hash;
	Pos pos;            /* definition, or first use while undefined     */
	uint8_t defined;    /* label defined in a section                    */
	uint8_t global;     /* .globl/.global/.export                        */
	uint8_t is_equ;     /* .equ/.set constant                            */
	uint8_t used;
	uint8_t external;   /* .extern or .import: defined in another unit  */
	uint8_t sect;       /* SEC_* of a label                              */
	Loc loc;
	int64_t value;      /* .equ value, or final offset after layout      */
	uint32_t elfsym;    /* index in .symtab, 0 if none                   */
	uint32_t entry;     /* 1 + index of its .label/.object entry, or 0   */
};

enum { OP_NONE, OP_REG, OP_MEM, OP_IMM };

typedef struct Operand {
	uint8_t kind;       /* OP_*                                          */
	uint8_t size;       /* width in bytes; 0 when not given (mem, imm)   */
	uint8_t reg;        /* OP_REG                                        */
	uint8_t base;       /* OP_MEM: register, R_RIP or R_NONE             */
	uint8_t index;      /* OP_MEM: register or R_NONE                    */
	uint8_t scale;      /* OP_MEM: 1, 2, 4, 8                            */
	int64_t val;        /* OP_IMM value; OP_MEM displacement             */
	Sym *sym;           /* symbol added to val (branch target, [rip+s])  */
	Pos pos;
} Operand;

typedef struct Inst {
	uint8_t mnem, cc, nops;
	Operand op[3];
	Pos pos;
} Inst;

/* How the field that holds a symbol's value is to be filled. */
enum { FX_PC32 = 1, FX_PLT32, FX_ABS64, FX_ABS32 };

typedef struct Fixup {
	Loc at;             /* the field                                     */
	uint8_t kind;       /* FX_*                                          */
	uint8_t size;       /* field width in bytes                          */
	uint8_t sect;       /* section holding the field                     */
	Sym *sym;
	int64_t addend;     /* ELF addend: value = S + A - P (pc-relative)   */
	Pos pos;
} Fixup;

/* The variable tail of a fragment. */
enum { V_NONE, V_BRANCH, V_ALIGN, V_SPACE };

typedef struct Frag {
	uint32_t start, len;   /* fixed bytes: sect->bytes[start .. start+len)   */
	uint64_t addr;         /* offset in the section, after layout           */
	uint8_t var;           /* V_*                                           */
	uint8_t far;           /* V_BRANCH: rel32 form chosen                   */
	uint8_t mnem, cc;      /* V_BRANCH: MN_JMP or MN_JCC                    */
	uint32_t varsize;      /* current size of the tail                      */
	Sym *target;           /* V_BRANCH                                      */
	int64_t addend;        /* V_BRANCH: target + addend                     */
	uint32_t align;        /* V_ALIGN: power of two; V_SPACE: byte count    */
	uint32_t maxskip;      /* V_ALIGN: pad only if at most this many bytes  */
	uint8_t fill;          /* V_ALIGN, V_SPACE: fill byte (text: nops)      */
	Pos pos;
} Frag;

typedef struct Section {
	const char *name;
	uint8_t id;            /* SEC_*                                         */
	uint8_t *bytes; uint32_t nbytes, capbytes;
	Frag *frag; uint32_t nfrag, capfrag;
	uint32_t p2align;      /* largest alignment requested                   */
	uint64_t reserved;     /* bytes tails may take beyond the fixed bytes   */
	uint64_t size;         /* after layout                                  */
} Section;

typedef struct LineRef { Loc at; uint32_t file, line, col; } LineRef;

/* One unit being assembled. */
typedef struct Asm {
	Diag *diag;
	Arena arena;
	const char **incdirs; int nincdirs;
	char **deps; uint32_t ndeps, capdeps;     /* files read, for -MD      */
	char **texts; uint32_t ntexts, captexts;  /* their contents           */

	Section sect[AS_NSECT];
	int cur;                                  /* current SEC_*            */

	Sym **symtab; uint32_t nsymtab;           /* hash buckets (power of 2) */
	Sym **syms; uint32_t nsyms, capsyms;      /* in order of appearance    */

	Fixup *fix; uint32_t nfix, capfix;
	LineRef *lines; uint32_t nlines, caplines;
	Loc *annloc; unsigned capannloc;          /* where each TyAnnot applies       */
	Pos *annpos; unsigned capannpos;          /* and where it was written         */
	Pos *entpos; unsigned capentpos;          /* position of each TyEntry       */
	uint32_t *byname; unsigned capbyname;     /* by string id: 1 + its last TyEntry, or 0 */
	uint32_t *prevname; unsigned capprevname; /* by TyEntry: 1 + the one before it of that name, or 0 */
	uint32_t srcname;                         /* string id of the main file     */
	uint8_t *iface; uint32_t niface;          /* by source id: read by .interface */

	TyTable types;
	LineTable lt;

	/* relocations left for the object file, after as_resolve */
	Fixup *rel; uint32_t nrel, caprel;
} Asm;

/* source.c */
typedef struct SrcFile { const char *name; char *text; size_t len; uint32_t id; } SrcFile;
int as_read(Asm *as, const char *path, Pos from, SrcFile *out);  /* 0 ok; reports errors */
int as_find_include(Asm *as, const char *name, Pos from, SrcFile *out);
void as_mark_interface(Asm *as, uint32_t file);   /* source `file` came from .interface */

/* sym.c */
void as_init(Asm *as, Diag *d);
void as_free(Asm *as);

/* parse.y */
int as_parse(Asm *as, SrcFile *f);   /* errors are counted in as->diag */

/* sym.c: symbols, sections and what statements put into them */
Sym *as_sym(Asm *as, const char *name, uint32_t len);      /* find or create */
Sym *as_sym_find(Asm *as, const char *name, uint32_t len);
Loc as_here(Asm *as);                                      /* current location */
void as_label(Asm *as, Pos p, const char *name, uint32_t len);
void as_inst(Asm *as, Inst *in);
void as_data(Asm *as, Pos p, int width, int64_t v, Sym *sym);
void as_bytes(Asm *as, Pos p, const void *bytes, uint32_t n);
void as_align(Asm *as, Pos p, int p2, int fill, uint32_t maxskip);
void as_space(Asm *as, Pos p, uint32_t n, int fill);
void as_decl(Asm *as, Pos p, int kind, const char *name, uint32_t len, TyId type);
void as_coerce(Asm *as, Pos p, int op, int loc, int reg, int32_t disp, TyId type, TyId args);

/* encode.c */
/*
** Encode one instruction (a branch to a label in its rel8 form, or rel32
** when `far`).  On success returns the length and fills `out`; if a field
** holds a label's value, field_at and field_size say where, and tail how
** many bytes of the instruction follow it.  On failure returns -1 with a
** message, and the index of the operand to blame in `bad` (-1: the whole).
*/
typedef struct AsEnc { int field_at, field_size, tail, bad; char err[160]; } AsEnc;
int as_encode(const Inst *in, int far, uint8_t out[16], AsEnc *r);
/* Size of a relaxable branch in its short or near form. */
int as_branch_size(int mnem, int far);

/* layout.c */
int as_layout(Asm *as);
int as_resolve(Asm *as);
uint64_t as_offset(const Asm *as, int sect, Loc at);
/* The final contents of a section (NULL for .bss); caller frees. */
uint8_t *as_contents(const Asm *as, int sect);

/* elfout.c: write the object to a temporary beside `path`, then rename. */
int as_write_elf(Asm *as, const char *path);

#endif
