/* snapshot: the root tree ($LFS) as a whole. Its snapshots at stage boundaries (--snapshots,
 * `lfsbuild restore`): a tar.zst that keeps owners, modes, devices, xattrs and ACLs. And its
 * ownership: chown_tree gives a tree to the build uid without following a symlink. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* Write the tree `dir` to `out` (a .tar.zst, pax with xattrs and ACLs; entries "./usr/..."),
 * atomically: tree_pack of packages/tree.h, the packer of the package archives too. The tree was
 * made by the steps: libarchive's disk reader is physical (a symlink is archived as a symlink,
 * never descended), and each file's data is read by lfsbuild through file_open_beneath (no
 * symlink followed on the way, only the inode the reader described). */
int snapshot_create(const char *dir, const char *out, char *errbuf, size_t errlen);
/* Where the root was when `archive` was taken (malloc'd; NULL for a snapshot without that record:
 * one taken before lfsbuild wrote it). snapshot_create keeps it beside the archive, in
 * ARCHIVE.origin ("root PATH"): a snapshot of the stages run on the host holds the root's path
 * (the cross toolchain's sysroot is $LFS), so it builds on only at the same place. */
char *snapshot_origin(const char *archive);
/* Empty `dir` and extract `archive` into it with owners, modes, times, xattrs, ACLs; with
 * libarchive's SECURE_SYMLINKS, SECURE_NODOTDOT and SECURE_NOABSOLUTEPATHS (unpack_archive): no
 * entry is written through a symlink, above `dir` or at an absolute path. */
int snapshot_restore(const char *archive, const char *dir, char *errbuf, size_t errlen);
/* chown -R that never follows a symlink: each directory opened with O_NOFOLLOW relative to its
 * parent's fd (so a directory replaced by a symlink meanwhile fails, ELOOP), everything else given
 * with fchownat(AT_SYMLINK_NOFOLLOW) (a symlink itself is given, never what it points to); stays
 * on the tree's file system. 0 or -1 with errno. */
int chown_tree(const char *path, uid_t uid, gid_t gid);
