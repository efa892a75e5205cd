/* Unit tests of state/settings: WORKDIR/state/settings is written on the first keep, read back,
 * fills what the options do not give, and a differing value replaces the kept one with a note;
 * the root password itself never gets into it. */
#include "unit.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state/settings.h"
#include "state/state.h"

static void fresh(struct config *cfg, const char *dir)
{
	config_init(cfg);
	cfg->workdir = xstrdup(dir);
	config_finish(cfg);
}

static bool has_note(const struct strv *notes, const char *text)
{
	for (size_t i = 0; i < notes->n; i++)
		if (strstr(notes->v[i], text))
			return true;
	return false;
}

static void test_keep_and_apply(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/lfsbuild-settings-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char err[1024];
	struct settings s;
	assert_int_equal(settings_load(tmpl, &s, err, sizeof err), 0); /* no file yet */
	assert_null(s.timezone);

	/* the first build: given values, the defaults for the rest */
	struct config cfg;
	fresh(&cfg, tmpl);
	cfg.timezone = xstrdup("Europe/Berlin");
	cfg.keymap = xstrdup("de");
	cfg.lang = xstrdup("de_DE.UTF-8");
	cfg.root_password = xstrdup("s3cret");
	char *kc = path_join(tmpl, "kernel.config");
	assert_int_equal(write_file_atomic(kc, "CONFIG_X=y\n", 11, 0644), 0);
	char *cwd = getcwd(NULL, 0);
	assert_int_equal(chdir(tmpl), 0);
	cfg.kernel_config = xstrdup("kernel.config"); /* relative: kept absolute */
	settings_apply(&cfg, NULL, NULL);
	assert_int_equal(chdir(cwd), 0);
	assert_string_equal(cfg.kernel_config, kc);
	assert_string_equal(cfg.hostname, "lfs");
	assert_string_equal(cfg.locales, "C.UTF-8 en_US.UTF-8");
	struct strv notes = {0};
	assert_int_equal(settings_keep(&cfg, &notes, err, sizeof err), 0);
	assert_true(has_note(&notes, "kept in"));
	strv_free(&notes);
	char *path = settings_path(tmpl);
	char *text = read_file(path, NULL);
	assert_non_null(strstr(text, "\ntimezone = Europe/Berlin\n"));
	assert_non_null(strstr(text, "\nkeymap = de\n"));
	assert_non_null(strstr(text, "\nlang = de_DE.UTF-8\n"));
	assert_non_null(strstr(text, "\nhostname = lfs\n"));
	char *line = xasprintf("\nkernel-config = %s\n", kc);
	assert_non_null(strstr(text, line));
	free(line);
	char *sum = sha256_file(kc);
	line = xasprintf("\nkernel-config-sha256 = %s\n", sum);
	assert_non_null(strstr(text, line));
	free(line);
	assert_non_null(strstr(text, "\nroot-password = option\n"));
	assert_non_null(strstr(text, "\nlayers =\n"));
	assert_null(strstr(text, "s3cret"));
	free(text);
	/* unchanged: nothing said, nothing written */
	assert_int_equal(settings_keep(&cfg, &notes, err, sizeof err), 0);
	assert_int_equal(notes.n, 0);
	config_free(&cfg);

	/* a later build without the options: the kept values */
	fresh(&cfg, tmpl);
	assert_int_equal(settings_load(tmpl, &s, err, sizeof err), 1);
	struct strv taken = {0};
	cfg.keymap = xstrdup("fr");       /* given again, differs */
	cfg.lang = xstrdup("");           /* given empty: back to the default */
	settings_apply(&cfg, &s, &taken);
	assert_string_equal(cfg.timezone, "Europe/Berlin");
	assert_string_equal(cfg.kernel_config, kc);
	assert_string_equal(cfg.keymap, "fr");
	assert_null(cfg.lang);
	assert_true(strv_contains(&taken, "timezone"));
	assert_false(strv_contains(&taken, "keymap"));
	assert_false(strv_contains(&taken, "lang"));
	assert_null(cfg.root_password); /* never from the file */
	/* the kernel config's content changed too */
	assert_int_equal(write_file_atomic(kc, "CONFIG_X=m\n", 11, 0644), 0);
	assert_int_equal(settings_keep(&cfg, &notes, err, sizeof err), 0);
	assert_true(has_note(&notes, "setting changed: keymap = fr (was de)"));
	assert_true(has_note(&notes, "setting changed: lang = (default) (was de_DE.UTF-8)"));
	assert_true(has_note(&notes, "kernel-config: the content of"));
	assert_false(has_note(&notes, "timezone"));
	strv_free(&notes);
	settings_free(&s);
	assert_int_equal(settings_load(tmpl, &s, err, sizeof err), 1);
	assert_string_equal(s.keymap, "fr");
	assert_null(s.lang);
	assert_string_equal(s.timezone, "Europe/Berlin");
	assert_string_equal(s.root_password, "option"); /* the file holds the one given before */
	free(sum);
	sum = sha256_file(kc);
	assert_string_equal(s.kernel_config_sha256, sum);
	settings_free(&s);
	strv_free(&taken);
	config_free(&cfg);

	/* a damaged file is an error naming its line; an unknown key only a warning */
	assert_int_equal(write_file_atomic(path, "timezone = UTC\nfuture = 1\n", 26, 0644), 0);
	assert_int_equal(settings_load(tmpl, &s, err, sizeof err), 1);
	assert_string_equal(s.timezone, "UTC");
	settings_free(&s);
	assert_int_equal(write_file_atomic(path, "timezone = UTC\ngarbage\n", 23, 0644), 0);
	assert_int_equal(settings_load(tmpl, &s, err, sizeof err), -1);
	assert_non_null(strstr(err, ":2:"));

	free(sum);
	free(path);
	free(kc);
	free(cwd);
	remove_tree(tmpl);
}

static void test_root_password_source(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/lfsbuild-settings-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char err[1024];
	struct config cfg;
	fresh(&cfg, tmpl);
	settings_apply(&cfg, NULL, NULL);
	struct strv notes = {0};
	assert_int_equal(settings_keep(&cfg, &notes, err, sizeof err), 0);
	struct settings s;
	assert_int_equal(settings_load(tmpl, &s, err, sizeof err), 1);
	assert_string_equal(s.root_password, "generated");
	char *pwfile = path_join(tmpl, "root-password");
	assert_string_equal(s.root_password_file, pwfile);
	settings_free(&s);
	strv_free(&notes);
	/* then given: a note without the password */
	assert_int_equal(write_file_atomic(pwfile, "old\n", 4, 0600), 0);
	cfg.root_password = xstrdup("n3w");
	assert_int_equal(settings_keep(&cfg, &notes, err, sizeof err), 0);
	assert_true(has_note(&notes, "setting changed: root-password = option (was generated)"));
	assert_true(has_note(&notes, "setting changed: root-password (a new one given"));
	for (size_t i = 0; i < notes.n; i++)
		assert_null(strstr(notes.v[i], "n3w"));
	strv_free(&notes);
	free(pwfile);
	config_free(&cfg);
	remove_tree(tmpl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keep_and_apply),
		cmocka_unit_test(test_root_password_source),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
