#include "readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
** Read fd to its end into a buffer of `first` bytes (at least 1, at most
** limit + 1), doubled as needed up to limit + 1: one byte past the bound
** is how a file past it is seen.  The buffer always has room for the NUL.
*/
static int read_all(int fd, size_t first, size_t limit, uint8_t **out, size_t *len)
{
	uint8_t *p = NULL;
	size_t n = 0, cap = 0;   /* cap: the bytes it may hold before its NUL */
	int e = 0;
	for (;;) {
		if (n == cap) {
			if (n > limit) { e = EFBIG; break; }
			size_t next = !cap ? first : cap <= (limit + 1) / 2 ? cap * 2 : limit + 1;
			uint8_t *q = realloc(p, next + 1);
			if (!q) { e = ENOMEM; break; }
			p = q;
			cap = next;
		}
		ssize_t k = read(fd, p + n, cap - n);
		if (k > 0) { n += (size_t)k; continue; }
		if (k == 0) break;
		if (errno == EINTR) continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {   /* a descriptor some other process made non-blocking */
			struct pollfd w = { .fd = fd, .events = POLLIN };
			if (poll(&w, 1, -1) >= 0 || errno == EINTR) continue;
		}
		e = errno;
		break;
	}
	if (!e && n > limit) e = EFBIG;
	if (e) {
		free(p);
		errno = e;
		return -1;
	}
	p[n] = 0;
	*out = p;
	*len = n;
	return 0;
}

/* (a bound of half the address space: limit + 2 cannot overflow) */
static size_t bound(size_t limit)
{
	return limit > SIZE_MAX / 2 ? SIZE_MAX / 2 : limit;
}

int read_whole(const char *path, size_t limit, uint8_t **out, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), e = 0, r = -1;
	if (fd < 0) return -1;
	limit = bound(limit);
	if (fstat(fd, &st) != 0) e = errno;
	else if (S_ISDIR(st.st_mode)) e = EISDIR;
	else if (!S_ISREG(st.st_mode)) e = READ_ENOTREG;
	else if (st.st_size < 0 || (uint64_t)st.st_size > limit) e = EFBIG;
	else {
		/* one byte more than its size: the end is seen without growing */
		r = read_all(fd, (size_t)st.st_size + 1, limit, out, len);
		e = errno;
	}
	close(fd);
	errno = e;
	return r;
}

int read_stream(int fd, size_t limit, uint8_t **out, size_t *len)
{
	limit = bound(limit);
	return read_all(fd, limit < (1 << 16) ? limit + 1 : 1 << 16, limit, out, len);
}

const char *read_error(int e)
{
	return e == READ_ENOTREG ? "not a regular file" : strerror(e);
}
