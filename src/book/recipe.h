/* recipe: the recipe set of book/ (docs/recipes.md): the stages, the toc and one recipe per
 * step, parsed into plain data. Every parse error is reported as "FILE:LINE: reason". */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "lib/util.h"

struct manifest;

/* The book lfsbuild builds: its name and version (`lfsbuild --version`, the SBOM), the address
 * of its pages (chapterNN/PAGE.html) and its release, 2025-03-05 00:00:00 UTC: the time of what
 * has no date of its own (the SOURCE_DATE_EPOCH of a step without a dated source, the image's
 * file systems without SOURCE_DATE_EPOCH). */
#define BOOK_EDITION "12.3-systemd"
#define BOOK_VERSION "LFS " BOOK_EDITION
#define BOOK_URL "https://www.linuxfromscratch.org/lfs/view/12.3-systemd/"
#define BOOK_RELEASE_EPOCH 1741132800LL

enum step_mode { MODE_USER, MODE_HOST_ROOT, MODE_CHROOT };

struct stage {
	char *name;
	int chapter;
	enum step_mode mode;
	struct strv env;        /* NAME=VALUE, $LFS not yet expanded */
	char *prelude;          /* shell run before each step's script ("" if none) */
	struct strv icecream;   /* `icecream CC CXX [NAME...]`: the compilers its steps call, which
	                         * --icecream sends through icecc (docs/engine.md, "A compile farm");
	                         * empty: its steps never go through it. Not in `canon` (not hashed) */
	char *canon;            /* the definition as canonical text (hashed into the steps' stamps) */
	int line;
};

struct dep_ref {
	char *id;
	int line;               /* the `after` line that names it */
};

struct recipe {
	char *id;               /* "ch5/binutils-pass1" */
	char *file;             /* the recipe's path, for messages */
	char *home;             /* the directory whose files/ its `files` names: the book's, or its
	                         * layer's (docs/layers.md) */
	char *title;
	size_t stage;           /* index into recipe_set.stages */
	enum step_mode mode;    /* the stage's, or the recipe's `mode` */
	double sbu;             /* the book's estimate; 0.1 when not given */
	double sbu_here;        /* measured on the reference machine without test suites (DIR/timings,
	                         * docs/recipes.md); 0: none */
	unsigned long long disk;  /* the book's "required disk space" in bytes; 0 when not given */
	int disk_line;
	bool exclusive;
	bool no_capture;        /* `capture no`: runs writing the root directly, even with --capture on
	                         * (a step that touches most of the tree); not part of the stamp's hash */
	bool no_icecream;       /* `icecream no: WHY`: with --icecream, built locally all the same */
	char *icecream_why;     /* the WHY of that line ("" without one), NULL without the line */
	bool critical_tests;    /* `critical-tests yes`: with --tests, a failing %test fails the step */
	bool sbu_reference;     /* `sbu-reference yes`: its wall time is the SBU (one step of a book) */
	int sbu_reference_line;
	struct strv sources;    /* names in book/sources; the first is the package */
	int sources_line;
	struct dep_ref *after;
	size_t nafter;
	struct strv files;      /* names under book/files/ copied into the build directory */
	int files_line;
	long known_count;       /* `known-failures`: the book's count of expected test failures, -1: none */
	char *known_failures;   /* its text after the count (NULL without the line) */
	int known_line;
	char *build, *test, *install;   /* section bodies; test and install NULL when absent */
	int build_line, test_line, install_line;  /* the lines of "%build", "%test", "%install" */
	char *text;             /* the whole file */
	char *hashed;           /* what the stamp hashes: the file without its `disk` and
	                         * `known-failures` lines (they change nothing the step does:
	                         * changing them reruns nothing) */
	int toc_line;
};

/* A layer (docs/layers.md): a directory of recipes added after the book, its steps ids NAME/PAGE. */
struct layer {
	char *name;             /* the directory's name: the prefix of its step ids */
	char *dir;              /* absolute */
	char *checks;           /* DIR/checks (a check list for `lfsbuild test`), or NULL */
};

struct recipe_set {
	char *dir;              /* the book directory (absolute) */
	struct stage *stages;
	size_t nstages;
	struct recipe *steps;   /* in book (toc) order */
	size_t nsteps;
	struct strv missing;    /* toc lines without a recipe yet */
	struct layer *layers;   /* book/layer.h adds them; their steps follow the book's */
	size_t nlayers;
};

/* Load DIR/stages, DIR/toc, every DIR/ch* / *.recipe and DIR/timings if there is one. Prints each problem as
 * "FILE:LINE: reason" on stderr; returns 0, or -1 if there was any. */
int recipe_set_load(const char *dir, struct recipe_set *set);
/* Parse one recipe's text (for tests and the loader); problems are appended to `errors`. */
int recipe_parse(const struct recipe_set *set, const char *file, const char *id, const char *text,
                 struct recipe *r, struct buf *errors);
/* recipe_parse for a recipe whose `files` are under HOME/files/; a HOME other than the book's
 * is a layer's: its `stage` must be `layer` and its `after` may name layer steps (NAME/PAGE). */
int recipe_parse_in(const struct recipe_set *set, const char *home, const char *file, const char *id,
                    const char *text, struct recipe *r, struct buf *errors);
/* A book step id chN/PAGE, or with `layer_ids` also a layer's NAME/PAGE. */
bool recipe_valid_id(const char *id, bool layer_ids);
/* Iterate over the entries of a list file (toc, timings): the next trimmed line that is neither
 * blank nor a '#' comment, NUL-terminated in place, or NULL; *lineno follows the lines read. */
char *recipe_next_entry(char **cursor, int *lineno);
/* The canonical text of a stage (hashed into its steps' stamps). */
char *recipe_stage_canon(const struct stage *st);
/* Check that every `sources` name exists in the manifest; prints FILE:LINE problems, -1 if any. */
int recipe_set_check_sources(const struct recipe_set *set, const struct manifest *m);
/* A size as a recipe's `disk` line writes it: a positive number and a unit, M or G (MiB, GiB;
 * "MB", "MiB", "GB", "GiB" and a blank before the unit are accepted: the book writes "650 MB").
 * 0 and the bytes in *out, or -1. */
int recipe_parse_size(const char *s, unsigned long long *out);
/* The SBU the ETA expects for a step: the measured figure of DIR/timings when there is one
 * (with test suites on and a %test section: the larger of it and the book's, whose chapter 8
 * figures include the tests), else the book's. */
double recipe_expected_sbu(const struct recipe *r, bool tests);
/* Index of the step `id`, or -1. */
int recipe_set_find(const struct recipe_set *set, const char *id);
/* Index of the stage called `name`, or -1. */
int recipe_set_stage(const struct recipe_set *set, const char *name);
void recipe_set_free(struct recipe_set *set);
void recipe_free(struct recipe *r);
/* "user", "host-root", "chroot". */
const char *step_mode_name(enum step_mode m);
/* The step id as a file name: '/' becomes '_' ("ch5_binutils-pass1"); malloc'd. */
char *step_flat_id(const char *id);
/* What every command that runs or shows steps does: load the set, the manifest DIR/sources
 * (if it exists; `m` is left empty otherwise) and check the recipes' sources against it, warn
 * about toc lines without a recipe yet. Returns 0 or -1 after the messages. */
int recipe_set_open(const char *dir, struct recipe_set *set, struct manifest *m);
