/* lfsbuild fetch: download and verify sources into the cache */
#include "commands.h"

static int run(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	(void)argc;
	(void)argv;
	return cli_not_implemented("fetch");
}

const struct command cmd_fetch = {
	"fetch", "download and verify sources into the cache", "[NAME...]",
	"Tries, in order: the cache, --mirror-dir directories, --mirror URLs, the book's upstream URL, the Debian source archive named by the host's apt configuration. Checksums are computed while the bytes stream in; a file is renamed into the cache only after it matched.",
	run,
};
