/*
** fuzz_asm.c - libFuzzer target for the assembler: any bytes go through the
** whole pipeline short of writing the file (parse, layout, resolve, section
** contents, type and line sections).  Nothing may crash, hang or leak.
*/
#include <stdio.h>
#include <string.h>

#include "as.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	if (!devnull) devnull = fopen("/dev/null", "w");
	Diag d;
	Asm as;
	diag_init(&d, "talas", COLOR_NEVER);
	d.out = devnull;
	d.max_errors = 20;
	as_init(&as, &d);
	SrcFile f;
	char *text = arena_alloc(&as.arena, size + 2);
	memcpy(text, data, size);
	f.name = "fuzz.tal";
	f.text = text;
	f.len = size;
	f.id = diag_source(&d, f.name, text, size);
	if (as_parse(&as, &f) == 0 && as_layout(&as) == 0 && as_resolve(&as) == 0) {
		for (int i = 1; i < AS_NSECT; i++) free(as_contents(&as, i));
		Buf b = { 0 };
		ty_encode(&as.types, &b);
		lt_encode(&as.lt, &b);
		free(b.p);
	}
	as_free(&as);
	diag_free(&d);
	return 0;
}
