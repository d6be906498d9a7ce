#include "atomicfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The temporary sits in the target's directory, so that rename() is atomic. */
int atomic_open(const char *path, char *tmp, size_t cap)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	if (snprintf(tmp, cap, "%.*s.%s.XXXXXX", dirlen, path, slash ? slash + 1 : path) >= (int)cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = mkstemp(tmp);
	if (fd < 0) return -1;
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0) { /* keep mkstemp's 0600 */ }
	return fd;
}

int atomic_commit(int fd, const char *tmp, const char *path, int ok)
{
	if (close(fd) != 0) ok = 0;
	if (ok && rename(tmp, path) == 0) return 0;
	int e = errno;
	unlink(tmp);
	errno = e;
	return -1;
}

int atomic_write(const char *path, const void *data, size_t n)
{
	char tmp[4096];
	int fd = atomic_open(path, tmp, sizeof tmp);
	if (fd < 0) return -1;
	const char *p = data;
	int ok = 1;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) { ok = 0; break; }
		p += w;
		n -= (size_t)w;
	}
	return atomic_commit(fd, tmp, path, ok);
}
