/* state: what a build leaves on disk so that the next one resumes, and so that `status` and
 * `report` can read it, also while a build runs. All under WORKDIR (docs/engine.md):
 *
 *   state/stamps/<step id>.stamp   one per step, written atomically (tmp + rename, no fsync:
 *                                  see docs/engine.md on what resume guarantees):
 *       step ch5/binutils-pass1
 *       result ok|failed|interrupted|running|invalid|removing|removed (lfsbuild remove)
 *       hash <sha256 of the input lines below>
 *       input recipe <sha256>            the recipe file's text
 *       input stage <sha256>             the stage's definition in book/stages
 *       input engine <n>                 how the engine composes the script
 *       input file NAME <sha256>         each book/files/NAME the recipe copies
 *       input source NAME <sha256>       each source (fetch_resolve's checksum)
 *       input config NAME <sha256>       each setting the recipe reads (hostname, locales, ...)
 *       input tests on|off               only for recipes with a %test section
 *       input dep STEP <hash>            each direct dependency's hash
 *       start <epoch> / wall <s> / cpu <s> / maxrss <KiB> / exit <status> / note <text>
 *       phase NAME <wall s> <cpu s>      per phase measured (unpack, build, test, install)
 *   state/run.json                 the current (or last) run, rewritten at every event:
 *       {"version":1, "pid":N, "state":"running|done|failed|interrupted",
 *        "command":"lfsbuild -C ... build ...", "started":EPOCH, "updated":EPOCH, "jobs":N,
 *        "sbu":SECONDS|null, "total":N, "done":N, "skipped":N, "failed":N, "running":N,
 *        "steps":[{"id":"ch5/binutils-pass1", "title":"...", "stage":"cross", "sbu_book":1.0,
 *                  "sbu_expect":1.0, "status":"pending|skipped|running|done|failed|interrupted|blocked|excluded",
 *                  "reason":"recipe changed", "start":EPOCH|null, "wall":S|null, "cpu":S|null,
 *                  "maxrss_kib":N|null, "exit":N|null, "log":"logs/ch5/binutils-pass1.log",
 *                  "phases":{"unpack":{"wall":S,"cpu":S}, "build":..., "test":..., "install":...}
 *                  (only when measured; only the phases that ran)}, ...]}
 *       steps in execution order; "pending" = will run in this invocation, "skipped" = up to
 *       date (wall/cpu/maxrss are then the stamp's from the run that built it), "excluded" = not
 *       selected by --until/--only/operands, "blocked" = a dependency failed.
 *   state/sbu                      the measured SBU in seconds (wall of ch5/binutils-pass1)
 *   logs/timings.tsv               one line per finished step, appended:
 *       step<TAB>start epoch<TAB>wall s<TAB>SBU<TAB>CPU s<TAB>max RSS KiB<TAB>status
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "lib/util.h"

enum step_status {
	ST_PENDING, ST_SKIPPED, ST_RUNNING, ST_DONE, ST_FAILED, ST_INTERRUPTED, ST_BLOCKED, ST_EXCLUDED,
};

/* "pending", "skipped", ... as written in run.json. */
const char *step_status_name(enum step_status s);

/* The phases of a step whose wall and CPU time are measured (docs/watching.md, "Phases"): the
 * engine's unpacking of the sources, then the recipe's sections. */
enum phase { PHASE_UNPACK, PHASE_BUILD, PHASE_TEST, PHASE_INSTALL, PHASE_N };
struct phases {
	bool has[PHASE_N];
	double wall[PHASE_N], cpu[PHASE_N];
};
/* "unpack", "build", "test", "install". */
const char *phase_name(enum phase p);
/* The phase called `name`, or PHASE_N. */
enum phase phase_from_name(const char *name);
/* Was any phase measured? */
bool phases_any(const struct phases *p);

struct stamp {
	char *result;           /* "ok", "failed", "interrupted", "running", "invalid", "removing", "removed" */
	char *hash;
	struct strv inputs;     /* "recipe HEX", "dep ch5/gcc-pass1 HEX", ... (without "input ") */
	double start, wall, cpu;
	long maxrss_kib;
	int exit_code;
	char *note;             /* why it is invalid, or NULL */
	struct phases phases;
};

/* WORKDIR/state/stamps/<id>.stamp (malloc'd). */
char *stamp_path(const char *workdir, const char *id);
/* Read a stamp: 0, or -1 if absent or unreadable (s is then empty). */
int stamp_read(const char *workdir, const char *id, struct stamp *s);
/* Parse a stamp's text (modified in place): 0, or -1 without a result or hash (s is then empty). */
int stamp_parse(char *text, struct stamp *s);
/* The text of a stamp, as stamp_write writes it (malloc'd). */
char *stamp_format(const char *id, const struct stamp *s);
/* Write a stamp atomically: tmp + rename, creating its directory. 0 or -1 with errno. */
int stamp_write(const char *workdir, const char *id, const struct stamp *s);
/* Mark a stamp invalid (it stays for its timings) with a note; no stamp: nothing. */
int stamp_invalidate(const char *workdir, const char *id, const char *note);
void stamp_free(struct stamp *s);
/* Why a step whose inputs are `inputs` (hash `hash`) must run again given its stamp; NULL
 * when the stamp is ok and matches. The reason is malloc'd: "new", "recipe changed",
 * "dependency ch8/glibc rebuilt", "source binutils changed", "configuration changed: hostname",
 * "last run failed (exit 2)", "interrupted", ... */
char *stamp_reason(const struct stamp *s, bool have_stamp, const struct strv *inputs, const char *hash);
/* The sha256 (hex) of the input lines, joined with newlines. */
char *inputs_hash(const struct strv *inputs);
/* The hash a step passes on to the steps after it (their "dep ID HASH" lines): inputs_hash()
 * without its "config" lines. A setting of the new system makes the steps that read it run again
 * and none after them; a step that builds from what such a step wrote names the setting itself
 * (docs/engine.md, "Settings"). The step's own hash when it reads no setting. */
char *inputs_pass_hash(const struct strv *inputs);
/* sha256 hex of a byte string (malloc'd). */
char *sha256_hex(const void *data, size_t len);
/* sha256 hex of a file's content, or NULL with errno. */
char *sha256_file(const char *path);

/* One step as run.json shows it. */
struct step_report {
	const char *id, *title, *stage;
	double sbu_book;
	double sbu_expect;           /* what the ETA expects (recipe_expected_sbu) */
	enum step_status status;
	const char *reason;
	double start, wall, cpu;     /* start 0: not started */
	long maxrss_kib;
	int exit_code;               /* -1: none */
	const struct phases *phases; /* NULL or none measured: no "phases" */
};

struct run_report {
	pid_t pid;
	const char *state;           /* "running", "done", "failed", "interrupted" */
	const char *command;
	double started, updated;
	int jobs;
	double sbu;                  /* 0: not measured yet */
	struct step_report *steps;   /* in execution order */
	size_t n;
};

/* Write WORKDIR/state/run.json (tmp + rename, no fsync: it is for readers, not for resume). */
int run_report_write(const char *workdir, const struct run_report *r);
/* Append a line to WORKDIR/logs/timings.tsv. */
int timings_append(const char *workdir, const struct step_report *s, double sbu);
/* The measured SBU from WORKDIR/state/sbu, 0 if none; and store it. */
double sbu_read(const char *workdir);
int sbu_write(const char *workdir, double seconds);

/* state/lock: held (flock, exclusive) by whoever works on the work directory, so that no two
 * do at once: a build, `restore`, `shell`. Its text says who: "PID WHAT\n". */
struct lock_holder {
	long pid;               /* 0 when unknown */
	char what[16];          /* "build", "shell"; "" when unknown */
};
/* Take the lock for `what` and write "PID WHAT" into it: the fd (close-on-exec; closing it
 * releases the lock), or -1 with errno (EWOULDBLOCK: someone holds it, *holder says who). */
int state_lock(const char *workdir, const char *what, struct lock_holder *holder);
/* Who the lock's text says holds (or last held) it, for a refusal's message. */
void state_lock_holder(const char *workdir, struct lock_holder *holder);
/* state_lock for a command (`what`: build, shell, remove...): the fd, or -1 after saying why
 * (who holds it, with its pid, and what to do), followed by `nothing` ("nothing was removed"). */
int state_lock_take(const char *workdir, const char *what, const char *nothing);
