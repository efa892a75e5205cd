/* buildfs: a step's build directory on a detached tmpfs, or on disk. */
#include "engine/buildfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "lib/exec.h"
#include "lib/util.h"

void buildfs_decide(const char *mode, bool as_root, unsigned long long disk, unsigned long long avail,
                    unsigned long long total, unsigned long long committed, struct buildfs_choice *c)
{
	memset(c, 0, sizeof *c);
	bool on = mode && !strcmp(mode, "on");
	if (mode && !strcmp(mode, "off")) {
		snprintf(c->why, sizeof c->why, "on disk (--build-tmpfs off)");
		return;
	}
	if (!as_root) {
		snprintf(c->why, sizeof c->why, "on disk (a tmpfs needs root)");
		return;
	}
	if (on) {
		c->tmpfs = true;
		c->limit = disk ? BUILDFS_LIMIT(disk) : total / 2;
		snprintf(c->why, sizeof c->why, "on a tmpfs of at most %s (--build-tmpfs on; %s)", fmt_bytes((double)c->limit),
		         disk ? "its `disk` line, half as much again and 256 MiB" : "no `disk` line: half of the RAM");
		return;
	}
	if (!disk) {
		snprintf(c->why, sizeof c->why, "on disk (no `disk` line: its size is not known)");
		return;
	}
	unsigned long long limit = BUILDFS_LIMIT(disk), reserve = BUILDFS_RESERVE(total);
	if (limit + committed + reserve > avail) {
		snprintf(c->why, sizeof c->why,
		         "on disk (a tmpfs of %s, with %s for the running steps' tmpfs and %s kept free, does not fit in "
		         "the %s of memory available)",
		         fmt_bytes((double)limit), fmt_bytes((double)committed), fmt_bytes((double)reserve),
		         fmt_bytes((double)avail));
		return;
	}
	c->tmpfs = true;
	c->limit = limit;
	snprintf(c->why, sizeof c->why, "on a tmpfs of at most %s (its `disk` line %s, half as much again and 256 MiB; %s of "
	         "memory available)", fmt_bytes((double)limit), fmt_bytes((double)disk), fmt_bytes((double)avail));
}

int buildfs_meminfo(unsigned long long *avail, unsigned long long *total)
{
	FILE *f = fopen("/proc/meminfo", "re");
	if (!f)
		return -1;
	char line[256];
	int found = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long long kib;
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			*avail = kib << 10, found |= 1;
		else if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
			*total = kib << 10, found |= 2;
	}
	fclose(f);
	return found == 3 ? 0 : -1;
}

int buildfs_tmpfs(unsigned long long limit, char *err, size_t errlen)
{
	int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return set_error(err, errlen, "fsopen tmpfs: %s", strerror(errno));
	char size[32];
	snprintf(size, sizeof size, "%lluk", (limit + 1023) >> 10);
	int m = -1;
	if (fsconfig(fs, FSCONFIG_SET_STRING, "size", size, 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)) < 0)
		set_error(err, errlen, "a tmpfs of %s: %s", size, strerror(errno));
	close(fs);
	return m;
}

int buildfs_copy_out(int fd, const char *dest, const char *log, char *err, size_t errlen)
{
	char from[64];
	snprintf(from, sizeof from, "/proc/self/fd/%d/.", fd);   /* cp's own fd: inherited, cp runs in it */
	char *argv[] = {"cp", "-a", "-T", "--", ".", (char *)dest, NULL};
	struct buf out = {0};
	int rc = exec_tool_in(from, argv, &out, log);
	if (rc != 0)
		set_error(err, errlen, "cp -a of the tmpfs into %s %s: %s", dest,
		          rc < 0 ? "could not start" : "failed", out.data ? out.data : strerror(errno));
	buf_free(&out);
	return rc == 0 ? 0 : -1;
}
