/* Unit tests of unpack: top-directory discovery, archives without one, patches, hostile archives
 * (through a symlink, '..', absolute: refused) (snapshots: test_snapshot). */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sources/unpack.h"
#include "lib/util.h"

static char *dir;

static void sh(const char *fmt, const char *arg)
{
	char *cmd = xasprintf(fmt, arg, arg, arg, arg);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static int setup(void **state)
{
	(void)state;
	dir = xstrdup("/tmp/lfsbuild-unit-unpack.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	sh("cd %s && mkdir -p mk/pkg-1.0/sub && echo hi > mk/pkg-1.0/sub/f && ln -s sub/f mk/pkg-1.0/l && "
	   "find mk/pkg-1.0 -exec touch -h -d @1600000000 {} + && touch -d @1700000000 mk/pkg-1.0/sub/f && "
	   "tar -C mk -cJf pkg-1.0.tar.xz pkg-1.0 && echo a > mk/x && echo b > mk/y && tar -C mk -czf flat.tar.gz x y && "
	   "printf -- '--- a\\n+++ b\\n' > fix-1.patch && tar -C mk -czf dotted.tar.gz ./pkg-1.0", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	remove_tree(dir);
	free(dir);
	return 0;
}

static void test_top_dir(void **state)
{
	(void)state;
	char *arch = path_join(dir, "pkg-1.0.tar.xz"), *dest = path_join(dir, "b1"), *top = NULL;
	char err[512];
	mkdir_p(dest, 0755);
	long long newest;
	assert_int_equal(unpack_source(arch, dest, "pkg", &top, &newest, err, sizeof err), 0);
	assert_string_equal(top, "pkg-1.0");
	/* the newest member's mtime (sub/f; the directories and the link are older) */
	assert_int_equal(newest, 1700000000);
	assert_int_equal(unpack_newest_mtime(arch), 1700000000);
	char *f = path_join(dest, "pkg-1.0/sub/f");
	assert_true(path_exists(f));
	free(f);
	f = path_join(dest, ".unpack-pkg");
	assert_false(path_exists(f));
	free(f);
	char *peek = unpack_peek_top(arch);
	assert_string_equal(peek, "pkg-1.0");
	free(peek);
	free(top);
	/* "./pkg-1.0/..." entries: the same top */
	char *arch2 = path_join(dir, "dotted.tar.gz"), *dest2 = path_join(dir, "b2");
	mkdir_p(dest2, 0755);
	assert_int_equal(unpack_source(arch2, dest2, "pkg", &top, &newest, err, sizeof err), 0);
	assert_string_equal(top, "pkg-1.0");
	free(top);
	free(arch);
	free(arch2);
	free(dest);
	free(dest2);
}

static void test_flat_and_patch(void **state)
{
	(void)state;
	char *arch = path_join(dir, "flat.tar.gz"), *dest = path_join(dir, "b3"), *top = NULL;
	char err[512];
	mkdir_p(dest, 0755);
	long long newest;
	assert_int_equal(unpack_source(arch, dest, "flat", &top, &newest, err, sizeof err), 0);
	assert_true(newest > 0);
	assert_string_equal(top, "flat");
	char *f = path_join(dest, "flat/y");
	assert_true(path_exists(f));
	free(f);
	free(top);
	free(arch);
	arch = path_join(dir, "fix-1.patch");
	assert_int_equal(unpack_source(arch, dest, "fix", &top, &newest, err, sizeof err), 0);
	assert_string_equal(top, "fix-1.patch");
	assert_int_equal(newest, -1);   /* no archive: no member times */
	assert_int_equal(unpack_newest_mtime(arch), -1);
	f = path_join(dest, "fix-1.patch");
	char *t = read_file(f, NULL);
	assert_string_equal(t, "--- a\n+++ b\n");
	free(t);
	free(f);
	free(top);
	free(arch);
	arch = path_join(dir, "missing.tar.gz");
	assert_int_equal(unpack_source(arch, dest, "m", &top, &newest, err, sizeof err), -1);
	assert_non_null(strstr(err, "missing.tar.gz"));
	free(arch);
	free(dest);
}

/* A source tarball is not trusted either: an entry through a symlink it made, a '..' entry or an
 * absolute one is refused, and nothing is written outside the build directory. */
static void test_hostile_archives_refused(void **state)
{
	(void)state;
	char *out = path_join(dir, "outside");
	assert_int_equal(mkdir_p(out, 0755), 0);
	char *py = xasprintf(
		"python3 -c '\n"
		"import io, tarfile, sys\n"
		"def mk(name, entries):\n"
		"    with tarfile.open(name, \"w:gz\") as t:\n"
		"        for kind, n, v in entries:\n"
		"            i = tarfile.TarInfo(n)\n"
		"            if kind == \"l\":\n"
		"                i.type = tarfile.SYMTYPE; i.linkname = v; t.addfile(i)\n"
		"            else:\n"
		"                i.size = len(v); t.addfile(i, io.BytesIO(v.encode()))\n"
		"d, o = sys.argv[1], sys.argv[2]\n"
		"mk(d + \"/through.tar.gz\", [(\"l\", \"evil-1/l\", o), (\"f\", \"evil-1/l/pwned\", \"x\")])\n"
		"mk(d + \"/dotdot.tar.gz\", [(\"f\", \"evil-1/f\", \"x\"), (\"f\", \"evil-1/../../outside/pwned\", \"x\")])\n"
		"mk(d + \"/absolute.tar.gz\", [(\"f\", \"evil-1/f\", \"x\"), (\"f\", o + \"/pwned\", \"x\")])\n"
		"' %s %s", dir, out);
	assert_int_equal(system(py), 0);
	free(py);
	const char *names[] = {"through", "dotdot", "absolute"};
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		char *arch = xasprintf("%s/%s.tar.gz", dir, names[i]), *dest = xasprintf("%s/b-%s", dir, names[i]);
		char *top = NULL, err[512];
		assert_int_equal(mkdir_p(dest, 0755), 0);
		long long newest;
		assert_int_equal(unpack_source(arch, dest, "evil", &top, &newest, err, sizeof err), -1);
		print_message("%s: %s\n", names[i], err);
		assert_non_null(strstr(err, arch));
		assert_null(top);
		char *pwned = path_join(out, "pwned");
		assert_false(path_exists(pwned));
		free(pwned);
		free(arch);
		free(dest);
	}
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top_dir),
		cmocka_unit_test(test_flat_and_patch),
		cmocka_unit_test(test_hostile_archives_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
