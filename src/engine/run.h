/* run: one step. Its inputs (for the stamp), a fresh build directory with its sources
 * unpacked, the clean environment, the script (prelude + %build [+ %test] + %install), the
 * log, and the process started through the sandbox. docs/engine.md tells the whole story. */
#pragma once
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "lib/util.h"
#include "packages/bincache.h"
#include "state/state.h"
#include "engine/icecream.h"

struct config;
struct recipe_set;
struct manifest;
struct jobserver;
struct stage;
struct sandbox_spec;
struct stamp;

struct resolved_source {
	char *path, *sha256;    /* NULL when not in the cache */
};

struct runner {
	const struct config *cfg;
	const struct recipe_set *set;
	const struct manifest *man;
	struct jobserver *js;
	bool as_root;           /* lfsbuild runs as root: user-mode steps run as the build uid */
	uid_t uid;              /* the build uid/gid (our own when not root) */
	gid_t gid;
	char *root;             /* $LFS on the host, where the steps see it: WORKDIR/root */
	char *root_from;        /* NULL; lfsbuild repro: the scratch root the steps see at `root` (runner_scratch) */
	char *work;             /* where the steps' build/ and capture/ directories go: the work directory */
	char *logs;             /* where their logs go: WORKDIR/logs */
	bool capture;           /* --capture on: steps without `capture no` write into an overlay, merged after */
	bool keep_capture;      /* lfsbuild repro: a captured step's upper tree stays in its capture directory:
	                         * no archive, no file list, no merge */
	char *packages;         /* WORKDIR/packages: file lists and package archives */
	char *cache_dir;        /* --cache DIR, else `packages` */
	struct bincache cache;  /* where archives are looked up (with capture; packages/bincache.h) */
	bool root_given;        /* $LFS already handed to the build uid in this run */
	struct strv sysenv;     /* LFSBUILD_*=VALUE settings of the new system */
	bool sysenv_loaded;
	unsigned long long tmpfs_committed;  /* the limits of the running steps' build tmpfs */
	struct icecream ice;    /* --icecream (engine/icecream.h) */
	struct resolved_source *res;  /* per manifest source, filled on demand */
	bool *res_done;
};

struct job {
	size_t step;
	pid_t prep_pid;         /* the child preparing the build directory, -1 when none */
	int prep_fd;            /* its answer */
	pid_t pid;              /* the step (the sandbox's process), -1 before it started */
	int out_fd;             /* the read end of the step's output pipe, -1 when closed */
	int log_fd;
	char *builddir;         /* on the host */
	bool captured;          /* its writes go to WORKDIR/capture/<flat>/upper, merged when it succeeds */
	char *hash;             /* its input hash: the name of its package archive */
	char *version;          /* the version it builds (runner_step_version) */
	char *from_cache;       /* restored from this archive (a path or URL) instead of run, else NULL */
	char *log_path;
	double start, start_mono;
	const char *echo;       /* -v: the step id that prefixes its output lines on stdout, else NULL */
	struct buf partial;     /* -v: the last, unfinished line */
	int phase_fd;           /* the memfd the script's phase marks go to (LFSBUILD_PHASES_FD), -1 when none */
	double launch_wall;     /* when the command was started (epoch) */
	double prep_cpu;        /* CPU of the preparing child: the caller sets it when it reaps that child */
	struct phases phases;   /* per phase: unpack by runner_launch, the sections by runner_finish */
	int tmpfs_fd;           /* its build directory's tmpfs (engine/buildfs.h), -1: on disk */
	char *icecream_key;     /* --icecream: it goes through icecc with this environment (NULL: local) */
	char *icecream_failed;  /* --icecream: why it builds locally although it would go through icecc */
	unsigned long long tmpfs_limit;
};

/* The build uid: LFSBUILD_BUILD_UID (and _GID), else 4242 or the next id that /etc/passwd
 * and /etc/group do not use. */
void runner_build_ids(uid_t *uid, gid_t *gid);
/* 0, or -1 (said on stderr): a --capture that is neither on nor off, or on without root. */
int runner_init(struct runner *r, const struct config *cfg, const struct recipe_set *set,
                const struct manifest *man, struct jobserver *js);
void runner_free(struct runner *r);
/* lfsbuild repro (engine/repro.h): the steps see `scratch`/root at WORKDIR/root (the sandbox's
 * root_from) and, in the user modes, their build directory `scratch`/build/<flat id> at
 * WORKDIR/build/<flat id>, so that every path a step writes into what it builds is the build's;
 * their capture directories go under `scratch`, their logs under `logs`. Nothing of the work
 * directory's root, build/, capture/ or packages/ is written. */
void runner_scratch(struct runner *r, const char *scratch, const char *logs);
/* The root on the host, as a build makes it ready before step i starts: made if missing; for a
 * user-mode step as root, given to the build uid (chown -R, the book's chown to lfs) when it is not
 * its owner already. 0, or -1 with errbuf. */
int runner_prepare_root(struct runner *r, size_t i, char *errbuf, size_t errlen);
/* SIGTERM to a running step's sandbox (which takes its whole pid namespace down); `hard`: SIGKILL
 * to it and to the init of its namespace. Also kills a preparing child. */
void runner_kill(struct job *job, bool hard);
/* After killing (as a child subreaper): wait up to 10 s until every process started is gone. */
void runner_wait_orphans(void);
/* The input lines of step `i` (state.h), given its direct dependencies' ids and hashes.
 * `old` (may be NULL): the stamp's inputs, used for a source that is not cached any more.
 * Returns 0, or -1 when a source of the step is unknown (said on stderr). */
int runner_inputs(struct runner *r, size_t i, char *const *dep_ids, char *const *dep_hashes, size_t ndeps,
                  const struct strv *old, struct strv *inputs);
/* Are the sources of step `i` in the cache? Says which is not, and how to get it. */
bool runner_sources_ready(struct runner *r, size_t i);
/* Start step `i` whose input hash is `hash`: its log, $LFS for the build uid, its build
 * directory's place (runner_place: a tmpfs is made here, or the log says why not), then a child
 * process (job->prep_pid) that, with `cache` (and capture, for a step without `capture no`), first
 * looks for the step's package archive in the binary cache and unpacks it into the step's capture
 * directory (packages/bincache.h); else it makes the build directory, unpacks the sources and
 * writes the script. 0, or -1 with the reason in errbuf (the log says it too when it could be
 * opened). */
int runner_start(struct runner *r, size_t i, const char *hash, bool cache, struct job *job, char *errbuf,
                 size_t errlen);
struct buildfs_choice;
/* Where step i's build directory would go now: a tmpfs or the disk, and why
 * (--build-tmpfs, its `disk` line, the memory available; engine/buildfs.h). */
void runner_place(struct runner *r, size_t i, struct buildfs_choice *c);
/* Let go of the job's tmpfs, if any (runner_finish does; also for a step that never ran). */
void runner_drop_tmpfs(struct runner *r, struct job *job);
/* When the preparing child has ended (reaped by the caller): start the step's command through
 * the sandbox (job->pid). 0; 1 when the step came from the binary cache (job->from_cache; no
 * process: runner_finish merges it); -1 with the reason in errbuf (and in the log). What the
 * cache said (an archive set aside, a failed download) is warned and written to the log. */
int runner_launch(struct runner *r, struct job *job, char *errbuf, size_t errlen);
/* After the step ended: its wall and CPU per phase into job->phases (wall and cpu: the
 * command's, from its start in runner_launch; copied into `ok` too), drain its output, merge its
 * capture when it succeeded (its package archive and file list first, no archive for one from the
 * cache, which has one; `ok`, the stamp its success writes, goes into the merge's journal and is
 * written by the merge: capture_merge), close the log with a footer, move the test log, and
 * remove the build directory when it succeeded (unless --keep); a build directory on a tmpfs is
 * copied to the disk when the step failed (for `lfsbuild shell STEP`) or with --keep, then the
 * tmpfs let go. The step's exit status: `status`, or 1 when the merge failed. */
int runner_finish(struct runner *r, struct job *job, int status, double wall, double cpu, long maxrss_kib,
                  struct stamp *ok);
/* The version step i builds, as its package archive names it: its first source's, of the origin
 * whose file is in the cache (the manifest's version otherwise); "none" without a source. */
char *runner_step_version(struct runner *r, size_t i);
/* Free the strings of a job (after runner_finish, or when runner_start failed). */
void runner_job_free(struct job *job);
/* Copy what the step wrote to its pipe into its log. false at EOF or error. */
bool runner_drain(struct job *job);
/* --icecream: NULL when step i goes through icecc, else why not ("" with --icecream off). */
const char *runner_icecream_reason(const struct runner *r, size_t i);
/* --explain: the sandbox plan, the environment and the command of step `i`. */
int runner_explain(struct runner *r, size_t i, FILE *out);
/* Where step i runs and with what, for `lfsbuild shell STEP`. */
struct step_view {
	int mode;               /* enum step_mode */
	char *builddir;         /* on the host */
	char *builddir_in;      /* as the step sees it (/build/<flat id> in the chroot) */
	char *cwd;              /* as the step sees it: its first source's top directory, else builddir_in */
	struct strv env;        /* the step's complete environment, as runner_launch gives it */
	bool prepared;          /* the build directory did not exist and was prepared just now */
};
/* Step i's build directory as a shell wants it: left as it is when it exists (a failed step's,
 * as the failure left it), else prepared as runner_start does (fresh directory, sources
 * unpacked and checked, files, script; given to the build uid in user mode) without running
 * anything; then the step's environment. 0, or -1 with the reason in errbuf. */
int runner_step_view(struct runner *r, size_t i, struct step_view *sv, char *errbuf, size_t errlen);
void step_view_free(struct step_view *sv);
/* The sandbox spec step i runs in (mode, $LFS, build directory, uid, hostname, cwd, env) with
 * `argv` and `keep` (fds); 0-2 are /dev/null until the caller says otherwise. */
void runner_step_spec(struct runner *r, const struct step_view *sv, char **argv, const int *keep,
                      struct sandbox_spec *spec);
/* A step's SOURCE_DATE_EPOCH given the newest member mtime of its first source (unpack_source;
 * -1: none): that time when it is after the epoch, else the book's release (BOOK_RELEASE_EPOCH,
 * book/recipe.h). */
long long runner_source_date(long long newest);
/* The stage's `env` lines with $LFS expanded to `lfs`, appended to env. */
void runner_stage_env(const struct stage *st, const char *lfs, struct strv *env);
/* WORKDIR/logs/<id>.log (malloc'd). */
char *runner_log_path(const struct config *cfg, const char *id);
