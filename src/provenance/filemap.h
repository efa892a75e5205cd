/* filemap: which step's files are in the root, from the file lists of a build with --capture on
 * (WORKDIR/packages/<flat id>.files, docs/engine.md "Capture"; read by engine/pkgdb, which finds
 * them through capture_list_path() and orders them as they were merged). The lists that describe
 * the root (pkgdb_counts: captured, not stale, not removed) are replayed in that order: a file
 * belongs to the last step that created or changed it, and is gone when a later list deletes it,
 * replaces a directory above it or puts something else at its place. Then each file is looked at in the root, when
 * there is one: a step without capture (`capture no`: ch8/stripping) may have changed or removed
 * it since, and the SBOM describes the image, not the lists. docs/sbom.md, "Files". */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct recipe_set;

/* A regular file or a symlink a step left in the root. */
struct owned_file {
	char *path;             /* relative to the root ("usr/bin/ld"), unescaped */
	char type;              /* 'f' or 'l' */
	unsigned mode, uid, gid;
	unsigned long long size;
	char sha256[65];        /* 'f': of its content ("" for a link) */
	char *target;           /* 'l': the link's target, else NULL */
	char listed_sha256[65]; /* when the root's content differs from the list's: the list's, else "" */
};

enum files_known {
	FILES_NO_LIST,          /* no file list: built without --capture on, or not built */
	FILES_NOT_CAPTURED,     /* its list says "not captured" (`capture no`) */
	FILES_STALE,            /* its list is older than its last build (built again without capture) */
	FILES_REMOVED,          /* taken out of the root (`lfsbuild remove`) */
	FILES_LISTED,           /* from its list */
};

struct step_files {
	enum files_known known;
	struct owned_file *v;   /* sorted by path */
	size_t n;
	size_t gone;            /* listed, but removed since (by a later list, or not in the root) */
	size_t changed;         /* different in the root from its list (checked against the root only) */
};

/* The files of every step of `set` (out[i] for set->steps[i]) from the lists under WORKDIR, then
 * checked against `root` (NULL: not checked; the lists' values are taken). Every path in the root
 * is opened below the root's fd component by component without following a link. 0, or -1 with
 * the reason in errbuf (a list that cannot be read or parsed: FILE:LINE; a file of the root that
 * cannot be read). */
int filemap_build(const char *workdir, const struct recipe_set *set, const char *root, struct step_files *out,
                  char *errbuf, size_t errlen);
void filemap_free(struct step_files *f, size_t n);
