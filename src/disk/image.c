/* image: root tree -> ESP + ext4 + GPT in a sparse raw disk -> qcow2. */
#include "disk/image.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/exec.h"
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

/* Run a tool; on failure say what failed with the end of its output and the log's path. */
static int run(const struct image_opts *o, const char *what, char *const argv[])
{
	if (interrupted) {
		errno = EINTR;
		return errorf("%s: interrupted (signal %d)", what, (int)interrupted);
	}
	struct buf out = {0};
	int rc = exec_tool(argv, &out, o->logpath);
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

/* The ESP: FAT32 filled with ROOT/boot/efi by mtools. */
static int make_esp(const struct image_opts *o, const char *esp, uint64_t bytes, const char *efidir)
{
	if (make_sized_file(esp, bytes) < 0)
		return -1;
	char *mkfs[] = {"mkfs.vfat", "-F", "32", "-n", "LFS-ESP", (char *)esp, NULL};
	if (run(o, "mkfs.vfat (the EFI system partition)", mkfs) < 0)
		return -1;
	struct strv argv = {0};
	strv_add(&argv, "mcopy");
	strv_add(&argv, "-s");
	strv_add(&argv, "-p");
	strv_add(&argv, "-m");
	strv_add(&argv, "-Q");
	strv_add(&argv, "-i");
	strv_add(&argv, esp);
	struct strv names = {0};
	if (is_dir(efidir)) {
		/* Each top-level entry of /boot/efi, copied recursively into the root of the FAT. */
		DIR *d = opendir(efidir);
		if (!d) {
			strv_free(&argv);
			return errorf("cannot read %s:", efidir);
		}
		for (struct dirent *e; (e = readdir(d));) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			strv_push(&names, path_join(efidir, e->d_name));
		}
		closedir(d);
	}
	int rc = 0;
	if (names.n) {
		for (size_t i = 0; i < names.n; i++)
			strv_add(&argv, names.v[i]);
		strv_add(&argv, "::/");
		rc = run(o, "mcopy (filling the EFI system partition)", argv.v);
	}
	strv_free(&names);
	strv_free(&argv);
	return rc;
}

/* What of ROOT/boot/efi to delete from the ext4 copy (deepest first): a debugfs script. */
static struct buf *rm_script;
static size_t rm_prefix;
static int rm_bad;

static int add_rm(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	if (ftw->level == 0)
		return 0;
	const char *rel = path + rm_prefix;
	if (strpbrk(rel, "\"\n\\")) {
		rm_bad = 1;
		errorf("%s: a name with a quote, backslash or newline cannot be left out of the ext4 root", path);
		return 1;
	}
	buf_printf(rm_script, "%s \"/boot/efi%s\"\n", type == FTW_DP ? "rmdir" : "rm", rel);
	return 0;
}

static int make_root(const struct image_opts *o, const char *img, uint64_t bytes, const char *tmp)
{
	if (make_sized_file(img, bytes) < 0)
		return -1;
	char *mkfs[] = {"mke2fs", "-q", "-F", "-t", "ext4", "-L", "lfs-root", "-U", (char *)o->ids->root_fs,
	                "-d", (char *)o->root, (char *)img, NULL};
	if (run(o, "mke2fs -d (the ext4 root from the tree)", mkfs) < 0)
		return -1;
	/* /boot/efi is the ESP's mount point: its content lives on the FAT, so leave it empty here. */
	char *efidir = path_join(o->root, "boot/efi");
	int rc = 0;
	if (is_dir(efidir)) {
		struct buf script = {0};
		rm_script = &script;
		rm_prefix = strlen(efidir);
		rm_bad = 0;
		if (nftw(efidir, add_rm, 32, FTW_DEPTH | FTW_PHYS) != 0 || rm_bad) {
			if (!rm_bad)
				errorf("cannot walk %s:", efidir);
			rc = -1;
		} else if (script.len) {
			char *sp = path_join(tmp, "efi-rm.debugfs");
			if (write_file_atomic(sp, script.data, script.len, 0600) < 0) {
				rc = errorf("cannot write %s:", sp);
			} else {
				char *dbg[] = {"debugfs", "-w", "-f", sp, (char *)img, NULL};
				rc = run(o, "debugfs (emptying /boot/efi in the ext4 root)", dbg);
			}
			free(sp);
		}
		buf_free(&script);
	}
	free(efidir);
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

/* The scratch files of one build, in a new directory o->tmpdir/image.XXXXXX. */
struct scratch {
	char *dir, *esp, *root, *raw;
};

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
	sc->esp = path_join(sc->dir, "esp.fat");
	sc->root = path_join(sc->dir, "root.ext4");
	sc->raw = path_join(sc->dir, "disk.raw");
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
}

/* Both file systems as files: the ESP (FAT32, checked) and the root (ext4). */
static int make_filesystems(const struct image_opts *o, const struct gpt_layout *l, const struct scratch *sc)
{
	char *efidir = path_join(o->root, "boot/efi");
	printf("image: ESP (FAT32, %s) from %s\n", fmt_bytes((double)part_bytes(l, 0)), efidir);
	fflush(stdout);
	int rc = make_esp(o, sc->esp, part_bytes(l, 0), efidir);
	free(efidir);
	char *fsck_vfat[] = {"fsck.vfat", "-n", sc->esp, NULL};
	if (rc < 0 || run(o, "fsck.vfat -n (checking the ESP)", fsck_vfat) < 0)
		return -1;
	printf("image: root (ext4, %s) from %s\n", fmt_bytes((double)part_bytes(l, 1)), o->root);
	fflush(stdout);
	return make_root(o, sc->root, part_bytes(l, 1), sc->dir);
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
static int check_disk(const struct image_opts *o, const struct gpt_layout *l, const char *raw)
{
	char *e2 = xasprintf("%s?offset=%llu", raw, (unsigned long long)(l->part[1].first * GPT_SECTOR));
	char *fsck_ext4[] = {"e2fsck", "-fn", e2, NULL};
	int rc = run(o, "e2fsck -fn (checking the root partition in the disk)", fsck_ext4);
	free(e2);
	if (rc < 0)
		return -1;
	char *mt = xasprintf("%s@@%llu", raw, (unsigned long long)(l->part[0].first * GPT_SECTOR));
	char *mdir[] = {"mdir", "-i", mt, "::/", NULL};
	rc = run(o, "mdir (reading the ESP back from the disk)", mdir);
	free(mt);
	return rc;
}

/* The raw disk converted into `part` (OUTPUT.part), checked, and renamed to the output. */
static int convert_qcow2(const struct image_opts *o, const char *raw, const char *part)
{
	printf("image: qcow2 %s\n", o->output);
	fflush(stdout);
	unlink(part);
	char *conv[] = {"qemu-img", "convert", "-O", "qcow2", o->compress ? "-c" : "-q", "-f", "raw", (char *)raw,
	                (char *)part, NULL};
	if (run(o, "qemu-img convert", conv) < 0)
		return -1;
	char *check[] = {"qemu-img", "check", (char *)part, NULL};
	if (run(o, "qemu-img check", check) < 0)
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
	char *part = xasprintf("%s.part", o->output);
	/* SIGINT and SIGTERM end the tool that runs; then the build stops and cleans up. */
	struct sigaction sa = {0}, old_int, old_term;
	sa.sa_handler = on_signal;
	interrupted = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	double t0 = now_mono();
	int rc = -1;
	if (make_filesystems(o, &l, &sc) == 0 && assemble_disk(o, &l, &sc) == 0 && check_disk(o, &l, sc.raw) == 0 &&
	    convert_qcow2(o, sc.raw, part) == 0) {
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
