/*
** test_host.c - libtalrt as an embedder uses it: several modules and
** instances at once, calls from several threads, traps that leave the
** instance usable, and refusals through the library's error codes.
**
**   test_host CERT SUM.tlm DEEP.tlm HOG.tlm UNSIGNED.tlm HELLO.tlm RACE.tlm
*/
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostint.h"   /* one look inside: where the image is (image_guarded) */
#include "talrt.h"

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; printf("FAIL: " __VA_ARGS__); printf("\n"); } } while (0)

typedef struct Job { TalMod *sum, *deep; int id; int bad; } Job;

/* Each thread: its own instances of both modules, many calls, a trap in between. */
static void *worker(void *arg)
{
	Job *j = arg;
	TalError err;
	TalInstance *a = talrt_instantiate(j->sum, NULL, &err), *b = talrt_instantiate(j->deep, NULL, &err);
	if (!a || !b) { j->bad++; return NULL; }
	int es = talrt_find_export(j->sum, "sum"), ed = talrt_find_export(j->deep, "deep");
	int64_t words[100];
	for (int i = 0; i < 100; i++) words[i] = i + j->id;
	for (int round = 0; round < 200; round++) {
		TalValue v = { .kind = TALV_WORDS, .p = words, .n = 100 };
		TalResult r;
		if (talrt_call(a, es, &v, 1, &r, &err) != 0 || r.trap || r.value != 4950 + 100 * j->id) j->bad++;
		TalValue d = { .kind = TALV_INT, .i = round % 7 == 0 ? 100000000 : round };
		if (talrt_call(b, ed, &d, 1, &r, &err) != 0) j->bad++;
		else if (round % 7 == 0 ? r.trap != TALRT_TRAP_STACK : (r.trap || r.value != round)) j->bad++;
	}
	talrt_destroy(a);
	talrt_destroy(b);
	return NULL;
}

/*
** Two threads calling one instance at once: each call runs alone, or is
** refused with TALRT_EBUSY.  (smash pushes 0x4141 over and over: on the
** stack spin runs on, it would take the place of spin's return addresses.)
*/
typedef struct Racer { TalInstance *in; int export, which, ran, busy, bad; pthread_barrier_t *start; } Racer;

static void *racer(void *arg)
{
	Racer *x = arg;
	TalValue a[2] = { { .kind = TALV_INT, .i = x->which ? 0x4141 : 2000 }, { .kind = TALV_INT, .i = 2000 } };
	TalResult r;
	TalError err;
	pthread_barrier_wait(x->start);
	for (long k = 0; x->ran < 300 && k < 20000000; k++) {
		int rc = talrt_call(x->in, x->export, a, x->which ? 2 : 1, &r, &err);
		if (rc == TALRT_EBUSY) x->busy++;
		else if (rc != 0 || r.trap || r.value != 0) x->bad++;
		else x->ran++;
	}
	return NULL;
}

/* The process's address space, in KiB (VmSize), or -1. */
static long vm_size(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmSize: %ld", &kb) == 1) break;
	if (f) fclose(f);
	return kb;
}

/* A thread that makes one call (a host with a thread per request). */
static void *one_call(void *arg)
{
	Racer *x = arg;
	TalValue a = { .kind = TALV_INT, .i = 1 };
	TalResult r;
	TalError err;
	if (talrt_call(x->in, x->export, &a, 1, &r, &err) != 0 || r.trap) x->bad++;
	else x->ran++;
	return NULL;
}

/*
** The image lies between two inaccessible pages: /proc/self/maps has a
** mapping with no access that ends where it starts, and one that starts
** where it ends.
*/
static int image_guarded(const TalMod *m)
{
	uintptr_t lo = (uintptr_t)m->image, hi = lo + m->image_len;
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512], perm[8];
	int before = 0, after = 0;
	unsigned long a, b;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "%lx-%lx %7s", &a, &b, perm) == 3 && !strcmp(perm, "---p")) {
			before |= b == lo;
			after |= a == hi;
		}
	if (f) fclose(f);
	return before && after;
}

int main(int argc, char **argv)
{
	if (argc != 8) { fprintf(stderr, "usage: test_host CERT SUM DEEP HOG UNSIGNED HELLO RACE\n"); return 2; }
	TalError err;
	TalRuntime *rt = talrt_new(&err);
	CHECK(rt, "talrt_new: %s", err.msg);
	if (!rt) return 1;
	CHECK(talrt_trust(rt, argv[1], &err) == 0, "trust: %s", err.msg);
	TalMod *sum = talrt_load(rt, argv[2], &err), *deep = talrt_load(rt, argv[3], &err), *hog = talrt_load(rt, argv[4], &err);
	CHECK(sum && deep && hog, "load: %s", err.msg);
	if (!sum || !deep || !hog) return 1;
	TalMod *un = talrt_load(rt, argv[5], &err);
	CHECK(!un && err.code == TALRT_EUNSIGNED, "an unsigned module is refused with TALRT_EUNSIGNED (%d: %s)", err.code, err.msg);

	/* exports and their parameters */
	TalParam p[6];
	int es = talrt_find_export(sum, "sum");
	CHECK(es >= 0 && talrt_export_count(sum) == 1 && strcmp(talrt_export_name(sum, es), "sum") == 0, "sum's export");
	CHECK(talrt_export_params(sum, es, p, &err) == 2 && p[0].kind == TALP_WORDS && !p[0].writable && p[1].kind == TALP_LEN && p[1].len_of == 0,
	      "sum takes an array of words and its length");
	CHECK(talrt_find_export(sum, "nope") == -1, "no such export");

	/* tal_write to a pipe nobody reads: -1 (EPIPE), and the host lives on (no SIGPIPE) */
	TalMod *hello = talrt_load(rt, argv[6], &err);
	int pfd[2];
	CHECK(hello && pipe(pfd) == 0 && close(pfd[0]) == 0, "hello and a pipe: %s", err.msg);
	TalInstance *hi = hello ? talrt_instantiate(hello, &(TalLimits){ .out_fd = pfd[1] }, &err) : NULL;
	TalResult hr;
	CHECK(hi && talrt_call(hi, talrt_find_export(hello, "hello"), NULL, 0, &hr, &err) == 0 && hr.trap == 0 && hr.value == -1,
	      "tal_write to a closed pipe returns -1, and the host is not killed");
	close(pfd[1]);
	if (hi) talrt_destroy(hi);
	if (hello) talrt_unload(hello);

	/* a trap leaves the instance usable */
	TalInstance *h = talrt_instantiate(hog, &(TalLimits){ .memory_quota = 1 << 20 }, &err);
	int eh = talrt_find_export(hog, "hog");
	TalResult r;
	TalValue v = { .kind = TALV_INT, .i = 100 };
	CHECK(h && talrt_call(h, eh, &v, 1, &r, &err) == 0 && r.trap == TALRT_TRAP_QUOTA && r.file && r.line == 18,
	      "quota trap with its line (%d, line %u)", r.trap, r.line);
	v.i = 1;
	CHECK(talrt_call(h, eh, &v, 1, &r, &err) == 0 && r.trap == TALRT_TRAP_QUOTA, "the quota stays used up");
	talrt_destroy(h);
	h = talrt_instantiate(hog, &(TalLimits){ .memory_quota = 1 << 20 }, &err);
	CHECK(h && talrt_call(h, eh, &v, 1, &r, &err) == 0 && r.trap == 0, "a new instance has a new quota");
	talrt_destroy(h);

	/* the quota counts bytes, not pages: two blocks of 64 KiB need 128 KiB */
	h = talrt_instantiate(hog, &(TalLimits){ .memory_quota = (128 << 10) - 16 }, &err);
	v.i = 2;
	CHECK(h && talrt_call(h, eh, &v, 1, &r, &err) == 0 && r.trap == TALRT_TRAP_QUOTA,
	      "a quota 16 bytes short of two blocks: the quota trap (%d)", h ? (int)r.trap : -1);
	if (h) talrt_destroy(h);
	h = talrt_instantiate(hog, &(TalLimits){ .memory_quota = 128 << 10 }, &err);
	CHECK(h && talrt_call(h, eh, &v, 1, &r, &err) == 0 && r.trap == 0, "a quota of exactly two blocks fits them (%d)", h ? (int)r.trap : -1);
	if (h) talrt_destroy(h);

	/* blocks against inaccessible pages: the same quota, the same zeroed blocks */
	h = talrt_instantiate(hog, &(TalLimits){ .memory_quota = 1 << 20, .guard_blocks = 1 }, &err);
	v.i = 16;
	CHECK(h && talrt_call(h, eh, &v, 1, &r, &err) == 0 && r.trap == 0 && r.value == 0, "guarded: 16 blocks of 64 KiB fit 1 MiB (%d)", r.trap);
	v.i = 1;
	CHECK(h && talrt_call(h, eh, &v, 1, &r, &err) == 0 && r.trap == TALRT_TRAP_QUOTA && r.line == 18,
	      "guarded: the 17th is the quota trap (%d, line %u)", r.trap, r.line);
	talrt_destroy(h);

	/* limits past 1 TiB are refused by name, not wrapped when rounded to pages */
	h = talrt_instantiate(hog, &(TalLimits){ .memory_quota = SIZE_MAX }, &err);
	CHECK(!h && err.code == TALRT_ENOMEM && strstr(err.msg, "memory_quota"), "a quota of SIZE_MAX is refused (%s)", err.msg);
	h = talrt_instantiate(hog, &(TalLimits){ .stack_size = SIZE_MAX - 4095 }, &err);
	CHECK(!h && err.code == TALRT_ENOMEM && strstr(err.msg, "stack_size"), "a stack of nearly SIZE_MAX is refused (%s)", err.msg);
	h = talrt_instantiate(hog, &(TalLimits){ .memory_quota = (size_t)1 << 40, .guard_blocks = 1 }, &err);
	CHECK(h, "a quota of 1 TiB, guarded, is address space only (%s)", h ? "" : err.msg);
	talrt_destroy(h);

	/* wrong arguments are refused before anything runs */
	TalInstance *s = talrt_instantiate(sum, NULL, &err);
	CHECK(talrt_call(s, es, &v, 1, &r, &err) == TALRT_EARGS, "an integer for an array is refused");
	CHECK(talrt_call(s, es, NULL, 0, &r, &err) == TALRT_EARGS, "too few arguments are refused");
	talrt_destroy(s);

	CHECK(image_guarded(sum) && image_guarded(deep) && image_guarded(hog), "each image lies between two inaccessible pages");

	/* threads, each with instances of both modules */
	enum { N = 4 };
	pthread_t t[N];
	Job jobs[N];
	for (int i = 0; i < N; i++) {
		jobs[i] = (Job){ sum, deep, i, 0 };
		pthread_create(&t[i], NULL, worker, &jobs[i]);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		CHECK(jobs[i].bad == 0, "thread %d: %d bad calls", i, jobs[i].bad);
	}
	/* two threads, one instance */
	TalMod *race = talrt_load(rt, argv[7], &err);
	CHECK(race, "load race: %s", race ? "" : err.msg);
	TalInstance *one = race ? talrt_instantiate(race, NULL, &err) : NULL;
	if (one) {
		pthread_barrier_t start;
		pthread_barrier_init(&start, NULL, 2);
		Racer x[2];
		for (int i = 0; i < 2; i++) {
			x[i] = (Racer){ one, talrt_find_export(race, i ? "smash" : "spin"), i, 0, 0, 0, &start };
			pthread_create(&t[i], NULL, racer, &x[i]);
		}
		for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
		pthread_barrier_destroy(&start);
		printf("one instance, two threads: spin ran %d calls (%d refused busy), smash %d (%d)\n", x[0].ran, x[0].busy, x[1].ran, x[1].busy);
		for (int i = 0; i < 2; i++)
			CHECK(x[i].bad == 0 && x[i].ran > 0, "one instance, two threads: %s ran %d calls, %d bad, %d refused busy",
			      i ? "smash" : "spin", x[i].ran, x[i].bad, x[i].busy);
		/* 400 threads one after another, a call each: the signal stack each
		   was given (64 KiB) goes when it ends (25 MiB of address space would not) */
		Racer y = { one, talrt_find_export(race, "spin"), 0, 0, 0, 0, NULL };
		long before = vm_size();
		for (int i = 0; i < 400; i++)
			if (pthread_create(&t[0], NULL, one_call, &y) == 0) pthread_join(t[0], NULL);
		long grew = vm_size() - before;
		CHECK(y.ran == 400 && y.bad == 0, "400 threads, a call each: %d ran, %d bad", y.ran, y.bad);
		CHECK(before > 0 && grew < 4096, "400 threads, a call each: the address space grew by %ld KiB", grew);
		talrt_destroy(one);
	}
	talrt_unload(race);
	talrt_unload(sum);
	talrt_unload(deep);
	talrt_unload(hog);
	talrt_free(rt);
	printf("%d failure(s)\n", failures);
	return failures != 0;
}
