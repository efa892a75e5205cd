/* apt: the archive URIs that the host's apt configuration names (read only, never changed). */
#pragma once
#include "lib/util.h"

/* Append to `uris` (without a trailing '/', each once, in the order apt reads them) the URIs
 * of the enabled `deb`/`deb-src` entries of ROOT/etc/apt/sources.list,
 * ROOT/etc/apt/sources.list.d/\*.list and the deb822 ROOT/etc/apt/sources.list.d/\*.sources.
 * `root` is "" or NULL for the host. Only http, https, ftp and file URIs are taken.
 * Returns the number of URIs added. */
int apt_mirror_uris(const char *root, struct strv *uris);
/* Parse one one-line-style sources.list text (exposed for tests). */
void apt_parse_list(const char *text, struct strv *uris);
/* Parse one deb822 .sources text (exposed for tests). */
void apt_parse_deb822(const char *text, struct strv *uris);
