/* phases: a step's wall and CPU time per phase, from the marks its script wrote (docs/watching.md,
 * "Phases"). Each mark is the line "lfsbuild-phase NAME EPOCH" and the two lines of bash's
 * `times` (the shell's user and system time, then its ended children's). */
#pragma once
#include <stddef.h>
#include "state/state.h"

/* The marks in `text` (len bytes, written by the step: anything may be there) into the section
 * phases of ph (build, test, install; unpack is left as it is). The step's command ran from the
 * epoch `start` for `wall` seconds and used `cpu` seconds (its rusage): a phase lasts from its
 * mark to the next one, the last to the end, so that the phases add up to the step's wall and
 * CPU; what ran before the first mark (the sandbox's set-up, the prelude) counts in it. Marks
 * out of order, repeated, unknown, or whose figures go backwards: no section phase at all. */
void phases_from_marks(const char *text, size_t len, double start, double wall, double cpu, struct phases *ph);
