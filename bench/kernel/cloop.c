// SPDX-License-Identifier: GPL-2.0
/*
 * cloop.c - the getpid loop of bench/kernel.sh in C, in a kernel module:
 * the peer of examples/kernel/kgetpid.tal's kloop run by talshim.ko.
 *
 * CLOOP_IOC_RUN on /dev/cloop (misc device, root only) runs n iterations
 * of task_tgid_vnr(current) and returns their sum and the time the loop
 * took (ktime_get_ns).  The loop runs as the shim runs an invocation, in
 * the ioctl on the caller's kernel stack, but with preemption disabled:
 * nothing reschedules it, where the verified loop may let other tasks
 * run between its slices of fuel (one every 65536 rounds).
 *
 * For the breakdown of the difference, CLOOP_SVC runs the same loop
 * calling talshim.ko's tal_ksvc_getpid() (a direct call: the module is
 * linked against the shim's Module.symvers, so talshim.ko must be loaded
 * first): the C function the verified loop reaches through its stubs,
 * which wraps task_tgid_vnr(current) in a call of its own.
 *
 * The compiler cannot fold the loop away: task_tgid_vnr() is an inline
 * wrapper around __task_pid_nr_ns(), a function of the kernel proper that
 * this module only sees as an external symbol, so every iteration is a
 * real call (bench/kernel.sh checks the call is in the loop with objdump);
 * the sum goes back to the caller, which checks it is n * its pid.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "cloop_uapi.h"
#include "talshim.h"

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("The getpid loop in C, for bench/kernel.sh");

static noinline long cloop_run(long n)
{
	long sum = 0, i;

	for (i = 0; i < n; i++)
		sum += task_tgid_vnr(current);
	return sum;
}

static noinline long cloop_svc(long n)
{
	long sum = 0, i;

	for (i = 0; i < n; i++)
		sum += tal_ksvc_getpid();
	return sum;
}

static long cloop_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	struct cloop_run r;
	u64 t0, t1;

	if (cmd != CLOOP_IOC_RUN)
		return -ENOTTY;
	if (copy_from_user(&r, (void __user *)arg, sizeof(r)))
		return -EFAULT;
	if (r.what > CLOOP_SVC || r.pad)
		return -EINVAL;
	preempt_disable();
	t0 = ktime_get_ns();
	r.sum = r.what == CLOOP_SVC ? cloop_svc(r.n) : cloop_run(r.n);
	t1 = ktime_get_ns();
	preempt_enable();
	r.ns = t1 - t0;
	return copy_to_user((void __user *)arg, &r, sizeof(r)) ? -EFAULT : 0;
}

static const struct file_operations cloop_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = cloop_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice cloop_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "cloop",
	.fops = &cloop_fops,
};

module_misc_device(cloop_misc);
