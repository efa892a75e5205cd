/* sbom: the software bill of materials of the image, a CycloneDX 1.6 JSON document
 * (docs/sbom.md has the format's choice and the mapping of every field). Facts only from what the
 * work directory and the book hold: the recipe set and its manifest (each step's source, its
 * origins, the Debian package), the stamps (what was built from which file), the step graph (the
 * dependencies), the file lists of --capture on (each step's files, checked against the root),
 * the licence files (book/license.h). The same work directory gives the same bytes: no clock, no
 * random number, no host path in it. */
#pragma once
#include <jansson.h>
#include <stddef.h>

struct recipe_set;
struct manifest;
struct graph;
struct licenses;

#define SBOM_SPEC_VERSION "1.6"

struct sbom_input {
	const char *workdir;
	const struct recipe_set *set;
	const struct manifest *man;
	const struct graph *g;
	const struct licenses *lic;
	const char *sources;        /* the source cache (its stamps name the file of an origin with an MD5
	                             * only); NULL: not looked at */
	const char *root;           /* the root the files are checked against and the kernel's .config
	                             * read from (WORKDIR/root); NULL: none (the lists' values are taken) */
	const char *image;          /* the image's file name, for the root component ("lfs.qcow2") */
	const char *tool_version;   /* lfsbuild's (LFSBUILD_VERSION) */
};

struct sbom_summary {
	size_t steps;               /* components for steps */
	size_t not_built;           /* of them without an `ok` stamp */
	size_t files;               /* file components */
	size_t files_unknown;       /* built steps whose files are not known (no list, or not captured) */
};

/* The document: a new reference, or NULL with the reason in errbuf. `sum` (may be NULL) is filled. */
json_t *sbom_document(const struct sbom_input *in, struct sbom_summary *sum, char *errbuf, size_t errlen);
/* sbom_document written to `path` (compact JSON and a newline; a temporary file beside it, fsync'd,
 * renamed over it). 0, or -1 with the reason in errbuf (nothing is left half-written). */
int sbom_write(const struct sbom_input *in, const char *path, struct sbom_summary *sum, char *errbuf, size_t errlen);
/* The document's time (seconds since the epoch): SOURCE_DATE_EPOCH when it is a number, else the
 * end of the last step an `ok` stamp describes, else the book's release; *why says which. */
long long sbom_epoch(const char *workdir, const struct recipe_set *set, const char **why);
