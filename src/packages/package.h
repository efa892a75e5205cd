/* package: a captured step's package archive (docs/engine.md, "Package archives"):
 * <flat id>-<version>-<hash12>.tar.zst, a pax tar.zst (tree_pack) of the step's upper tree whose
 * first two members are
 *   .LFSBUILD-INFO    "format 1", "step ID", "version V", "hash H" (the step's whole input hash),
 *                     "files-sha256 S" (of the next member), "root PATH" (where the root was; not
 *                     in archives made before 2026-12-05)
 *   .LFSBUILD-FILES   the step's file list (packages/filelist.h): every entry with its type, mode,
 *                     owner, size and a sha256 per file, the deletions, the replaced directories
 * then the upper tree's entries (whiteouts and trusted.overlay.* left out: the list says them). */
#pragma once
#include <stddef.h>

#define PACKAGE_INFO ".LFSBUILD-INFO"
#define PACKAGE_FILES ".LFSBUILD-FILES"

struct package_id {
	const char *step;       /* "ch8/gcc" */
	const char *version;    /* the version built ("14.2.0"; "none" for a step without a source) */
	const char *hash;       /* the step's input hash (64 hex digits) */
	const char *root;       /* packing: the root's path when the step ran ("root PATH" in the info);
	                         * unpacking: a step run on the host, which writes its root's path into
	                         * what it builds (the cross toolchain's sysroot): an archive built with
	                         * another root does not serve it. NULL: not written, any root. */
};

/* "<flat id>-<version>-<first 12 of hash>.tar.zst" (malloc'd; in the version, a character other
 * than a letter, a digit or ._+~ becomes '_'). */
char *package_file_name(const struct package_id *id);

/* Write the package archive of the upper tree `upper` with its file list `list` (the text of
 * WORKDIR/packages/<flat id>.files) to `out`: OUT.part, fsync'd, renamed (tree_pack). 0, or -1
 * with the reason in errbuf. */
int package_pack(const char *upper, const char *list, const struct package_id *id, const char *out, char *errbuf,
                 size_t errlen);

/* Check the package archive open as `fd` (`shown`: its name in messages) while it is extracted
 * into the empty directory `upper` (a capture's upper tree), as root with owners, modes, times,
 * xattrs (file capabilities), ACLs, and libarchive's SECURE_SYMLINKS, SECURE_NODOTDOT,
 * SECURE_NOABSOLUTEPATHS: its info must name `want` (step, version, hash), its list have the
 * sha256 the info says, every entry be in the list with its type, mode, owner, size, link target
 * and (files) sha256, every listed entry be in the archive. Then each deletion of the list becomes
 * a whiteout and each replaced directory opaque (trusted.overlay.opaque), so that the upper tree
 * is what the step left, ready for capture_merge. 0; -1 with what did not match in errbuf
 * ("usr/bin/x: sha256 A in its file list, B in the archive"): `upper` is then to be thrown away;
 * -2 when `want->root` is set and the archive was built with another root (a sound archive, not
 * for this place: errbuf says where it was built; nothing was written). */
int package_unpack(int fd, const char *shown, const struct package_id *want, const char *upper, char *errbuf,
                   size_t errlen);
