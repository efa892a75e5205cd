/* sandbox: run one step's command isolated by namespaces, a read-only host or a chroot, and a
 * privilege drop. sandbox_plan_new() turns a spec into a list of operations; sandbox_spawn()
 * forks and interprets that list in the children:
 *
 *   lfsbuild ── fork ──> outer (host pid ns): unshare, waits for init, mirrors its status
 *                          └─ fork ──> init (pid 1 of the new pid ns): mounts, pivot_root,
 *                                       reaps orphans, exits with the command's status
 *                                        └─ fork ──> command: setsid, drop privileges, exec
 *
 * Every child dies with its parent (PR_SET_PDEATHSIG); when init exits the kernel kills what is
 * left in its pid namespace; the mounts belong to the child's mount namespace only. */
#include "engine/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>

#include "lib/exec.h"
#include "lib/util.h"

enum op_kind {
	OP_FDS,          /* 0, 1, 2 from the spec; keep_fds kept; every other fd closed */
	OP_DEATHSIG,     /* PR_SET_PDEATHSIG(SIGKILL) */
	OP_USERNS,       /* unshare(CLONE_NEWUSER), map our uid/gid to themselves */
	OP_UNSHARE,      /* unshare(num) */
	OP_FORK_INIT,    /* fork: the child is pid 1 of the new pid namespace */
	OP_HOSTNAME,     /* sethostname(src) */
	OP_MOUNT,        /* mount(src, path, fstype, flags, data); a bind with MS_RDONLY is remounted read-only */
	OP_HOLD,         /* open an O_PATH fd on path, kept in slot */
	OP_REBIND,       /* bind the fd of slot onto path (re-exposing a path hidden by a tmpfs); MS_RDONLY in flags: read-only */
	OP_ATTACH,       /* move_mount the detached mount of fd num onto path, then close the fd */
	OP_OVERLAY,      /* an overlay on path: lower data (path itself when NULL) as it is, upper src/upper, work src/work */
	OP_REMOUNT_RO,   /* remount every mount of /proc/self/mountinfo read-only, but `except` */
	OP_SYMLINK,      /* symlink(src, path) */
	OP_MKNOD,        /* a character device num (makedev) at path, mode 0666 */
	OP_SIGNALS,      /* every signal to SIG_DFL, none blocked */
	OP_NAME,         /* PR_SET_NAME src (how ps shows the sandbox's own processes) */
	OP_PIVOT_ROOT,   /* pivot_root into path, the old root detached */
	OP_LO_UP,        /* bring the loopback interface up */
	OP_PTY,          /* open a new pty (/dev/ptmx), send its master to lfsbuild, keep the slave's name */
	OP_FORK_CMD,     /* fork: the child becomes the command */
	OP_SETSID,
	OP_CTTY,         /* the pty's slave as 0, 1, 2 and the controlling terminal */
	OP_DROP_CAPS,    /* drop caps (a bit mask; all: ~0) from the bounding set */
	OP_SETGROUPS,    /* setgroups(0, NULL) */
	OP_SETGID,
	OP_SETUID,
	OP_NO_NEW_PRIVS,
	OP_CHDIR,
	OP_EXEC,
};

enum mk { MK_NONE, MK_DIR, MK_FILE };

struct op {
	enum op_kind kind;
	char *desc;         /* "operation path...": printed, and the prefix of a set-up error */
	char *detail;       /* printed after desc in parentheses, or NULL */
	char *path, *src;
	const char *fstype;
	char *data;
	unsigned long flags;
	enum mk mk;         /* OP_MOUNT: create the mount point if missing */
	bool optional;      /* OP_MOUNT: a missing source is no error (e.g. no /proc/sysrq-trigger) */
	int slot;
	uint64_t num;
	struct strv except; /* OP_REMOUNT_RO */
};

struct sandbox_plan {
	enum sandbox_mode mode;
	struct op *ops;
	size_t n, cap;
	char *invalid;      /* the spec cannot be run: why (reported by sandbox_spawn) */
	struct strv argv, envp;
	int *keep;          /* -1-terminated */
	int attach_fd;      /* the build tmpfs (OP_ATTACH), kept by OP_FDS; -1: none */
	int fd[3];
	bool pty;           /* OP_PTY and OP_CTTY are in the plan: sandbox_spawn_pty() */
	unsigned short rows, cols;
};

#define MAX_SLOTS 4

const char *sandbox_mode_name(enum sandbox_mode mode)
{
	switch (mode) {
	case SANDBOX_USER: return "user";
	case SANDBOX_HOST_ROOT: return "host-root";
	case SANDBOX_CHROOT: return "chroot";
	}
	return "?";
}

/* ---- building the plan ---- */

__attribute__((format(printf, 3, 4)))
static struct op *add(struct sandbox_plan *p, enum op_kind kind, const char *fmt, ...)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 32;
		p->ops = xrealloc(p->ops, p->cap * sizeof *p->ops);
	}
	struct op *op = &p->ops[p->n++];
	memset(op, 0, sizeof *op);
	op->kind = kind;
	va_list ap;
	va_start(ap, fmt);
	op->desc = xvasprintf(fmt, ap);
	va_end(ap);
	return op;
}

static struct op *add_mount(struct sandbox_plan *p, const char *what, const char *src, const char *dst,
			    const char *fstype, unsigned long flags, const char *data, enum mk mk)
{
	struct buf o = {0};
	static const struct { unsigned long f; const char *name; } names[] = {
		{MS_RDONLY, "ro"}, {MS_NOSUID, "nosuid"}, {MS_NODEV, "nodev"}, {MS_NOEXEC, "noexec"},
	};
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		if (flags & names[i].f)
			buf_printf(&o, "%s%s", o.len ? "," : "", names[i].name);
	if (data)
		buf_printf(&o, "%s%s", o.len ? "," : "", data);
	if (flags & MS_REC)
		buf_printf(&o, "%s%s", o.len ? "," : "", "with its submounts");
	struct op *op;
	if (flags & MS_BIND)
		op = add(p, OP_MOUNT, "%s %s %s", what, src, dst);
	else
		op = add(p, OP_MOUNT, "%s %s", what, dst);
	op->detail = o.data;
	op->src = xstrdup(src);
	op->path = xstrdup(dst);
	op->fstype = fstype;
	op->flags = flags;
	op->data = data ? xstrdup(data) : NULL;
	op->mk = mk;
	return op;
}

/* Is `path` `dir` or below it? */
static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static void add_fds(struct sandbox_plan *p, const struct sandbox_spec *s)
{
	struct buf b = {0};
	int fd[3] = {s->stdin_fd, s->stdout_fd, s->stderr_fd};
	if (s->pty) /* the command's 0-2 will be the new terminal: the sandbox's own processes get /dev/null */
		fd[0] = fd[1] = fd[2] = -1;
	buf_printf(&b, "fds 0<%d 1<%d 2<%d", fd[0], fd[1], fd[2]);
	size_t nkeep = 0;
	for (const int *k = s->keep_fds; k && *k >= 0; k++)
		nkeep++;
	p->keep = xcalloc(nkeep + 1, sizeof *p->keep);
	for (size_t i = 0; i < nkeep; i++) {
		p->keep[i] = s->keep_fds[i];
		buf_printf(&b, "%s%d", i ? "," : ", keep ", p->keep[i]);
	}
	p->keep[nkeep] = -1;
	p->attach_fd = s->build_tmpfs >= 3 && s->builddir ? s->build_tmpfs : -1;
	if (p->attach_fd >= 0)   /* until OP_ATTACH closes it: not the command's */
		buf_printf(&b, ", %d until attach-tmpfs", p->attach_fd);
	buf_puts(&b, ", close the rest");
	add(p, OP_FDS, "%s", b.data);
	buf_free(&b);
	p->fd[0] = fd[0];
	p->fd[1] = fd[1];
	p->fd[2] = fd[2];
}

/* The common start: fds, namespaces, the init process. */
static void add_namespaces(struct sandbox_plan *p, const struct sandbox_spec *s, bool userns)
{
	add_fds(p, s);
	add(p, OP_SIGNALS, "reset-signals")->detail = xstrdup("all to SIG_DFL, none blocked");
	add(p, OP_NAME, "name sandbox")->src = xstrdup("sandbox");
	if (userns)
		add(p, OP_USERNS, "unshare user")->detail =
			xasprintf("map uid %u and gid %u to themselves, setgroups deny", (unsigned)geteuid(), (unsigned)getegid());
	add(p, OP_DEATHSIG, "die-with-parent SIGKILL");
	struct op *op;
	if (s->share_net) {   /* --icecream: icecc's client reaches the helpers itself */
		op = add(p, OP_UNSHARE, "unshare mount,pid,uts,ipc");
		op->detail = xstrdup("not net: the step goes through icecream, whose client connects to the compile farm");
		op->num = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
	} else {
		op = add(p, OP_UNSHARE, "unshare mount,net,pid,uts,ipc");
		op->num = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
	}
	add(p, OP_FORK_INIT, "fork init")->detail = xstrdup(
		"pid 1 of the new pid namespace: reaps orphans, exits with the command's status; its exit kills the namespace");
	add(p, OP_DEATHSIG, "die-with-parent SIGKILL");
	add(p, OP_NAME, "name sandbox-init")->src = xstrdup("sandbox-init");
	const char *host = s->hostname ? s->hostname : "lfs";
	op = add(p, OP_HOSTNAME, "sethostname %s", host);
	op->src = xstrdup(host);
	op = add(p, OP_MOUNT, "make-rprivate /");
	op->path = xstrdup("/");
	op->flags = MS_REC | MS_PRIVATE;
	if (s->build_tmpfs >= 3 && s->builddir) {
		op = add(p, OP_ATTACH, "attach-tmpfs %s", s->builddir);
		op->detail = xasprintf("fd %d, held by lfsbuild and mounted nowhere else: the build directory is in memory, "
		                       "in this namespace only", s->build_tmpfs);
		op->path = xstrdup(s->builddir);
		op->num = (uint64_t)s->build_tmpfs;
	}
}

/* The overlay options of a capture (docs/engine.md, "Capture"): redirect_dir=off (a rename of a
 * directory of the lower tree fails with EXDEV and mv copies it: the upper tree holds it whole,
 * never a redirect to a lower path), metacopy=off (a chown/chmod copies the data up too: no
 * upper file without its data), index=off (no index of lower hard links in work/), xino=off
 * (all layers share one file system: the real inode numbers), volatile (no syncfs at the end:
 * a capture that did not end cleanly is thrown away anyway). */
#define OVERLAY_OPTS "redirect_dir=off,index=off,metacopy=off,xino=off,volatile"

/* Root's mount: a bind of itself (or of root_from), or with a capture the overlay over it whose
 * lower layer is root (or root_from) as it is. */
static void add_root_mount(struct sandbox_plan *p, const struct sandbox_spec *s)
{
	const char *lower = s->root_from ? s->root_from : s->root;
	if (!s->capture) {
		add_mount(p, "bind-rw", lower, s->root, NULL, MS_BIND | MS_REC, NULL, MK_NONE);
		return;
	}
	struct op *op = add(p, OP_OVERLAY, "overlay %s", s->root);
	op->detail = xasprintf("lowerdir %s as it is, upperdir %s/upper, workdir %s/work, %s", lower, s->capture,
			       s->capture, OVERLAY_OPTS);
	op->path = xstrdup(s->root);
	op->src = xstrdup(s->capture);
	op->data = s->root_from ? xstrdup(s->root_from) : NULL;
}

/* Where a step of the user modes sees its build directory: builddir_in, else builddir. */
static const char *builddir_seen(const struct sandbox_spec *s)
{
	return s->builddir_in ? s->builddir_in : s->builddir;
}

static bool hidden_by_tmpfs(const char *path)
{
	return under(path, "/tmp") || under(path, "/dev");
}

/* A /dev of its own at dir (a path on the host): the harmless character devices, pts, shm. */
static void add_dev(struct sandbox_plan *p, const char *dir)
{
	add_mount(p, "tmpfs", "tmpfs", dir, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755", MK_DIR);
	static const struct { const char *name; unsigned major, minor; } nodes[] = {
		{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
	};
	for (size_t i = 0; i < ARRAY_LEN(nodes); i++) {
		char *dst = path_join(dir, nodes[i].name);
		struct op *op = add(p, OP_MKNOD, "mknod %s c %u %u", dst, nodes[i].major, nodes[i].minor);
		op->detail = xstrdup("mode 0666");
		op->path = dst;
		op->num = makedev(nodes[i].major, nodes[i].minor);
	}
	static const char *const links[][2] = {
		{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
		{"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"},
	};
	for (size_t i = 0; i < ARRAY_LEN(links); i++) {
		char *dst = path_join(dir, links[i][1]);
		struct op *op = add(p, OP_SYMLINK, "symlink %s %s", links[i][0], dst);
		op->src = xstrdup(links[i][0]);
		op->path = dst;
	}
	char *x = path_join(dir, "pts");
	add_mount(p, "devpts", "devpts", x, "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=0620,gid=5", MK_DIR);
	free(x);
	x = path_join(dir, "shm");
	add_mount(p, "tmpfs", "tmpfs", x, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", MK_DIR);
	free(x);
}

/* A new proc at dir; for root steps its sys/ and sysrq-trigger read-only (host-wide knobs). */
static void add_proc(struct sandbox_plan *p, const char *dir, bool root_step)
{
	add_mount(p, "proc", "proc", dir, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, MK_DIR);
	if (!root_step)
		return;
	static const char *const ro[] = {"sys", "sysrq-trigger"};
	for (size_t i = 0; i < ARRAY_LEN(ro); i++) {
		char *x = path_join(dir, ro[i]);
		add_mount(p, "bind-ro", x, x, NULL, MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL, MK_NONE);
		struct op *op = &p->ops[p->n - 1];
		op->optional = true;
		char *d = xasprintf("%s, if present", op->detail);
		free(op->detail);
		op->detail = d;
		free(x);
	}
}

/* USER and HOST_ROOT: the host read-only but root, builddir, a private /tmp and /dev/shm
 * (HOST_ROOT: a /dev of its own, as root could write the host's disks through the host's). */
static void add_host_view(struct sandbox_plan *p, const struct sandbox_spec *s)
{
	bool root_step = p->mode == SANDBOX_HOST_ROOT;
	const char *rw[2];
	size_t nrw = 0;
	const char *build = s->builddir ? builddir_seen(s) : NULL;
	if (s->root)
		rw[nrw++] = s->root;
	if (build && !(s->root && under(build, s->root)))
		rw[nrw++] = build;
	int slot[2] = {-1, -1}, nslot = 0;
	/* --icecream: its directory (the client, the environments) and the directory of the daemon's
	 * socket are read from the host; under /tmp they are held like the read-write paths and bound
	 * back read-only before them (their binds, below, stay on top) */
	char *ro[2] = {NULL, NULL};
	int ro_slot[2] = {-1, -1};
	size_t nro = 0;
	if (s->icecream_dir && hidden_by_tmpfs(s->icecream_dir))
		ro[nro++] = xstrdup(s->icecream_dir);
	if (s->icecream_socket) {
		char *d = xstrdup(s->icecream_socket);
		*strrchr(d, '/') = '\0';
		if (*d && hidden_by_tmpfs(d) && strcmp(d, "/tmp") && strcmp(d, "/dev") &&
		    !(s->icecream_dir && under(d, s->icecream_dir)))
			ro[nro++] = d;
		else
			free(d);
	}
	for (size_t i = 0; i < nro; i++) {
		struct op *op = add(p, OP_HOLD, "hold %s", ro[i]);
		op->detail = xstrdup("an O_PATH fd: a tmpfs below hides the path");
		op->path = xstrdup(ro[i]);
		op->slot = ro_slot[i] = nslot++;
	}
	for (size_t i = 0; i < nrw; i++) {
		if (s->root && rw[i] == s->root)
			add_root_mount(p, s);
		else if (strcmp(build, s->builddir))   /* its mount point made if missing (lfsbuild repro) */
			add_mount(p, "bind-rw", s->builddir, build, NULL, MS_BIND | MS_REC, NULL, MK_DIR);
		else
			add_mount(p, "bind-rw", rw[i], rw[i], NULL, MS_BIND | MS_REC, NULL, MK_NONE);
		if (hidden_by_tmpfs(rw[i])) {
			struct op *op = add(p, OP_HOLD, "hold %s", rw[i]);
			op->detail = xstrdup("an O_PATH fd: a tmpfs below hides the path");
			op->path = xstrdup(rw[i]);
			op->slot = slot[i] = nslot++;
		}
	}
	/* The book wants /bin/sh to be bash (chapter 2); on a host where it is another shell
	 * (Debian's dash), the step gets bash there, in its own mount namespace only. */
	char *sh = realpath("/bin/sh", NULL), *bash = realpath("/bin/bash", NULL);
	if (!root_step && sh && bash && strcmp(sh, bash) != 0) {
		add_mount(p, "bind-ro", bash, sh, NULL, MS_BIND, NULL, MK_NONE);
		p->ops[p->n - 1].detail = xstrdup("/bin/sh is bash for the step, as the book requires");
	}
	free(sh);
	free(bash);
	struct buf b = {0};
	struct op *op = add(p, OP_REMOUNT_RO, "%s", "");
	for (size_t i = 0; i < nrw; i++)
		strv_add(&op->except, rw[i]);
	strv_add(&op->except, "/proc");
	if (!s->share_net)   /* else the host's /sys stays, read-only (below) */
		strv_add(&op->except, "/sys");
	buf_puts(&b, "remount-ro every mount of /proc/self/mountinfo but");
	for (size_t i = 0; i < op->except.n; i++)
		buf_printf(&b, " %s", op->except.v[i]);
	free(op->desc);
	op->desc = b.data;
	add_mount(p, "tmpfs", "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", MK_NONE);
	if (root_step)
		add_dev(p, "/dev");
	else
		add_mount(p, "tmpfs", "tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", MK_NONE);
	for (size_t i = 0; i < nro; i++) {
		op = add(p, OP_REBIND, "bind-ro %s %s", ro[i], ro[i]);
		op->detail = xstrdup("from the held fd, read-only");
		op->path = ro[i];
		op->slot = ro_slot[i];
		op->flags = MS_RDONLY;
	}
	for (size_t i = 0; i < nrw; i++) {
		if (slot[i] < 0)
			continue;
		op = add(p, OP_REBIND, "bind-rw %s %s", rw[i], rw[i]);
		op->detail = xstrdup("from the held fd, with its submounts");
		op->path = xstrdup(rw[i]);
		op->slot = slot[i];
	}
	add_proc(p, "/proc", root_step);
	/* a sysfs belongs to a network namespace: in lfsbuild's own (--icecream) it is the one mounted
	 * at /sys already (the kernel refuses it on top of itself), left read-only above */
	if (!s->share_net)
		add_mount(p, "sysfs", "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL, MK_NONE);
}

static void add_chroot_view(struct sandbox_plan *p, const struct sandbox_spec *s)
{
	const char *r = s->root;
	add_root_mount(p, s);
	char *x = path_join(r, "dev");
	add_dev(p, x);
	free(x);
	x = path_join(r, "proc");
	add_proc(p, x, true);
	free(x);
	x = path_join(r, "sys");
	add_mount(p, "sysfs", "sysfs", x, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL, MK_DIR);
	free(x);
	x = path_join(r, "run");
	add_mount(p, "tmpfs", "tmpfs", x, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", MK_DIR);
	free(x);
	/* --icecream: its directory and the daemon's socket, on the /run tmpfs of this namespace (so
	 * nothing is made in $LFS); a socket on a read-only bind still takes connections */
	if (s->icecream_dir) {
		x = path_join(r, ICECREAM_DIR_IN);
		add_mount(p, "bind-ro", s->icecream_dir, x, NULL, MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL, MK_DIR);
		free(x);
	}
	if (s->icecream_socket) {
		x = path_join(r, ICECREAM_SOCKET_IN);
		add_mount(p, "bind", s->icecream_socket, x, NULL, MS_BIND, NULL, MK_FILE);
		free(x);
	}
	if (s->private_tmp) {
		x = path_join(r, "tmp");
		add_mount(p, "tmpfs", "tmpfs", x, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", MK_DIR);
		free(x);
	}
	if (s->builddir) {
		const char *in = s->builddir_in ? s->builddir_in : "/build";
		/* The build directory's parent (/build) is a small tmpfs of this namespace: a bind
		 * mount from $LFS's own file system straight into $LFS would sit on the same device
		 * as its parent, and getcwd() implementations that walk up ".." comparing inode
		 * numbers (bash's own, when cross-compiled as in chapter 6; gnulib's) would not find
		 * it there. On a device of its own, they stat each entry and do. The host's $LFS/build
		 * stays an empty directory, never removed while another step may have it mounted. */
		char *parent = xstrdup(in), *slash = strrchr(parent, '/');
		if (slash && slash != parent) {
			*slash = '\0';
			x = path_join(r, parent);
			add_mount(p, "tmpfs", "tmpfs", x, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m", MK_DIR);
			free(x);
		}
		free(parent);
		x = path_join(r, in);
		add_mount(p, "bind-rw", s->builddir, x, NULL, MS_BIND | MS_REC, NULL, MK_DIR);
		free(x);
	}
	struct op *op = add(p, OP_PIVOT_ROOT, "pivot-root %s", r);
	op->detail = xstrdup("the host's tree detached");
	op->path = xstrdup(r);
}

/* The capabilities a root step keeps (those of a default container); the rest go from the
 * bounding set: no mounting, no module, no raw I/O or device nodes (mknod would reach the host's
 * disks), no open_by_handle_at (dac_read_search), no clock, no ptrace of others, no BPF. */
static const struct { int cap; const char *name; } kept_caps[] = {
	{CAP_CHOWN, "chown"}, {CAP_DAC_OVERRIDE, "dac_override"}, {CAP_FOWNER, "fowner"},
	{CAP_FSETID, "fsetid"}, {CAP_KILL, "kill"}, {CAP_SETGID, "setgid"}, {CAP_SETUID, "setuid"},
	{CAP_SETPCAP, "setpcap"}, {CAP_LINUX_IMMUTABLE, "linux_immutable"},
	{CAP_NET_BIND_SERVICE, "net_bind_service"}, {CAP_NET_ADMIN, "net_admin"}, {CAP_NET_RAW, "net_raw"},
	{CAP_IPC_LOCK, "ipc_lock"}, {CAP_IPC_OWNER, "ipc_owner"}, {CAP_SYS_CHROOT, "sys_chroot"},
	{CAP_SYS_NICE, "sys_nice"}, {CAP_SYS_RESOURCE, "sys_resource"}, {CAP_LEASE, "lease"},
	{CAP_AUDIT_WRITE, "audit_write"}, {CAP_SETFCAP, "setfcap"},
};

static void add_command(struct sandbox_plan *p, const struct sandbox_spec *s, bool switch_user)
{
	if (p->pty)
		add(p, OP_PTY, "open-pty /dev/ptmx")->detail = xstrdup("a new terminal; its master goes to lfsbuild");
	add(p, OP_FORK_CMD, "fork command");
	add(p, OP_SETSID, "setsid");
	if (p->pty)
		add(p, OP_CTTY, "controlling-tty the new pty")->detail = xstrdup("its slave as 0, 1, 2");
	struct op *op;
	if (p->mode == SANDBOX_USER) {
		op = add(p, OP_DROP_CAPS, "drop-caps all");
		op->detail = xstrdup("from the bounding set");
		op->num = ~(uint64_t)0;
	} else {
		struct buf b = {0};
		op = add(p, OP_DROP_CAPS, "drop-caps all but");
		op->num = ~(uint64_t)0;
		for (size_t i = 0; i < ARRAY_LEN(kept_caps); i++) {
			op->num &= ~((uint64_t)1 << kept_caps[i].cap);
			buf_printf(&b, "%s%s", i ? "," : " ", kept_caps[i].name);
		}
		free(op->desc);
		op->desc = xasprintf("drop-caps all but%s", b.data);
		buf_free(&b);
		op->detail = xstrdup("from the bounding set");
	}
	if (switch_user) {
		add(p, OP_SETGROUPS, "setgroups none");
		op = add(p, OP_SETGID, "setgid %u", (unsigned)s->gid);
		op->num = s->gid;
		op = add(p, OP_SETUID, "setuid %u", (unsigned)s->uid);
		op->num = s->uid;
	}
	add(p, OP_NO_NEW_PRIVS, "no-new-privs");
	const char *cwd = s->cwd;
	if (!cwd && s->builddir)
		cwd = p->mode != SANDBOX_CHROOT ? builddir_seen(s) : s->builddir_in ? s->builddir_in : "/build";
	if (!cwd)
		cwd = "/";
	op = add(p, OP_CHDIR, "chdir %s", cwd);
	op->path = xstrdup(cwd);
	char *cmd = exec_cmdline(p->argv.v);
	struct buf env = {0};
	for (size_t i = 0; i < p->envp.n; i++)
		buf_printf(&env, " %.*s", (int)strcspn(p->envp.v[i], "="), p->envp.v[i]);
	add(p, OP_EXEC, "exec %s", cmd)->detail = xasprintf("environment: only%s", env.data ? env.data : " (empty)");
	free(cmd);
	buf_free(&env);
}

/* The path with its symlinks resolved (mountinfo shows resolved paths), or a copy if it does
 * not exist yet (set-up then fails on it by name). */
static char *canonical(const char *path)
{
	if (!path)
		return NULL;
	char *r = realpath(path, NULL);
	return r ? r : xstrdup(path);
}

/* canonical() of the directory above `path`, with its last component as it is: a mount point
 * that may not exist yet, never resolved through a link there (refuse_link says so). */
static char *canonical_leaf(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return xstrdup(path);
	char *dir = xstrndup(path, (size_t)(slash - path)), *cdir = canonical(dir), *r = path_join(cdir, slash + 1);
	free(dir);
	free(cdir);
	return r;
}

struct sandbox_plan *sandbox_plan_new(const struct sandbox_spec *spec)
{
	struct sandbox_spec canon = *spec, *s = &canon;
	char *croot = canonical(spec->root), *cbuild = canonical(spec->builddir), *ccap = canonical(spec->capture);
	char *cfrom = canonical(spec->root_from), *cin = NULL;
	/* in the user modes builddir_in is a host path too (a copy of builddir but with lfsbuild repro) */
	if (spec->mode != SANDBOX_CHROOT && spec->builddir_in)
		cin = !strcmp(spec->builddir_in, spec->builddir ? spec->builddir : "") ? xstrdup(cbuild)
		                                                                     : canonical_leaf(spec->builddir_in);
	canon.root = croot;
	canon.root_from = cfrom;
	canon.builddir = cbuild;
	if (cin)
		canon.builddir_in = cin;
	canon.capture = ccap;
	struct sandbox_plan *p = xcalloc(1, sizeof *p);
	p->mode = s->mode;
	p->pty = s->pty;
	p->rows = s->rows;
	p->cols = s->cols;
	for (size_t i = 0; s->argv && s->argv[i]; i++)
		strv_add(&p->argv, s->argv[i]);
	for (size_t i = 0; s->envp && s->envp[i]; i++)
		strv_add(&p->envp, s->envp[i]);
	if (!p->argv.n) {
		p->invalid = xstrdup("sandbox: no command");
		strv_add(&p->argv, "/bin/false");
	}
	if (!p->envp.v)
		strv_push(&p->envp, NULL), p->envp.n = 0;
	bool root = geteuid() == 0;
	if (!root && s->mode != SANDBOX_USER && !p->invalid)
		p->invalid = xasprintf("sandbox: mode %s needs root (lfsbuild runs as uid %u)",
				       sandbox_mode_name(s->mode), (unsigned)geteuid());
	if (root && s->mode == SANDBOX_USER && s->uid == 0 && !p->invalid)
		p->invalid = xstrdup("sandbox: mode user needs a non-zero build uid when lfsbuild runs as root");
	if (s->mode == SANDBOX_CHROOT && (!s->root || s->root[0] != '/') && !p->invalid)
		p->invalid = xstrdup("sandbox: mode chroot needs an absolute root");
	if (((s->root && s->root[0] != '/') || (s->builddir && s->builddir[0] != '/') ||
	     (s->root_from && s->root_from[0] != '/')) && !p->invalid)
		p->invalid = xstrdup("sandbox: root, root_from and builddir must be absolute");

	switch (s->mode) {
	case SANDBOX_USER:
		add_namespaces(p, s, !root);
		add_host_view(p, s);
		if (!s->share_net)
			add(p, OP_LO_UP, "lo up")->detail = xstrdup("the only interface of the new network namespace");
		add_command(p, s, root);
		break;
	case SANDBOX_HOST_ROOT:
		add_namespaces(p, s, false);
		add_host_view(p, s);
		if (!s->share_net)
			add(p, OP_LO_UP, "lo up")->detail = xstrdup("the only interface of the new network namespace");
		add_command(p, s, false);
		break;
	case SANDBOX_CHROOT:
		add_namespaces(p, s, false);
		if (s->root)
			add_chroot_view(p, s);
		if (!s->share_net)
			add(p, OP_LO_UP, "lo up")->detail = xstrdup("the only interface of the new network namespace");
		add_command(p, s, false);
		break;
	}
	if (s->capture && !root && !p->invalid)
		p->invalid = xstrdup("sandbox: a capture (an overlay) needs root");
	free(croot);
	free(cbuild);
	free(ccap);
	free(cfrom);
	free(cin);
	return p;
}

void sandbox_plan_print(const struct sandbox_plan *p, FILE *out)
{
	fprintf(out, "sandbox mode %s\n", sandbox_mode_name(p->mode));
	if (p->invalid)
		fprintf(out, "  (cannot run: %s)\n", p->invalid);
	int depth = 1;
	for (size_t i = 0; i < p->n; i++) {
		const struct op *op = &p->ops[i];
		fprintf(out, "%*s%s%s%s%s\n", 2 * depth, "", op->desc, op->detail ? " (" : "",
			op->detail ? op->detail : "", op->detail ? ")" : "");
		if (op->kind == OP_FORK_INIT || op->kind == OP_FORK_CMD)
			depth++;
	}
}

void sandbox_plan_free(struct sandbox_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		struct op *op = &p->ops[i];
		free(op->desc);
		free(op->detail);
		free(op->path);
		free(op->src);
		free(op->data);
		strv_free(&op->except);
	}
	free(p->ops);
	strv_free(&p->argv);
	strv_free(&p->envp);
	free(p->keep);
	free(p->invalid);
	free(p);
}

/* ---- executing the plan (in the children only) ---- */

struct ctx {
	int errfd;              /* write end of the error pipe (CLOEXEC) */
	int status_r, status_w; /* init -> outer: the command's wait status */
	int held[MAX_SLOTS];
	pid_t parent;
	int ttysock;            /* pty: the socket that takes the master to lfsbuild, -1 without */
	char ptyname[64];       /* pty: the slave's path, as the sandbox sees it */
};

static _Noreturn void fail(struct ctx *c, const char *what, int err)
{
	char msg[1024];
	int n = snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
	if (n > (int)sizeof msg - 1)
		n = (int)sizeof msg - 1;
	if (c->errfd >= 0 && n > 0) {
		ssize_t w = write(c->errfd, msg, (size_t)n);
		(void)w;
	}
	_exit(127);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Close every fd >= 3 but those in keep (n entries). */
static int close_all_but(int *keep, size_t n)
{
	qsort(keep, n, sizeof *keep, cmp_int);
	unsigned lo = 3;
	for (size_t i = 0; i <= n; i++) {
		unsigned hi = i < n ? (unsigned)keep[i] : ~0U;
		if (i < n && keep[i] < 3)
			continue;
		if (hi > lo && syscall(SYS_close_range, lo, hi - 1, 0) < 0) {
			if (errno != ENOSYS)
				return -1;
			long max = sysconf(_SC_OPEN_MAX);
			for (long fd = lo; fd < (long)hi && fd < max; fd++)
				close((int)fd);
		}
		if (i < n)
			lo = hi + 1;
	}
	return 0;
}

/* lfsbuild started with 0-2 closed: keep the sandbox's own fds out of the way of 0-2. */
static void lift(int *fd, const struct op *op, struct ctx *c)
{
	if (*fd < 0 || *fd >= 3)
		return;
	int nfd = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
	if (nfd < 0)
		fail(c, op->desc, errno);
	*fd = nfd;
}

static void do_fds(struct sandbox_plan *p, const struct op *op, struct ctx *c)
{
	lift(&c->errfd, op, c);
	lift(&c->ttysock, op, c);
	int tmp[3];
	for (int i = 0; i < 3; i++) {
		int src = p->fd[i];
		if (src < 0)
			src = open("/dev/null", i ? O_WRONLY : O_RDONLY);
		tmp[i] = src < 0 ? -1 : fcntl(src, F_DUPFD_CLOEXEC, 3);
		if (tmp[i] < 0)
			fail(c, op->desc, errno);
	}
	for (int i = 0; i < 3; i++)
		if (dup2(tmp[i], i) < 0)
			fail(c, op->desc, errno);
	size_t n = 0;
	while (p->keep[n] >= 0)
		n++;
	int *keep = xcalloc(n + 3, sizeof *keep);
	memcpy(keep, p->keep, n * sizeof *keep);
	keep[n++] = c->errfd;
	if (p->attach_fd >= 0)
		keep[n++] = p->attach_fd;
	if (c->ttysock >= 0)
		keep[n++] = c->ttysock;
	if (close_all_but(keep, n) < 0)
		fail(c, op->desc, errno);
	free(keep);
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void do_userns(const struct op *op, struct ctx *c)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char line[64];
	if (unshare(CLONE_NEWUSER) < 0)
		fail(c, op->desc, errno);
	snprintf(line, sizeof line, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if (write_text("/proc/self/uid_map", line) < 0)
		fail(c, "write /proc/self/uid_map", errno);
	if (write_text("/proc/self/setgroups", "deny\n") < 0)
		fail(c, "write /proc/self/setgroups", errno);
	snprintf(line, sizeof line, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	if (write_text("/proc/self/gid_map", line) < 0)
		fail(c, "write /proc/self/gid_map", errno);
}

/* A mount point the sandbox makes under $LFS ($LFS/dev, proc, sys, run, build) is the root's,
 * which earlier steps made: one they turned into a symlink (dev -> /etc) is refused, not followed
 * (mount(2) would follow it, and mkdir_p would create through it). */
static void refuse_link(const struct op *op, struct ctx *c)
{
	struct stat st;
	if (lstat(op->path, &st) < 0 || !S_ISLNK(st.st_mode))
		return;
	char target[512], msg[1024];
	ssize_t n = readlink(op->path, target, sizeof target - 1);
	target[n > 0 ? n : 0] = '\0';
	int len = snprintf(msg, sizeof msg, "%s: %s is a symlink (-> %s): a mount point is never reached through a link",
	                   op->desc, op->path, n > 0 ? target : "?");
	if (c->errfd >= 0 && len > 0) {
		ssize_t w = write(c->errfd, msg, (size_t)len < sizeof msg ? (size_t)len : sizeof msg - 1);
		(void)w;
	}
	_exit(127);
}

static void do_mount(const struct op *op, struct ctx *c)
{
	if (op->mk == MK_DIR)
		refuse_link(op, c);
	if (op->mk == MK_DIR && mkdir_p(op->path, 0755) < 0)
		fail(c, op->desc, errno);
	if (op->mk == MK_FILE) {
		int fd = open(op->path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
		if (fd < 0)
			fail(c, op->desc, errno);
		close(fd);
	}
	unsigned long flags = op->flags;
	if (flags & MS_BIND)
		flags &= ~MS_RDONLY;
	if (mount(op->src, op->path, op->fstype, flags, op->data) < 0) {
		if (op->optional && errno == ENOENT)
			return;
		fail(c, op->desc, errno);
	}
	if ((op->flags & (MS_BIND | MS_RDONLY)) == (MS_BIND | MS_RDONLY) &&
	    mount(NULL, op->path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | (op->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)), NULL) < 0)
		fail(c, op->desc, errno);
}

/* Undo the octal escapes (\040) of a mountinfo field in place. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/* The per-mount flags of a mountinfo options field that a remount must keep (in a user
 * namespace, nosuid, nodev, noexec and the atime flags are locked). */
static unsigned long mount_flags(char *opts)
{
	unsigned long f = 0;
	char *save = NULL;
	for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (!strcmp(o, "nosuid")) f |= MS_NOSUID;
		else if (!strcmp(o, "nodev")) f |= MS_NODEV;
		else if (!strcmp(o, "noexec")) f |= MS_NOEXEC;
		else if (!strcmp(o, "noatime")) f |= MS_NOATIME;
		else if (!strcmp(o, "nodiratime")) f |= MS_NODIRATIME;
		else if (!strcmp(o, "relatime")) f |= MS_RELATIME;
#ifdef MS_NOSYMFOLLOW
		else if (!strcmp(o, "nosymfollow")) f |= MS_NOSYMFOLLOW;
#endif
	}
	return f;
}

static void do_remount_ro(const struct op *op, struct ctx *c)
{
	char *text = read_file("/proc/self/mountinfo", NULL);
	if (!text)
		fail(c, "remount-ro: read /proc/self/mountinfo", errno);
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* an autofs mount point holds nothing (what it mounts is a mount of its own) and
		 * belongs to the host's automounter: left alone */
		char *sep = strstr(line, " - ");
		if (sep && str_starts(sep + 3, "autofs "))
			continue;
		char *w[8];
		if (split_words(line, w, 8) < 7)
			continue;
		char *mp = w[4], *opts = w[5];
		unescape(mp);
		bool skip = false;
		for (size_t i = 0; i < op->except.n && !skip; i++)
			skip = under(mp, op->except.v[i]);
		if (skip)
			continue;
		unsigned long f = MS_BIND | MS_REMOUNT | MS_RDONLY | mount_flags(opts);
		if (mount(NULL, mp, NULL, f, NULL) < 0) {
			/* ENOENT, EINVAL: the path no longer leads to that mount (hidden below another
			 * mount), so the step cannot reach it either. */
			if (errno == ENOENT || errno == EINVAL)
				continue;
			char what[1024];
			snprintf(what, sizeof what, "remount-ro %s", mp);
			fail(c, what, errno);
		}
	}
	free(text);
}

static void do_pivot_root(const struct op *op, struct ctx *c)
{
	if (chdir(op->path) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		fail(c, op->desc, errno);
}

static void do_lo_up(const struct op *op, struct ctx *c)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		fail(c, op->desc, errno);
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		fail(c, op->desc, errno);
	close(s);
}

/* A new session gets a new scheduler autogroup (CONFIG_SCHED_AUTOGROUP), whose weight is that
 * of nice 0 whatever the nice value of lfsbuild: `nice -n 19 lfsbuild build` would compete with
 * the user's other sessions as an equal. Give the step's autogroup lfsbuild's nice value (a
 * lower priority needs no privilege). Best effort: no autogroups, no /proc here, nothing to do. */
static void keep_nice(void)
{
	errno = 0;
	int n = getpriority(PRIO_PROCESS, 0);
	if (n <= 0 || errno)
		return;
	int fd = open("/proc/self/autogroup", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	char num[16];
	int len = snprintf(num, sizeof num, "%d", n);
	if (write(fd, num, (size_t)len) < 0) {
		/* the autogroup keeps nice 0: the step still runs, only less politely */
	}
	close(fd);
}

static void do_drop_caps(const struct op *op, struct ctx *c)
{
	for (int cap = 0; cap < 64; cap++) {
		if (!(op->num & ((uint64_t)1 << cap)))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL) /* beyond the kernel's last capability */
				break;
			fail(c, op->desc, errno);
		}
	}
}

/* execve, looking a bare name up in the PATH of the step's environment. */
static void do_exec(struct sandbox_plan *p, const struct op *op, struct ctx *c)
{
	for (const int *k = p->keep; *k >= 0; k++) {
		int fl = fcntl(*k, F_GETFD);
		if (fl < 0 || fcntl(*k, F_SETFD, fl & ~FD_CLOEXEC) < 0) {
			char what[64];
			snprintf(what, sizeof what, "keep fd %d", *k);
			fail(c, what, errno);
		}
	}
	const char *name = p->argv.v[0];
	char what[1024];
	snprintf(what, sizeof what, "exec %s", name);
	if (strchr(name, '/')) {
		execve(name, p->argv.v, p->envp.v);
		fail(c, what, errno);
	}
	const char *path = "/usr/bin:/bin";
	for (size_t i = 0; i < p->envp.n; i++)
		if (str_starts(p->envp.v[i], "PATH="))
			path = p->envp.v[i] + 5;
	/* As execvp: each element in turn (an empty one is the working directory); a candidate
	 * longer than PATH_MAX cannot be executed (the kernel says ENAMETOOLONG), so it is skipped
	 * whole, never cut short into another path; the error is the last that was not "not
	 * there". No malloc here: this runs in a forked child. */
	int err = ENOENT;
	size_t nlen = strlen(name);
	for (const char *d = path;; ) {
		const char *e = strchrnul(d, ':');
		size_t dlen = e == d ? 1 : (size_t)(e - d);
		char full[PATH_MAX];
		if (dlen + 1 + nlen >= sizeof full) {
			err = ENAMETOOLONG;
		} else {
			memcpy(full, e == d ? "." : d, dlen);
			full[dlen] = '/';
			memcpy(full + dlen + 1, name, nlen + 1);
			execve(full, p->argv.v, p->envp.v);
			if (errno != ENOENT && errno != ENOTDIR)
				err = errno;
		}
		if (!*e)
			break;
		d = e + 1;
	}
	(void)op;
	fail(c, what, err);
}

static volatile sig_atomic_t outer_init_pid, outer_signal;

static void outer_on_signal(int sig)
{
	outer_signal = sig;
	kill((pid_t)outer_init_pid, SIGKILL);
}

/* The outer process after forking init: wait for it and end the same way as the command. A
 * SIGTERM, SIGINT, SIGHUP or SIGQUIT kills init (so the namespace) and, once init is reaped (the
 * kernel reaps the namespace first), ends this process by that signal: whoever kills the
 * returned pid and waits for it knows that nothing of the step is left. */
static _Noreturn void outer_wait(pid_t init, struct ctx *c)
{
	outer_init_pid = init;
	static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
	for (size_t i = 0; i < ARRAY_LEN(sigs); i++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = outer_on_signal;
		sigaction(sigs[i], &sa, NULL);
	}
	int st = 0, cmd = 0;
	while (waitpid(init, &st, 0) < 0)
		if (errno != EINTR)
			_exit(127);
	if (!outer_signal && read(c->status_r, &cmd, sizeof cmd) == (ssize_t)sizeof cmd)
		st = cmd;
	if (outer_signal)
		st = outer_signal; /* a wait status "killed by outer_signal" */
	if (WIFEXITED(st))
		_exit(WEXITSTATUS(st));
	if (WIFSIGNALED(st)) {
		int sig = WTERMSIG(st);
		struct rlimit nocore = {0, 0};
		setrlimit(RLIMIT_CORE, &nocore);
		signal(sig, SIG_DFL);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		kill(getpid(), sig);
		_exit(128 + sig);
	}
	_exit(127);
}

/* pid 1 of the namespace: reap everything, leave when the command has ended. */
static _Noreturn void init_wait(pid_t cmd, struct ctx *c)
{
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, 0);
		if (w == cmd) {
			ssize_t n = write(c->status_w, &st, sizeof st);
			(void)n;
			_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		}
		if (w < 0 && errno != EINTR)
			_exit(127);
	}
}

static void set_deathsig(const struct op *op, struct ctx *c)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		fail(c, op->desc, errno);
	if (getppid() != c->parent) /* the parent died before the prctl */
		_exit(127);
}

/* glibc refuses signal() for the signals it reserves (32, 33), which lfsbuild's own parent may
 * have left ignored: the kernel's rt_sigaction resets them. */
static void reset_reserved_signal(int sig)
{
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		uint64_t mask;
	} ksa = {SIG_DFL, 0, NULL, 0};
	syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof ksa.mask);
}

/* Fork pid 1 of the new pid namespace; the parent stays outside and waits (outer_wait). */
static void do_fork_init(const struct op *op, struct ctx *c)
{
	int sp[2];
	if (pipe2(sp, O_CLOEXEC) < 0)
		fail(c, op->desc, errno);
	pid_t pid = fork();
	if (pid < 0)
		fail(c, op->desc, errno);
	if (pid > 0) {
		close(c->errfd);
		close(sp[1]);
		if (c->ttysock >= 0)
			close(c->ttysock);
		c->status_r = sp[0];
		outer_wait(pid, c);
	}
	close(sp[0]);
	c->status_w = sp[1];
	c->parent = 0; /* getppid() is 0 for the parent in the parent pid namespace */
}

/* Fork the command; pid 1 stays and reaps (init_wait). */
static void do_fork_cmd(const struct op *op, struct ctx *c)
{
	pid_t pid = fork();
	if (pid < 0)
		fail(c, op->desc, errno);
	if (pid > 0) {
		close(c->errfd);
		init_wait(pid, c);
	}
	close(c->status_w);
}

/* In init, after the mounts: a new pty from this view's /dev/ptmx (the sandbox's own devpts in
 * a chroot), its size set; the master goes to lfsbuild over the socket and is closed here, so
 * that lfsbuild reads EIO once the command and all it started have closed the slave. */
static void do_pty(const struct op *op, struct sandbox_plan *p, struct ctx *c)
{
	int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0 || unlockpt(m) < 0 || ptsname_r(m, c->ptyname, sizeof c->ptyname) != 0)
		fail(c, op->desc, errno);
	struct winsize ws = {.ws_row = p->rows, .ws_col = p->cols};
	if (p->rows && p->cols && ioctl(m, TIOCSWINSZ, &ws) < 0)
		fail(c, op->desc, errno);
	char byte = 't';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union { struct cmsghdr h; char space[CMSG_SPACE(sizeof(int))]; } u;
	memset(&u, 0, sizeof u);
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.space, .msg_controllen = sizeof u.space};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &m, sizeof m);
	if (c->ttysock < 0 || sendmsg(c->ttysock, &msg, MSG_NOSIGNAL) != 1)
		fail(c, "open-pty: send the master to lfsbuild", c->ttysock < 0 ? EBADF : errno);
	close(m);
	close(c->ttysock);
	c->ttysock = -1;
}

/* In the command, after setsid: the slave as the controlling terminal and as 0, 1, 2. */
static void do_ctty(const struct op *op, struct ctx *c)
{
	int s = open(c->ptyname, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0 || ioctl(s, TIOCSCTTY, 0) < 0)
		fail(c, op->desc, errno);
	for (int i = 0; i < 3; i++)
		if (dup2(s, i) < 0)
			fail(c, op->desc, errno);
	close(s);
}

/* Keep a directory open (O_PATH) across the mounts that hide it, for OP_REBIND. */
static void do_hold(const struct op *op, struct ctx *c)
{
	c->held[op->slot] = open(op->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->held[op->slot] < 0)
		fail(c, op->desc, errno);
}

/* The overlay over op->path, its layers named by fds (/proc/self/fd/N): no path of the work
 * directory (commas, colons) ever goes into the mount options. */
static void do_overlay(const struct op *op, struct ctx *c)
{
	int fd[3];
	const char *names[3] = {NULL, "upper", "work"};
	int dfd = open(op->src, O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < 3; i++) {
		fd[i] = i == 0 ? open(op->data ? op->data : op->path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
			       : dfd < 0 ? -1 : openat(dfd, names[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd[i] < 0)
			fail(c, op->desc, errno);
	}
	char data[256];
	snprintf(data, sizeof data, "lowerdir=/proc/self/fd/%d,upperdir=/proc/self/fd/%d,workdir=/proc/self/fd/%d,%s",
		 fd[0], fd[1], fd[2], OVERLAY_OPTS);
	if (mount("overlay", op->path, "overlay", 0, data) < 0)
		fail(c, op->desc, errno);
	for (int i = 0; i < 3; i++)
		close(fd[i]);
	close(dfd);
}

static void do_attach(const struct op *op, struct ctx *c)
{
	int fd = (int)op->num;
	if (move_mount(fd, "", AT_FDCWD, op->path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		fail(c, op->desc, errno);
	close(fd);
}

static void do_rebind(const struct op *op, struct ctx *c)
{
	char src[64];
	snprintf(src, sizeof src, "/proc/self/fd/%d", c->held[op->slot]);
	if (mkdir_p(op->path, 0755) < 0 || mount(src, op->path, NULL, MS_BIND | MS_REC, NULL) < 0)
		fail(c, op->desc, errno);
	if ((op->flags & MS_RDONLY) && mount(NULL, op->path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
		fail(c, op->desc, errno);
	close(c->held[op->slot]);
}

/* Every signal to its default, none blocked. */
static void do_signals(const struct op *op, struct ctx *c)
{
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && signal(sig, SIG_DFL) == SIG_ERR)
			reset_reserved_signal(sig);
	sigset_t none;
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		fail(c, op->desc, errno);
}

static void do_setsid(const struct op *op, struct ctx *c)
{
	if (setsid() < 0)
		fail(c, op->desc, errno);
	keep_nice();
}

/* The ops that are one system call. 0, or -1 with errno. */
static int one_call(const struct op *op)
{
	switch (op->kind) {
	case OP_UNSHARE:
		return unshare((int)op->num);
	case OP_HOSTNAME:
		return sethostname(op->src, strlen(op->src));
	case OP_SYMLINK:
		return symlink(op->src, op->path) < 0 && errno != EEXIST ? -1 : 0;
	case OP_MKNOD:
		return mknod(op->path, S_IFCHR | 0666, (dev_t)op->num) < 0 || chmod(op->path, 0666) < 0 ? -1 : 0;
	case OP_NAME:
		prctl(PR_SET_NAME, op->src, 0, 0, 0); /* only a name in ps: a failure does not matter */
		return 0;
	case OP_SETGROUPS:
		return setgroups(0, NULL);
	case OP_SETGID:
		return setresgid((gid_t)op->num, (gid_t)op->num, (gid_t)op->num);
	case OP_SETUID:
		return setresuid((uid_t)op->num, (uid_t)op->num, (uid_t)op->num);
	case OP_NO_NEW_PRIVS:
		return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	case OP_CHDIR:
		return chdir(op->path);
	default:
		errno = EINVAL;
		return -1;
	}
}

/* The child: the plan's ops in order; OP_EXEC does not return. */
static _Noreturn void run_plan(struct sandbox_plan *p, struct ctx *c)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct op *op = &p->ops[i];
		switch (op->kind) {
		case OP_FDS:
			do_fds(p, op, c);
			break;
		case OP_DEATHSIG:
			set_deathsig(op, c);
			break;
		case OP_USERNS:
			do_userns(op, c);
			break;
		case OP_FORK_INIT:
			do_fork_init(op, c);
			break;
		case OP_MOUNT:
			do_mount(op, c);
			break;
		case OP_HOLD:
			do_hold(op, c);
			break;
		case OP_REBIND:
			do_rebind(op, c);
			break;
		case OP_OVERLAY:
			do_overlay(op, c);
			break;
		case OP_ATTACH:
			do_attach(op, c);
			break;
		case OP_REMOUNT_RO:
			do_remount_ro(op, c);
			break;
		case OP_PIVOT_ROOT:
			do_pivot_root(op, c);
			break;
		case OP_SIGNALS:
			do_signals(op, c);
			break;
		case OP_LO_UP:
			do_lo_up(op, c);
			break;
		case OP_PTY:
			do_pty(op, p, c);
			break;
		case OP_FORK_CMD:
			do_fork_cmd(op, c);
			break;
		case OP_CTTY:
			do_ctty(op, c);
			break;
		case OP_SETSID:
			do_setsid(op, c);
			break;
		case OP_DROP_CAPS:
			do_drop_caps(op, c);
			break;
		case OP_EXEC:
			do_exec(p, op, c);
			break;
		case OP_UNSHARE:
		case OP_HOSTNAME:
		case OP_SYMLINK:
		case OP_MKNOD:
		case OP_NAME:
		case OP_SETGROUPS:
		case OP_SETGID:
		case OP_SETUID:
		case OP_NO_NEW_PRIVS:
		case OP_CHDIR:
			if (one_call(op) < 0)
				fail(c, op->desc, errno);
			break;
		}
	}
	fail(c, "sandbox: plan without exec", EINVAL);
}

/* What the error pipe says: "" when the exec succeeded (EOF), else the failed operation. */
static void read_error(int fd, char *msg, size_t size)
{
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, msg + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == size - 1)
			break;
	}
	msg[len] = '\0';
}

/* The pty's master, sent by init before it forked the command (so before the exec that closed
 * the error pipe): it is waiting in the socket. -1 when init died before sending it. */
static int recv_master(int sock)
{
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union { struct cmsghdr h; char space[CMSG_SPACE(sizeof(int))]; } u;
	memset(&u, 0, sizeof u);
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.space, .msg_controllen = sizeof u.space};
	ssize_t n;
	while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	struct cmsghdr *cm = n == 1 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	return fd;
}

static pid_t spawn(struct sandbox_plan *p, int *master, char *errbuf, size_t errlen)
{
	if (errlen)
		errbuf[0] = '\0';
	if (p->invalid) {
		snprintf(errbuf, errlen, "%s", p->invalid);
		return -1;
	}
	if (p->pty != (master != NULL)) {
		snprintf(errbuf, errlen, "sandbox: %s", p->pty ? "a pty plan needs sandbox_spawn_pty" : "this plan has no pty");
		return -1;
	}
	int ep[2], ts[2] = {-1, -1};
	if (pipe2(ep, O_CLOEXEC) < 0) {
		snprintf(errbuf, errlen, "sandbox: pipe: %s", strerror(errno));
		return -1;
	}
	if (master && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ts) < 0) {
		snprintf(errbuf, errlen, "sandbox: socketpair: %s", strerror(errno));
		close(ep[0]);
		close(ep[1]);
		return -1;
	}
	/* Blocked across fork: lfsbuild's handlers must not run in the child before it resets them. */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t parent = getpid();
	pid_t pid = fork();
	int fork_errno = errno;
	if (pid != 0)
		sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == 0) {
		struct ctx c = {.errfd = ep[1], .status_r = -1, .status_w = -1, .parent = parent, .ttysock = ts[1]};
		for (int i = 0; i < MAX_SLOTS; i++)
			c.held[i] = -1;
		close(ep[0]);
		if (ts[0] >= 0)
			close(ts[0]);
		run_plan(p, &c);
	}
	close(ep[1]);
	if (ts[1] >= 0)
		close(ts[1]);
	char msg[1024] = "";
	if (pid < 0)
		snprintf(msg, sizeof msg, "sandbox: fork: %s", strerror(fork_errno));
	else
		read_error(ep[0], msg, sizeof msg);
	close(ep[0]);
	if (!msg[0] && master && (*master = recv_master(ts[0])) < 0) {
		snprintf(msg, sizeof msg, "sandbox: the new terminal did not come back from the sandbox");
		kill(pid, SIGKILL);
	}
	if (ts[0] >= 0)
		close(ts[0]);
	if (!msg[0])
		return pid;
	snprintf(errbuf, errlen, "%s", msg);
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return -1;
}

pid_t sandbox_spawn(const struct sandbox_plan *plan, char *errbuf, size_t errlen)
{
	return spawn((struct sandbox_plan *)plan, NULL, errbuf, errlen);
}

pid_t sandbox_spawn_pty(const struct sandbox_plan *plan, int *master, char *errbuf, size_t errlen)
{
	*master = -1;
	return spawn((struct sandbox_plan *)plan, master, errbuf, errlen);
}
