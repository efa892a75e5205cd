/* Unit tests of sysconfig: the root password is generated once, kept 0600, and its hash is
 * stable (so no step reruns) until the password changes; and of diskids: the disk's identity,
 * made once in WORKDIR/state/disk.conf, which sysconfig passes to the steps. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_and_hash),
		cmocka_unit_test(test_disk_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
