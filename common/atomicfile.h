/*
** atomicfile.h - outputs appear whole or not at all.  A tool writes into a
** temporary beside the target and renames it when everything went well.
*/
#ifndef TAL_ATOMICFILE_H
#define TAL_ATOMICFILE_H

#include <stddef.h>

/* Create the temporary for `path`; its name goes to tmp.  Returns an fd or -1 (errno set). */
int atomic_open(const char *path, char *tmp, size_t cap);
/* Close fd; if ok, rename the temporary over `path`, else remove it.  0 on success. */
int atomic_commit(int fd, const char *tmp, const char *path, int ok);
/* Write a whole buffer to `path` atomically.  0 on success (errno set on failure). */
int atomic_write(const char *path, const void *data, size_t n);

#endif
