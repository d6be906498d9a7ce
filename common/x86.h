/*
** x86.h - the one x86-64 instruction table of the project.
**
** Every instruction form the language accepts is one row of x86.def.  The
** assembler's encoder selects rows, the verifier's decoder (typecheck/) will
** match bytes against the same rows, and diagnostics print mnemonics from it.
** Nobody keeps a second, hand-synced table.
*/
#ifndef TAL_X86_H
#define TAL_X86_H

#include <stdint.h>

/* General-purpose registers, numbered as in ModRM/SIB (bit 3 = REX extension). */
enum {
	R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI,
	R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
	R_RIP = 16,   /* only as a memory base */
	R_NONE = 255
};

/* Operand widths in bytes; distinct bits, so they also form masks. */
enum { S8 = 1, S16 = 2, S32 = 4, S64 = 8, SALL = 15 };

/* Mnemonics (x86_mnem.def gives the list and the names). */
enum {
	MN_NONE,
#define M(id, name) MN_##id,
#include "x86_mnem.def"
#undef M
	MN_COUNT
};

/*
** Operand patterns of a row.  "rm" is a ModRM r/m operand (register or
** memory), "r" the ModRM reg field, "o" a register in the opcode's low bits.
*/
enum {
	F_NONE,      /* no operands                      ret, nop, cqo, cdq        */
	F_RM_R,      /* rm, r       (MR encoding)         add rm, r; mov rm, r      */
	F_R_RM,      /* r, rm       (RM encoding)         add r, rm; movzx; lea     */
	F_RM_I,      /* rm, imm8/16/32 by size, /ext      81 /0 id; c7 /0; f7 /0    */
	F_RM_IB,     /* rm, imm8, /ext                    83 /0 ib; c1 /4 ib        */
	F_ACC_I,     /* al/ax/eax/rax, imm by size        05 id; a9 id              */
	F_O_I,       /* o, imm of the full size           b8+r id; b8+r io (64)     */
	F_RM,        /* rm, /ext                          f7 /3 neg; ff /2 call     */
	F_RM_1,      /* rm, 1, /ext                       d1 /4 shl                 */
	F_RM_CL,     /* rm, cl, /ext                      d3 /4 shl                 */
	F_O,         /* o                                 50+r push; 0f c8+r bswap  */
	F_ACC_O,     /* rax, o  (either order)            90+r xchg                 */
	F_R_RM_IB,   /* r, rm, imm8                       6b /r ib imul             */
	F_R_RM_I,    /* r, rm, imm16/32                   69 /r id imul             */
	F_REL8,      /* rel8                              eb; 70+cc                 */
	F_REL32,     /* rel32                             e9; e8; 0f 80+cc          */
	F_IB,        /* imm8 (sign-extended)              6a push                   */
	F_I,         /* imm32 (sign-extended)             68 push                   */
	F_COUNT
};

/* Row flags. */
enum {
	X_D64   = 1 << 0,  /* 64-bit by default: no REX.W (push, pop, call, jmp) */
	X_CC    = 1 << 1,  /* condition code added to the last opcode byte     */
	X_MEM   = 1 << 2,  /* rm must be memory (lea)                          */
	X_REG   = 1 << 3,  /* rm must be a register                            */
	X_SRC8  = 1 << 4,  /* rm source is 8-bit (movzx, movsx)                */
	X_SRC16 = 1 << 5,  /* rm source is 16-bit (movzx, movsx)               */
	X_SRC32 = 1 << 6,  /* rm source is 32-bit (movsxd)                     */
	X_IMMU  = 1 << 7,  /* imm8 is unsigned (shift and rotate counts)       */
	X_ALIAS = 1 << 8,  /* another operand order of an earlier row; not decoded */
	X_FIXED = 1 << 9   /* fixed bytes: f3, the opcode, then ModRM mod 3, reg ext, rm 2 (endbr64) */
};

typedef struct X86Row {
	uint8_t mnem;      /* MN_*                                     */
	uint8_t form;      /* F_*                                      */
	uint8_t sizes;     /* allowed operand widths (S8|S16|S32|S64)  */
	uint8_t ext;       /* ModRM.reg opcode extension, or 0         */
	uint16_t flags;    /* X_*                                      */
	uint8_t oplen;     /* 1 or 2 opcode bytes                      */
	uint8_t op[2];     /* opcode bytes, 0x0f escape included       */
} X86Row;

extern const X86Row x86_rows[];
extern const int x86_nrows;

/* Condition codes, in encoding order. */
enum { CC_O, CC_NO, CC_B, CC_AE, CC_E, CC_NE, CC_BE, CC_A,
       CC_S, CC_NS, CC_P, CC_NP, CC_L, CC_GE, CC_LE, CC_G };

const char *x86_mnem_name(int mnem);
/* The name as written, condition code included ("jne", "setg"); buf holds 16. */
const char *x86_inst_name(int mnem, int cc, char buf[16]);
const char *x86_cc_name(int cc);                 /* canonical suffix: "e", "ne", ... */
const char *x86_reg_name(int reg, int size);     /* "rax", "eax", "ax", "al", "rip" */

/*
** Look up a mnemonic as written, folding the condition-code families
** (jne -> MN_JCC with cc CC_NE, cmovbe, setg, ...) and aliases (sal).
** Returns MN_NONE when unknown.  `len` is the length of `s`.
*/
int x86_lookup_mnem(const char *s, int len, int *cc);

/* The rows of a mnemonic: *first is set to the index of its first row, the count is returned. */
int x86_rows_of(int mnem, int *first);

/* The bytes of an X_FIXED row (4: f3, the opcode, its ModRM), for the encoder and the decoder alike. */
int x86_fixed_bytes(const X86Row *r, uint8_t out[4]);

/* Register name lookup: returns the register number and sets *size, or -1. */
int x86_lookup_reg(const char *s, int len, int *size);

#endif
