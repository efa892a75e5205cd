/* manifest: the source manifest (book/sources): every tarball the recipes unpack, its version,
 * and the origins it may come from, each with its own file name and checksums. */
#pragma once
#include <stddef.h>
#include "lib/util.h"

enum origin_kind { ORIGIN_UPSTREAM, ORIGIN_DEBIAN };

struct origin {
	enum origin_kind kind;
	char *version;      /* the version this origin's file holds (Debian may pin another than the book) */
	char *url;          /* upstream: the full URL; debian: the path under a mirror ("pool/main/...") */
	char *file;         /* the file's name as stored in the cache */
	char *sha256;       /* lower-case hex, or NULL */
	char *md5;          /* lower-case hex (the book's), or NULL */
	char *extract;      /* member to take out of the file (a tarball inside a tarball), or NULL */
	char *debian_pkg;   /* debian: source package and version, else NULL */
	char *debian_version;
	int line;           /* where it is written in the manifest */
	char *extract_sha256; /* extract: the member's sha256 (lower-case hex), else NULL */
	char *extract_file; /* extract: the member's name in the cache (its last path part), else NULL */
};

struct source {
	char *name;         /* what recipes name in their `sources` line */
	char *version;      /* the book's version (the upstream origin's) */
	struct origin *origins;
	size_t norigins;
	int line;
};

struct manifest {
	char *path;
	struct source *src;
	size_t n;
};

/* Parse a manifest file. On error prints "FILE:LINE: reason" for each problem and returns -1. */
int manifest_load(const char *path, struct manifest *m);
/* Parse manifest text; `path` names it in messages. Each problem is appended to `errors` as a
 * "PATH:LINE: reason\n" line. Returns 0, or -1 (and `m` empty) when there was any. */
int manifest_parse(const char *path, const char *text, struct manifest *m, struct buf *errors);
/* The manifest of a recipe set: BOOKDIR/sources, as manifest_load(). */
int manifest_load_book(const char *bookdir, struct manifest *m);
/* The source called `name`, or NULL. */
const struct source *manifest_find(const struct manifest *m, const char *name);
void manifest_free(struct manifest *m);
/* The name, in the cache, of the file a recipe unpacks from origin `o`: the extracted member
 * where there is one, else the origin's file. */
const char *origin_unpack_file(const struct origin *o);
/* "upstream" or "debian". */
const char *origin_kind_name(enum origin_kind k);
