/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * cloop_uapi.h - the ioctl of /dev/cloop (cloop.ko), shared with kbench.c.
 */
#ifndef CLOOP_UAPI_H
#define CLOOP_UAPI_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/ioctl.h>
#else
#include <linux/types.h>
#include <sys/ioctl.h>
#endif

/* cloop_run.what: the function each iteration calls */
#define CLOOP_TGID	0	/* task_tgid_vnr(current): the C loop */
#define CLOOP_SVC	1	/* talshim.ko's tal_ksvc_getpid(): the service kloop reaches */

struct cloop_run {
	__u32 what;	/* in: CLOOP_TGID or CLOOP_SVC */
	__u32 pad;	/* in: 0 */
	__s64 n;	/* in: iterations */
	__s64 sum;	/* out: the sum of the n pids */
	__u64 ns;	/* out: ktime_get_ns() after the loop minus before it */
};

#define CLOOP_IOC_RUN	_IOWR('C', 1, struct cloop_run)

#endif
