/* getcwd-walk: prints the working directory found the way bash's own getcwd (lib/sh/getcwd.c,
 * used when bash is cross-compiled, as in LFS chapter 6) and gnulib's find it: walk up "..",
 * and in each parent look for the entry with the inode of the directory below. Where the parent
 * is on the same device, only entries with that inode number (d_ino) are looked at, so a bind
 * mount whose parent sits on the same file system is never found. tests/engine/chroot.sh runs
 * it inside a chroot step to prove that the build directory can be found this way. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	char path[PATH_MAX] = "", up[PATH_MAX] = ".";
	struct stat root, dot;
	if (stat("/", &root) < 0 || stat(".", &dot) < 0)
		return perror("stat"), 2;
	while (dot.st_dev != root.st_dev || dot.st_ino != root.st_ino) {
		char parent[PATH_MAX];
		struct stat pst;
		snprintf(parent, sizeof parent, "%s/..", up);
		if (stat(parent, &pst) < 0)
			return perror(parent), 2;
		int mount_point = pst.st_dev != dot.st_dev;
		DIR *d = opendir(parent);
		if (!d)
			return perror(parent), 2;
		struct dirent *e;
		int found = 0;
		while (!found && (e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (!mount_point && e->d_ino != dot.st_ino)
				continue;
			char p[PATH_MAX * 2];
			struct stat st;
			snprintf(p, sizeof p, "%s/%s", parent, e->d_name);
			if (lstat(p, &st) == 0 && st.st_dev == dot.st_dev && st.st_ino == dot.st_ino) {
				char tmp[PATH_MAX];
				snprintf(tmp, sizeof tmp, "/%s%s", e->d_name, path);
				strcpy(path, tmp);
				found = 1;
			}
		}
		closedir(d);
		if (!found) {
			fprintf(stderr, "getcwd-walk: no entry of %s is the directory below (found so far: '%s')\n",
			        parent, path);
			return 1;
		}
		strcpy(up, parent);
		dot = pst;
	}
	printf("%s\n", *path ? path : "/");
	return 0;
}
