/*
** sum_so.c - examples/sum.tal in C, built as a tiny shared object: what
** startup.c loads with dlopen to compare with loading a signed module.
*/
#include <stddef.h>
#include <stdint.h>

uint64_t sum(const uint64_t *a, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++) s += a[i];
	return s;
}
