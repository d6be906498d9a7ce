/*
** common.h - what the host benchmarks share: a clock, medians, and
** loading a signed module into one instance through libtalrt.
**
** Every program prints its results as "key value" lines on standard output
** (bench/host.sh turns them into the table) and its complaints on standard
** error; exit status 0 done, 1 a result was wrong, 2 setup.
*/
#ifndef BENCH_HOST_COMMON_H
#define BENCH_HOST_COMMON_H

#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "talrt.h"

static const char *prog_name = "bench";

__attribute__((noreturn, format(printf, 2, 3)))
static void die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(status);
}

/* Nanoseconds on the monotonic clock. */
static inline double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The median of n values (sorts them). */
static inline double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline long arg_long(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 0);
	if (end == s || *end || v <= 0) die(2, "bad %s '%s'", what, s);
	return v;
}

/* A runtime trusting cert. */
static inline TalRuntime *tal_runtime(const char *cert)
{
	TalError err = { 0 };
	TalRuntime *rt = talrt_new(&err);
	if (!rt) die(2, "talrt_new: %s", err.msg);
	if (talrt_trust(rt, cert, &err) != 0) die(2, "%s: %s", cert, err.msg);
	return rt;
}

/* The index of an export of a loaded module. */
static inline int tal_export(TalMod *m, const char *name)
{
	int e = talrt_find_export(m, name);
	if (e < 0) die(2, "the module has no export '%s'", name);
	return e;
}

/* Load path and make one instance of it. */
static inline TalInstance *tal_open(TalRuntime *rt, const char *path, TalMod **mod)
{
	TalError err = { 0 };
	TalMod *m = talrt_load(rt, path, &err);
	if (!m) die(2, "%s: refused: %s", path, err.msg);
	TalInstance *in = talrt_instantiate(m, NULL, &err);
	if (!in) die(2, "%s: cannot instantiate: %s", path, err.msg);
	*mod = m;
	return in;
}

/* Call an export; a refusal or a trap ends the program. */
static inline int64_t tal_call(TalInstance *in, int e, const TalValue *args, int nargs)
{
	TalError err = { 0 };
	TalResult r;
	if (talrt_call(in, e, args, nargs, &r, &err) != 0) die(2, "talrt_call: %s", err.msg);
	if (r.trap) die(1, "the call trapped: %s at .text+%#x", talrt_trap_name(r.trap), r.offset);
	return r.value;
}

#endif
