/*
** zydis_rate.c - how fast Zydis decodes a buffer of x86-64 machine code.
**
**   zydis_rate FILE [MIN_SECONDS]
**
** FILE is raw code (objcopy -O binary -j .text).  The whole buffer is
** decoded with ZydisDecoderDecodeFull in 64-bit mode, instruction after
** instruction, again and again until at least MIN_SECONDS (default 0.5) of
** CPU-clock time have passed and at least 3 passes were made; the time
** comes from clock_gettime(CLOCK_MONOTONIC).  Prints one line:
**
**     instructions I passes P seconds T rate R
**
** I is the number of instructions in one pass, R instructions per second
** over all passes.  A byte Zydis cannot decode is skipped and counted; the
** exit status is 1 if there was one, 2 on a usage or I/O error.
*/
#define _POSIX_C_SOURCE 199309L
#include <Zydis/Zydis.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 2) { fprintf(stderr, "usage: zydis_rate FILE [MIN_SECONDS]\n"); return 2; }
	double min_seconds = argc > 2 ? atof(argv[2]) : 0.5;

	FILE *f = fopen(argv[1], "rb");
	if (!f) { perror(argv[1]); return 2; }
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	rewind(f);
	unsigned char *buf = malloc(size > 0 ? (size_t)size : 1);
	if (!buf || size <= 0 || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "zydis_rate: cannot read %s\n", argv[1]);
		return 2;
	}
	fclose(f);

	ZydisDecoder dec;
	if (!ZYAN_SUCCESS(ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64))) {
		fprintf(stderr, "zydis_rate: ZydisDecoderInit failed\n");
		return 2;
	}

	ZydisDecodedInstruction insn;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	unsigned long per_pass = 0, bad = 0, passes = 0, total = 0;
	volatile unsigned long sink = 0;   /* keep the decoder's results alive */
	double start = now(), elapsed;
	do {
		unsigned long n = 0;
		for (long off = 0; off < size; ) {
			if (ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, buf + off, (ZyanUSize)(size - off), &insn, ops))) {
				sink += insn.mnemonic + ops[0].type;
				off += insn.length;
				n++;
			} else {
				if (passes == 0) bad++;
				off++;
			}
		}
		per_pass = n;
		total += n;
		passes++;
		elapsed = now() - start;
	} while (elapsed < min_seconds || passes < 3);

	printf("instructions %lu passes %lu seconds %.6f rate %.0f\n",
	       per_pass, passes, elapsed, (double)total / elapsed);
	if (bad) { fprintf(stderr, "zydis_rate: %lu undecodable bytes\n", bad); return 1; }
	return 0;
}
