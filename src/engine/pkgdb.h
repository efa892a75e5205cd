/* pkgdb: the file lists of the captured steps (docs/engine.md, "Capture"), read together in the
 * order of their merges, with an index of the paths they name: who wrote a path last, what the
 * root's regular files weigh per step (`lfsbuild du`), what `lfsbuild remove` may take out.
 *
 * The order of the merges is the order of the lists' modification times (ties: book order): a
 * list is written (renamed into place) just before its step's merge, and lfsbuild merges one
 * step at a time, so a later list is a later merge. Each list is found through
 * capture_list_path(), for the steps of the book and its layers. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct recipe_set;

/* One line of a file list. */
struct pkg_entry {
	char what;              /* 'n' new, 'c' changed, 'r' replaced (an opaque directory), 'd' deleted */
	char type;              /* f d l c b p s; '-' for a deletion */
	unsigned mode, uid, gid;
	unsigned long long size;
	char sha256[65];        /* "-" but for files */
	char *target;           /* a symlink's target, else "-" */
	char *path;             /* relative to the root, unescaped */
};

struct pkg_list {
	char *id;               /* the step */
	char *file;             /* its file list (capture_list_path) */
	double mtime;           /* the list's modification time: the order of the merges */
	size_t book_index;      /* the step's index in the recipe set */
	bool captured;          /* false: "not captured (capture no)", no entries */
	char *result;           /* the step's stamp's result ("ok", "removed", ...), NULL: no stamp */
	double stamp_start;     /* when the stamp's run started */
	bool stale;             /* no stamp, or its last successful build started after the list was
	                         * written (that build ran without capture): the list is not the root's */
	bool removed;           /* the stamp says removed or removing (lfsbuild remove) */
	struct pkg_entry *e;
	size_t n;
};

/* A name of a path in a list: list index, entry index; `next` the same path in an earlier list. */
struct pkg_ref {
	uint32_t list, entry;
	int32_t next;           /* -1: none */
};

struct pkgdb {
	struct pkg_list *lists; /* in the order of their merges */
	size_t n;
	struct pkg_ref *refs;
	size_t nrefs, refcap;
	int32_t *slots;         /* hash index: a path's latest ref, -1 empty */
	size_t nslots;
};

/* Read the file list of every step of `set` that has one (WORKDIR/packages, through
 * capture_list_path), with its stamp. 0, or -1 with the reason in errbuf (a list that cannot be
 * read or has a bad line: "FILE:LINE: ..."). */
int pkgdb_load(struct pkgdb *db, const char *workdir, const struct recipe_set *set, char *errbuf, size_t errlen);
void pkgdb_free(struct pkgdb *db);
/* Does list i describe what its step left in the root: captured, not stale, not removed? */
bool pkgdb_counts(const struct pkgdb *db, size_t i);
/* The index of step `id`'s list, or -1. */
ssize_t pkgdb_find_list(const struct pkgdb *db, const char *id);
/* The latest ref naming `path` (follow ->next to earlier lists), or -1. */
int32_t pkgdb_first(const struct pkgdb *db, const char *path);
/* The entry of a ref. */
const struct pkg_entry *pkgdb_entry(const struct pkgdb *db, int32_t ref);

/* The root's regular files by the step that wrote each last (`lfsbuild du`). */
struct pkg_usage {
	unsigned long long *bytes, *files;  /* per list (db order) */
	unsigned long long other_bytes, other_files;   /* written by no captured step (as it is) */
	unsigned long long total_bytes, total_files;
};
/* Walk `root` (lstat, no link followed, each inode once: hard links count for the first name in
 * sorted order) and give each regular file to the list that counts (pkgdb_counts) and names its
 * path last, if that list says a regular file there and no later one deleted it; else to
 * `other`. 0, or -1 with the reason in errbuf. */
int pkgdb_usage(const struct pkgdb *db, const char *root, struct pkg_usage *u, char *errbuf, size_t errlen);
void pkg_usage_free(struct pkg_usage *u);
