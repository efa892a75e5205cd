/* lfsbuild fetch: download and verify sources into the cache */
#include "cli/commands.h"

#include <stdlib.h>

#include "sources/fetch.h"
#include "book/layer.h"
#include "book/manifest.h"

static int run(struct config *cfg, int argc, char **argv)
{
	struct manifest m;
	if (manifest_load_layers(cfg->bookdir, &cfg->layers, &m) < 0)
		return EXIT_FAIL;
	const struct source **list = xcalloc(argc ? (size_t)argc : m.n, sizeof *list);
	size_t n = 0;
	if (argc == 0)
		for (size_t i = 0; i < m.n; i++)
			list[n++] = &m.src[i];
	for (int i = 0; i < argc; i++) {
		const struct source *s = manifest_find(&m, argv[i]);
		if (!s) {
			int u = cli_usage_error(&cmd_fetch, "unknown source '%s' (`lfsbuild sources` lists them)", argv[i]);
			free(list);
			manifest_free(&m);
			return u;
		}
		bool dup = false;
		for (size_t k = 0; k < n; k++)
			dup |= list[k] == s;
		if (!dup)
			list[n++] = s;
	}
	int status = fetch_run(cfg, list, n);
	free(list);
	manifest_free(&m);
	return status ? EXIT_FAIL : EXIT_OK;
}

const struct command cmd_fetch = {
	"fetch", "download and verify sources into the cache", "[NAME...]",
	"Without NAME, every source of book/sources. Tries, in order: the cache, --mirror-dir directories, "
	"--mirror URLs, then each origin of the manifest as written: the book's upstream URL, the Debian source "
	"archive under each mirror URI of the host's apt configuration. Checksums are computed while the bytes "
	"stream in; a file is renamed into the cache only after every checksum matched, and stamped, so that the "
	"next run trusts it without reading it (--verify reads every file again). Up to 4 downloads at once. "
	"Exit status: 0 when every source asked for is in the cache and verified, 1 otherwise.\n\n"
	"Environment: LFSBUILD_FETCH_TIMEOUT (connect timeout, seconds, default 5), LFSBUILD_FETCH_STALL "
	"(give up on a transfer slower than 1 KiB/s for this many seconds, default 20).",
	run,
};
