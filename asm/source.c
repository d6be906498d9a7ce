/*
** source.c - reading source files.  A file is read whole; its text lives
** as long as the unit, because diagnostics quote its lines.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "as.h"

enum { MAX_SOURCE = 1 << 30 };

static void add_dep(Asm *as, const char *path)
{
	for (uint32_t i = 0; i < as->ndeps; i++)
		if (strcmp(as->deps[i], path) == 0) return;
	as->deps = xgrow(as->deps, sizeof *as->deps, as->ndeps + 1, &as->capdeps);
	size_t n = strlen(path) + 1;
	as->deps[as->ndeps++] = memcpy(xmalloc(n), path, n);
}

static void io_error(Asm *as, Pos from, const char *path, const char *what)
{
	if (from.file) diag_error(as->diag, from, "%s '%s': %s", what, path, strerror(errno));
	else diag_fatal(as->diag, "%s '%s': %s", what, path, strerror(errno));
}

/* Read `path` ("-" is standard input) into the unit's arena. */
int as_read(Asm *as, const char *path, Pos from, SrcFile *out)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!fp) { io_error(as, from, path, "cannot open"); return -1; }
	struct stat st;
	if (fstat(fileno(fp), &st) != 0) memset(&st, 0, sizeof st);
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		io_error(as, from, path, "cannot read");
		if (fp != stdin) fclose(fp);
		return -1;
	}
	/* a regular file is read in one go; a pipe grows the buffer */
	size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 && st.st_size < MAX_SOURCE ? (size_t)st.st_size + 1 : 1 << 16;
	size_t len = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (len + 1 >= cap) {
			if (cap >= MAX_SOURCE) {
				errno = EFBIG;
				io_error(as, from, path, "cannot read");
				free(buf);
				if (fp != stdin) fclose(fp);
				return -1;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		size_t want = cap - len - 1, n = fread(buf + len, 1, want, fp);
		len += n;
		if (n < want) break;   /* end of file, or an error ferror() reports */
	}
	int bad = ferror(fp);
	if (fp != stdin) fclose(fp);
	if (bad) { io_error(as, from, path, "cannot read"); free(buf); return -1; }
	buf[len] = 0;
	char *text = buf;   /* lives as long as the unit: diagnostics quote it */
	as->texts = xgrow(as->texts, sizeof *as->texts, as->ntexts + 1, &as->captexts);
	as->texts[as->ntexts++] = text;
	out->name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	out->text = text;
	out->len = len;
	out->id = diag_source(as->diag, out->name, text, len);
	if (fp != stdin) add_dep(as, path);
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
