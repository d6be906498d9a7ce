/*
** test_readfile.c - the shared reader of input files: a regular file whole
** and NUL-terminated, within its bound; a directory, a FIFO or a device
** refused before a byte is read (a FIFO without a writer does not block);
** a file that grows while read; a pipe read to its end, within its bound.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "readfile.h"

static char dir[] = "readfile.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[64];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* dir/name, holding n bytes of p (a static buffer: valid until the next call) */
static const char *make(const char *name, const void *p, size_t n)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* read_whole fails with errno e, and leaves *out as it was */
static void refused(const char *path, size_t limit, int e)
{
	uint8_t *p = (uint8_t *)"untouched";
	size_t n = 7;
	errno = 0;
	assert_int_equal(read_whole(path, limit, &p, &n), -1);
	assert_int_equal(errno, e);
	assert_string_equal((char *)p, "untouched");
	assert_int_equal(n, 7);
}

static void test_regular(void **state)
{
	(void)state;
	const char text[] = "mov eax, 1\nret\n";
	const char *path = make("a.tal", text, sizeof text - 1);
	uint8_t *p;
	size_t n;
	assert_int_equal(read_whole(path, 1 << 20, &p, &n), 0);
	assert_int_equal(n, sizeof text - 1);
	assert_memory_equal(p, text, n);
	assert_int_equal(p[n], 0);
	free(p);
	/* bytes, NULs among them, as they are */
	uint8_t bin[300];
	for (size_t i = 0; i < sizeof bin; i++) bin[i] = (uint8_t)(i * 7);
	path = make("bin", bin, sizeof bin);
	assert_int_equal(read_whole(path, sizeof bin, &p, &n), 0);
	assert_int_equal(n, sizeof bin);
	assert_memory_equal(p, bin, n);
	assert_int_equal(p[n], 0);
	free(p);
}

static void test_empty(void **state)
{
	(void)state;
	const char *path = make("empty", "", 0);
	uint8_t *p = NULL;
	size_t n = 99;
	assert_int_equal(read_whole(path, 0, &p, &n), 0);
	assert_non_null(p);
	assert_int_equal(n, 0);
	assert_int_equal(p[0], 0);
	free(p);
}

static void test_bound(void **state)
{
	(void)state;
	char buf[100];
	memset(buf, 'x', sizeof buf);
	const char *path = make("hundred", buf, sizeof buf);
	uint8_t *p;
	size_t n;
	assert_int_equal(read_whole(path, 100, &p, &n), 0);
	assert_int_equal(n, 100);
	free(p);
	refused(path, 99, EFBIG);
	refused(path, 0, EFBIG);
	assert_int_equal(read_whole(path, SIZE_MAX, &p, &n), 0);   /* no bound at all: no overflow either */
	assert_int_equal(n, 100);
	free(p);
}

static void test_not_regular(void **state)
{
	(void)state;
	char fifo[256];
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	refused(fifo, 1 << 20, READ_ENOTREG);   /* no writer: opening it does not wait for one */
	refused("/dev/zero", 1 << 20, READ_ENOTREG);
	refused("/dev/null", 1 << 20, READ_ENOTREG);
	refused(dir, 1 << 20, EISDIR);
	refused("/", 1 << 20, EISDIR);
	char missing[256];
	snprintf(missing, sizeof missing, "%s/missing", dir);
	refused(missing, 1 << 20, ENOENT);
	assert_string_equal(read_error(READ_ENOTREG), "not a regular file");
	assert_string_equal(read_error(EISDIR), strerror(EISDIR));
	assert_string_equal(read_error(EFBIG), strerror(EFBIG));
}

/* A file the size of which says 0 but which has bytes: it grows while read (procfs). */
static void test_grows(void **state)
{
	(void)state;
	struct stat st;
	uint8_t *p;
	size_t n;
	if (stat("/proc/self/status", &st) != 0 || st.st_size != 0) skip();
	assert_int_equal(read_whole("/proc/self/status", 1 << 20, &p, &n), 0);
	assert_true(n > 0);
	assert_int_equal(strlen((char *)p), n);   /* every byte read, none unset, the NUL after */
	assert_non_null(strstr((char *)p, "Name:"));
	free(p);
	refused("/proc/self/status", 8, EFBIG);   /* past its bound while it grows */
}

/* A pipe, its writer closed: n bytes of 'y'. */
static int pipe_of(size_t n)
{
	int fd[2];
	char buf[4096];
	assert_true(n <= sizeof buf);
	assert_int_equal(pipe(fd), 0);
	memset(buf, 'y', n);
	assert_int_equal(write(fd[1], buf, n), (ssize_t)n);
	close(fd[1]);
	return fd[0];
}

static void test_stream(void **state)
{
	(void)state;
	uint8_t *p;
	size_t n;
	int fd = pipe_of(3000);
	assert_int_equal(read_stream(fd, 3000, &p, &n), 0);
	assert_int_equal(n, 3000);
	assert_int_equal(p[0], 'y');
	assert_int_equal(p[n - 1], 'y');
	assert_int_equal(p[n], 0);
	free(p);
	close(fd);
	fd = pipe_of(3000);
	errno = 0;
	assert_int_equal(read_stream(fd, 2999, &p, &n), -1);
	assert_int_equal(errno, EFBIG);
	close(fd);
	fd = pipe_of(0);
	assert_int_equal(read_stream(fd, 10, &p, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(p[0], 0);
	free(p);
	close(fd);
	/* a descriptor another process made non-blocking: waited on, not an error */
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(fds[0]);
		usleep(200 * 1000);
		_exit(write(fds[1], "late", 4) == 4 ? 0 : 1);
	}
	close(fds[1]);
	assert_int_equal(read_stream(fds[0], 100, &p, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal((char *)p, "late");
	free(p);
	close(fds[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_not_regular),
		cmocka_unit_test(test_grows),
		cmocka_unit_test(test_stream),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
