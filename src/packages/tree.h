/* tree: a directory tree written as a pax tar.zst (owners as numbers, modes, times, xattrs, ACLs,
 * hard links, symlinks, devices, FIFOs) with libarchive's physical disk reader, never through a
 * symlink: the root's snapshots (engine/snapshot.c) and the steps' package archives
 * (packages/package.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* A member written before the tree's entries: a regular file of mode 0644, owner 0:0, time 0. */
struct tree_member {
	const char *name;
	const char *data;
	size_t len;
};

struct tree_pack {
	bool dot_names;         /* entries named "./usr/bin/x" and the top directory "." (snapshots);
	                         * else "usr/bin/x" and no entry for the top directory (packages) */
	bool overlay;           /* an overlay's upper tree: whiteouts (character devices 0:0) left out,
	                         * the overlay's own xattrs (trusted.overlay.*) dropped */
	const struct tree_member *members;
	size_t nmembers;
};

/* Write the tree `dir` with `opts` to `out`: written as OUT.part, fsync'd, renamed, its directory
 * fsync'd, so that `out` is either absent (or as it was) or complete. The tree was made by steps:
 * the disk reader is physical (a symlink is archived as a symlink, never descended), each file's
 * data is read by lfsbuild through file_open_beneath (no symlink followed on the way, only the
 * inode the reader described). Sockets are left out (tar has no type for them). 0, or -1 with the
 * reason in errbuf (no OUT.part left). */
int tree_pack(const char *dir, const char *out, const struct tree_pack *opts, char *errbuf, size_t errlen);
