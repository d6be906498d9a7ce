/*
** tc.h - the verifier's interface (prefix tc_).
**
** This is the trusted side of the project: everything here reads bytes it
** does not trust.  So far: opening an ELF object and finding its sections,
** with every size and offset checked.  The decoder and the checker follow.
*/
#ifndef TAL_TC_H
#define TAL_TC_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"
#include "x86.h"

typedef struct TcSection { const uint8_t *p; size_t n; size_t index; uint64_t flags; } TcSection;

typedef struct TcObject {
	int fd;
	void *elf;                  /* Elf *                                */
	TcSection sect[SEC_BSS + 1];/* by SEC_* (bss: n is its size, p NULL) */
	TcSection types, lines;     /* .tal.types, .tal.lines               */
} TcObject;

/* ---- decode.c: the strict decoder ---- */

/*
** Operands of a decoded instruction, in Intel order (destination first),
** as the assembly was written.  Memory operands hold no labels: a
** rip-relative displacement is kept as is, and `target` gives the absolute
** .text offset it designates.
*/
enum { TC_REG = 1, TC_MEM, TC_IMM, TC_REL };

typedef struct TcOp {
	uint8_t kind;      /* TC_*                                                */
	uint8_t size;      /* width in bytes (S8..S64); 0 for TC_REL and lea's mem */
	uint8_t reg;       /* TC_REG                                              */
	uint8_t base;      /* TC_MEM: register, R_RIP or R_NONE                   */
	uint8_t index;     /* TC_MEM: register or R_NONE                          */
	uint8_t scale;     /* TC_MEM: 1, 2, 4, 8 (1 when there is no index)       */
	int64_t val;       /* TC_IMM: the value, sign-extended as the CPU does;
	                      TC_MEM: displacement; TC_REL: target .text offset   */
} TcOp;

typedef struct TcInst {
	uint32_t off;      /* offset in .text                                     */
	uint8_t len;       /* bytes                                               */
	uint8_t mnem, cc;  /* MN_* and condition code (x86.h)                     */
	uint8_t nops;
	uint8_t size;      /* operation width in bytes (0 when none)              */
	uint16_t row;      /* index of its row in x86_rows                        */
	TcOp op[3];
} TcInst;

/*
** Decode the instruction at code[off], accepting exactly the rows of
** common/x86.def that the decoder may see (not X_ALIAS) in the encodings
** the assembler produces or their exact equivalents: no prefix but one 66
** for 16-bit operands and one REX right before the opcode; no REX bit that
** nothing uses; nothing that runs past `n`.  Returns the length, or -1
** with a message in err that names the offset and the bytes.
*/
int tc_decode(const uint8_t *code, size_t n, size_t off, TcInst *out, char *err, size_t errcap);

/* Intel-syntax text of a decoded instruction, for diagnostics. */
void tc_format(const TcInst *in, char *buf, size_t cap);

/* ---- object.c ---- */

/* Open and check an ELF64 x86-64 relocatable object.  0, or -1 with a message. */
int tc_open(TcObject *o, const char *path, char *err, size_t errcap);
void tc_close(TcObject *o);

#endif
