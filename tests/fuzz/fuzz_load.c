/*
** fuzz_load.c - libFuzzer target for what a host reads of a module before
** anything in it is believed: any bytes go to talrt_load_mem, as a signed
** module read from a file would.  That is the signature trailer and the
** attestation (talsig_split), the module header and its tables
** (talmod_parse), the signature's DER shape and OpenSSL's reading of it,
** and the signer's lookup among the trusted certificates.  The same bytes
** are also parsed as an unsigned module (what talcheck and tallink read),
** and, when that parse accepts them, every export is looked up by name and
** the line table is asked about offsets across the image.
**
** The host trusts the certificate named by TAL_FUZZ_CERT (tests/fuzz/run.sh
** makes one and signs the seeds with its key), so that the seeds load and
** their mutations reach every check after the signature's shape.  Nothing
** may crash, hang or leak; a module that loads is unloaded again.  At the
** end it says how many inputs loaded: the seeds, signed with the trusted
** key, must (./test.sh runs them once and looks).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "talrt.h"

static TalRuntime *rt;
static unsigned long inputs, loaded;

static void say_loaded(void)
{
	fprintf(stderr, "fuzz_load: %lu of %lu inputs loaded\n", loaded, inputs);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	TalError err;
	const char *cert = getenv("TAL_FUZZ_CERT");
	(void)argc, (void)argv;
	if (!(rt = talrt_new(&err))) { fprintf(stderr, "fuzz_load: %s\n", err.msg); abort(); }
	if (cert && *cert && talrt_trust(rt, cert, &err) != 0) { fprintf(stderr, "fuzz_load: %s\n", err.msg); abort(); }
	atexit(say_loaded);
	return 0;
}

/* The unsigned reading: header, tables, names, and the line table at offsets across the image. */
static void parse_unsigned(const uint8_t *data, size_t size)
{
	TalModule m;
	char err[256];
	if (talmod_parse(&m, data, size, err, sizeof err) != 0) return;
	for (uint32_t i = 0; i < m.nexports; i++) {
		const char *name = talmod_export_name(&m, i);
		int k = talmod_find_export(&m, name);
		if (k < 0 || strcmp(talmod_export_name(&m, (uint32_t)k), name) != 0) {
			fprintf(stderr, "fuzz_load: export '%s' is not found by its name\n", name);
			abort();
		}
		(void)talmod_export_offset(&m, i);
	}
	for (uint32_t i = 0; i < m.nimports; i++) (void)talmod_import_name(&m, i), (void)talmod_import_site(&m, i);
	uint64_t step = m.image_size / 16 + 1;
	for (uint64_t off = 0; off <= m.image_size + 1; off += step) {
		const char *file;
		uint32_t filelen, line, col;
		(void)talmod_line(&m, (uint32_t)off, &file, &filelen, &line, &col);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	TalError err;
	TalMod *m = talrt_load_mem(rt, data, size, &err);
	inputs++;
	if (m) {
		loaded++;
		for (int i = 0; i < talrt_export_count(m); i++)
			if (talrt_find_export(m, talrt_export_name(m, i)) < 0) {
				fprintf(stderr, "fuzz_load: a loaded module's export '%s' is not found by its name\n", talrt_export_name(m, i));
				abort();
			}
		talrt_unload(m);
	}
	parse_unsigned(data, size);
	return 0;
}
