/* Unit tests of snapshot: a snapshot of a root and back (modes, hard links, symlinks, what was
 * added since gone), and chown_tree, which gives the symlinks themselves, never their targets. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/snapshot.h"
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
	dir = xstrdup("/tmp/lfsbuild-unit-snapshot.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	remove_tree(dir);
	free(dir);
	return 0;
}

static void test_snapshot_roundtrip(void **state)
{
	(void)state;
	char *root = path_join(dir, "root"), *snap = path_join(dir, "s.tar.zst");
	sh("mkdir -p %s/usr/bin && echo x > %s/usr/bin/tool && chmod 750 %s/usr/bin/tool && ln -s usr/bin %s/bin", root);
	sh("ln %s/usr/bin/tool %s/usr/bin/tool2", root);
	char err[512];
	assert_int_equal(snapshot_create(root, snap, err, sizeof err), 0);
	sh("rm -rf %s/usr && echo junk > %s/junk", root);
	assert_int_equal(snapshot_restore(snap, root, err, sizeof err), 0);
	char *f = path_join(root, "usr/bin/tool"), *g = path_join(root, "usr/bin/tool2"), *j = path_join(root, "junk");
	struct stat a, b;
	assert_int_equal(stat(f, &a), 0);
	assert_int_equal(stat(g, &b), 0);
	assert_int_equal(a.st_mode & 07777, 0750);
	assert_true(a.st_ino == b.st_ino); /* hard links stay links */
	assert_false(path_exists(j));
	char *l = path_join(root, "bin");
	char buf[64] = {0};
	assert_true(readlink(l, buf, sizeof buf - 1) > 0);
	assert_string_equal(buf, "usr/bin");
	/* a damaged snapshot: an error naming it, no crash */
	sh("head -c 100 %s/s.tar.zst > %s/bad.tar.zst", dir);
	char *bad = path_join(dir, "bad.tar.zst");
	assert_int_equal(snapshot_restore(bad, root, err, sizeof err), -1);
	assert_non_null(strstr(err, "bad.tar.zst"));
	free(bad);
	free(l);
	free(f);
	free(g);
	free(j);
	free(root);
	free(snap);
}

static void test_chown_tree_keeps_off_symlink_targets(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		skip(); /* giving files to another uid needs root */
		return;
	}
	char *tree = path_join(dir, "tree"), *outside = path_join(dir, "outside");
	sh("mkdir -p %s/sub && echo in > %s/sub/f", tree);
	sh("mkdir -p %s && echo secret > %s/file", outside);
	char *cmd = xasprintf("ln -s %s/file %s/sub/abs && ln -s %s %s/dirlink", outside, tree, outside, tree);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(chown_tree(tree, 4242, 4243), 0);
	struct stat st;
	char *p = path_join(tree, "sub/f");
	assert_int_equal(lstat(p, &st), 0);
	assert_true(st.st_uid == 4242 && st.st_gid == 4243);
	free(p);
	p = path_join(tree, "sub/abs");
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISLNK(st.st_mode) && st.st_uid == 4242); /* the link itself */
	free(p);
	p = path_join(outside, "file");
	assert_int_equal(lstat(p, &st), 0);
	assert_true(st.st_uid == 0 && st.st_gid == 0); /* never its target */
	free(p);
	assert_int_equal(lstat(outside, &st), 0);
	assert_true(st.st_uid == 0); /* nor a directory a symlink points to */
	free(tree);
	free(outside);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_roundtrip),
		cmocka_unit_test(test_chown_tree_keeps_off_symlink_targets),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
