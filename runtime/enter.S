/*
** enter.S - the host's side of the boundary with verified code.
**
** tal_enter switches to an instance's stack and calls an entry point; the
** service shims realign the stack (verified code keeps it 8-aligned only)
** and call the C service; the trap shim hands the stub's address to C,
** which ends the call (talrt_trap_from_stub never returns).
*/
	.intel_syntax noprefix
	.text

/*
** int64_t tal_enter(void *entry, const uint64_t regs[6], void *stack_top)
** Saves the callee-saved registers on the host stack and the host rsp in
** the running call's TalCall (talrt_current, thread-local: no module can
** write it), switches to the instance stack 16 bytes below its top (above
** the entry's frame: its type's abstract stack tail), loads rdi..r9 and
** calls the entry.  After the call, rsp comes back from the TalCall, not
** from anything on the instance stack: whatever the module left there,
** the host's frame is its own.  talrt_call runs one call a thread at a
** time (EBUSY), so one slot a thread is enough.
*/
	.set TALCALL_HOST_SP, 16        /* offsetof(TalCall, host_sp): hostint.h asserts it */
	.globl tal_enter
	.hidden tal_enter
	.type tal_enter, @function
tal_enter:
	.cfi_startproc
	endbr64
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	mov rax, qword ptr [rip + talrt_current@gottpoff]
	mov rax, qword ptr fs:[rax]
	mov qword ptr [rax + TALCALL_HOST_SP], rsp
	lea rsp, [rdx - 16]             /* aligned as before a C call */
	mov r11, rdi
	mov rdi, qword ptr [rsi]
	mov rdx, qword ptr [rsi + 16]
	mov rcx, qword ptr [rsi + 24]
	mov r8, qword ptr [rsi + 32]
	mov r9, qword ptr [rsi + 40]
	mov rsi, qword ptr [rsi + 8]
	call r11
	mov rcx, qword ptr [rip + talrt_current@gottpoff]
	mov rcx, qword ptr fs:[rcx]
	mov rsp, qword ptr [rcx + TALCALL_HOST_SP]
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret
	.cfi_endproc
	.size tal_enter, . - tal_enter

/*
** A service shim: C's stack alignment around the call, and the return
** address into the module in r8 (the services take at most 4 arguments),
** so that a service that traps can say where it was called from.
*/
	.macro SHIM name
	.globl talrt_shim_\name
	.hidden talrt_shim_\name
	.type talrt_shim_\name, @function
talrt_shim_\name:
	endbr64
	mov r8, qword ptr [rsp]
	push rbp
	mov rbp, rsp
	and rsp, -16
	call talrt_svc_\name
	leave
	ret
	.size talrt_shim_\name, . - talrt_shim_\name
	.endm

	SHIM clock
	SHIM write
	SHIM alloc_bytes
	SHIM alloc_words
	SHIM alloc_pair
	SHIM alloc_rec3
	SHIM alloc_rec4
	SHIM alloc_rec5
	SHIM alloc_rec6
	SHIM alloc_rec7
	SHIM alloc_rec8
	SHIM dir_open
	SHIM dir_read
	SHIM dir_name
	SHIM dir_enter
	SHIM dir_close

/*
** tal_getpid needs no C: the running call's TalCall (thread-local,
** initial-exec) holds the pid at offset 8.
*/
	.globl talrt_shim_getpid
	.hidden talrt_shim_getpid
	.type talrt_shim_getpid, @function
talrt_shim_getpid:
	endbr64
	mov rax, qword ptr [rip + talrt_current@gottpoff]
	mov rax, qword ptr fs:[rax]
	mov rax, qword ptr [rax + 8]
	ret
	.size talrt_shim_getpid, . - talrt_shim_getpid

/*
** A trap stub is `call [rip + 2]` to here: the return address is the stub's
** address + 6, which says which stub (and so which jump site) it was.
*/
	.globl talrt_trap_shim
	.hidden talrt_trap_shim
	.type talrt_trap_shim, @function
talrt_trap_shim:
	endbr64
	pop rdi
	and rsp, -16
	call talrt_trap_from_stub
	ud2
	.size talrt_trap_shim, . - talrt_trap_shim

	.section .note.GNU-stack, "", @progbits
