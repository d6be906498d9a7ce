/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tal_kenter.S - the shim's side of the boundary with verified code.
 *
 * tal_kenter saves the callee-saved registers and the stack pointer (in
 * the invocation, for the trap path), sets the context's stack limit
 * TAL_STACK_BUDGET bytes below the entry's stack pointer (so that it does
 * not depend on where the kernel put this call's frames), loads rdi..r9
 * and calls the entry
 * point with a retpoline-safe indirect call.  A trap stub of the module is
 * a `call rel32` to a carrier's fixed stub, which jumps to tal_ktrap_<kind>
 * here: the return address that call pushed says which stub it was.
 * tal_ktrap_record (C) records the trap and returns the saved stack
 * pointer; from there tal_kenter's epilogue returns to its caller.  The
 * fuel trap may instead give the module its next slice of fuel and
 * return to it (tal_ktrap_fuel, below).
 *
 * The trap entries are exported from talshim_main.c (so that they get
 * symbol versions).  Not run through objtool (kernel-shim/Makefile): tal_ktrap_common jumps
 * into tal_kenter's epilogue on another frame, which objtool's stack
 * validation cannot follow.
 */
#include <linux/linkage.h>
#include <asm/nospec-branch.h>
#include <asm/percpu.h>
#include <asm/processor-flags.h>
#include "talshim_uapi.h"

	.text

/* long tal_kenter(void *entry, const u64 regs[6], struct tal_inv *inv) */
SYM_FUNC_START(tal_kenter)
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, (%rdx)		/* inv->sp */
	leaq	-(8 + TAL_STACK_BUDGET)(%rsp), %rax	/* rsp at the entry, less the budget */
	movq	%rax, TAL_INV_LIMIT(%rdx)	/* inv->ctx.stack_limit */
	movq	%rdi, %r11
	movq	(%rsi), %rdi
	movq	16(%rsi), %rdx
	movq	24(%rsi), %rcx
	movq	32(%rsi), %r8
	movq	40(%rsi), %r9
	movq	8(%rsi), %rsi
	CALL_NOSPEC r11
.Ltal_kenter_out:
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	RET

/* rdi: the trap's kind; the module's stub's return address on the stack. */
tal_ktrap_common:
	movq	(%rsp), %rsi
	call	tal_ktrap_record
	movq	%rax, %rsp
	xorl	%eax, %eax
	jmp	.Ltal_kenter_out
SYM_FUNC_END(tal_kenter)

/*
 * tal_getpid, as the carrier's fixed stub reaches it: task_tgid_vnr(current)
 * with no frame of its own, so __task_pid_nr_ns returns straight to the
 * module (PIDTYPE_TGID is 1).
 */
SYM_FUNC_START(tal_ksvc_getpid_fast)
	movq	PER_CPU_VAR(current_task), %rdi
	movl	$1, %esi
	xorl	%edx, %edx
	jmp	__task_pid_nr_ns
SYM_FUNC_END(tal_ksvc_getpid_fast)

/*
 * void tal_kraise(int kind): a service (C) ends the invocation with a trap
 * of that kind (no jump site); the C frames above are dropped.
 */
SYM_FUNC_START(tal_kraise)
	xorl	%esi, %esi
	call	tal_ktrap_record
	movq	%rax, %rsp
	xorl	%eax, %eax
	jmp	.Ltal_kenter_out
SYM_FUNC_END(tal_kraise)

.macro TRAP name kind
SYM_FUNC_START(tal_ktrap_\name)
	movl	$\kind, %edi
	jmp	tal_ktrap_common
SYM_FUNC_END(tal_ktrap_\name)
.endm

	TRAP bounds, TAL_TRAP_BOUNDS
	TRAP stack, TAL_TRAP_STACK
	TRAP null, TAL_TRAP_NULL
	TRAP div, TAL_TRAP_DIV

/*
 * The fuel trap: the module ran out of a slice of its fuel.  Its registers
 * and flags are all live (the jb's path not taken goes on with them), so
 * they are kept across tal_ktrap_refuel (C), which gives back where the
 * module goes on with the next slice (after the jb, in place of the stub's
 * return address), or 0: then it is the trap.  Going on, CF is clear, as
 * on the jb's path not taken.
 */
SYM_FUNC_START(tal_ktrap_fuel)
	pushfq
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	movq	80(%rsp), %rdi		/* the stub's return address */
	call	tal_ktrap_refuel
	testq	%rax, %rax
	jz	1f
	movq	%rax, 80(%rsp)
	andq	$~X86_EFLAGS_CF, 72(%rsp)
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rax
	popfq
	RET
1:	addq	$80, %rsp
	movl	$TAL_TRAP_FUEL, %edi
	jmp	tal_ktrap_common
SYM_FUNC_END(tal_ktrap_fuel)

