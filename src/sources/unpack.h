/* unpack: sources into a build directory (libarchive), the top directory found; and the
 * snapshots of $LFS (a tar.zst that keeps owners, modes, devices, xattrs and ACLs). */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* Unpack `archive` into `destdir` and return in `*top` (malloc'd) the name, under destdir, of
 * what it holds: its one top directory, or `name` when the archive has several top entries
 * (they are put in destdir/name). A file that is no archive (a patch) is copied as is and
 * `*top` is its file name. Returns 0, or -1 with the reason in errbuf. */
int unpack_source(const char *archive, const char *destdir, const char *name, char **top, char *errbuf,
                  size_t errlen);
/* chown -R (never following symlinks). 0 or -1 with errno. */
int chown_tree(const char *path, uid_t uid, gid_t gid);
/* Write the tree `dir` to `out` (a .tar.zst, pax with xattrs and ACLs), atomically. */
int snapshot_create(const char *dir, const char *out, char *errbuf, size_t errlen);
/* Empty `dir` and extract `archive` into it with owners, modes, times, xattrs, ACLs. */
int snapshot_restore(const char *archive, const char *dir, char *errbuf, size_t errlen);
/* The first path component of the archive's first entry (what unpack_source would most likely
 * call its top directory), without extracting; NULL if it cannot tell. For --explain. */
char *unpack_peek_top(const char *archive);
