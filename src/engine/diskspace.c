/* disk: free space before a step starts, and after it failed. */
#include "engine/diskspace.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* `path`, or its nearest existing parent (malloc'd). */
static char *existing(const char *path)
{
	char *p = xstrdup(path);
	struct stat st;
	while (stat(p, &st) < 0) {
		char *slash = strrchr(p, '/');
		if (!slash || slash == p) {
			free(p);
			return xstrdup("/");
		}
		*slash = '\0';
	}
	return p;
}

int disk_free(const char *path, unsigned long long *avail, unsigned long long *dev)
{
	char *p = existing(path);
	struct statvfs vfs;
	struct stat st;
	int r = statvfs(p, &vfs);
	if (r == 0 && dev)
		r = stat(p, &st);
	free(p);
	if (r < 0)
		return -1;
	*avail = (unsigned long long)vfs.f_bavail * (unsigned long long)vfs.f_frsize;
	if (dev)
		*dev = (unsigned long long)st.st_dev;
	return 0;
}

char *disk_mount_point(const char *path)
{
	char *e = existing(path);
	char *cur = realpath(e, NULL);
	free(e);
	if (!cur)
		return xstrdup(path);
	struct stat st, up;
	if (stat(cur, &st) < 0)
		return cur;
	while (strcmp(cur, "/")) {
		char *parent = xstrdup(cur);
		char *slash = strrchr(parent, '/');
		slash[slash == parent ? 1 : 0] = '\0';
		if (stat(parent, &up) < 0 || up.st_dev != st.st_dev) {
			free(parent);
			break;
		}
		free(cur);
		cur = parent;
	}
	return cur;
}

int disk_check(const char *const *paths, size_t n, unsigned long long need, struct buf *why)
{
	unsigned long long devs[8];
	size_t ndev = 0;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned long long avail, dev;
		if (disk_free(paths[i], &avail, &dev) < 0)
			continue; /* cannot tell: the step's own errors will */
		bool seen = false;
		for (size_t k = 0; k < ndev; k++)
			seen |= devs[k] == dev;
		if (seen)
			continue;
		if (ndev < sizeof devs / sizeof *devs)
			devs[ndev++] = dev;
		if (avail >= need)
			continue;
		char *mnt = disk_mount_point(paths[i]);
		/* fmt_bytes() keeps 4 buffers: both fit */
		buf_printf(why, "%sneeds about %s, %s free on %s (%s)", rc ? "; " : "", fmt_bytes((double)need),
		           fmt_bytes((double)avail), mnt, paths[i]);
		free(mnt);
		rc = -1;
	}
	return rc;
}

int disk_fullest(const char *const *paths, size_t n, unsigned long long *avail)
{
	int best = -1;
	for (size_t i = 0; i < n; i++) {
		unsigned long long a;
		if (disk_free(paths[i], &a, NULL) < 0)
			continue;
		if (best < 0 || a < *avail) {
			best = (int)i;
			*avail = a;
		}
	}
	return best;
}

bool disk_log_says_full(const char *log)
{
	return file_tail_contains(log, 1 << 20, "No space left on device");
}
