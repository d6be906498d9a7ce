/*
** talrt.h - the user-space host: load signed modules and run them.
**
**   runtime (trust, limits) -> module (verified signature, image mapped
**   read-execute, shared) -> instance (data, stack, memory quota) -> call
**
** A module is loaded only if its signature is valid, made by a trusted
** certificate, and vouches that talcheck verified it against this host's
** interface (runtime/tal_host.tali, built into the library).  Calls run at
** native speed on the instance's own stack; host services are direct calls
** through the module's stubs.  A run-time check that fails in the module,
** a division error, the stack limit or the memory quota ends the call
** with a trap: its kind and where it was taken (code offset, source
** file:line from the module's line table).  Nothing verified code does can
** crash the host process.
**
** Several modules and instances may be live at once.  An instance runs
** one call at a time: a call made while another runs on it, from any
** thread, is refused (TALRT_EBUSY) before it touches the instance; calls
** on different threads into different instances are independent.
*/
#ifndef TAL_TALRT_H
#define TAL_TALRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TALRT_API __attribute__((visibility("default")))

typedef struct TalRuntime TalRuntime;
typedef struct TalMod TalMod;
typedef struct TalInstance TalInstance;

/* Why a load, an instantiation or a call failed: distinct codes. */
enum {
	TALRT_OK = 0,
	TALRT_EIO = 10,         /* cannot read the file                             */
	TALRT_EUNSIGNED,        /* no signature                                      */
	TALRT_ETAMPERED,        /* the signature does not match the bytes            */
	TALRT_EUNTRUSTED,       /* signed by a key this runtime does not trust       */
	TALRT_EINTERFACE,       /* verified against another host interface           */
	TALRT_EMALFORMED,       /* not a well-formed module                          */
	TALRT_ESERVICE,         /* imports a service this host does not provide      */
	TALRT_ENOEXPORT,        /* no export of that name                            */
	TALRT_EARGS,            /* wrong number or kinds of arguments                */
	TALRT_ETYPE,            /* an export whose type a host cannot call           */
	TALRT_ENOMEM,           /* the host is out of memory or address space        */
	TALRT_EBUSY             /* the instance is already running a call            */
};

/* The trap that ended a call (0: none, the call returned). */
enum {
	TALRT_TRAP_NONE = 0,
	TALRT_TRAP_BOUNDS,      /* a bounds check jumped to tal_trap_bounds          */
	TALRT_TRAP_NULL,        /* a null check jumped to tal_trap_null               */
	TALRT_TRAP_DIV,         /* a divisor of 0 or a quotient too large (the CPU's
	                           fault), or a tal_trap_div check                  */
	TALRT_TRAP_STACK,       /* the stack limit: a check, or the guard page        */
	TALRT_TRAP_QUOTA,       /* the instance's memory quota is used up             */
	TALRT_TRAP_FAULT        /* any other fault inside the module                  */
};

typedef struct TalError { int code; char msg[256]; } TalError;

/* Limits of an instance (0: the default; at most 1 TiB each, or
   talrt_instantiate fails with TALRT_ENOMEM). */
typedef struct TalLimits {
	size_t stack_size;      /* bytes of stack (default 1 MiB), plus guard pages   */
	size_t memory_quota;    /* bytes tal_alloc_* may hand out (default 64 MiB)    */
	int out_fd;             /* where tal_write writes (default 1)                 */
	/* For testing a verifier: each tal_alloc_* block ends against an
	   inaccessible page (it then takes at least two pages of address
	   space), so that an access past its end faults at once
	   (TALRT_TRAP_FAULT) instead of landing in the next block. */
	int guard_blocks;
} TalLimits;

/*
** An argument or result.  An export's type decides what it takes, in the
** order of its registers (rdi, rsi, rdx, rcx, r8, r9): the host passes the
** context itself where the type says `ctx`; an array `*[t p; n]` takes a
** buffer, and the register of type S(n) gets its length; any other integer
** type takes an integer.
*/
enum { TALV_INT = 1, TALV_BYTES, TALV_WORDS };
typedef struct TalValue {
	int kind;
	int64_t i;              /* TALV_INT                                         */
	void *p; size_t n;      /* TALV_BYTES: n bytes; TALV_WORDS: n 64-bit words   */
} TalValue;

/* What a call produced: rax, or the trap. */
typedef struct TalResult {
	int64_t value;
	int trap;               /* TALRT_TRAP_*                                     */
	uint32_t offset;        /* code offset where the trap was taken             */
	const char *file;       /* its source position, if the line table has it    */
	uint32_t line, col;
} TalResult;

/* One parameter of an export, as the host sees it. */
enum { TALP_CTX = 1, TALP_INT, TALP_LEN, TALP_BYTES, TALP_WORDS };
typedef struct TalParam {
	int kind;               /* TALP_*                                           */
	int reg;                /* 0..5: rdi, rsi, rdx, rcx, r8, r9                  */
	int writable;           /* TALP_BYTES/WORDS: the array is rw                 */
	int len_of;             /* TALP_LEN: index of the array parameter whose
	                           length it gets, or of the earlier size (TALP_INT,
	                           48 bits) of the same variable whose value       */
	int bits;               /* TALP_INT: 8, 16, 32 or 64 bits; 48 for a size    */
} TalParam;

TALRT_API TalRuntime *talrt_new(TalError *err);
TALRT_API void talrt_free(TalRuntime *rt);
/* Trust the certificates in a PEM file. */
TALRT_API int talrt_trust(TalRuntime *rt, const char *cert_pem_path, TalError *err);
/* The SHA-256 digest of this host's interface (what signatures must name). */
TALRT_API const uint8_t *talrt_interface_digest(const TalRuntime *rt);

/* Load a signed module from a file or from memory (copied). */
TALRT_API TalMod *talrt_load(TalRuntime *rt, const char *path, TalError *err);
TALRT_API TalMod *talrt_load_mem(TalRuntime *rt, const void *bytes, size_t len, TalError *err);
/* Unload: every instance of it must be gone. */
TALRT_API void talrt_unload(TalMod *m);

/* The exports and what they take. */
TALRT_API int talrt_export_count(const TalMod *m);
TALRT_API const char *talrt_export_name(const TalMod *m, int i);
TALRT_API int talrt_find_export(const TalMod *m, const char *name);
/* The parameters of export i (at most 6), or -1 with err if a host cannot call it. */
TALRT_API int talrt_export_params(const TalMod *m, int i, TalParam *params, TalError *err);

TALRT_API TalInstance *talrt_instantiate(TalMod *m, const TalLimits *lim, TalError *err);
TALRT_API void talrt_destroy(TalInstance *in);

/*
** Call export i with the arguments its type asks for (the context and the
** lengths are filled in: args lists only the TALP_INT, TALP_BYTES and
** TALP_WORDS parameters, in order).  0 when the call ran (res says whether
** it returned or trapped), or an error code with err before anything ran.
*/
TALRT_API int talrt_call(TalInstance *in, int export, const TalValue *args, int nargs, TalResult *res, TalError *err);

/* A trap's name ("bounds", "stack", ...). */
TALRT_API const char *talrt_trap_name(int trap);

#ifdef __cplusplus
}
#endif
#endif
