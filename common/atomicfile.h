/*
** atomicfile.h - outputs appear whole or not at all.  A tool writes into a
** temporary beside the target and renames it when everything went well.
** A symbolic link is written through (its target is replaced); a device or
** a pipe (-o /dev/null) gets the finished bytes copied into it.
*/
#ifndef TAL_ATOMICFILE_H
#define TAL_ATOMICFILE_H

#include <stddef.h>

typedef struct AtomicFile {
	int fd;
	int direct;          /* the target is a device or a pipe          */
	char tmp[4096];      /* the temporary                            */
	char target[4096];   /* what it will replace                     */
} AtomicFile;

/* Open the output for `path`.  0, or -1 with errno set. */
int atomic_open(AtomicFile *f, const char *path);
/* Close; if ok, put the output in place, else remove the temporary.  0 on success. */
int atomic_commit(AtomicFile *f, int ok);
/* Write a whole buffer to `path` atomically.  0 on success (errno set on failure). */
int atomic_write(const char *path, const void *data, size_t n);

#endif
