/* remove: a captured step's files taken out of the root (`lfsbuild remove STEP`; docs/engine.md,
 * "Removing a step"). As root, on a tree steps made: every path is reached below an fd of the
 * root, component by component with O_NOFOLLOW, so a symlink planted where a directory was is
 * never followed. A file is removed only when no later step's list names it and it still is what
 * the step's list says (type, sha256, link target); a directory only when the step made it, no
 * other list names it and it ends up empty. The stamp says `removing` first and `removed` at the
 * end; each removal is checked again before it is made, so doing it all again after a SIGKILL
 * is harmless: `lfsbuild remove STEP` or the next build completes it. */
#pragma once
#include <stdbool.h>
#include <stdio.h>

struct recipe_set;

/* Remove step `id`'s files from `root` (WORKDIR/root), say what was removed and what was kept
 * and why on `out` (the full list in WORKDIR/logs/remove/<id>.log), and mark its stamp removed.
 * The caller holds state/lock. `dry_run`: say it, change nothing. 0 when done; 1 when refused
 * (said on stderr: no file list, a step not captured, a list older than the step's last build,
 * no stamp or a build of it that did not succeed; nothing changed); -1 on an error (said). */
int remove_step(const char *workdir, const char *root, const struct recipe_set *set, const char *id, bool dry_run,
                FILE *out);
/* At the start of a build (under its lock, after capture_recover): every step whose stamp says
 * `removing` (a removal a SIGKILL interrupted) is removed to the end. The number completed, or
 * -1 (said). */
int remove_recover(const char *workdir, const char *root, const struct recipe_set *set, FILE *out);
