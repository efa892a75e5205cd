/* Unit tests of fileutil: a copy never follows a symlink (neither at the source, which a step may
 * point at a file outside its tree, nor at the destination), opens only regular files, keeps
 * holes, and leaves no temporary file behind. */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fileutil.h"
#include "lib/util.h"

#define SECRET "lfsbuild-unit-secret-8d1f2c"

static char *dir;     /* the tree the copies come from and go to */
static char *outside; /* a file outside it that holds SECRET */

static void put(const char *path, const char *text)
{
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0600), 0);
}

static int setup(void **state)
{
	(void)state;
	dir = xstrdup("/tmp/lfsbuild-unit-fileutil.XXXXXX");
	outside = xstrdup("/tmp/lfsbuild-unit-fileutil-outside.XXXXXX");
	int fd = mkstemp(outside);
	if (!mkdtemp(dir) || fd < 0)
		return -1;
	close(fd);
	put(outside, SECRET "\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	remove_tree(dir);
	unlink(outside);
	free(dir);
	free(outside);
	return 0;
}

/* Does SECRET appear in any file under `path` (symlinks not followed)? */
static bool secret_under(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return false;
	if (S_ISREG(st.st_mode)) {
		char *text = read_file(path, NULL);
		bool found = text && strstr(text, SECRET);
		free(text);
		return found;
	}
	if (!S_ISDIR(st.st_mode))
		return false;
	DIR *d = opendir(path);
	bool found = false;
	for (struct dirent *e; d && !found && (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *sub = path_join(path, e->d_name);
		found = secret_under(sub);
		free(sub);
	}
	if (d)
		closedir(d);
	return found;
}

static int entries(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static void test_copy_regular(void **state)
{
	(void)state;
	char *sub = path_join(dir, "regular"), *from = path_join(sub, "a"), *to = path_join(sub, "b"), err[512];
	assert_int_equal(mkdir_p(sub, 0755), 0);
	put(from, "hello\n");
	assert_int_equal(file_copy(from, to, 0644, err, sizeof err), 0);
	char *text = read_file(to, NULL);
	assert_string_equal(text, "hello\n");
	free(text);
	struct stat st;
	assert_int_equal(stat(to, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* again over the existing copy; an empty file; no temporary file is left */
	put(from, "");
	assert_int_equal(file_copy(from, to, 0600, err, sizeof err), 0);
	assert_int_equal(stat(to, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(entries(sub), 2);
	/* a missing source: named, and nothing is written */
	char *missing = path_join(sub, "missing"), *to2 = path_join(sub, "c");
	assert_int_equal(file_copy(missing, to2, 0644, err, sizeof err), -1);
	assert_non_null(strstr(err, missing));
	assert_false(path_exists(to2));
	assert_int_equal(entries(sub), 2);
	free(missing);
	free(to2);
	free(sub);
	free(from);
	free(to);
}

static void test_symlink_source_refused(void **state)
{
	(void)state;
	/* What a step could plant in its build directory: lfsbuild-tests.log -> a file outside. */
	char *tree = path_join(dir, "tree"), *link = path_join(tree, "lfsbuild-tests.log");
	char *dst = path_join(dir, "logs/step.log"), *logs = path_join(dir, "logs"), err[512];
	assert_int_equal(mkdir_p(tree, 0755), 0);
	assert_int_equal(mkdir_p(logs, 0755), 0);
	assert_int_equal(symlink(outside, link), 0);
	assert_int_equal(file_copy(link, dst, 0644, err, sizeof err), -1);
	char *want = xasprintf("%s is a symlink (-> %s): not copied", link, outside);
	assert_string_equal(err, want);
	free(want);
	assert_false(path_exists(dst));
	assert_int_equal(entries(logs), 0);
	/* also into an open file (image's copy into the disk) */
	char *disk = path_join(dir, "disk.raw");
	int fd = open(disk, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(file_copy_into(link, fd, 0, disk, err, sizeof err), -1);
	assert_non_null(strstr(err, "is a symlink (-> "));
	close(fd);
	/* a relative symlink, and one that points nowhere */
	unlink(link);
	char *rel = xasprintf("../../..%s", outside);
	assert_int_equal(symlink(rel, link), 0);
	assert_int_equal(file_copy(link, dst, 0644, err, sizeof err), -1);
	assert_non_null(strstr(err, rel));
	unlink(link);
	assert_int_equal(symlink("/nonexistent/lfsbuild", link), 0);
	assert_int_equal(file_copy(link, dst, 0644, err, sizeof err), -1);
	assert_non_null(strstr(err, "is a symlink (-> /nonexistent/lfsbuild): not copied"));
	/* the secret appears nowhere under the tree, and the file outside is unchanged */
	assert_false(secret_under(dir));
	char *text = read_file(outside, NULL);
	assert_string_equal(text, SECRET "\n");
	free(text);
	free(rel);
	free(disk);
	free(tree);
	free(link);
	free(dst);
	free(logs);
}

static void test_not_regular_refused(void **state)
{
	(void)state;
	char *fifo = path_join(dir, "fifo"), *sub = path_join(dir, "subdir"), *to = path_join(dir, "out"), err[512];
	assert_int_equal(mkfifo(fifo, 0644), 0); /* opening it would block: it is never opened */
	assert_int_equal(file_copy(fifo, to, 0644, err, sizeof err), -1);
	char *want = xasprintf("%s is not a regular file: not copied", fifo);
	assert_string_equal(err, want);
	free(want);
	assert_int_equal(mkdir_p(sub, 0755), 0);
	assert_int_equal(file_copy(sub, to, 0644, err, sizeof err), -1);
	assert_non_null(strstr(err, "is not a regular file: not copied"));
	assert_int_equal(file_open_regular("/dev/null", err, sizeof err), -1);
	assert_false(path_exists(to));
	free(fifo);
	free(sub);
	free(to);
}

/* file_open_beneath: a tree whose directories and file a step may have replaced by symlinks. */
static void test_open_beneath(void **state)
{
	(void)state;
	char *tree = path_join(dir, "beneath"), *err = xmalloc(512);
	char *cmd = xasprintf("mkdir -p %s/usr/lib %s/out && echo inside > %s/usr/lib/f && "
	                      "ln -s %s %s/usr/abs && ln -s /tmp %s/usr/dirlink && ln -s lib %s/usr/rel && "
	                      "mkfifo %s/usr/lib/fifo && ln %s/usr/lib/f %s/usr/lib/hard",
	                      tree, tree, tree, outside, tree, tree, tree, tree, tree, tree);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	int root = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(root >= 0);
	int fd = file_open_beneath(root, "ROOT", "usr/lib/f", err, 512);
	assert_true(fd >= 0);
	char got[16] = "";
	assert_int_equal(read(fd, got, sizeof got - 1), 7);
	assert_string_equal(got, "inside\n");
	close(fd);
	fd = file_open_beneath(root, "ROOT", "./usr/lib/hard", err, 512);
	assert_true(fd >= 0);
	close(fd);
	/* a symlink at the end, or on the way (absolute or relative, even one that stays inside) */
	const char *links[] = {"usr/abs", "usr/rel/f", "usr/dirlink/x"};
	for (size_t i = 0; i < ARRAY_LEN(links); i++) {
		assert_int_equal(file_open_beneath(root, "ROOT", links[i], err, 512), -1);
		assert_int_equal(errno, ELOOP);
		char *want = xasprintf("ROOT/%s: a symlink on the way or at the end: not followed", links[i]);
		assert_string_equal(err, want);
		free(want);
	}
	/* never a FIFO (it would block), a directory, or a way up */
	const char *others[] = {"usr/lib/fifo", "usr/lib", "usr/../usr/lib/f"};
	for (size_t i = 0; i < ARRAY_LEN(others); i++) {
		assert_int_equal(file_open_beneath(root, "ROOT", others[i], err, 512), -1);
		assert_int_equal(errno, EINVAL);
	}
	assert_int_equal(file_open_beneath(root, "ROOT", "usr/none", err, 512), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(file_open_beneath(root, "ROOT", "usr/lib/f/x", err, 512), -1);
	assert_int_equal(errno, ENOTDIR);
	close(root);
	free(err);
	free(tree);
}

/* dir_open_beneath: the directories of that tree; a symlink on the way is never followed. */
static void test_dir_open_beneath(void **state)
{
	(void)state;
	char *tree = path_join(dir, "dirbeneath");
	char *cmd = xasprintf("mkdir -p %s/usr/lib/sub && echo f > %s/usr/lib/f && ln -s /tmp %s/usr/dirlink && "
	                      "ln -s lib %s/usr/rel", tree, tree, tree, tree);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	int root = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(root >= 0);
	const char *good[] = {"", ".", "usr", "usr/lib", "./usr//lib/sub/"};
	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		int fd = dir_open_beneath(root, good[i]);
		assert_true(fd >= 0);
		struct stat st;
		assert_int_equal(fstat(fd, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		close(fd);
	}
	struct { const char *rel; int err; } bad[] = {
		{"usr/dirlink", ELOOP}, {"usr/rel/sub", ELOOP}, {"usr/lib/f", ENOTDIR}, {"usr/lib/f/x", ENOTDIR},
		{"usr/../usr", EINVAL}, {"usr/none", ENOENT},
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		assert_int_equal(dir_open_beneath(root, bad[i].rel), -1);
		assert_int_equal(errno, bad[i].err);
	}
	close(root);
	free(tree);
}

static void test_symlink_destination_replaced(void **state)
{
	(void)state;
	char *from = path_join(dir, "src.txt"), *to = path_join(dir, "dst.txt"), err[512];
	put(from, "new content\n");
	assert_int_equal(symlink(outside, to), 0);
	assert_int_equal(file_copy(from, to, 0644, err, sizeof err), 0);
	struct stat st;
	assert_int_equal(lstat(to, &st), 0);
	assert_true(S_ISREG(st.st_mode)); /* the symlink was replaced, not written through */
	char *text = read_file(outside, NULL);
	assert_string_equal(text, SECRET "\n");
	free(text);
	text = read_file(to, NULL);
	assert_string_equal(text, "new content\n");
	free(text);
	free(from);
	free(to);
}

static void test_copy_sparse(void **state)
{
	(void)state;
	char a[] = "/var/tmp/lfsbuild-sparse-in.XXXXXX", o[] = "/var/tmp/lfsbuild-sparse-out.XXXXXX";
	int in = mkstemp(a), out = mkstemp(o);
	assert_true(in >= 0 && out >= 0);
	/* 64 MiB with data at 0, 16 MiB and the last byte; holes between. */
	assert_int_equal(ftruncate(in, 64 << 20), 0);
	assert_int_equal(pwrite(in, "head", 4, 0), 4);
	assert_int_equal(pwrite(in, "middle", 6, 16 << 20), 6);
	assert_int_equal(pwrite(in, "Z", 1, (64 << 20) - 1), 1);
	assert_int_equal(ftruncate(out, 128 << 20), 0);
	int64_t n = file_copy_sparse(in, out, 1 << 20);
	assert_true(n > 0 && n < (8 << 20));
	char buf[8] = {0};
	assert_int_equal(pread(out, buf, 4, 1 << 20), 4);
	assert_memory_equal(buf, "head", 4);
	assert_int_equal(pread(out, buf, 6, (16 << 20) + (1 << 20)), 6);
	assert_memory_equal(buf, "middle", 6);
	assert_int_equal(pread(out, buf, 1, (64 << 20) + (1 << 20) - 1), 1);
	assert_int_equal(buf[0], 'Z');
	struct stat st;
	assert_int_equal(fstat(out, &st), 0);
	assert_true(st.st_blocks * 512 < (8 << 20)); /* the holes stayed holes */
	close(out);
	/* file_copy keeps the holes and the size (a trailing hole too) */
	assert_int_equal(ftruncate(in, 96 << 20), 0);
	char err[512];
	assert_int_equal(file_copy(a, o, 0644, err, sizeof err), 0);
	assert_int_equal(stat(o, &st), 0);
	assert_int_equal(st.st_size, 96 << 20);
	assert_true(st.st_blocks * 512 < (8 << 20));
	out = open(o, O_RDONLY | O_CLOEXEC);
	assert_int_equal(pread(out, buf, 6, 16 << 20), 6);
	assert_memory_equal(buf, "middle", 6);
	close(in);
	close(out);
	unlink(a);
	unlink(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_regular),
		cmocka_unit_test(test_symlink_source_refused),
		cmocka_unit_test(test_not_regular_refused),
		cmocka_unit_test(test_symlink_destination_replaced),
		cmocka_unit_test(test_copy_sparse),
		cmocka_unit_test(test_open_beneath),
		cmocka_unit_test(test_dir_open_beneath),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
