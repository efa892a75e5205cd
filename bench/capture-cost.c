/* bench/capture-cost: what lfsbuild does after a captured step, measured on the step's own package
 * archive, away from any build (so on a quiet machine whenever wanted).
 *
 *   build/bench/capture-cost ARCHIVE STEP VERSION HASH SCRATCH
 *
 * unpacks ARCHIVE (as the binary cache would) into SCRATCH/capture/STEP/upper, as if the step had
 * just written it there, and times the three parts of the engine's post-step work on it: the file
 * list (a sha256 of every file), the package archive (tar + zstd), and capture_merge (list,
 * archive and the merge into the empty SCRATCH/root, journal and fsyncs included), the same
 * functions the engine calls. One line, tab-separated:
 *   STEP files bytes unpack_wall unpack_cpu list_wall list_cpu pack_wall pack_cpu merge_wall merge_cpu
 * bench/capture-cost.sh runs it over a work directory's archives and writes docs/BENCHMARKS.md's table. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "engine/capture.h"
#include "lib/util.h"
#include "packages/package.h"

static double wall_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu_now(void)
{
	struct rusage r;
	getrusage(RUSAGE_SELF, &r);
	return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

struct clock {
	double wall, cpu;
};

static struct clock start(void)
{
	return (struct clock){wall_now(), cpu_now()};
}

static void lap(struct clock c, double *wall, double *cpu)
{
	*wall = wall_now() - c.wall;
	*cpu = cpu_now() - c.cpu;
}

/* the regular files of a file list and their bytes */
static void count(const char *list, long *files, long long *bytes)
{
	*files = 0;
	*bytes = 0;
	for (const char *l = list; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char what[16], type;
		unsigned mode, uid, gid;
		long long size;
		if (*l != '#' && sscanf(l, "%15s %c %o %u %u %lld", what, &type, &mode, &uid, &gid, &size) == 6 &&
		    type == 'f') {
			++*files;
			*bytes += size;
		}
	}
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: %s ARCHIVE STEP VERSION HASH SCRATCH\n", argv[0]);
		return 2;
	}
	const char *archive = argv[1], *id = argv[2], *scratch = argv[5];
	struct package_id want = {id, argv[3], argv[4], NULL};
	char err[2048];
	char *dir = capture_dir(scratch, id), *upper = path_join(dir, "upper"), *root = path_join(scratch, "root");
	char *out = path_join(scratch, "archive.tar.zst");
	if (mkdir_p(upper, 0755) < 0 || mkdir_p(root, 0755) < 0) {
		fprintf(stderr, "capture-cost: cannot make %s or %s: %s\n", upper, root, strerror(errno));
		return 1;
	}
	int fd = open(archive, O_RDONLY | O_CLOEXEC);
	double uw, uc, lw, lc, pw, pc, mw, mc;
	struct clock c = start();
	if (fd < 0 || package_unpack(fd, archive, &want, upper, err, sizeof err) < 0) {
		fprintf(stderr, "capture-cost: %s: %s\n", archive, fd < 0 ? strerror(errno) : err);
		return 1;
	}
	close(fd);
	lap(c, &uw, &uc);
	struct buf list = {0};
	c = start();
	if (capture_list_tree(id, root, upper, &list, err, sizeof err) < 0) {
		fprintf(stderr, "capture-cost: the file list: %s\n", err);
		return 1;
	}
	lap(c, &lw, &lc);
	c = start();
	if (package_pack(upper, list.data, &want, out, err, sizeof err) < 0) {
		fprintf(stderr, "capture-cost: the archive: %s\n", err);
		return 1;
	}
	lap(c, &pw, &pc);
	unlink(out);
	struct capture_pack pack = {want.version, want.hash, NULL};
	c = start();
	if (capture_merge(scratch, id, root, &pack, NULL, err, sizeof err) < 0) {
		fprintf(stderr, "capture-cost: the merge: %s\n", err);
		return 1;
	}
	lap(c, &mw, &mc);
	long files;
	long long bytes;
	count(list.data, &files, &bytes);
	printf("%s\t%ld\t%lld\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\n", id, files, bytes, uw, uc, lw, lc, pw, pc, mw,
	       mc);
	buf_free(&list);
	free(dir);
	free(upper);
	free(root);
	free(out);
	return 0;
}
