/* bincache: the binary cache (docs/engine.md, "The binary cache"). A captured step whose package
 * archive (packages/package.h) for its exact input hash is found is unpacked instead of built.
 * The places, in order: the work directory's own packages/, the cache directory (--cache DIR,
 * default that same packages/; several work directories and lfsbuild processes may share it),
 * then --cache-url URL (read-only: URL/NAME over HTTP(S) with libcurl, through sources/fetch; what
 * is downloaded is kept in the cache directory). Archives are only ever added whole (written
 * beside their name and renamed or linked into place), so a reader never sees half of one. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "lib/util.h"

struct package_id;

struct bincache {
	const char *own;        /* WORKDIR/packages */
	const char *dir;        /* --cache DIR (may be `own`) */
	const char *url;        /* --cache-url URL, or NULL */
	bool url_dead;          /* its host did not answer: not asked again in this build */
};

/* Find the archive of `id` and unpack it into the empty capture directory `upper`
 * (package_unpack). An archive that fails its check is moved to PLACE/bad/ and the next place is
 * tried; each such failure, and a download that failed other than by a 404, is a line in `notes`
 * (what failed, the file, what did not match, where it went). 1 when unpacked (*used: the
 * archive's path, malloc'd; a download's copy in the cache directory), 0 when no place had a good one (upper is then empty again).
 * *url_dead is set when the URL's host did not answer. */
int bincache_restore(const struct bincache *c, const struct package_id *id, const char *upper, char **used,
                     struct strv *notes, bool *url_dead);

/* Put the complete archive `path` into `dir` under its name, unless it is there already: a hard
 * link, else a copy written as NAME.PID.part, fsync'd and renamed. 0, or -1 with errbuf. */
int bincache_store(const char *dir, const char *path, char *errbuf, size_t errlen);

/* Remove what killed writers left in `dir`: NAME.part (tree_pack: only under the work directory's
 * lock, `all_parts`) and NAME.PID.part of a process that no longer exists. */
void bincache_sweep(const char *dir, bool all_parts);
