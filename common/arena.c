#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ArenaBlock { ArenaBlock *next; size_t size; };

/* Blocks grow with the arena, each as large as all before it, from BLOCK_MIN to BLOCK: a small input takes little. */
enum { BLOCK_MIN = 64 << 10, BLOCK = 1 << 20 };

static void oom(void)
{
	fputs("fatal error: out of memory\n", stderr);
	exit(2);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) oom();
	return p;
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p) oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) oom();
	return p;
}

void *xzalloc(size_t n, size_t m)
{
	if (m && n > SIZE_MAX / m) oom();
	void *p = xmalloc(n && m ? n * m : 1);
	memset(p, 0, n * m);
	return p;
}

void *xmemdup(const void *p, size_t n)
{
	void *q = xmalloc(n ? n : 1);
	if (n) memcpy(q, p, n);
	return q;
}

void *xgrow_to(void *p, size_t sz, size_t need, unsigned *cap)
{
	size_t c = *cap;
	if (need <= c) return p;
	if (need > UINT32_MAX / 2) oom();
	while (c < need) c = c ? c * 2 : 16;
	*cap = (unsigned)c;
	return xrealloc(p, c * sz);
}

void *xgrowz_to(void *p, size_t sz, size_t need, unsigned *cap)
{
	unsigned old = *cap;
	p = xgrow_to(p, sz, need, cap);
	memset((char *)p + (size_t)old * sz, 0, (size_t)(*cap - old) * sz);
	return p;
}

void arena_init(Arena *a)
{
	memset(a, 0, sizeof *a);
}

/*
** n bytes at a multiple of `align` (a power of two, at most 16), as they
** come: a string takes its own bytes, not a multiple of 16.
*/
static void *arena_raw(Arena *a, size_t n, size_t align)
{
	size_t pad = (size_t)-(uintptr_t)a->cur & (align - 1);
	if ((size_t)(a->end - a->cur) < n || (size_t)(a->end - a->cur) - n < pad) {
		size_t block = a->total < BLOCK_MIN ? BLOCK_MIN : a->total > BLOCK ? BLOCK : a->total;
		size_t size = n > block / 4 ? n + sizeof(ArenaBlock) + 16 : block;
		ArenaBlock *b = xmalloc(size);
		b->next = a->head;
		b->size = size;
		a->head = b;
		a->cur = (char *)b + ((sizeof *b + 15) & ~(size_t)15);
		a->end = (char *)b + size;
		a->total += size;
		pad = 0;
	}
	void *p = a->cur + pad;
	a->cur += pad + n;
	return p;
}

void *arena_alloc(Arena *a, size_t n)
{
	void *p = arena_raw(a, n, 16);
	memset(p, 0, n);
	return p;
}

char *arena_strdup(Arena *a, const char *s, size_t n)
{
	char *p = arena_raw(a, n + 1, 1);   /* every byte written below */
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

void arena_free(Arena *a)
{
	ArenaBlock *b = a->head;
	while (b) {
		ArenaBlock *next = b->next;
		free(b);
		b = next;
	}
	arena_init(a);
}
