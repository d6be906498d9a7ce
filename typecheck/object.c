/*
** object.c - open an ELF object and find its sections, trusting nothing.
** libelf checks that a section it reads lies inside the file; here we check
** the class, byte order, machine and type, that every section lies inside
** the file apart from the others, and look sections up by name.
*/
#define _GNU_SOURCE   /* mremap */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

const char *const tc_sect_names[SEC_BSS + 1] = { "", ".text", ".rodata", ".data", ".bss" };

static TcSection *slot(TcObject *o, const char *name)
{
	for (int i = 1; i <= SEC_BSS; i++)
		if (strcmp(name, tc_sect_names[i]) == 0) return &o->sect[i];
	if (strcmp(name, ".tal.types") == 0) return &o->types;
	if (strcmp(name, ".tal.lines") == 0) return &o->lines;
	return NULL;
}

/*
** What a section the checker does not read would do once a system linker
** (not tallink, which keeps only the sections above) links the object:
** the checker's verdict holds only for the code and data it read.  So no
** other section is loaded (allocated) or executable, relocates anything,
** runs at start-up, or groups sections for the linker to drop: why one
** would, or NULL.
*/
static const char *foreign_section(const GElf_Shdr *sh)
{
	switch (sh->sh_type) {
	case SHT_REL: case SHT_RELA: return "holds relocations: only those of .rela.text are checked";
	case SHT_INIT_ARRAY: case SHT_FINI_ARRAY: case SHT_PREINIT_ARRAY: return "holds code addresses a program calls at start or exit";
	case SHT_GROUP: return "groups sections a linker may drop or keep";
	}
	if (sh->sh_flags & SHF_EXECINSTR) return "is executable: only .text is checked";
	if (sh->sh_flags & SHF_ALLOC) return "is loaded with the program: only .text, .rodata, .data and .bss are checked";
	return NULL;
}

static int by_offset(const void *a, const void *b)
{
	const TcReloc *x = a, *y = b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Which of our sections an ELF section index is (0, SHN_UNDEF, is none). */
static int sect_of(const TcObject *o, size_t index)
{
	for (int i = 1; i <= SEC_BSS; i++)
		if (index && o->sect[i].index == index) return i;
	return 0;
}

/*
** One relocation of .text, with its symbol and the symbol's name.  Where
** it may go and what kind it may be is the checker's [reloc.place].
*/
static const char *read_reloc(TcObject *o, Elf_Data *rd, Elf_Data *sd, size_t nsym, size_t strtab, size_t i)
{
	GElf_Rela r;
	GElf_Sym s;
	if (!gelf_getrela(rd, (int)i, &r)) return "unreadable";
	if (GELF_R_SYM(r.r_info) >= nsym || !gelf_getsym(sd, (int)GELF_R_SYM(r.r_info), &s)) return "no such symbol";
	if (r.r_offset > UINT32_MAX) return "offset out of range";
	const char *name = elf_strptr(o->elf, strtab, s.st_name);
	if (!name) return "its symbol has no name";
	if (s.st_shndx >= SHN_LORESERVE) return "its symbol is absolute or common, not in a section";
	TcReloc *t = &o->rel[o->nrel++];
	t->offset = (uint32_t)r.r_offset;
	t->type = (uint32_t)GELF_R_TYPE(r.r_info);
	t->addend = r.r_addend;
	t->sect = GELF_ST_TYPE(s.st_info) == STT_SECTION ? sect_of(o, s.st_shndx) : 0;
	t->sym = name;
	t->def = 0;
	t->value = s.st_value;
	if (GELF_ST_TYPE(s.st_info) != STT_SECTION && s.st_shndx != SHN_UNDEF && s.st_shndx < SHN_LORESERVE) {
		/* a defined symbol: refer to it by name, like an undefined one (where it is: [reloc.symbol]) */
		t->sect = 0;
		t->def = sect_of(o, s.st_shndx);
		if (!t->def) t->def = -1;
	}
	return NULL;
}

/*
** .rela.text, with each symbol's name: the checker needs to know what a
** branch or a rip-relative operand will reach once linked.  Entry sizes
** must be ELF64's, so that libelf's counts are ours.
*/
static int read_relocs(TcObject *o, Elf_Scn *rela, char *err, size_t cap, const char *path)
{
	GElf_Shdr sh, symsh;
	Elf_Scn *symscn = gelf_getshdr(rela, &sh) ? elf_getscn(o->elf, sh.sh_link) : NULL;
	Elf_Data *rd = elf_getdata(rela, NULL), *sd = symscn ? elf_getdata(symscn, NULL) : NULL;
	if (!rd || !sd || !gelf_getshdr(symscn, &symsh) || symsh.sh_type != SHT_SYMTAB) {
		snprintf(err, cap, "%s: .rela.text has no symbol table", path);
		return -1;
	}
	if (sh.sh_entsize != sizeof(Elf64_Rela) || symsh.sh_entsize != sizeof(Elf64_Sym)) {
		snprintf(err, cap, "%s: .rela.text or its symbol table has entries of the wrong size", path);
		return -1;
	}
	size_t n = rd->d_size / sizeof(Elf64_Rela), nsym = sd->d_size / sizeof(Elf64_Sym);
	o->rel = calloc(n ? n : 1, sizeof *o->rel);
	if (!o->rel) { snprintf(err, cap, "out of memory"); return -1; }
	for (size_t i = 0; i < n; i++) {
		const char *why = read_reloc(o, rd, sd, nsym, symsh.sh_link, i);
		if (why) {
			snprintf(err, cap, "%s: bad relocation %zu in .rela.text: %s", path, i, why);
			return -1;
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

/*
** tc_read's buffer is mapped, not malloc'd, and populated when it is
** mapped: on a large file, taking a page fault for each page as read()
** fills it is slower than having them all at once.  (Transparent huge
** pages were tried: no faster on average, and now and then a stall of
** some 30 ms while the kernel compacted memory to make them.)  It is
** always page_up(n + 1) bytes, so tc_unread knows its size from n.
*/
static size_t page_up(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	return (n + pg - 1) / pg * pg;
}

static uint8_t *map_buffer(size_t n)
{
	uint8_t *p = mmap(NULL, page_up(n), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static uint8_t *remap_buffer(uint8_t *p, size_t old, size_t n)
{
	void *q = mremap(p, page_up(old), page_up(n), MREMAP_MAYMOVE);
	return q == MAP_FAILED ? NULL : q;
}

void tc_unread(uint8_t *p, size_t n)
{
	if (p) munmap(p, page_up(n + 1));
}

/* Fault in the pages of p[off, off + len) at once (a hint: without it, each faults as it is written). */
static void populate(uint8_t *p, uint64_t off, uint64_t len)
{
#ifdef MADV_POPULATE_WRITE
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)p + (uintptr_t)off) / pg * pg, b = (uintptr_t)p + (uintptr_t)(off + len);
	if (len) madvise((void *)a, b - a, MADV_POPULATE_WRITE);
#else
	(void)p, (void)off, (void)len;
#endif
}

/* Up to n bytes at off of the file into buf, fewer only at its end: how many, or -1 (errno). */
static ssize_t pread_full(int fd, uint8_t *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = pread(fd, buf + got, n - got, (off_t)(off + got));
		if (k < 0 && errno == EINTR) continue;
		if (k < 0) return -1;
		if (k == 0) break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* Bytes [off, off + len) of the file (of `size` bytes) into p + off, or as many as it has: 0, or -1 (errno). */
static int read_at(int fd, uint8_t *p, size_t size, uint64_t off, uint64_t len)
{
	if (off >= size) return 0;
	if (len > size - off) len = size - off;
	populate(p, off, len);
	return pread_full(fd, p + off, (size_t)len, off) < 0 ? -1 : 0;   /* (short: it shrank meanwhile, the rest stays zero) */
}

/* n bytes at off of the file into buf, all of them: 0, or -1 (short, or errno). */
static int read_exact(int fd, uint8_t *buf, size_t n, uint64_t off)
{
	return pread_full(fd, buf, n, off) == (ssize_t)n ? 0 : -1;
}

/*
** The parts of an unsigned module that checking reads (tc_read_checked):
** 1 with them in a buffer of page_up(size + 1) bytes, zero elsewhere; 0
** when the file is not one (the caller reads it whole); -1 on an I/O error.
** Its headers and its last bytes tell, read first on their own.  Its line
** table is left to `later` (which then keeps fd), read by tc_read_later.
*/
static int read_module_parts(int fd, size_t size, uint8_t **out, TcLater *later)
{
	static const uint8_t ident[] = { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB };
	uint8_t head[TALMOD_HDR_OFF + TALMOD_HDR_SIZE], tail[TALSIG_MAGIC_LEN];
	*out = NULL;
	if (size < sizeof head + sizeof tail) return 0;
	if (read_exact(fd, head, sizeof head, 0) || read_exact(fd, tail, sizeof tail, size - sizeof tail)) return 0;   /* (the whole read reports it) */
	if (memcmp(head, ident, sizeof ident) || (head[16] | head[17] << 8) != ET_DYN ||
	    memcmp(head + TALMOD_HDR_OFF, TALMOD_MAGIC, 8) || !memcmp(tail, TALSIG_MAGIC, TALSIG_MAGIC_LEN))
		return 0;
	uint8_t *p = mmap(NULL, page_up(size + 1), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) return 0;
	memcpy(p, head, sizeof head);
	uint64_t off[TALMOD_REGIONS], len[TALMOD_REGIONS], shoff = 0;
	uint16_t shnum = (uint16_t)(head[0x3c] | head[0x3d] << 8), shent = (uint16_t)(head[0x3a] | head[0x3b] << 8);
	for (int i = 0; i < 8; i++) shoff |= (uint64_t)head[0x28 + i] << 8 * i;
	talmod_regions(head, off, len);
	int r = read_at(fd, p, size, shoff, (uint64_t)shnum * shent) ? -1 : 1;   /* for libelf, though a module's are not used */
	for (int i = 0; r > 0 && i < TALMOD_REGIONS; i++)
		if (i != TALMOD_REGION_LINES && read_at(fd, p, size, off[i], len[i])) r = -1;
	if (r > 0) {
		*out = p;
		*later = (TcLater){ .fd = fd, .p = p, .size = size, .off = off[TALMOD_REGION_LINES], .len = len[TALMOD_REGION_LINES] };
	} else munmap(p, page_up(size + 1));
	return r;
}

int tc_read_later(TcLater *l)
{
	if (l->fd < 0) return l->err ? -1 : 0;
	int r = read_at(l->fd, l->p, l->size, l->off, l->len);
	l->err = r ? errno : 0;
	close(l->fd);
	l->fd = -1;
	return r;
}

void tc_later_drop(TcLater *l)
{
	if (l->fd >= 0) close(l->fd);
	l->fd = -1;
}

/*
** The whole file, read once: everything after this looks at these bytes
** only, and a caller that goes on to sign signs exactly the bytes checked,
** whatever happens to the file meanwhile.  A path names a regular file;
** opening a FIFO must not wait for a writer.  With `parts`, of an
** unsigned module only what checking reads (tc_read_checked), its line
** table left to `later`.
*/
static int read_file(const char *path, TcLater *later, uint8_t **out, size_t *len, char *err, size_t cap)
{
	struct stat st;
	uint8_t *p = NULL;
	size_t n = 0, have = 0;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	*out = NULL;
	*len = 0;
	if (fd < 0) { snprintf(err, cap, "cannot open '%s': %s", path, strerror(errno)); return -1; }
	if (fstat(fd, &st) != 0) { snprintf(err, cap, "cannot read '%s': %s", path, strerror(errno)); goto fail; }
	if (S_ISDIR(st.st_mode)) { snprintf(err, cap, "%s: is a directory", path); goto fail; }
	if (!S_ISREG(st.st_mode)) { snprintf(err, cap, "%s: not a regular file", path); goto fail; }
	if ((uint64_t)st.st_size > TC_FILE_MAX) goto too_big;
	if (later) {
		int r = read_module_parts(fd, (size_t)st.st_size, &p, later);
		if (r < 0) { snprintf(err, cap, "cannot read '%s': %s", path, strerror(errno)); goto fail; }
		if (r > 0) {   /* (fd is later's now) */
			*out = p;
			*len = (size_t)st.st_size;
			return 0;
		}
	}
	have = (size_t)st.st_size + 1;   /* one more: the end is seen without growing */
	if (!(p = map_buffer(have))) goto no_memory;
	for (;;) {
		if (n == have) {               /* the file grew while read */
			if (have > TC_FILE_MAX) goto too_big;
			uint8_t *q = remap_buffer(p, have, have * 2);
			if (!q) goto no_memory;
			p = q;
			have *= 2;
		}
		ssize_t k = read(fd, p + n, have - n);
		if (k < 0 && errno == EINTR) continue;
		if (k < 0) { snprintf(err, cap, "cannot read '%s': %s", path, strerror(errno)); goto fail; }
		if (k == 0) break;
		n += (size_t)k;
	}
	if (n > TC_FILE_MAX) goto too_big;
	if (page_up(n + 1) < page_up(have)) {   /* it shrank: keep page_up(n + 1) bytes */
		munmap(p + page_up(n + 1), page_up(have) - page_up(n + 1));
		have = n + 1;
	}
	close(fd);
	*out = p;
	*len = n;
	return 0;
no_memory:
	snprintf(err, cap, "%s: out of memory", path);
	goto fail;
too_big:
	snprintf(err, cap, "%s: larger than %u MiB", path, TC_FILE_MAX >> 20);
fail:
	if (p) munmap(p, page_up(have));
	close(fd);
	return -1;
}

int tc_read(const char *path, uint8_t **out, size_t *len, char *err, size_t cap)
{
	return read_file(path, NULL, out, len, err, cap);
}

int tc_read_checked(const char *path, uint8_t **out, size_t *len, TcLater *later, char *err, size_t cap)
{
	*later = (TcLater){ .fd = -1 };
	return read_file(path, later, out, len, err, cap);
}

/* What talas writes: an ELF64 little-endian x86-64 relocatable object. */
static int check_header(TcObject *o, const GElf_Ehdr *eh, char *err, size_t cap, const char *path)
{
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64)
		return fail(o, err, cap, "%s: not an x86-64 ELF64 file", path);
	if (eh->e_type != ET_REL && eh->e_type != ET_DYN)
		return fail(o, err, cap, "%s: not a relocatable object (ELF type %u)", path, eh->e_type);
	/* libelf reads the headers as Elf64_Shdr whatever the file says */
	if (eh->e_shoff && eh->e_shentsize != sizeof(Elf64_Shdr))
		return fail(o, err, cap, "%s: section headers of %u bytes, not %zu", path, eh->e_shentsize, sizeof(Elf64_Shdr));
	return 0;
}

typedef struct Extent { uint64_t off, end; size_t index; } Extent;

static int by_start(const void *a, const void *b)
{
	const Extent *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

/*
** Every section with bytes lies inside the file, and no two share a byte:
** otherwise the same bytes could be checked as code and read as types, or
** be written by the linker in one section and trusted in another.
*/
static int check_layout(TcObject *o, const GElf_Ehdr *eh, uint64_t fsize, char *err, size_t cap, const char *path)
{
	size_t n, k = 0;
	if (elf_getshdrnum(o->elf, &n) != 0) return fail(o, err, cap, "%s: bad section count: %s", path, elf_errmsg(-1));
	/* libelf shows a table cut short as no sections at all (e_shnum 0: the
	   count is in section 0, which must be there then) */
	size_t want = eh->e_shnum ? eh->e_shnum : n ? n : eh->e_shoff != 0;
	if (want && (eh->e_shoff > fsize || want > (fsize - eh->e_shoff) / sizeof(Elf64_Shdr)))
		return fail(o, err, cap, "%s: the section headers run past the end of the file", path);
	Extent *x = calloc(n ? n : 1, sizeof *x);
	if (!x) return fail(o, err, cap, "out of memory");
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(o->elf, scn)) && k < n;) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh)) { free(x); return fail(o, err, cap, "%s: bad section header", path); }
		if (sh.sh_type == SHT_NOBITS || sh.sh_size == 0) continue;
		if (sh.sh_offset > fsize || sh.sh_size > fsize - sh.sh_offset) {
			free(x);
			return fail(o, err, cap, "%s: section %zu runs past the end of the file", path, elf_ndxscn(scn));
		}
		x[k++] = (Extent){ sh.sh_offset, sh.sh_offset + sh.sh_size, elf_ndxscn(scn) };
	}
	qsort(x, k, sizeof *x, by_start);
	for (size_t i = 1; i < k; i++)
		if (x[i].off < x[i - 1].end) {
			size_t a = x[i - 1].index, b = x[i].index;
			free(x);
			return fail(o, err, cap, "%s: sections %zu and %zu overlap", path, a, b);
		}
	free(x);
	return 0;
}

/* One of the sections we read: its bytes (.bss: only its size). */
static int read_section(TcObject *o, TcSection *s, Elf_Scn *scn, const GElf_Shdr *sh, char *err, size_t cap, const char *path, const char *name)
{
	if (s->index) return fail(o, err, cap, "%s: two sections named %s", path, name);
	s->index = elf_ndxscn(scn);
	s->flags = sh->sh_flags;
	if (sh->sh_type == SHT_NOBITS && s == &o->sect[SEC_BSS]) {   /* (takes no room in the file, so bound it here) */
		if (sh->sh_size > TALMOD_MAX_SIZE)
			return fail(o, err, cap, "%s: a .bss of %llu bytes: more than a module may have (%u)", path, (unsigned long long)sh->sh_size, TALMOD_MAX_SIZE);
		s->n = sh->sh_size;
		return 0;
	}
	/* anything else must be bytes of the file: NOBITS would give none to read */
	if (sh->sh_type != SHT_PROGBITS) return fail(o, err, cap, "%s: section %s has type %u, not PROGBITS", path, name, sh->sh_type);
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d && sh->sh_size) return fail(o, err, cap, "%s: section %s: %s", path, name, elf_errmsg(-1));
	if (d && d->d_size != sh->sh_size) return fail(o, err, cap, "%s: section %s is truncated", path, name);
	s->p = d ? d->d_buf : NULL;
	s->n = d ? d->d_size : 0;
	return 0;
}

/*
** A module: its own header says where everything is (common/module.c
** checks it); the ELF section table only describes it to other tools.
** A signed module is read up to its signature.
*/
static int open_module(TcObject *o, char *err, size_t cap, const char *path)
{
	size_t len = o->len;
	const uint8_t *p = o->image;
	TalSigned sg;
	char why[256];
	int r = talsig_split(p, len, &sg, why, sizeof why);
	if (r == TALSIG_OK) o->is_signed = 1, len = sg.module_len;
	else if (r != TALSIG_UNSIGNED) return fail(o, err, cap, "%s: %s", path, why);
	if (talmod_parse(&o->mod, p, len, why, sizeof why) != 0) return fail(o, err, cap, "%s: %s", path, why);
	const TalModule *m = &o->mod;
	const uint8_t *img = p + m->image_off;
	o->is_module = 1;
	o->sect[SEC_TEXT] = (TcSection){ img, m->text_size, 1, SHF_ALLOC | SHF_EXECINSTR };
	o->sect[SEC_RODATA] = (TcSection){ img + m->rodata_off, m->rodata_size, 2, SHF_ALLOC };
	o->sect[SEC_DATA] = (TcSection){ p + m->data_off, m->data_size, 3, SHF_ALLOC | SHF_WRITE };
	o->sect[SEC_BSS] = (TcSection){ NULL, m->bss_size, 4, SHF_ALLOC | SHF_WRITE };
	o->types = (TcSection){ p + m->types_off, m->types_size, 5, 0 };
	o->lines = (TcSection){ p + m->lines_off, m->lines_size, 6, 0 };
	o->iface = (TcSection){ p + m->iface_off, m->iface_size, 7, 0 };
	return 0;
}

int tc_open_image(TcObject *o, const char *path, const uint8_t *image, size_t len, char *err, size_t cap)
{
	memset(o, 0, sizeof *o);
	if (elf_version(EV_CURRENT) == EV_NONE) return fail(o, err, cap, "libelf is out of date");
	/* libelf only reads the image: sections are views of it (or copies, where misaligned) */
	Elf *e = elf_memory((char *)image, len);
	uint64_t fsize = len;
	o->elf = e;
	o->image = image;
	o->len = len;
	if (!e || elf_kind(e) != ELF_K_ELF) return fail(o, err, cap, "%s: not an ELF file", path);
	GElf_Ehdr eh;
	if (!gelf_getehdr(e, &eh)) return fail(o, err, cap, "%s: bad ELF header: %s", path, elf_errmsg(-1));
	if (check_header(o, &eh, err, cap, path) != 0) return -1;
	if (eh.e_type == ET_DYN) return open_module(o, err, cap, path);
	if (check_layout(o, &eh, fsize, err, cap, path) != 0) return -1;
	size_t shstr;
	GElf_Shdr strsh;
	Elf_Scn *strscn = elf_getshdrstrndx(e, &shstr) == 0 ? elf_getscn(e, shstr) : NULL;
	if (!strscn || !gelf_getshdr(strscn, &strsh) || strsh.sh_type != SHT_STRTAB)
		return fail(o, err, cap, "%s: no section name table", path);
	Elf_Scn *rela = NULL;
	uint64_t relinfo = 0;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh)) return fail(o, err, cap, "%s: bad section header", path);
		const char *name = elf_strptr(e, shstr, sh.sh_name);
		if (!name) return fail(o, err, cap, "%s: bad section name", path);
		if (strcmp(name, ".rela.text") == 0) {
			if (rela) return fail(o, err, cap, "%s: two sections named %s", path, name);
			if (sh.sh_type != SHT_RELA) return fail(o, err, cap, "%s: bad .rela.text", path);
			rela = scn;
			relinfo = sh.sh_info;
			continue;
		}
		TcSection *s = slot(o, name);
		if (s && read_section(o, s, scn, &sh, err, cap, path, name) != 0) return -1;
		const char *foreign = s ? NULL : foreign_section(&sh);
		if (foreign) return fail(o, err, cap, "%s: section %s %s", path, name, foreign);
	}
	if (o->sect[SEC_TEXT].flags & SHF_WRITE) return fail(o, err, cap, "%s: .text is writable", path);
	if (rela && relinfo != o->sect[SEC_TEXT].index)
		return fail(o, err, cap, "%s: .rela.text applies to section %llu, not to .text", path, (unsigned long long)relinfo);
	if (rela && read_relocs(o, rela, err, cap, path) != 0) {
		tc_close(o);
		return -1;
	}
	return 0;
}

int tc_open(TcObject *o, const char *path, char *err, size_t cap)
{
	uint8_t *p;
	size_t n;
	memset(o, 0, sizeof *o);
	if (tc_read(path, &p, &n, err, cap) != 0) return -1;
	if (tc_open_image(o, path, p, n, err, cap) != 0) { tc_unread(p, n); return -1; }
	o->own = p;
	o->ownlen = n;
	return 0;
}

void tc_close(TcObject *o)
{
	free(o->rel);
	o->rel = NULL;
	o->nrel = 0;
	if (o->elf) elf_end(o->elf);
	o->elf = NULL;
	tc_unread(o->own, o->ownlen);
	o->own = NULL;
	o->ownlen = 0;
}
