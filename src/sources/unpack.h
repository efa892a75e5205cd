/* unpack: sources into a build directory (libarchive), the top directory found. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Unpack `archive` into `destdir` and return in `*top` (malloc'd) the name, under destdir, of
 * what it holds: its one top directory, or `name` when the archive has several top entries
 * (they are put in destdir/name). A file that is no archive (a patch) is copied as is and
 * `*top` is its file name. Returns 0, or -1 with the reason in errbuf. */
int unpack_source(const char *archive, const char *destdir, const char *name, char **top, char *errbuf,
                  size_t errlen);
/* Extract `archive` into the existing directory `dir` with libarchive's checks (no absolute
 * path, no "..", nothing extracted through a symlink), times and modes kept; `as_is` keeps
 * owners, xattrs, ACLs and file flags too (a snapshot of the root: snapshot_restore). 0, or -1
 * with the reason in errbuf. */
int unpack_archive(const char *archive, const char *dir, bool as_is, char *errbuf, size_t errlen);
/* The first path component of the archive's first entry (what unpack_source would most likely
 * call its top directory), without extracting; NULL if it cannot tell. For --explain. */
char *unpack_peek_top(const char *archive);
