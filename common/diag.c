/*
** diag.c - GCC-style diagnostics with the source line and a caret.
*/
#include "diag.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "readfile.h"

enum { SHOW_MAX = 160 };   /* longest excerpt of a source line we print */

static int want_color(int mode)
{
	if (mode != COLOR_AUTO) return mode == COLOR_ALWAYS;
	const char *term = getenv("TERM");
	if (getenv("NO_COLOR") || !term || strcmp(term, "dumb") == 0) return 0;
	return isatty(2);
}

void diag_init(Diag *d, const char *prog, int color_mode)
{
	memset(d, 0, sizeof *d);
	d->prog = prog;
	d->out = stderr;
	d->color = want_color(color_mode);
	d->max_errors = 50;
}

void diag_free(Diag *d)
{
	for (uint32_t i = 0; i < d->nsrc; i++) {
		free(d->src[i].name);
		free(d->src[i].owned);
		free(d->src[i].lines);
	}
	free(d->src);
	d->src = NULL;
	d->nsrc = 0;
}

uint32_t diag_source(Diag *d, const char *name, const char *text, size_t len)
{
	d->src = xgrow(d->src, sizeof *d->src, d->nsrc + 1, &d->capsrc);
	DiagSource *s = &d->src[d->nsrc++];
	size_t n = strlen(name);
	s->name = memcpy(xmalloc(n + 1), name, n + 1);
	s->text = text;
	s->owned = NULL;
	s->len = len;
	s->lines = NULL;
	s->nlines = 0;
	return d->nsrc;
}

const char *diag_file(const Diag *d, uint32_t file)
{
	return file >= 1 && file <= d->nsrc ? d->src[file - 1].name : NULL;
}

/* Line starts are only needed when something goes wrong: index them lazily. */
static void index_lines(DiagSource *s)
{
	unsigned cap = 0;
	uint32_t n = 0;
	uint32_t *v = xgrow(NULL, sizeof *v, 1, &cap);
	v[n++] = 0;
	for (size_t i = 0; i < s->len; i++)
		if (s->text[i] == '\n') {
			v = xgrow(v, sizeof *v, n + 1, &cap);
			v[n++] = (uint32_t)(i + 1);
		}
	s->lines = v;
	s->nlines = n;
}

/*
** Print the line and a caret under column `col` (1-based, in bytes).  Long
** lines are cut to a window around the column; control bytes are shown as
** '?' so junk input cannot garble the terminal.
*/
static void show_line(Diag *d, DiagSource *s, uint32_t line, uint32_t col)
{
	if (!s->text || line == 0) return;
	if (!s->lines) index_lines(s);
	if (line > s->nlines) return;
	size_t start = s->lines[line - 1], end = start;
	while (end < s->len && s->text[end] != '\n') end++;
	if (end > start && s->text[end - 1] == '\r') end--;
	size_t c = col ? col - 1 : 0, from = start;
	if (c > SHOW_MAX / 2) from = start + c - SHOW_MAX / 2;
	if (from > end) from = end;
	size_t to = end - from > SHOW_MAX ? from + SHOW_MAX : end;
	fputc(' ', d->out);
	for (size_t i = from; i < to; i++) {
		unsigned char ch = (unsigned char)s->text[i];
		fputc(ch == '\t' ? ' ' : (ch < 32 || ch >= 127) ? '?' : ch, d->out);
	}
	fputc('\n', d->out);
	fputc(' ', d->out);
	for (size_t i = from; i < start + c && i < to; i++) fputc(' ', d->out);
	fputs(d->color ? "\033[1;32m^\033[0m\n" : "^\n", d->out);
}

static void report(Diag *d, Pos p, const char *kind, const char *color,
                   const char *fmt, va_list ap)
{
	const char *file = diag_file(d, p.file);
	if (d->color) fputs("\033[1m", d->out);
	if (file && p.line) fprintf(d->out, "%s:%u:%u: ", file, p.line, p.col);
	else if (file) fprintf(d->out, "%s: ", file);
	else fprintf(d->out, "%s: ", d->prog);
	if (d->color) fprintf(d->out, "%s%s:\033[0m\033[1m ", color, kind);
	else fprintf(d->out, "%s: ", kind);
	vfprintf(d->out, fmt, ap);
	fputs(d->color ? "\033[0m\n" : "\n", d->out);
	if (file && p.line) show_line(d, &d->src[p.file - 1], p.line, p.col);
}

void diag_verror(Diag *d, Pos p, const char *fmt, va_list ap)
{
	d->errors++;
	if (d->max_errors && d->errors > d->max_errors) {
		if (!d->limit_hit)
			fprintf(d->out, "%s: too many errors (%d), stopping here\n",
			        d->prog, d->max_errors);
		d->limit_hit = 1;
		return;
	}
	report(d, p, "error", "\033[1;31m", fmt, ap);
}

void diag_error(Diag *d, Pos p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_verror(d, p, fmt, ap);
	va_end(ap);
}

void diag_warning(Diag *d, Pos p, const char *fmt, ...)
{
	va_list ap;
	d->warnings++;
	va_start(ap, fmt);
	report(d, p, "warning", "\033[1;35m", fmt, ap);
	va_end(ap);
}

void diag_note(Diag *d, Pos p, const char *fmt, ...)
{
	va_list ap;
	if (d->limit_hit) return;
	va_start(ap, fmt);
	report(d, p, "note", "\033[1;36m", fmt, ap);
	va_end(ap);
}

void diag_fatal(Diag *d, const char *fmt, ...)
{
	va_list ap;
	d->errors++;
	va_start(ap, fmt);
	if (d->color) fputs("\033[1m", d->out);
	fprintf(d->out, "%s: ", d->prog);
	fputs(d->color ? "\033[1;31mfatal error:\033[0m\033[1m " : "fatal error: ", d->out);
	vfprintf(d->out, fmt, ap);
	fputs(d->color ? "\033[0m\n" : "\n", d->out);
	va_end(ap);
}

/* A regular file's whole contents, or NULL: then no line of it is quoted. */
static char *read_regular(const char *name, size_t *len)
{
	uint8_t *text;
	if (read_whole(name, 1 << 28, &text, len) == 0) return (char *)text;
	*len = 0;
	return NULL;
}

uint32_t diag_source_file(Diag *d, const char *name)
{
	for (uint32_t i = 1; i <= d->nsrc; i++)
		if (strcmp(d->src[i - 1].name, name) == 0) return i;
	size_t len;
	char *text = read_regular(name, &len);
	uint32_t id = diag_source(d, name, text, len);
	d->src[id - 1].owned = text;
	return id;
}
