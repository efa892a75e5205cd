/* commands: one `struct command` per subcommand, each defined in its own cmd_NAME.c. */
#pragma once
#include "cli/cli.h"

extern const struct command cmd_check_host, cmd_sources, cmd_fetch, cmd_graph, cmd_build,
	cmd_status, cmd_log, cmd_report, cmd_restore, cmd_image, cmd_boot, cmd_test, cmd_all,
	cmd_clean, cmd_shell, cmd_files, cmd_owner, cmd_du, cmd_remove;
