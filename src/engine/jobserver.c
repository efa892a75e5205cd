/* jobserver: the token pipe of GNU make (make 4.3 reads "--jobserver-auth=R,W" pipe fds). */
#include "engine/jobserver.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

static void put_tokens(struct jobserver *js, int n)
{
	char t[256];
	memset(t, '+', sizeof t);
	while (n > 0) {
		ssize_t w = write(js->wfd, t, (size_t)(n < (int)sizeof t ? n : (int)sizeof t));
		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("jobserver: write:");
		}
		n -= (int)w;
	}
}

int jobserver_open(struct jobserver *js, int slots)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	/* Above the fds a step may use for its own redirections (3-9 are common in scripts). */
	js->rfd = fcntl(p[0], F_DUPFD_CLOEXEC, 10);
	js->wfd = fcntl(p[1], F_DUPFD_CLOEXEC, 10);
	close(p[0]);
	close(p[1]);
	if (js->rfd < 0 || js->wfd < 0)
		return -1;
	js->slots = slots;
	js->held = 0;
	put_tokens(js, slots);
	return 0;
}

bool jobserver_take(struct jobserver *js)
{
	char c;
	for (;;) {
		ssize_t n = read(js->rfd, &c, 1);
		if (n == 1) {
			js->held++;
			return true;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return false;
	}
}

void jobserver_give(struct jobserver *js)
{
	if (js->held <= 0)
		return;
	js->held--;
	put_tokens(js, 1);
}

void jobserver_reset(struct jobserver *js)
{
	char buf[256];
	int have = 0;
	for (;;) {
		ssize_t n = read(js->rfd, buf, sizeof buf);
		if (n > 0) {
			have += (int)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	(void)have;
	js->held = 0;
	put_tokens(js, js->slots);
}

char *jobserver_makeflags(const struct jobserver *js)
{
	return xasprintf("-j%d --jobserver-auth=%d,%d", js->slots, js->rfd, js->wfd);
}

void jobserver_close(struct jobserver *js)
{
	if (js->rfd >= 0)
		close(js->rfd);
	if (js->wfd >= 0)
		close(js->wfd);
	js->rfd = js->wfd = -1;
}
