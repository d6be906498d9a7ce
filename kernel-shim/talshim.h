/* SPDX-License-Identifier: GPL-2.0 */
/*
 * talshim.h - what talshim.ko exports to the carrier, and its assembly
 * entry points (tal_kenter.S).
 */
#ifndef TALSHIM_H
#define TALSHIM_H

#include <linux/types.h>

struct module;

int talshim_register(struct module *owner, const u8 *text, size_t text_len,
		     const u8 *signed_file, size_t signed_len);
void talshim_unregister(struct module *owner);

/* Services: the carrier's fixed stubs jump here. */
long tal_ksvc_getpid(void);
long tal_ksvc_clock(void);
long tal_ksvc_log(const void *ctx, const u8 *buf, unsigned long n);

/* Traps: entered by a jump (through a `call` stub), never return. */
void tal_ktrap_bounds(void);
void tal_ktrap_stack(void);
void tal_ktrap_null(void);
void tal_ktrap_div(void);
void tal_ktrap_fuel(void);
long tal_ksvc_getpid_fast(void);
/* does not return; not declared __noreturn so that objtool sees a normal call */
void tal_kraise(int kind);

/* Call entry with rdi..r9 = regs[0..5]; inv->sp (offset 0) is set for traps. */
struct tal_inv;
long tal_kenter(void *entry, const u64 regs[6], struct tal_inv *inv);
unsigned long tal_ktrap_record(int kind, unsigned long ret);
unsigned long tal_ktrap_refuel(unsigned long ret);

#endif
