/*
** source.c - reading source files.  A file is read whole; its text lives
** as long as the unit, because diagnostics quote its lines.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "as.h"
#include "readfile.h"

enum { MAX_SOURCE = 1 << 30 };

static void add_dep(Asm *as, const char *path)
{
	for (uint32_t i = 0; i < as->ndeps; i++)
		if (strcmp(as->deps[i], path) == 0) return;
	as->deps = xgrow(as->deps, sizeof *as->deps, as->ndeps + 1, &as->capdeps);
	size_t n = strlen(path) + 1;
	as->deps[as->ndeps++] = memcpy(xmalloc(n), path, n);
}

/* The open failed, or the reading (e: errno); at `from`, or fatal on the command line. */
static void io_error(Asm *as, Pos from, const char *path, int std, int e)
{
	int opening = !std && e != EISDIR && e != READ_ENOTREG && e != EFBIG && e != ENOMEM && e != EIO;
	const char *what = opening ? "cannot open" : "cannot read";
	if (from.file) diag_error(as->diag, from, "%s '%s': %s", what, path, read_error(e));
	else diag_fatal(as->diag, "%s '%s': %s", what, path, read_error(e));
}

/*
** Read `path` ("-" is standard input, which may be a pipe) into the unit's
** arena.  Any other path must name a regular file: a FIFO or a device is
** refused, not waited on or read without end.
*/
int as_read(Asm *as, const char *path, Pos from, SrcFile *out)
{
	int std = strcmp(path, "-") == 0;
	uint8_t *buf;
	size_t len;
	if ((std ? read_stream(STDIN_FILENO, MAX_SOURCE, &buf, &len) : read_whole(path, MAX_SOURCE, &buf, &len)) != 0) {
		io_error(as, from, path, std, errno);
		return -1;
	}
	char *text = (char *)buf;   /* lives as long as the unit: diagnostics quote it */
	as->texts = xgrow(as->texts, sizeof *as->texts, as->ntexts + 1, &as->captexts);
	as->texts[as->ntexts++] = text;
	out->name = std ? "<stdin>" : path;
	out->text = text;
	out->len = len;
	out->id = diag_source(as->diag, out->name, text, len);
	if (!std) add_dep(as, path);
	return 0;
}

/* .include looks beside the including file first, then in the -I directories. */
int as_find_include(Asm *as, const char *name, Pos from, SrcFile *out)
{
	char path[4096];
	struct stat st;
	if (name[0] == '/') return as_read(as, name, from, out);
	const char *inc = diag_file(as->diag, from.file);
	const char *slash = inc ? strrchr(inc, '/') : NULL;
	if (slash) snprintf(path, sizeof path, "%.*s/%s", (int)(slash - inc), inc, name);
	else snprintf(path, sizeof path, "%s", name);
	if (stat(path, &st) == 0) return as_read(as, path, from, out);
	for (int i = 0; i < as->nincdirs; i++) {
		snprintf(path, sizeof path, "%s/%s", as->incdirs[i], name);
		if (stat(path, &st) == 0) return as_read(as, path, from, out);
	}
	diag_error(as->diag, from, "cannot find include file '%s'", name);
	return -1;
}

void as_mark_interface(Asm *as, uint32_t file)
{
	if (file >= as->niface) {
		uint32_t n = file + 16;
		as->iface = xrealloc(as->iface, n);
		memset(as->iface + as->niface, 0, n - as->niface);
		as->niface = n;
	}
	as->iface[file] = 1;
}
