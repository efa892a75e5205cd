/* lfsbuild clean: remove build directories and logs (--all: everything but the config) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cli/commands.h"
#include "state/state.h"

/* Is `path` strictly inside `dir`? Both absolute. */
static bool inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(path, dir, n) && path[n] == '/' && path[n + 1] && !strstr(path + n, "/..");
}

static int rm(const struct config *cfg, const char *path)
{
	if (!inside(path, cfg->workdir)) {
		warnx("%s is not inside the work directory %s: left alone", path, cfg->workdir);
		return 0;
	}
	if (!path_exists(path))
		return 0;
	if (remove_tree(path) < 0)
		return errorf("cannot remove %s:", path);
	if (!cfg->quiet)
		printf("removed %s\n", path);
	return 0;
}

static int run(struct config *cfg, int argc, char **argv)
{
	if (argc > 0)
		return cli_usage_error(&cmd_clean, "unexpected operand '%s'", argv[0]);
	if (!is_dir(cfg->workdir)) {
		if (!cfg->quiet)
			printf("nothing to clean: %s does not exist\n", cfg->workdir);
		return EXIT_OK;
	}
	char *lockpath = config_path(cfg, "state/lock");
	int lock = open(lockpath, O_RDONLY | O_CLOEXEC);
	if (lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) < 0) {
		struct lock_holder h;
		state_lock_holder(cfg->workdir, &h);
		if (!strcmp(h.what, "shell"))
			errorf("an lfsbuild shell is open in %s; leave it before cleaning", cfg->workdir);
		else if (h.what[0] && strcmp(h.what, "build"))
			errorf("an lfsbuild %s is working in %s; wait for it or stop it before cleaning", h.what, cfg->workdir);
		else
			errorf("a build is running in %s; stop it before cleaning", cfg->workdir);
		close(lock);
		free(lockpath);
		return EXIT_FAIL;
	}
	free(lockpath);
	int bad = 0;
	/* repro/: the scratch copies lfsbuild repro --keep kept (or a killed one left) */
	const char *subs[] = {"build", "logs", "repro"};
	for (size_t i = 0; i < ARRAY_LEN(subs); i++) {
		char *p = config_path(cfg, subs[i]);
		bad |= rm(cfg, p) < 0;
		free(p);
	}
	if (cfg->all) {
		/* capture/: the steps' upper trees and merge journals belong to the root (a journal
		 * left there would be replayed into the next, fresh root); icecream/: the environments
		 * of its compilers (--icecream) */
		const char *more[] = {"root", "state", "snapshots", "capture", "icecream"};
		for (size_t i = 0; i < ARRAY_LEN(more); i++) {
			char *p = config_path(cfg, more[i]);
			bad |= rm(cfg, p) < 0;
			free(p);
		}
		bad |= rm(cfg, cfg->output) < 0;
		char *pk = config_path(cfg, "packages");
		if (!cfg->quiet && is_dir(pk))
			printf("kept the package archives and file lists %s (the binary cache; remove it by hand)\n", pk);
		free(pk);
		if (cfg->with_sources)
			bad |= rm(cfg, cfg->sources) < 0;
		else if (!cfg->quiet && is_dir(cfg->sources))
			printf("kept the source cache %s (--all --with-sources removes it too)\n", cfg->sources);
	}
	if (cfg->with_sources && !cfg->all)
		warnx("--with-sources is for --all: the source cache was kept");
	if (lock >= 0)
		close(lock);
	return bad ? EXIT_FAIL : EXIT_OK;
}

const struct command cmd_clean = {
	"clean", "remove build directories and logs (--all: also the root, the state, the image)", "",
	"Removes WORKDIR/build, WORKDIR/logs and WORKDIR/repro (the scratch copies of lfsbuild repro). With\n"
	"--all also the root ($LFS), the state (stamps),\n"
	"the snapshots, the captures (capture/: upper trees and merge journals), icecream/ and the image; WORKDIR/packages\n"
	"(package archives, the binary cache) stays, and says so; the source cache stays (it says so) unless --with-sources is\n"
	"given too. Says each thing it removes. Never touches anything outside the work directory.",
	run,
};
