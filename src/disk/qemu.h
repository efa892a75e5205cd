/* qemu: boot a disk image in QEMU with OVMF (UEFI), interactively on the terminal or as a
 * scripted serial session (expect / send / run a command between markers). */
#pragma once
#include <stdbool.h>
#include <sys/types.h>
#include "lib/util.h"

#define QEMU_OVMF_CODE "/usr/share/OVMF/OVMF_CODE.fd"
#define QEMU_OVMF_VARS "/usr/share/OVMF/OVMF_VARS.fd"
/* The CPU the image is tested on unless --cpu says otherwise: QEMU's own default model, the
 * x86-64 baseline (no SSE3+, BMI, ADX, AVX). The image is built for it (ch8/gmp, ch8/libffi), and
 * -cpu max or host would hide a library tuned for the build host's CPU (GCC then dies of SIGILL
 * on other machines). */
#define QEMU_CPU_DEFAULT "qemu64"

struct qemu_opts {
	const char *image;      /* qcow2 or raw disk, attached as virtio */
	const char *scratch;    /* directory for this boot's private copy of OVMF_VARS.fd */
	const char *memory;     /* -m */
	int cpus;               /* -smp */
	const char *cpu;        /* -cpu MODEL; NULL: QEMU_CPU_DEFAULT, whatever the accelerator */
	bool net;               /* user-mode networking with virtio-net; else -nic none */
	bool gui;               /* a window (serial still on the terminal) */
	bool headless;          /* serial on QEMU's stdin/stdout, no monitor, no display */
	bool snapshot;          /* the disk's writes go to a throw-away overlay */
};

/* Does KVM really work here? Tried, not assumed: OVMF is started under -accel kvm for a moment
 * and must print on the serial port before QEMU fails or says "KVM internal error". */
bool qemu_kvm_works(const char *vars_copy);
/* The QEMU command line for `o` (vars_copy: the private OVMF_VARS.fd; kvm: which accelerator). */
void qemu_argv(const struct qemu_opts *o, const char *vars_copy, bool kvm, struct strv *argv);
/* Copy OVMF_VARS.fd into o->scratch; returns the malloc'd path or NULL after saying why. */
char *qemu_vars_copy(const struct qemu_opts *o);
/* Boot with the serial console (and monitor) on this terminal; returns QEMU's exit status
 * (0-255) or -1 after saying what failed. */
int qemu_interactive(const struct qemu_opts *o);

struct qemu_session;
/* Start QEMU headless; everything the guest prints is appended to `transcript` (if not NULL).
 * NULL after saying what failed. */
struct qemu_session *qemu_start(const struct qemu_opts *o, const char *transcript);
/* Wait up to `timeout` s for any of `needles` (n of them) in the serial output after what was
 * consumed so far. Returns the index matched (consuming up to its end), -1 on timeout, -2 if
 * QEMU exited. */
int qemu_expect(struct qemu_session *s, const char *const needles[], int n, double timeout);
/* Send text to the serial console. 0 or -1. */
int qemu_send(struct qemu_session *s, const char *text);
/* Run one line of shell in the guest's shell between markers; its output (CRs removed, trimmed)
 * goes to `out`, its exit status to *status. 0, -1 on timeout, -2 if QEMU exited. */
int qemu_run(struct qemu_session *s, const char *cmd, double timeout, struct buf *out, int *status);
/* Note a line of our own in the transcript ("# lfsbuild: ..."). */
void qemu_note(struct qemu_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Seconds since QEMU started. */
double qemu_elapsed(const struct qemu_session *s);
/* Wait up to `timeout` s for QEMU to exit (then kill it); returns its exit status, or -1 if it
 * had to be killed. Frees the session and its OVMF_VARS copy. */
int qemu_finish(struct qemu_session *s, double timeout);
/* QEMU's own stderr so far (for error messages). */
const char *qemu_stderr(const struct qemu_session *s);
