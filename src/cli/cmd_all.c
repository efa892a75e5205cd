/* lfsbuild all: from nothing to a tested disk image. Each phase is the command of its own
 * name, run with the same configuration, so `all` behaves exactly as the commands one by one
 * and resumes as they do. */
#include "cli/commands.h"
#include "cli/sysopts.h"

#include <stdio.h>
#include <stdlib.h>

#include "lib/util.h"

struct phase {
	const struct command *cmd;
	const char *what;
};

static int run(struct config *cfg, int argc, char **argv)
{
	(void)argv;
	if (argc)
		return cli_usage_error(&cmd_all, "no operands expected (use 'lfsbuild build STEP' for single steps)");
	int bad = sysopts_prepare(cfg);
	if (bad)
		return bad;
	sysopts_keep(cfg);
	const struct phase phases[] = {
		{&cmd_check_host, "checking the host"},
		{&cmd_fetch, "fetching and verifying the sources"},
		{&cmd_build, "building the system"},
		{&cmd_image, "assembling the disk image"},
		{&cmd_test, "boot-testing the image"},
	};
	double t0 = now_mono();
	for (size_t i = 0; i < ARRAY_LEN(phases); i++) {
		const struct phase *p = &phases[i];
		if (!cfg->quiet)
			fprintf(stderr, "lfsbuild all: [%zu/%zu] %s (lfsbuild %s)\n", i + 1, ARRAY_LEN(phases), p->what, p->cmd->name);
		char *none[] = {NULL};
		int rc = p->cmd->run(cfg, 0, none);
		if (rc != EXIT_OK) {
			char *w = shell_word(cfg->workdir);
			fprintf(stderr, "lfsbuild all: stopped at '%s' (exit %d) after %s.\n"
			        "Fix what it reported, then run `lfsbuild -C %s all` again: every phase resumes where it stopped.\n",
			        p->cmd->name, rc, fmt_duration(now_mono() - t0), w);
			free(w);
			return rc;
		}
	}
	char *pw = config_path(cfg, "root-password"), *w = shell_word(cfg->workdir);
	char *sbom = cli_sbom_path(cfg->output);
	printf("\nDone in %s. Your Linux From Scratch 12.3 (systemd) system:\n"
	       "  image:          %s\n"
	       "  its SBOM:       %s (CycloneDX: what it is made of)\n"
	       "  root password:  in %s (mode 0600)\n"
	       "  boot it:        lfsbuild -C %s boot    (serial console here; Ctrl-A X quits)\n",
	       fmt_duration(now_mono() - t0), cfg->output, sbom, pw, w);
	free(sbom);
	free(w);
	free(pw);
	return EXIT_OK;
}

const struct command cmd_all = {
	"all", "check-host, fetch, build, image and test: from nothing to a tested disk", "",
	"Runs check-host, fetch, build (every stage), image and test in turn with the same options,\n"
	"stopping at the first that fails; run it again to resume (the settings of the new system are\n"
	"checked before the first phase and kept in WORKDIR/state/settings). At the end it prints where the\n"
	"image is, the root password's file and how to boot it (lfsbuild boot).",
	run,
};
