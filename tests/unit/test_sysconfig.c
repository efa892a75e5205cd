/* Unit tests of sysconfig: the root password is generated once, kept 0600, and its hash is
 * stable (so no step reruns) until the password changes; the checks of the settings' values and
 * which of them reach the steps; and of diskids: the disk's identity, made once in
 * WORKDIR/state/disk.conf, which sysconfig passes to the steps. */
#include "unit.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "book/diskids.h"
#include "book/sysconfig.h"

static void test_password_and_hash(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/lfsbuild-sysconfig-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	struct config cfg;
	config_init(&cfg);
	cfg.workdir = xstrdup(tmpl);
	config_finish(&cfg);

	char *pw1 = sysconfig_root_password(&cfg);
	char *pw2 = sysconfig_root_password(&cfg);
	assert_non_null(pw1);
	assert_int_equal(strlen(pw1), 16);
	assert_string_equal(pw1, pw2);
	char *file = config_path(&cfg, "root-password");
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	char *h1 = sysconfig_root_hash(&cfg);
	char *h2 = sysconfig_root_hash(&cfg);
	assert_true(str_starts(h1, "$6$"));
	assert_string_equal(h1, h2);
	struct crypt_data cd = {0};
	assert_string_equal(crypt_r(pw1, h1, &cd), h1);

	/* A new password from the command line: a new hash that matches it. */
	cfg.root_password = xstrdup("s3cret");
	char *h3 = sysconfig_root_hash(&cfg);
	assert_string_not_equal(h3, h1);
	assert_string_equal(crypt_r("s3cret", h3, &cd), h3);
	char *stored = read_file(file, NULL);
	assert_string_equal(stored, "s3cret\n");

	struct strv env = {0};
	assert_int_equal(sysconfig_env(&cfg, &env), 0);
	assert_true(strv_contains(&env, "LFSBUILD_HOSTNAME=lfs"));
	assert_true(strv_contains(&env, "LFSBUILD_LOCALES=C.UTF-8 en_US.UTF-8"));
	strv_free(&env);

	free(stored);
	free(h1);
	free(h2);
	free(h3);
	free(pw1);
	free(pw2);
	free(file);
	remove_tree(tmpl);
	config_free(&cfg);
}

static void test_disk_ids(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/lfsbuild-diskids-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	struct config cfg;
	config_init(&cfg);
	cfg.workdir = xstrdup(tmpl);
	config_finish(&cfg);

	struct disk_ids a, b;
	assert_int_equal(disk_ids_load(&cfg, &a), 0);
	assert_int_equal(strlen(a.esp), 36);
	assert_int_equal(a.root_fs[14], '4');              /* version 4 */
	assert_non_null(strchr("89ab", a.disk[19]));       /* RFC 4122 variant */
	assert_string_not_equal(a.esp, a.root);
	assert_int_equal(disk_ids_load(&cfg, &b), 0);      /* made once */
	assert_memory_equal(&a, &b, sizeof a);
	char *file = config_path(&cfg, "state/disk.conf");
	char *text = read_file(file, NULL);
	char *want = xasprintf("ESP_PARTUUID=%s\n", a.esp);
	assert_non_null(strstr(text, want));
	free(want);
	free(text);

	struct strv env = {0};
	assert_int_equal(sysconfig_env(&cfg, &env), 0);
	char *var = xasprintf("LFSBUILD_ROOT_PARTUUID=%s", a.root);
	assert_true(strv_contains(&env, var));
	free(var);
	strv_free(&env);

	/* upper case is read as lower case; a damaged file is an error, not new ids */
	const char *upper = "DISK_GUID=11111111-2222-4333-8444-555555555555\nESP_PARTUUID=AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE\n"
	                    "ROOT_PARTUUID=01234567-89ab-4def-8123-456789abcdef\nROOT_FS_UUID=01234567-89ab-4def-8123-456789abcde0\n";
	assert_int_equal(write_file_atomic(file, upper, strlen(upper), 0644), 0);
	assert_int_equal(disk_ids_load(&cfg, &b), 0);
	assert_string_equal(b.esp, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
	assert_string_equal(b.disk, "11111111-2222-4333-8444-555555555555");
	const char *bad = "DISK_GUID=11111111-2222-4333-8444-55555555555\n";
	assert_int_equal(write_file_atomic(file, bad, strlen(bad), 0644), 0);
	assert_int_equal(disk_ids_load(&cfg, &b), -1);
	free(file);
	remove_tree(tmpl);
	config_free(&cfg);
}

/* A fake zoneinfo: a TZif file, a directory of zones, a file that is no zone. */
static char *fake_zoneinfo(void)
{
	char tmpl[] = "/tmp/lfsbuild-zoneinfo-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char *dir = xstrdup(tmpl);
	char *europe = path_join(dir, "Europe"), *berlin = path_join(europe, "Berlin"), *tab = path_join(dir, "zone.tab");
	char *gmt = path_join(dir, "Etc"), *gmt5 = path_join(gmt, "GMT+5");
	assert_int_equal(mkdir_p(europe, 0755), 0);
	assert_int_equal(mkdir_p(gmt, 0755), 0);
	assert_int_equal(write_file_atomic(berlin, "TZif2\n", 6, 0644), 0);
	assert_int_equal(write_file_atomic(gmt5, "TZif2\n", 6, 0644), 0);
	assert_int_equal(write_file_atomic(tab, "# tab\n", 6, 0644), 0);
	free(europe);
	free(berlin);
	free(tab);
	free(gmt);
	free(gmt5);
	return dir;
}

static void test_valid_timezone(void **state)
{
	(void)state;
	char why[512];
	char *zi = fake_zoneinfo();
	assert_true(sysconfig_valid_timezone("Europe/Berlin", zi, why, sizeof why));
	assert_true(sysconfig_valid_timezone("Etc/GMT+5", zi, why, sizeof why));
	/* under the directory: a TZif file, not a directory nor another file */
	assert_false(sysconfig_valid_timezone("Europe/Paris", zi, why, sizeof why));
	assert_non_null(strstr(why, "no time zone"));
	assert_non_null(strstr(why, zi));
	assert_false(sysconfig_valid_timezone("Europe", zi, why, sizeof why));
	assert_false(sysconfig_valid_timezone("zone.tab", zi, why, sizeof why));
	/* the shape, whether the directory exists or not */
	const char *bad[] = {"../etc/passwd", "Europe/../Berlin", "/Europe/Berlin", "Europe//Berlin", "Europe/",
	                     "-Europe", "Europe Berlin", "Europe/Berlin;rm", "Europe/Berlin.x", "", "Europe/$x"};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		assert_false(sysconfig_valid_timezone(bad[i], zi, why, sizeof why));
		assert_false(sysconfig_valid_timezone(bad[i], "/nonexistent/zoneinfo", why, sizeof why));
	}
	assert_false(sysconfig_valid_timezone("../x", NULL, why, sizeof why));
	assert_non_null(strstr(why, ".."));
	/* no zoneinfo directory on the host: the shape alone */
	assert_true(sysconfig_valid_timezone("Europe/Paris", "/nonexistent/zoneinfo", why, sizeof why));
	assert_true(sysconfig_valid_timezone("America/Argentina/Buenos_Aires", NULL, why, sizeof why));
	assert_true(sysconfig_valid_timezone("Etc/GMT-14", NULL, why, sizeof why));
	remove_tree(zi);
	free(zi);
}

static void test_valid_keymap_lang_hostname(void **state)
{
	(void)state;
	char why[512];
	const char *maps[] = {"us", "de", "de-latin1", "fr_CH", "dvorak-programmer", "br-abnt2", "cz-qwertz.x"};
	for (size_t i = 0; i < ARRAY_LEN(maps); i++)
		assert_true(sysconfig_valid_keymap(maps[i], why, sizeof why));
	const char *badmaps[] = {"", "-de", ".de", "de latin1", "de/latin1", "../x", "de;x", "de$x"};
	for (size_t i = 0; i < ARRAY_LEN(badmaps); i++)
		assert_false(sysconfig_valid_keymap(badmaps[i], why, sizeof why));
	assert_non_null(strstr(why, "keymap"));

	const char *langs[] = {"C", "POSIX", "C.UTF-8", "en_US.UTF-8", "de_DE@euro", "de_DE.ISO-8859-15@euro",
	                       "sr_RS@latin", "ast_ES.UTF-8", "eo", "en_US.utf8", "es_419.UTF-8"};
	for (size_t i = 0; i < ARRAY_LEN(langs); i++)
		assert_true(sysconfig_valid_lang(langs[i], why, sizeof why));
	const char *badlangs[] = {"", "EN_us", "en_US.", "en_US@", "en_us", "en_USA", "e", "english",
	                          "en_US.UTF-8@euro@x", "en_US@euro.UTF-8", "en US", "C.UTF-8;x", "../en_US", "en_US/x"};
	for (size_t i = 0; i < ARRAY_LEN(badlangs); i++)
		assert_false(sysconfig_valid_lang(badlangs[i], why, sizeof why));
	assert_non_null(strstr(why, "locale"));
	/* --locales: each name as --lang */
	assert_true(sysconfig_valid_locales("C.UTF-8 en_US.UTF-8  de_DE@euro", why, sizeof why));
	assert_false(sysconfig_valid_locales("C.UTF-8 en-US", why, sizeof why));
	assert_non_null(strstr(why, "'en-US'"));
	assert_false(sysconfig_valid_locales("  ", why, sizeof why));

	const char *hosts[] = {"lfs", "x", "lfs-12", "A1", "a23456789012345678901234567890123456789012345678901234567890123"};
	for (size_t i = 0; i < ARRAY_LEN(hosts); i++)
		assert_true(sysconfig_valid_hostname(hosts[i], why, sizeof why));
	const char *badhosts[] = {"", "-lfs", "lfs-", "lfs.local", "l_fs", "a234567890123456789012345678901234567890123456789012345678901234"};
	for (size_t i = 0; i < ARRAY_LEN(badhosts); i++)
		assert_false(sysconfig_valid_hostname(badhosts[i], why, sizeof why));
}

static void test_valid_by_option(void **state)
{
	(void)state;
	char why[512];
	/* unset or empty: the default, always valid; an unknown option: nothing to check */
	assert_true(sysconfig_valid("timezone", NULL, NULL, why, sizeof why));
	assert_true(sysconfig_valid("timezone", "", NULL, why, sizeof why));
	assert_true(sysconfig_valid("jobs", "x y", NULL, why, sizeof why));
	assert_false(sysconfig_valid("timezone", "a..b", NULL, why, sizeof why));
	assert_false(sysconfig_valid("keymap", "-x", NULL, why, sizeof why));
	assert_false(sysconfig_valid("lang", "x", NULL, why, sizeof why));
	assert_false(sysconfig_valid("locales", "x", NULL, why, sizeof why));
	assert_false(sysconfig_valid("hostname", "a.b", NULL, why, sizeof why));
	assert_false(sysconfig_valid("kernel-config", "/nonexistent/kernel.config", NULL, why, sizeof why));
	assert_non_null(strstr(why, "No such file"));
	assert_false(sysconfig_valid("kernel-config", "/tmp", NULL, why, sizeof why));
	assert_non_null(strstr(why, "regular"));
}

/* The settings reach the steps' environment: hostname and locales always (defaults when NULL),
 * the others only when set, so that a recipe's default applies and its inputs stay. */
static void test_env_settings(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/lfsbuild-sysenv-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	struct config cfg;
	config_init(&cfg);
	cfg.workdir = xstrdup(tmpl);
	config_finish(&cfg);
	struct strv env = {0};
	assert_int_equal(sysconfig_env(&cfg, &env), 0);
	assert_true(strv_contains(&env, "LFSBUILD_HOSTNAME=lfs"));
	assert_true(strv_contains(&env, "LFSBUILD_LOCALES=C.UTF-8 en_US.UTF-8"));
	for (size_t i = 0; i < env.n; i++) {
		assert_false(str_starts(env.v[i], "LFSBUILD_TIMEZONE="));
		assert_false(str_starts(env.v[i], "LFSBUILD_KEYMAP="));
		assert_false(str_starts(env.v[i], "LFSBUILD_LANG="));
	}
	strv_free(&env);
	cfg.timezone = xstrdup("Europe/Berlin");
	cfg.keymap = xstrdup("de");
	cfg.lang = xstrdup("de_DE.UTF-8");
	cfg.hostname = xstrdup("x");
	assert_int_equal(sysconfig_env(&cfg, &env), 0);
	assert_true(strv_contains(&env, "LFSBUILD_TIMEZONE=Europe/Berlin"));
	assert_true(strv_contains(&env, "LFSBUILD_KEYMAP=de"));
	assert_true(strv_contains(&env, "LFSBUILD_LANG=de_DE.UTF-8"));
	assert_true(strv_contains(&env, "LFSBUILD_HOSTNAME=x"));
	strv_free(&env);
	remove_tree(tmpl);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_and_hash),
		cmocka_unit_test(test_valid_timezone),
		cmocka_unit_test(test_valid_keymap_lang_hostname),
		cmocka_unit_test(test_valid_by_option),
		cmocka_unit_test(test_env_settings),
		cmocka_unit_test(test_disk_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
