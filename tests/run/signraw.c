/*
** signraw KEY CERT IN OUT - sign a module's bytes as they are, unverified:
** for tests of what the host refuses by itself, whatever the verifier
** would have said.  (talcheck --sign signs only what it verified.)
*/
#include <stdio.h>
#include <stdlib.h>

#include "readfile.h"
#include "talsign.h"

int main(int argc, char **argv)
{
	if (argc != 5) { fprintf(stderr, "usage: signraw KEY CERT IN OUT\n"); return 2; }
	uint8_t *p, *s;
	size_t n, sn;
	char err[256];
	if (read_whole(argv[3], 1u << 30, &p, &n) != 0) { fprintf(stderr, "signraw: %s: %s\n", argv[3], read_error(errno)); return 2; }
	if (talsig_sign(p, n, NULL, "signraw", argv[1], argv[2], &s, &sn, err, sizeof err) != 0) { fprintf(stderr, "signraw: %s\n", err); return 2; }
	FILE *f = fopen(argv[4], "wb");
	int ok = f && fwrite(s, 1, sn, f) == sn;
	if (f && fclose(f) != 0) ok = 0;
	if (!ok) { perror(argv[4]); return 2; }
	free(p), free(s);
	return 0;
}
