/* cli: the subcommand registry and the top-level dispatch. */
#pragma once
#include <stdio.h>
#include "config/config.h"

struct command {
	const char *name;
	const char *summary;    /* one line for `lfsbuild --help` */
	const char *usage;      /* operands after the name, e.g. "[NAME...]" */
	const char *help;       /* paragraphs for `lfsbuild help NAME` */
	/* Runs with the parsed configuration and the operands; returns an exit status. */
	int (*run)(struct config *cfg, int argc, char **argv);
};

/* Look a command up by name; NULL if unknown. */
const struct command *cli_find(const char *name);
/* Print `lfsbuild --help` or `lfsbuild help CMD`. */
void cli_help(const struct command *cmd, FILE *out);
/* Short usage to stderr; returns EXIT_USAGE. */
int cli_usage_error(const struct command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* For commands another issue has not delivered yet: says so on stderr, returns EXIT_USAGE. */
int cli_not_implemented(const char *name);
/* The entry point behind main(). */
int cli_main(int argc, char **argv);
