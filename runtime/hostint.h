/*
** hostint.h - the user-space host's insides, shared by its files
** (host.c: runtime and loading; params.c: export types; call.c:
** instances, calls and traps; services.c: the host services).
*/
#ifndef TAL_HOSTINT_H
#define TAL_HOSTINT_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include "module.h"
#include "talrt.h"
#include "types.h"

typedef struct TalTrust TalTrust;
struct Service;

struct TalRuntime {
	TalTrust *trust;
	uint8_t digest[32];
};

struct TalMod {
	TalRuntime *rt;
	uint8_t *bytes;                 /* the signed file                        */
	TalModule mod;                  /* its header (pointing into bytes)       */
	const struct Service **svc;     /* by import                              */
	int *trap;                      /* by import: TALRT_TRAP_* of a trap, or 0 */
	uint8_t *image; size_t image_len;   /* between two inaccessible pages (map_image) */
	TyTable t;                      /* the module's types, for parameters     */
	struct ExportParams { int n; TalParam p[6]; TalError err; } *params;   /* by export, at load */
	LineTable lt;                   /* for trap positions                     */
	int ninst;                      /* live instances (atomic)                */
};

/* The context verified code sees (ctx in tal_host.tali): keep in step. */
typedef struct TalCtx { uintptr_t stack_limit; } TalCtx;

enum { TALRT_MAX_DIRS = 256 };

struct TalInstance {
	TalCtx ctx;                     /* first: services find the instance from it */
	TalMod *mod;
	uint8_t *stack; size_t stack_len, guard;   /* guard pages at both ends      */
	uint8_t *heap; size_t heap_len, heap_used; /* the quota's pages, reserved up front */
	size_t quota;                   /* TalLimits.memory_quota: heap_used stays within it */
	int guarded;                    /* TalLimits.guard_blocks: heap_map bytes reserved, */
	size_t heap_map, heap_next;     /* none accessible until a block is placed at heap_next */
	uint8_t *data;                  /* data template copy + BSS                */
	int out_fd;
	int busy;
	int64_t pid;                    /* tal_getpid: the host's, read once      */
	void *dirs[TALRT_MAX_DIRS];     /* DIR * by handle                          */
	uint32_t dirgen[TALRT_MAX_DIRS];
	uint8_t dirlast[TALRT_MAX_DIRS][256];  /* name of the last entry read      */
};

/* The call running on this thread. */
typedef struct TalCall {
	TalInstance *in;
	int64_t pid;                    /* tal_getpid's answer, at offset 8 (enter.S) */
	uintptr_t host_sp;              /* tal_enter's rsp on the host stack, at offset 16 (enter.S) */
	sigjmp_buf jb;
	int trap;
	uintptr_t pc;                   /* where it was taken, if known            */
} TalCall;
_Static_assert(offsetof(TalCall, pid) == 8 && offsetof(TalCall, host_sp) == 16, "enter.S reads TalCall at these offsets");

/* Fill *e (if any) with code and a message; returns code. */
int talrt_fail(TalError *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

extern __thread TalCall *talrt_current __attribute__((tls_model("initial-exec")));
/* End the current call with a trap (from a service or a handler). */
_Noreturn void talrt_raise(int trap, uintptr_t pc);

/* The interface built in (generated). */
extern const unsigned char tal_host_iface[];
extern const size_t tal_host_iface_len;

void talrt_close_dirs(TalInstance *in);
void talrt_analyse_exports(TalMod *m);

/* The entry trampoline (enter.S). */
int64_t tal_enter(void *entry, const uint64_t regs[6], void *stack_top);

#endif
