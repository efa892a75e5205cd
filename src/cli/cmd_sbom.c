/* lfsbuild sbom [-o FILE]: the CycloneDX SBOM of the work directory's image (provenance/sbom.h,
 * docs/sbom.md); `image` writes it too, through cli_write_sbom. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "book/layer.h"
#include "book/license.h"
#include "book/manifest.h"
#include "book/recipe.h"
#include "cli/commands.h"
#include "engine/graph.h"
#include "lib/util.h"
#include "provenance/sbom.h"

int cli_write_sbom(const struct config *cfg, const char *path)
{
	struct recipe_set set;
	struct manifest m;
	if (book_open(cfg->bookdir, &cfg->layers, &set, &m) < 0)
		return EXIT_FAIL;
	struct graph g;
	struct licenses lic;
	int rc = EXIT_FAIL;
	bool have_graph = graph_build(&set, &g) == 0, have_lic = have_graph && licenses_load(&set, &m, &lic) == 0;
	if (have_lic) {
		char *root = config_path(cfg, "root"), *image = xstrdup(cfg->output), err[2048];
		const char *slash = strrchr(image, '/');
		struct sbom_input in = {
			.workdir = cfg->workdir, .set = &set, .man = &m, .g = &g, .lic = &lic, .sources = cfg->sources,
			.root = is_dir(root) ? root : NULL, .image = slash ? slash + 1 : image, .tool_version = LFSBUILD_VERSION,
		};
		struct sbom_summary sum;
		if (sbom_write(&in, path, &sum, err, sizeof err) < 0) {
			errorf("sbom: %s", err);
		} else {
			rc = EXIT_OK;
			if (!cfg->quiet)
				printf("SBOM (CycloneDX %s): %s: %zu steps (%zu not built), %zu files\n", SBOM_SPEC_VERSION, path,
				       sum.steps, sum.not_built, sum.files);
			if (!cfg->quiet && sum.files_unknown)
				printf("  the files of %zu steps are not known: built without a file list (build --capture on lists "
				       "them) or with `capture no`\n", sum.files_unknown);
		}
		free(image);
		free(root);
		licenses_free(&lic);
	}
	if (have_graph)
		graph_free(&g);
	manifest_free(&m);
	recipe_set_free(&set);
	return rc;
}

static int run(struct config *cfg, int argc, char **argv)
{
	if (argc > 0)
		return cli_usage_error(&cmd_sbom, "unexpected operand '%s' (the file is -o FILE)", argv[0]);
	/* by default where `image` puts it: beside the image (lfsbuild.conf's `output` is the image's) */
	char *image = path_abs(cfg->output);
	char *out = cfg->sbom_output ? path_abs(cfg->sbom_output) : cli_sbom_path(image);
	free(image);
	char *root = config_path(cfg, "root");
	int lock = cli_lock_root(cfg, root, "write its SBOM");
	int rc = lock == -2 ? EXIT_FAIL : cli_write_sbom(cfg, out);
	if (lock >= 0)
		close(lock);
	free(root);
	free(out);
	return rc;
}

const struct command cmd_sbom = {
	"sbom", "write the SBOM of the image (CycloneDX JSON)", "",
	"Writes WORKDIR/lfs.cdx.json (or -o FILE; beside the image when lfsbuild.conf's `output` puts it\n"
	"elsewhere, as `image` does): a CycloneDX 1.6 software bill of materials of the\n"
	"image, one component per step of the book and its layers: the package's name and the version\n"
	"built, the source file with its sha256, where it came from (upstream, the Debian source\n"
	"package), the book's page, its licence where book/licenses has it, its files with their sha256\n"
	"(with --capture on; checked against WORKDIR/root), the kernel's .config, and the steps'\n"
	"dependencies. The same work directory gives the same bytes. `lfsbuild image` writes it beside\n"
	"the image. docs/sbom.md describes every field.",
	run,
};
