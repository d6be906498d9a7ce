/*
** link.c - tallink: objects and a host interface in, one module out.
**
**   read objects -> lay out the image -> resolve symbols -> merge types
**   -> check imports against exports and host services -> write the module
**
** The module layout is common/module.h's; docs/modules.md describes it.
** Nothing here is trusted: talcheck verifies the module on its own.
*/
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "as.h"
#include "atomicfile.h"
#include "link.h"
#include "module.h"
#include "tc.h"

typedef struct Unit {
	const char *path;
	TcObject obj;
	TyTable t;
	LineTable lt;
	uint32_t base[SEC_BSS + 1];   /* text: image offset; rodata, data, bss: offset in their part */
	uint32_t align[SEC_BSS + 1];
	TyId *map;                    /* its type nodes, copied into the module's table */
	StrId *rename;                /* its typedef names renamed apart (by its string ids) */
	TyNames names;                /* its entries of each name */
} Unit;

/* A global definition. */
typedef struct Def { const char *name; int unit, sect; uint64_t value; } Def;

/* A relocation of some unit's .text, read from the ELF file. */
typedef struct Rel {
	int unit;
	uint32_t off, type;
	int64_t addend;
	const char *name;       /* symbol name                              */
	int sect;               /* SEC_* of a defined symbol (0: undefined) */
	uint64_t value;         /* its value in its unit's section          */
} Rel;

/* A stub: the host interface entry it calls; a jump's own stub has its site. */
typedef struct Stub { uint32_t entry; int unit; uint32_t off; } Stub;   /* unit -1: shared by calls */

typedef struct Link {
	const LinkOptions *o;
	Diag *d;
	Unit *u; int nu;
	TyTable host, hdecl;          /* the host interface: canonical, as written */
	TyId *hmap;                   /* host nodes in the module table           */
	TyTable m;                    /* the module's types                       */
	LineTable lt;
	Def *def; uint32_t ndef, capdef;    /* sorted by name                   */
	Rel *rel; uint32_t nrel, caprel;
	Stub *svc; uint32_t nsvc, capsvc;       /* the stubs: host services imported */
	uint32_t text_size, stubs_off, rodata_off, rodata_size, image_size, data_size, bss_size;
	uint8_t *image, *data;
	uint32_t *exp; uint32_t nexp, capexp;   /* exports: their module entries */
	uint32_t *tdef; unsigned captdef;       /* by module string id: 1 + its first typedef entry */
	int errors;
} Link;

static uint64_t align_up(uint64_t x, uint64_t a) { return a > 1 ? (x + a - 1) / a * a : x; }

/* ---- diagnostics ---- */

static Pos unit_pos(Link *L, const TyTable *t, uint32_t file, uint32_t line, uint32_t col)
{
	Pos p = { 0, line, col };
	if (file) p.file = diag_source_file(L->d, ty_strof(t, file));
	return p;
}

static Pos entry_pos(Link *L, const TyTable *t, const TyEntry *e)
{
	TyPos p = ty_entry_pos(t, e);
	return unit_pos(L, t, p.file, p.line, p.col);
}

/* Where a .text offset of a unit came from, or the object itself. */
static Pos text_pos(Link *L, int unit, uint32_t off)
{
	Unit *u = &L->u[unit];
	const LineRow *r = lt_find(&u->lt, off);
	Pos p = { diag_source_file(L->d, u->path), 0, 0 };
	if (r && r->file < u->lt.nfile) {
		p.file = diag_source_file(L->d, u->lt.file[r->file]);
		p.line = r->line;
		p.col = r->col;
	}
	return p;
}

static Pos file_pos(Link *L, const char *path)
{
	Pos p = { diag_source_file(L->d, path), 0, 0 };
	return p;
}

#define ERR(L, p, ...) ((L)->errors++, diag_error((L)->d, (p), __VA_ARGS__))

/* A type as text, for messages. */
static const char *tystr(const TyTable *t, TyId id, char *buf, size_t cap)
{
	ty_print(t, id, buf, cap);
	return buf;
}

/* ---- the host interface ---- */

char *link_find_interface(const char *name, const char **incdirs, int n)
{
	for (int i = 0; i < n && !strchr(name, '/'); i++) {
		size_t len = strlen(incdirs[i]) + strlen(name) + 2;
		char *p = xmalloc(len);
		snprintf(p, len, "%s/%s", incdirs[i], name);
		if (access(p, R_OK) == 0) return p;
		free(p);
	}
	return access(name, R_OK) == 0 ? strdup(name) : NULL;
}

/* An interface declares types and typed names; it holds no code or data. */
static int interface_only(Asm *as, Diag *d, const char *path)
{
	for (int s = 1; s < AS_NSECT; s++)
		if (as->sect[s].nbytes || as->sect[s].nfrag > 1 || (as->sect[s].nfrag && as->sect[s].frag[0].var)) {
			diag_error(d, (Pos){ diag_source_file(d, path), 0, 0 }, "an interface holds declarations only, but this one has code or data");
			return 1;
		}
	for (uint32_t i = 0; i < as->types.nent; i++) {
		const TyEntry *e = &as->types.ent[i];
		if (e->kind == E_TYPEDEF || e->kind == E_IMPORT || e->kind == E_EXPORT) continue;
		TyPos at = ty_entry_pos(&as->types, e);
		Pos p = { diag_source_file(d, ty_strof(&as->types, at.file)), at.line, at.col };
		diag_error(d, p, "an interface declares types, imports and exports only");
		return 1;
	}
	return 0;
}

int link_interface(const char *path, const char **incdirs, int nincdirs, Diag *d,
                   TyTable *canon, TyTable *decl, char ***deps, uint32_t *ndeps)
{
	Asm as;
	SrcFile f;
	Pos none = { 0, 0, 0 };
	int errors = d->errors, status = 0;
	as_init(&as, d);
	as.incdirs = incdirs;
	as.nincdirs = nincdirs;
	if (as_read(&as, path, none, &f) != 0) status = 2;
	else if (as_parse(&as, &f) != 0 || d->errors > errors || interface_only(&as, d, path)) status = 1;
	if (!status) {
		TyId *map = xcalloc(as.types.nnode + 1, sizeof *map), *dmap = xcalloc(as.types.nnode + 1, sizeof *dmap);
		for (uint32_t i = 0; i < as.types.nent; i++) {
			const TyEntry *e = &as.types.ent[i];
			if (decl) { TyEntry x = ty_copy_entry(decl, &as.types, e, dmap, NULL); ty_add_entry(decl, &x, ty_copy_pos(decl, &as.types, e)); }
			TyEntry c = ty_copy_entry(canon, &as.types, e, map, NULL);
			ty_add_entry(canon, &c, (TyPos){ 0, 0, 0 });   /* the canonical table names no file */
		}
		free(map);
		free(dmap);
	}
	/* later diagnostics may quote the interface: the Diag keeps its text */
	for (uint32_t i = 0; i < as.ntexts; i++)
		for (uint32_t j = 0; j < d->nsrc; j++)
			if (d->src[j].text == as.texts[i] && !d->src[j].owned) d->src[j].owned = as.texts[i], as.texts[i] = NULL;
	for (uint32_t i = 0; deps && i < as.ndeps; i++) {
		uint32_t cap = *ndeps;
		*deps = xgrow(*deps, sizeof **deps, *ndeps + 1, &cap);
		(*deps)[(*ndeps)++] = strdup(as.deps[i]);
	}
	as_free(&as);
	return status;
}

/* The host's declaration of a service, by name: index of its entry or -1. */
static int host_service(const Link *L, const char *name)
{
	for (uint32_t i = 0; i < L->host.nent; i++) {
		const TyEntry *e = &L->host.ent[i];
		if (e->kind == E_IMPORT && strcmp(ty_strof(&L->host, e->name), name) == 0) return (int)i;
	}
	return -1;
}

/* ---- reading the objects ---- */

static int sect_of_index(const TcObject *o, size_t index)
{
	for (int s = 1; s <= SEC_BSS; s++)
		if (index && o->sect[s].index == index) return s;
	return 0;
}

/* The ELF symbol table of a unit's object, or NULL. */
static Elf_Data *symtab(Unit *u, size_t *nsym, size_t *strndx)
{
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(u->obj.elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || sh.sh_entsize != sizeof(Elf64_Sym)) continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d) return NULL;
		*nsym = d->d_size / sizeof(Elf64_Sym);
		*strndx = sh.sh_link;
		return d;
	}
	return NULL;
}

/*
** Relocations may only be in .text: a module keeps none, and data that
** held addresses would need them.  .rela.text is read here, with each
** symbol resolved as far as its own unit knows.
*/
static int read_relocs(Link *L, int ui)
{
	Unit *u = &L->u[ui];
	size_t shstr, nsym = 0, strndx = 0;
	Elf_Data *syms = symtab(u, &nsym, &strndx);
	if (elf_getshdrstrndx(u->obj.elf, &shstr) != 0) return 1;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(u->obj.elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_RELA && sh.sh_type != SHT_REL)) continue;
		const char *name = elf_strptr(u->obj.elf, shstr, sh.sh_name);
		if (!name || strcmp(name, ".rela.text") != 0) {
			ERR(L, file_pos(L, u->path), "relocations in %s: a module keeps none, so data cannot hold addresses", name ? name : "?");
			continue;
		}
		Elf_Data *rd = elf_getdata(scn, NULL);
		size_t n = rd && sh.sh_entsize == sizeof(Elf64_Rela) ? rd->d_size / sizeof(Elf64_Rela) : 0;
		for (size_t i = 0; i < n; i++) {
			GElf_Rela r;
			GElf_Sym s;
			if (!gelf_getrela(rd, (int)i, &r) || !syms || GELF_R_SYM(r.r_info) >= nsym ||
			    !gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &s)) {
				ERR(L, file_pos(L, u->path), "bad relocation %zu in .rela.text", i);
				continue;
			}
			if (r.r_offset > u->obj.sect[SEC_TEXT].n || u->obj.sect[SEC_TEXT].n - r.r_offset < 4) {
				ERR(L, file_pos(L, u->path), "relocation %zu in .rela.text is outside .text", i);
				continue;   /* (not kept: its field would be written past the unit's code) */
			}
			const char *sn = elf_strptr(u->obj.elf, strndx, s.st_name);
			L->rel = xgrow(L->rel, sizeof *L->rel, L->nrel + 1, &L->caprel);
			Rel *x = &L->rel[L->nrel++];
			x->unit = ui;
			x->off = (uint32_t)r.r_offset;
			x->type = (uint32_t)GELF_R_TYPE(r.r_info);
			x->addend = r.r_addend;
			x->name = sn ? sn : "";
			x->sect = s.st_shndx == SHN_UNDEF || s.st_shndx >= SHN_LORESERVE ? 0 : sect_of_index(&u->obj, s.st_shndx);
			x->value = s.st_value;
			if (s.st_shndx != SHN_UNDEF && !x->sect)
				ERR(L, text_pos(L, ui, x->off), "relocation against '%s', which is not in .text, .rodata, .data or .bss", x->name);
		}
	}
	return 0;
}

/* The defined global symbols of a unit. */
static void read_defs(Link *L, int ui)
{
	Unit *u = &L->u[ui];
	size_t nsym = 0, strndx = 0;
	Elf_Data *syms = symtab(u, &nsym, &strndx);
	for (size_t i = 1; syms && i < nsym; i++) {
		GElf_Sym s;
		if (!gelf_getsym(syms, (int)i, &s)) continue;
		int bind = GELF_ST_BIND(s.st_info), type = GELF_ST_TYPE(s.st_info);
		if (bind == STB_LOCAL || s.st_shndx == SHN_UNDEF || type == STT_SECTION || type == STT_FILE) continue;
		const char *name = elf_strptr(u->obj.elf, strndx, s.st_name);
		int sect = s.st_shndx < SHN_LORESERVE ? sect_of_index(&u->obj, s.st_shndx) : 0;
		if (!name || !*name) continue;
		if (!sect) { ERR(L, file_pos(L, u->path), "'%s' is defined outside .text, .rodata, .data and .bss", name); continue; }
		L->def = xgrow(L->def, sizeof *L->def, L->ndef + 1, &L->capdef);
		L->def[L->ndef++] = (Def){ name, ui, sect, s.st_value };
	}
}

static int unit_section_align(Unit *u, int sect)
{
	GElf_Shdr sh;
	Elf_Scn *scn = u->obj.sect[sect].index ? elf_getscn(u->obj.elf, u->obj.sect[sect].index) : NULL;
	if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_addralign < 1) return 1;
	return sh.sh_addralign > 4096 ? 4096 : (int)sh.sh_addralign;
}

static int open_unit(Link *L, int ui, const char *path)
{
	Unit *u = &L->u[ui];
	char err[512];
	u->path = path;
	ty_init(&u->t);
	lt_init(&u->lt);
	if (access(path, R_OK) != 0) { diag_fatal(L->d, "cannot open '%s': %s", path, strerror(errno)); return 2; }
	if (tc_open(&u->obj, path, err, sizeof err) != 0) { ERR(L, file_pos(L, path), "%s", err); return 1; }
	if (!u->obj.types.index) { ERR(L, file_pos(L, path), "no .tal.types section: not an object made by talas"); return 1; }
	if (ty_decode(&u->t, u->obj.types.p, u->obj.types.n, err, sizeof err) != 0 ||
	    (u->obj.lines.index && lt_decode(&u->lt, u->obj.lines.p, u->obj.lines.n, err, sizeof err) != 0)) {
		ERR(L, file_pos(L, path), "%s", err);
		return 1;
	}
	for (int s = 1; s <= SEC_BSS; s++) u->align[s] = (uint32_t)unit_section_align(u, s);
	u->map = xcalloc(u->t.nnode + 1, sizeof *u->map);
	u->rename = xcalloc(u->t.nstr + 1, sizeof *u->rename);
	ty_names_index(&u->t, &u->names);
	read_defs(L, ui);
	read_relocs(L, ui);
	return 0;
}

/* ---- symbols ---- */

static int by_name(const void *a, const void *b)
{
	const Def *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : x->unit - y->unit;
}

static const Def *find_def(const Link *L, const char *name)
{
	size_t lo = 0, hi = L->ndef;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(L->def[mid].name, name);
		if (c < 0) lo = mid + 1;
		else hi = mid;
	}
	return lo < L->ndef && strcmp(L->def[lo].name, name) == 0 ? &L->def[lo] : NULL;
}

/*
** A unit's declaration of a name (the first in its table of the kinds
** given), or NULL: through the entries of that name only (names), so
** that finding each of n names is not n^2 in all.
*/
static const TyEntry *unit_entry(const Unit *u, const char *name, int k1, int k2)
{
	StrId id = ty_str_find(&u->t, name, strlen(name));   /* 0: "", or a name it does not have */
	if (!id && *name) return NULL;
	for (uint32_t k = ty_names_first(&u->names, id); k; k = u->names.next[k - 1]) {
		const TyEntry *e = &u->t.ent[k - 1];
		if (e->kind == k1 || e->kind == k2) return e;
	}
	return NULL;
}

static Pos def_pos(Link *L, const Def *d)
{
	const Unit *u = &L->u[d->unit];
	const TyEntry *e = unit_entry(u, d->name, E_LABEL, E_OBJECT);
	if (!e) e = unit_entry(u, d->name, E_EXPORT, E_EXPORT);
	return e ? entry_pos(L, &u->t, e) : file_pos(L, u->path);
}

/* [link] each global name has one definition. */
static void check_duplicates(Link *L)
{
	if (L->ndef > 1) qsort(L->def, L->ndef, sizeof *L->def, by_name);   /* (def is NULL when there are none) */
	for (uint32_t i = 1; i < L->ndef; i++) {
		if (strcmp(L->def[i].name, L->def[i - 1].name) != 0) continue;
		ERR(L, def_pos(L, &L->def[i]), "multiple definition of '%s'", L->def[i].name);
		diag_note(L->d, def_pos(L, &L->def[i - 1]), "first defined here (%s)", L->u[L->def[i - 1].unit].path);
	}
}

/*
** The stub index for a use of a host service, adding it on first use:
** calls share one stub per service; a jump (jmp, jcc: a trap or a tail
** call, which leaves no return address) gets a stub of its own, so that
** the host can tell where it was taken.  unit -1: not a jump.
*/
static uint32_t use_service(Link *L, uint32_t entry, int unit, uint32_t off)
{
	for (uint32_t i = 0; i < L->nsvc; i++)
		if (L->svc[i].entry == entry && L->svc[i].unit == unit && (unit < 0 || L->svc[i].off == off)) return i;
	L->svc = xgrow(L->svc, sizeof *L->svc, L->nsvc + 1, &L->capsvc);
	L->svc[L->nsvc] = (Stub){ entry, unit, off };
	return L->nsvc++;
}

/* Is the rel32 field at a unit's .text offset that of a jmp or jcc? */
static int is_jump_field(const Unit *u, uint32_t off)
{
	const uint8_t *t = u->obj.sect[SEC_TEXT].p;
	if (off >= 1 && t[off - 1] == 0xe9) return 1;
	return off >= 2 && t[off - 2] == 0x0f && (t[off - 1] & 0xf0) == 0x80;
}

/* The stub of a relocation against a host service. */
static uint32_t reloc_stub(Link *L, const Rel *r, uint32_t entry)
{
	int jump = is_jump_field(&L->u[r->unit], r->off);
	return use_service(L, entry, jump ? r->unit : -1, jump ? r->off : 0);
}

/* Imports and relocations against names no unit defines must be host services. */
static void find_services(Link *L)
{
	for (int ui = 0; ui < L->nu; ui++) {
		Unit *u = &L->u[ui];
		for (uint32_t i = 0; i < u->t.nent; i++) {
			const TyEntry *e = &u->t.ent[i];
			const char *name = ty_strof(&u->t, e->name);
			if (e->kind != E_IMPORT || find_def(L, name)) continue;
			int h = host_service(L, name);
			if (h < 0) ERR(L, entry_pos(L, &u->t, e), "'%s' is imported but no unit defines it and the host interface has no such service", name);
		}
	}
	for (uint32_t i = 0; i < L->nrel; i++) {
		const Rel *r = &L->rel[i];
		if (r->sect || find_def(L, r->name)) continue;
		int h = host_service(L, r->name);
		if (h >= 0) reloc_stub(L, r, (uint32_t)h);
		else if (!unit_entry(&L->u[r->unit], r->name, E_IMPORT, E_IMPORT))
			ERR(L, text_pos(L, r->unit, r->off), "undefined reference to '%s'", r->name);
	}
}

/* ---- layout ---- */

static const char *const part_name[SEC_BSS + 1] = { [SEC_TEXT] = "code", [SEC_RODATA] = "constants", [SEC_DATA] = "data", [SEC_BSS] = "BSS" };

/*
** [link] each part of the module (code, constants, data, BSS) fits a module:
** TALMOD_MAX_SIZE bytes at most (a BSS takes no room in an object, so an
** object may claim any size for it).  0, or -1 after reporting.
*/
static int place_parts(Link *L, uint64_t end[SEC_BSS + 1])
{
	for (int s = SEC_TEXT; s <= SEC_BSS; s++) end[s] = 0;
	for (int i = 0; i < L->nu; i++) {
		Unit *u = &L->u[i];
		for (int s = SEC_TEXT; s <= SEC_BSS; s++) {
			uint64_t at = align_up(end[s], u->align[s]), n = u->obj.sect[s].n;
			if (at > TALMOD_MAX_SIZE || n > TALMOD_MAX_SIZE - at) {
				ERR(L, file_pos(L, u->path), "the module's %s would pass %u bytes with this object's (%llu bytes): too big for a module",
				    part_name[s], TALMOD_MAX_SIZE, (unsigned long long)n);
				return -1;
			}
			u->base[s] = (uint32_t)at;
			end[s] = at + n;
		}
	}
	return 0;
}

/* Code of all units (nop padding between), stubs, constants; data and BSS apart. */
static int layout(Link *L)
{
	uint64_t end[SEC_BSS + 1];
	if (place_parts(L, end) != 0) return -1;
	uint64_t text = end[SEC_TEXT], ro = end[SEC_RODATA], data = end[SEC_DATA], bss = end[SEC_BSS];
	uint64_t stubs = align_up(text, TALMOD_STUB_SIZE), rodata = align_up(stubs + (uint64_t)L->nsvc * TALMOD_STUB_SIZE, 16);
	if (rodata + ro + data > TALMOD_MAX_SIZE) {
		ERR(L, file_pos(L, L->u[L->nu - 1].path), "the module's code, constants and data would pass %u bytes: too big for a module", TALMOD_MAX_SIZE);
		return -1;
	}
	/* (all below 2^30 from here: 32 bits each) */
	L->text_size = (uint32_t)text;
	L->stubs_off = (uint32_t)stubs;
	L->rodata_off = (uint32_t)rodata;
	L->rodata_size = (uint32_t)ro;
	L->image_size = (uint32_t)(rodata + ro);
	L->data_size = (uint32_t)data;
	L->bss_size = (uint32_t)bss;
	L->image = xmalloc(L->image_size ? L->image_size : 1);
	memset(L->image, 0x90, text);                                     /* nop between units */
	memset(L->image + text, 0xcc, L->rodata_off - text);              /* stubs: int3 until the host fills them */
	L->data = xcalloc(data ? data : 1, 1);
	for (int i = 0; i < L->nu; i++) {
		Unit *u = &L->u[i];
		const TcSection *s = u->obj.sect;
		if (s[SEC_TEXT].n) memcpy(L->image + u->base[SEC_TEXT], s[SEC_TEXT].p, s[SEC_TEXT].n);
		if (s[SEC_RODATA].n) memcpy(L->image + L->rodata_off + u->base[SEC_RODATA], s[SEC_RODATA].p, s[SEC_RODATA].n);
		if (s[SEC_DATA].n) memcpy(L->data + u->base[SEC_DATA], s[SEC_DATA].p, s[SEC_DATA].n);
	}
	return 0;
}

/* The image offset of a unit's section offset (text and rodata only). */
static uint64_t image_addr(const Link *L, int unit, int sect, uint64_t value)
{
	const Unit *u = &L->u[unit];
	return sect == SEC_TEXT ? u->base[SEC_TEXT] + value : L->rodata_off + u->base[SEC_RODATA] + value;
}

/* The name of the object a unit declares at or before an offset of a section, for messages. */
static const char *object_at(const Unit *u, int sect, int64_t off)
{
	const TyEntry *best = NULL;
	for (uint32_t i = 0; i < u->t.nent; i++) {
		const TyEntry *e = &u->t.ent[i];
		if (e->kind == E_OBJECT && e->sect == sect && e->offset <= off && (!best || e->offset > best->offset)) best = e;
	}
	return best ? ty_strof(&u->t, best->name) : "(a section)";
}

/*
** Fill each rel32/disp32 field: S + A - P.  Code reaches only the image
** (code, stubs and constants); writable data is per instance and has no
** address the code could be linked against.
*/
static void apply_relocs(Link *L)
{
	for (uint32_t i = 0; i < L->nrel; i++) {
		const Rel *r = &L->rel[i];
		Pos p = text_pos(L, r->unit, r->off);
		int unit = r->unit, sect = r->sect;
		uint64_t value = r->value;
		if (r->type != R_X86_64_PC32 && r->type != R_X86_64_PLT32) {
			ERR(L, p, "relocation type %u against '%s': a module keeps no relocations, only pc-relative fields can be linked", r->type, r->name);
			continue;
		}
		if (!sect) {
			const Def *d = find_def(L, r->name);
			int h = d ? -1 : host_service(L, r->name);
			if (!d && h < 0) continue;   /* reported */
			if (d) unit = d->unit, sect = d->sect, value = d->value;
			else value = reloc_stub(L, r, (uint32_t)h);
		}
		uint64_t S;
		if (!sect) S = L->stubs_off + value * TALMOD_STUB_SIZE;
		else if (sect == SEC_TEXT || sect == SEC_RODATA) S = image_addr(L, unit, sect, value);
		else {
			ERR(L, p, "code refers to '%s' in %s: writable data has no address in a module (each instance has its own copy)",
			    *r->name ? r->name : object_at(&L->u[unit], sect, (int64_t)(value + (uint64_t)r->addend + 4)), sect == SEC_DATA ? ".data" : ".bss");
			continue;
		}
		int64_t P = (int64_t)L->u[r->unit].base[SEC_TEXT] + r->off;
		int64_t v;   /* S + A - P: the symbol's value and the addend are the object's, any 64 bits */
		if (S > INT64_MAX || __builtin_add_overflow((int64_t)S, r->addend, &v) || __builtin_sub_overflow(v, P, &v) ||
		    v < INT32_MIN || v > INT32_MAX) {
			ERR(L, p, "relocation against '%s' out of range", *r->name ? r->name : r->sect == SEC_TEXT ? ".text" : ".rodata");
			continue;
		}
		uint8_t *f = L->image + P;
		f[0] = (uint8_t)v; f[1] = (uint8_t)(v >> 8); f[2] = (uint8_t)(v >> 16); f[3] = (uint8_t)(v >> 24);
	}
}

/* ---- types ---- */

/* The module's typedef of a name (the first one given it), or NULL. */
static const TyEntry *m_typedef(const Link *L, StrId name)
{
	return name < L->captdef && L->tdef[name] ? &L->m.ent[L->tdef[name] - 1] : NULL;
}

static void add_typedef(Link *L, const TyEntry *c, TyPos pos)
{
	ty_add_entry(&L->m, c, pos);
	L->tdef = xgrowz(L->tdef, sizeof *L->tdef, (size_t)c->name + 1, &L->captdef);
	if (!L->tdef[c->name]) L->tdef[c->name] = L->m.nent;
}

/*
** A unit's typedef enters the module's table under its own name if no
** other typedef has it or an identical one does; otherwise it is renamed
** apart (name'N), and the unit's uses of the name follow.
*/
static void merge_typedef(Link *L, int ui, const TyEntry *e)
{
	Unit *u = &L->u[ui];
	TyEntry c = ty_copy_entry(&L->m, &u->t, e, u->map, u->rename);
	const TyEntry *have = m_typedef(L, c.name);
	if (have && have->type == c.type) return;
	if (have) {
		char buf[512];
		for (int k = ui + 1;; k++) {
			snprintf(buf, sizeof buf, "%s'%d", ty_strof(&u->t, e->name), k);
			c.name = ty_str(&L->m, buf, strlen(buf));
			if (!m_typedef(L, c.name)) break;
		}
		u->rename[e->name] = c.name;
	}
	add_typedef(L, &c, ty_copy_pos(&L->m, &u->t, e));
}

/* A heap of typedef places, smallest on top. */
typedef struct Heap { uint32_t *v; uint32_t n; } Heap;

static void heap_add(Heap *h, uint32_t x)
{
	uint32_t i = h->n++;
	for (; i && h->v[(i - 1) / 2] > x; i = (i - 1) / 2) h->v[i] = h->v[(i - 1) / 2];
	h->v[i] = x;
}

static uint32_t heap_take(Heap *h)
{
	uint32_t top = h->v[0], x = h->v[--h->n], i = 0;
	for (;;) {
		uint32_t k = 2 * i + 1;
		if (k >= h->n) break;
		if (k + 1 < h->n && h->v[k + 1] < h->v[k]) k++;
		if (h->v[k] >= x) break;
		h->v[i] = h->v[k];
		i = k;
	}
	if (h->n) h->v[i] = x;
	return top;
}

/*
** The typedefs of the unit that typedef i's type names (distinct; i itself
** if it names itself), as edges j -> i of the "is named by" relation.  A
** walk from the type, over nodes not seen for i yet (seen[] holds i + 1).
*/
static void typedef_deps(const TyTable *t, TyId id, uint32_t i, const uint32_t *pos, uint32_t *seen, uint32_t *named,
                         uint32_t **edge, uint32_t *nedge, unsigned *capedge, uint32_t **stack, unsigned *capstack)
{
	uint32_t n = 0;
	if (!id || id >= t->nnode) return;
	*stack = xgrow(*stack, sizeof **stack, 1, capstack);
	(*stack)[n++] = id;
	seen[id] = i + 1;
	while (n) {
		const TyNode *x = &t->node[(*stack)[--n]];
		uint32_t j = x->kind == TY_NAME && x->name < t->nstr ? pos[x->name] : 0;
		if (j && named[j - 1] != i + 1) {
			named[j - 1] = i + 1;
			*edge = xgrow(*edge, sizeof **edge, 2 * (size_t)*nedge + 2, capedge);
			(*edge)[2 * *nedge] = j - 1;
			(*edge)[2 * *nedge + 1] = i;
			++*nedge;
		}
		for (int k = 0; k < x->nkids; k++) {
			TyId kid = t->kid[x->kids + k];
			if (seen[kid] == i + 1) continue;
			seen[kid] = i + 1;
			*stack = xgrow(*stack, sizeof **stack, (size_t)n + 1, capstack);
			(*stack)[n++] = kid;
		}
	}
}

/*
** Typedefs in an order where each comes after the ones it names (Kahn's
** algorithm on the "names" relation); what is left over is a cycle.  The
** order is that of sweeps over the unit's typedefs in table order, each
** merging every one whose names are all merged by the time it is reached:
** one that becomes ready behind the sweep waits for the next (two heaps).
*/
static void merge_typedefs(Link *L, int ui)
{
	Unit *u = &L->u[ui];
	uint32_t n = 0, *td = xcalloc(u->t.nent + 1, sizeof *td);
	for (uint32_t i = 0; i < u->t.nent; i++)
		if (u->t.ent[i].kind == E_TYPEDEF) td[n++] = i;
	uint32_t *pos = xcalloc(u->t.nstr + 1, sizeof *pos);   /* by name: 1 + its place in td */
	for (uint32_t i = 0; i < n; i++) pos[u->t.ent[td[i]].name] = i + 1;
	uint32_t *seen = xcalloc(u->t.nnode + 1, sizeof *seen), *named = xcalloc(n + 1, sizeof *named);
	uint32_t *edge = NULL, *stack = NULL, nedge = 0;
	unsigned capedge = 0, capstack = 0;
	for (uint32_t i = 0; i < n; i++)
		typedef_deps(&u->t, u->t.ent[td[i]].type, i, pos, seen, named, &edge, &nedge, &capedge, &stack, &capstack);
	/* need[i]: the typedefs i names not merged yet; users of j: first[j] .. first[j + 1] - 1 */
	uint32_t *need = xcalloc(n + 1, sizeof *need), *first = xcalloc(n + 2, sizeof *first);
	uint32_t *user = xmalloc(((size_t)nedge + 1) * sizeof *user);
	for (uint32_t e = 0; e < nedge; e++) need[edge[2 * e + 1]]++, first[edge[2 * e] + 1]++;
	for (uint32_t j = 0; j < n; j++) first[j + 1] += first[j];
	uint32_t *fill = xmemdup(first, (n + 1) * sizeof *first);
	for (uint32_t e = 0; e < nedge; e++) user[fill[edge[2 * e]]++] = edge[2 * e + 1];
	Heap now = { xmalloc((n + 1) * sizeof *now.v), 0 }, later = { xmalloc((n + 1) * sizeof *later.v), 0 };
	uint8_t *done = xcalloc(n + 1, 1);
	for (uint32_t i = 0; i < n; i++)
		if (!need[i]) heap_add(&now, i);
	while (now.n || later.n) {
		if (!now.n) { Heap t = now; now = later; later = t; }   /* the next sweep */
		uint32_t i = heap_take(&now);
		merge_typedef(L, ui, &u->t.ent[td[i]]);
		done[i] = 1;
		for (uint32_t e = first[i]; e < first[i + 1]; e++)
			if (!--need[user[e]]) heap_add(user[e] > i ? &now : &later, user[e]);
	}
	for (uint32_t i = 0; i < n; i++)
		if (!done[i]) {
			const TyEntry *e = &u->t.ent[td[i]];
			ERR(L, entry_pos(L, &u->t, e), "type abbreviation '%s' is part of a cycle of abbreviations", ty_strof(&u->t, e->name));
		}
	free(now.v), free(later.v), free(done);
	free(need), free(first), free(fill), free(user);
	free(seen), free(named), free(edge), free(stack), free(pos), free(td);
}

/* A module entry name not used yet: a unit's local label keeps its name if it can. */
static StrId unique_name(Link *L, int ui, StrId name, uint8_t **taken, uint32_t *ntaken)
{
	char buf[512];
	StrId r = name;
	for (int k = 0;; k++) {
		if (r >= *ntaken) {
			uint32_t old = *ntaken, cap = r + 64;
			*taken = xrealloc(*taken, cap);
			memset(*taken + old, 0, cap - old);
			*ntaken = cap;
		}
		if (!(*taken)[r]) break;
		snprintf(buf, sizeof buf, "%s@%s%s%d", ty_strof(&L->m, name), L->u[ui].path, k ? "." : "", k);
		r = ty_str(&L->m, buf, strlen(buf));
	}
	(*taken)[r] = 1;
	return r;
}

/* Labels, objects and annotations of every unit, at their module offsets. */
static void merge_entries(Link *L)
{
	uint8_t *taken = NULL;
	uint32_t ntaken = 0;
	/* global names first: they must keep theirs */
	for (uint32_t i = 0; i < L->ndef; i++) {
		StrId s = ty_str(&L->m, L->def[i].name, strlen(L->def[i].name));
		unique_name(L, 0, s, &taken, &ntaken);
	}
	for (int ui = 0; ui < L->nu; ui++) {
		Unit *u = &L->u[ui];
		for (uint32_t i = 0; i < u->t.nent; i++) {
			const TyEntry *e = &u->t.ent[i];
			if (e->kind != E_LABEL && e->kind != E_OBJECT) continue;
			TyEntry c = ty_copy_entry(&L->m, &u->t, e, u->map, u->rename);
			const Def *d = find_def(L, ty_strof(&u->t, e->name));
			if (!d || d->unit != ui) c.name = unique_name(L, ui, c.name, &taken, &ntaken);
			c.offset += e->sect == SEC_TEXT ? u->base[SEC_TEXT] : u->base[e->sect];
			ty_add_entry(&L->m, &c, ty_copy_pos(&L->m, &u->t, e));
		}
		for (uint32_t i = 0; i < u->t.nann; i++) {
			TyAnnot a = u->t.ann[i];
			a.offset += u->base[SEC_TEXT];
			a.file = a.file ? ty_str(&L->m, ty_strof(&u->t, a.file), strlen(ty_strof(&u->t, a.file))) : 0;
			a.type = ty_copy(&L->m, &u->t, a.type, u->map, u->rename);
			a.args = ty_copy(&L->m, &u->t, a.args, u->map, u->rename);
			ty_add_annot(&L->m, &a);
		}
		for (uint32_t i = 0; i < u->lt.nrow; i++) {
			const LineRow *r = &u->lt.row[i];
			uint32_t f = r->file < u->lt.nfile ? lt_file(&L->lt, u->lt.file[r->file]) : 0;
			lt_add(&L->lt, r->offset + u->base[SEC_TEXT], f, r->line, r->col);
		}
	}
	free(taken);
}

/* The type a definition has where it is defined: its export's, else its label's or object's. */
static TyId def_type(Link *L, const Def *d, const TyEntry **at)
{
	Unit *u = &L->u[d->unit];
	const TyEntry *x = unit_entry(u, d->name, E_EXPORT, E_EXPORT);
	*at = x;
	if (x && x->type) return ty_copy(&L->m, &u->t, x->type, u->map, u->rename);
	const TyEntry *y = unit_entry(u, d->name, E_LABEL, E_OBJECT);
	if (y) *at = y;
	return y ? ty_copy(&L->m, &u->t, y->type, u->map, u->rename) : 0;
}

/* Is `have` usable where `want` is expected?  (The verifier decides for good.) */
static int compatible(Link *L, TyOps *ops, TyId have, TyId want, const char **why)
{
	Subst u = { 0 };
	Facts f = { 0 };
	ops->budget = TYOPS_BUDGET;
	if (have == want || ty_leq(ops, have, want, &u, &f)) return 1;
	*why = ops->err ? ops->err : "types differ";
	return 0;
}

static void mismatch(Link *L, Pos imp, TyId it, Pos def, TyId dt, const char *name, const char *what, const char *why)
{
	char a[1024], b[1024];
	ERR(L, imp, "'%s' is imported with a type that does not match %s (%s)", name, what, why);
	diag_note(L->d, imp, "imported as: %s", tystr(&L->m, it, a, sizeof a));
	diag_note(L->d, def, "%s: %s", what, tystr(&L->m, dt, b, sizeof b));
}

/* [link.type] every import has the type of what satisfies it. */
static void check_imports(Link *L, TyOps *ops)
{
	for (int ui = 0; ui < L->nu; ui++) {
		Unit *u = &L->u[ui];
		for (uint32_t i = 0; i < u->t.nent; i++) {
			const TyEntry *e = &u->t.ent[i];
			if (e->kind != E_IMPORT) continue;
			const char *name = ty_strof(&u->t, e->name), *why = NULL;
			TyId it = ty_copy(&L->m, &u->t, e->type, u->map, u->rename);
			const Def *d = find_def(L, name);
			if (d) {
				const TyEntry *at = NULL;
				TyId dt = def_type(L, d, &at);
				Pos dp = at ? entry_pos(L, &L->u[d->unit].t, at) : file_pos(L, L->u[d->unit].path);
				if (!dt) {
					ERR(L, entry_pos(L, &u->t, e), "'%s' is imported, but its definition in %s has no type", name, L->u[d->unit].path);
					diag_note(L->d, dp, "defined here");
				} else if (!compatible(L, ops, dt, it, &why))
					mismatch(L, entry_pos(L, &u->t, e), it, dp, dt, name, "its definition", why);
				continue;
			}
			int h = host_service(L, name);
			if (h < 0) continue;   /* reported */
			TyId ht = ty_copy(&L->m, &L->host, L->host.ent[h].type, L->hmap, NULL);
			if (!compatible(L, ops, ht, it, &why))
				mismatch(L, entry_pos(L, &u->t, e), it, entry_pos(L, &L->hdecl, &L->hdecl.ent[h]), ht, name, "the host's service", why);
		}
	}
}

/* An export's name and module entry, ordered by name in byte order (strcmp). */
typedef struct ExpName { const char *name; uint32_t ent; } ExpName;

static int export_order(const void *a, const void *b)
{
	return strcmp(((const ExpName *)a)->name, ((const ExpName *)b)->name);
}

/*
** The export table is sorted by name, each name once (talmod_parse checks
** it, and hosts find an entry point by binary search).  Two exports of one
** name come only from an object whose type section was not written by talas.
*/
static void sort_exports(Link *L)
{
	ExpName *v = xmalloc(((size_t)L->nexp + 1) * sizeof *v);
	for (uint32_t i = 0; i < L->nexp; i++) v[i] = (ExpName){ ty_strof(&L->m, L->m.ent[L->exp[i]].name), L->exp[i] };
	qsort(v, L->nexp, sizeof *v, export_order);
	for (uint32_t i = 0; i < L->nexp; i++) {
		if (i && !strcmp(v[i - 1].name, v[i].name))
			ERR(L, entry_pos(L, &L->m, &L->m.ent[v[i].ent]), "'%s' is exported twice", v[i].name);
		L->exp[i] = v[i].ent;
	}
	free(v);
}

/* Exports: entries with their types spelled out, at module offsets, by name. */
static void merge_exports(Link *L)
{
	for (int ui = 0; ui < L->nu; ui++) {
		Unit *u = &L->u[ui];
		for (uint32_t i = 0; i < u->t.nent; i++) {
			const TyEntry *e = &u->t.ent[i];
			if (e->kind != E_EXPORT) continue;
			const char *name = ty_strof(&u->t, e->name);
			const Def *d = find_def(L, name);
			if (d && d->unit != ui) continue;   /* defined twice: reported */
			if (!d || d->sect != SEC_TEXT) {
				ERR(L, entry_pos(L, &u->t, e), "'%s' is exported but is not code of this unit", name);
				continue;
			}
			const TyEntry *lab = unit_entry(u, name, E_LABEL, E_LABEL);
			TyEntry c = ty_copy_entry(&L->m, &u->t, e, u->map, u->rename);
			if (!c.type && lab) c.type = ty_copy(&L->m, &u->t, lab->type, u->map, u->rename);
			c.sect = SEC_TEXT;
			c.offset = (uint32_t)(u->base[SEC_TEXT] + d->value);
			ty_add_entry(&L->m, &c, ty_copy_pos(&L->m, &u->t, e));
			L->exp = xgrow(L->exp, sizeof *L->exp, L->nexp + 1, &L->capexp);
			L->exp[L->nexp++] = L->m.nent - 1;
		}
	}
	sort_exports(L);
}

/* The host services used, as imports of the module: one entry per service, at its first stub. */
static void merge_services(Link *L)
{
	for (uint32_t i = 0; i < L->nsvc; i++) {
		uint32_t j = 0;
		while (L->svc[j].entry != L->svc[i].entry) j++;
		if (j < i) continue;
		TyEntry c = ty_copy_entry(&L->m, &L->host, &L->host.ent[L->svc[i].entry], L->hmap, NULL);
		c.offset = L->stubs_off + i * TALMOD_STUB_SIZE;
		ty_add_entry(&L->m, &c, ty_copy_pos(&L->m, &L->host, &L->host.ent[L->svc[i].entry]));
	}
}

static void merge_types(Link *L)
{
	for (uint32_t i = 0; i < L->host.nent; i++)
		if (L->host.ent[i].kind == E_TYPEDEF) {
			TyEntry c = ty_copy_entry(&L->m, &L->host, &L->host.ent[i], L->hmap, NULL);
			add_typedef(L, &c, ty_copy_pos(&L->m, &L->host, &L->host.ent[i]));
		}
	for (int ui = 0; ui < L->nu; ui++) merge_typedefs(L, ui);
	merge_entries(L);
	merge_services(L);
	merge_exports(L);
	TyOps ops;
	tyops_init(&ops, &L->m);
	check_imports(L, &ops);
	tyops_free(&ops);
}

/* ---- writing ---- */


static void pad(Buf *b, uint32_t align)
{
	static const uint8_t zero[64];
	while (b->n % align) buf_put(b, zero, align - b->n % align < sizeof zero ? align - b->n % align : sizeof zero);
}

/* Append bytes on an alignment; their file offset. */
static uint32_t put_region(Buf *b, const void *p, size_t n, uint32_t align)
{
	pad(b, align);
	uint32_t off = (uint32_t)b->n;
	if (n) buf_put(b, p, n);
	return off;
}

static uint32_t put_str(Buf *b, const char *s)
{
	uint32_t off = (uint32_t)b->n;
	buf_put(b, s, strlen(s) + 1);
	return off;
}

enum { S_TEXT = 1, S_STUBS, S_RODATA, S_DATA, S_BSS, S_MODULE, S_TYPES, S_LINES, S_IFACE,
       S_IMPORTS, S_EXPORTS, S_STRINGS, S_SYMTAB, S_STRTAB, S_SHSTRTAB, S_N };

/* The symbols ELF tools show: labels, stubs, constants; exports are global. */
static uint32_t put_symbols(Link *L, Buf *sym, Buf *str)
{
	Elf64_Sym s = { 0 };
	uint8_t *exported = xcalloc(L->m.nstr + 1, 1);   /* by name: a label that is global below */
	for (uint32_t i = 0; i < L->nexp; i++) {
		StrId n = L->m.ent[L->exp[i]].name;
		if (n < L->m.nstr) exported[n] = 1;
	}
	buf_put(sym, &s, sizeof s);
	put_str(str, "");
	for (uint32_t i = 0; i < L->m.nent; i++) {
		const TyEntry *e = &L->m.ent[i];
		if (e->kind != E_LABEL && !(e->kind == E_OBJECT && e->sect == SEC_RODATA)) continue;
		if (e->kind == E_LABEL && e->name < L->m.nstr && exported[e->name]) continue;
		s = (Elf64_Sym){ put_str(str, ty_strof(&L->m, e->name)), ELF64_ST_INFO(STB_LOCAL, e->kind == E_LABEL ? STT_NOTYPE : STT_OBJECT),
		                 0, e->kind == E_LABEL ? S_TEXT : S_RODATA, e->kind == E_LABEL ? e->offset : L->rodata_off + e->offset, 0 };
		buf_put(sym, &s, sizeof s);
	}
	for (uint32_t i = 0; i < L->nsvc; i++) {
		s = (Elf64_Sym){ put_str(str, ty_strof(&L->host, L->host.ent[L->svc[i].entry].name)), ELF64_ST_INFO(STB_LOCAL, STT_FUNC),
		                 0, S_STUBS, L->stubs_off + i * TALMOD_STUB_SIZE, TALMOD_STUB_SIZE };
		buf_put(sym, &s, sizeof s);
	}
	uint32_t first_global = (uint32_t)(sym->n / sizeof s);
	for (uint32_t i = 0; i < L->nexp; i++) {
		const TyEntry *e = &L->m.ent[L->exp[i]];
		s = (Elf64_Sym){ put_str(str, ty_strof(&L->m, e->name)), ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), 0, S_TEXT, e->offset, 0 };
		buf_put(sym, &s, sizeof s);
	}
	free(exported);
	return first_global;
}

typedef struct Shdr { const char *name; uint32_t type; uint64_t flags, addr, off, size; uint32_t link, info; uint64_t align, entsize; } Shdr;

static void put_sections(Buf *f, Shdr *sh, Elf64_Ehdr *eh)
{
	Buf names = { 0 };
	put_str(&names, "");
	uint32_t nameoff[S_N] = { 0 };
	for (int i = 1; i < S_N; i++) nameoff[i] = put_str(&names, sh[i].name);
	sh[S_SHSTRTAB].off = put_region(f, names.p, names.n, 1);
	sh[S_SHSTRTAB].size = names.n;
	free(names.p);
	eh->e_shoff = put_region(f, NULL, 0, 8);
	for (int i = 0; i < S_N; i++) {
		Elf64_Shdr x = { nameoff[i], sh[i].type, sh[i].flags, sh[i].addr, sh[i].off, sh[i].size,
		                 sh[i].link, sh[i].info, sh[i].align, sh[i].entsize };
		if (i == 0) memset(&x, 0, sizeof x);
		buf_put(f, &x, sizeof x);
	}
	eh->e_shnum = S_N;
	eh->e_shstrndx = S_SHSTRTAB;
}

/* The module: headers, image, data template, tables, ELF sections. */
static int write_module(Link *L)
{
	Buf f = { 0 }, types = { 0 }, lines = { 0 }, iface = { 0 }, strings = { 0 }, imp = { 0 }, exp = { 0 }, sym = { 0 }, str = { 0 };
	TalModule m = { 0 };
	uint8_t head[64 + TALMOD_HDR_SIZE + 2 * sizeof(Elf64_Phdr)] = { 0 };
	buf_put(&f, head, sizeof head);
	m.version = TALMOD_VERSION;
	m.image_off = put_region(&f, L->image, L->image_size, TALMOD_PAGE);
	m.image_size = L->image_size, m.text_size = L->text_size, m.stubs_off = L->stubs_off, m.nstubs = m.nimports = L->nsvc;
	m.rodata_off = L->rodata_off, m.rodata_size = L->rodata_size;
	m.data_off = put_region(&f, L->data, L->data_size, TALMOD_PAGE);
	m.data_size = L->data_size, m.bss_size = L->bss_size;
	ty_encode(&L->m, &types);
	lt_encode(&L->lt, &lines);
	ty_encode(&L->host, &iface);
	put_str(&strings, "");
	for (uint32_t i = 0; i < L->nsvc; i++) {
		const Stub *st = &L->svc[i];
		uint32_t x[2] = { put_str(&strings, ty_strof(&L->host, L->host.ent[st->entry].name)),
		                  st->unit < 0 ? TALMOD_NO_SITE : L->u[st->unit].base[SEC_TEXT] + st->off };
		buf_put(&imp, x, 8);
	}
	for (uint32_t i = 0; i < L->nexp; i++) {
		const TyEntry *e = &L->m.ent[L->exp[i]];
		uint32_t x[2] = { put_str(&strings, ty_strof(&L->m, e->name)), e->offset };
		buf_put(&exp, x, 8);
	}
	m.types_off = put_region(&f, types.p, types.n, 8), m.types_size = (uint32_t)types.n;
	m.lines_off = put_region(&f, lines.p, lines.n, 8), m.lines_size = (uint32_t)lines.n;
	m.iface_off = put_region(&f, iface.p, iface.n, 8), m.iface_size = (uint32_t)iface.n;
	m.imports_off = put_region(&f, imp.p, imp.n, 8);
	m.exports_off = put_region(&f, exp.p, exp.n, 8), m.nexports = L->nexp;
	m.strings_off = put_region(&f, strings.p, strings.n, 8), m.strings_size = (uint32_t)strings.n;
	uint32_t first_global = put_symbols(L, &sym, &str);
	uint64_t dvaddr = align_up(L->image_size, TALMOD_PAGE);
	Shdr sh[S_N] = {
		[S_TEXT] = { ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0, m.image_off, L->text_size, 0, 0, 16, 0 },
		[S_STUBS] = { ".tal.stubs", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, L->stubs_off, m.image_off + L->stubs_off, L->nsvc * TALMOD_STUB_SIZE, 0, 0, 16, TALMOD_STUB_SIZE },
		[S_RODATA] = { ".rodata", SHT_PROGBITS, SHF_ALLOC, L->rodata_off, m.image_off + L->rodata_off, L->rodata_size, 0, 0, 16, 0 },
		[S_DATA] = { ".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, dvaddr, m.data_off, L->data_size, 0, 0, 16, 0 },
		[S_BSS] = { ".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, dvaddr + L->data_size, m.data_off + L->data_size, L->bss_size, 0, 0, 16, 0 },
		[S_MODULE] = { ".tal.module", SHT_PROGBITS, 0, 0, TALMOD_HDR_OFF, TALMOD_HDR_SIZE, 0, 0, 8, 0 },
		[S_TYPES] = { ".tal.types", SHT_PROGBITS, 0, 0, m.types_off, m.types_size, 0, 0, 8, 0 },
		[S_LINES] = { ".tal.lines", SHT_PROGBITS, 0, 0, m.lines_off, m.lines_size, 0, 0, 8, 0 },
		[S_IFACE] = { ".tal.iface", SHT_PROGBITS, 0, 0, m.iface_off, m.iface_size, 0, 0, 8, 0 },
		[S_IMPORTS] = { ".tal.imports", SHT_PROGBITS, 0, 0, m.imports_off, imp.n, 0, 0, 4, 8 },
		[S_EXPORTS] = { ".tal.exports", SHT_PROGBITS, 0, 0, m.exports_off, exp.n, 0, 0, 4, 8 },
		[S_STRINGS] = { ".tal.strings", SHT_STRTAB, 0, 0, m.strings_off, m.strings_size, 0, 0, 1, 0 },
		[S_SYMTAB] = { ".symtab", SHT_SYMTAB, 0, 0, 0, sym.n, S_STRTAB, first_global, 8, sizeof(Elf64_Sym) },
		[S_STRTAB] = { ".strtab", SHT_STRTAB, 0, 0, 0, str.n, 0, 0, 1, 0 },
		[S_SHSTRTAB] = { ".shstrtab", SHT_STRTAB, 0, 0, 0, 0, 0, 0, 1, 0 },
	};
	sh[S_SYMTAB].off = put_region(&f, sym.p, sym.n, 8);
	sh[S_STRTAB].off = put_region(&f, str.p, str.n, 1);
	Elf64_Ehdr eh = { { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT }, ET_DYN, EM_X86_64, EV_CURRENT, 0,
	                  64 + TALMOD_HDR_SIZE, 0, 0, sizeof(Elf64_Ehdr), sizeof(Elf64_Phdr), 1, sizeof(Elf64_Shdr), 0, 0 };
	put_sections(&f, sh, &eh);
	Elf64_Phdr ph[2] = {
		{ PT_LOAD, PF_R | PF_X, m.image_off, 0, 0, L->image_size, L->image_size, TALMOD_PAGE },
		{ PT_LOAD, PF_R | PF_W, m.data_off, dvaddr, dvaddr, L->data_size, L->data_size + L->bss_size, TALMOD_PAGE },
	};
	if (L->data_size + L->bss_size) eh.e_phnum = 2;
	memcpy(f.p, &eh, sizeof eh);
	talmod_put_header(f.p + TALMOD_HDR_OFF, &m);
	memcpy(f.p + eh.e_phoff, ph, sizeof ph);
	int r = 0;
	if (f.n > TALMOD_MAX_SIZE)   /* (nothing is written: a host would refuse it) */
		ERR(L, file_pos(L, L->o->out), "the module would be %zu bytes, more than a module may have (%u)", f.n, TALMOD_MAX_SIZE);
	else if ((r = atomic_write(L->o->out, f.p, f.n)) != 0)
		diag_fatal(L->d, "cannot write '%s': %s", L->o->out, strerror(errno));
	free(f.p), free(types.p), free(lines.p), free(iface.p), free(strings.p), free(imp.p), free(exp.p), free(sym.p), free(str.p);
	return r;
}

int link_module(const LinkOptions *o, Diag *d, char ***deps, uint32_t *ndeps)
{
	Link L = { 0 };
	L.o = o;
	L.d = d;
	ty_init(&L.host);
	ty_init(&L.hdecl);
	ty_init(&L.m);
	lt_init(&L.lt);
	char *hpath = link_find_interface(o->host ? o->host : "tal_host.tali", o->incdirs, o->nincdirs);
	int status = 0;
	if (!hpath) {
		diag_fatal(d, o->host ? "cannot find the host interface '%s'" : "cannot find the host interface %s (give --host FILE or -I DIR)",
		           o->host ? o->host : "'tal_host.tali'");
		status = 2;
	} else status = link_interface(hpath, o->incdirs, o->nincdirs, d, &L.host, &L.hdecl, deps, ndeps);
	L.hmap = xcalloc(L.host.nnode + 1, sizeof *L.hmap);
	L.u = xcalloc((size_t)o->ninputs + 1, sizeof *L.u);
	for (int i = 0; !status && i < o->ninputs; i++) {
		L.nu = i + 1;
		status = open_unit(&L, i, o->inputs[i]);
		uint32_t cap = *ndeps;
		*deps = xgrow(*deps, sizeof **deps, *ndeps + 1, &cap);
		(*deps)[(*ndeps)++] = strdup(o->inputs[i]);
	}
	if (!status) {
		check_duplicates(&L);
		find_services(&L);
		if (layout(&L) == 0) {
			apply_relocs(&L);
			merge_types(&L);
			if (!L.errors && write_module(&L) != 0) status = 2;
		}
	}
	if (!status && L.errors) status = 1;
	for (int i = 0; i < L.nu; i++) {
		tc_close(&L.u[i].obj);
		ty_free(&L.u[i].t);
		lt_free(&L.u[i].lt);
		free(L.u[i].map);
		free(L.u[i].rename);
		ty_names_free(&L.u[i].names);
	}
	free(L.u);
	free(hpath);
	free(L.hmap);
	free(L.def);
	free(L.rel);
	free(L.svc);
	free(L.image);
	free(L.data);
	free(L.exp);
	free(L.tdef);
	ty_free(&L.host);
	ty_free(&L.hdecl);
	ty_free(&L.m);
	lt_free(&L.lt);
	return status;
}
