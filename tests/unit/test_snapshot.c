/* Unit tests of snapshot: a snapshot of a root and back (modes, hard links, symlinks, what was
 * added since gone), symlinks archived as symlinks and never read through, a restore that writes
 * through no symlink nor out of the root, and chown_tree, which gives the symlinks themselves,
 * never their targets. */
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdbool.h>
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

#define MARK "lfsbuild-unit-snapshot-secret-5e0a"

/* Every entry of the archive `path` as "TYPE NAME[ -> TARGET]\n", and whether any entry's data
 * holds MARK. */
static char *list_archive(const char *path, bool *mark)
{
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	assert_int_equal(archive_read_open_filename(a, path, 1 << 16), ARCHIVE_OK);
	struct buf b = {0};
	struct archive_entry *e;
	*mark = false;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		mode_t t = archive_entry_filetype(e);
		buf_printf(&b, "%s %s", t == AE_IFLNK ? "l" : t == AE_IFDIR ? "d" : t == AE_IFREG ? "f" : "?",
		           archive_entry_pathname(e));
		if (t == AE_IFLNK)
			buf_printf(&b, " -> %s", archive_entry_symlink(e));
		buf_puts(&b, "\n");
		char data[4096];
		la_ssize_t n;
		while ((n = archive_read_data(a, data, sizeof data - 1)) > 0) {
			data[n] = '\0';
			*mark |= memmem(data, (size_t)n, MARK, strlen(MARK)) != NULL;
		}
	}
	archive_read_free(a);
	return b.data;
}

/* The steps made the root: symlinks to a secret file and to a directory outside it are
 * archived as symlinks; nothing of what they point to is in the snapshot. */
static void test_snapshot_keeps_links_as_links(void **state)
{
	(void)state;
	char *root = path_join(dir, "lroot"), *out = path_join(dir, "outside2"), *snap = path_join(dir, "l.tar.zst");
	char *cmd = xasprintf("mkdir -p %s/etc %s/sub && echo " MARK " > %s/secret && echo " MARK " > %s/sub/f && "
	                      "echo own > %s/etc/own && ln -s %s/secret %s/etc/leak && ln -s %s/sub %s/etc/dirleak && "
	                      "ln -s ../../../../../../../../..%s/secret %s/etc/relleak",
	                      root, out, out, out, root, out, root, out, root, out, root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	char err[512];
	assert_int_equal(snapshot_create(root, snap, err, sizeof err), 0);
	bool mark;
	char *list = list_archive(snap, &mark);
	assert_false(mark);
	char *want = xasprintf("l ./etc/leak -> %s/secret\n", out);
	assert_non_null(strstr(list, want));
	free(want);
	want = xasprintf("l ./etc/dirleak -> %s/sub\n", out);
	assert_non_null(strstr(list, want));
	free(want);
	assert_non_null(strstr(list, "l ./etc/relleak -> ../"));
	assert_non_null(strstr(list, "f ./etc/own\n"));
	assert_null(strstr(list, "./etc/dirleak/")); /* never descended */
	free(list);
	free(root);
	free(out);
	free(snap);
}

/* A tar.zst with the given entries: "l NAME TARGET" symlinks, "f NAME" files holding MARK. */
static void make_archive(const char *path, const char *const *entries, size_t n)
{
	struct archive *w = archive_write_new();
	archive_write_add_filter_zstd(w);
	archive_write_set_format_pax(w);
	assert_int_equal(archive_write_open_filename(w, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		char *copy = xstrdup(entries[i] + 2), *sp = strchr(copy, ' ');
		if (sp)
			*sp = '\0';
		archive_entry_set_pathname(e, copy);
		if (entries[i][0] == 'l') {
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_perm(e, 0777);
			archive_entry_set_symlink(e, sp + 1);
		} else {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_size(e, (la_int64_t)strlen(MARK));
		}
		assert_int_equal(archive_write_header(w, e), ARCHIVE_OK);
		if (entries[i][0] == 'f')
			assert_int_equal(archive_write_data(w, MARK, strlen(MARK)), (la_ssize_t)strlen(MARK));
		archive_entry_free(e);
		free(copy);
	}
	assert_int_equal(archive_write_close(w), ARCHIVE_OK);
	archive_write_free(w);
}

/* A snapshot is lfsbuild's own, but its restore is checked as if it were not: no entry is
 * written through a symlink, above the root or at an absolute path. */
static void test_restore_writes_through_no_link(void **state)
{
	(void)state;
	char *root = path_join(dir, "rroot"), *out = path_join(dir, "outside3"), *snap = path_join(dir, "r.tar.zst");
	assert_int_equal(mkdir_p(out, 0755), 0);
	char *through = xasprintf("l ./lnk %s", out), *abs = xasprintf("f %s/abs", out);
	const char *const cases[][2] = {
		{through, "f ./lnk/pwned"},
		{"l ./up ..", "f ./up/outside3/pwned"},
		{"f ./../outside3/pwned", NULL},
		{abs, NULL},
	};
	char err[512];
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		make_archive(snap, cases[i], cases[i][1] ? 2 : 1);
		assert_int_equal(snapshot_restore(snap, root, err, sizeof err), -1);
		print_message("case %zu refused: %s\n", i, err);
		assert_non_null(strstr(err, "r.tar.zst"));
		char *pwned = path_join(out, "pwned"), *a = path_join(out, "abs");
		assert_false(path_exists(pwned));
		assert_false(path_exists(a));
		free(pwned);
		free(a);
	}
	free(through);
	free(abs);
	free(root);
	free(out);
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
		cmocka_unit_test(test_snapshot_keeps_links_as_links),
		cmocka_unit_test(test_restore_writes_through_no_link),
		cmocka_unit_test(test_chown_tree_keeps_off_symlink_targets),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
