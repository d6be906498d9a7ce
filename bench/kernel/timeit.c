/*
 * timeit.c - run a command REPS times (static, in bench/kernel.sh's guest)
 * and print the median and the fastest wall time of a run, in ms, and the
 * command's output of its last run (a count, to compare).
 *
 *   timeit NAME REPS CMD [ARG...]   ->   NAME_ms MEDIAN, NAME_min MIN, NAME_out OUTPUT
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 4) { fprintf(stderr, "usage: timeit NAME REPS CMD [ARG...]\n"); return 2; }
	int reps = atoi(argv[2]);
	if (reps < 1 || reps > 101) { fprintf(stderr, "timeit: REPS must be 1..101\n"); return 2; }
	double t[101];
	char out[64] = "";
	for (int r = 0; r < reps; r++) {
		int fd[2];
		if (pipe(fd) != 0) return 2;
		double t0 = now_ms();
		pid_t pid = fork();
		if (pid == 0) {
			dup2(fd[1], 1);
			close(fd[0]);
			execv(argv[3], argv + 3);
			_exit(127);
		}
		close(fd[1]);
		ssize_t n = read(fd[0], out, sizeof out - 1);
		int st;
		waitpid(pid, &st, 0);
		t[r] = now_ms() - t0;
		close(fd[0]);
		out[n > 0 ? n : 0] = 0;
		out[strcspn(out, "\n")] = 0;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) { fprintf(stderr, "timeit: %s failed: %s\n", argv[3], out); return 1; }
	}
	qsort(t, (size_t)reps, sizeof t[0], cmp);
	printf("%s_ms %.3f\n%s_min %.3f\n%s_out %s\n", argv[1], t[reps / 2], argv[1], t[0], argv[1], out);
	return 0;
}
