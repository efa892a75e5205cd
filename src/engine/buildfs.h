/* buildfs: where a step's build directory lives, on disk or on a tmpfs (--build-tmpfs,
 * docs/engine.md, "Build trees on tmpfs"). The tmpfs is a detached mount (fsopen + fsmount):
 * lfsbuild holds it by an fd, never mounts it on the host; the step's sandbox attaches it at
 * the build directory in the step's own mount namespace. When lfsbuild dies, the fd goes and
 * the memory with it: nothing is left mounted anywhere. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* The tmpfs's size limit: the recipe's `disk` line, half as much again, and 256 MiB (the
 * book's figures are rounded estimates of a build on another machine; a limit reached fails
 * the step, while the limit itself costs nothing: a tmpfs only takes what is written). */
#define BUILDFS_LIMIT(disk) ((disk) + (disk) / 2 + (256ULL << 20))
/* What must stay free besides the tmpfs: the compilers' own memory (gcc's biggest files take
 * about 1 GiB each with -j2) and the page cache: the larger of 2 GiB and an eighth of RAM. */
#define BUILDFS_RESERVE(total) ((total) / 8 > (2ULL << 30) ? (total) / 8 : (2ULL << 30))

struct buildfs_choice {
	bool tmpfs;
	unsigned long long limit;   /* the tmpfs's size, bytes */
	char why[256];              /* one line for the step's log: why here, with the figures */
};

/* Decide for a step: `mode` "on", "off", "auto" (NULL or "": auto); `disk` its `disk` line (0:
 * none); `avail` and `total` MemAvailable and MemTotal (bytes); `committed` the limits of the
 * tmpfs of the steps running now. auto: a tmpfs when the step has a `disk` line and
 * BUILDFS_LIMIT(disk) + committed + BUILDFS_RESERVE(total) <= avail. on: always (without a
 * `disk` line the limit is half of RAM). `as_root` false: never (a mount needs root). */
void buildfs_decide(const char *mode, bool as_root, unsigned long long disk, unsigned long long avail,
                    unsigned long long total, unsigned long long committed, struct buildfs_choice *c);
/* MemAvailable and MemTotal from /proc/meminfo, bytes. 0, or -1. */
int buildfs_meminfo(unsigned long long *avail, unsigned long long *total);
/* A new tmpfs of `limit` bytes (nosuid, nodev, mode 0755), detached: its fd (close-on-exec),
 * or -1 with the reason in err. */
int buildfs_tmpfs(unsigned long long limit, char *err, size_t errlen);
/* The tree of the tmpfs `fd` into the directory `dest` (on disk, existing and empty), as it is
 * (`cp -a`: links as links, owners, modes; never through a symlink of the tree). `log`: where
 * cp's command line and output go. 0, or -1 with the reason in err. */
int buildfs_copy_out(int fd, const char *dest, const char *log, char *err, size_t errlen);
