/*
** startup.c - how long it takes to get from a file to a first call: a
** signed module through libtalrt against a C shared object through dlopen.
**
**   startup CERT sum.signed.tlm libsum.so ITERS
**
** Each iteration, for the module (examples/sum.tal): talrt_load (read the
** file, check the signature against the trusted certificate and this
** host's interface digest, decode the types and line table, map the image
** read-execute with its service stubs), talrt_instantiate (stack with a
** guard page, memory quota, data), talrt_call of sum on [1, 2, 3, 4]
** (arguments marshalled from the export's type), then talrt_destroy and
** talrt_unload.  The runtime and its trusted certificate are made once,
** before the loop, as a host would.
**
** For the shared object (sum_so.c): dlopen (RTLD_NOW | RTLD_LOCAL),
** dlsym, the call, dlclose; the object must really be unloaded each time
** (checked with RTLD_NOLOAD).
**
** Both results must be 10.  Printed: the medians over ITERS iterations (after
** a warm-up) in microseconds, of the whole iteration and of each part:
** tal_us (tal_load_us, tal_inst_us, tal_call_us, tal_free_us) and
** dl_us (dl_open_us, dl_call_us, dl_close_us).
*/
#include "common.h"   /* first: it defines _GNU_SOURCE */

#include <dlfcn.h>

static const uint64_t words[4] = { 1, 2, 3, 4 };

/* One load-to-unload of the module; the time of each part in t[0..3], in ns. */
static void tal_once(TalRuntime *rt, const char *path, double t[4])
{
	TalError err = { 0 };
	TalValue v = { .kind = TALV_WORDS, .p = (void *)words, .n = 4 };
	double t0 = now_ns();
	TalMod *m = talrt_load(rt, path, &err);
	if (!m) die(2, "%s: refused: %s", path, err.msg);
	double t1 = now_ns();
	TalInstance *in = talrt_instantiate(m, NULL, &err);
	if (!in) die(2, "%s: cannot instantiate: %s", path, err.msg);
	double t2 = now_ns();
	int e = talrt_find_export(m, "sum");
	if (e < 0) die(2, "%s: no export 'sum'", path);
	int64_t r = tal_call(in, e, &v, 1);
	double t3 = now_ns();
	talrt_destroy(in);
	talrt_unload(m);
	double t4 = now_ns();
	if (r != 10) die(1, "sum([1,2,3,4]) returned %lld in the module", (long long)r);
	t[0] = t1 - t0, t[1] = t2 - t1, t[2] = t3 - t2, t[3] = t4 - t3;
}

static void dl_once(const char *path, double t[3])
{
	double t0 = now_ns();
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) die(2, "dlopen: %s", dlerror());
	double t1 = now_ns();
	uint64_t (*f)(const uint64_t *, size_t) = (uint64_t (*)(const uint64_t *, size_t))dlsym(h, "sum");
	if (!f) die(2, "dlsym: %s", dlerror());
	uint64_t r = f(words, 4);
	double t2 = now_ns();
	if (dlclose(h) != 0) die(2, "dlclose: %s", dlerror());
	double t3 = now_ns();
	if (r != 10) die(1, "sum([1,2,3,4]) returned %llu in the shared object", (unsigned long long)r);
	t[0] = t1 - t0, t[1] = t2 - t1, t[2] = t3 - t2;
}

int main(int argc, char **argv)
{
	prog_name = "startup";
	if (argc != 5) die(2, "usage: startup CERT sum.signed.tlm libsum.so ITERS");
	const char *mod = argv[2], *so = argv[3];
	int iters = (int)arg_long(argv[4], "ITERS");
	TalRuntime *rt = tal_runtime(argv[1]);

	double *tal[5], *dl[4];
	for (int k = 0; k < 5; k++)
		if (!(tal[k] = calloc((size_t)iters, sizeof(double)))) die(2, "out of memory");
	for (int k = 0; k < 4; k++)
		if (!(dl[k] = calloc((size_t)iters, sizeof(double)))) die(2, "out of memory");

	double t[4];
	for (int i = 0; i < iters / 10 + 1; i++) tal_once(rt, mod, t), dl_once(so, t);   /* warm-up */
	for (int i = 0; i < iters; i++) {
		tal_once(rt, mod, t);
		tal[4][i] = 0;
		for (int k = 0; k < 4; k++) tal[k][i] = t[k] / 1e3, tal[4][i] += t[k] / 1e3;
		dl_once(so, t);
		dl[3][i] = 0;
		for (int k = 0; k < 3; k++) dl[k][i] = t[k] / 1e3, dl[3][i] += t[k] / 1e3;
	}
	/* dlclose must have unloaded it: otherwise dlopen measured nothing */
	void *h = dlopen(so, RTLD_NOW | RTLD_NOLOAD);
	if (h) die(1, "%s stays loaded after dlclose: dlopen was not measured", so);

	printf("iters %d\n", iters);
	printf("tal_us %.2f\ntal_load_us %.2f\ntal_inst_us %.2f\ntal_call_us %.2f\ntal_free_us %.2f\n",
	       median(tal[4], iters), median(tal[0], iters), median(tal[1], iters), median(tal[2], iters), median(tal[3], iters));
	printf("dl_us %.2f\ndl_open_us %.2f\ndl_call_us %.2f\ndl_close_us %.2f\n",
	       median(dl[3], iters), median(dl[0], iters), median(dl[1], iters), median(dl[2], iters));
	for (int k = 0; k < 5; k++) free(tal[k]);
	for (int k = 0; k < 4; k++) free(dl[k]);
	talrt_free(rt);
	return 0;
}
