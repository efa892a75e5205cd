/* disk: the free space of the file systems a step writes to (WORKDIR/build and WORKDIR/root):
 * the guard the scheduler runs before a step starts, and the hint of the triage when a step
 * failed on a full disk. Each check is a statvfs() per path: cheap enough for every step. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "lib/util.h"

/* What a step without a `disk` line is taken to need. */
#define DISK_DEFAULT_NEED (256ULL << 20)
/* Below this, a failed step is said to have failed on a full disk. */
#define DISK_LOW (16ULL << 20)

/* The bytes an unprivileged process may still write on the file system holding `path` (or its
 * nearest existing parent): f_bavail * f_frsize. 0, or -1 (errno set). `dev` (may be NULL)
 * receives the file system's device. */
int disk_free(const char *path, unsigned long long *avail, unsigned long long *dev);
/* The mount point of the file system holding `path` (or its nearest existing parent): the
 * highest directory above it on the same device. malloc'd; `path` itself if nothing is known. */
char *disk_mount_point(const char *path);
/* Is there room for `need` bytes on the file system of every one of `paths` (each file system
 * checked once)? 0 yes (or a path cannot be checked); -1 no, with "needs about X, Y free on
 * MOUNT (PATH)" appended to `why`. */
int disk_check(const char *const *paths, size_t n, unsigned long long need, struct buf *why);
/* The fullest file system of `paths`: its index, and its free bytes in *avail; -1 if none
 * could be checked. */
int disk_fullest(const char *const *paths, size_t n, unsigned long long *avail);
/* Does the end of the file `log` (its last MiB) say "No space left on device"? */
bool disk_log_says_full(const char *log);
