/*
** svc.c - what a host service call from verified code costs, against a
** system call and against a plain indirect call in C.
**
**   svc CERT getpid.signed.tlm CALLS SYSCALLS REPS
**
** 1. tal_getpid from verified code: one talrt_call of getpid_loop(CALLS)
**    (examples/getpid.tal), which calls the service CALLS times through
**    the module's stub and the host's shim; the time of the whole
**    talrt_call divided by CALLS.  The result must be CALLS * getpid().
** 2. syscall(SYS_getpid), SYSCALLS times in a C loop: a real system call
**    (glibc does not cache the pid, and syscall() bypasses it anyway).
** 3. A C loop making CALLS calls through a function pointer (read from a
**    volatile each time, so the compiler can neither inline nor hoist it)
**    to a non-inlined function returning the pid read once.
**
** Each is run REPS times after a warm-up; the median is printed, in
** nanoseconds per call:  svc_ns, syscall_ns, fnptr_ns.
*/
#include "common.h"   /* first: it defines _GNU_SOURCE */

#include <sys/syscall.h>
#include <unistd.h>

static long cached_pid;

__attribute__((noinline)) static long plain_getpid(void)
{
	__asm__ volatile("");
	return cached_pid;
}

static long (*volatile plain_fn)(void) = plain_getpid;

static double time_service(TalInstance *in, int e, long calls, long pid)
{
	TalValue a = { .kind = TALV_INT, .i = calls };
	double t0 = now_ns();
	int64_t sum = tal_call(in, e, &a, 1);
	double t1 = now_ns();
	if (sum != (int64_t)calls * pid)
		die(1, "getpid_loop(%ld) returned %lld, not %ld * %ld", calls, (long long)sum, calls, pid);
	return (t1 - t0) / (double)calls;
}

static double time_syscall(long n, long pid)
{
	long sum = 0;
	double t0 = now_ns();
	for (long i = 0; i < n; i++) sum += syscall(SYS_getpid);
	double t1 = now_ns();
	if (sum != n * pid) die(1, "syscall(SYS_getpid) gave another pid");
	return (t1 - t0) / (double)n;
}

static double time_fnptr(long n, long pid)
{
	long sum = 0;
	double t0 = now_ns();
	for (long i = 0; i < n; i++) sum += plain_fn();
	double t1 = now_ns();
	if (sum != n * pid) die(1, "the function pointer loop went wrong");
	return (t1 - t0) / (double)n;
}

int main(int argc, char **argv)
{
	prog_name = "svc";
	if (argc != 6) die(2, "usage: svc CERT getpid.signed.tlm CALLS SYSCALLS REPS");
	long calls = arg_long(argv[3], "CALLS"), syscalls = arg_long(argv[4], "SYSCALLS");
	int reps = (int)arg_long(argv[5], "REPS");
	long pid = getpid();
	cached_pid = pid;

	TalRuntime *rt = tal_runtime(argv[1]);
	TalMod *m;
	TalInstance *in = tal_open(rt, argv[2], &m);
	int e = tal_export(m, "getpid_loop");

	double *svc = calloc((size_t)reps, sizeof *svc), *sys = calloc((size_t)reps, sizeof *sys),
	       *fnp = calloc((size_t)reps, sizeof *fnp);
	if (!svc || !sys || !fnp) die(2, "out of memory");
	/* warm-up: page in the stacks and code, settle the clock */
	time_service(in, e, calls / 10 + 1, pid);
	time_syscall(syscalls / 10 + 1, pid);
	time_fnptr(calls / 10 + 1, pid);
	/* interleaved, so a slow moment of the machine hits all three alike */
	for (int r = 0; r < reps; r++) {
		svc[r] = time_service(in, e, calls, pid);
		sys[r] = time_syscall(syscalls, pid);
		fnp[r] = time_fnptr(calls, pid);
	}
	printf("svc_calls %ld\nsyscalls %ld\nreps %d\n", calls, syscalls, reps);
	printf("svc_ns %.4f\nsyscall_ns %.4f\nfnptr_ns %.4f\n", median(svc, reps), median(sys, reps), median(fnp, reps));

	talrt_destroy(in);
	talrt_unload(m);
	talrt_free(rt);
	free(svc), free(sys), free(fnp);
	return 0;
}
