/*
** services.c - the host services of runtime/tal_host.tali.
**
** Each is called from verified code through its stub and shim (enter.S)
** with the arguments its type promises: buffers are arrays of the length
** passed beside them, handles are values only these services make.  The
** services still check what is cheap to check: the context is the
** running instance's, handles are live.
*/
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hostint.h"

/* The instance of the running call, which `ctx` must be. */
static TalInstance *instance(const void *ctx)
{
	TalCall *c = talrt_current;
	if (!c || (ctx && ctx != &c->in->ctx)) talrt_raise(TALRT_TRAP_FAULT, 0);
	return c->in;
}

/* tal_getpid is in enter.S: it reads the pid the running call keeps. */

int64_t talrt_svc_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
** A write to a pipe or socket that nobody reads fails with EPIPE, and does
** not kill the embedding process with SIGPIPE: the signal is blocked in
** this thread for the write, and the one it raised (none was pending
** before) is taken back.  The process's own disposition is not touched.
*/
static ssize_t write_no_sigpipe(int fd, const void *p, size_t n)
{
	sigset_t pipe, old, pending;
	struct timespec now = { 0, 0 };
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, &old);
	int before = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
	ssize_t w = write(fd, p, n);
	int e = errno;
	if (w < 0 && e == EPIPE && !before)
		while (sigtimedwait(&pipe, NULL, &now) < 0 && errno == EINTR) {}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return w;
}

int64_t talrt_svc_write(const void *ctx, const uint8_t *buf, uint64_t n)
{
	TalInstance *in = instance(ctx);
	uint64_t done = 0;
	while (done < n) {
		ssize_t w = write_no_sigpipe(in->out_fd, buf + done, n - done);
		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) return done ? (int64_t)done : -1;
		done += (uint64_t)w;
	}
	return (int64_t)done;
}

/*
** guard_blocks: the block is placed at the end of pages of its own, made
** accessible now, with the next page left inaccessible.  Running out of
** the reserve, or of mappings, is running out of the quota.
*/
static void *guarded(TalInstance *in, uint64_t want, uintptr_t ret)
{
	size_t page = in->guard, len = (want + page - 1) / page * page;
	if (!len) len = page;   /* an empty block sits right before the inaccessible page */
	if (len + page > in->heap_map - in->heap_next ||
	    mprotect(in->heap + in->heap_next, len, PROT_READ | PROT_WRITE) != 0)
		talrt_raise(TALRT_TRAP_QUOTA, ret - 5);
	uint8_t *end = in->heap + in->heap_next + len;
	in->heap_next += len + page;
	return end - want;
}

/*
** n zeroed bytes of the quota, 16-byte aligned (each block counts its size
** rounded up to 16 against the quota, to the byte); the quota trap when they
** are not there, at the call (ret: its return address, a call rel32 is 5
** bytes).
*/
static void *take(TalInstance *in, uint64_t n, uintptr_t ret)
{
	uint64_t want = (n + 15) & ~(uint64_t)15;
	if (n > in->quota || want > in->quota - in->heap_used) talrt_raise(TALRT_TRAP_QUOTA, ret - 5);
	void *p = in->guarded ? guarded(in, want, ret) : in->heap + in->heap_used;
	in->heap_used += want;
	return p;
}

/* (The shim passes the return address as the fifth argument, in r8.) */
void *talrt_svc_alloc_bytes(const void *ctx, uint64_t n, uint64_t u2, uint64_t u3, uintptr_t ret)
{
	(void)u2, (void)u3;
	return take(instance(ctx), n, ret);
}

void *talrt_svc_alloc_words(const void *ctx, uint64_t n, uint64_t u2, uint64_t u3, uintptr_t ret)
{
	TalInstance *in = instance(ctx);
	(void)u2, (void)u3;
	if (n > in->quota / 8) talrt_raise(TALRT_TRAP_QUOTA, ret - 5);
	return take(in, n * 8, ret);
}

/* Records of k words: tal_alloc_pair, tal_alloc_rec3 ... tal_alloc_rec8. */
#define RECORD(name, k)                                                                              \
	void *talrt_svc_alloc_##name(const void *ctx, uint64_t u1, uint64_t u2, uint64_t u3, uintptr_t ret) \
	{                                                                                            \
		(void)u1, (void)u2, (void)u3;                                                        \
		return take(instance(ctx), 8 * (k), ret);                                            \
	}
RECORD(pair, 2)
RECORD(rec3, 3)
RECORD(rec4, 4)
RECORD(rec5, 5)
RECORD(rec6, 6)
RECORD(rec7, 7)
RECORD(rec8, 8)

/* ---- directories: handles are (generation << 16 | slot + 1); 0 is a failed one ---- */

static uint64_t new_handle(TalInstance *in, DIR *d)
{
	if (!d) return 0;
	for (int i = 0; i < TALRT_MAX_DIRS; i++)
		if (!in->dirs[i]) {
			in->dirs[i] = d;
			in->dirgen[i]++;
			in->dirlast[i][0] = 0;
			return (uint64_t)in->dirgen[i] << 16 | (uint64_t)(i + 1);
		}
	closedir(d);
	return 0;
}

/* The slot of a live handle, or -1 (a failed or closed one reads as empty). */
static int slot(TalInstance *in, uint64_t h)
{
	uint64_t i = (h & 0xffff) - 1;
	if (!h || i >= TALRT_MAX_DIRS || !in->dirs[i] || (h >> 16) != in->dirgen[i]) return -1;
	return (int)i;
}

uint64_t talrt_svc_dir_open(const void *ctx, const uint8_t *path, uint64_t n)
{
	TalInstance *in = instance(ctx);
	char p[4096];
	if (n == 0 || n >= sizeof p || memchr(path, 0, n)) return 0;
	memcpy(p, path, n);
	p[n] = 0;
	return new_handle(in, opendir(p));
}

/* The kind of an entry: 1 a file, 2 a directory, 3 anything else. */
static int64_t kind_of(DIR *d, const struct dirent *e)
{
	unsigned t = e->d_type;
	if (t == DT_UNKNOWN) {
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) return 3;
		t = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : DT_UNKNOWN;
	}
	return t == DT_REG ? 1 : t == DT_DIR ? 2 : 3;
}

int64_t talrt_svc_dir_read(const void *ctx, uint64_t h)
{
	TalInstance *in = instance(ctx);
	int i = slot(in, h);
	if (i < 0) return 0;
	for (;;) {
		struct dirent *e = readdir(in->dirs[i]);
		if (!e) { in->dirlast[i][0] = 0; return 0; }
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
		size_t len = strlen(e->d_name);
		if (len >= sizeof in->dirlast[i]) len = sizeof in->dirlast[i] - 1;
		memcpy(in->dirlast[i], e->d_name, len);
		in->dirlast[i][len] = 0;
		return kind_of(in->dirs[i], e);
	}
}

int64_t talrt_svc_dir_name(const void *ctx, uint64_t h, uint8_t *buf, uint64_t n)
{
	TalInstance *in = instance(ctx);
	int i = slot(in, h);
	if (i < 0) return 0;
	size_t len = strlen((const char *)in->dirlast[i]);
	memcpy(buf, in->dirlast[i], len < n ? len : n);
	return (int64_t)len;
}

uint64_t talrt_svc_dir_enter(const void *ctx, uint64_t h)
{
	TalInstance *in = instance(ctx);
	int i = slot(in, h);
	if (i < 0 || !in->dirlast[i][0]) return 0;
	int fd = openat(dirfd(in->dirs[i]), (const char *)in->dirlast[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) return 0;
	DIR *d = fdopendir(fd);
	if (!d) { close(fd); return 0; }
	return new_handle(in, d);
}

int64_t talrt_svc_dir_close(const void *ctx, uint64_t h)
{
	TalInstance *in = instance(ctx);
	int i = slot(in, h);
	if (i < 0) return -1;
	closedir(in->dirs[i]);
	in->dirs[i] = NULL;
	return 0;
}

void talrt_close_dirs(TalInstance *in)
{
	for (int i = 0; i < TALRT_MAX_DIRS; i++)
		if (in->dirs[i]) closedir(in->dirs[i]), in->dirs[i] = NULL;
}
