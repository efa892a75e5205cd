/* config: every option of lfsbuild in one table, fed by defaults, the config file
 * (WORKDIR/lfsbuild.conf), LFSBUILD_* environment variables and the command line. */
#pragma once
#include <stdbool.h>
#include <stdio.h>
#include "lib/util.h"

/* Exit statuses of lfsbuild (config_init and config_finish exit with EXIT_USAGE on a bad value). */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct config {
	/* global */
	char *workdir;          /* -C DIR, LFSBUILD_DIR; absolute; default ./lfs-work */
	char *sources;          /* --sources DIR, LFSBUILD_SOURCES; default WORKDIR/sources */
	char *bookdir;          /* --book DIR, LFSBUILD_BOOK; default: book/ beside the program */
	int jobs;               /* -j N, LFSBUILD_JOBS; default: online CPUs */
	int verbose;            /* -v, repeatable */
	bool quiet;             /* -q */
	bool no_color;          /* --no-color, NO_COLOR */
	bool color;             /* resolved: stdout/stderr a terminal, no NO_COLOR, no --no-color */
	struct strv layers;     /* --layer DIR, repeatable (`layer = DIR` lines); made absolute and, when
	                         * none is given, taken from WORKDIR/state/settings (settings_layers) */
	bool no_layers;         /* --no-layers: not the kept ones (only those --layer gives) */
	/* fetch, all */
	struct strv mirror_dirs;/* --mirror-dir DIR, repeatable */
	struct strv mirrors;    /* --mirror URL, repeatable; LFSBUILD_MIRRORS (blank-separated) */
	bool dry_run;           /* --dry-run (fetch; remove: change nothing) */
	bool verify;            /* --verify */
	/* graph */
	bool dot;               /* --dot */
	/* build, all */
	bool sequential;        /* --sequential */
	bool keep_going;        /* -k, --keep-going */
	char *explain;          /* --explain STEP */
	char *from;             /* --from STEP */
	char *until;            /* --until STEP|STAGE|chN */
	char *only;             /* --only STEP */
	bool snapshots;         /* --snapshots */
	bool tests;             /* --tests: run the packages' test suites */
	char *build_tmpfs;      /* --build-tmpfs on|off|auto: build directories on a tmpfs (NULL: auto) */
	char *capture;          /* --capture on|off: each step's writes captured and merged (NULL: off) */
	char *cache;            /* --cache DIR: the binary cache (absolute; NULL: WORKDIR/packages) */
	char *cache_url;        /* --cache-url URL: a read-only binary cache over HTTP(S), or NULL */
	char *icecream;         /* --icecream[=SCHEDULER|SOCKET|on|off]: compile through icecc (NULL, "off": not) */
	int overcommit;         /* --overcommit N: up to N steps beyond the job slots while cores idle (0: off) */
	int icecream_jobs;      /* --icecream-jobs N: make -jN of a step that goes through icecc (0: 4 x -j) */
	bool keep;              /* --keep: keep build directories of successful steps */
	char *root_password;    /* --root-password PW (also in the config file) */
	/* Settings of the new system (book/sysconfig.h). NULL: not given here (config_finish sets no
	 * default: state/settings.h fills them from WORKDIR/state/settings, then the defaults). */
	char *hostname;         /* --hostname NAME */
	char *locales;          /* --locales "C.UTF-8 en_US.UTF-8" */
	char *timezone;         /* --timezone ZONE */
	char *keymap;           /* --keymap MAP */
	char *lang;             /* --lang LANG */
	char *kernel_config;    /* --kernel-config FILE */
	/* log */
	bool follow;            /* -f, --follow */
	/* image */
	char *image_root;       /* --root DIR, default WORKDIR/root */
	char *output;           /* -o FILE, default WORKDIR/lfs.qcow2 */
	char *size;             /* --size SIZE, default 50G */
	/* sbom */
	char *sbom_output;      /* -o FILE; NULL: beside the image (cli_sbom_path), WORKDIR/lfs.cdx.json */
	/* boot, test */
	bool net;               /* --net */
	bool gui;               /* --gui */
	char *memory;           /* --memory SIZE, default 2G */
	int cpus;               /* --cpus N, default 2 */
	char *cpu;              /* --cpu MODEL (boot, test), default qemu64 (QEMU_CPU_DEFAULT) */
	int timeout;            /* --timeout SECONDS (test), default 600 */
	char *checks;           /* --checks FILE (test), default BOOK/files/boot-test.checks */
	/* clean */
	bool all;               /* --all (clean: also the root, the state, the snapshots and the image) */
	bool with_sources;      /* --with-sources (clean --all: also the source cache) */
	/* shell */
	char *shell_command;    /* -c COMMAND: run it instead of an interactive shell */
	/* du */
	bool du_bytes;          /* --bytes: sizes in bytes, tab-separated, for scripts */
};

/* Why config_parse failed: the message (without "lfsbuild: "), and whether it is a usage error
 * (an unknown option, a missing argument: the caller adds the command's usage) or a bad value
 * ("command line: --jobs wants a positive number, not 'x'": the message alone). */
struct config_error {
	char msg[512];
	bool usage;
};

/* Parse the options valid for the command named `cmd` (NULL: the global ones only, stopping at
 * the first operand, the command's name), on top of config_init's defaults and environment.
 * Returns the index of the first operand, or -1 with the reason in *err (nothing printed). */
int config_parse(struct config *cfg, const char *cmd, int argc, char **argv, struct config_error *err);
/* Set the defaults that depend on others (sources from workdir, ...) and read the config file. */
void config_finish(struct config *cfg);
/* Was the option of long name `lng` given on the command line (not by the environment, the
 * config file or a default)? */
bool config_on_command_line(const char *lng);
/* The value of the string option of long name `lng` (NULL: not set, or no such string option). */
const char *config_string(const struct config *cfg, const char *lng);
/* Print the options that apply to the command named `cmd` (NULL: the global ones) in --help form. */
void config_print_options(const char *cmd, FILE *out);
void config_init(struct config *cfg);
/* Free what the configuration holds. */
void config_free(struct config *cfg);
/* The canonical paths under the work directory (malloc'd). */
char *config_path(const struct config *cfg, const char *sub);
