/* cli: the subcommand registry, --help, --version and dispatch. */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "book/recipe.h"
#include "cli/commands.h"
#include "state/settings.h"

static int cmd_help_run(struct config *cfg, int argc, char **argv);

static const struct command cmd_help = {
	"help", "show help for lfsbuild or one command", "[COMMAND]",
	"Without COMMAND, lists the commands. With it, shows its usage and options.",
	cmd_help_run,
};

/* The registry: the order is the order of `lfsbuild --help`. */
static const struct command *const commands[] = {
	&cmd_check_host, &cmd_sources, &cmd_fetch, &cmd_graph, &cmd_build, &cmd_status,
	&cmd_log, &cmd_report, &cmd_restore, &cmd_shell, &cmd_image, &cmd_boot, &cmd_test, &cmd_all,
	&cmd_files, &cmd_owner, &cmd_du, &cmd_remove, &cmd_repro, &cmd_sbom, &cmd_clean, &cmd_help,
};

const struct command *cli_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

void cli_help(const struct command *cmd, FILE *out)
{
	if (cmd) {
		fprintf(out, "usage: lfsbuild [options] %s%s%s\n\n%s\n\n%s\n", cmd->name,
		        cmd->usage[0] ? " " : "", cmd->usage, cmd->summary, cmd->help);
		fprintf(out, "\noptions of %s:\n", cmd->name);
		config_print_options(cmd->name, out);
		fprintf(out, "\nglobal options:\n");
		config_print_options(NULL, out);
		return;
	}
	fprintf(out, "usage: lfsbuild [options] COMMAND [args]\n\n"
	             "Builds Linux From Scratch (%s) from source into a bootable QEMU disk image.\n\n"
	             "commands:\n", BOOK_VERSION);
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		fprintf(out, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(out, "\nglobal options:\n");
	config_print_options(NULL, out);
	fprintf(out, "  -h, --help                   show this help ('lfsbuild help COMMAND' for one command)\n"
	             "      --version                show the versions of lfsbuild and of the book\n"
	             "\nStart with 'lfsbuild all': it checks the host, fetches the sources, builds, makes\n"
	             "WORKDIR/lfs.qcow2 and boot-tests it. Then 'lfsbuild boot' starts it.\n");
}

int cli_usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "lfsbuild: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "\nusage: lfsbuild [options] %s %s\nTry 'lfsbuild help %s'.\n", cmd->name, cmd->usage, cmd->name);
	else
		fprintf(stderr, "\nusage: lfsbuild [options] COMMAND [args]\nTry 'lfsbuild --help'.\n");
	return EXIT_USAGE;
}

/* config_parse failed: a usage error with the usage of `cmd` (NULL: lfsbuild's), or a bad value
 * alone. EXIT_USAGE. */
static int parse_error(const struct command *cmd, const struct config_error *err)
{
	if (err->usage)
		return cli_usage_error(cmd, "%s", err->msg);
	fprintf(stderr, "lfsbuild: %s\n", err->msg);
	return EXIT_USAGE;
}

int cli_not_implemented(const char *name)
{
	fprintf(stderr, "lfsbuild: %s: not implemented yet\n", name);
	return EXIT_USAGE;
}

static int cmd_help_run(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	if (argc > 1)
		return cli_usage_error(&cmd_help, "too many operands");
	if (argc == 0) {
		cli_help(NULL, stdout);
		return EXIT_OK;
	}
	const struct command *c = cli_find(argv[0]);
	if (!c)
		return cli_usage_error(NULL, "unknown command '%s'", argv[0]);
	cli_help(c, stdout);
	return EXIT_OK;
}

int cli_main(int argc, char **argv)
{
	for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			cli_help(NULL, stdout);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "--version")) {
			printf("lfsbuild %s\n%s\n", LFSBUILD_VERSION, BOOK_VERSION);
			return EXIT_OK;
		}
	}
	static struct config cfg;
	config_init(&cfg);
	struct config_error err;
	int first = config_parse(&cfg, NULL, argc, argv, &err);
	if (first < 0)
		return parse_error(NULL, &err);
	if (first >= argc)
		return cli_usage_error(NULL, "no command given");
	const struct command *cmd = cli_find(argv[first]);
	if (!cmd)
		return cli_usage_error(NULL, "unknown command '%s'", argv[first]);
	int cargc = argc - first;
	char **cargv = argv + first;
	for (int i = 1; i < cargc; i++) {
		if (!strcmp(cargv[i], "--"))
			break;
		if (!strcmp(cargv[i], "--help") || !strcmp(cargv[i], "-h")) {
			cli_help(cmd, stdout);
			return EXIT_OK;
		}
	}
	int op = config_parse(&cfg, cmd->name, cargc, cargv, &err);
	if (op < 0)
		return parse_error(cmd, &err);
	config_finish(&cfg);
	settings_layers(&cfg);
	return cmd->run(&cfg, cargc - op, cargv + op);
}
