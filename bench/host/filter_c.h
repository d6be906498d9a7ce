/* filter_c.h - the C packet filter of filter_c.c. */
#ifndef BENCH_HOST_FILTER_C_H
#define BENCH_HOST_FILTER_C_H

#include <stddef.h>
#include <stdint.h>

/* 1 to accept the len bytes at p, 0 to drop them. */
int filter_c(const uint8_t *p, size_t len);
/* The packets of buf (each after a 2-byte little-endian length) accepted. */
long filter_count_c(const uint8_t *buf, size_t n);

#endif
