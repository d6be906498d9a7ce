/* SPDX-License-Identifier: GPL-2.0 */
/*
 * carrier_text.S - the carrier's placeholders (layout: talshim_uapi.h).
 *
 * .tal.text is read-execute once loaded: the fixed stubs, one 16-byte
 * `jmp rel32` per import of kernel-shim/tal_kernel.tali in its order (the
 * module loader relocates them: direct jumps into talshim.ko), tal_getpid's
 * body (its jump to __task_pid_nr_ns relocated likewise), then int3 up to
 * TAL_KSTUB_AREA, then the image placeholder.  talload writes the
 * module's image there with its stubs set to direct branches to the fixed
 * stubs (same section, so no relocation), the signed file into
 * .tal.signed and the lengths into .tal.lens.  Not run through objtool:
 * this is data for the shim to check, not code the kernel runs as such.
 */
#include "talshim_uapi.h"

.macro FIXED_STUB sym
	.byte	0xe9
	.long	\sym - . - 4
	.fill	11, 1, 0xcc
.endm

	.section .tal.text, "ax", @progbits
	.balign	4096
	.globl	tal_carrier_text
tal_carrier_text:
	FIXED_STUB tal_ktrap_bounds
	FIXED_STUB tal_ktrap_stack
	FIXED_STUB tal_ktrap_null
	FIXED_STUB tal_ktrap_div
	FIXED_STUB tal_ktrap_fuel
	FIXED_STUB tal_ksvc_getpid_fast
	FIXED_STUB tal_ksvc_clock
	FIXED_STUB tal_ksvc_log
	FIXED_STUB tal_ksvc_buf_len
	FIXED_STUB tal_ksvc_copy_in
	FIXED_STUB tal_ksvc_copy_out
	FIXED_STUB tal_ksvc_alloc_bytes
	FIXED_STUB tal_ksvc_dir_open
	FIXED_STUB tal_ksvc_dir_read
	FIXED_STUB tal_ksvc_dir_enter
	FIXED_STUB tal_ksvc_dir_close
	.fill	TAL_KGETPID_OFF - (. - tal_carrier_text), 1, 0xcc
	/* tal_getpid's body (talshim_uapi.h): task_tgid_vnr(current) */
	movq	%gs:current_task, %rdi
	movl	$1, %esi
	xorl	%edx, %edx
	.byte	0xe9				/* jmp rel32, never relaxed */
	.long	__task_pid_nr_ns - . - 4
	.if	. - tal_carrier_text - TAL_KGETPID_OFF - TAL_KGETPID_SIZE
	.error	"tal_getpid's body is not TAL_KGETPID_SIZE bytes"
	.endif
	.fill	TAL_KSTUB_AREA - (. - tal_carrier_text), 1, 0xcc
	.fill	TAL_CARRIER_IMAGE_MAX, 1, 0xcc

	.section .tal.signed, "a", @progbits
	.balign	64
	.globl	tal_carrier_signed
tal_carrier_signed:
	.fill	TAL_CARRIER_SIGNED_MAX, 1, 0

	.section .tal.lens, "aw", @progbits
	.balign	16
	.globl	tal_carrier_lens
tal_carrier_lens:
	.long	0, 0, 0, 0
