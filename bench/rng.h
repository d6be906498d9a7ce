/*
** rng.h - the benchmarks' generators draw from one deterministic source:
** xorshift64*, the same sequence on every platform, unlike rand().
*/
#ifndef BENCH_RNG_H
#define BENCH_RNG_H

#include <stdint.h>

static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

/* A number in [0, n). */
static int pick(int n)
{
	return (int)(rnd() % (uint32_t)n);
}

#endif
