/* commands: one `struct command` per subcommand, each defined in its own cmd_NAME.c. */
#pragma once
#include "cli/cli.h"

extern const struct command cmd_check_host, cmd_sources, cmd_fetch, cmd_graph, cmd_build,
	cmd_status, cmd_log, cmd_report, cmd_restore, cmd_image, cmd_boot, cmd_test, cmd_all,
	cmd_clean, cmd_shell, cmd_files, cmd_owner, cmd_du, cmd_remove, cmd_repro, cmd_sbom;

/* For a command that reads the work directory's root (image, sbom): the state lock, so that no
 * build or shell changes the root meanwhile. Its fd (close it when done), -1 when none is needed
 * (`root` is not the work directory's, or no build ever ran there), or -2 after saying who holds
 * it (`what`: what the command would do, "image its root"). */
int cli_lock_root(const struct config *cfg, const char *root, const char *what);
/* Where `image` writes the SBOM of IMAGE: IMAGE without .qcow2, with .cdx.json (malloc'd). */
char *cli_sbom_path(const char *image);
/* Write the SBOM of the work directory to `path` (provenance/sbom.h: the book, its layers, the
 * stamps, the file lists, the root); says where and what it holds unless -q. The caller holds the
 * lock (cli_lock_root). EXIT_OK or EXIT_FAIL after the message. */
int cli_write_sbom(const struct config *cfg, const char *path);
