/*
** cli.h - what the tools' command lines share: GNU-style option values,
** output names derived from inputs, and make dependency files.
*/
#ifndef TAL_CLI_H
#define TAL_CLI_H

#include <stdint.h>

/* -fdiagnostics-color[=WHEN]: COLOR_* in *mode, or -1 for a bad value. */
int cli_color(const char *arg, int *mode);
/* "PROG: error: ..." and where to find help, on stderr; returns 2 (usage). */
int cli_usage_error(const char *prog, const char *fmt, const char *arg);
/* -fmax-errors=N: 0 and *n set, or -1. */
int cli_max_errors(const char *arg, int *n);
/*
** path with its extension replaced by ext (malloc'd): in the current
** directory as cc -c does, or beside the input with `keepdir`.
*/
char *cli_derive(const char *path, const char *ext, int keepdir);
/*
** Write "target: deps..." and a phony rule per dependency after the first
** (as gcc -MD -MP), atomically, to depfile or else to out's name with .d.
** Reports failures on stderr as prog; 0 or -1.
*/
int cli_write_deps(const char *prog, const char *depfile, const char *target, const char *out,
                   char *const *deps, uint32_t ndeps);

#endif
