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
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh)) return fail(o, err, cap, "%s: bad section header", path);
		const char *name = elf_strptr(e, shstr, sh.sh_name);
		if (!name) return fail(o, err, cap, "%s: bad section name", path);
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
	return 0;
}

void tc_close(TcObject *o)
{
	if (o->elf) elf_end(o->elf);
	if (o->fd >= 0) close(o->fd);
	o->elf = NULL;
	o->fd = -1;
}
