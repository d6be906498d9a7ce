/*
** fuzz_link.c - libFuzzer target for the linker: any bytes are one or more
** objects (cut where the line SPLIT, below, stands alone) that tallink
** links against the host interface (runtime/tal_host.tali), as
** `tallink -I runtime -o out.tlm a.o b.o ...` would.  The linker is not
** trusted, but it reads what users give it: nothing may crash, hang or
** leak, and a link that fails leaves no module behind (nor any half of
** one).
**
** A module the linker writes from objects the verifier accepts must be
** accepted by the verifier too: the linker's own checks (undefined and
** duplicate symbols, imports against exports and host services) are there
** so that users see their errors at link time, and whatever links cleanly
** has lost nothing of its types.  A module that is rejected when each of
** its objects was accepted aborts, unless every rule it breaks is one only
** a module can break: [stack.entry] (an entry point's stack need is a
** property of the module's exports, which talcheck alone works out).
*/
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "link.h"
#include "tc.h"

#define SPLIT "\n@@tal-fuzz-object@@\n"
enum { MAX_OBJECTS = 4 };

static FILE *devnull;
static char dir[] = "/tmp/fuzz_link.XXXXXX";

static void cleanup(void)
{
	char path[64];
	for (int i = 0; i < MAX_OBJECTS; i++) {
		snprintf(path, sizeof path, "%s/%d.o", dir, i);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/out.tlm", dir);
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (!(devnull = fopen("/dev/null", "w"))) { perror("fuzz_link: /dev/null"); abort(); }
	if (!mkdtemp(dir)) { perror("fuzz_link: mkdtemp"); abort(); }
	atexit(cleanup);
	return 0;
}

static void put(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) { perror(path); abort(); }
}

static Diag quiet(const char *tool)
{
	Diag d;
	diag_init(&d, tool, COLOR_NEVER);
	d.out = devnull;
	d.max_errors = 20;
	return d;
}

/* Nothing but the n inputs and the module, if there is one, in the directory: no temporary left behind. */
static void only_inputs(int n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d) { perror(dir); abort(); }
	while ((e = readdir(d))) {
		const char *x = e->d_name;
		int input = x[0] >= '0' && x[0] < '0' + n && !strcmp(x + 1, ".o");
		if (strcmp(x, ".") && strcmp(x, "..") && strcmp(x, "out.tlm") && !input) {
			fprintf(stderr, "fuzz_link: the link left %s/%s behind\n", dir, x);
			abort();
		}
	}
	closedir(d);
}

/* A finding of a rule other than those only a module breaks. */
static void found(void *arg, const TcFinding *x)
{
	if (strcmp(x->rule, "stack.entry") != 0) *(const char **)arg = x->rule;
}

/*
** The verifier's verdict on a file: 0 accepted, > 0 rejected, -1 not a TAL
** object; *other (if not NULL) names a rule it broke other than
** [stack.entry], or is NULL.
*/
static int verify(const char *path, const char **other)
{
	const char *rule = NULL;
	TcSink sink = { found, &rule };
	Diag d = quiet("talcheck");
	int r = tc_check_object(path, &d, &sink, TC_PROFILE_USER, NULL, NULL, NULL);
	diag_free(&d);
	if (other) *other = r < 0 ? "(not a module)" : rule;
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char paths[MAX_OBJECTS][64], out[64];
	const char *inputs[MAX_OBJECTS];
	const char *incdirs[] = { TAL_SOURCE_DIR "/runtime" };
	int n = 0;
	size_t at = 0, sl = strlen(SPLIT);
	for (int i = 0; i < MAX_OBJECTS; i++) {   /* the last input's */
		snprintf(paths[i], sizeof paths[i], "%s/%d.o", dir, i);
		unlink(paths[i]);
	}
	while (n < MAX_OBJECTS) {   /* the last object takes the rest, splits and all */
		const uint8_t *end = n < MAX_OBJECTS - 1 ? memmem(data + at, size - at, SPLIT, sl) : NULL;
		size_t len = end ? (size_t)(end - (data + at)) : size - at;
		put(paths[n], data + at, len);
		inputs[n] = paths[n];
		n++;
		if (!end) break;
		at += len + sl;
	}
	snprintf(out, sizeof out, "%s/out.tlm", dir);
	unlink(out);
	LinkOptions o = { .out = out, .inputs = inputs, .ninputs = n, .incdirs = incdirs, .nincdirs = 1 };
	Diag d = quiet("tallink");
	char **deps = NULL;
	uint32_t ndeps = 0;
	int r = link_module(&o, &d, &deps, &ndeps);
	if (r == 0 && d.errors) r = 1;
	diag_free(&d);
	for (uint32_t i = 0; i < ndeps; i++) free(deps[i]);
	free(deps);
	struct stat st;
	int wrote = stat(out, &st) == 0;
	only_inputs(n);
	if (r != 0 && wrote) {
		fprintf(stderr, "fuzz_link: the link failed (%d), but %s was written\n", r, out);
		abort();
	}
	if (r == 0 && !wrote) {
		fprintf(stderr, "fuzz_link: the link succeeded, but %s is not there\n", out);
		abort();
	}
	if (r == 0) {
		int objects_ok = 1;
		for (int i = 0; i < n && objects_ok; i++) objects_ok = verify(paths[i], NULL) == 0;
		const char *rule;
		if (objects_ok && verify(out, &rule) != 0 && rule) {
			fprintf(stderr, "fuzz_link: each object verifies, the link succeeded, but the module is rejected: [%s]\n", rule);
			abort();
		}
	}
	return 0;
}
