/*
** diag.h - diagnostics in GCC's format.
**
**   file:line:col: error: message
**    source line
**        ^
**
** Library code reports through a Diag and never exits; the tools decide the
** exit status from the error count.  Colour only when asked or on a terminal.
*/
#ifndef TAL_DIAG_H
#define TAL_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A position: file is an index into the Diag's sources (0 = none). */
typedef struct Pos { uint32_t file, line, col; } Pos;

typedef struct DiagSource {
	char *name;
	const char *text;   /* whole contents, may be NULL */
	char *owned;        /* text, when diag_source_file read it */
	size_t len;
	uint32_t *lines;    /* line start offsets, built on first use */
	uint32_t nlines;
} DiagSource;

enum { COLOR_AUTO, COLOR_NEVER, COLOR_ALWAYS };

typedef struct Diag {
	const char *prog;     /* tool name for messages without a position */
	FILE *out;
	int color;            /* resolved: 0 or 1 */
	int errors, warnings;
	int max_errors;       /* stop reporting after this many; 0 = no limit */
	int limit_hit;
	DiagSource *src; uint32_t nsrc, capsrc;
} Diag;

void diag_init(Diag *d, const char *prog, int color_mode);
void diag_free(Diag *d);
/* Register a source file; returns its index for Pos.file (>= 1). */
uint32_t diag_source(Diag *d, const char *name, const char *text, size_t len);
const char *diag_file(const Diag *d, uint32_t file);
/*
** The index of a source file by name, registered on first use with its
** text read for quoting if it is a regular file at hand (a FIFO or a
** device there is never waited on or read).
*/
uint32_t diag_source_file(Diag *d, const char *name);

void diag_error(Diag *d, Pos p, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_warning(Diag *d, Pos p, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_note(Diag *d, Pos p, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_verror(Diag *d, Pos p, const char *fmt, va_list ap);
/* An error about the tool's own invocation or I/O (no position). */
void diag_fatal(Diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
