/*
** gen_tree DIR NDIRS NFILES - a directory tree for the find benchmark:
** NDIRS directories (DIR included) laid out breadth first, each with up to
** 10 subdirectories, and NFILES empty files spread evenly over them.
** Deterministic: the same arguments give the same tree.
*/
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4) { fprintf(stderr, "usage: gen_tree DIR NDIRS NFILES\n"); return 2; }
	long nd = atol(argv[2]), nf = atol(argv[3]);
	if (nd < 1 || nf < 0) { fprintf(stderr, "gen_tree: bad counts\n"); return 2; }
	char **path = calloc((size_t)nd, sizeof *path);
	path[0] = argv[1];
	if (mkdir(argv[1], 0755) != 0) { perror(argv[1]); return 1; }
	for (long i = 1; i < nd; i++) {
		long parent = (i - 1) / 10;
		if (asprintf(&path[i], "%s/d%ld", path[parent], i) < 0 || mkdir(path[i], 0755) != 0) { perror(path[i]); return 1; }
	}
	for (long f = 0; f < nf; f++) {
		char *p;
		if (asprintf(&p, "%s/f%ld", path[f % nd], f) < 0) return 1;
		int fd = open(p, O_CREAT | O_WRONLY | O_EXCL, 0644);
		if (fd < 0) { perror(p); return 1; }
		close(fd);
		free(p);
	}
	return 0;
}
