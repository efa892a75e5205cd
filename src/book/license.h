/* license: what the sources say of their licences (docs/sbom.md, "Licences"). BOOKDIR/licenses
 * and a layer's DIR/licenses: one line per source, `NAME EXPRESSION  # where the source says it`,
 * EXPRESSION an SPDX licence expression (`GPL-3.0-or-later`, `Zlib`, `Artistic-1.0-Perl OR
 * GPL-1.0-or-later`). Only what the source's own files state: a source without a line has no
 * licence in the SBOM, never a guessed one. Every problem is "FILE:LINE: reason". */
#pragma once
#include <stddef.h>

struct recipe_set;
struct manifest;
struct buf;

struct license_entry {
	char *source;           /* a name of the manifest */
	char *expression;       /* its words joined by one blank */
};

struct licenses {
	struct license_entry *v;
	size_t n;
};

/* The set's licence files (the book's, then each layer's; a missing file is no error), each NAME
 * checked against the manifest `m`. Problems on stderr as FILE:LINE: reason; 0 or -1 (l empty). */
int licenses_load(const struct recipe_set *set, const struct manifest *m, struct licenses *l);
/* Parse one licence file's text (`path` names it in the messages); entries appended to `l`,
 * problems to `errors`. For tests and licenses_load. */
void licenses_parse(const char *path, const char *text, const struct manifest *m, struct licenses *l,
                    struct buf *errors);
/* The expression for source `name`, or NULL. */
const char *licenses_find(const struct licenses *l, const char *name);
void licenses_free(struct licenses *l);
