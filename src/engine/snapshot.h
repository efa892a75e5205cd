/* snapshot: the root tree ($LFS) as a whole. Its snapshots at stage boundaries (--snapshots,
 * `lfsbuild restore`): a tar.zst that keeps owners, modes, devices, xattrs and ACLs. And its
 * ownership: chown_tree gives a tree to the build uid without following a symlink. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* Write the tree `dir` to `out` (a .tar.zst, pax with xattrs and ACLs), atomically. */
int snapshot_create(const char *dir, const char *out, char *errbuf, size_t errlen);
/* Empty `dir` and extract `archive` into it with owners, modes, times, xattrs, ACLs. */
int snapshot_restore(const char *archive, const char *dir, char *errbuf, size_t errlen);
/* chown -R that never follows a symlink (nftw FTW_PHYS + lchown: a symlink itself is given,
 * never what it points to) and stays on the tree's file system. 0 or -1 with errno. */
int chown_tree(const char *path, uid_t uid, gid_t gid);
