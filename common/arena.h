/*
** arena.h - one allocation funnel.  An arena hands out memory that lives
** until the arena is freed as a whole: per input file, per module.
** Out of memory is the one condition the tools cannot recover from; xmalloc
** and friends print a message and exit 2 (library code shared with the
** kernel shim does not use them).
*/
#ifndef TAL_ARENA_H
#define TAL_ARENA_H

#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;
typedef struct Arena { ArenaBlock *head; char *cur, *end; size_t total; } Arena;

void arena_init(Arena *a);
void *arena_alloc(Arena *a, size_t n);          /* zeroed, 16-byte aligned */
char *arena_strdup(Arena *a, const char *s, size_t n);   /* n bytes and a NUL, packed: no alignment */
void arena_free(Arena *a);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
/*
** Zeroed memory that will be read before it is written (hash tables,
** caches): zeroed by writing, so that each page is the process's own from
** the start.  Fresh pages read as the one shared zero page; the write that
** later replaces it must, in a process with threads, flush the TLB of
** every processor running one.
*/
void *xzalloc(size_t n, size_t m);
/* A copy of n bytes, in a buffer of its own (of one byte when n is 0). */
void *xmemdup(const void *p, size_t n);
void *xrealloc(void *p, size_t n);
/* Grow *p (n elements of size sz, capacity *cap) to hold at least need elements. */
void *xgrow_to(void *p, size_t sz, size_t need, unsigned *cap);
/* The same, with the elements past the old capacity zeroed: for arrays indexed by id. */
void *xgrowz_to(void *p, size_t sz, size_t need, unsigned *cap);
/* Most calls find room: that test inline, the growing out of line. */
static inline void *xgrow(void *p, size_t sz, size_t need, unsigned *cap)
{
	return need <= *cap ? p : xgrow_to(p, sz, need, cap);
}
static inline void *xgrowz(void *p, size_t sz, size_t need, unsigned *cap)
{
	return need <= *cap ? p : xgrowz_to(p, sz, need, cap);
}

#endif
