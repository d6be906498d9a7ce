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

typedef struct TcSection { const uint8_t *p; size_t n; size_t index; uint64_t flags; } TcSection;

typedef struct TcObject {
	int fd;
	void *elf;                  /* Elf *                                */
	TcSection sect[SEC_BSS + 1];/* by SEC_* (bss: n is its size, p NULL) */
	TcSection types, lines;     /* .tal.types, .tal.lines               */
} TcObject;

/* Open and check an ELF64 x86-64 relocatable object.  0, or -1 with a message. */
int tc_open(TcObject *o, const char *path, char *err, size_t errcap);
void tc_close(TcObject *o);

#endif
