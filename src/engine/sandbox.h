/* sandbox: how a step's process is isolated. A plan (a list of operations) is built first from a
 * spec, can be printed (`lfsbuild build --explain STEP`), and is then executed in the child. */
#pragma once
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

enum sandbox_mode {
	SANDBOX_USER,      /* ch4-6: an unprivileged uid; the host read-only but root, builddir, /tmp; no net */
	SANDBOX_HOST_ROOT, /* ch7/changingowner: root on the host in new mount/net namespaces, no chroot */
	SANDBOX_CHROOT,    /* ch7-10: root in new mount, pid, uts, ipc, net namespaces, chroot into root */
};

struct sandbox_spec {
	enum sandbox_mode mode;
	const char *root;          /* $LFS on the host (absolute): where the step sees it */
	const char *root_from;     /* NULL, or the directory (absolute) the step sees at root instead of root itself
	                            * (lfsbuild repro's scratch copy): bound there, or the overlay's lower layer */
	const char *builddir;      /* the step's build directory on the host (absolute) */
	const char *builddir_in;   /* where the step sees it: builddir itself, or e.g. "/build" in the chroot; in the
	                            * user modes another host path (lfsbuild repro) has builddir bound there */
	const char *cwd;           /* working directory as the step sees it */
	uid_t uid;                 /* SANDBOX_USER: the build uid and gid when lfsbuild runs as root */
	gid_t gid;
	const char *hostname;      /* uts name in the chroot; NULL: "lfs" */
	char *const *argv;         /* the command */
	char *const *envp;         /* the complete environment */
	const int *keep_fds;       /* fds the command inherits besides 0-2 (the jobserver), -1-terminated or NULL; each >= 3 */
	int stdin_fd, stdout_fd, stderr_fd;  /* what 0, 1, 2 become in the child; -1: /dev/null */
	bool pty;                  /* a new terminal for the command (lfsbuild shell): see sandbox_spawn_pty() */
	unsigned short rows, cols; /* its size (0: the kernel's default) */
	int build_tmpfs;           /* >= 3: a detached tmpfs (fsmount's fd, engine/buildfs.h) that init attaches
	                            * at builddir in the step's mount namespace, before anything else is
	                            * mounted (the fd is closed then: the command never has it); else none */
	const char *capture;       /* NULL, or a directory holding upper/ and work/ (on root's file system):
	                            * root is then an overlay (lower: root as it is) whose writes land in
	                            * upper/ (docs/engine.md, "Capture") */
	/* --icecream (docs/engine.md, "A compile farm"): */
	bool share_net;            /* keep lfsbuild's network namespace (icecc's client connects to the
	                            * helpers itself); false: a new one with only lo */
	const char *icecream_dir;  /* chroot: bound read-only at ICECREAM_DIR_IN (WORKDIR/icecream: the
	                            * client, the compiler environments); user modes see it where it is
	                            * (bound back read-only when the private /tmp hides it) */
	const char *icecream_socket; /* the local iceccd's socket: chroot, bound at ICECREAM_SOCKET_IN; the
	                            * user modes see it where it is (its directory bound back read-only
	                            * when the private /tmp hides it) */
	bool private_tmp;          /* chroot: a tmpfs on /tmp (icecc-create-env writes there, not in $LFS) */
};

/* Where a chroot step sees --icecream's directory and the daemon's socket (on its /run tmpfs). */
#define ICECREAM_DIR_IN "/run/lfsbuild-icecream"
#define ICECREAM_SOCKET_IN "/run/lfsbuild-iceccd.socket"

struct sandbox_plan;

/* "user", "host-root", "chroot". */
const char *sandbox_mode_name(enum sandbox_mode mode);

/* Build the operation list. Never fails for a valid spec. */
struct sandbox_plan *sandbox_plan_new(const struct sandbox_spec *spec);
/* Print the operations, one per line, for --explain. */
void sandbox_plan_print(const struct sandbox_plan *plan, FILE *out);
/* Start the command under the plan. Returns the pid to wait for (wait4 gives its rusage); -1
 * with a message in errbuf (the failing operation and path) when the set-up failed. A child that
 * fails during set-up exits 127 after writing its message where sandbox_spawn() reads it. When
 * lfsbuild dies, the child and everything it started die too (nothing stays mounted: the mounts
 * live in the child's mount namespace). The pid's status mirrors the command's (exit code or
 * signal); kill(pid, SIGTERM) ends the whole step, gone by the time wait4 returns. Call it from
 * the main thread (the parent-death signal follows the forking thread). docs/sandbox.md. */
pid_t sandbox_spawn(const struct sandbox_plan *plan, char *errbuf, size_t errlen);
/* sandbox_spawn() for a spec with `pty`: init opens a new pseudo-terminal from the sandbox's own
 * /dev/ptmx (in chroot mode the new devpts instance at ROOT/dev/pts, so that `tty` and
 * /dev/pts/N work inside), hands its master side back to the caller (*master, close-on-exec:
 * the caller copies between it and the user's terminal) and the command gets the slave as 0, 1
 * and 2 and as its controlling terminal (after setsid), so that an interactive shell has job
 * control. The terminal of lfsbuild is never the command's: fds 0-2 of the spec are ignored. */
pid_t sandbox_spawn_pty(const struct sandbox_plan *plan, int *master, char *errbuf, size_t errlen);
void sandbox_plan_free(struct sandbox_plan *plan);
