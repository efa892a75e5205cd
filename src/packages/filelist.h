/* filelist: the file list of a captured step (docs/engine.md, "Capture"), WORKDIR/packages/<flat
 * id>.files and the first members of its package archive: a header line ("# ..."), then one line
 * per entry of the step's upper tree, tab-separated:
 *   what type mode uid gid size sha256 target path
 * what: new, changed, replaced (an opaque directory), deleted; type: f d l c b p s (- deleted);
 * `\`, newline and tab of target and path written \\, \n, \t. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "lib/util.h"

/* Escape `\`, newline, tab as \\, \n, \t onto b. */
void filelist_escape(struct buf *b, const char *s);
/* Undo filelist_escape in place. */
void filelist_unescape(char *s);

/* One line of a list, its fields pointing into the line (split in place). */
struct filelist_entry {
	const char *what;       /* "new", "changed", "replaced", "deleted" */
	char type;              /* 'f' 'd' 'l' 'c' 'b' 'p' 's', '-' for a deletion */
	unsigned mode;          /* permission bits (07777) */
	unsigned long uid, gid;
	unsigned long long size;
	const char *sha256;     /* regular files: 64 hex digits; else "-" */
	const char *target;     /* symlinks: the target (unescaped); else "-" */
	const char *path;       /* relative to the root (unescaped) */
	bool seen;              /* for a reader that checks the entries off (package_unpack) */
};

/* Split one line (no newline) into `e`, in place. false when it is no entry line (a comment, a
 * line without its 9 fields, a field that is not a number where one belongs). */
bool filelist_parse_line(char *line, struct filelist_entry *e);

/* The entries of a list's text (split in place, kept by `text`), sorted by path. */
struct filelist {
	struct filelist_entry *v;
	size_t n;
};
/* 0, or -1 when a line is neither a comment nor an entry, or a path comes twice (`why` says
 * which: "line N: ..."). */
int filelist_parse(char *text, struct filelist *fl, struct buf *why);
/* The entry for `path`, or NULL. */
struct filelist_entry *filelist_find(const struct filelist *fl, const char *path);
void filelist_free(struct filelist *fl);
