/*
** readfile.h - an input file read whole, without waiting and within a
** bound.  A path the user names is opened without blocking (a FIFO with
** no writer would wait forever) and must be a regular file: a FIFO, a
** socket or a device (/dev/zero never ends) is refused before a byte is
** read.  Standard input, which may be a pipe, is read on its own path,
** within the same bound.
*/
#ifndef TAL_READFILE_H
#define TAL_READFILE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

/* errno for a path that names no regular file (read_error says so) */
#define READ_ENOTREG ENOSTR

/*
** The whole of the regular file at `path`, malloc'd in *out with a NUL
** after its *len bytes (a buffer even for an empty file).  0, or -1 with
** errno set and *out untouched: EISDIR for a directory, READ_ENOTREG for
** anything else that is not a regular file, EFBIG for more than `limit`
** bytes (also when the file grows past it while read), ENOMEM, or open's
** and read's own.  A file that changes while read gives what read()
** returned: never more than was read, never a byte left unset.
*/
int read_whole(const char *path, size_t limit, uint8_t **out, size_t *len);

/*
** The same for an open descriptor read to its end, whatever it is (a
** pipe on standard input): blocks as long as its writer does, and stops
** at EFBIG past `limit` bytes.  The descriptor is left open.
*/
int read_stream(int fd, size_t limit, uint8_t **out, size_t *len);

/* What went wrong, for a message: strerror(e), or "not a regular file". */
const char *read_error(int e);

#endif
