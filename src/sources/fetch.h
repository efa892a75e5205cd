/* fetch: bring sources into the cache and verify them. Providers in order: the cache, local
 * directories, URL mirrors, then each origin of the manifest in the order written (upstream's
 * URL; the Debian source archive under every mirror URI of the host's apt configuration). */
#pragma once
#include <stdbool.h>
#include "config/config.h"
#include "book/manifest.h"

/* For the runner: the path of the verified cached file of `src` that a recipe unpacks
 * (after any `extract`), and the checksum that identifies it (for stamps). Both malloc'd.
 * Returns 0, or -1 after saying what is missing and that `lfsbuild fetch NAME` gets it. */
int fetch_resolve(const struct config *cfg, const struct source *src, char **path, char **sha256);

enum provider { PROV_CACHE, PROV_MIRROR_DIR, PROV_MIRROR, PROV_UPSTREAM, PROV_DEBIAN };
/* "cache", "mirror-dir", "mirror", "upstream", "debian". */
const char *provider_name(enum provider p);

/* Where files may come from. */
struct fetch_places {
	const char *cache;              /* the cache directory */
	const struct strv *mirror_dirs; /* --mirror-dir */
	const struct strv *mirrors;     /* --mirror, LFSBUILD_MIRRORS */
	const struct strv *apt_uris;    /* the host's apt mirror URIs */
};

/* One place to get one origin's file from. */
struct attempt {
	enum provider kind;
	const struct origin *origin;    /* whose file name and checksums */
	char *where;                    /* cache, mirror-dir: a path; otherwise a URL */
};

struct plan {
	struct attempt *a;
	size_t n;
};

/* Every place tried for `src`, in order (a pure function of its arguments): the cache (each
 * origin's file), each --mirror-dir (DIR/FILE for each origin), each --mirror (URL/FILE), then
 * each origin as written (upstream: its URL; debian: MIRROR/pool/main/... for each apt URI).
 * A place named twice is tried once. */
void fetch_plan(const struct fetch_places *pl, const struct source *src, struct plan *out);
void fetch_plan_free(struct plan *p);

/* Fill `pl` from the configuration; `apt` receives the apt URIs (from the root in
 * LFSBUILD_APT_ROOT, else the host's). */
void fetch_places_init(const struct config *cfg, struct fetch_places *pl, struct strv *apt);

/* What the cache holds for `src` without reading any file: the origin whose file is there (or
 * the first that would be fetched), whether it is there and verified (a matching stamp), and
 * the provider it would come from. `where` (malloc'd, may be NULL) names the place. */
struct source_state {
	const struct origin *origin;
	const char *file;               /* the file a recipe unpacks */
	enum provider from;
	bool cached, verified;
	char *where;
};
void fetch_source_state(const struct fetch_places *pl, const struct source *src, struct source_state *st);

/* Download `url` (http, https, ftp, file) into the open file `fd` with the limits of `lfsbuild
 * fetch` (LFSBUILD_FETCH_TIMEOUT to connect, LFSBUILD_FETCH_STALL without progress). 0; 1 when it
 * is not there (HTTP 404 or 410, no such file); -1 another failure, -2 the host did not answer
 * (the reason in `why` for both). For the binary cache's --cache-url (packages/bincache.c). */
int fetch_url(const char *url, int fd, struct buf *why);

/* `lfsbuild fetch` over the `n` sources of `list`: up to 4 at once, with progress, a line per
 * failed provider and a summary. Honours cfg->verify, dry_run, quiet, verbose. Returns 0 when
 * every source is cached and verified, 1 otherwise. */
int fetch_run(const struct config *cfg, const struct source *const *list, size_t n);
