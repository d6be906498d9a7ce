/* cli.c - shared command-line pieces (see cli.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "cli.h"
#include "diag.h"
#include "types.h"

int cli_color(const char *arg, int *mode)
{
	if (!arg || strcmp(arg, "always") == 0) *mode = COLOR_ALWAYS;   /* as gcc */
	else if (strcmp(arg, "auto") == 0) *mode = COLOR_AUTO;
	else if (strcmp(arg, "never") == 0) *mode = COLOR_NEVER;
	else return -1;
	return 0;
}

int cli_usage_error(const char *prog, const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: error: ", prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", prog);
	return 2;
}

int cli_max_errors(const char *arg, int *n)
{
	char *end;
	long v = strtol(arg, &end, 10);
	if (*end || end == arg || v < 0 || v > 1000000000) return -1;
	*n = (int)v;
	return 0;
}

char *cli_derive(const char *path, const char *ext, int keepdir)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strcmp(path, "-") == 0) base = "stdin";
	const char *from = keepdir ? path : base, *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - from) : strlen(from);
	char *s = malloc(n + strlen(ext) + 1);
	if (!s) return NULL;
	memcpy(s, from, n);
	strcpy(s + n, ext);
	return s;
}

int cli_write_deps(const char *prog, const char *depfile, const char *target, const char *out,
                   char *const *deps, uint32_t ndeps)
{
	Buf b = { 0 };
	if (!target) target = out;
	buf_put(&b, target, strlen(target));
	buf_put(&b, ":", 1);
	for (uint32_t i = 0; i < ndeps; i++) {
		buf_put(&b, " ", 1);
		buf_put(&b, deps[i], strlen(deps[i]));
	}
	buf_put(&b, "\n", 1);
	for (uint32_t i = 1; i < ndeps; i++) {
		buf_put(&b, "\n", 1);
		buf_put(&b, deps[i], strlen(deps[i]));
		buf_put(&b, ":\n", 2);
	}
	char *dflt = depfile ? NULL : cli_derive(out, ".d", 1);
	const char *path = depfile ? depfile : dflt;
	int r = path ? atomic_write(path, b.p, b.n) : -1;
	if (r != 0) fprintf(stderr, "%s: fatal error: cannot write '%s': %s\n", prog, path ? path : "", strerror(errno));
	free(dflt);
	free(b.p);
	return r;
}
