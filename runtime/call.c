/*
** call.c - instances, calls, and the traps that end them.
**
** An instance owns a stack (a guard page below it, and one above, where a
** read past the first frame would go), a memory quota (reserved address
** space, zero pages until used) and a copy of the data template.  A call
** switches to the instance's stack; a trap - a stub of a tal_trap_*
** service, a service that gives up (quota), or a hardware fault in the
** module (a division error, the stack's guard page) - unwinds to
** talrt_call with siglongjmp and is reported with where it was taken.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "hostint.h"

__thread TalCall *talrt_current __attribute__((tls_model("initial-exec")));
_Static_assert(offsetof(TalCall, pid) == 8, "enter.S reads TalCall.pid at offset 8");

enum {
	DEFAULT_STACK = 1 << 20,
	DEFAULT_QUOTA = 64 << 20,
	/* below ctx.stack_limit: what a run-time stack check promises the
	   code (the verifier's STACK_GUARD), and room for the C services */
	CHECK_RESERVE = 8192,
	SERVICE_RESERVE = 16384,
	ALT_STACK = 64 << 10
};
/* The most address space guard_blocks reserves (none of it memory until used). */
#define GUARD_MAP_MAX ((size_t)64 << 30)
/* The largest stack_size and memory_quota: 1 TiB each, so that rounding
   them up to pages and adding guard pages cannot wrap. */
#define LIMIT_MAX ((size_t)1 << 40)

/* ---- instances ---- */

TalInstance *talrt_instantiate(TalMod *m, const TalLimits *lim, TalError *err)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t stack = lim && lim->stack_size ? lim->stack_size : DEFAULT_STACK;
	size_t quota = lim && lim->memory_quota ? lim->memory_quota : DEFAULT_QUOTA;
	if (stack > LIMIT_MAX || quota > LIMIT_MAX) {
		talrt_fail(err, TALRT_ENOMEM, "%s of %zu bytes is more than an instance may have (1 TiB)",
		           stack > LIMIT_MAX ? "stack_size" : "memory_quota", stack > LIMIT_MAX ? stack : quota);
		return NULL;
	}
	stack = (stack + page - 1) / page * page;
	if (stack < CHECK_RESERVE + SERVICE_RESERVE + page) stack = (CHECK_RESERVE + SERVICE_RESERVE + page + page - 1) / page * page;
	TalInstance *in = calloc(1, sizeof *in);
	if (!in) { talrt_fail(err, TALRT_ENOMEM, "out of memory"); return NULL; }
	in->mod = m;
	in->out_fd = lim && lim->out_fd > 0 ? lim->out_fd : 1;
	in->guard = page;
	in->stack_len = stack + 2 * page;
	in->stack = mmap(NULL, in->stack_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	in->quota = quota;
	in->heap_len = (quota + page - 1) / page * page;
	in->heap_map = in->heap_len;
	in->guarded = lim && lim->guard_blocks;
	if (in->guarded) {
		/* a block of n bytes takes n / page + 2 pages at most, and blocks take 16 bytes
		   of the quota at least; past GUARD_MAP_MAX, running out is the quota trap
		   (no wrap: heap_len is at most LIMIT_MAX) */
		size_t want = in->heap_len + 2 * (in->heap_len / 16 + 1) * page;
		in->heap_map = want < GUARD_MAP_MAX ? want : GUARD_MAP_MAX;
		if (in->heap_map < in->heap_len + 2 * page) in->heap_map = in->heap_len + 2 * page;
	}
	in->heap = mmap(NULL, in->heap_map, in->guarded ? PROT_NONE : PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	in->data = calloc(1, (size_t)m->mod.data_size + m->mod.bss_size + 1);
	if (in->stack == MAP_FAILED || in->heap == MAP_FAILED || !in->data || mprotect(in->stack, page, PROT_NONE) != 0 ||
	    mprotect(in->stack + in->stack_len - page, page, PROT_NONE) != 0) {
		if (in->stack != MAP_FAILED) munmap(in->stack, in->stack_len);
		if (in->heap != MAP_FAILED) munmap(in->heap, in->heap_map);
		free(in->data);
		free(in);
		talrt_fail(err, TALRT_ENOMEM, "cannot map an instance: %s", strerror(errno));
		return NULL;
	}
	memcpy(in->data, m->bytes + m->mod.data_off, m->mod.data_size);
	in->ctx.stack_limit = (uintptr_t)in->stack + page + CHECK_RESERVE + SERVICE_RESERVE;
	in->pid = getpid();
	__atomic_fetch_add(&m->ninst, 1, __ATOMIC_RELAXED);
	return in;
}

void talrt_destroy(TalInstance *in)
{
	if (!in) return;
	if (__atomic_load_n(&in->busy, __ATOMIC_ACQUIRE)) abort();   /* a host bug: destroying an instance in a call */
	talrt_close_dirs(in);
	munmap(in->stack, in->stack_len);
	munmap(in->heap, in->heap_map);
	free(in->data);
	__atomic_fetch_sub(&in->mod->ninst, 1, __ATOMIC_RELAXED);
	free(in);
}

/* ---- traps ---- */

_Noreturn void talrt_raise(int trap, uintptr_t pc)
{
	TalCall *c = talrt_current;
	if (!c) abort();   /* a service outside a call: a host bug */
	c->trap = trap;
	c->pc = pc;
	siglongjmp(c->jb, 1);
}

/* From a trap stub (enter.S): its return address says which stub, so which jump. */
_Noreturn void talrt_trap_from_stub(uintptr_t ret)
{
	TalCall *c = talrt_current;
	if (!c) abort();
	TalMod *m = c->in->mod;
	uintptr_t stubs = (uintptr_t)m->image + m->mod.stubs_off, at = ret - 6;
	uint32_t i = (uint32_t)((at - stubs) / TALMOD_STUB_SIZE);
	if (at < stubs || i >= m->mod.nimports) talrt_raise(TALRT_TRAP_FAULT, 0);
	uint32_t site = talmod_import_site(&m->mod, i);
	talrt_raise(m->trap[i] ? m->trap[i] : TALRT_TRAP_FAULT, site == TALMOD_NO_SITE ? 0 : (uintptr_t)m->image + site);
}

static struct sigaction old_segv, old_bus, old_fpe, old_ill, old_trap;

static struct sigaction *old_action(int sig)
{
	switch (sig) {
	case SIGSEGV: return &old_segv;
	case SIGBUS: return &old_bus;
	case SIGFPE: return &old_fpe;
	case SIGILL: return &old_ill;
	default: return &old_trap;
	}
}

/*
** A fault during a call: in the module's image or its stack's guard page
** it is a trap of the call; anything else is the host's own, and gets
** whatever handling it had before.
*/
static void on_fault(int sig, siginfo_t *si, void *ucv)
{
	TalCall *c = talrt_current;
	ucontext_t *uc = ucv;
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP], sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
	if (c) {
		TalInstance *in = c->in;
		uintptr_t img = (uintptr_t)in->mod->image, g = (uintptr_t)in->stack, addr = (uintptr_t)si->si_addr;
		int in_image = pc >= img && pc < img + in->mod->image_len;
		int guard = (addr >= g && addr < g + in->guard) || (sp >= g - 4096 && sp < g + in->guard + 64);
		if (sig == SIGSEGV && guard) talrt_raise(TALRT_TRAP_STACK, in_image ? pc : 0);
		if (sig == SIGFPE && in_image) talrt_raise(TALRT_TRAP_DIV, pc);
		if (in_image) talrt_raise(TALRT_TRAP_FAULT, pc);
	}
	struct sigaction *o = old_action(sig);
	if (o->sa_flags & SA_SIGINFO && o->sa_sigaction) { o->sa_sigaction(sig, si, ucv); return; }
	if (o->sa_handler != SIG_DFL && o->sa_handler != SIG_IGN) { o->sa_handler(sig); return; }
	signal(sig, SIG_DFL);   /* returning re-runs the fault, which now ends the process */
}

static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

static void install_handlers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGFPE, &sa, &old_fpe);
	sigaction(SIGILL, &sa, &old_ill);
	sigaction(SIGTRAP, &sa, &old_trap);
}

/*
** Faults on the instance stack need another stack to be handled on: the
** thread's own when it has one of ALT_STACK bytes or more, else one the
** library maps, and gives back when the thread ends (alt_key).
*/
static __thread void *alt_stack;
static __thread stack_t alt_old;   /* the thread's own before, too small: given back at its end */
static pthread_key_t alt_key;
static int alt_key_ok;

static void alt_stack_free(void *p)
{
	stack_t cur;
	if (sigaltstack(NULL, &cur) == 0 && cur.ss_sp == p && sigaltstack(&alt_old, NULL) != 0) return;   /* (in use: kept) */
	munmap(p, ALT_STACK);
}

static void alt_key_make(void)
{
	alt_key_ok = pthread_key_create(&alt_key, alt_stack_free) == 0;
}

static int thread_setup(TalError *err)
{
	static pthread_once_t key_once = PTHREAD_ONCE_INIT;
	pthread_once(&handlers_once, install_handlers);
	pthread_once(&key_once, alt_key_make);
	if (alt_stack) return 0;
	stack_t ss, old;
	if (sigaltstack(NULL, &old) != 0) old = (stack_t){ .ss_flags = SS_DISABLE };
	if (!(old.ss_flags & SS_DISABLE) && old.ss_size >= ALT_STACK) {
		alt_stack = old.ss_sp;   /* the host's own: big enough */
		return 0;
	}
	alt_old = old.ss_flags & SS_DISABLE ? (stack_t){ .ss_flags = SS_DISABLE } : old;
	alt_stack = mmap(NULL, ALT_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (alt_stack == MAP_FAILED) { alt_stack = NULL; return talrt_fail(err, TALRT_ENOMEM, "cannot map a signal stack"); }
	ss.ss_sp = alt_stack;
	ss.ss_size = ALT_STACK;
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL) != 0) {
		munmap(alt_stack, ALT_STACK);
		alt_stack = NULL;
		return talrt_fail(err, TALRT_ENOMEM, "sigaltstack: %s", strerror(errno));
	}
	if (alt_key_ok) pthread_setspecific(alt_key, alt_stack);   /* given back when the thread ends */
	return 0;
}

/* ---- calls ---- */

/* The registers for a call, from the caller's arguments and the export's type. */
static int marshal(TalInstance *in, const TalParam *p, int np, const TalValue *args, int nargs, uint64_t regs[6], TalError *err)
{
	int a = 0;
	size_t len[6] = { 0 };
	for (int i = 0; i < np; i++) {
		if (p[i].kind == TALP_CTX) { regs[p[i].reg] = (uint64_t)(uintptr_t)&in->ctx; continue; }
		if (p[i].kind == TALP_LEN) continue;
		if (a >= nargs) return talrt_fail(err, TALRT_EARGS, "too few arguments: the export takes more than %d", nargs);
		const TalValue *v = &args[a++];
		if (p[i].kind == TALP_INT) {
			if (v->kind != TALV_INT) return talrt_fail(err, TALRT_EARGS, "argument %d must be an integer", a);
			uint64_t x = (uint64_t)v->i;
			if (p[i].bits < 64 && (p[i].bits == 48 ? v->i < 0 || x >= (UINT64_C(1) << 48) : x >> p[i].bits))
				return talrt_fail(err, TALRT_EARGS, "argument %d (%lld) does not fit in %d bits%s", a, (long long)v->i, p[i].bits,
				            p[i].bits == 48 ? " (a size)" : "");
			regs[p[i].reg] = x;
			len[i] = (size_t)x;   /* a size: a later S(n) of the same n copies it */
			continue;
		}
		int want = p[i].kind == TALP_BYTES ? TALV_BYTES : TALV_WORDS;
		if (v->kind != want) return talrt_fail(err, TALRT_EARGS, "argument %d must be an array of %s", a, want == TALV_BYTES ? "bytes" : "64-bit words");
		if (v->n >= (UINT64_C(1) << 40) || (!v->p && v->n)) return talrt_fail(err, TALRT_EARGS, "argument %d: a bad buffer", a);
		regs[p[i].reg] = (uint64_t)(uintptr_t)v->p;
		len[i] = v->n;
		for (int j = 0; j < i; j++)
			if ((p[j].kind == TALP_BYTES || p[j].kind == TALP_WORDS) && p[j].len_of == p[i].len_of && len[j] != len[i])
				return talrt_fail(err, TALRT_EARGS, "arguments of the same length variable have different lengths");
	}
	if (a != nargs) return talrt_fail(err, TALRT_EARGS, "too many arguments: the export takes %d", a);
	for (int i = 0; i < np; i++)
		if (p[i].kind == TALP_LEN) regs[p[i].reg] = len[p[i].len_of];
	return 0;
}

static void trap_position(TalMod *m, uintptr_t pc, TalResult *res)
{
	uintptr_t img = (uintptr_t)m->image;
	if (!pc || pc < img || pc - img >= m->mod.text_size) { res->offset = UINT32_MAX; return; }
	res->offset = (uint32_t)(pc - img);
	const LineRow *r = lt_find(&m->lt, res->offset);
	if (r && r->file < m->lt.nfile) {
		res->file = m->lt.file[r->file];
		res->line = r->line;
		res->col = r->col;
	}
}

int talrt_call(TalInstance *in, int export, const TalValue *args, int nargs, TalResult *res, TalError *err)
{
	TalParam p[6];
	uint64_t regs[6] = { 0 };
	memset(res, 0, sizeof *res);
	/* the instance is claimed at once, atomically: two threads that both
	   found it free would run on one stack, each overwriting the other's
	   return addresses with what it pushes */
	int free_ = 0;
	if (talrt_current || !__atomic_compare_exchange_n(&in->busy, &free_, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return talrt_fail(err, TALRT_EBUSY, "a call is already running on this instance or thread");
	int rc = 0, np = talrt_export_params(in->mod, export, p, err);
	if (np < 0) rc = err ? err->code : TALRT_ETYPE;
	else if (marshal(in, p, np, args, nargs, regs, err) != 0 || thread_setup(err) != 0) rc = err ? err->code : TALRT_EARGS;
	if (rc) {
		__atomic_store_n(&in->busy, 0, __ATOMIC_RELEASE);
		return rc;
	}
	void *entry = in->mod->image + talmod_export_offset(&in->mod->mod, (uint32_t)export);
	void *top = in->stack + in->stack_len - in->guard;
	TalCall c = { .in = in, .pid = in->pid };
	talrt_current = &c;
	/* no mask to save: the handlers run with SA_NODEFER, so none is changed */
	if (sigsetjmp(c.jb, 0) == 0) {
		res->value = tal_enter(entry, regs, top);
	} else {
		res->trap = c.trap;
		trap_position(in->mod, c.pc, res);
	}
	talrt_current = NULL;
	__atomic_store_n(&in->busy, 0, __ATOMIC_RELEASE);
	return 0;
}
