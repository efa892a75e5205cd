/* sysopts: the settings of the new system on the way in (build, all): the kept ones
 * (state/settings.h) fill what the options do not give, and every value is checked
 * (book/sysconfig.h) before anything starts. */
#pragma once
#include "config/config.h"

/* Take the kept settings for those not given, then check them all: 0, or EXIT_USAGE after
 * saying on stderr which option is wrong and why (and whether its value was the kept one). */
int sysopts_prepare(struct config *cfg);
/* For `all`, before its first phase: keep the settings now (state/settings.h), so that running
 * it again after any phase failed keeps them, unless a build holds state/lock (its own build
 * phase will then say so). Notes on stderr. */
void sysopts_keep(const struct config *cfg);
