#include "atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
** Where the output really goes: through a symbolic link to its target,
** even one that does not exist yet.
*/
static int resolve(const char *path, char *out, size_t cap)
{
	struct stat st;
	char real[PATH_MAX], link[PATH_MAX];
	int n = 0;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		ssize_t k;
		const char *slash = strrchr(path, '/');
		if (realpath(path, real)) path = real;
		else if ((k = readlink(path, link, sizeof link - 1)) > 0) {
			link[k] = 0;
			if (link[0] == '/' || !slash) n = snprintf(out, cap, "%s", link);
			else n = snprintf(out, cap, "%.*s/%s", (int)(slash - path), path, link);
			goto done;
		}
	}
	n = snprintf(out, cap, "%s", path);
done:
	if (n < 0 || n >= (int)cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Copy the finished temporary into a device or pipe. */
static int copy_into(const char *from, const char *to)
{
	char buf[1 << 16];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_TRUNC), ok = in >= 0 && out >= 0;
	ssize_t r;
	while (ok && (r = read(in, buf, sizeof buf)) != 0) {
		if (r < 0) { ok = errno == EINTR; continue; }
		for (ssize_t w, at = 0; ok && at < r; at += w > 0 ? w : 0)
			if ((w = write(out, buf + at, (size_t)(r - at))) < 0) ok = errno == EINTR;
	}
	if (in >= 0) close(in);
	if (out >= 0 && close(out) != 0) ok = 0;
	return ok ? 0 : -1;
}

/* The temporary sits in the target's directory, so that rename() is atomic. */
int atomic_open(AtomicFile *f, const char *path)
{
	struct stat st;
	memset(f, 0, sizeof *f);
	f->fd = -1;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) { errno = EISDIR; return -1; }
	if (resolve(path, f->target, sizeof f->target) != 0) return -1;
	const char *slash = strrchr(f->target, '/');
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* a device or a pipe: build the output aside, then copy it in */
		const char *dir = getenv("TMPDIR");
		f->direct = 1;
		if (snprintf(f->tmp, sizeof f->tmp, "%s/tal.XXXXXX", dir && *dir ? dir : "/tmp") >= (int)sizeof f->tmp) {
			errno = ENAMETOOLONG;
			return -1;
		}
		f->fd = mkstemp(f->tmp);
		return f->fd < 0 ? -1 : 0;
	}
	int dirlen = slash ? (int)(slash - f->target + 1) : 0;
	if (snprintf(f->tmp, sizeof f->tmp, "%.*s.%s.XXXXXX", dirlen, f->target,
	             slash ? slash + 1 : f->target) >= (int)sizeof f->tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	f->fd = mkstemp(f->tmp);
	if (f->fd < 0) return -1;
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(f->fd, 0666 & ~mask) != 0) { /* keep mkstemp's 0600 */ }
	return 0;
}

int atomic_commit(AtomicFile *f, int ok)
{
	if (close(f->fd) != 0) ok = 0;
	f->fd = -1;
	if (ok && f->direct && copy_into(f->tmp, f->target) == 0) {
		unlink(f->tmp);
		return 0;
	}
	if (ok && !f->direct && rename(f->tmp, f->target) == 0) return 0;
	int e = errno;
	unlink(f->tmp);
	errno = e;
	return -1;
}

int atomic_write(const char *path, const void *data, size_t n)
{
	AtomicFile f;
	if (atomic_open(&f, path) != 0) return -1;
	const char *p = data;
	int ok = 1;
	while (n > 0) {
		ssize_t w = write(f.fd, p, n);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) { ok = 0; break; }
		p += w;
		n -= (size_t)w;
	}
	return atomic_commit(&f, ok);
}
