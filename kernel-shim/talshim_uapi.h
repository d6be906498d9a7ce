/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * talshim_uapi.h - the /dev/tal interface, shared by talshim.ko and talload,
 * and the layout the carrier and talload agree on.
 */
#ifndef TALSHIM_UAPI_H
#define TALSHIM_UAPI_H

#ifndef __ASSEMBLY__
#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/ioctl.h>
#else
#include <linux/types.h>
#include <sys/ioctl.h>
#endif
#endif

#define TAL_NAME_MAX	48	/* a loaded module's name, with its NUL */
#define TAL_EXPORT_MAX	64	/* an export's name, with its NUL */
#define TAL_MAX_ARGS	5	/* integer arguments after the context */

/* Traps an invocation can end with (tal_invoke.trap). */
#define TAL_TRAP_NONE	0
#define TAL_TRAP_BOUNDS	1
#define TAL_TRAP_STACK	2
#define TAL_TRAP_NULL	3
#define TAL_TRAP_DIV	4
#define TAL_TRAP_FUEL	5
#define TAL_TRAP_QUOTA	6
#define TAL_MAX_BUFS	4		/* buffers of one invocation */
#define TAL_BUFS_MAX	(1 << 20)	/* their bytes in all */
#define TAL_NO_OFFSET	0xffffffffu

#ifndef __ASSEMBLY__

/* TAL_IOC_INVOKE: call export `export` of loaded module `module`. */
struct tal_invoke {
	char module[TAL_NAME_MAX];
	char export[TAL_EXPORT_MAX];
	__u32 nargs;			/* 0 to TAL_MAX_ARGS */
	__u32 pad;			/* 0 */
	__s64 args[TAL_MAX_ARGS];	/* rsi, rdx, rcx, r8, r9 (rdi: the context) */
	/* out: */
	__s64 result;			/* rax, when trap is TAL_TRAP_NONE */
	__s32 trap;			/* TAL_TRAP_* */
	__u32 offset;			/* code offset of the trapping jump, or TAL_NO_OFFSET */
	__u32 line, col;		/* its source position, when the line table has it */
	char file[64];			/* the source file's name ("" if not): its last 63 bytes */
};

/*
 * TAL_IOC_INVOKE_BUF: the same with up to TAL_MAX_BUFS buffers of the
 * caller, copied in before the call; those whose bit is set in `writable`
 * are copied back after a call that returned.
 */
struct tal_invoke_buf {
	struct tal_invoke call;
	__u32 nbufs;
	__u32 writable;
	__u64 ptr[TAL_MAX_BUFS];	/* user pointers */
	__u32 len[TAL_MAX_BUFS];
};

/* TAL_IOC_LIST: the index-th loaded module (-ENOENT past the last). */
struct tal_list {
	__u32 index;
	__u32 nexports;
	__u32 invocations;		/* running now */
	__u32 image_size;
	char name[TAL_NAME_MAX];
};

/* TAL_IOC_ADD_CERT: an X.509 certificate (DER) for the shim's keyring. */
struct tal_cert {
	__u64 data;			/* user pointer */
	__u32 len;
	__s32 serial;			/* out: the key's serial number */
};

#define TAL_IOC_MAGIC		'T'
#define TAL_IOC_ADD_CERT	_IOWR(TAL_IOC_MAGIC, 1, struct tal_cert)
#define TAL_IOC_INVOKE		_IOWR(TAL_IOC_MAGIC, 2, struct tal_invoke)
#define TAL_IOC_LIST		_IOWR(TAL_IOC_MAGIC, 3, struct tal_list)
#define TAL_IOC_INVOKE_BUF	_IOWR(TAL_IOC_MAGIC, 4, struct tal_invoke_buf)
#endif

/*
 * The carrier's layout.  Section .tal.text ("ax", page-aligned) holds
 * TAL_KSTUB_AREA bytes of stubs, then the image placeholder,
 * TAL_CARRIER_IMAGE_MAX bytes of int3.  The stub area is small, so that a
 * small module's code, its stubs and the fixed stubs share one page.  It
 * holds the fixed stubs (one 16-byte `jmp rel32` to the shim's service or
 * trap entry per import of tal_kernel.tali, in order), tal_getpid's body
 * at TAL_KGETPID_OFF, the entry trampolines from TAL_KENTRY_OFF, and int3
 * everywhere else.  Section .tal.signed ("a") holds the signed module file
 * (TAL_CARRIER_SIGNED_MAX bytes); section .tal.lens ("aw") holds
 * struct tal_carrier_lens.  The loaded module's name is the carrier's
 * kernel module name without its TAL_CARRIER_PREFIX.
 */
#define TAL_KSTUB_AREA		1024
/*
 * tal_getpid, the one service short enough to be a stub: the body of
 * task_tgid_vnr(current),
 *     mov rdi, gs:[current_task]; mov esi, 1; xor edx, edx; jmp __task_pid_nr_ns
 * (21 bytes, relocated by the module loader), which a module's tal_getpid
 * stub jumps to instead of the fixed stub: one jump fewer on the hottest
 * service, and __task_pid_nr_ns returns straight to the module.
 */
#define TAL_KGETPID_OFF		384
#define TAL_KGETPID_SIZE	21
/*
 * Entry trampolines, in the stub area from TAL_KENTRY_OFF: one 16-byte
 * `endbr64; jmp rel32 <export>` per export of the module, in the order of
 * its export table, written by talload and checked byte for byte by the
 * shim, which calls exports only through them (an indirect call that
 * lands on endbr64, as indirect-branch tracking wants; the jump into the
 * image is direct).
 */
#define TAL_KENTRY_OFF		512
#define TAL_KENTRY_SIZE		16
#define TAL_KENTRY_MAX		((TAL_KSTUB_AREA - TAL_KENTRY_OFF) / TAL_KENTRY_SIZE)
/*
 * The stack limit an invocation's context gives: TAL_STACK_BUDGET bytes
 * below the module's stack pointer at its entry point.  tal_kenter sets it
 * (at TAL_INV_LIMIT in struct tal_inv) from the stack pointer itself, so
 * rsp - limit at entry is the same at every call, wherever the kernel put
 * the call's frames in the task's stack: the stack check tells a module
 * how deep it is in its own frames and nothing more.
 */
#define TAL_STACK_BUDGET	2048
#define TAL_INV_LIMIT		8
#define TAL_CARRIER_IMAGE_MAX	(64 * 1024)
#define TAL_CARRIER_SIGNED_MAX	(256 * 1024)
#define TAL_CARRIER_FILLED	0x444c4946u	/* "FILD": talload wrote it */
#define TAL_CARRIER_PREFIX	"tal_"

#ifndef __ASSEMBLY__
struct tal_carrier_lens {
	__u32 filled;			/* TAL_CARRIER_FILLED once talload wrote it */
	__u32 image_len;		/* bytes of the image in the placeholder */
	__u32 signed_len;		/* bytes of the signed file */
	__u32 pad;
};

/*
 * Where a module's stub for the kernel interface's service k jumps, as an
 * offset into .tal.text: tal_getpid's body, or fixed stub k.  talload
 * writes these jumps and the shim checks them with this one rule.
 */
static inline __u32 tal_kstub_dest(int k, int is_getpid)
{
	return is_getpid ? TAL_KGETPID_OFF : (__u32)k * 16;
}
#endif

#endif
