/*
** fuzz_check.c - libFuzzer target for the verifier: any bytes go through
** the whole of talcheck as a file read into memory would (tc_check_image):
** the ELF reader, the type and line section decoders, the decoder and the
** checker.  libFuzzer's buffer is exactly the input's size, so a read past
** the image is caught too.  Nothing may crash, hang or leak.
*/
#include <stdio.h>
#include <stdlib.h>

#include "tc.h"

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull && !(devnull = fopen("/dev/null", "w"))) { perror("fuzz_check: /dev/null"); abort(); }
	Diag d;
	diag_init(&d, "talcheck", COLOR_NEVER);
	d.out = devnull;
	d.max_errors = 20;
	tc_check_image("fuzz.o", data, size, &d, devnull, (size & 1) ? TC_PROFILE_KERNEL : TC_PROFILE_USER);
	diag_free(&d);
	return 0;
}
