/* image: root tree -> ESP + ext4 + GPT in a sparse raw disk -> qcow2. */
#include "disk/image.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "book/recipe.h"
#include "lib/exec.h"
#include "disk/esp.h"
#include "disk/gpt.h"
#include "lib/fileutil.h"
#include "lib/util.h"

#define MIB (1024ull * 1024ull)
#define MIN_ROOT_BYTES (64 * MIB)

int image_parse_size(const char *text, uint64_t *bytes)
{
	char *end;
	errno = 0;
	if (!text || !*text || *text == '-')
		return -1;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || end == text)
		return -1;
	int shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (shift && (!strcmp(end, "iB") || !strcmp(end, "B")))
		end += strlen(end);
	else if (!shift && !strcmp(end, "B"))
		end++;
	if (*end || v == 0 || (shift && v > (~0ull >> shift)))
		return -1;
	*bytes = (uint64_t)v << shift;
	return 0;
}

/* ---- the build ---- */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

/* Run a tool in the scratch directory `dir` (the files there are named relative to it: see
 * exec_tool_in); on failure say what failed with the end of its output and the log's path. */
static int run(const struct image_opts *o, const char *dir, const char *what, char *const argv[])
{
	if (interrupted) {
		errno = EINTR;
		return errorf("%s: interrupted (signal %d)", what, (int)interrupted);
	}
	struct buf out = {0};
	int rc = exec_tool_in(dir, argv, &out, o->logpath);
	if (rc != 0) {
		char *cl = exec_cmdline(argv);
		const char *tail = out.data ? out.data : "";
		if (out.len > 1500)
			tail = out.data + out.len - 1500;
		if (rc < 0)
			errorf("%s: cannot run %s: %s (install it: make deps)", what, argv[0], strerror(errno));
		else
			errorf("%s failed (exit status %d)\n  command: %s\n%s\n  full log: %s", what, rc, cl, tail,
			       o->logpath);
		free(cl);
		buf_free(&out);
		return -1;
	}
	buf_free(&out);
	return 0;
}

static int make_sized_file(const char *path, uint64_t bytes)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errorf("cannot create %s:", path);
	if (ftruncate(fd, (off_t)bytes) < 0) {
		errorf("cannot size %s to %llu bytes:", path, (unsigned long long)bytes);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The scratch files of one build, in a new directory o->tmpdir/image.XXXXXX; the tools are run
 * there and given the names below, relative to it. */
struct scratch {
	char *dir, *esp, *root, *raw;
	struct strv efi;        /* what ROOT/boot/efi holds, deepest first (esp_stage) */
};
#define ESP_FILE "esp.fat"
#define ESP_TREE "esp"
#define ROOT_FILE "root.ext4"
#define RAW_FILE "disk.raw"
#define RM_SCRIPT "efi-rm.debugfs"
#define MKE2FS_CONF "mke2fs.conf"

/* ---- a deterministic image: the same root gives the same bytes ----
 * The ids come from state/disk.conf (GPT GUIDs, the ext4 UUID and hash seed, the FAT volume id);
 * every time the tools write is SOURCE_DATE_EPOCH, else the book's release date; mke2fs takes
 * its options from our file, not the host's /etc/mke2fs.conf; mcopy keeps the staged files'
 * times and names come in a sorted order (esp_stage); qemu-img writes in order (no -W). */
#define LFS_RELEASE_EPOCH BOOK_RELEASE_EPOCH   /* 2025-03-05, LFS 12.3 */

/* Debian 12's ext4 settings (e2fsprogs 1.47.0), pinned: another host's defaults (orphan_file,
 * metadata_csum_seed, another inode size) would make another file system. */
static const char mke2fs_conf[] =
	"[defaults]\n"
	"\tbase_features = sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr\n"
	"\tdefault_mntopts = acl,user_xattr\n"
	"\tenable_periodic_fsck = 0\n"
	"\tblocksize = 4096\n"
	"\tinode_size = 256\n"
	"\tinode_ratio = 16384\n"
	"[fs_types]\n"
	"\text4 = {\n"
	"\t\tfeatures = has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize\n"
	"\t}\n"
	"\tsmall = {\n\t\tblocksize = 1024\n\t\tinode_ratio = 4096\n\t}\n"
	"\tfloppy = {\n\t\tblocksize = 1024\n\t\tinode_ratio = 8192\n\t}\n";

/* SOURCE_DATE_EPOCH when it is a number, else LFS 12.3's release date. 0 becomes 1: e2fsprogs
 * takes a fake time of 0 for none and would read the clock. */
long long image_epoch(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v = s && *s ? strtoll(s, &end, 10) : -1;
	return v > 0 && !*end ? v : v == 0 && !*end ? 1 : LFS_RELEASE_EPOCH;
}

/* The environment of the file system tools: their clocks stopped at the epoch, mke2fs reading
 * only our settings (written into the scratch directory). */
static int tools_env(const struct scratch *sc)
{
	char *conf = path_join(sc->dir, MKE2FS_CONF);
	int rc = write_file_atomic(conf, mke2fs_conf, strlen(mke2fs_conf), 0600);
	if (rc < 0)
		errorf("cannot write %s:", conf);
	char *epoch = xasprintf("%lld", image_epoch());
	setenv("MKE2FS_CONFIG", conf, 1);
	setenv("E2FSPROGS_FAKE_TIME", epoch, 1);
	setenv("SOURCE_DATE_EPOCH", epoch, 1);
	free(epoch);
	free(conf);
	return rc;
}

/* The FAT volume id (the ESP's "UUID" in blkid) from the ESP's PARTUUID, written over the
 * constant of mkfs.vfat --invariant in the boot sector and its backup (sector 6), offset 67. */
static int set_volume_id(const struct scratch *sc, const char *esp_partuuid)
{
	unsigned long id = strtoul((char[9]){esp_partuuid[0], esp_partuuid[1], esp_partuuid[2], esp_partuuid[3],
	                                     esp_partuuid[4], esp_partuuid[5], esp_partuuid[6], esp_partuuid[7], 0},
	                           NULL, 16);
	unsigned char le[4] = {id & 0xff, (id >> 8) & 0xff, (id >> 16) & 0xff, (id >> 24) & 0xff};
	int fd = open(sc->esp, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errorf("cannot open %s:", sc->esp);
	int rc = 0;
	if (pwrite(fd, le, 4, 67) != 4 || pwrite(fd, le, 4, 6 * 512 + 67) != 4)
		rc = errorf("cannot write the volume id into %s:", sc->esp);
	close(fd);
	return rc;
}

/* The ESP: FAT32 filled by mtools with the staged copy of ROOT/boot/efi (esp_stage: no link
 * followed, nothing but files and directories). */
static int make_esp(const struct image_opts *o, struct scratch *sc, uint64_t bytes)
{
	char *tree = path_join(sc->dir, ESP_TREE);
	int rc = mkdir(tree, 0700) < 0 ? errorf("cannot create %s:", tree) : esp_stage(o->root, tree, &sc->efi);
	free(tree);
	if (rc < 0 || make_sized_file(sc->esp, bytes) < 0)
		return -1;
	/* --invariant: no clock and no random volume id (set_volume_id puts the state's in) */
	char *mkfs[] = {"mkfs.vfat", "--invariant", "-F", "32", "-n", "LFS-ESP", ESP_FILE, NULL};
	if (run(o, sc->dir, "mkfs.vfat (the EFI system partition)", mkfs) < 0 || set_volume_id(sc, o->ids->esp) < 0)
		return -1;
	struct strv argv = {0};
	const char *opts[] = {"mcopy", "-s", "-p", "-m", "-Q", "-i", ESP_FILE};
	for (size_t i = 0; i < ARRAY_LEN(opts); i++)
		strv_add(&argv, opts[i]);
	/* each top-level entry of /boot/efi, copied recursively into the root of the FAT */
	for (size_t i = 0; i < sc->efi.n; i++) {
		const char *p = sc->efi.v[i];
		size_t n = strcspn(p + 1, "/");
		if (!p[1 + n] || !p[2 + n])
			strv_push(&argv, xasprintf(ESP_TREE "/%.*s", (int)n, p + 1));
	}
	if (argv.n > ARRAY_LEN(opts)) {
		strv_add(&argv, "::/");
		rc = run(o, sc->dir, "mcopy (filling the EFI system partition)", argv.v);
	}
	strv_free(&argv);
	return rc;
}

/* A debugfs script that deletes what ROOT/boot/efi holds from the ext4 copy (deepest first). */
static int efi_rm_script(const struct scratch *sc, struct buf *script)
{
	for (size_t i = 0; i < sc->efi.n; i++) {
		const char *rel = sc->efi.v[i];
		size_t n = strlen(rel);
		bool dir = rel[n - 1] == '/';
		if (strpbrk(rel, "\"\n\\"))
			return errorf("/boot/efi%s: a name with a quote, backslash or newline cannot be left out of the ext4 root",
			              rel);
		buf_printf(script, "%s \"/boot/efi%.*s\"\n", dir ? "rmdir" : "rm", (int)(dir ? n - 1 : n), rel);
	}
	return 0;
}

/* The ext4 root: mke2fs -d copies the tree (a symlink as a symlink, a device as a device: it
 * lstat()s each entry and reads only regular files), then /boot/efi is emptied there. */
static int make_root(const struct image_opts *o, const struct scratch *sc, uint64_t bytes)
{
	if (make_sized_file(sc->root, bytes) < 0)
		return -1;
	char *seed = xasprintf("hash_seed=%s", o->ids->root_fs);   /* the directory hash's seed: not random */
	/* mke2fs -d copies each file's access time, and its own reading would change it (relatime: the
	 * first read after a write): as root, it reads the tree through a read-only noatime bind mount
	 * in a mount namespace of its own, so that imaging leaves the root as it was and a second
	 * image is the same. */
	char *mkfs[] = {"unshare", "--mount", "--propagation", "private", "sh", "-c",
	                "mount --bind -- \"$1\" \"$1\" && mount -o remount,bind,ro,noatime -- \"$1\" && shift && exec \"$@\"",
	                "sh", (char *)o->root,
	                "mke2fs", "-q", "-F", "-t", "ext4", "-L", "lfs-root", "-U", (char *)o->ids->root_fs,
	                "-E", seed, "-d", (char *)o->root, ROOT_FILE, NULL};
	char **argv = geteuid() == 0 ? mkfs : mkfs + 9;   /* not root: mke2fs itself, times may move */
	int made = run(o, sc->dir, "mke2fs -d (the ext4 root from the tree)", argv);
	free(seed);
	if (made < 0)
		return -1;
	/* /boot/efi is the ESP's mount point: its content lives on the FAT, so leave it empty here. */
	struct buf script = {0};
	int rc = efi_rm_script(sc, &script);
	if (rc == 0 && script.len) {
		char *sp = path_join(sc->dir, RM_SCRIPT);
		if (write_file_atomic(sp, script.data, script.len, 0600) < 0) {
			rc = errorf("cannot write %s:", sp);
		} else {
			char *dbg[] = {"debugfs", "-w", "-f", RM_SCRIPT, ROOT_FILE, NULL};
			rc = run(o, sc->dir, "debugfs (emptying /boot/efi in the ext4 root)", dbg);
		}
		free(sp);
	}
	buf_free(&script);
	return rc;
}

static int copy_into(const char *from, int disk, uint64_t off, const char *disk_path)
{
	char err[1024];
	if (file_copy_into(from, disk, off, disk_path, err, sizeof err) < 0)
		return errorf("%s", err);
	return 0;
}

static double file_bytes_on_disk(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (double)st.st_blocks * 512.0 : 0;
}

/* The partition table for o->size with the disk's ids, after checking that there is a root to
 * put on it. 0, or -1 after saying what is wrong. */
static int plan_disk(const struct image_opts *o, struct gpt_layout *l)
{
	if (!is_dir(o->root))
		return errorf("%s: no such directory (build the system first: lfsbuild build, or give --root DIR)", o->root);
	char *bootx = path_join(o->root, "boot/efi/EFI/BOOT/BOOTX64.EFI");
	if (!path_exists(bootx))
		warnx("%s is missing: the disk will have no boot loader (step ch10/grub installs it)", bootx);
	free(bootx);
	struct gpt_guid disk, esp, root;
	gpt_guid_parse(o->ids->disk, &disk);
	gpt_guid_parse(o->ids->esp, &esp);
	gpt_guid_parse(o->ids->root, &root);
	if (gpt_plan(o->size, MIN_ROOT_BYTES, &disk, &esp, &root, l) < 0)
		return errorf("a disk of %s is too small: it needs 301 MiB for the ESP and at least %s of root (--size)",
		              fmt_bytes((double)o->size), fmt_bytes((double)MIN_ROOT_BYTES));
	return 0;
}

static uint64_t part_bytes(const struct gpt_layout *l, int i)
{
	return (l->part[i].last - l->part[i].first + 1) * GPT_SECTOR;
}

static int scratch_make(const struct image_opts *o, struct scratch *sc)
{
	memset(sc, 0, sizeof *sc);
	if (mkdir_p(o->tmpdir, 0755) < 0)
		return errorf("cannot create %s:", o->tmpdir);
	sc->dir = path_join(o->tmpdir, "image.XXXXXX");
	if (!mkdtemp(sc->dir)) {
		errorf("cannot create a directory in %s:", o->tmpdir);
		free(sc->dir);
		sc->dir = NULL;
		return -1;
	}
	sc->esp = path_join(sc->dir, ESP_FILE);
	sc->root = path_join(sc->dir, ROOT_FILE);
	sc->raw = path_join(sc->dir, RAW_FILE);
	return 0;
}

static void scratch_remove(struct scratch *sc)
{
	if (sc->dir)
		remove_tree(sc->dir);
	free(sc->dir);
	free(sc->esp);
	free(sc->root);
	free(sc->raw);
	strv_free(&sc->efi);
}

/* Both file systems as files: the ESP (FAT32, checked) and the root (ext4). */
static int make_filesystems(const struct image_opts *o, const struct gpt_layout *l, struct scratch *sc)
{
	char *efidir = path_join(o->root, "boot/efi");
	printf("image: ESP (FAT32, %s) from %s\n", fmt_bytes((double)part_bytes(l, 0)), efidir);
	fflush(stdout);
	free(efidir);
	int rc = make_esp(o, sc, part_bytes(l, 0));
	char *fsck_vfat[] = {"fsck.vfat", "-n", ESP_FILE, NULL};
	if (rc < 0 || run(o, sc->dir, "fsck.vfat -n (checking the ESP)", fsck_vfat) < 0)
		return -1;
	printf("image: root (ext4, %s) from %s\n", fmt_bytes((double)part_bytes(l, 1)), o->root);
	fflush(stdout);
	return make_root(o, sc, part_bytes(l, 1));
}

/* Into the open raw disk `fd`: our GPT, both file systems at their partitions' places; then
 * the table read back. */
static int fill_disk(int fd, const struct gpt_layout *l, const struct scratch *sc)
{
	if (gpt_write(fd, l) < 0)
		return errorf("writing the partition table into %s:", sc->raw);
	if (copy_into(sc->esp, fd, l->part[0].first * GPT_SECTOR, sc->raw) < 0 ||
	    copy_into(sc->root, fd, l->part[1].first * GPT_SECTOR, sc->raw) < 0)
		return -1;
	if (fsync(fd) < 0)
		return errorf("fsync %s:", sc->raw);
	const char *why = NULL;
	struct gpt_layout back;
	if (gpt_read(fd, l->sectors * GPT_SECTOR, &back, &why) < 0 || back.nparts != 2)
		return errorf("%s: the partition table does not read back: %s", sc->raw, why ? why : "wrong partition count");
	return 0;
}

/* The raw disk of o->size, filled; the file systems' files are removed once they are in it. */
static int assemble_disk(const struct image_opts *o, const struct gpt_layout *l, const struct scratch *sc)
{
	printf("image: GPT disk of %s: ESP PARTUUID=%s, root PARTUUID=%s\n", fmt_bytes((double)o->size), o->ids->esp,
	       o->ids->root);
	fflush(stdout);
	if (make_sized_file(sc->raw, l->sectors * GPT_SECTOR) < 0)
		return -1;
	int fd = open(sc->raw, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errorf("cannot open %s:", sc->raw);
	int rc = fill_disk(fd, l, sc);
	close(fd);
	if (rc == 0) {
		unlink(sc->esp);
		unlink(sc->root);
	}
	return rc;
}

/* Check the file systems where they now are, in the disk. */
static int check_disk(const struct image_opts *o, const struct gpt_layout *l, const struct scratch *sc)
{
	char *e2 = xasprintf(RAW_FILE "?offset=%llu", (unsigned long long)(l->part[1].first * GPT_SECTOR));
	char *fsck_ext4[] = {"e2fsck", "-fn", e2, NULL};
	int rc = run(o, sc->dir, "e2fsck -fn (checking the root partition in the disk)", fsck_ext4);
	free(e2);
	if (rc < 0)
		return -1;
	char *mt = xasprintf(RAW_FILE "@@%llu", (unsigned long long)(l->part[0].first * GPT_SECTOR));
	char *mdir[] = {"mdir", "-i", mt, "::/", NULL};
	rc = run(o, sc->dir, "mdir (reading the ESP back from the disk)", mdir);
	free(mt);
	return rc;
}

/* The raw disk converted into `part` (OUTPUT.part), checked, and renamed to the output. */
static int convert_qcow2(const struct image_opts *o, const struct scratch *sc, const char *part)
{
	printf("image: qcow2 %s\n", o->output);
	fflush(stdout);
	unlink(part);
	/* `part` is absolute (path_abs): qemu-img takes no "PROTOCOL:" out of a name that starts
	 * with '/' */
	char *conv[] = {"qemu-img", "convert", "-O", "qcow2", o->compress ? "-c" : "-q", "-f", "raw", RAW_FILE,
	                (char *)part, NULL};
	if (run(o, sc->dir, "qemu-img convert", conv) < 0)
		return -1;
	char *check[] = {"qemu-img", "check", "-f", "qcow2", (char *)part, NULL};
	if (run(o, sc->dir, "qemu-img check", check) < 0)
		return -1;
	if (interrupted)
		return errorf("interrupted (signal %d)", (int)interrupted);
	if (rename(part, o->output) < 0)
		return errorf("cannot rename %s to %s:", part, o->output);
	return 0;
}

int image_build(const struct image_opts *o)
{
	struct gpt_layout l;
	struct scratch sc;
	if (plan_disk(o, &l) < 0 || scratch_make(o, &sc) < 0)
		return -1;
	if (tools_env(&sc) < 0) {
		scratch_remove(&sc);
		return -1;
	}
	char *part = xasprintf("%s.part", o->output);
	/* SIGINT and SIGTERM end the tool that runs; then the build stops and cleans up. */
	struct sigaction sa = {0}, old_int, old_term;
	sa.sa_handler = on_signal;
	interrupted = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	double t0 = now_mono();
	int rc = -1;
	if (make_filesystems(o, &l, &sc) == 0 && assemble_disk(o, &l, &sc) == 0 && check_disk(o, &l, &sc) == 0 &&
	    convert_qcow2(o, &sc, part) == 0) {
		printf("image: done in %s: %s, virtual %s, %s on disk\n", fmt_duration(now_mono() - t0), o->output,
		       fmt_bytes((double)o->size), fmt_bytes(file_bytes_on_disk(o->output)));
		rc = 0;
	}
	if (rc < 0)
		unlink(part);
	scratch_remove(&sc);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	free(part);
	return rc;
}
