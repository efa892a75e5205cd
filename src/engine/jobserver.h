/* jobserver: a GNU make jobserver shared by every running step. The pipe holds one token per
 * free job slot; the scheduler takes a token for each step it starts (the slot of the step's
 * first make) and gives it back when the step ends; the makes inside steps take the others. */
#pragma once
#include <stdbool.h>

struct jobserver {
	int rfd, wfd;           /* the pipe (close-on-exec here; the sandbox keeps them for steps) */
	int slots;              /* -j N */
	int held;               /* tokens the scheduler holds (running steps) */
};

/* Create the pipe with `slots` tokens. 0 or -1 with errno. */
int jobserver_open(struct jobserver *js, int slots);
/* Take a token without blocking: true if one was taken. */
bool jobserver_take(struct jobserver *js);
/* Give a token back. */
void jobserver_give(struct jobserver *js);
/* With no step running: make the pipe hold exactly slots tokens again (tokens lost by a make
 * that was killed come back). */
void jobserver_reset(struct jobserver *js);
/* MAKEFLAGS for steps: "-jN --jobserver-auth=R,W" (malloc'd). */
char *jobserver_makeflags(const struct jobserver *js);
void jobserver_close(struct jobserver *js);
