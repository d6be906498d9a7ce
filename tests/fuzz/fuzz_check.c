/*
** fuzz_check.c - libFuzzer target for the verifier: any bytes go through
** the whole of talcheck as a file read into memory would (tc_check_image):
** the ELF reader, the type and line section decoders, the decoder and the
** checker.  libFuzzer's buffer is exactly the input's size, so a read past
** the image is caught too.  Nothing may crash, hang or leak.
**
** Each input is checked twice: in one thread, and in three threads (what
** talcheck -j 3 does to a file of any size): its blocks cut at labels into
** parts of 512 bytes or more, up to 24, which the threads take in turn.  The answers must agree: parts that accept
** what one thread rejects would be a hole in the verifier, and a part
** that rejects what one thread accepts shows as [internal].  On an
** accepted input the two must also have checked the same instructions and
** blocks (TcStats).  A disagreement aborts.
*/
#include <stdio.h>
#include <stdlib.h>

#include "tc.h"

static FILE *devnull;

/* Findings are written as --json and --sarif would, to exercise those writers too. */
static void found(void *arg, const TcFinding *x)
{
	tc_json_line(devnull, x);
	tc_sarif_result(arg, "fuzz.o", x);
}

static int check(const uint8_t *data, size_t size, int jobs, TcStats *st)
{
	TcSarif sarif;
	tc_sarif_init(&sarif);
	TcSink sink = { found, &sarif };
	Diag d;
	diag_init(&d, "talcheck", COLOR_NEVER);
	d.out = devnull;
	d.max_errors = 20;
	tc_set_jobs(jobs);
	int r = tc_check_image("fuzz.o", data, size, &d, &sink, (size & 1) ? TC_PROFILE_KERNEL : TC_PROFILE_USER, st);
	diag_free(&d);
	tc_sarif_free(&sarif);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull && !(devnull = fopen("/dev/null", "w"))) { perror("fuzz_check: /dev/null"); abort(); }
	TcStats s1, s3;
	int one = check(data, size, 1, &s1), three = check(data, size, 3, &s3);
	/* -1: not a TAL object (both say so, before any thread); 0: accepted; > 0: rejected */
	if ((one > 0) != (three > 0) || (one < 0) != (three < 0)) {
		fprintf(stderr, "fuzz_check: one thread says %d, three threads say %d\n", one, three);
		abort();
	}
	if (one == 0 && (s1.insns != s3.insns || s1.blocks != s3.blocks)) {
		fprintf(stderr, "fuzz_check: one thread checked %llu instructions in %llu blocks, three threads %llu in %llu\n",
		        (unsigned long long)s1.insns, (unsigned long long)s1.blocks, (unsigned long long)s3.insns, (unsigned long long)s3.blocks);
		abort();
	}
	return 0;
}
