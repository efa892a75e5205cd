/* icecream: `--icecream`, a compile farm through Debian's icecc (docs/engine.md, "A compile farm
 * (icecream)"). A step goes through it when its stage names its compilers (`icecream CC CXX
 * [NAME...]` in book/stages) and its recipe does not say `icecream no: WHY`: those names come first
 * on its PATH as links to icecc (the host's client, run by the host's own dynamic linker and
 * libraries, so that it works in the chroot too), ICECC_VERSION names an environment made by
 * icecc-create-env from the stage's own compilers (in the step's own view: the cross compiler of
 * chapters 5-6, the new system's gcc from chapter 7 on), kept in WORKDIR/icecream/envs by a key of
 * those compilers' files, and the local iceccd is reached through its socket. Not part of any
 * stamp: the same compiler makes the same code wherever it runs. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>
#include "lib/util.h"

struct config;
struct recipe;
struct stage;
struct sandbox_spec;

enum icecream_kind {
	ICECREAM_OFF,
	ICECREAM_SYSTEM,     /* `--icecream` alone: the iceccd running here (/var/run/icecc/iceccd.socket) */
	ICECREAM_SOCKET,     /* `--icecream=/PATH`: the iceccd listening on that socket */
	ICECREAM_OWN,        /* `--icecream=HOST[:PORT]`: lfsbuild runs an iceccd for the build, with that scheduler */
};

struct icecream {
	enum icecream_kind kind;
	char *value;         /* what was given */
	char *scheduler;     /* ICECREAM_OWN: HOST[:PORT] */
	char *dir;           /* WORKDIR/icecream */
	char *socket;        /* the daemon's socket on the host */
	int jobs;            /* make -jN of a step that goes through icecc */
	int local_jobs;      /* -j: the own daemon's slots (its own compiles and the links) */
	pid_t daemon;        /* ICECREAM_OWN: its pid while it runs, else -1 */
	char *daemon_log;
	bool prepared;       /* WORKDIR/icecream/client is there for this run */
};

/* The option's value: off (NULL, "", "off"), "on" (the running iceccd), "/SOCKET", or a scheduler
 * HOST[:PORT]. No side effect. 0, or -1 with why in errbuf. */
int icecream_init(struct icecream *ice, const struct config *cfg, char *errbuf, size_t errlen);
void icecream_free(struct icecream *ice);
/* NULL when step `rc` of stage `st` goes through icecc (with ice on), else why it is built
 * locally ("icecream no: ...", "its stage ... names no compiler", "no sources: nothing to
 * compile", ...). With ice off: "" (no reason to give). The string is static or rc's. */
const char *icecream_local_reason(const struct icecream *ice, const struct recipe *rc, const struct stage *st);
/* Before the first step: icecc and icecc-create-env are there, WORKDIR/icecream/client is made
 * afresh (the host's icecc with its dynamic linker and libraries, a directory of links per stage
 * that names compilers), envs/ and work/ exist, given to uid/gid for the user modes. 0, or -1 with
 * why. */
int icecream_prepare(struct icecream *ice, const struct stage *stages, size_t nstages, uid_t uid, gid_t gid,
                     char *errbuf, size_t errlen);
/* The local daemon: ICECREAM_OWN starts iceccd (as uid/gid, its socket and log in
 * WORKDIR/icecream/daemon, -s SCHEDULER, `local_jobs` slots) and waits up to 30 s until it says
 * it reached the scheduler; the others check that the socket is there. `note` receives what is
 * worth saying (the daemon, a slow scheduler). 0, or -1 with why. */
int icecream_start(struct icecream *ice, uid_t uid, gid_t gid, struct strv *notes, char *errbuf, size_t errlen);
/* Stop the own daemon (SIGTERM, then SIGKILL after 5 s), if it runs. */
void icecream_stop(struct icecream *ice);
/* In the child that prepares step `flat`: the environment of its stage's compilers, made if it is
 * not in WORKDIR/icecream/envs yet, by a short run in the step's own sandbox (`base`: its mode,
 * root, uid; no capture). *key gets its name (malloc'd). 0, or -1 with why (the step then builds
 * locally). Environments are made one at a time (a lock in envs/). */
int icecream_environment(struct icecream *ice, const struct stage *st, const char *flat, const struct sandbox_spec *base,
                         char **key, char *errbuf, size_t errlen);
/* A step that goes through icecc: its PATH with the stage's links first, ICECC_VERSION,
 * ICECC_TEST_SOCKET (the daemon's socket as the step sees it), ICECC_REMOTE_CPP=0, and
 * MAKEFLAGS/JOBS for ice->jobs, replacing those of `env` (`chroot`: the step's view is the chroot). */
void icecream_step_env(const struct icecream *ice, const struct stage *st, bool chroot, const char *key, struct strv *env);
/* The sandbox of such a step: lfsbuild's network, and in the chroot the directory and the socket. */
void icecream_step_spec(const struct icecream *ice, bool chroot, struct sandbox_spec *spec);
/* After a step that went through icecc: the icecc client's lock directories (/tmp/.icecream-USER,
 * a path icecc does not let us choose) taken out of `tree` (the step's capture upper, or the root
 * it wrote directly), so that no package lists them. Links are removed as links, never followed.
 * The number removed. */
int icecream_drop_locks(const char *tree);
