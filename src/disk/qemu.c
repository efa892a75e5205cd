/* qemu: OVMF + virtio disk; interactive boots and scripted serial sessions. */
#include "disk/qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/exec.h"


#define QEMU_BIN "qemu-system-x86_64"

static bool is_qcow2(const char *path)
{
	unsigned char m[4] = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, m, sizeof m);
	close(fd);
	return n == 4 && m[0] == 'Q' && m[1] == 'F' && m[2] == 'I' && m[3] == 0xfb;
}

char *qemu_vars_copy(const struct qemu_opts *o)
{
	if (access(QEMU_OVMF_CODE, R_OK) < 0 || access(QEMU_OVMF_VARS, R_OK) < 0) {
		errorf("UEFI firmware %s / %s not found: install Debian's ovmf package (make deps)", QEMU_OVMF_CODE,
		       QEMU_OVMF_VARS);
		return NULL;
	}
	if (mkdir_p(o->scratch, 0755) < 0) {
		errorf("cannot create %s:", o->scratch);
		return NULL;
	}
	char *path = path_join(o->scratch, "ovmf-vars.XXXXXX");
	int fd = mkostemp(path, O_CLOEXEC);
	size_t len = 0;
	char *data = read_file(QEMU_OVMF_VARS, &len);
	if (fd < 0 || !data || write(fd, data, len) != (ssize_t)len) {
		errorf("cannot copy %s to %s:", QEMU_OVMF_VARS, path);
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		free(data);
		free(path);
		return NULL;
	}
	close(fd);
	free(data);
	return path;
}

static char *comma_quoted(const char *s);

/* The firmware's two drives; the variables' copy is in the work directory, whose path may hold
 * a comma. */
static void add_firmware(struct strv *a, const char *vars)
{
	char *code = comma_quoted(QEMU_OVMF_CODE), *v = comma_quoted(vars);
	strv_add(a, "-drive");
	strv_push(a, xasprintf("if=pflash,format=raw,unit=0,readonly=on,file=%s", code));
	strv_add(a, "-drive");
	strv_push(a, xasprintf("if=pflash,format=raw,unit=1,file=%s", v));
	free(code);
	free(v);
}

static void add(struct strv *a, int n, ...)
{
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		strv_add(a, va_arg(ap, const char *));
	va_end(ap);
}

/* A value inside a QEMU option list: a comma is written twice (file=a,,b is the file "a,b"). */
static char *comma_quoted(const char *s)
{
	struct buf b = {0};
	buf_puts(&b, "");
	for (; *s; s++)
		buf_add(&b, *s == ',' ? ",," : s, *s == ',' ? 2 : 1);
	return b.data;
}

void qemu_argv(const struct qemu_opts *o, const char *vars, bool kvm, struct strv *a)
{
	/* -nodefaults: no CD-ROM for the firmware to try first, no stray serial or parallel ports. */
	add(a, 6, QEMU_BIN, "-name", "lfsbuild", "-machine", "q35", "-nodefaults");
	add(a, 4, "-accel", kvm ? "kvm" : "tcg", "-cpu", o->cpu && *o->cpu ? o->cpu : QEMU_CPU_DEFAULT);
	add(a, 2, "-m", o->memory ? o->memory : "2G");
	strv_add(a, "-smp");
	strv_push(a, xasprintf("%d", o->cpus > 0 ? o->cpus : 2));
	add_firmware(a, vars);
	strv_add(a, "-drive");
	char *file = comma_quoted(o->image);
	strv_push(a, xasprintf("if=virtio,format=%s,file=%s%s", is_qcow2(o->image) ? "qcow2" : "raw", file,
	                       o->snapshot ? ",snapshot=on" : ""));
	free(file);
	if (o->net)
		add(a, 2, "-nic", "user,model=virtio-net-pci");
	else
		add(a, 2, "-nic", "none");
	if (o->headless) {
		add(a, 7, "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot");
	} else {
		/* What -nographic does, by hand: serial + monitor on this terminal, Ctrl-C to the guest. */
		add(a, 6, "-chardev", "stdio,id=console,mux=on,signal=off", "-serial", "chardev:console", "-mon",
		    "chardev=console,mode=readline");
		if (o->gui)
			add(a, 2, "-vga", "std");
		else
			add(a, 2, "-display", "none");
	}
}

bool qemu_kvm_works(const char *vars)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	struct strv a = {0};
	add(&a, 11, QEMU_BIN, "-machine", "q35", "-accel", "kvm", "-cpu", "host", "-nodefaults", "-no-user-config",
	    "-display", "none");
	add_firmware(&a, vars);
	add(&a, 4, "-serial", "stdio", "-nic", "none");
	int out[2], err[2];
	if (pipe2(out, O_CLOEXEC) < 0) {
		strv_free(&a);
		return false;
	}
	if (pipe2(err, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		strv_free(&a);
		return false;
	}
	pid_t pid;
	int e = exec_spawn(&pid, a.v, EXEC_NULL, out[1], err[1]);
	close(out[1]);
	close(err[1]);
	strv_free(&a);
	bool works = false;
	if (e == 0) {
		struct buf errs = {0};
		double end = now_mono() + 5.0;
		for (bool done = false; !done;) {
			double left = end - now_mono();
			if (left <= 0)
				break;
			struct pollfd p[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
			if (poll(p, 2, (int)(left * 1000) + 1) <= 0)
				continue;
			char c[512];
			if (p[1].revents) {
				ssize_t n = read(err[0], c, sizeof c);
				if (n > 0)
					buf_add(&errs, c, (size_t)n);
				if (errs.data && strstr(errs.data, "KVM internal error"))
					done = true;
			}
			if (p[0].revents) {
				ssize_t n = read(out[0], c, sizeof c);
				if (n > 0)
					works = true;
				done = true; /* output: it runs; EOF: it died */
			}
		}
		buf_free(&errs);
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	close(out[0]);
	close(err[0]);
	return works;
}

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static const char *accel_name(bool kvm)
{
	return kvm ? "KVM" : "TCG (software emulation: slower; KVM is missing or does not work here)";
}

int qemu_interactive(const struct qemu_opts *o)
{
	if (!exec_found(QEMU_BIN))
		return errorf("%s not found: install qemu-system-x86 (make deps)", QEMU_BIN);
	char *vars = qemu_vars_copy(o);
	if (!vars)
		return -1;
	bool kvm = qemu_kvm_works(vars);
	struct strv a = {0};
	qemu_argv(o, vars, kvm, &a);
	char *cl = exec_cmdline(a.v);
	printf("Booting %s with %s.\n$ %s\n", o->image, accel_name(kvm), cl);
	if (o->gui)
		printf("A window opens; the serial console is also here. Leave: close the window, or Ctrl-A X here.\n");
	else
		printf("The serial console is this terminal. Leave QEMU with Ctrl-A X (Ctrl-A H: the other keys).\n");
	fflush(stdout);
	free(cl);
	pid_t pid;
	int e = exec_spawn(&pid, a.v, -1, -1, -1);
	int rc = -1;
	if (e) {
		errno = e;
		errorf("cannot start %s:", a.v[0]);
	} else {
		/* Ctrl-C belongs to the guest; a TERM or HUP for us is passed on to QEMU, and we still
		 * clean up after it. */
		struct sigaction ign = {0}, fwd = {0}, old_int, old_quit, old_term, old_hup;
		ign.sa_handler = SIG_IGN;
		fwd.sa_handler = on_stop;
		stop_signal = 0;
		sigaction(SIGINT, &ign, &old_int);
		sigaction(SIGQUIT, &ign, &old_quit);
		sigaction(SIGTERM, &fwd, &old_term);
		sigaction(SIGHUP, &fwd, &old_hup);
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			if (stop_signal)
				kill(pid, SIGTERM);
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		sigaction(SIGHUP, &old_hup, NULL);
		rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	unlink(vars);
	free(vars);
	strv_free(&a);
	return rc;
}

/* ---- scripted sessions ---- */

struct qemu_session {
	pid_t pid;
	int in, out, err;        /* QEMU's stdin, stdout (the serial port), stderr */
	struct buf seen;         /* everything the serial port said */
	size_t pos;              /* consumed up to here */
	struct buf errs;
	FILE *transcript;
	char *vars;
	double t0;
	bool exited;
	int status;
	int seq;                 /* marker numbers */
};

struct qemu_session *qemu_start(const struct qemu_opts *o, const char *transcript)
{
	if (!exec_found(QEMU_BIN)) {
		errorf("%s not found: install qemu-system-x86 (make deps)", QEMU_BIN);
		return NULL;
	}
	char *vars = qemu_vars_copy(o);
	if (!vars)
		return NULL;
	bool kvm = qemu_kvm_works(vars);
	struct qemu_opts h = *o;
	h.headless = true;
	struct strv a = {0};
	qemu_argv(&h, vars, kvm, &a);
	struct qemu_session *s = xcalloc(1, sizeof *s);
	s->vars = vars;
	s->in = s->out = s->err = -1;
	if (transcript) {
		s->transcript = fopen(transcript, "we");
		if (!s->transcript)
			warnx("cannot write the transcript %s: %s", transcript, strerror(errno));
	}
	char *cl = exec_cmdline(a.v);
	qemu_note(s, "accelerator: %s", accel_name(kvm));
	qemu_note(s, "$ %s", cl);
	free(cl);
	int pin[2], pout[2], perr[2];
	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) {
		errorf("pipe:");
		strv_free(&a);
		qemu_finish(s, 0);
		return NULL;
	}
	s->t0 = now_mono();
	int e = exec_spawn(&s->pid, a.v, pin[0], pout[1], perr[1]);
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	s->in = pin[1];
	s->out = pout[0];
	s->err = perr[0];
	strv_free(&a);
	if (e) {
		errno = e;
		errorf("cannot start %s:", QEMU_BIN);
		s->pid = 0;
		qemu_finish(s, 0);
		return NULL;
	}
	signal(SIGPIPE, SIG_IGN);
	return s;
}

void qemu_note(struct qemu_session *s, const char *fmt, ...)
{
	if (!s->transcript)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("\n# lfsbuild: ", s->transcript);
	vfprintf(s->transcript, fmt, ap);
	fputc('\n', s->transcript);
	fflush(s->transcript);
	va_end(ap);
}

double qemu_elapsed(const struct qemu_session *s)
{
	return now_mono() - s->t0;
}

const char *qemu_stderr(const struct qemu_session *s)
{
	return s->errs.data ? s->errs.data : "";
}

static void reap(struct qemu_session *s, bool block)
{
	if (s->exited || s->pid <= 0)
		return;
	int st;
	pid_t r;
	while ((r = waitpid(s->pid, &st, block ? 0 : WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == s->pid) {
		s->exited = true;
		s->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
}

/* Read what is there within `timeout` s. 1 if something came, 0 on timeout, -2 at EOF. */
static int pump(struct qemu_session *s, double timeout)
{
	if (s->out < 0)
		return -2;
	struct pollfd p[2] = {{s->out, POLLIN, 0}, {s->err, POLLIN, 0}};
	int n = poll(p, s->err >= 0 ? 2 : 1, timeout <= 0 ? 0 : (int)(timeout * 1000) + 1);
	if (n <= 0)
		return 0;
	char c[4096];
	if (s->err >= 0 && p[1].revents) {
		ssize_t r = read(s->err, c, sizeof c);
		if (r > 0) {
			buf_add(&s->errs, c, (size_t)r);
			if (s->transcript) {
				fputs("\n# qemu stderr: ", s->transcript);
				fwrite(c, 1, (size_t)r, s->transcript);
			}
		} else {
			close(s->err);
			s->err = -1;
		}
	}
	if (p[0].revents) {
		ssize_t r = read(s->out, c, sizeof c);
		if (r < 0 && errno == EINTR)
			return 0;
		if (r <= 0) {
			close(s->out);
			s->out = -1;
			reap(s, true);
			return -2;
		}
		for (ssize_t i = 0; i < r; i++)
			if (c[i] == '\0')
				c[i] = ' ';
		buf_add(&s->seen, c, (size_t)r);
		if (s->transcript) {
			fwrite(c, 1, (size_t)r, s->transcript);
			fflush(s->transcript);
		}
		return 1;
	}
	return 0;
}

static const char *find_from(const struct qemu_session *s, const char *needle)
{
	if (!s->seen.data || s->pos >= s->seen.len)
		return NULL;
	return memmem(s->seen.data + s->pos, s->seen.len - s->pos, needle, strlen(needle));
}

int qemu_expect(struct qemu_session *s, const char *const needles[], int n, double timeout)
{
	double end = now_mono() + timeout;
	for (;;) {
		const char *best = NULL;
		int which = -1;
		for (int i = 0; i < n; i++) {
			const char *p = find_from(s, needles[i]);
			if (p && (!best || p < best)) {
				best = p;
				which = i;
			}
		}
		if (best) {
			s->pos = (size_t)(best - s->seen.data) + strlen(needles[which]);
			return which;
		}
		double left = end - now_mono();
		if (left <= 0)
			return -1;
		if (pump(s, left > 1.0 ? 1.0 : left) == -2)
			return -2;
	}
}

int qemu_send(struct qemu_session *s, const char *text)
{
	size_t n = strlen(text);
	while (n) {
		ssize_t w = write(s->in, text, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		text += w;
		n -= (size_t)w;
	}
	return 0;
}

int qemu_run(struct qemu_session *s, const char *cmd, double timeout, struct buf *out, int *status)
{
	int id = ++s->seq;
	/* The markers are printed by printf from pieces, so the echo of the typed line never matches. */
	/* Two lines making one compound command, so the shell prints no prompt between the markers,
	 * and a command ending in a comment cannot swallow the status. */
	char *line = xasprintf("printf '\\n__LFS%%s_%%d__\\n' B %d; { %s\r}; printf '\\n__LFS%%s_%%d__ %%d\\n' E %d $?\r",
	                       id, cmd, id);
	char *begin = xasprintf("__LFSB_%d__", id), *endm = xasprintf("__LFSE_%d__ ", id);
	int rc = qemu_send(s, line) < 0 ? -2 : 0;
	const char *const nb[] = {begin};
	if (rc == 0)
		rc = qemu_expect(s, nb, 1, timeout);
	size_t start = s->pos;
	const char *const ne[] = {endm};
	if (rc >= 0)
		rc = qemu_expect(s, ne, 1, timeout);
	if (rc >= 0) {
		size_t stop = s->pos - strlen(endm);
		/* the status follows the end marker */
		double end = now_mono() + 10;
		while (!memchr(s->seen.data + s->pos, '\n', s->seen.len - s->pos) && now_mono() < end)
			if (pump(s, 1.0) == -2)
				break;
		*status = atoi(s->seen.data + s->pos);
		struct buf o = {0};
		for (size_t i = start; i < stop; i++)
			if (s->seen.data[i] != '\r')
				buf_add(&o, &s->seen.data[i], 1);
		buf_puts(&o, "");
		char *t = str_trim(o.data);
		buf_puts(out, t);
		buf_free(&o);
		rc = 0;
	}
	free(line);
	free(begin);
	free(endm);
	return rc;
}

int qemu_finish(struct qemu_session *s, double timeout)
{
	double end = now_mono() + timeout;
	while (s->pid > 0 && !s->exited && now_mono() < end) {
		if (pump(s, 0.5) == -2)
			break;
		reap(s, false);
	}
	int rc = -1;
	if (s->pid > 0 && !s->exited) {
		kill(s->pid, SIGKILL);
		reap(s, true);
		qemu_note(s, "QEMU did not exit within %.0f s: killed", timeout);
	} else if (s->exited) {
		rc = s->status;
	}
	if (s->in >= 0)
		close(s->in);
	if (s->out >= 0)
		close(s->out);
	if (s->err >= 0)
		close(s->err);
	if (s->transcript)
		fclose(s->transcript);
	if (s->vars) {
		unlink(s->vars);
		free(s->vars);
	}
	buf_free(&s->seen);
	buf_free(&s->errs);
	free(s);
	return rc;
}
