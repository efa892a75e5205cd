/* unpack: sources into a build directory (libarchive), the top directory found. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Unpack `archive` into `destdir` and return in `*top` (malloc'd) the name, under destdir, of
 * what it holds: its one top directory, or `name` when the archive has several top entries
 * (they are put in destdir/name). A file that is no archive (a patch) is copied as is and
 * `*top` is its file name. `*newest` is the newest mtime of the archive's members (seconds since
 * the epoch; the step's SOURCE_DATE_EPOCH, docs/engine.md), -1 for a file that is no archive or
 * an archive without member times. Returns 0, or -1 with the reason in errbuf. */
int unpack_source(const char *archive, const char *destdir, const char *name, char **top, long long *newest,
                  char *errbuf, size_t errlen);
/* Extract `archive` into the existing directory `dir` with libarchive's checks (no absolute
 * path, no "..", nothing extracted through a symlink), times and modes kept; `as_is` keeps
 * owners, xattrs, ACLs and file flags too (a snapshot of the root: snapshot_restore). 0, or -1
 * with the reason in errbuf. */
int unpack_archive(const char *archive, const char *dir, bool as_is, char *errbuf, size_t errlen);
/* The newest mtime of the archive's members, read without extracting (every header: a compressed
 * archive is decompressed once), as unpack_source gives it; -1 when it is no archive, has no
 * member times or cannot be read to its end. */
long long unpack_newest_mtime(const char *archive);
/* The first path component of the archive's first entry (what unpack_source would most likely
 * call its top directory), without extracting; NULL if it cannot tell. For --explain. */
char *unpack_peek_top(const char *archive);
