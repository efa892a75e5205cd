/* sysopts: kept settings, then the checks, before build or all starts. */
#include "cli/sysopts.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "book/sysconfig.h"
#include "state/settings.h"

int sysopts_prepare(struct config *cfg)
{
	/* once: `all` prepares before its phases, then its build phase would again */
	static const struct config *prepared;
	if (prepared == cfg)
		return EXIT_OK;
	struct settings kept;
	char err[1024];
	int had = settings_load(cfg->workdir, &kept, err, sizeof err);
	if (had < 0) {
		fprintf(stderr, "lfsbuild: %s\n", err);
		return EXIT_USAGE;
	}
	struct strv taken = {0};
	settings_apply(cfg, had > 0 ? &kept : NULL, &taken);
	int rc = EXIT_OK;
	for (const char *const *o = settings_options; *o; o++) {
		const char *value = config_string(cfg, *o);
		char why[512];
		if (sysconfig_valid(*o, value, SYSCONFIG_ZONEINFO, why, sizeof why))
			continue;
		if (strv_contains(&taken, *o)) {
			char *path = settings_path(cfg->workdir);
			fprintf(stderr, "lfsbuild: --%s '%s' (kept in %s): %s; give --%s to replace it\n", *o, value, path, why, *o);
			free(path);
		} else {
			fprintf(stderr, "lfsbuild: --%s '%s': %s\n", *o, value, why);
		}
		rc = EXIT_USAGE;
	}
	strv_free(&taken);
	settings_free(&kept);
	if (rc == EXIT_OK)
		prepared = cfg;
	return rc;
}

void sysopts_keep(const struct config *cfg)
{
	char *dir = config_path(cfg, "state"), *lockpath = path_join(dir, "lock");
	int lock = mkdir_p(dir, 0755) == 0 ? open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1;
	if (lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0) {
		struct strv notes = {0};
		char err[1024];
		if (settings_keep(cfg, &notes, err, sizeof err) < 0)
			warnx("%s", err);
		for (size_t i = 0; i < notes.n && !cfg->quiet; i++)
			fprintf(stderr, "lfsbuild: %s\n", notes.v[i]);
		strv_free(&notes);
	}
	if (lock >= 0)
		close(lock);
	free(lockpath);
	free(dir);
}
