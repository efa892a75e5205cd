/* cache: the source cache directory. Files are written as FILE.part and renamed into place only
 * after their checksums matched; a stamp (.lfsbuild/FILE.stamp: size, mtime, inode, sha256, md5)
 * records a verification so that a later run trusts the file without reading it again; a lock
 * (.lfsbuild/FILE.lock, flock) keeps two runs from writing one file. */
#pragma once
#include <stdbool.h>
#include "lib/util.h"

enum cache_mode {
	CACHE_STAMP_ONLY,   /* trust a matching stamp, never read the file */
	CACHE_HASH_NEEDED,  /* trust a matching stamp, else hash the file (and stamp it) */
	CACHE_REHASH,       /* always hash the file (and stamp it when it matches) */
};

enum cache_state {
	CACHE_MISSING,      /* no such file */
	CACHE_UNVERIFIED,   /* present, no matching stamp, not hashed (CACHE_STAMP_ONLY) */
	CACHE_OK,           /* verified: matches every checksum given */
	CACHE_MISMATCH,     /* hashed and does not match (or could not be read) */
};

/* What a file must match: lower-case hex, either may be NULL (not both). */
struct want {
	const char *sha256, *md5;
};

/* The state of DIR/FILE against `want`. `sha256_out` (65 bytes, may be NULL) receives the
 * file's sha256 when CACHE_OK; `why` (may be NULL) gets the reason of CACHE_MISMATCH,
 * e.g. "sha256 expected X, got Y". */
enum cache_state cache_check(const char *dir, const char *file, const struct want *want,
                             enum cache_mode mode, char *sha256_out, struct buf *why);
/* Compare computed checksums with `want`; 0, or -1 with the mismatch said into `why`. */
int cache_compare(const struct want *want, const char *sha256, const char *md5, struct buf *why);
/* Write the stamp of DIR/FILE (which must exist) after its checksums were computed. */
int cache_stamp_write(const char *dir, const char *file, const char *sha256, const char *md5, const char *from);
/* Remove the stamp of DIR/FILE only: the next check hashes the file again (used when a file
 * was found changed behind its stamp's back). */
void cache_forget(const char *dir, const char *file);
/* Remove DIR/FILE and its stamp. */
void cache_remove(const char *dir, const char *file);

/* Take the lock of DIR/FILE, waiting if another process holds it (after saying so on stderr
 * unless `quiet`, naming its pid). Returns the lock's descriptor, or -1 (errno set). */
int cache_lock(const char *dir, const char *file, bool quiet);
/* Try the lock without waiting: the descriptor, or -1 (errno EWOULDBLOCK when held). */
int cache_trylock(const char *dir, const char *file);
void cache_unlock(int fd);
/* The pid written in the lock file of DIR/FILE by its last holder, or 0. */
long cache_lock_owner(const char *dir, const char *file);

/* Open DIR/FILE.part afresh (a stale one is truncated) for writing; the caller holds the lock.
 * Returns the descriptor or -1 (errno set). */
int cache_part_open(const char *dir, const char *file);
/* fsync and close the .part, rename it to DIR/FILE, write its stamp. 0 or -1 (errno set; the
 * .part is removed). */
int cache_part_commit(const char *dir, const char *file, int fd, const char *sha256, const char *md5,
                      const char *from);
/* Close and remove the .part. */
void cache_part_discard(const char *dir, const char *file, int fd);
/* The paths of DIR/FILE.part and the stamp (malloc'd). */
char *cache_part_path(const char *dir, const char *file);
char *cache_stamp_path(const char *dir, const char *file);
/* Read the "from" line of a stamp (where the file came from), or NULL. */
char *cache_stamp_from(const char *dir, const char *file);
