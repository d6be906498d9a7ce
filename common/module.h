/*
** module.h - the linked module (.tlm) and its signature trailer.
**
** tallink writes a module; talcheck verifies it and appends a signature;
** the hosts (user space and kernel) parse it.  Everything here reads bytes
** it does not trust and is freestanding (no allocation, no libc beyond the
** string functions the kernel has too), so the kernel shim can use the same code.
**
** A module is an ELF64 x86-64 file (ET_DYN, so readelf and objdump read it)
** whose first bytes after the ELF header are a fixed module header.  The
** header, not the section table, is what hosts and the verifier go by; the
** sections only describe the same bytes to ELF tools.  docs/modules.md gives
** the layout byte by byte.
**
**   file: [ELF header][module header][program headers]...[image][data]
**         [types][lines][interface][imports][exports][strings][sections]
**   signed file: [module][attestation][PKCS#7 DER][module_signature][magic]
*/
#ifndef TAL_MODULE_H
#define TAL_MODULE_H

#include <stddef.h>
#include <stdint.h>

#define TALMOD_MAGIC      "TALMOD\0\1"  /* 8 bytes                         */
#define TALMOD_VERSION    2             /* 2: exports sorted by name  */
#define TALMOD_HDR_OFF    64            /* right after the Elf64_Ehdr      */
#define TALMOD_HDR_SIZE   104
#define TALMOD_PAGE       4096          /* the image starts on a page      */
#define TALMOD_STUB_SIZE  16            /* one host-service stub           */
#define TALMOD_MAX_SIZE   (1u << 30)    /* no module is bigger             */

/*
** The module header: the magic, then these fields in this order, each a
** little-endian u32; offsets are from the start of the file.
*/
typedef struct TalModule {
	uint32_t version;
	uint32_t flags;                     /* 0                                  */
	uint32_t image_off, image_size;     /* read-execute image: code, stubs, constants */
	uint32_t text_size;                 /* code: image[0, text_size)          */
	uint32_t stubs_off, nstubs;         /* image offset of the stub table     */
	uint32_t rodata_off, rodata_size;   /* image offset of the constants      */
	uint32_t data_off, data_size;       /* read-write template (file offset)  */
	uint32_t bss_size;                  /* zeroed bytes after the template    */
	uint32_t types_off, types_size;     /* .tal.types of the whole module     */
	uint32_t lines_off, lines_size;     /* .tal.lines                         */
	uint32_t iface_off, iface_size;     /* the host interface it was linked against */
	uint32_t imports_off, nimports;     /* TalModImport[nimports]             */
	uint32_t exports_off, nexports;     /* TalModExport[nexports]             */
	uint32_t strings_off, strings_size; /* NUL-terminated names               */
	/* filled by talmod_parse from the above: */
	const uint8_t *base;                /* the file                           */
	uint32_t size;                      /* bytes of the module proper         */
} TalModule;

/*
** Import i is called through stub i at image offset stubs_off + 16*i.
** Calls to a service share one stub; each jump to one (a trap, a tail
** call) has its own, whose `site` is the code offset of the jump's rel32
** field, so a host can say where a trap was taken.  Several imports may
** name the same service.
*/
#define TALMOD_NO_SITE 0xffffffffu
typedef struct TalModImport { uint32_t name, site; } TalModImport;  /* 8 bytes */
/* An entry point: its name and its image offset (inside the code); by name. */
typedef struct TalModExport { uint32_t name, offset; } TalModExport; /* 8 bytes */

/*
** Check the ELF header and the module header of `len` bytes at p (a module
** without any signature trailer: see talsig_split), and fill m.  Every
** region lies inside the file, on its alignment, apart from the others;
** names are NUL-terminated inside the string table; exports lie in the
** code, sorted by name in byte order (strcmp), no name twice.  Returns 0,
** or -1 with a message in err.
*/
int talmod_parse(TalModule *m, const uint8_t *p, size_t len, char *err, size_t errcap);

/*
** The regions the module header at p (TALMOD_HDR_OFF + TALMOD_HDR_SIZE
** bytes at least) names, as its fields say, checked for nothing: offsets
** and lengths (64-bit: a table's length is its count times 8) into off[]
** and len[], TALMOD_REGIONS of them: the image, the data template, the
** type section, the line table, the interface, the import and export
** tables and the string table.  For a reader that takes only these parts
** of a file (talcheck); talmod_parse then checks them.
*/
#define TALMOD_REGIONS 8
enum { TALMOD_REGION_LINES = 3 };   /* the line table's index among them */
void talmod_regions(const uint8_t *p, uint64_t off[TALMOD_REGIONS], uint64_t len[TALMOD_REGIONS]);

/* Import i's name, export i's name and offset (after talmod_parse succeeded). */
const char *talmod_import_name(const TalModule *m, uint32_t i);
uint32_t talmod_import_site(const TalModule *m, uint32_t i);   /* TALMOD_NO_SITE or a code offset */
const char *talmod_export_name(const TalModule *m, uint32_t i);
uint32_t talmod_export_offset(const TalModule *m, uint32_t i);
/* The export named `name`, or -1: a binary search (the names are sorted). */
int talmod_find_export(const TalModule *m, const char *name);

/*
** The source position of a code offset, from the module's line table (the
** last row at or before it; docs/typesections.md): the file's name (not
** NUL-terminated: *filelen bytes inside the module), line and column.
** 0, or -1 when the table has no such row or is malformed.  For hosts that
** cannot decode the table with typesec.c (the kernel shim).
*/
int talmod_line(const TalModule *m, uint32_t off, const char **file, uint32_t *filelen, uint32_t *line, uint32_t *col);
/* A line table's file name must not hold a control character (below 0x20, or 0x7f): the first, or NULL. */
const char *tal_name_control(const char *s, size_t n);

/*
** Writing the header (tallink).  `out` holds TALMOD_HDR_SIZE bytes.
*/
void talmod_put_header(uint8_t *out, const TalModule *m);

/* ---- the signature trailer (Linux module-signature layout) ---- */

#define TALSIG_MAGIC       "~Module signature appended~\n"   /* 28 bytes */
#define TALSIG_MAGIC_LEN   28
#define TALSIG_INFO_SIZE   12          /* struct module_signature           */
#define TALATT_MAGIC       "TALATTS1"  /* attestation block, 8 bytes        */
#define TALATT_SIZE        88
#define TALSIG_VERSION_LEN 40          /* verifier version, NUL padded      */

/*
** The attestation: what talcheck vouches for, appended to the module and
** covered by the signature.
**   magic "TALATTS1" | u32 size (88) | u32 module size |
**   verifier version (40 bytes, NUL padded) |
**   SHA-256 of the host interface the module was verified against (32 bytes)
*/
typedef struct TalAttest {
	uint32_t module_size;
	char verifier[TALSIG_VERSION_LEN + 1];
	uint8_t iface_digest[32];
} TalAttest;

/*
** A signed file split in its parts: the module, the attestation, the
** signed bytes (module + attestation) and the PKCS#7 signature in DER.
*/
typedef struct TalSigned {
	const uint8_t *module; size_t module_len;
	const uint8_t *signed_part; size_t signed_len;
	const uint8_t *pkcs7; size_t pkcs7_len;
	TalAttest att;
} TalSigned;

/* Reasons a signed file is refused before any cryptography. */
enum {
	TALSIG_OK = 0,
	TALSIG_UNSIGNED,     /* no trailer magic at the end                    */
	TALSIG_BAD_TRAILER,  /* module_signature fields are not a PKCS#7 one   */
	TALSIG_BAD_ATTEST    /* no attestation block, or it does not fit        */
};

int talsig_split(const uint8_t *p, size_t len, TalSigned *out, char *err, size_t errcap);
/*
** Does a PKCS#7 signature carry certificates or CRLs (the optional [0]
** and [1] of SignedData, after its version, digest algorithms and
** content)?  1 if it does, 0 if it does not, -1 if it is not DER of that
** shape.  A trusted certificate is trusted itself: certificates carried in
** the signature could make a chain from a trusted one (a CA) to any signer
** it issued, which the kernel's verify_pkcs7_signature would follow.
** talsig_split refuses 1; the kernel shim, whose verifier also reads BER,
** refuses anything but 0.
*/
int talsig_pkcs7_certs(const uint8_t *p, size_t n);

/* DER, read strictly: definite lengths in their shortest form only. */
typedef struct TalDer { const uint8_t *p; size_t n; } TalDer;
/* Take the next element of d, which must have tag `tag`; its contents in *in.  0 or -1. */
int talder_take(TalDer *d, uint8_t tag, TalDer *in);
/* Append attestation bytes for `a` to out (TALATT_SIZE bytes). */
void talatt_put(uint8_t *out, const TalAttest *a);
/* The 12-byte struct module_signature for a PKCS#7 signature of sig_len bytes. */
void talsig_info_put(uint8_t *out, uint32_t sig_len);

#endif
