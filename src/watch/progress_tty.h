/* progress_tty: the build's progress on a terminal. The log lines (start, done, FAIL, skip,
 * notes) scroll as plain lines do, and a status area of a few lines stays at the bottom: steps
 * done/total, failures, elapsed time and ETA, and each running step with its elapsed time. The
 * area is redrawn in place (one write per frame), cut to the terminal's width, and erased when
 * no step runs and at exit. */
#pragma once
#include <stdio.h>
#include "config/config.h"
#include "watch/progress.h"

/* The TTY display on `out` (a terminal); colours unless cfg->no_color. It knows the build from
 * its events alone (the plan gives the steps' stages and SBU figures) and reads no file of it but
 * state/sbu (cfg->workdir), the SBU measured here until the plan says. */
void progress_tty_init(struct progress *p, FILE *out, const struct config *cfg);
/* The TTY display when `out` is a terminal (TERM not "dumb", not -q), else plain lines. */
void progress_auto_init(struct progress *p, FILE *out, const struct config *cfg);
/* Erase the status area and free the display's state (plain: nothing). Also done at exit. */
void progress_end(struct progress *p);
