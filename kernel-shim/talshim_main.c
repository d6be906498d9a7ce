// SPDX-License-Identifier: GPL-2.0
/*
 * talshim_main.c - run signed TAL modules inside the kernel.
 *
 * A signed module reaches the kernel inside a carrier (talcarrier.ko,
 * filled by talload): the carrier's read-execute section holds the fixed
 * service stubs and the module's image, its read-only section the signed
 * module file.  At carrier init, talshim_register() checks the signature
 * against the shim's own keyring, the module's interface digest against
 * the kernel interface (tal_kernel.tali), the module's structure, and that
 * the carrier's code is exactly the signed image with its stubs set to the
 * carrier's fixed stubs.  Only then is the module entered in the registry,
 * where /dev/tal (TAL_IOC_INVOKE) finds its exports.
 *
 * An invocation runs on the caller's kernel stack through tal_kenter
 * (tal_kenter.S).  Fuel bounds it, and comes in slices, between which it
 * lets other tasks run (tal_ktrap_refuel).
 * A trap stub ends it: tal_ktrap_* unwinds to tal_kenter's caller with
 * the saved stack pointer of the invocation, found by task.
 */
#define pr_fmt(fmt) "talshim: " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/key.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/verification.h>
#include <linux/ratelimit.h>
#include <keys/asymmetric-type.h>
#include <crypto/sha2.h>
#include <asm/asm.h>

#include "talshim.h"
#include "talshim_uapi.h"
#include "module.h"
#include "tal_kiface.h"

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Runs signed, verified TAL modules in the kernel");

/*
 * The stack, from the entry's stack pointer down: TAL_STACK_BUDGET bytes
 * above ctx.stack_limit (tal_kenter puts it there), the 8 KiB the verifier
 * lets code use below a run-time stack check, and TAL_STACK_MARGIN for what
 * the services called from there use beyond the 1 KiB their types declare,
 * interrupts taken on this stack, and the trap path.  A call goes ahead
 * only where all of that, and tal_kenter's own frame, fits above the
 * lowest address of the task's stack.
 */
#define TAL_STACK_CHECK_GUARD	8192
#define TAL_STACK_MARGIN	3072
#define TAL_KENTER_FRAME	128
#define TAL_STACK_NEED		(TAL_KENTER_FRAME + TAL_STACK_BUDGET + TAL_STACK_CHECK_GUARD + TAL_STACK_MARGIN)

/* One invocation: what the trap path needs.  sp must stay first (asm). */
struct tal_inv {
	unsigned long sp;		/* rsp after tal_kenter's pushes */
	struct tal_ctx {			/* ctx in tal_kernel.tali */
		unsigned long stack_limit;
		unsigned long steps;	/* fuel: counted down by the module */
	} ctx;
	unsigned long fuel_left;	/* beyond ctx.steps (tal_ktrap_refuel) */
	struct tal_kmod *km;
	int trap;
	u32 offset;
	/* the caller's buffers, copied in (tal_buf_len, tal_copy_in/out) */
	u8 *buf[TAL_MAX_BUFS];
	u32 len[TAL_MAX_BUFS];
	u32 nbufs, writable;
	/* the memory quota (tal_alloc_bytes): allocated before the call */
	u8 *arena;
	size_t arena_len, arena_used;
	struct tal_kdirs *dirs;		/* open directories, on first use */
};

#define TAL_KDIRS 64
/* An invocation's directories: handle = generation << 16 | slot + 1. */
struct tal_kdirs {
	struct file *f[TAL_KDIRS];
	u32 gen[TAL_KDIRS];
	char last[TAL_KDIRS][NAME_MAX + 1];	/* the entry tal_dir_read gave last */
};

/* A loaded module. */
struct tal_kmod {
	struct list_head list;
	char name[TAL_NAME_MAX];
	struct module *owner;		/* its carrier */
	const u8 *image;		/* in the carrier's .tal.text */
	TalModule mod;			/* points into the carrier's .tal.signed */
	atomic_t running;
	struct ratelimit_state log_rs;	/* tal_log's lines: TAL_LOG_BURST in TAL_LOG_INTERVAL */
};

static LIST_HEAD(tal_mods);
static DEFINE_MUTEX(tal_lock);
static struct key *tal_keyring;
static u8 tal_kiface_digest[SHA256_DIGEST_SIZE];
/*
 * The running invocations, by task: the trap and service paths find theirs
 * through `current`, so an invocation may be preempted, migrate and sleep
 * (in a service) like any other code of its task.
 */
#define TAL_RUNNING_MAX 256
static struct { struct task_struct *task; struct tal_inv *inv; } tal_running[TAL_RUNNING_MAX];
static DEFINE_SPINLOCK(tal_running_lock);

static int tal_running_add(struct tal_inv *inv)
{
	int i, r = -EBUSY;

	spin_lock(&tal_running_lock);
	for (i = 0; i < TAL_RUNNING_MAX; i++)
		if (!tal_running[i].task) {
			tal_running[i].task = current;
			tal_running[i].inv = inv;
			r = 0;
			break;
		}
	spin_unlock(&tal_running_lock);
	return r;
}

static void tal_running_del(void)
{
	int i;

	spin_lock(&tal_running_lock);
	for (i = 0; i < TAL_RUNNING_MAX; i++)
		if (tal_running[i].task == current)
			tal_running[i].task = NULL;
	spin_unlock(&tal_running_lock);
}

/* The invocation of the current task, or NULL. */
static struct tal_inv *tal_current_inv(void)
{
	struct tal_inv *inv = NULL;
	int i;

	spin_lock(&tal_running_lock);
	for (i = 0; i < TAL_RUNNING_MAX && !inv; i++)
		if (tal_running[i].task == current)
			inv = tal_running[i].inv;
	spin_unlock(&tal_running_lock);
	return inv;
}

/*
 * Fuel per invocation: loops and recursions a module may go round.  It
 * is handed out TAL_FUEL_SLICE at a time (tal_ktrap_refuel), so that an
 * invocation lets other tasks run, and ends if its task is killed, at
 * least that often.
 */
static unsigned long tal_fuel = 1UL << 24;
module_param_named(fuel, tal_fuel, ulong, 0644);
MODULE_PARM_DESC(fuel, "fuel per invocation (default 16777216)");
#define TAL_FUEL_SLICE	(1UL << 16)

/*
 * stack_probe (off by default; for measuring, not for production): each
 * call paints the free part of the task's stack, from just above its
 * lowest word (the end marker) up to a little below tal_run's frame, and
 * once the call is over finds the lowest word no longer painted.
 * stack_peak is the most, in bytes below tal_run's stack pointer, that
 * any call has used since it was last set to 0: the module, tal_kenter,
 * the services, the trap and refuel paths, and whatever interrupts pushed
 * meanwhile.  TAL_STACK_NEED is what it must stay within.
 * (A word written with the paint's value is missed: the peak can be short
 * by the words below it that were written with that value, no more.)
 */
static bool tal_stack_probe;
module_param_named(stack_probe, tal_stack_probe, bool, 0644);
MODULE_PARM_DESC(stack_probe, "measure each call's stack use into stack_peak (slow; default off)");
static unsigned long tal_stack_peak;
module_param_named(stack_peak, tal_stack_peak, ulong, 0644);
MODULE_PARM_DESC(stack_peak, "most stack a call has used, in bytes below the shim's frame (with stack_probe)");
#define TAL_STACK_PAINT	0x7a1f5c3e9d2b4a68UL
#define TAL_PAINT_GAP	512	/* left unpainted below tal_run's frame: the painter's own */

static noinline void tal_stack_paint(unsigned long *lo, unsigned long *hi)
{
	while (lo < hi)
		*lo++ = TAL_STACK_PAINT;
}

/* Bytes below `top` written since tal_stack_paint(lo, ...): into stack_peak. */
static noinline void tal_stack_measure(const unsigned long *lo, unsigned long top)
{
	unsigned long used, old;

	while ((unsigned long)lo < top && *lo == TAL_STACK_PAINT)
		lo++;
	used = top - (unsigned long)lo;
	old = READ_ONCE(tal_stack_peak);
	while (used > old) {
		unsigned long was = cmpxchg(&tal_stack_peak, old, used);

		if (was == old)
			break;
		old = was;
	}
}

/* Memory a module may allocate per invocation (tal_alloc_bytes). */
static unsigned long tal_quota = 1UL << 20;
module_param_named(quota, tal_quota, ulong, 0644);
MODULE_PARM_DESC(quota, "bytes a module may allocate per invocation (default 1 MiB, at most 64 MiB)");

/* ---- services ---- */

long tal_ksvc_getpid(void)
{
	return task_tgid_vnr(current);
}
EXPORT_SYMBOL_GPL(tal_ksvc_getpid);

long tal_ksvc_clock(void)
{
	return (long)ktime_get_ns();
}
EXPORT_SYMBOL_GPL(tal_ksvc_clock);

/*
 * tal_log: at most 200 bytes a line, and at most TAL_LOG_BURST lines in
 * TAL_LOG_INTERVAL for each module, so that no module floods the kernel
 * log; a line over the limit is dropped (0 bytes written), and how many
 * were is logged when the interval ends or the module is unloaded.
 */
#define TAL_LOG_INTERVAL	(5 * HZ)
#define TAL_LOG_BURST		100

long tal_ksvc_log(const void *ctx, const u8 *buf, unsigned long n)
{
	struct tal_inv *inv = tal_current_inv();
	int len = n > 200 ? 200 : (int)n;

	if (!inv || !inv->km || !__ratelimit(&inv->km->log_rs))
		return 0;
	pr_info("%s: %*pE\n", inv->km->name, len, buf);
	return len;
}
EXPORT_SYMBOL_GPL(tal_ksvc_log);

/* The running invocation; services run only inside one. */
static struct tal_inv *tal_cur_inv(void)
{
	struct tal_inv *inv = tal_current_inv();

	BUG_ON(!inv);	/* a service called outside an invocation */
	return inv;
}

long tal_ksvc_buf_len(const void *ctx, long i)
{
	struct tal_inv *inv = tal_cur_inv();

	return i >= 0 && i < inv->nbufs ? inv->len[i] : 0;
}
EXPORT_SYMBOL_GPL(tal_ksvc_buf_len);

/* Is [off, off + n) inside buffer i? */
static bool tal_buf_range(const struct tal_inv *inv, long i, long off, unsigned long n)
{
	return i >= 0 && i < inv->nbufs && off >= 0 && (unsigned long)off <= inv->len[i] &&
	       n <= inv->len[i] - (unsigned long)off;
}

long tal_ksvc_copy_in(const void *ctx, long i, long off, u8 *dst, unsigned long n)
{
	struct tal_inv *inv = tal_cur_inv();

	if (!tal_buf_range(inv, i, off, n))
		return -1;
	memcpy(dst, inv->buf[i] + off, n);
	return (long)n;
}
EXPORT_SYMBOL_GPL(tal_ksvc_copy_in);

long tal_ksvc_copy_out(const void *ctx, long i, long off, const u8 *src, unsigned long n)
{
	struct tal_inv *inv = tal_cur_inv();

	if (!tal_buf_range(inv, i, off, n) || !(inv->writable & (1u << i)))
		return -1;
	memcpy(inv->buf[i] + off, src, n);
	return (long)n;
}
EXPORT_SYMBOL_GPL(tal_ksvc_copy_out);

/* n zeroed bytes of the quota, 16-byte aligned, or the quota trap. */
void *tal_ksvc_alloc_bytes(const void *ctx, unsigned long n)
{
	struct tal_inv *inv = tal_cur_inv();
	size_t want = ALIGN(n, 16);
	void *p;

	if (!inv->arena || n > inv->arena_len || want > inv->arena_len - inv->arena_used) {
		tal_kraise(TAL_TRAP_QUOTA);	/* does not return */
		return NULL;
	}
	p = inv->arena + inv->arena_used;
	inv->arena_used += want;
	return p;
}
EXPORT_SYMBOL_GPL(tal_ksvc_alloc_bytes);

/* ---- directories ---- */

static unsigned long tal_dir_handle(struct tal_inv *inv, struct file *f)
{
	int i;

	if (IS_ERR_OR_NULL(f))
		return 0;
	if (!inv->dirs)
		inv->dirs = kzalloc(sizeof(*inv->dirs), GFP_KERNEL);
	for (i = 0; inv->dirs && i < TAL_KDIRS; i++)
		if (!inv->dirs->f[i]) {
			inv->dirs->f[i] = f;
			inv->dirs->gen[i]++;
			inv->dirs->last[i][0] = 0;
			return (unsigned long)inv->dirs->gen[i] << 16 | (i + 1);
		}
	fput(f);
	return 0;
}

/* The slot of a live handle, or -1: a failed or closed one reads as empty. */
static int tal_dir_slot(struct tal_inv *inv, unsigned long h)
{
	unsigned long i = (h & 0xffff) - 1;

	if (!h || !inv->dirs || i >= TAL_KDIRS || !inv->dirs->f[i] || (h >> 16) != inv->dirs->gen[i])
		return -1;
	return (int)i;
}

unsigned long tal_ksvc_dir_open(const void *ctx, const u8 *path, unsigned long n)
{
	struct tal_inv *inv = tal_cur_inv();
	unsigned long h;
	char *p;

	if (n == 0 || n >= PATH_MAX || memchr(path, 0, n))
		return 0;
	p = kmemdup_nul(path, n, GFP_KERNEL);
	if (!p)
		return 0;
	h = tal_dir_handle(inv, filp_open(p, O_RDONLY | O_DIRECTORY, 0));
	kfree(p);
	return h;
}
EXPORT_SYMBOL_GPL(tal_ksvc_dir_open);

struct tal_readdir {
	struct dir_context ctx;
	char *name;
	unsigned int type;
	bool got;
};

/* One entry per call: the first one is taken, the next stops the walk there. */
static bool tal_filldir(struct dir_context *dc, const char *name, int len, loff_t off, u64 ino, unsigned int type)
{
	struct tal_readdir *rd = container_of(dc, struct tal_readdir, ctx);

	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return true;
	if (rd->got)
		return false;
	len = min(len, NAME_MAX);
	memcpy(rd->name, name, len);
	rd->name[len] = 0;
	rd->type = type;
	rd->got = true;
	return true;
}

long tal_ksvc_dir_read(const void *ctx, unsigned long h)
{
	struct tal_inv *inv = tal_cur_inv();
	int i = tal_dir_slot(inv, h);
	struct tal_readdir rd = { .ctx.actor = tal_filldir };

	if (i < 0)
		return 0;
	rd.name = inv->dirs->last[i];
	if (iterate_dir(inv->dirs->f[i], &rd.ctx) < 0 || !rd.got) {
		inv->dirs->last[i][0] = 0;
		return 0;
	}
	return rd.type == DT_REG ? 1 : rd.type == DT_DIR ? 2 : 3;
}
EXPORT_SYMBOL_GPL(tal_ksvc_dir_read);

unsigned long tal_ksvc_dir_enter(const void *ctx, unsigned long h)
{
	struct tal_inv *inv = tal_cur_inv();
	int i = tal_dir_slot(inv, h);

	if (i < 0 || !inv->dirs->last[i][0])
		return 0;
	return tal_dir_handle(inv, file_open_root(&inv->dirs->f[i]->f_path, inv->dirs->last[i],
						  O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0));
}
EXPORT_SYMBOL_GPL(tal_ksvc_dir_enter);

long tal_ksvc_dir_close(const void *ctx, unsigned long h)
{
	struct tal_inv *inv = tal_cur_inv();
	int i = tal_dir_slot(inv, h);

	if (i < 0)
		return -1;
	fput(inv->dirs->f[i]);
	inv->dirs->f[i] = NULL;
	return 0;
}
EXPORT_SYMBOL_GPL(tal_ksvc_dir_close);

/*
 * The kernel interface's services in the order of tal_kernel.tali: fixed
 * stub k of a carrier jumps to tal_svcs[k].fn.
 */
static const struct tal_svc {
	const char *name;
	const void *fn;
	int trap;
} tal_svcs[] = {
	{ "tal_trap_bounds", tal_ktrap_bounds, TAL_TRAP_BOUNDS },
	{ "tal_trap_stack", tal_ktrap_stack, TAL_TRAP_STACK },
	{ "tal_trap_null", tal_ktrap_null, TAL_TRAP_NULL },
	{ "tal_trap_div", tal_ktrap_div, TAL_TRAP_DIV },
	{ "tal_trap_fuel", tal_ktrap_fuel, TAL_TRAP_FUEL },
	{ "tal_getpid", tal_ksvc_getpid_fast, 0 },
	{ "tal_clock", tal_ksvc_clock, 0 },
	{ "tal_log", tal_ksvc_log, 0 },
	{ "tal_buf_len", tal_ksvc_buf_len, 0 },
	{ "tal_copy_in", tal_ksvc_copy_in, 0 },
	{ "tal_copy_out", tal_ksvc_copy_out, 0 },
	{ "tal_alloc_bytes", tal_ksvc_alloc_bytes, 0 },
	{ "tal_dir_open", tal_ksvc_dir_open, 0 },
	{ "tal_dir_read", tal_ksvc_dir_read, 0 },
	{ "tal_dir_enter", tal_ksvc_dir_enter, 0 },
	{ "tal_dir_close", tal_ksvc_dir_close, 0 },
};

/* Defined in tal_kenter.S; exported here, where genksyms sees their types. */
EXPORT_SYMBOL_GPL(tal_ktrap_bounds);
EXPORT_SYMBOL_GPL(tal_ktrap_stack);
EXPORT_SYMBOL_GPL(tal_ktrap_null);
EXPORT_SYMBOL_GPL(tal_ktrap_div);
EXPORT_SYMBOL_GPL(tal_ktrap_fuel);
EXPORT_SYMBOL_GPL(tal_ksvc_getpid_fast);

static int tal_svc_index(const char *name)
{
	int k;

	for (k = 0; k < ARRAY_SIZE(tal_svcs); k++)
		if (strcmp(tal_svcs[k].name, name) == 0)
			return k;
	return -1;
}

/*
 * The site (.text offset of the rel32 field) of the jump whose stub (a
 * `call rel32`) pushed ret, or TAL_NO_OFFSET.
 */
static u32 tal_stub_site(const struct tal_inv *inv, unsigned long ret)
{
	const TalModule *m = &inv->km->mod;
	unsigned long stubs = (unsigned long)inv->km->image + m->stubs_off, at = ret - 5;
	u32 i;

	if (at < stubs || (at - stubs) % TALMOD_STUB_SIZE != 0)
		return TAL_NO_OFFSET;
	i = (at - stubs) / TALMOD_STUB_SIZE;
	if (i >= m->nimports || talmod_import_site(m, i) == TALMOD_NO_SITE)
		return TAL_NO_OFFSET;
	return talmod_import_site(m, i);
}

/*
 * From tal_ktrap_common (tal_kenter.S): record the trap and, from the
 * return address the module's trap stub (a `call rel32`) pushed, which
 * jump it was; give back the stack pointer to unwind to.
 */
unsigned long tal_ktrap_record(int kind, unsigned long ret)
{
	struct tal_inv *inv = tal_current_inv();

	BUG_ON(!inv);	/* a trap stub run outside an invocation */
	inv->trap = kind;
	inv->offset = ret ? tal_stub_site(inv, ret) : TAL_NO_OFFSET;	/* 0: from a service (tal_kraise) */
	return inv->sp;
}

/*
 * From tal_ktrap_fuel (tal_kenter.S): the module ran out of its slice of
 * fuel.  The verifier's [fuel.resume] made every jump to tal_trap_fuel
 * the `jb` (0f 82 rel32) right after a count-down, whose path not taken
 * the rest of the block was checked on.  So while the invocation has
 * fuel beyond the slice, and its task is not being killed, the module
 * gets the next slice, less the unit the count-down that ran out takes,
 * the task lets others run (cond_resched: a kernel without full
 * preemption would not take the processor from the module), and the
 * module goes on after the jb.  Gives back where, or 0 for the trap.
 */
unsigned long tal_ktrap_refuel(unsigned long ret)
{
	struct tal_inv *inv = tal_current_inv();
	const u8 *text;
	unsigned long n;
	u32 site;

	BUG_ON(!inv);	/* a trap stub run outside an invocation */
	if (!inv->fuel_left || inv->ctx.steps != ~0UL || fatal_signal_pending(current))
		return 0;
	site = tal_stub_site(inv, ret);
	text = inv->km->image;
	if (site == TAL_NO_OFFSET || site < 2 || (u64)site + 4 > inv->km->mod.text_size ||
	    text[site - 2] != 0x0f || text[site - 1] != 0x82)
		return 0;
	n = min(inv->fuel_left, TAL_FUEL_SLICE);
	inv->fuel_left -= n;
	inv->ctx.steps = n - 1;
	cond_resched();
	return (unsigned long)text + site + 4;
}

/* ---- registration (the carrier's init and exit) ---- */

static struct tal_kmod *tal_find(const char *name)
{
	struct tal_kmod *km;

	list_for_each_entry(km, &tal_mods, list)
		if (strcmp(km->name, name) == 0)
			return km;
	return NULL;
}

/* The stub slot the carrier must hold for import i of m. */
static void tal_expected_stub(u8 out[TALMOD_STUB_SIZE], const TalModule *m, u32 i, int k)
{
	s32 rel = (s32)tal_kstub_dest(k, tal_svcs[k].fn == tal_ksvc_getpid_fast) -
		  (s32)(TAL_KSTUB_AREA + m->stubs_off + i * TALMOD_STUB_SIZE + 5);

	memset(out, 0xcc, TALMOD_STUB_SIZE);
	out[0] = tal_svcs[k].trap ? 0xe8 : 0xe9;	/* call: traps say where */
	memcpy(out + 1, &rel, 4);
}

/*
 * tal_getpid's body at TAL_KGETPID_OFF: what tal_ksvc_getpid_fast does,
 * mov rdi, gs:[current_task]; mov esi, 1; xor edx, edx, then a direct
 * jump to __task_pid_nr_ns (checked by where it lands).
 */
static int tal_check_getpid(const u8 *text, const char *name)
{
	static const u8 code[] = { 0x65, 0x48, 0x8b, 0x3c, 0x25, 0, 0, 0, 0,	/* mov rdi, gs:[disp32] */
				   0xbe, 0x01, 0x00, 0x00, 0x00,		/* mov esi, 1 */
				   0x31, 0xd2,					/* xor edx, edx */
				   0xe9 };					/* jmp rel32 */
	const u8 *p = text + TAL_KGETPID_OFF;
	long pcpu = (long)(unsigned long)&current_task;
	s32 disp, rel;

	BUILD_BUG_ON(sizeof(code) + 4 != TAL_KGETPID_SIZE);
	BUILD_BUG_ON(ARRAY_SIZE(tal_svcs) * TALMOD_STUB_SIZE > TAL_KGETPID_OFF);
	BUILD_BUG_ON(TAL_KGETPID_OFF + TAL_KGETPID_SIZE > TAL_KENTRY_OFF);
	memcpy(&disp, p + 5, 4);
	memcpy(&rel, p + sizeof(code), 4);
	if (memcmp(p, code, 5) != 0 || memcmp(p + 9, code + 9, sizeof(code) - 9) != 0 || disp != pcpu ||
	    (unsigned long)p + TAL_KGETPID_SIZE + rel != (unsigned long)__task_pid_nr_ns) {
		pr_err("%s: refused: the carrier's tal_getpid is not task_tgid_vnr(current) (carrier built for another shim?)\n", name);
		return -ENOEXEC;
	}
	return 0;
}

/* The carrier's fixed stubs: each a `jmp rel32` to its service here. */
static int tal_check_fixed(const u8 *text, const char *name)
{
	int k;
	s32 rel;

	for (k = 0; k < ARRAY_SIZE(tal_svcs); k++) {
		const u8 *p = text + k * TALMOD_STUB_SIZE;

		memcpy(&rel, p + 1, 4);
		if (p[0] != 0xe9 || (unsigned long)p + 5 + rel != (unsigned long)tal_svcs[k].fn) {
			pr_err("%s: refused: the carrier's fixed stub %d does not jump to %s (carrier built for another shim?)\n",
			       name, k, tal_svcs[k].name);
			return -ENOEXEC;
		}
	}
	return tal_check_getpid(text, name);
}

/* The trampoline area must hold: export i's `endbr64; jmp rel32`, then int3. */
static void tal_expected_entry(u8 out[TAL_KENTRY_SIZE], const TalModule *m, u32 i)
{
	static const u8 endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	s32 rel = (s32)(TAL_KSTUB_AREA + talmod_export_offset(m, i)) - (s32)(TAL_KENTRY_OFF + i * TAL_KENTRY_SIZE + 9);

	memset(out, 0xcc, TAL_KENTRY_SIZE);
	memcpy(out, endbr64, 4);
	out[4] = 0xe9;
	memcpy(out + 5, &rel, 4);
}

/*
 * The stub area past the fixed stubs: int3, but for one entry trampoline
 * per export from TAL_KENTRY_OFF, exactly as talload writes it.
 */
static int tal_check_entries(const u8 *text, const TalModule *m, const char *name)
{
	u8 want[TAL_KENTRY_SIZE];
	size_t j;
	u32 i;

	if (m->nexports > TAL_KENTRY_MAX) {
		pr_err("%s: refused: %u exports do not fit the carrier's entry trampolines\n", name, m->nexports);
		return -EFBIG;
	}
	for (j = ARRAY_SIZE(tal_svcs) * TALMOD_STUB_SIZE; j < TAL_KENTRY_OFF; j++)
		if (text[j] != 0xcc && (j < TAL_KGETPID_OFF || j >= TAL_KGETPID_OFF + TAL_KGETPID_SIZE))
			goto bad;
	for (i = 0; i < m->nexports; i++) {
		tal_expected_entry(want, m, i);
		if (memcmp(text + TAL_KENTRY_OFF + i * TAL_KENTRY_SIZE, want, TAL_KENTRY_SIZE) != 0) {
			pr_err("%s: refused: the carrier's entry trampoline %u is not endbr64 and a jump to '%s'\n",
			       name, i, talmod_export_name(m, i));
			return -EILSEQ;
		}
	}
	for (j = TAL_KENTRY_OFF + m->nexports * TAL_KENTRY_SIZE; j < TAL_KSTUB_AREA; j++)
		if (text[j] != 0xcc)
			goto bad;
	return 0;
bad:
	pr_err("%s: refused: the carrier holds code in its stub area (offset %zu)\n", name, j);
	return -EILSEQ;
}

/* The carrier's image: the signed image, stubs set, the rest int3. */
static int tal_check_image(const u8 *text, size_t text_len, const TalModule *m, const char *name)
{
	const u8 *img = text + TAL_KSTUB_AREA, *want = m->base + m->image_off;
	size_t img_cap = text_len - TAL_KSTUB_AREA, at = 0, j;
	u8 stub[TALMOD_STUB_SIZE];
	u32 i;
	int k;

	if (m->image_size > img_cap) {
		pr_err("%s: refused: an image of %u bytes does not fit the carrier's %zu\n",
		       name, m->image_size, img_cap);
		return -EFBIG;
	}
	for (i = 0; i < m->nimports; i++) {
		const char *svc = talmod_import_name(m, i);
		u32 off = m->stubs_off + i * TALMOD_STUB_SIZE;

		k = tal_svc_index(svc);
		if (k < 0) {
			pr_err("%s: refused: the module imports '%s', which the kernel does not provide\n",
			       name, svc);
			return -ENOEXEC;
		}
		if (memcmp(img + at, want + at, off - at) != 0)
			goto tampered;
		tal_expected_stub(stub, m, i, k);
		if (memcmp(img + off, stub, TALMOD_STUB_SIZE) != 0) {
			pr_err("%s: refused: the carrier's stub %u is not the direct branch to '%s'\n",
			       name, i, svc);
			return -EILSEQ;
		}
		at = off + TALMOD_STUB_SIZE;
	}
	if (memcmp(img + at, want + at, m->image_size - at) != 0)
		goto tampered;
	for (j = m->image_size; j < img_cap; j++)
		if (img[j] != 0xcc) {
			pr_err("%s: refused: the carrier holds code past the image (offset %zu)\n", name, j);
			return -EILSEQ;
		}
	return 0;
tampered:
	pr_err("%s: refused: the carrier's code is not the signed module's image\n", name);
	return -EILSEQ;
}

/**
 * talshim_register - check a carrier's module and enter it in the registry
 * @owner: the carrier
 * @text: the carrier's .tal.text: fixed stubs, then the image placeholder
 * @text_len: its bytes
 * @signed_file: the signed module file talload wrote into the carrier
 * @signed_len: its bytes
 *
 * The module's name is the carrier's without TAL_CARRIER_PREFIX.  Returns 0,
 * or a negative errno with the reason in the kernel log: the carrier's init
 * then fails with it.
 */
int talshim_register(struct module *owner, const u8 *text, size_t text_len,
		     const u8 *signed_file, size_t signed_len)
{
	const char *name = owner->name;
	struct tal_kmod *km;
	TalSigned s;
	TalModule m;
	u8 digest[SHA256_DIGEST_SIZE];
	char why[160];
	int ret;

	if (strncmp(name, TAL_CARRIER_PREFIX, strlen(TAL_CARRIER_PREFIX)) == 0)
		name += strlen(TAL_CARRIER_PREFIX);
	if (!*name || strlen(name) >= TAL_NAME_MAX) {
		pr_err("%s: refused: a module's name has 1 to %d characters\n", owner->name, TAL_NAME_MAX - 1);
		return -EINVAL;
	}
	if (text_len < TAL_KSTUB_AREA || signed_len > TAL_CARRIER_SIGNED_MAX) {
		pr_err("%s: refused: the carrier's sizes are wrong\n", name);
		return -EINVAL;
	}
	ret = talsig_split(signed_file, signed_len, &s, why, sizeof(why));
	if (ret != TALSIG_OK) {
		pr_err("%s: refused: %s\n", name, why);
		return ret == TALSIG_UNSIGNED ? -ENODATA : -EBADMSG;
	}
	/* talsig_split refused certificates in DER; the kernel's parser reads BER too, so only DER of sign-file's shape goes on */
	if (talsig_pkcs7_certs(s.pkcs7, s.pkcs7_len) != 0) {
		pr_err("%s: refused: the signature is not DER of the shape sign-file makes, without certificates\n", name);
		return -EBADMSG;
	}
	ret = verify_pkcs7_signature(s.signed_part, s.signed_len, s.pkcs7, s.pkcs7_len,
				     tal_keyring, VERIFYING_MODULE_SIGNATURE, NULL, NULL);
	if (ret) {
		pr_err("%s: refused: the signature does not verify against the shim's keyring (%d%s)\n",
		       name, ret, ret == -ENOKEY ? ": signed by a key the shim does not trust" :
		       ret == -EKEYREJECTED ? ": the signed bytes were changed" : "");
		return ret;
	}
	if (memcmp(s.att.iface_digest, tal_kiface_digest, SHA256_DIGEST_SIZE) != 0) {
		pr_err("%s: refused: the module was verified against another interface (digest %*phN, the kernel's is %*phN)\n",
		       name, 8, s.att.iface_digest, 8, tal_kiface_digest);
		return -EPROTO;
	}
	{
		/* verified with the kernel profile: bounded loops, faultless division, ctx-first exports */
		size_t vl = strlen(s.att.verifier);

		if (vl < 7 || strcmp(s.att.verifier + vl - 7, " kernel") != 0) {
			pr_err("%s: refused: the module was not verified with the kernel profile (verified by %s)\n",
			       name, s.att.verifier);
			return -EPROTONOSUPPORT;
		}
	}
	if (talmod_parse(&m, s.module, s.module_len, why, sizeof(why)) != 0) {
		pr_err("%s: refused: %s\n", name, why);
		return -ENOEXEC;
	}
	sha256(m.base + m.iface_off, m.iface_size, digest);
	if (memcmp(digest, tal_kiface_digest, SHA256_DIGEST_SIZE) != 0) {
		pr_err("%s: refused: the module embeds another interface than the kernel's\n", name);
		return -EPROTO;
	}
	if (m.data_size || m.bss_size) {
		pr_err("%s: refused: modules with writable data are not supported in the kernel yet\n", name);
		return -EOPNOTSUPP;
	}
	ret = tal_check_fixed(text, name);
	if (!ret)
		ret = tal_check_entries(text, &m, name);
	if (!ret)
		ret = tal_check_image(text, text_len, &m, name);
	if (ret)
		return ret;

	km = kzalloc(sizeof(*km), GFP_KERNEL);
	if (!km)
		return -ENOMEM;
	strscpy(km->name, name, sizeof(km->name));
	km->owner = owner;
	km->image = text + TAL_KSTUB_AREA;
	km->mod = m;
	atomic_set(&km->running, 0);
	ratelimit_state_init(&km->log_rs, TAL_LOG_INTERVAL, TAL_LOG_BURST);
	ratelimit_set_flags(&km->log_rs, RATELIMIT_MSG_ON_RELEASE);
	mutex_lock(&tal_lock);
	if (tal_find(name)) {
		mutex_unlock(&tal_lock);
		kfree(km);
		pr_err("%s: refused: a module of that name is loaded\n", name);
		return -EEXIST;
	}
	list_add_tail(&km->list, &tal_mods);
	mutex_unlock(&tal_lock);
	pr_info("%s: loaded (%u bytes of code, %u exports, verified by %s)\n",
		name, m.text_size, m.nexports, s.att.verifier);
	return 0;
}
EXPORT_SYMBOL_GPL(talshim_register);

/**
 * talshim_unregister - take a carrier's module out of the registry
 * @owner: the carrier, at its exit
 *
 * Invocations hold a reference on the carrier, so none runs here: the
 * kernel does not call a module's exit while its reference count is up.
 */
void talshim_unregister(struct module *owner)
{
	struct tal_kmod *km, *n;

	mutex_lock(&tal_lock);
	list_for_each_entry_safe(km, n, &tal_mods, list)
		if (km->owner == owner) {
			WARN_ON(atomic_read(&km->running));
			list_del(&km->list);
			ratelimit_state_exit(&km->log_rs);	/* (how many lines were dropped) */
			pr_info("%s: unloaded\n", km->name);
			kfree(km);
		}
	mutex_unlock(&tal_lock);
}
EXPORT_SYMBOL_GPL(talshim_unregister);

/* ---- /dev/tal ---- */

static long tal_add_cert(void __user *uarg)
{
	struct tal_cert c;
	key_ref_t kref;
	void *der;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.len == 0 || c.len > 64 * 1024)
		return -EINVAL;
	der = memdup_user(u64_to_user_ptr(c.data), c.len);
	if (IS_ERR(der))
		return PTR_ERR(der);
	kref = key_create_or_update(make_key_ref(tal_keyring, 1), "asymmetric", NULL, der, c.len,
				    (KEY_POS_ALL & ~KEY_POS_SETATTR) | KEY_USR_VIEW | KEY_USR_READ,
				    KEY_ALLOC_NOT_IN_QUOTA);
	kfree(der);
	if (IS_ERR(kref)) {
		pr_err("cannot add the certificate: %ld\n", PTR_ERR(kref));
		return PTR_ERR(kref);
	}
	c.serial = key_ref_to_ptr(kref)->serial;
	pr_info("trusted key %d: %s\n", c.serial, key_ref_to_ptr(kref)->description);
	key_ref_put(kref);
	return copy_to_user(uarg, &c, sizeof(c)) ? -EFAULT : 0;
}

static long tal_list(void __user *uarg)
{
	struct tal_list l;
	struct tal_kmod *km;
	u32 i = 0;
	long ret = -ENOENT;

	if (copy_from_user(&l, uarg, sizeof(l)))
		return -EFAULT;
	mutex_lock(&tal_lock);
	list_for_each_entry(km, &tal_mods, list)
		if (i++ == l.index) {
			memset(l.name, 0, sizeof(l.name));
			strscpy(l.name, km->name, sizeof(l.name));
			l.nexports = km->mod.nexports;
			l.invocations = atomic_read(&km->running);
			l.image_size = km->mod.image_size;
			ret = 0;
			break;
		}
	mutex_unlock(&tal_lock);
	if (ret)
		return ret;
	return copy_to_user(uarg, &l, sizeof(l)) ? -EFAULT : 0;
}

/* Copy the caller's buffers in (kernel memory the module may read). */
static long tal_bufs_in(struct tal_inv *inv, const struct tal_invoke_buf *b)
{
	unsigned long total = 0;
	u32 i;

	if (b->nbufs > TAL_MAX_BUFS || (b->writable >> TAL_MAX_BUFS) || (b->writable >> b->nbufs))
		return -EINVAL;
	for (i = 0; i < b->nbufs; i++) {
		total += b->len[i];
		if (total > TAL_BUFS_MAX)
			return -E2BIG;
	}
	for (i = 0; i < b->nbufs; i++) {
		inv->buf[i] = kvmalloc(b->len[i] ? b->len[i] : 1, GFP_KERNEL);
		if (!inv->buf[i])
			return -ENOMEM;
		inv->nbufs = i + 1;
		inv->len[i] = b->len[i];
		if (copy_from_user(inv->buf[i], u64_to_user_ptr(b->ptr[i]), b->len[i]))
			return -EFAULT;
	}
	inv->writable = b->writable;
	return 0;
}

static void tal_inv_free(struct tal_inv *inv)
{
	u32 i;

	for (i = 0; i < inv->nbufs; i++)
		kvfree(inv->buf[i]);
	kvfree(inv->arena);
	for (i = 0; inv->dirs && i < TAL_KDIRS; i++)
		if (inv->dirs->f[i])
			fput(inv->dirs->f[i]);
	kfree(inv->dirs);
}

/*
 * Run an export: find it (holding a reference on its carrier), copy the
 * buffers in, reserve the quota, call it on this kernel stack with
 * the invocation registered under the current task, copy the writable
 * buffers back if it returned.
 */
static long tal_run(struct tal_invoke_buf *b)
{
	struct tal_invoke *req = &b->call;
	struct tal_kmod *km;
	struct tal_inv inv = { 0 };
	u64 regs[6] = { 0 };
	unsigned long base, fuel, top = 0;
	void *entry;
	long result = 0;
	int e;
	u32 i;

	if (req->nargs > TAL_MAX_ARGS || req->pad ||
	    !memchr(req->module, 0, sizeof(req->module)) || !memchr(req->export, 0, sizeof(req->export)))
		return -EINVAL;

	mutex_lock(&tal_lock);
	km = tal_find(req->module);
	if (!km || !try_module_get(km->owner)) {	/* a carrier going away */
		mutex_unlock(&tal_lock);
		return -ENOENT;
	}
	atomic_inc(&km->running);
	mutex_unlock(&tal_lock);

	e = talmod_find_export(&km->mod, req->export);
	if (e < 0) {
		result = -ESRCH;
		goto out;
	}
	result = tal_bufs_in(&inv, b);
	if (result)
		goto out;
	inv.arena_len = min(tal_quota, 64UL << 20);
	inv.arena = inv.arena_len ? kvzalloc(inv.arena_len, GFP_KERNEL) : NULL;
	if (inv.arena_len && !inv.arena) {
		result = -ENOMEM;
		goto out;
	}
	/* through its trampoline: an indirect call that lands on endbr64 */
	entry = (void *)(km->image - TAL_KSTUB_AREA + TAL_KENTRY_OFF + e * TAL_KENTRY_SIZE);
	BUILD_BUG_ON(offsetof(struct tal_inv, ctx.stack_limit) != TAL_INV_LIMIT);
	base = (unsigned long)task_stack_page(current);
	fuel = READ_ONCE(tal_fuel);	/* (a module parameter: may change meanwhile) */
	inv.ctx.steps = min(fuel, TAL_FUEL_SLICE);	/* (ctx.stack_limit: tal_kenter) */
	inv.fuel_left = fuel - inv.ctx.steps;
	inv.km = km;
	if (current_stack_pointer - base < TAL_STACK_NEED) {
		result = -E2BIG;	/* not the stack a module is promised */
		goto out;
	}
	regs[0] = (u64)(unsigned long)&inv.ctx;
	for (i = 0; i < req->nargs; i++)
		regs[1 + i] = (u64)req->args[i];

	result = tal_running_add(&inv);
	if (result)
		goto out;
	if (READ_ONCE(tal_stack_probe)) {
		top = current_stack_pointer;
		tal_stack_paint((unsigned long *)base + 8, (unsigned long *)(top - TAL_PAINT_GAP));
	}
	req->result = tal_kenter(entry, regs, &inv);
	if (top)
		tal_stack_measure((unsigned long *)base + 8, top);
	tal_running_del();

	req->trap = inv.trap;
	req->offset = inv.trap ? inv.offset : TAL_NO_OFFSET;
	req->file[0] = 0;
	if (inv.trap && inv.offset != TAL_NO_OFFSET) {
		const char *f;
		u32 fl, line, col;

		if (talmod_line(&km->mod, inv.offset, &f, &fl, &line, &col) == 0) {
			if (fl > sizeof(req->file) - 1) {	/* keep the end: the file's name */
				f += fl - (sizeof(req->file) - 1);
				fl = sizeof(req->file) - 1;
			}
			memcpy(req->file, f, fl);
			req->file[fl] = 0;
			req->line = line;
			req->col = col;
		}
	}
	if (inv.trap)
		req->result = 0;
	for (i = 0; !inv.trap && i < inv.nbufs; i++)
		if ((inv.writable & (1u << i)) && copy_to_user(u64_to_user_ptr(b->ptr[i]), inv.buf[i], inv.len[i]))
			result = -EFAULT;
out:
	tal_inv_free(&inv);
	atomic_dec(&km->running);
	module_put(km->owner);
	return result;
}

static long tal_invoke(void __user *uarg)
{
	struct tal_invoke_buf b = { 0 };
	long r;

	if (copy_from_user(&b.call, uarg, sizeof(b.call)))
		return -EFAULT;
	r = tal_run(&b);
	if (!r && copy_to_user(uarg, &b.call, sizeof(b.call)))
		r = -EFAULT;
	return r;
}

static long tal_invoke_buf(void __user *uarg)
{
	struct tal_invoke_buf b;
	long r;

	if (copy_from_user(&b, uarg, sizeof(b)))
		return -EFAULT;
	r = tal_run(&b);
	if (!r && copy_to_user(uarg, &b.call, sizeof(b.call)))
		r = -EFAULT;
	return r;
}

static long tal_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case TAL_IOC_ADD_CERT:
		return tal_add_cert(uarg);
	case TAL_IOC_INVOKE:
		return tal_invoke(uarg);
	case TAL_IOC_INVOKE_BUF:
		return tal_invoke_buf(uarg);
	case TAL_IOC_LIST:
		return tal_list(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations tal_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = tal_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice tal_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "tal",
	.fops = &tal_fops,
	.mode = 0666,
};

static int __init talshim_init(void)
{
	int ret;

	sha256(tal_kiface, sizeof(tal_kiface), tal_kiface_digest);
	tal_keyring = keyring_alloc(".tal", GLOBAL_ROOT_UID, GLOBAL_ROOT_GID, current_cred(),
				    (KEY_POS_ALL & ~KEY_POS_SETATTR) | KEY_USR_VIEW | KEY_USR_READ |
				    KEY_USR_SEARCH, KEY_ALLOC_NOT_IN_QUOTA, NULL, NULL);
	if (IS_ERR(tal_keyring))
		return PTR_ERR(tal_keyring);
	ret = misc_register(&tal_misc);
	if (ret) {
		key_put(tal_keyring);
		return ret;
	}
	pr_info("ready: /dev/tal, kernel interface %*phN\n", 8, tal_kiface_digest);
	return 0;
}

static void __exit talshim_exit(void)
{
	misc_deregister(&tal_misc);
	key_put(tal_keyring);
}

module_init(talshim_init);
module_exit(talshim_exit);
