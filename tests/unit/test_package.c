/* Unit tests of package (and the tree packer under it): a captured upper tree packed before its
 * merge, then unpacked and merged on a copy of the old root gives the same root (owners, modes,
 * xattrs, a file capability, hard link, symlink, device node, FIFO, a sparse file, a deletion, a
 * replaced directory; the overlay's own xattrs and whiteouts not in the archive); and archives
 * that must be refused: another step's hash, any byte changed (the stream's checksum), a stream
 * without a content checksum, a file whose content is not the one
 * its list says, an entry that would be written through a symlink out of the tree. As root. */
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "engine/capture.h"
#include "lib/util.h"
#include "packages/package.h"
#include "packages/zstream.h"
#include "state/state.h"

#define HASH "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char *dir;

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = xvasprintf(fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "failed (%d): %s\n", rc, cmd);
	assert_int_equal(rc, 0);
	free(cmd);
}

static int setup(void **state)
{
	(void)state;
	dir = xstrdup("/tmp/lfsbuild-unit-package.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	remove_tree(dir);
	free(dir);
	return 0;
}

/* Owners, devices, trusted.* xattrs and file capabilities need root: a skip (counted) otherwise. */
static void needs_root(void)
{
	if (geteuid() != 0)
		skip();
}

static const struct package_id id = {"ch1/t", "1.0", HASH, NULL};

/* WORKDIR w with a root, a captured step ch1/t whose upper tree holds one of each kind, merged
 * with its archive packed first; `copy` gets the root as it was before the merge. The archive's
 * path (malloc'd). */
static char *packed(const char *w, const char *copy)
{
	char *root = path_join(w, "root"), err[1024], *parent = xstrdup(copy);
	*strrchr(parent, '/') = '\0';
	sh("rm -rf %s %s && mkdir -p %s/etc %s/opt/old && echo old > %s/etc/gone && echo x > %s/opt/old/f", w, parent, root,
	   root, root, root);
	free(parent);
	assert_int_equal(capture_prepare(w, id.step, root, err, sizeof err), 0);
	char *u = xasprintf("%s/capture/ch1_t/upper", w);
	sh("cd %s && mkdir -p usr/bin usr/sbin usr/lib dev run etc opt/old && echo tool > usr/bin/tool && chmod 755 "
	   "usr/bin/tool && ln usr/bin/tool usr/bin/tool2 && ln -s libx.so.1 usr/lib/libx.so && echo data > usr/lib/f && "
	   "chown 123:456 usr/lib/f && chmod 640 usr/lib/f && setfattr -n user.a -v b usr/lib/f && setfattr -n "
	   "trusted.overlay.origin -v zzz usr/lib/f && echo p > usr/sbin/ping && setcap cap_net_raw+ep usr/sbin/ping && "
	   "mknod dev/null2 c 1 3 && mkfifo run/fifo && mknod etc/gone c 0 0 && setfattr -n trusted.overlay.opaque -v y "
	   "opt/old && echo new > opt/old/n && truncate -s 1M usr/lib/sparse && echo end >> usr/lib/sparse",
	   u);
	sh("rm -rf %s && mkdir -p %s && rmdir %s && cp -a %s %s", copy, copy, copy, root, copy);
	struct capture_pack pack = {id.version, id.hash, NULL};
	assert_int_equal(capture_merge(w, id.step, root, &pack, NULL, err, sizeof err), 0);
	char *name = package_file_name(&id), *arch = xasprintf("%s/packages/%s", w, name);
	assert_string_equal(name, "ch1_t-1.0-0123456789ab.tar.zst");
	assert_true(path_exists(arch));
	free(name);
	free(u);
	free(root);
	return arch;
}

/* Unpack `arch` into a fresh capture of ch1/t in w2 (its root: `root2`) as `want`. 0 or -1. */
static int unpack_into(const char *arch, const char *w2, const char *root2, const struct package_id *want, char *err,
                       size_t errlen)
{
	assert_int_equal(capture_prepare(w2, id.step, root2, err, errlen), 0);
	char *u = xasprintf("%s/capture/ch1_t/upper", w2);
	int fd = open(arch, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	int rc = package_unpack(fd, arch, want, u, err, errlen);
	if (rc < 0)
		fprintf(stderr, "package_unpack: %s\n", err);
	close(fd);
	free(u);
	return rc;
}

static void test_pack_unpack_merge_same_root(void **state)
{
	(void)state;
	needs_root();
	char *w = path_join(dir, "w"), *w2 = path_join(dir, "w2"), *root2 = path_join(w2, "root"), err[2048];
	char *arch = packed(w, root2);
	/* an independent reader: GNU tar sees the two members first, no whiteout, no overlay xattr */
	sh("tar --zstd -tf %s | head -2 | tr '\\n' ' ' | grep -qx '.LFSBUILD-INFO .LFSBUILD-FILES '", arch);
	sh("! tar --zstd -tf %s | grep -qx etc/gone", arch);
	sh("tar --zstd -xOf %s .LFSBUILD-FILES | cmp - %s/packages/ch1_t.files", arch, w);
	sh("tar --zstd -xOf %s .LFSBUILD-INFO | grep -qx 'hash %s'", arch, HASH);
	assert_int_equal(unpack_into(arch, w2, root2, &id, err, sizeof err), 0);
	assert_int_equal(capture_merge(w2, id.step, root2, NULL, NULL, err, sizeof err), 0);
	sh("bash %s/tests/lib/compare-roots.sh %s/root %s >&2", getenv("ROOT") ? getenv("ROOT") : ".", w, root2);
	sh("cmp %s/packages/ch1_t.files %s/packages/ch1_t.files", w, w2);
	sh("test ! -e %s/etc/gone && test ! -e %s/opt/old/f && test -f %s/opt/old/n", root2, root2, root2);
	sh("test %s/usr/bin/tool -ef %s/usr/bin/tool2", root2, root2);
	sh("test \"$(stat -c '%%u:%%g %%a' %s/usr/lib/f)\" = '123:456 640'", root2);
	sh("getfattr -n user.a --only-values %s/usr/lib/f | grep -qx b", root2);
	sh("! getfattr -d -m '^trusted.overlay' %s/usr/lib/f 2>/dev/null | grep -q overlay", root2);
	sh("getcap %s/usr/sbin/ping | grep -q cap_net_raw", root2);
	sh("test -c %s/dev/null2 && test \"$(stat -c '%%t:%%T' %s/dev/null2)\" = 1:3 && test -p %s/run/fifo", root2, root2,
	   root2);
	sh("test \"$(readlink %s/usr/lib/libx.so)\" = libx.so.1", root2);
	/* no archive was written for the unpacked step: it came from one */
	sh("test \"$(ls %s/packages | grep -c tar.zst)\" = 0", w2);
	free(arch);
	free(w);
	free(w2);
	free(root2);
}

static void test_refuses_another_steps_archive(void **state)
{
	(void)state;
	needs_root();
	char *w = path_join(dir, "w"), *w2 = path_join(dir, "w2"), *root2 = path_join(w2, "root"), err[2048];
	char *arch = packed(w, root2);
	struct package_id other = {"ch1/t", "1.0", "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210", NULL};
	assert_int_equal(unpack_into(arch, w2, root2, &other, err, sizeof err), -1);
	assert_non_null(strstr(err, "says hash"));
	free(arch);
	free(w);
	free(w2);
	free(root2);
}

/* An archive keeps where the root was; a step run on the host (want.root set) takes it only from
 * the same place: -2, a sound archive for another place (never set aside), not -1. */
static void test_serves_a_host_step_only_at_its_root(void **state)
{
	(void)state;
	needs_root();
	char *w = path_join(dir, "w"), *w2 = path_join(dir, "w2"), *root2 = path_join(w2, "root"), err[2048];
	char *arch = packed(w, root2), *root1 = path_join(w, "root");
	sh("tar --zstd -xOf %s .LFSBUILD-INFO | grep -qx 'root %s'", arch, root1);
	struct package_id here = id, there = id;
	here.root = root2;
	there.root = root1;
	assert_int_equal(unpack_into(arch, w2, root2, &here, err, sizeof err), -2);
	char *want = xasprintf("was built with the root at %s, and this build's root is %s", root1, root2);
	assert_non_null(strstr(err, want));
	sh("test -z \"$(ls -A %s/capture/ch1_t/upper)\"", w2);   /* nothing written */
	assert_int_equal(unpack_into(arch, w2, root2, &there, err, sizeof err), 0);
	assert_int_equal(unpack_into(arch, w2, root2, &id, err, sizeof err), 0);   /* a chroot step: any root */
	free(want);
	free(root1);
	free(arch);
	free(w);
	free(w2);
	free(root2);
}

/* zstream_check on the file at `path`. */
static int check_stream(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	int rc = zstream_check(fd, path, err, errlen);
	close(fd);
	return rc;
}

static void test_refuses_a_changed_byte(void **state)
{
	(void)state;
	needs_root();
	char *w = path_join(dir, "w"), *w2 = path_join(dir, "w2"), *root2 = path_join(w2, "root"), err[2048];
	char *arch = packed(w, root2);
	size_t len;
	char *orig = read_file(arch, &len);
	assert_non_null(orig);
	assert_int_equal(check_stream(arch, err, sizeof err), 0);
	char *tar = xasprintf("%s/orig.tar", dir);
	sh("zstd -dcq %s > %s", arch, tar);
	/* each byte of the archive changed in turn (every bit flipped): the stream check refuses every
	 * change that changes the tar; without the content checksum about one in twenty went through
	 * with a changed tar. A few bits of a zstd stream change nothing it decodes to (zstd -d, an
	 * independent decoder, says so): those may pass, and must be few. */
	int same = 0;
	for (size_t pos = 0; pos < len; pos++) {
		orig[pos] ^= 0xff;
		assert_int_equal(write_file_atomic(arch, orig, len, 0644), 0);
		if (check_stream(arch, err, sizeof err) == 0) {
			char *cmd = xasprintf("zstd -dcq %s 2>/dev/null | cmp -s - %s", arch, tar);
			if (system(cmd) != 0)
				fail_msg("a change of byte %zu of %zu changed the tar and was not seen", pos, len);
			free(cmd);
			same++;
		}
		orig[pos] ^= 0xff;
	}
	fprintf(stderr, "%d of %zu changed bytes decode to the same tar (taken), the others refused\n", same, len);
	assert_true(same * 100 < (int)len);
	free(tar);
	/* and one of them on the way in: refused, the file named, nothing merged */
	orig[len / 2] ^= 0xff;
	assert_int_equal(write_file_atomic(arch, orig, len, 0644), 0);
	assert_int_equal(unpack_into(arch, w2, root2, &id, err, sizeof err), -1);
	assert_non_null(strstr(err, arch)); /* the file is named */
	free(orig);
	free(arch);
	free(w);
	free(w2);
	free(root2);
}

struct entry {
	const char *name;
	char type;              /* 'f' 'l' 'd' */
	const char *data;       /* file content, or symlink target */
};

/* A package archive with `list` (entries after the header line) and these entries, its info right. */
static void craft(const char *path, const char *list, const struct entry *e, size_t n, bool plain_zstd)
{
	char *files = xasprintf("# lfsbuild file list of ch1/t\n%s", list), *sum = sha256_hex(files, strlen(files));
	char *info = xasprintf("format 1\nstep ch1/t\nversion 1.0\nhash %s\nfiles-sha256 %s\n", HASH, sum);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax(a);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	if (plain_zstd) /* libarchive's own zstd writer: no content checksum */
		assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK), assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
	else /* as lfsbuild writes them: a crafted archive whose stream is sound, to reach the checks after */
		assert_int_equal(zstream_open_write(a, fd, 3), ARCHIVE_OK);
	struct entry head[] = {{PACKAGE_INFO, 'f', info}, {PACKAGE_FILES, 'f', files}};
	for (size_t k = 0; k < n + 2; k++) {
		const struct entry *x = k < 2 ? &head[k] : &e[k - 2];
		struct archive_entry *ae = archive_entry_new();
		archive_entry_set_pathname(ae, x->name);
		archive_entry_set_filetype(ae, x->type == 'f' ? AE_IFREG : x->type == 'l' ? AE_IFLNK : AE_IFDIR);
		archive_entry_set_perm(ae, x->type == 'l' ? 0777 : x->type == 'd' ? 0755 : 0644);
		if (x->type == 'l')
			archive_entry_set_symlink(ae, x->data);
		if (x->type == 'f')
			archive_entry_set_size(ae, (la_int64_t)strlen(x->data));
		assert_true(archive_write_header(a, ae) >= ARCHIVE_WARN);
		if (x->type == 'f')
			archive_write_data(a, x->data, strlen(x->data));
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	close(fd);
	free(files);
	free(sum);
	free(info);
}

static void test_refuses_a_stream_without_checksum(void **state)
{
	(void)state;
	needs_root();
	char *w2 = path_join(dir, "w2"), *root2 = path_join(w2, "root"), *arch = path_join(dir, "plain.tar.zst"), err[2048];
	char *x_sum = sha256_hex("x\n", 2);
	char *list = xasprintf("new\tf\t0644\t0\t0\t2\t%s\t-\tx\n", x_sum);
	struct entry e[] = {{"x", 'f', "x\n"}};
	craft(arch, list, e, 1, true);
	sh("rm -rf %s && mkdir -p %s", w2, root2);
	assert_int_equal(unpack_into(arch, w2, root2, &id, err, sizeof err), -1);
	assert_non_null(strstr(err, "content checksum"));
	/* the same archive, written with the checksum: taken */
	craft(arch, list, e, 1, false);
	sh("rm -rf %s && mkdir -p %s", w2, root2);
	assert_int_equal(unpack_into(arch, w2, root2, &id, err, sizeof err), 0);
	free(x_sum);
	free(list);
	free(arch);
	free(w2);
	free(root2);
}

static void test_refuses_content_not_its_list(void **state)
{
	(void)state;
	needs_root();
	char *w2 = path_join(dir, "w2"), *root2 = path_join(w2, "root"), *arch = path_join(dir, "bad.tar.zst"), err[2048];
	char *a_sum = sha256_hex("a\n", 2);
	char *list = xasprintf("new\tf\t0644\t0\t0\t2\t%s\t-\tx\n", a_sum);
	struct entry e[] = {{"x", 'f', "b\n"}};
	craft(arch, list, e, 1, false);
	sh("rm -rf %s && mkdir -p %s", w2, root2);
	assert_int_equal(unpack_into(arch, w2, root2, &id, err, sizeof err), -1);
	assert_non_null(strstr(err, "x: sha256"));
	assert_non_null(strstr(err, a_sum));
	free(a_sum);
	free(list);
	free(arch);
	free(w2);
	free(root2);
}

static void test_writes_through_no_symlink(void **state)
{
	(void)state;
	needs_root();
	char *w2 = path_join(dir, "w2"), *root2 = path_join(w2, "root"), *arch = path_join(dir, "evil.tar.zst");
	char *outside = path_join(dir, "outside"), err[2048];
	char *x_sum = sha256_hex("x\n", 2);
	char *list = xasprintf("new\tl\t0777\t0\t0\t0\t-\t%s\tevil\nnew\tf\t0644\t0\t0\t2\t%s\t-\tevil/x\n", outside, x_sum);
	struct entry e[] = {{"evil", 'l', outside}, {"evil/x", 'f', "x\n"}};
	craft(arch, list, e, 2, false);
	sh("rm -rf %s %s && mkdir -p %s %s", w2, outside, root2, outside);
	assert_int_equal(unpack_into(arch, w2, root2, &id, err, sizeof err), -1);
	char *through = path_join(outside, "x");
	assert_false(path_exists(through));
	free(through);
	free(x_sum);
	free(list);
	free(arch);
	free(outside);
	free(w2);
	free(root2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack_unpack_merge_same_root),
		cmocka_unit_test(test_refuses_another_steps_archive),
		cmocka_unit_test(test_serves_a_host_step_only_at_its_root),
		cmocka_unit_test(test_refuses_a_changed_byte),
		cmocka_unit_test(test_refuses_a_stream_without_checksum),
		cmocka_unit_test(test_refuses_content_not_its_list),
		cmocka_unit_test(test_writes_through_no_symlink),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
