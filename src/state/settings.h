/* settings: the settings of the new system kept with the work directory, in
 * WORKDIR/state/settings (docs/engine.md, "Settings"): host name, locales, time zone, keymap,
 * LANG, the kernel config (its absolute path and the sha256 of its content), where the root
 * password comes from (never the password), and a place for layers. The first build writes
 * them; a later build or all without an option uses the kept value; a value given again (the
 * command line, lfsbuild.conf, the environment) that differs replaces it and is reported. */
#pragma once
#include <stdbool.h>
#include "config/config.h"
#include "lib/util.h"

/* The file's values; NULL: not set (the default). */
struct settings {
	char *hostname, *locales, *timezone, *keymap, *lang;
	char *kernel_config;          /* absolute path */
	char *kernel_config_sha256;   /* of its content when it was kept */
	char *root_password;          /* where it comes from: "generated", "option" (--root-password or
	                               * lfsbuild.conf), "file" (WORKDIR/root-password put there) */
	char *root_password_file;     /* WORKDIR/root-password, where lfsbuild keeps it (mode 0600) */
	char *layers;                 /* the layers' directories (absolute), blank-separated */
};

/* The options that are settings, in the file's order, NULL-terminated: hostname, locales,
 * timezone, keymap, lang, kernel-config. */
extern const char *const settings_options[];

/* WORKDIR/state/settings (malloc'd). */
char *settings_path(const char *workdir);
/* Read WORKDIR/state/settings into *s: 1 read, 0 no such file (*s empty), -1 unreadable or a
 * line that is not "key = value" (with "FILE:LINE: reason" in errbuf). Unknown keys: a warning. */
int settings_load(const char *workdir, struct settings *s, char *errbuf, size_t errlen);
void settings_free(struct settings *s);
/* The value of option `name` in *s (NULL: not set or no such setting). */
const char *settings_get(const struct settings *s, const char *name);
/* Fill each setting cfg does not give from *stored (may be NULL), its name pushed on `taken` (may
 * be NULL); a value given empty means the default (NULL). Then hostname and locales get their
 * defaults, and kernel-config becomes an absolute path. */
void settings_apply(struct config *cfg, const struct settings *stored, struct strv *taken);
/* The layers of this run: those cfg gives (--layer, `layer =` lines), made absolute; none given,
 * the kept ones, unless --no-layers. For every command (the recipe set has them). */
void settings_layers(struct config *cfg);
/* Keep cfg's settings (after settings_apply) in WORKDIR/state/settings: written atomically when
 * there is no such file or it differs; every difference with the file, and its first writing,
 * becomes a line in `notes` ("setting changed: timezone = Asia/Tokyo (was Europe/Berlin)").
 * The caller holds state/lock. 0, or -1 with the reason in errbuf. */
int settings_keep(const struct config *cfg, struct strv *notes, char *errbuf, size_t errlen);
