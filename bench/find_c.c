/*
** find_c PATH KIND - the find example in C: count the files (KIND 1) or
** directories (KIND 2) under PATH with opendir/readdir, recursing with
** openat like the host's directory services, and print the count.
*/
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long walk(DIR *d, int kind)
{
	long n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
		int k = e->d_type == DT_REG ? 1 : e->d_type == DT_DIR ? 2 : 3;
		if (e->d_type == DT_UNKNOWN) {
			struct stat st;
			k = fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ? 3 : S_ISREG(st.st_mode) ? 1 : S_ISDIR(st.st_mode) ? 2 : 3;
		}
		if (k == kind) n++;
		if (k != 2) continue;
		int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *sub = fd >= 0 ? fdopendir(fd) : NULL;
		if (!sub) { if (fd >= 0) close(fd); continue; }
		n += walk(sub, kind);
		closedir(sub);
	}
	return n;
}

int main(int argc, char **argv)
{
	if (argc != 3) { fprintf(stderr, "usage: find_c PATH KIND\n"); return 2; }
	DIR *d = opendir(argv[1]);
	long n = d ? walk(d, atoi(argv[2])) : 0;
	if (d) closedir(d);
	printf("%ld\n", n);
	return 0;
}
