/*
** elfout.c - the relocatable object, written with libelf.
**
** Sections: .text .rodata .data .bss, the type table (.tal.types) and the
** line table (.tal.lines), .rela.* for what the linker must fill,
** .note.GNU-stack, .symtab .strtab .shstrtab.  The file is written to a
** temporary beside the target and renamed, so a failed run leaves nothing.
*/
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "as.h"
#include "atomicfile.h"

typedef struct Out {
	Asm *as;
	Elf *elf;
	Buf shstr, str;
	Elf64_Sym *sym; unsigned nsym, capsym;
	uint32_t secsym[AS_NSECT];     /* section symbol of each SEC_*    */
	size_t shndx[AS_NSECT];        /* ELF section index of each SEC_* */
	uint8_t *contents[AS_NSECT];
	Buf types, lines;
	Elf64_Rela *rela[AS_NSECT]; unsigned nrela[AS_NSECT], caprela[AS_NSECT];
} Out;

static uint32_t strtab_add(Buf *b, const char *s)
{
	if (b->n == 0) buf_put(b, "", 1);
	uint32_t at = (uint32_t)b->n;
	buf_put(b, s, strlen(s) + 1);
	return at;
}

static Elf_Scn *section(Out *o, const char *name, uint32_t type, uint64_t flags,
                        void *data, size_t size, Elf_Type dtype, size_t align)
{
	Elf_Scn *scn = elf_newscn(o->elf);
	if (!scn) return NULL;
	Elf_Data *d = elf_newdata(scn);
	if (!d) return NULL;
	d->d_buf = data;
	d->d_size = size;
	d->d_type = dtype;
	d->d_align = align;
	d->d_version = EV_CURRENT;
	Elf64_Shdr *sh = elf64_getshdr(scn);
	sh->sh_name = strtab_add(&o->shstr, name);
	sh->sh_type = type;
	sh->sh_flags = flags;
	sh->sh_addralign = align;
	if (dtype == ELF_T_SYM) sh->sh_entsize = sizeof(Elf64_Sym);
	if (dtype == ELF_T_RELA) sh->sh_entsize = sizeof(Elf64_Rela);
	return scn;
}

static uint32_t add_sym(Out *o, const char *name, int bind, int type, size_t shndx, uint64_t value)
{
	o->sym = xgrow(o->sym, sizeof *o->sym, o->nsym + 1, &o->capsym);
	Elf64_Sym *s = &o->sym[o->nsym];
	memset(s, 0, sizeof *s);
	s->st_name = name ? strtab_add(&o->str, name) : 0;
	s->st_info = ELF64_ST_INFO(bind, type);
	s->st_shndx = (uint16_t)shndx;
	s->st_value = value;
	return o->nsym++;
}

/* Locals first (sections, then labels), then globals, as ELF requires. */
static uint32_t build_symtab(Out *o)
{
	Asm *as = o->as;
	add_sym(o, NULL, STB_LOCAL, STT_NOTYPE, SHN_UNDEF, 0);
	for (int i = 1; i < AS_NSECT; i++)
		o->secsym[i] = add_sym(o, NULL, STB_LOCAL, STT_SECTION, o->shndx[i], 0);
	for (uint32_t i = 0; i < as->nsyms; i++) {
		Sym *s = as->syms[i];
		if (s->defined && !s->global && strncmp(s->name, ".L", 2) != 0)
			s->elfsym = add_sym(o, s->name, STB_LOCAL, STT_NOTYPE, o->shndx[s->sect], (uint64_t)s->value);
	}
	uint32_t first_global = o->nsym;
	for (uint32_t i = 0; i < as->nsyms; i++) {
		Sym *s = as->syms[i];
		if (s->is_equ || !(s->global || (s->external && s->used))) continue;
		if (s->defined) {
			int type = s->sect == SEC_TEXT ? STT_FUNC : STT_OBJECT;
			s->elfsym = add_sym(o, s->name, STB_GLOBAL, type, o->shndx[s->sect], (uint64_t)s->value);
		} else if (s->used || s->external) {
			s->elfsym = add_sym(o, s->name, STB_GLOBAL, STT_NOTYPE, SHN_UNDEF, 0);
		}
	}
	return first_global;
}

static void build_relocs(Out *o)
{
	static const int rtype[] = { 0, R_X86_64_PC32, R_X86_64_PLT32, R_X86_64_64, R_X86_64_32 };
	Asm *as = o->as;
	for (uint32_t i = 0; i < as->nrel; i++) {
		Fixup *f = &as->rel[i];
		int64_t addend = f->addend;
		uint32_t sym = f->sym->elfsym;
		if (f->sym->defined && !f->sym->global) {
			sym = o->secsym[f->sym->sect];
			addend += f->sym->value;
		}
		int s = f->sect;
		o->rela[s] = xgrow(o->rela[s], sizeof *o->rela[s], o->nrela[s] + 1, &o->caprela[s]);
		Elf64_Rela *r = &o->rela[s][o->nrela[s]++];
		r->r_offset = as_offset(as, s, f->at);
		r->r_info = ELF64_R_INFO(sym, rtype[f->kind]);
		r->r_addend = addend;
	}
}

static int fill(Out *o, int fd)
{
	static const struct { uint32_t type; uint64_t flags; } kind[AS_NSECT] = {
		{ 0, 0 }, { SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR }, { SHT_PROGBITS, SHF_ALLOC },
		{ SHT_PROGBITS, SHF_ALLOC | SHF_WRITE }, { SHT_NOBITS, SHF_ALLOC | SHF_WRITE },
	};
	Asm *as = o->as;
	o->elf = elf_begin(fd, ELF_C_WRITE, NULL);
	if (!o->elf) return -1;
	Elf64_Ehdr *eh = elf64_newehdr(o->elf);
	if (!eh) return -1;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh->e_type = ET_REL;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	for (int i = 1; i < AS_NSECT; i++) {
		Section *s = &as->sect[i];
		o->contents[i] = as_contents(as, i);
		Elf_Scn *scn = section(o, s->name, kind[i].type, kind[i].flags, o->contents[i],
		                       s->size, ELF_T_BYTE, (size_t)1 << s->p2align);
		if (!scn) return -1;
		o->shndx[i] = elf_ndxscn(scn);
	}
	ty_encode(&as->types, &o->types);
	lt_encode(&as->lt, &o->lines);
	if (!section(o, ".tal.types", SHT_PROGBITS, 0, o->types.p, o->types.n, ELF_T_BYTE, 1)) return -1;
	if (!section(o, ".tal.lines", SHT_PROGBITS, 0, o->lines.p, o->lines.n, ELF_T_BYTE, 1)) return -1;
	uint32_t first_global = build_symtab(o);
	build_relocs(o);
	for (int i = 1; i < AS_NSECT; i++) {
		if (!o->nrela[i]) continue;
		char name[32];
		snprintf(name, sizeof name, ".rela%s", as->sect[i].name);
		Elf_Scn *scn = section(o, name, SHT_RELA, SHF_INFO_LINK, o->rela[i],
		                       o->nrela[i] * sizeof(Elf64_Rela), ELF_T_RELA, 8);
		if (!scn) return -1;
		elf64_getshdr(scn)->sh_info = (uint32_t)o->shndx[i];
	}
	if (!section(o, ".note.GNU-stack", SHT_PROGBITS, 0, NULL, 0, ELF_T_BYTE, 1)) return -1;
	Elf_Scn *symtab = section(o, ".symtab", SHT_SYMTAB, 0, o->sym, o->nsym * sizeof(Elf64_Sym), ELF_T_SYM, 8);
	if (!symtab) return -1;
	strtab_add(&o->str, "");
	Elf_Scn *strtab = section(o, ".strtab", SHT_STRTAB, 0, o->str.p, o->str.n, ELF_T_BYTE, 1);
	if (!strtab) return -1;
	Elf64_Shdr *sh = elf64_getshdr(symtab);
	sh->sh_link = (uint32_t)elf_ndxscn(strtab);
	sh->sh_info = first_global;
	for (size_t i = 1; i < elf_ndxscn(symtab); i++) {
		Elf64_Shdr *r = elf64_getshdr(elf_getscn(o->elf, i));
		if (r->sh_type == SHT_RELA) r->sh_link = (uint32_t)elf_ndxscn(symtab);
	}
	strtab_add(&o->shstr, "");
	uint32_t shname = strtab_add(&o->shstr, ".shstrtab");
	Elf_Scn *shs = section(o, ".shstrtab", SHT_STRTAB, 0, NULL, 0, ELF_T_BYTE, 1);
	if (!shs) return -1;
	elf64_getshdr(shs)->sh_name = shname;
	Elf_Data *d = elf_getdata(shs, NULL);
	d->d_buf = o->shstr.p;
	d->d_size = o->shstr.n;
	eh->e_shstrndx = (uint16_t)elf_ndxscn(shs);
	return elf_update(o->elf, ELF_C_WRITE) < 0 ? -1 : 0;
}

static void out_free(Out *o)
{
	if (o->elf) elf_end(o->elf);
	free(o->shstr.p);
	free(o->str.p);
	free(o->sym);
	free(o->types.p);
	free(o->lines.p);
	for (int i = 0; i < AS_NSECT; i++) {
		free(o->contents[i]);
		free(o->rela[i]);
	}
}

int as_write_elf(Asm *as, const char *path)
{
	AtomicFile af;
	Out o;
	memset(&o, 0, sizeof o);
	o.as = as;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		diag_fatal(as->diag, "libelf is out of date");
		return -1;
	}
	if (atomic_open(&af, path) != 0) {
		diag_fatal(as->diag, "cannot create '%s': %s", path, strerror(errno));
		return -1;
	}
	int ok = fill(&o, af.fd) == 0;
	const char *why = ok ? NULL : elf_errmsg(-1);
	out_free(&o);
	if (atomic_commit(&af, ok) != 0) {
		diag_fatal(as->diag, "cannot write '%s': %s", path, why ? why : strerror(errno));
		return -1;
	}
	return 0;
}
