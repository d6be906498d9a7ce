/*
** object.c - open an ELF object and find its sections, trusting nothing.
** libelf checks that each section lies inside the file; here we check the
** class, machine and type, and look sections up by name.
*/
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tc.h"

static int fail(TcObject *o, char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
	tc_close(o);
	return -1;
}

static TcSection *slot(TcObject *o, const char *name)
{
	static const char *const names[] = { "", ".text", ".rodata", ".data", ".bss" };
	for (int i = 1; i <= SEC_BSS; i++)
		if (strcmp(name, names[i]) == 0) return &o->sect[i];
	if (strcmp(name, ".tal.types") == 0) return &o->types;
	if (strcmp(name, ".tal.lines") == 0) return &o->lines;
	return NULL;
}

static int by_offset(const void *a, const void *b)
{
	const TcReloc *x = a, *y = b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Which of our sections an ELF section index is. */
static int sect_of(const TcObject *o, size_t index)
{
	for (int i = 1; i <= SEC_BSS; i++)
		if (o->sect[i].index == index) return i;
	return 0;
}

/*
** .rela.text, with each symbol's name: the checker needs to know what a
** branch or a rip-relative operand will reach once linked.
*/
static int read_relocs(TcObject *o, Elf_Scn *rela, char *err, size_t cap, const char *path)
{
	GElf_Shdr sh;
	gelf_getshdr(rela, &sh);
	Elf_Scn *symscn = elf_getscn(o->elf, sh.sh_link);
	GElf_Shdr symsh;
	Elf_Data *rd = elf_getdata(rela, NULL), *sd = symscn ? elf_getdata(symscn, NULL) : NULL;
	if (!rd || !sd || !gelf_getshdr(symscn, &symsh) || symsh.sh_type != SHT_SYMTAB) {
		snprintf(err, cap, "%s: .rela.text has no symbol table", path);
		return -1;
	}
	size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0, nsym = symsh.sh_entsize ? symsh.sh_size / symsh.sh_entsize : 0;
	o->rel = calloc(n ? n : 1, sizeof *o->rel);
	if (!o->rel) { snprintf(err, cap, "out of memory"); return -1; }
	for (size_t i = 0; i < n; i++) {
		GElf_Rela r;
		GElf_Sym s;
		if (!gelf_getrela(rd, (int)i, &r) || GELF_R_SYM(r.r_info) >= nsym ||
		    !gelf_getsym(sd, (int)GELF_R_SYM(r.r_info), &s) || r.r_offset > UINT32_MAX) {
			snprintf(err, cap, "%s: bad relocation %zu", path, i);
			return -1;
		}
		const char *name = elf_strptr(o->elf, symsh.sh_link, s.st_name);
		TcReloc *t = &o->rel[o->nrel++];
		t->offset = (uint32_t)r.r_offset;
		t->type = (uint32_t)GELF_R_TYPE(r.r_info);
		t->addend = r.r_addend;
		t->sect = GELF_ST_TYPE(s.st_info) == STT_SECTION ? sect_of(o, s.st_shndx) : 0;
		t->sym = name ? name : "";
		if (GELF_ST_TYPE(s.st_info) != STT_SECTION && s.st_shndx != SHN_UNDEF && s.st_shndx < SHN_LORESERVE) {
			/* a defined symbol: refer to it by name, like an undefined one */
			t->sect = 0;
		}
	}
	qsort(o->rel, o->nrel, sizeof *o->rel, by_offset);
	return 0;
}

const TcReloc *tc_reloc_at(const TcObject *o, uint32_t off)
{
	size_t lo = 0, hi = o->nrel;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (o->rel[mid].offset < off) lo = mid + 1;
		else hi = mid;
	}
	return lo < o->nrel && o->rel[lo].offset == off ? &o->rel[lo] : NULL;
}

int tc_open(TcObject *o, const char *path, char *err, size_t cap)
{
	memset(o, 0, sizeof *o);
	o->fd = -1;
	if (elf_version(EV_CURRENT) == EV_NONE) return fail(o, err, cap, "libelf is out of date");
	o->fd = open(path, O_RDONLY);
	if (o->fd < 0) return fail(o, err, cap, "cannot open '%s': %m", path);
	Elf *e = elf_begin(o->fd, ELF_C_READ, NULL);
	o->elf = e;
	if (!e || elf_kind(e) != ELF_K_ELF) return fail(o, err, cap, "%s: not an ELF file", path);
	GElf_Ehdr eh;
	if (!gelf_getehdr(e, &eh)) return fail(o, err, cap, "%s: bad ELF header: %s", path, elf_errmsg(-1));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64)
		return fail(o, err, cap, "%s: not an x86-64 ELF64 file", path);
	size_t shstr;
	if (elf_getshdrstrndx(e, &shstr) != 0) return fail(o, err, cap, "%s: no section name table", path);
	Elf_Scn *rela = NULL;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh)) return fail(o, err, cap, "%s: bad section header", path);
		const char *name = elf_strptr(e, shstr, sh.sh_name);
		if (!name) return fail(o, err, cap, "%s: bad section name", path);
		if (strcmp(name, ".rela.text") == 0) {
			if (rela || sh.sh_type != SHT_RELA) return fail(o, err, cap, "%s: bad .rela.text", path);
			rela = scn;
			continue;
		}
		TcSection *s = slot(o, name);
		if (!s) continue;
		if (s->index) return fail(o, err, cap, "%s: two sections named %s", path, name);
		s->index = elf_ndxscn(scn);
		s->flags = sh.sh_flags;
		if (sh.sh_type == SHT_NOBITS) { s->n = sh.sh_size; continue; }
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d && sh.sh_size) return fail(o, err, cap, "%s: section %s: %s", path, name, elf_errmsg(-1));
		if (d && d->d_size != sh.sh_size) return fail(o, err, cap, "%s: section %s is truncated", path, name);
		s->p = d ? d->d_buf : NULL;
		s->n = d ? d->d_size : 0;
	}
	if (rela && read_relocs(o, rela, err, cap, path) != 0) {
		tc_close(o);
		return -1;
	}
	return 0;
}

void tc_close(TcObject *o)
{
	free(o->rel);
	o->rel = NULL;
	o->nrel = 0;
	if (o->elf) elf_end(o->elf);
	if (o->fd >= 0) close(o->fd);
	o->elf = NULL;
	o->fd = -1;
}
