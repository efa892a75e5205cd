/* settings: WORKDIR/state/settings, "key = value" lines. */
#include "state/settings.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "book/sysconfig.h"
#include "state/state.h"

const char *const settings_options[] = {"hostname", "locales", "timezone", "keymap", "lang", "kernel-config", NULL};

/* Every key of the file, in its order: where it is in struct settings, and in struct config for
 * the settings that are options (-1 for the others). */
struct key {
	const char *name;
	size_t soff;
	long coff;
};
#define S(f) offsetof(struct settings, f)
#define C(f) (long)offsetof(struct config, f)
static const struct key keys[] = {
	{"hostname", S(hostname), C(hostname)},
	{"locales", S(locales), C(locales)},
	{"timezone", S(timezone), C(timezone)},
	{"keymap", S(keymap), C(keymap)},
	{"lang", S(lang), C(lang)},
	{"kernel-config", S(kernel_config), C(kernel_config)},
	{"kernel-config-sha256", S(kernel_config_sha256), -1},
	{"root-password", S(root_password), -1},
	{"root-password-file", S(root_password_file), -1},
	{"layers", S(layers), -1},
};

static char **sfield(const struct settings *s, const struct key *k)
{
	return (char **)((char *)s + k->soff);
}

static char **cfield(const struct config *cfg, const struct key *k)
{
	return (char **)((char *)cfg + k->coff);
}

static const struct key *find_key(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

char *settings_path(const char *workdir)
{
	return path_join(workdir, "state/settings");
}

void settings_free(struct settings *s)
{
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		free(*sfield(s, &keys[i]));
	memset(s, 0, sizeof *s);
}

const char *settings_get(const struct settings *s, const char *name)
{
	const struct key *k = find_key(name);
	return k ? *sfield(s, k) : NULL;
}

int settings_load(const char *workdir, struct settings *s, char *errbuf, size_t errlen)
{
	memset(s, 0, sizeof *s);
	char *path = settings_path(workdir);
	char *text = read_file(path, NULL);
	if (!text) {
		int rc = path_exists(path) ? set_error(errbuf, errlen, "cannot read %s", path) : 0;
		free(path);
		return rc;
	}
	int rc = 1, lineno = 0;
	for (char *line = text, *next; line && rc > 0; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		char *t = str_trim(line);
		if (!*t || *t == '#')
			continue;
		char *eq = strchr(t, '=');
		if (!eq) {
			rc = set_error(errbuf, errlen, "%s:%d: not \"key = value\": '%s' (fix or remove the file)", path, lineno, t);
			break;
		}
		*eq = '\0';
		const char *name = str_trim(t), *value = str_trim(eq + 1);
		const struct key *k = find_key(name);
		if (!k) {
			warnx("%s:%d: unknown setting '%s' ignored", path, lineno, name);
			continue;
		}
		char **f = sfield(s, k);
		free(*f);
		*f = *value ? xstrdup(value) : NULL;
	}
	free(text);
	free(path);
	if (rc < 0)
		settings_free(s);
	return rc;
}

void settings_apply(struct config *cfg, const struct settings *stored, struct strv *taken)
{
	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		const struct key *k = &keys[i];
		if (k->coff < 0)
			continue;
		char **f = cfield(cfg, k);
		/* given empty (or --kernel-config qemu, the default's name): the default */
		if (*f && (!**f || (!strcmp(k->name, "kernel-config") && !strcmp(*f, SYSCONFIG_KERNEL_QEMU)))) {
			free(*f);
			*f = NULL;
		} else if (!*f && stored && *sfield(stored, k)) {
			*f = xstrdup(*sfield(stored, k));
			if (taken)
				strv_add(taken, k->name);
		}
	}
	if (!cfg->hostname)
		cfg->hostname = xstrdup(SYSCONFIG_HOSTNAME);
	if (!cfg->locales)
		cfg->locales = xstrdup(SYSCONFIG_LOCALES);
	if (cfg->kernel_config && !sysconfig_kernel_is_word(cfg->kernel_config)) {
		char *abs = path_abs(cfg->kernel_config);
		free(cfg->kernel_config);
		cfg->kernel_config = abs;
	}
}

/* ---- keeping them ---- */

/* The settings as this build has them. */
static void settings_now(const struct config *cfg, const struct settings *old, bool had_file, struct settings *now)
{
	memset(now, 0, sizeof *now);
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		if (keys[i].coff >= 0 && *cfield(cfg, &keys[i]) && **cfield(cfg, &keys[i]))
			*sfield(now, &keys[i]) = xstrdup(*cfield(cfg, &keys[i]));
	if (now->kernel_config && !sysconfig_kernel_is_word(now->kernel_config))
		now->kernel_config_sha256 = sha256_file(now->kernel_config);
	now->root_password_file = config_path(cfg, "root-password");
	if (cfg->root_password && *cfg->root_password)
		now->root_password = xstrdup("option");
	else if (had_file && old->root_password)
		now->root_password = xstrdup(old->root_password);
	else
		now->root_password = xstrdup(path_exists(now->root_password_file) ? "file" : "generated");
}

static const char *shown(const char *v)
{
	return v ? v : "(default)";
}

static bool same(const char *a, const char *b)
{
	return a ? b && !strcmp(a, b) : !b;
}

/* A new --root-password: it differs from the one kept in WORKDIR/root-password (never printed). */
static bool new_password(const struct config *cfg, const char *file)
{
	if (!cfg->root_password || !*cfg->root_password)
		return false;
	char *kept = read_file(file, NULL);
	if (!kept)
		return false;
	bool differs = strcmp(str_trim(kept), cfg->root_password) != 0;
	memset(kept, 0, strlen(kept));
	free(kept);
	return differs;
}

/* The differences between the file and now, as notes. */
static void differences(const struct config *cfg, const struct settings *old, const struct settings *now,
                        struct strv *notes)
{
	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		const struct key *k = &keys[i];
		const char *a = *sfield(old, k), *b = *sfield(now, k);
		if (same(a, b) || !strcmp(k->name, "root-password-file"))
			continue;
		if (!strcmp(k->name, "kernel-config-sha256")) {
			if (same(old->kernel_config, now->kernel_config) && now->kernel_config &&
			    !sysconfig_kernel_is_word(now->kernel_config))
				strv_push(notes, xasprintf("setting changed: kernel-config: the content of %s changed (sha256 %.12s..., "
				                           "was %.12s...)", now->kernel_config, shown(b), shown(a)));
			continue;
		}
		strv_push(notes, xasprintf("setting changed: %s = %s (was %s)", k->name, shown(b), shown(a)));
	}
	if (new_password(cfg, now->root_password_file))
		strv_push(notes, xasprintf("setting changed: root-password (a new one given; kept in %s, mode 0600)",
		                           now->root_password_file));
}

static char *settings_text(const struct settings *s)
{
	struct buf b = {0};
	buf_puts(&b, "# The settings of the new system built in this work directory (docs/engine.md, \"Settings\"),\n"
	             "# written by lfsbuild build and all. A later build without these options uses them; an\n"
	             "# option given again replaces its line. An empty value: the default. The root password\n"
	             "# itself is not here: it is in root-password-file (mode 0600).\n");
	for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
		if (!strcmp(keys[i].name, "layers"))
			buf_puts(&b, "# layers: the --layer directories, in order (docs/layers.md)\n");
		const char *v = *sfield(s, &keys[i]);
		buf_printf(&b, "%s =%s%s\n", keys[i].name, v ? " " : "", v ? v : "");
	}
	return b.data;
}

/* The layers as the file keeps them: blank-separated; NULL for none. */
static char *layers_text(const struct strv *layers)
{
	struct buf b = {0};
	for (size_t i = 0; i < layers->n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", layers->v[i]);
	return b.data;
}

void settings_layers(struct config *cfg)
{
	if (!cfg->layers.n && !cfg->no_layers) {
		struct settings kept;
		char err[512];
		if (settings_load(cfg->workdir, &kept, err, sizeof err) > 0) {
			char *save = NULL;
			for (char *w = kept.layers ? strtok_r(kept.layers, " \t", &save) : NULL; w; w = strtok_r(NULL, " \t", &save))
				strv_add(&cfg->layers, w);
			settings_free(&kept);
		}
		return;
	}
	for (size_t i = 0; i < cfg->layers.n; i++) {
		char *abs = path_abs(cfg->layers.v[i]);
		free(cfg->layers.v[i]);
		cfg->layers.v[i] = abs;
	}
}

int settings_keep(const struct config *cfg, struct strv *notes, char *errbuf, size_t errlen)
{
	struct settings old, now;
	int had = settings_load(cfg->workdir, &old, errbuf, errlen);
	if (had < 0)
		return -1;
	settings_now(cfg, &old, had > 0, &now);
	char *path = settings_path(cfg->workdir);
	int rc = 0;
	if (now.kernel_config && !sysconfig_kernel_is_word(now.kernel_config) && !now.kernel_config_sha256) {
		rc = set_error(errbuf, errlen, "--kernel-config %s: cannot read it", now.kernel_config);
		goto out;
	}
	now.layers = layers_text(&cfg->layers);
	if (had > 0)
		differences(cfg, &old, &now, notes);
	char *text = settings_text(&now);
	char *was = had > 0 ? settings_text(&old) : NULL;
	if (!was || strcmp(was, text)) {
		char *dir = config_path(cfg, "state");
		if (mkdir_p(dir, 0755) < 0 || write_file_atomic(path, text, strlen(text), 0644) < 0)
			rc = set_error(errbuf, errlen, "cannot write %s: %s", path, strerror(errno));
		else if (!was)
			strv_push(notes, xasprintf("settings of the new system kept in %s (a later build without them keeps them)",
			                           path));
		free(dir);
	}
	free(was);
	free(text);
out:
	free(path);
	settings_free(&old);
	settings_free(&now);
	return rc;
}
