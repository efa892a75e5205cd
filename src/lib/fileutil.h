/* fileutil: the one way lfsbuild copies a file. lfsbuild runs as root and copies out of trees it
 * does not trust (a step's build directory, where the step may plant a symlink to /etc/shadow),
 * so a copy never follows a symlink nor opens anything but a regular file, and the destination
 * is written beside itself and renamed into place (a symlink there is replaced, never followed).
 * The source's last path component is the one checked: its directories are lfsbuild's own. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Open the regular file `path` for reading (O_NOFOLLOW, O_CLOEXEC; a FIFO or a device is never
 * opened). The fd, or -1 with errno set and the reason in errbuf: "PATH is a symlink (-> TARGET):
 * not copied", "PATH is not a regular file: not copied", "cannot open PATH: ...". */
int file_open_regular(const char *path, char *errbuf, size_t errlen);

/* Open the regular file at `rel` (relative, "a/b/c") below the directory `dirfd` without following
 * a symlink at any component: each directory is opened with O_NOFOLLOW relative to the one
 * before, so a component a step turned into a symlink (usr -> /etc) fails, never leads out;
 * nothing but a regular file is opened (a FIFO or a device never). The fd, or -1 with errno
 * (ELOOP for a symlink on the way or at the end, EINVAL for something not a regular file) and
 * the reason in errbuf, which names `rel` as "SHOWN/rel" with SHOWN the caller's name for dirfd. */
int file_open_beneath(int dirfd, const char *shown, const char *rel, char *errbuf, size_t errlen);

/* Open the directory `rel` ("" or "." is dirfd itself) below `dirfd` the same way: each component
 * with O_NOFOLLOW, checked to be the directory examined. The fd (O_RDONLY, close-on-exec), or -1
 * with errno: ELOOP when a component is a symlink (never followed), ENOTDIR when it is something
 * else, EINVAL for "..", ENOENT when missing. */
int dir_open_beneath(int dirfd, const char *rel);

/* Like dir_open_beneath, cheaper (each component opened O_PATH | O_NOFOLLOW, not examined
 * first; the capture's merge opens every path so): ".." refused (EINVAL), a symlink on the way
 * fails (ELOOP or ENOTDIR), never leads out. O_PATH unless `readable`. The fd (close-on-exec) or -1 with errno. */
int file_open_dir_beneath(int dirfd, const char *rel, bool readable);

/* The parent directory of `rel` below `dirfd` (file_open_dir_beneath, O_PATH) and the last
 * component of `rel` in *leaf (malloc'd, also on failure). The fd or -1 with errno. */
int file_open_parent_beneath(int dirfd, const char *rel, char **leaf);

/* Copy the data extents of `in` (SEEK_DATA/SEEK_HOLE, copy_file_range, read/write where that
 * cannot) to `out` at offset `out_off`; holes stay holes. The number of data bytes copied, or -1
 * with errno. */
int64_t file_copy_sparse(int in, int out, uint64_t out_off);

/* Copy the regular file `from` to `to` with the permissions `mode`: `from` opened with
 * file_open_regular, its bytes written to a new TO.tmp.XXXXXX (O_EXCL) beside `to`, fsync'd and
 * renamed over `to`. 0, or -1 with the reason in errbuf (nothing is left behind). */
int file_copy(const char *from, const char *to, mode_t mode, char *errbuf, size_t errlen);

/* Copy the regular file `from` (opened with file_open_regular) into the open file `out` at
 * `out_off`, sparsely; `out_name` names `out` in messages. 0, or -1 with the reason in errbuf. */
int file_copy_into(const char *from, int out, uint64_t out_off, const char *out_name, char *errbuf, size_t errlen);
