/*
** link.h - the linker's interface (prefix link_).
**
**   objects + host interface -> merged types, resolved code -> module
**
** The linker is not trusted: talcheck verifies what it writes.  It still
** checks what it can (undefined and duplicate symbols, types of imports
** against exports and host services) so that users get their errors at
** link time with both sides named, not as a rejection of the module.
*/
#ifndef TAL_LINK_H
#define TAL_LINK_H

#include "diag.h"
#include "types.h"

typedef struct LinkOptions {
	const char *out;               /* module to write                          */
	const char **inputs; int ninputs;
	const char **incdirs; int nincdirs;
	const char *host;              /* host interface; NULL: tal_host.tali on -I */
} LinkOptions;

/*
** Compile an interface file (.tali): declarations only.  `canon` gets the
** canonical table, the one modules embed and hosts hash: its typedefs and
** imports in order, no positions, no file names.  `decl` (optional) gets the
** table as written, with positions, for diagnostics; its entries are in the
** same order.  Files read are added to *deps.  0, or 1 after reporting.
*/
int link_interface(const char *path, const char **incdirs, int nincdirs, Diag *d,
                   TyTable *canon, TyTable *decl, char ***deps, uint32_t *ndeps);

/* Find an interface by name on the search path (then as given); malloc'd path or NULL. */
char *link_find_interface(const char *name, const char **incdirs, int nincdirs);

/*
** Link the inputs into a module written atomically to o->out.  Files read
** go to *deps (for -MD).  Returns 0, 1 (errors in the input, reported
** through d) or 2 (I/O).
*/
int link_module(const LinkOptions *o, Diag *d, char ***deps, uint32_t *ndeps);

#endif
