/*
** fuzz_check.c - libFuzzer target for the verifier: any bytes are written
** to a temporary file (tc_check_object takes a path) and go through the
** whole of talcheck: the ELF reader, the type and line section decoders,
** the decoder and the checker.  Nothing may crash, hang or leak.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tc.h"

static char path[] = "/tmp/fuzz_check.XXXXXX";
static int fd = -1;
static FILE *devnull;

/* The file is made once and rewritten for each input, in place. */
static void cleanup(void)
{
	if (fd >= 0) unlink(path);
}

static int setup(void)
{
	if (fd >= 0) return 0;
	fd = mkstemp(path);
	if (fd < 0) { perror("fuzz_check: mkstemp"); abort(); }
	atexit(cleanup);
	devnull = fopen("/dev/null", "w");
	if (!devnull) { perror("fuzz_check: /dev/null"); abort(); }
	return 0;
}

static void put_input(const uint8_t *data, size_t size)
{
	if (ftruncate(fd, 0) != 0) abort();
	size_t at = 0;
	while (at < size) {
		ssize_t k = pwrite(fd, data + at, size - at, (off_t)at);
		if (k <= 0) abort();
		at += (size_t)k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	put_input(data, size);
	Diag d;
	diag_init(&d, "talcheck", COLOR_NEVER);
	d.out = devnull;
	d.max_errors = 20;
	tc_check_object(path, &d, devnull, (size & 1) ? TC_PROFILE_KERNEL : TC_PROFILE_USER);
	diag_free(&d);
	return 0;
}
