/*
 * kbench.c - the timing helper of bench/kernel.sh, run inside the guest
 * (static binary): the getpid loop three ways, in interleaved rounds.
 *
 *   kbench MODULE N_KERNEL N_SYSCALLS REPS
 *
 * Each round times, with clock_gettime(CLOCK_MONOTONIC) around the whole
 * of it, in this order (or the reverse):
 *   sys  N_SYSCALLS times syscall(SYS_getpid) in a loop;
 *   tal  one TAL_IOC_INVOKE on /dev/tal of MODULE's export kloop(ctx,
 *        N_KERNEL): the verified loop (examples/kernel/kgetpid.tal) calling
 *        the kernel service tal_getpid N_KERNEL times;
 *   c    one CLOOP_IOC_RUN (CLOOP_TGID) on /dev/cloop: the same loop in C
 *        in a kernel module (bench/kernel/cloop.c), N_KERNEL times
 *        task_tgid_vnr(current);
 *   svc  one CLOOP_IOC_RUN (CLOOP_SVC): the C loop calling talshim.ko's
 *        tal_ksvc_getpid() N_KERNEL times (the function kloop reaches
 *        through its stubs), for the breakdown.
 * One untimed round first (warm-up), then REPS timed rounds, every other
 * one in the reverse order.  Printed as `key value` lines: each
 * contender's median round, divided by its iterations (tal_ns, c_ns,
 * svc_ns, sys_ns; *_min and *_max: the fastest and slowest rounds;
 * c_kernel_ns: the C loop timed inside the kernel, without the ioctl
 * around it), and the medians over the rounds of the ratios within a
 * round (tal_c_ratio, sys_tal_ratio, svc_c_ratio), whose two sides ran
 * next to each other: on a busy host a slow moment then weighs on both.
 * Every sum must be the number of iterations times this process's pid.
 *
 * Exit status: 0 done, 1 a result was wrong or a call trapped, 2 setup
 * problem (a device missing, an ioctl failed, bad arguments).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "talshim_uapi.h"
#include "cloop_uapi.h"

#define MAX_REPS 201

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int tal_fd, cloop_fd;
static const char *module;
static long pid;

/* One invocation of kloop(ctx, n); exits on a wrong result or a trap. */
static void run_tal(long n)
{
	struct tal_invoke req;

	memset(&req, 0, sizeof(req));
	snprintf(req.module, sizeof(req.module), "%s", module);
	snprintf(req.export, sizeof(req.export), "kloop");
	req.nargs = 1;
	req.args[0] = n;
	if (ioctl(tal_fd, TAL_IOC_INVOKE, &req) != 0) {
		fprintf(stderr, "kbench: TAL_IOC_INVOKE %s kloop: %s\n", module, strerror(errno));
		exit(2);
	}
	if (req.trap != TAL_TRAP_NONE) {
		fprintf(stderr, "kbench: kloop(%ld) trapped (kind %d at code offset %#x): is the shim's fuel below %ld?\n",
			n, req.trap, req.offset, n);
		exit(1);
	}
	if (req.result != n * pid) {
		fprintf(stderr, "kbench: kloop(%ld) returned %lld, not %ld\n", n, (long long)req.result, n * pid);
		exit(1);
	}
}

static void run_c(unsigned what, long n, double *kernel_ns)
{
	struct cloop_run r = { .what = what, .n = n };

	if (ioctl(cloop_fd, CLOOP_IOC_RUN, &r) != 0) {
		fprintf(stderr, "kbench: CLOOP_IOC_RUN: %s\n", strerror(errno));
		exit(2);
	}
	if (r.sum != n * pid) {
		fprintf(stderr, "kbench: the C loop (%s) returned %lld, not %ld\n",
			what == CLOOP_SVC ? "tal_ksvc_getpid" : "task_tgid_vnr", (long long)r.sum, n * pid);
		exit(1);
	}
	*kernel_ns = (double)r.ns;
}

static void run_sys(long n)
{
	long sum = 0, i;

	for (i = 0; i < n; i++)
		sum += syscall(SYS_getpid);
	if (sum != n * pid) {
		fprintf(stderr, "kbench: the system calls summed to %ld, not %ld\n", sum, n * pid);
		exit(1);
	}
}

/* One timed run of contender k: ns per iteration.  In the order of a
 * round, in which each pair compared (sys/tal, tal/c, svc/c) is adjacent. */
enum { K_SYS, K_TAL, K_C, K_SVC, NK };
static const char *const names[NK] = { "sys", "tal", "c", "svc" };

static double timed(int k, long nk, long ns, double *kernel_ns)
{
	double t0 = now_ns(), dummy;

	switch (k) {
	case K_TAL:
		run_tal(nk);
		break;
	case K_C:
		run_c(CLOOP_TGID, nk, kernel_ns);
		break;
	case K_SVC:
		run_c(CLOOP_SVC, nk, &dummy);
		break;
	default:
		run_sys(ns);
		return (now_ns() - t0) / ns;
	}
	return (now_ns() - t0) / nk;
}

int main(int argc, char **argv)
{
	static double t[NK][MAX_REPS], ck[MAX_REPS], tal_c[MAX_REPS], sys_tal[MAX_REPS], svc_c[MAX_REPS];
	double dummy;
	long nk, ns;
	int reps, r, i, k;

	if (argc != 5 || (nk = atol(argv[2])) < 1 || (ns = atol(argv[3])) < 1 ||
	    (reps = atoi(argv[4])) < 1 || reps > MAX_REPS) {
		fprintf(stderr, "usage: kbench MODULE N_KERNEL N_SYSCALLS REPS (1..%d)\n", MAX_REPS);
		return 2;
	}
	module = argv[1];
	pid = getpid();
	if ((tal_fd = open("/dev/tal", O_RDWR)) < 0 || (cloop_fd = open("/dev/cloop", O_RDWR)) < 0) {
		fprintf(stderr, "kbench: cannot open /dev/%s: %s\n", tal_fd < 0 ? "tal" : "cloop", strerror(errno));
		return 2;
	}

	for (k = 0; k < NK; k++)	/* warm-up: one round, untimed */
		timed(k, nk, ns, &dummy);
	for (r = 0; r < reps; r++) {
		/* every other round in the reverse order, so that no contender
		 * always comes first or last */
		for (i = 0; i < NK; i++) {
			k = r % 2 ? NK - 1 - i : i;
			t[k][r] = timed(k, nk, ns, &ck[r]);
		}
		ck[r] /= nk;
		tal_c[r] = t[K_TAL][r] / t[K_C][r];
		sys_tal[r] = t[K_SYS][r] / t[K_TAL][r];
		svc_c[r] = t[K_SVC][r] / t[K_C][r];
	}
	printf("pid %ld\nreps %d\nkernel_iters %ld\nsyscalls %ld\n", pid, reps, nk, ns);
	/* the ratios within each round, whose contenders ran next to each other */
	printf("tal_c_ratio %.4f\n", median(tal_c, reps));
	printf("sys_tal_ratio %.4f\n", median(sys_tal, reps));
	printf("svc_c_ratio %.4f\n", median(svc_c, reps));
	/* median() sorts: then [0] is the fastest round, [reps - 1] the slowest */
	for (k = 0; k < NK; k++) {
		printf("%s_ns %.3f\n", names[k], median(t[k], reps));
		printf("%s_min %.3f\n%s_max %.3f\n", names[k], t[k][0], names[k], t[k][reps - 1]);
	}
	printf("c_kernel_ns %.3f\n", median(ck, reps));
	return 0;
}
