/*
 * badioctl.c - bad requests to /dev/tal must fail with an error, never
 * crash: run in the guest by tests/kernel/run.sh, as root and as an
 * unprivileged user (argument "user").  Prints ok:/FAIL: lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "talshim_uapi.h"

static int failed;

static void expect(const char *what, int ret, int want)
{
	int e = ret < 0 ? errno : 0;
	if (ret < 0 && e == want) printf("ok: bad ioctl: %s: %s\n", what, strerror(e));
	else { printf("FAIL: bad ioctl: %s: got %d (%s), expected %s\n", what, ret, ret < 0 ? strerror(e) : "success", strerror(want)); failed = 1; }
}

int main(int argc, char **argv)
{
	int user = argc > 1 && strcmp(argv[1], "user") == 0;
	int fd = open("/dev/tal", O_RDWR);
	struct tal_invoke r;
	struct tal_cert c;
	static const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };

	if (fd < 0) { printf("FAIL: bad ioctl: open /dev/tal: %s\n", strerror(errno)); return 1; }
	memset(&r, 0, sizeof r);
	strcpy(r.module, "kt");
	strcpy(r.export, "kt_add");
	r.nargs = 9;
	expect("too many arguments", ioctl(fd, TAL_IOC_INVOKE, &r), EINVAL);
	r.nargs = 0;
	r.pad = 1;
	expect("non-zero padding", ioctl(fd, TAL_IOC_INVOKE, &r), EINVAL);
	r.pad = 0;
	memset(r.module, 'k', sizeof r.module);
	expect("unterminated module name", ioctl(fd, TAL_IOC_INVOKE, &r), EINVAL);
	strcpy(r.module, "no_such_module");
	expect("unknown module", ioctl(fd, TAL_IOC_INVOKE, &r), ENOENT);
	strcpy(r.module, "kt");
	strcpy(r.export, "no_such_export");
	expect("unknown export", ioctl(fd, TAL_IOC_INVOKE, &r), ESRCH);
	expect("bad pointer", ioctl(fd, TAL_IOC_INVOKE, (void *)16), EFAULT);
	expect("unknown request", ioctl(fd, _IO('T', 99), 0), ENOTTY);
	{
		/* buffers: too many, too big, writable past the last, a bad pointer */
		struct tal_invoke_buf b;
		static char small[8];
		memset(&b, 0, sizeof b);
		strcpy(b.call.module, "kt");
		strcpy(b.call.export, "kt_bufsum");
		b.nbufs = TAL_MAX_BUFS + 1;
		expect("too many buffers", ioctl(fd, TAL_IOC_INVOKE_BUF, &b), EINVAL);
		b.nbufs = 2;
		b.ptr[0] = b.ptr[1] = (unsigned long)small;
		b.len[0] = TAL_BUFS_MAX;
		b.len[1] = 1;
		expect("buffers over the limit in all", ioctl(fd, TAL_IOC_INVOKE_BUF, &b), E2BIG);
		b.len[0] = b.len[1] = sizeof small;
		b.writable = 1u << 3;
		expect("a writable buffer past the last", ioctl(fd, TAL_IOC_INVOKE_BUF, &b), EINVAL);
		b.writable = 0;
		b.ptr[1] = 16;
		expect("a buffer at a bad address", ioctl(fd, TAL_IOC_INVOKE_BUF, &b), EFAULT);
		b.ptr[1] = (unsigned long)small;
		b.len[1] = 1u << 30;
		expect("a buffer of a huge size", ioctl(fd, TAL_IOC_INVOKE_BUF, &b), E2BIG);
		expect("bad pointer to the request", ioctl(fd, TAL_IOC_INVOKE_BUF, (void *)16), EFAULT);
	}
	c.data = (unsigned long)junk;
	c.len = sizeof junk;
	c.serial = 0;
	if (user) {
		expect("add a certificate unprivileged", ioctl(fd, TAL_IOC_ADD_CERT, &c), EPERM);
	} else {
		expect("add a certificate that is not one", ioctl(fd, TAL_IOC_ADD_CERT, &c), EBADMSG);
		c.len = 0;
		expect("add an empty certificate", ioctl(fd, TAL_IOC_ADD_CERT, &c), EINVAL);
		c.len = 100;
		c.data = 16;
		expect("add a certificate from a bad pointer", ioctl(fd, TAL_IOC_ADD_CERT, &c), EFAULT);
	}
	close(fd);
	return failed;
}
