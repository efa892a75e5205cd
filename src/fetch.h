/* fetch: bring sources into the cache and verify them. Providers in order: the cache, local
 * directories, URL mirrors, upstream, the Debian source archive. */
#pragma once
#include <stdbool.h>
#include "config.h"
#include "manifest.h"

/* For the runner: the path of the verified cached file of `src` that a recipe unpacks
 * (after any `extract`), and the checksum that identifies it (for stamps). Both malloc'd.
 * Returns 0, or -1 after saying what is missing and that `lfsbuild fetch NAME` gets it. */
int fetch_resolve(const struct config *cfg, const struct source *src, char **path, char **sha256);
