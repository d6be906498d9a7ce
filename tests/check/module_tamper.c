/*
** module_tamper MODULE WORKDIR - every byte of a linked module changed, two
** ways, each result read by the verifier in-process: it must give an
** answer (verified, rejected, or a clear error), never crash or hang.
** Prints how many edits were rejected, refused as malformed, and still
** verified (a changed immediate or line number can be harmless).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tc.h"

int main(int argc, char **argv)
{
	if (argc != 3) { fprintf(stderr, "usage: module_tamper MODULE WORKDIR\n"); return 2; }
	FILE *f = fopen(argv[1], "rb");
	if (!f) { perror(argv[1]); return 2; }
	static unsigned char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	char path[4096];
	snprintf(path, sizeof path, "%s/edited.tlm", argv[2]);
	FILE *devnull = fopen("/dev/null", "w");
	long verified = 0, rejected = 0, malformed = 0;
	static const unsigned char vals[] = { 0xff, 0x01 };
	for (size_t i = 0; i < n; i++)
		for (int v = 0; v < 2; v++) {
			unsigned char old = buf[i];
			buf[i] = (unsigned char)(old ^ vals[v]);
			FILE *o = fopen(path, "wb");
			if (!o || fwrite(buf, 1, n, o) != n || fclose(o)) { perror(path); return 2; }
			buf[i] = old;
			Diag d;
			diag_init(&d, "module_tamper", COLOR_NEVER);
			d.out = devnull;
			int r = tc_check_object(path, &d, NULL, TC_PROFILE_USER, NULL, NULL, NULL);
			diag_free(&d);
			if (r == 0) verified++;
			else if (r > 0) rejected++;
			else malformed++;
		}
	fclose(devnull);
	printf("module_tamper: %zu bytes, %ld edits: %ld rejected, %ld refused as malformed, %ld still verify\n",
	       n, verified + rejected + malformed, rejected, malformed, verified);
	return 0;
}
