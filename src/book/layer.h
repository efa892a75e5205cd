/* layer: more recipe directories after the book (docs/layers.md). A layer DIR holds its own
 * `toc` (step ids NAME/PAGE, NAME the directory's name), NAME/PAGE's recipe in DIR/PAGE.recipe,
 * an optional `sources` manifest, `files/` and `checks`. Its steps go in the stage `layer`,
 * which lfsbuild appends after the book's last stage, with the mode, environment and prelude of
 * the book's `system` stage (or of its last stage when it has none): adding a layer changes no
 * book step's inputs. Every problem is "FILE:LINE: reason". */
#pragma once
#include "book/manifest.h"
#include "book/recipe.h"
#include "lib/util.h"

/* The name of the stage lfsbuild defines for the layers' steps. */
#define LAYER_STAGE "layer"

/* What every command that runs or shows steps does: recipe_set_open() for the book, then each
 * layer of `layers` (absolute directories, in order) added to the set and its sources to `m`.
 * 0, or -1 after the messages (set and m freed). */
int book_open(const char *bookdir, const struct strv *layers, struct recipe_set *set, struct manifest *m);
/* Add the layer in DIR: its steps to `set`, its sources to `m`; problems appended to `errors`.
 * After the last one, layers_check() checks what the layers' recipes name. */
int layer_add(struct recipe_set *set, struct manifest *m, const char *dir, struct buf *errors);
/* The `after` and `sources` names of the layers' recipes: each must exist. */
int layers_check(const struct recipe_set *set, const struct manifest *m, struct buf *errors);
/* The layers' kernel configuration fragments (DIR/files/kernel/NAME.config, docs/layers.md) for a
 * book recipe's `files` entry `name` that is a fragment (kernel/NAME.config): the book's file, then
 * each layer's fragments (layer order, names sorted), each after a comment naming it; malloc'd.
 * NULL when there is nothing to add (a layer's recipe, another file, no layer fragment): the
 * file is then used as it is, and its hash in the step's stamp stays the same. */
char *layer_kernel_fragment(const struct recipe_set *set, const struct recipe *r, const char *name);
/* The book's manifest (BOOKDIR/sources) and each layer's DIR/sources (if any), merged: for
 * `sources` and `fetch`, which need no recipe. 0, or -1 after the messages. */
int manifest_load_layers(const char *bookdir, const struct strv *layers, struct manifest *m);
