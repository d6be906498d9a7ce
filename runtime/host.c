/*
** host.c - the user-space host: load, instantiate, call, trap.
**
**   load: signature (talsig_verify, against this host's interface digest)
**         -> module header -> services by name -> image mapped RX, stubs
**   instance: context, stack with a guard page, memory quota
**   call: arguments from the export's type -> tal_enter -> result or trap
**
** The interface is built in (tal_host_iface.c, generated from
** runtime/tal_host.tali at build time): its digest is what signatures must
** name, and its imports are the services this host must provide; a
** service missing from the table below is an error at talrt_new.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "arena.h"
#include "hostint.h"
#include "readfile.h"
#include "sha256.h"
#include "talsign.h"
#include "tc.h"

/* ---- errors ---- */

int talrt_fail(TalError *e, int code, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		e->code = code;
		vsnprintf(e->msg, sizeof e->msg, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* ---- the service table ---- */

extern void talrt_shim_getpid(void), talrt_shim_clock(void), talrt_shim_write(void),
	talrt_shim_alloc_bytes(void), talrt_shim_alloc_words(void), talrt_shim_alloc_pair(void), talrt_shim_alloc_rec3(void),
	talrt_shim_alloc_rec4(void), talrt_shim_alloc_rec5(void), talrt_shim_alloc_rec6(void), talrt_shim_alloc_rec7(void),
	talrt_shim_alloc_rec8(void), talrt_shim_dir_open(void),
	talrt_shim_dir_read(void), talrt_shim_dir_name(void), talrt_shim_dir_enter(void),
	talrt_shim_dir_close(void), talrt_trap_shim(void);

/* What each service of the interface is here: code to call, or a trap. */
static const struct Service { const char *name; void (*fn)(void); int trap; } services[] = {
	{ "tal_trap_bounds", NULL, TALRT_TRAP_BOUNDS }, { "tal_trap_stack", NULL, TALRT_TRAP_STACK },
	{ "tal_trap_null", NULL, TALRT_TRAP_NULL }, { "tal_trap_div", NULL, TALRT_TRAP_DIV },
	{ "tal_getpid", talrt_shim_getpid, 0 }, { "tal_clock", talrt_shim_clock, 0 },
	{ "tal_write", talrt_shim_write, 0 }, { "tal_alloc_bytes", talrt_shim_alloc_bytes, 0 },
	{ "tal_alloc_words", talrt_shim_alloc_words, 0 }, { "tal_alloc_pair", talrt_shim_alloc_pair, 0 },
	{ "tal_alloc_rec3", talrt_shim_alloc_rec3, 0 }, { "tal_alloc_rec4", talrt_shim_alloc_rec4, 0 },
	{ "tal_alloc_rec5", talrt_shim_alloc_rec5, 0 }, { "tal_alloc_rec6", talrt_shim_alloc_rec6, 0 },
	{ "tal_alloc_rec7", talrt_shim_alloc_rec7, 0 }, { "tal_alloc_rec8", talrt_shim_alloc_rec8, 0 },
	{ "tal_dir_open", talrt_shim_dir_open, 0 },
	{ "tal_dir_read", talrt_shim_dir_read, 0 }, { "tal_dir_name", talrt_shim_dir_name, 0 },
	{ "tal_dir_enter", talrt_shim_dir_enter, 0 }, { "tal_dir_close", talrt_shim_dir_close, 0 },
};
enum { NSERVICES = sizeof services / sizeof services[0] };

static const struct Service *service(const char *name)
{
	for (int i = 0; i < NSERVICES; i++)
		if (strcmp(services[i].name, name) == 0) return &services[i];
	return NULL;
}

/* ---- the runtime ---- */

TalRuntime *talrt_new(TalError *err)
{
	TalRuntime *rt = calloc(1, sizeof *rt);
	char why[256];
	if (!rt || !(rt->trust = taltrust_new())) { free(rt); talrt_fail(err, TALRT_ENOMEM, "out of memory"); return NULL; }
	sha256(tal_host_iface, tal_host_iface_len, rt->digest);
	/* the interface built in, and the table above, must agree */
	TyTable t;
	ty_init(&t);
	if (ty_decode(&t, tal_host_iface, tal_host_iface_len, why, sizeof why) != 0) {
		talrt_fail(err, TALRT_EMALFORMED, "the built-in host interface is corrupt: %s", why);
		goto bad;
	}
	for (uint32_t i = 0; i < t.nent; i++)
		if (t.ent[i].kind == E_IMPORT && !service(ty_strof(&t, t.ent[i].name))) {
			talrt_fail(err, TALRT_ESERVICE, "the host interface declares '%s', which this host does not implement", ty_strof(&t, t.ent[i].name));
			goto bad;
		}
	ty_free(&t);
	return rt;
bad:
	ty_free(&t);
	talrt_free(rt);
	return NULL;
}

void talrt_free(TalRuntime *rt)
{
	if (!rt) return;
	taltrust_free(rt->trust);
	free(rt);
}

int talrt_trust(TalRuntime *rt, const char *path, TalError *err)
{
	char why[256];
	if (taltrust_add_file(rt->trust, path, why, sizeof why) != 0) return talrt_fail(err, TALRT_EIO, "%s", why);
	return 0;
}

const uint8_t *talrt_interface_digest(const TalRuntime *rt) { return rt->digest; }

/* ---- loading ---- */

static int refusal(int v)
{
	switch (v) {
	case TALV_UNSIGNED: return TALRT_EUNSIGNED;
	case TALV_UNTRUSTED: return TALRT_EUNTRUSTED;
	case TALV_WRONG_INTERFACE: return TALRT_EINTERFACE;
	case TALV_MALFORMED: return TALRT_EMALFORMED;
	default: return TALRT_ETAMPERED;
	}
}

/*
** A stub: a call-kind service is `jmp [rip + 2]; ud2; .quad shim`; a trap
** is `call [rip + 2]; ud2; .quad talrt_trap_shim`, so the trap shim finds
** the stub from its return address.
*/
static void put_stub(uint8_t *p, const struct Service *s)
{
	static const uint8_t jmp[8] = { 0xff, 0x25, 2, 0, 0, 0, 0x0f, 0x0b }, call[8] = { 0xff, 0x15, 2, 0, 0, 0, 0x0f, 0x0b };
	uint64_t to = (uint64_t)(uintptr_t)(s->trap ? talrt_trap_shim : s->fn);
	memcpy(p, s->trap ? call : jmp, 8);
	memcpy(p + 8, &to, 8);
}

/*
** The image: mapped writable, copied, stubs filled, then read-execute for
** good, between two inaccessible pages, so that a read past either end
** faults rather than reading what the host keeps next to it.
*/
static int map_image(TalMod *m, TalError *err)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = (m->mod.image_size + page - 1) / page * page;
	m->image_len = n ? n : page;
	uint8_t *g = mmap(NULL, m->image_len + 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g == MAP_FAILED) return talrt_fail(err, TALRT_ENOMEM, "cannot map the image: %s", strerror(errno));
	m->image = g + page;
	void *p = m->image;
	if (mprotect(p, m->image_len, PROT_READ | PROT_WRITE) != 0) return talrt_fail(err, TALRT_ENOMEM, "cannot map the image: %s", strerror(errno));
	memset(p, 0xcc, m->image_len);
	memcpy(p, m->bytes + m->mod.image_off, m->mod.image_size);
	for (uint32_t i = 0; i < m->mod.nimports; i++)
		put_stub(m->image + m->mod.stubs_off + i * TALMOD_STUB_SIZE, m->svc[i]);
	if (mprotect(p, m->image_len, PROT_READ | PROT_EXEC) != 0) return talrt_fail(err, TALRT_ENOMEM, "cannot protect the image: %s", strerror(errno));
	return 0;
}

TalMod *talrt_load_mem(TalRuntime *rt, const void *bytes, size_t len, TalError *err)
{
	TalMod *m = calloc(1, sizeof *m);
	char why[256];
	if (!m || !(m->bytes = malloc(len ? len : 1))) { free(m); talrt_fail(err, TALRT_ENOMEM, "out of memory"); return NULL; }
	memcpy(m->bytes, bytes, len);
	m->rt = rt;
	ty_init(&m->t);
	lt_init(&m->lt);
	int v = talsig_verify(m->bytes, len, rt->trust, rt->digest, &m->mod, NULL, why, sizeof why);
	if (v != TALV_OK) { talrt_fail(err, refusal(v), "%s", why); goto bad; }
	m->svc = calloc(m->mod.nimports + 1, sizeof *m->svc);
	m->trap = calloc(m->mod.nimports + 1, sizeof *m->trap);
	if (!m->svc || !m->trap) { talrt_fail(err, TALRT_ENOMEM, "out of memory"); goto bad; }
	for (uint32_t i = 0; i < m->mod.nimports; i++)
		if (!(m->svc[i] = service(talmod_import_name(&m->mod, i)))) {
			talrt_fail(err, TALRT_ESERVICE, "the module imports '%s', which this host does not provide", talmod_import_name(&m->mod, i));
			goto bad;
		} else m->trap[i] = m->svc[i]->trap;
	if (ty_decode(&m->t, m->bytes + m->mod.types_off, m->mod.types_size, why, sizeof why) != 0 ||
	    lt_decode(&m->lt, m->bytes + m->mod.lines_off, m->mod.lines_size, why, sizeof why) != 0) {
		talrt_fail(err, TALRT_EMALFORMED, "module types: %s", why);
		goto bad;
	}
	talrt_analyse_exports(m);
	if (!m->params) { talrt_fail(err, TALRT_ENOMEM, "out of memory"); goto bad; }
	if (map_image(m, err) != 0) goto bad;
	return m;
bad:
	m->ninst = 0;
	talrt_unload(m);
	return NULL;
}

TalMod *talrt_load(TalRuntime *rt, const char *path, TalError *err)
{
	uint8_t *p;
	size_t n;
	if (read_whole(path, (size_t)TALMOD_MAX_SIZE * 2, &p, &n) != 0) {
		if (errno == EFBIG) talrt_fail(err, TALRT_EIO, "'%s' is larger than a module", path);
		else talrt_fail(err, TALRT_EIO, "cannot read '%s': %s", path, read_error(errno));
		return NULL;
	}
	TalMod *m = talrt_load_mem(rt, p, n, err);
	free(p);
	return m;
}

void talrt_unload(TalMod *m)
{
	if (!m) return;
	if (m->ninst) abort();   /* a host bug: instances outlive their module */
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	if (m->image) munmap(m->image - page, m->image_len + 2 * page);   /* with its guard pages */
	ty_free(&m->t);
	lt_free(&m->lt);
	free(m->svc);
	free(m->trap);
	free(m->params);
	free(m->bytes);
	free(m);
}

/* ---- exports and their parameters ---- */

int talrt_export_count(const TalMod *m) { return (int)m->mod.nexports; }
const char *talrt_export_name(const TalMod *m, int i) { return talmod_export_name(&m->mod, (uint32_t)i); }
int talrt_find_export(const TalMod *m, const char *name) { return talmod_find_export(&m->mod, name); }

const char *talrt_trap_name(int trap)
{
	static const char *const names[] = { "none", "bounds", "null", "division error", "stack", "quota", "fault" };
	return trap >= 0 && trap <= TALRT_TRAP_FAULT ? names[trap] : "?";
}
